"""The "Dân tin – Đảng cử" pilot (RULES.md §5), one rule at a time."""

from __future__ import annotations

from datetime import date

import rules_scenario as s

D = date.fromisoformat


def waiver(v: s.Village, on: str = "2022-03-20", criteria: list[str] | None = None, deadline: str = "2024-06-30",
           by: str = "district_standing") -> s.Village:
    v.add("waiver.granted", on, by, id="waiver", person="hung", criteria=criteria or ["education"],
          reason="đang học bổ túc", deadline=deadline)
    return v


def primary_school(v: s.Village) -> s.Village:
    v.person("hung", education="tieu_hoc")
    return v


# -- P-NOMINEE --------------------------------------------------------------------------

def test_p_nominee_on_the_official_list_passes() -> None:
    assert s.bato().status("P-NOMINEE") == "pass"


def test_p_nominee_missing_from_the_official_list_fails() -> None:
    [check] = s.bato().set("finalised", candidates=["tuan"]).checks("P-NOMINEE")
    assert check["status"] == "fail" and check["events"] == ["nominated", "finalised"]


def test_p_nominee_one_person_only() -> None:
    v = s.bato()
    v.add("personnel.nominated", "2022-03-12", "cell", person="lan")
    assert v.status("P-NOMINEE") == "fail"


def test_p_nominee_missing_is_pending_until_election_day_then_fails() -> None:
    v = s.bato().drop("nominated")
    assert v.status("P-NOMINEE", D("2022-05-01")) == "pending"
    [check] = v.checks("P-NOMINEE")
    assert check["status"] == "fail" and check["events"] == ["count"]


# -- P-CRITERIA -------------------------------------------------------------------------

def test_p_criteria_age_65_on_election_day_passes_66_fails() -> None:
    v = s.bato()
    v.person("hung", born="1956-05-16")  # 65 on 15/5/2022, 66 the next day
    assert v.status("P-CRITERIA") == "pass"
    v.person("hung", born="1956-05-15")
    [check] = v.checks("P-CRITERIA")
    assert check["status"] == "fail" and "66 tuổi (quá 65)" in check["detail_vi"]


def test_p_criteria_a_probationary_member_fails_even_with_a_waiver() -> None:
    v = waiver(s.bato(), criteria=["education", "theory"])
    v.person("hung", party="probationary")
    assert v.status("P-CRITERIA") == "fail"


def test_p_criteria_education_standard_differs_by_district() -> None:
    v = s.bato()
    v.person("hung", education="thcs")
    assert v.status("P-CRITERIA") == "pass"
    w = s.ducpho()
    w.person("hung", education="thcs")
    [check] = w.checks("P-CRITERIA")
    assert check["status"] == "fail" and "chưa đạt trung học phổ thông" in check["detail_vi"]


def test_p_criteria_theory_at_least_elementary() -> None:
    v = s.bato()
    v.person("hung", theory="none")
    assert v.status("P-CRITERIA") == "fail"


def test_p_criteria_judged_on_the_latest_profile_on_or_before_election_day() -> None:
    v = primary_school(s.bato())
    v.profile("hung", "2022-05-15", education="thcs")
    assert v.status("P-CRITERIA") == "pass"
    w = primary_school(s.bato())
    w.profile("hung", "2022-05-16", education="thcs")
    assert w.status("P-CRITERIA") == "fail"


def test_p_criteria_a_waiver_covers_education_or_theory() -> None:
    [check] = waiver(primary_school(s.bato())).checks("P-CRITERIA")
    assert check["status"] == "waived" and check["events"] == ["nominated", "waiver"]


def test_p_criteria_shortfall_is_pending_until_election_day_then_fails() -> None:
    assert primary_school(s.bato()).status("P-CRITERIA", D("2022-05-15")) == "pending"
    assert primary_school(s.bato()).status("P-CRITERIA", D("2022-05-16")) == "fail"


# -- P-WAIVER ---------------------------------------------------------------------------

def test_p_waiver_not_applicable_without_waiver_or_shortfall() -> None:
    assert s.bato().status("P-WAIVER") == "not_applicable"


def test_p_waiver_valid_waiver_is_waived_until_its_deadline() -> None:
    v = waiver(primary_school(s.bato()))
    assert v.status("P-WAIVER", D("2024-06-30")) == "waived"


