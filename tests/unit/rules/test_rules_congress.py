"""The party cell congress (RULES.md §4), one rule at a time."""

from __future__ import annotations

from datetime import date

import rules_scenario as s

D = date.fromisoformat


def small_cell(full: int = 8) -> s.Village:
    """A cell below 9 full members: secretary and deputy elected directly, no chi ủy."""
    v = s.Village()
    s.election(v)
    s.congress(v, full=full, committee=False)
    return v


# -- C-STRUCTURE ------------------------------------------------------------------------

def test_c_structure_nine_full_members_elect_a_chi_uy_first() -> None:
    assert s.bato().status("C-STRUCTURE") == "pass"
    assert small_cell(8).status("C-STRUCTURE") == "pass"
    [check] = small_cell(9).checks("C-STRUCTURE")
    assert check["status"] == "fail" and "9 đảng viên chính thức (≥ 9) nhưng không bầu chi ủy" in check["detail_vi"]


def test_c_structure_exempted_members_still_count_toward_nine() -> None:
    v = small_cell(9)
    v.set("held", excluded={"exempt_absent": 2}, summoned=9)
    assert v.status("C-STRUCTURE") == "fail"


def test_c_structure_a_small_cell_elects_no_chi_uy() -> None:
    v = s.Village()
    s.election(v)
    s.congress(v, full=8)
    assert v.status("C-STRUCTURE") == "fail"


def test_c_structure_a_small_cell_may_not_have_a_chi_uy_approved() -> None:
    # No chi ủy ballot, but the approval names one: a cell of 8 has no chi ủy (and the head would count as in it).
    v = small_cell(8).set("approved", committee=["hung", "lan", "bay"])
    [check] = v.checks("C-STRUCTURE")
    assert check["status"] == "fail" and "8 đảng viên chính thức (< 9): không bầu chi ủy" in check["detail_vi"]
    assert "approved" in check["events"]


def test_c_structure_secretary_from_the_chi_uy_and_after_it() -> None:
    v = s.bato().set("c-secretary", votes={"tuan": 9, "hung": 1})
    assert v.status("C-STRUCTURE") == "fail"  # tuan was not elected to the chi ủy
    v = s.bato()
    v.events.insert(v.events.index(v.get("c-committee")), v.events.pop(v.events.index(v.get("c-secretary"))))
    assert v.status("C-STRUCTURE") == "fail"


def test_c_structure_at_most_seven_in_the_chi_uy() -> None:
    assert s.bato().set("c-committee", seats=8).status("C-STRUCTURE") == "fail"


def test_c_structure_missing_secretary_ballot_fails_after_the_congress_day() -> None:
    v = s.bato().drop("c-secretary", "approved")
    assert v.status("C-STRUCTURE", D("2022-07-08")) == "pending"
    assert v.status("C-STRUCTURE", D("2022-07-09")) == "fail"


def test_c_structure_pending_without_a_congress() -> None:
    v = s.Village()
    s.election(v)
    assert v.status("C-STRUCTURE") == "pending"


# -- C-SEPARATE -------------------------------------------------------------------------

def test_c_separate_each_office_on_its_own_secret_ballot() -> None:
    assert s.bato().status("C-SEPARATE") == "pass"
    [check] = s.bato().set("c-secretary", separate=False).checks("C-SEPARATE")
    assert check["status"] == "fail" and check["events"] == ["c-secretary"]
    assert s.bato().set("c-deputy", secret=False).status("C-SEPARATE") == "fail"


def test_c_separate_a_secretary_approved_without_a_ballot_of_its_own_fails() -> None:
    # The top of the chi ủy ballot declared secretary: no secretary ballot at all.
    [check] = s.bato().drop("c-secretary").checks("C-SEPARATE")
    assert check["status"] == "fail" and check["events"] == ["approved"]


# -- C-ELIGIBLE -------------------------------------------------------------------------

def test_c_eligible_a_probationary_members_ballot_counted_fails() -> None:
    [check] = s.bato().set("c-secretary", ballots_probationary=1).checks("C-ELIGIBLE")
    assert check["status"] == "fail" and check["events"] == ["c-secretary"]
    assert "Tính 1 phiếu của đảng viên dự bị" in check["detail_vi"]


def test_c_eligible_a_probationary_member_may_not_stand() -> None:
    v = s.bato()
    v.person("ro", party="probationary")
    [check] = v.checks("C-ELIGIBLE")
    assert check["status"] == "fail" and check["events"] == ["c-committee"]