def test_p_waiver_turns_into_a_failure_when_the_deadline_passes_unmet() -> None:
    v = waiver(primary_school(s.bato()))
    [check] = v.checks("P-WAIVER", D("2024-07-01"))
    assert check["status"] == "fail" and "khi hết hạn 30/06/2024" in check["detail_vi"]
    v.profile("hung", "2024-06-30", education="thcs")
    assert v.status("P-WAIVER", D("2024-07-01")) == "pass"


def test_p_waiver_must_be_granted_before_election_day() -> None:
    assert waiver(primary_school(s.bato()), on="2022-05-15").status("P-WAIVER") == "fail"


def test_p_waiver_age_and_membership_cannot_be_waived() -> None:
    v = waiver(primary_school(s.bato()))
    v.set("waiver", criteria=["education", "age"])
    assert v.status("P-WAIVER", D("2022-12-31")) == "fail"


def test_p_waiver_deadline_within_the_term() -> None:
    assert waiver(primary_school(s.bato()), deadline="2024-11-15").status("P-WAIVER", D("2022-12-31")) == "waived"
    assert waiver(primary_school(s.bato()), deadline="2024-11-16").status("P-WAIVER", D("2022-12-31")) == "fail"


def test_p_waiver_granted_by_the_district_standing_committee() -> None:
    assert waiver(primary_school(s.bato()), by="commune_party").status("P-WAIVER", D("2022-12-31")) == "fail"


def test_p_waiver_missing_for_a_shortfall_pending_then_fails() -> None:
    v = primary_school(s.bato())
    assert v.status("P-WAIVER", D("2022-05-15")) == "pending"
    assert v.status("P-WAIVER", D("2022-05-16")) == "fail"


def test_p_waiver_in_duc_pho_is_a_deviation() -> None:
    v = s.ducpho()
    v.person("hung", education="thcs")
    v.add("waiver.granted", "2025-01-20", "district_standing", person="hung", criteria=["education"], reason="x",
          deadline="2027-06-30")
    assert v.status("P-WAIVER") == "deviation"
    assert v.status("P-CRITERIA") == "waived"


# -- P-LEAD-TIME (Ba Tơ) ------------------------------------------------------------------

def test_p_lead_time_one_month_before_the_election_boundary() -> None:
    assert s.bato(nominated="2022-04-15").status("P-LEAD-TIME") == "pass"
    [check] = s.bato(nominated="2022-04-16").checks("P-LEAD-TIME")
    assert check["status"] == "fail" and "sau hạn 15/04/2022" in check["detail_vi"]


def test_p_lead_time_two_months_before_the_congress_boundary() -> None:
    # The congress on 8/7/2022: nomination by 8/5/2022 — later than a month before the election matters first.
    v = s.bato(nominated="2022-04-01")
    v.set("held", "2022-06-01").set("c-committee", "2022-06-01").set("c-secretary", "2022-06-01")
    v.set("c-deputy", "2022-06-01")
    assert v.status("P-LEAD-TIME") == "pass"  # 1/6 − 2 months = 1/4
    v.set("nominated", "2022-04-02")
    assert v.status("P-LEAD-TIME") == "fail"


def test_p_lead_time_month_end_clamping() -> None:
    # Election day 31/3/2022: one calendar month before is 28/2 (February has no 31st).
    v = s.bato(day="2022-03-31", ordered="2022-03-01", nominated="2022-02-28")
    assert v.status("P-LEAD-TIME") == "pass"
    v.set("nominated", "2022-03-01")
    assert v.status("P-LEAD-TIME") == "fail"


def test_p_lead_time_includes_the_waiver_the_nominee_needs() -> None:
    assert waiver(primary_school(s.bato()), on="2022-04-15").status("P-LEAD-TIME") == "pass"
    assert waiver(primary_school(s.bato()), on="2022-04-16").status("P-LEAD-TIME") == "fail"


def test_p_lead_time_pending_until_the_congress_is_recorded() -> None:
    v = s.Village()
    s.election(v)
    assert v.status("P-LEAD-TIME") == "pending"
    assert s.ducpho().checks("P-LEAD-TIME") == []  # Ba Tơ only


# -- P-ORDER ----------------------------------------------------------------------------

def test_p_order_recognition_strictly_before_the_congress() -> None:
    assert s.bato().status("P-ORDER") == "pass"
    v = s.bato(recognised="2022-07-08")  # the same day as the congress is not before it
    [check] = v.checks("P-ORDER")
    assert check["status"] == "fail" and check["events"] == ["held", "recognised"]