def test_c_eligible_judges_membership_on_the_congress_day() -> None:
    v = s.bato()
    v.person("ro", party="probationary")
    v.profile("ro", "2022-07-01", party={"status": "full"})
    assert v.status("C-ELIGIBLE") == "pass"


# -- C-WINNER ---------------------------------------------------------------------------

def test_c_winner_denominator_is_summoned_less_those_not_counted() -> None:
    # 12 summoned, 2 not counted → 10: 6 votes elect, 5 (exactly half) do not.
    v = s.bato().set("held", summoned=12, excluded={"transferred": 1, "suspended": 1})
    v.set("c-secretary", votes={"hung": 6, "lan": 4})
    secretary = next(c for c in v.checks("C-WINNER") if c["events"] == ["c-secretary"])
    assert secretary["status"] == "pass"
    assert "6/10; cần hơn 5 phiếu (trên 10 = 12 triệu tập − 2 không tính)" in secretary["detail_vi"]
    v.set("c-secretary", votes={"hung": 5, "lan": 5})
    secretary = next(c for c in v.checks("C-WINNER") if c["events"][0] == "c-secretary")
    assert secretary["status"] == "fail" and secretary["events"] == ["c-secretary", "approved"]


def test_c_winner_without_exclusions_the_denominator_is_everyone_summoned() -> None:
    v = s.bato().set("held", summoned=12, excluded={}).set("c-secretary", votes={"hung": 6})
    assert [c["status"] for c in v.checks("C-WINNER") if c["events"][0] == "c-secretary"] == ["fail"]


def test_c_winner_one_check_per_ballot() -> None:
    assert s.bato().statuses("C-WINNER") == ["pass", "pass", "pass"]


def test_c_winner_nobody_elected_in_a_round_passes() -> None:
    v = s.bato().set("c-deputy", votes={"lan": 5, "bay": 5}).set("approved", deputy=None)
    assert v.statuses("C-WINNER")[2] == "pass"
    assert "không ai" in v.checks("C-WINNER")[2]["detail_vi"]


def test_c_winner_a_chi_uy_elected_over_two_rounds_is_approved_whole() -> None:
    v = s.bato().set("c-committee", seats=3, votes={"hung": 10, "lan": 9, "bay": 5, "ro": 5})
    v.events.insert(v.events.index(v.get("c-secretary")), s.Village().add(
        "congress.counted", "2022-07-08", "cell", id="c-committee-2", office="committee", round=2, seats=1,
        votes={"bay": 7, "ro": 3}, separate=True, secret=True, ballots_full=10, ballots_probationary=0))
    assert v.statuses("C-WINNER") == ["pass", "pass", "pass", "pass"]
    assert v.status("C-STRUCTURE") == "pass"


def test_c_winner_an_appointed_secretary_is_not_a_ballot_winner() -> None:
    v = three_failed_rounds()
    v.add("congress.appointed", "2022-07-20", "commune_party", office="secretary", person="bay", decision="x")
    v.add("congress.approved", "2022-07-25", "commune_party", decision="y", secretary="bay", deputy="lan",
          committee=["hung", "lan", "bay"])
    assert "fail" not in v.statuses("C-WINNER")


# -- C-ROUNDS ---------------------------------------------------------------------------

def three_failed_rounds() -> s.Village:
    v = s.bato().drop("approved")
    v.set("c-secretary", votes={"hung": 5, "lan": 5})
    for n in (2, 3):
        v.add("congress.counted", "2022-07-08", "cell", id=f"c-secretary-{n}", office="secretary", round=n, seats=1,
              votes={"hung": 5, "lan": 5}, separate=True, secret=True, ballots_full=10, ballots_probationary=0)
    return v


def test_c_rounds_not_applicable_unless_three_rounds_fail() -> None:
    assert s.bato().status("C-ROUNDS") == "not_applicable"


def test_c_rounds_not_applicable_before_any_congress() -> None:
    # RULES.md §7: C-ROUNDS is not_applicable "unless three secretary rounds failed"; with no congress recorded
    # none has (as C-TERM without an earlier congress), whereas the other C- rules are pending until it is.
    v = s.Village()
    s.election(v)
    assert v.status("C-ROUNDS") == "not_applicable"
    assert v.status("C-WINNER") == "pending"