def test_p_order_pending_before_the_congress() -> None:
    v = s.Village()
    s.election(v)
    assert v.status("P-ORDER") == "pending"


# -- P-SAME-PERSON ----------------------------------------------------------------------

def test_p_same_person_secretary_passes() -> None:
    out = s.bato().judge()
    assert out["same_person"] == "secretary"
    assert [c["status"] for c in out["checks"] if c["rule"] == "P-SAME-PERSON"] == ["pass"]


def test_p_same_person_committee_passes_in_ba_to_but_deviates_in_duc_pho() -> None:
    v = s.bato().set("approved", secretary="lan", deputy="bay", committee=["lan", "bay", "hung"])
    assert v.judge()["same_person"] == "committee"
    assert v.status("P-SAME-PERSON") == "pass"
    w = s.ducpho().set("approved", secretary="lan", deputy="bay", committee=["lan", "bay", "hung"])
    assert w.status("P-SAME-PERSON") == "deviation"


def test_p_same_person_deputy_passes_in_both() -> None:
    for v in (s.bato(), s.ducpho()):
        v.set("approved", secretary="lan", deputy="hung")
        assert v.judge()["same_person"] == "deputy" and v.status("P-SAME-PERSON") == "pass"


def test_p_same_person_outside_is_a_deviation_once_approved_pending_before() -> None:
    v = s.bato().set("approved", secretary="lan", deputy="bay", committee=["lan", "bay", "ro"])
    assert v.judge()["same_person"] == "outside"
    assert v.status("P-SAME-PERSON") == "deviation"
    assert v.status("P-SAME-PERSON", D("2022-07-24")) == "pending"


def test_p_same_person_a_head_who_is_not_the_nominee_deviates_and_may_be_a_non_member() -> None:
    v = s.bato(votes={"tuan": 90, "hung": 20})
    v.set("recognised", person="tuan")
    out = v.judge()
    assert out["same_person"] == "non_member" and out["leadership"]["head"] == "tuan"
    assert v.status("P-SAME-PERSON") == "deviation"


def test_p_same_person_none_without_a_head() -> None:
    v = s.bato(recognised=None)
    assert v.judge()["same_person"] == "none"
    assert v.status("P-SAME-PERSON") == "deviation"
    assert v.drop("approved").status("P-SAME-PERSON") == "pending"


# -- P-ONE-DAY --------------------------------------------------------------------------

def test_p_one_day_ba_to_elects_on_sunday_15_may_2022() -> None:
    assert s.bato().status("P-ONE-DAY") == "pass"
    [check] = s.bato(day="2022-05-22").checks("P-ONE-DAY")
    assert check["status"] == "fail" and "15/05/2022" in check["detail_vi"]
    [check] = s.bato(day="2022-05-14").checks("P-ONE-DAY")
    assert check["status"] == "fail" and "thứ Bảy, không phải Chủ nhật" in check["detail_vi"]


def test_p_one_day_duc_pho_any_sunday() -> None:
    assert s.ducpho().status("P-ONE-DAY") == "pass"
    assert s.ducpho().set("count", "2025-03-15").status("P-ONE-DAY") == "fail"


def test_p_one_day_judges_the_planned_day_before_the_count() -> None:
    v = s.bato().drop("count", "recognised")
    [check] = v.checks("P-ONE-DAY", D("2022-05-01"))
    assert check["status"] == "pass" and "dự kiến" in check["detail_vi"]


# -- P-TERM -----------------------------------------------------------------------------

def test_p_term_congress_within_six_months_of_the_election() -> None:
    assert s.bato().status("P-TERM") == "pass"
    v = s.Village()
    s.election(v)
    s.congress(v, day="2022-11-15", report="2022-11-16", approve="2022-11-20")
    assert v.status("P-TERM") == "pass"
    w = s.Village()
    s.election(w)
    s.congress(w, day="2022-11-16", report="2022-11-17", approve="2022-11-21")
    assert w.status("P-TERM") == "fail"


def test_p_term_a_stated_term_must_be_two_and_a_half_years() -> None:
    assert s.bato().set("recognised", term_years="2.5").status("P-TERM") == "pass"
    [check] = s.bato().set("recognised", term_years="2").checks("P-TERM")
    assert check["status"] == "fail" and "phải là 2,5 năm" in check["detail_vi"]


def test_p_term_pending_until_the_congress() -> None:
    v = s.Village()
    s.election(v)
    assert v.status("P-TERM") == "pending"