def test_c_rounds_the_higher_committee_appoints_from_the_chi_uy() -> None:
    v = three_failed_rounds()
    assert v.status("C-ROUNDS") == "pending"
    v.add("congress.appointed", "2022-07-20", "commune_party", office="secretary", person="bay", decision="x")
    assert v.status("C-ROUNDS") == "pass"
    assert v.judge()["leadership"]["secretary"] == "bay"


def test_c_rounds_an_appointee_outside_the_chi_uy_fails() -> None:
    v = three_failed_rounds()
    v.add("congress.appointed", "2022-07-20", "commune_party", office="secretary", person="tuan", decision="x")
    assert v.status("C-ROUNDS") == "fail"


def test_c_rounds_a_fourth_round_fails() -> None:
    v = three_failed_rounds()
    v.add("congress.counted", "2022-07-08", "cell", id="c-secretary-4", office="secretary", round=4, seats=1,
          votes={"hung": 5, "lan": 5}, separate=True, secret=True, ballots_full=10, ballots_probationary=0)
    assert v.status("C-ROUNDS") == "fail"


def test_c_rounds_a_fourth_round_that_elects_still_fails() -> None:
    # After three failed rounds the higher committee appoints: a fourth ballot is a breach even if it elects.
    v = three_failed_rounds()
    v.add("congress.counted", "2022-07-08", "cell", id="c-secretary-4", office="secretary", round=4, seats=1,
          votes={"hung": 7, "lan": 3}, separate=True, secret=True, ballots_full=10, ballots_probationary=0)
    [check] = v.checks("C-ROUNDS")
    assert check["status"] == "fail" and check["events"] == ["c-secretary-4"]


# -- C-REPORT ---------------------------------------------------------------------------

def test_c_report_within_7_working_days() -> None:
    # Friday 8/7/2022: the 7th working day after is Tuesday 19/7.
    assert s.bato().set("reported", "2022-07-19").status("C-REPORT") == "pass"
    assert s.bato().set("reported", "2022-07-20").status("C-REPORT") == "fail"


def test_c_report_pending_then_fails_without_a_record() -> None:
    v = s.bato().drop("reported", "approved")
    assert v.status("C-REPORT", D("2022-07-19")) == "pending"
    assert v.status("C-REPORT", D("2022-07-20")) == "fail"


# -- C-APPROVE --------------------------------------------------------------------------

def test_c_approve_within_15_working_days_of_the_report() -> None:
    # Report Tuesday 12/7/2022: the 15th working day after is Tuesday 2/8.
    assert s.bato().set("approved", "2022-08-02").status("C-APPROVE") == "pass"
    assert s.bato().set("approved", "2022-08-03").status("C-APPROVE") == "fail"


def test_c_approve_an_annulment_in_time_also_passes() -> None:
    v = s.bato().drop("approved")
    v.add("congress.annulled", "2022-07-20", "commune_party", decision="x", reason="sai quy trình")
    assert v.status("C-APPROVE") == "pass"
    assert v.judge()["leadership"]["secretary"] is None


def test_c_approve_without_a_report_runs_from_the_reports_deadline() -> None:
    v = s.bato().drop("reported", "approved")
    # Report due 19/7/2022; approval due 15 working days later: 9/8/2022.
    assert v.status("C-APPROVE", D("2022-08-09")) == "pending"
    assert v.status("C-APPROVE", D("2022-08-10")) == "fail"


# -- C-TERM -----------------------------------------------------------------------------

def test_c_term_not_applicable_without_an_earlier_congress() -> None:
    assert s.bato().status("C-TERM") == "not_applicable"


def _with_earlier(on: str) -> s.Village:
    v = s.bato()
    v.events.insert(0, s.Village().add("congress.held", on, "cell", id="held-before", full_members=10,
                                       probationary_members=0, summoned=10, excluded={}, present=10))
    return v


def test_c_term_two_and_a_half_years_give_or_take_six_months() -> None:
    assert _with_earlier("2020-01-08").status("C-TERM") == "pass"   # 30 months before 8/7/2022
    assert _with_earlier("2019-07-08").status("C-TERM") == "pass"   # 36 months: the edge
    assert _with_earlier("2019-07-07").status("C-TERM") == "fail"
    assert _with_earlier("2020-07-08").status("C-TERM") == "pass"   # 24 months: the other edge
    assert _with_earlier("2020-07-09").status("C-TERM") == "fail"


def test_c_term_an_earlier_congress_without_ballots_is_context_only() -> None:
    v = _with_earlier("2020-01-08")
    assert v.statuses("C-STRUCTURE") == ["pass"]
