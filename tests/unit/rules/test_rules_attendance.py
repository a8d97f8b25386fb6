"""Upper-level members at residential cell meetings (RULES.md §6), one rule at a time."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.rules.attendance import (
    Attendance,
    MemberRecord,
    Plan,
    Report,
    a_frequency,
    a_plan,
    a_report,
    a_rotate,
    judge_member,
    known,
    periods,
    ruleset,
    ruleset_digest,
)

D = date.fromisoformat
LANG_MA = "qng.bato.badien.lang-ma"
LANG_VIEN = "qng.bato.badien.lang-vien"
GO_KHE = "qng.bato.badien.go-khe"
LATER = D("2030-12-31")


def meeting(day: str, cell: str = LANG_MA, report: str | None = None, ident: str = "") -> Attendance:
    ident = ident or f"a-{day}-{cell.rsplit('.', 1)[1]}"
    reports = (Report(f"r-{ident}", D(report)),) if report else ()
    return Attendance(ident, D(day), cell, reports)


def plan(year: int = 2022, day: str = "2022-01-10", cells: tuple[str, ...] = (LANG_MA, LANG_VIEN)) -> Plan:
    return Plan(f"plan-{day}", year, D(day), cells)


def district(*attendances: Attendance, plans: tuple[Plan, ...] = (plan(),)) -> MemberRecord:
    return MemberRecord("qng.bato.m001", "district", plans=plans, attendances=attendances)


def quarterly() -> tuple[Attendance, ...]:
    """One meeting per quarter of 2022, each reported the next day."""
    return tuple(meeting(f"2022-{m:02d}-05", report=f"2022-{m:02d}-06") for m in (2, 5, 8, 11))


def checks(record: MemberRecord, rule: str, as_of: date = LATER, year: int = 2022) -> list[dict[str, object]]:
    return [c for c in judge_member(record, year, as_of)["checks"] if c["rule"] == rule]


def statuses(record: MemberRecord, rule: str, as_of: date = LATER) -> list[object]:
    return [c["status"] for c in checks(record, rule, as_of)]


# -- A-REPORT ---------------------------------------------------------------------------


def test_a_report_district_report_on_day_3_passes() -> None:
    [found] = a_report(known(district(meeting("2022-03-05", report="2022-03-08")), 2022, LATER), 2022, LATER)
    assert found.status == "pass"
    assert "sau 3 ngày; tối đa 3 ngày sau buổi sinh hoạt (hạn 08/03/2022)" in found.detail_vi


def test_a_report_district_report_on_day_4_fails_naming_attendance_and_report() -> None:
    [found] = a_report(known(district(meeting("2022-03-05", report="2022-03-09", ident="a1")), 2022, LATER),
                       2022, LATER)
    assert found.status == "fail"
    assert found.events == ("a1", "r-a1")
    assert "4 day(s) after; at most 3 calendar day(s)" in found.detail
    assert "được báo cáo ngày 09/03/2022: sau 4 ngày" in found.detail_vi


def test_a_report_days_are_calendar_days_across_a_weekend() -> None:
    # Friday 2022-03-04: day 3 is Monday 03-07 — it passes although only one working day has gone by.
    assert statuses(district(meeting("2022-03-04", report="2022-03-07")), "A-REPORT") == ["pass"]
    assert statuses(district(meeting("2022-03-04", report="2022-03-08")), "A-REPORT") == ["fail"]


@pytest.mark.parametrize("level", ["commune_official", "commune"])
def test_a_report_commune_levels_have_one_day(level: str) -> None:
    on_time = MemberRecord("m", level, own_cell=LANG_VIEN, attendances=(meeting("2022-03-05", report="2022-03-06"),))
    late = MemberRecord("m", level, own_cell=LANG_VIEN, attendances=(meeting("2022-03-05", report="2022-03-07"),))
    assert statuses(on_time, "A-REPORT") == ["pass"]
    assert statuses(late, "A-REPORT") == ["fail"]


def test_a_report_commune_level_window_is_a_medium_confidence_choice() -> None:
    record = MemberRecord("m", "commune", attendances=(meeting("2022-03-05", report="2022-03-06"),))
    assert [c["confidence"] for c in checks(record, "A-REPORT")] == ["medium"]
    assert [c["confidence"] for c in checks(district(*quarterly()), "A-REPORT")] == ["high"] * 4


def test_a_report_missing_is_pending_until_the_deadline_then_fails_no_record() -> None:
    record = district(meeting("2022-03-05", ident="a1"))
    [pending] = checks(record, "A-REPORT", D("2022-03-08"))
    assert pending["status"] == "pending" and "chưa có báo cáo" in str(pending["detail_vi"])
    [failed] = checks(record, "A-REPORT", D("2022-03-09"))
    assert failed["status"] == "fail" and failed["events"] == ["a1"]
    assert "không có báo cáo trong hồ sơ, đã quá hạn" in str(failed["detail_vi"])


def test_a_report_a_report_not_yet_recorded_on_the_as_of_date_is_not_known() -> None:
    record = district(meeting("2022-03-05", report="2022-03-07"))
    assert statuses(record, "A-REPORT", D("2022-03-06")) == ["pending"]
    assert statuses(record, "A-REPORT", D("2022-03-07")) == ["pass"]


def test_a_report_the_earliest_report_is_judged_and_one_before_the_meeting_fails() -> None:
    two = Attendance("a1", D("2022-03-05"), LANG_MA, (Report("late", D("2022-03-20")), Report("ok", D("2022-03-06"))))
    assert statuses(district(two), "A-REPORT") == ["pass"]
    early = Attendance("a1", D("2022-03-05"), LANG_MA, (Report("r", D("2022-03-01"), date=D("2022-03-05")),))
    [found] = checks(district(early), "A-REPORT")
    assert found["status"] == "fail" and "trước buổi sinh hoạt" in str(found["detail_vi"])


def test_a_report_not_applicable_without_attendance() -> None:
    assert statuses(district(), "A-REPORT") == ["not_applicable"]


# -- A-FREQUENCY ------------------------------------------------------------------------


def test_a_frequency_one_check_per_quarter_for_district_members() -> None:
    record = district(*quarterly())
    found = checks(record, "A-FREQUENCY")
    assert [c["status"] for c in found] == ["pass"] * 4
    assert str(found[1]["detail_vi"]).startswith("Quý II/2022 (01/04/2022 – 30/06/2022): dự 1 buổi")


def test_a_frequency_a_quarter_with_no_attendance_fails() -> None:
    q1, _q2, q3, q4 = quarterly()
    found = checks(district(q1, q3, q4), "A-FREQUENCY")
    assert [c["status"] for c in found] == ["pass", "fail", "pass", "pass"]
    assert "chỉ dự 0/1 buổi bắt buộc" in str(found[1]["detail_vi"])
    # The gap is shown by the attendances either side of it, and the plan.
    assert found[1]["events"] == [q1.id, q3.id, "plan-2022-01-10"]


def test_a_frequency_pending_before_the_period_ends_then_fails() -> None:
    q1 = quarterly()[0]
    assert statuses(district(q1), "A-FREQUENCY", D("2022-06-30")) == ["pass", "pending", "pending", "pending"]
    assert statuses(district(q1), "A-FREQUENCY", D("2022-07-01")) == ["pass", "fail", "pending", "pending"]


def test_a_frequency_a_period_passes_as_soon_as_it_is_attended() -> None:
    assert statuses(district(meeting("2022-04-02")), "A-FREQUENCY", D("2022-04-02"))[1] == "pass"


def test_a_frequency_commune_members_monthly_and_province_members_every_six_months() -> None:
    monthly = MemberRecord("m", "commune", attendances=tuple(meeting(f"2022-{m:02d}-03") for m in range(1, 13)))
    assert statuses(monthly, "A-FREQUENCY") == ["pass"] * 12
    gap = MemberRecord("m", "commune", attendances=monthly.attendances[:6] + monthly.attendances[7:])
    assert statuses(gap, "A-FREQUENCY")[6] == "fail"
    province = MemberRecord("m", "province", attendances=(meeting("2022-03-03"),))
    found = checks(province, "A-FREQUENCY")
    assert [c["status"] for c in found] == ["pass", "fail"]
    assert str(found[1]["detail_vi"]).startswith("6 tháng cuối năm 2022")


def test_a_frequency_commune_official_at_own_cell_does_not_count() -> None:
    own = MemberRecord("m", "commune_official", own_cell=LANG_MA,
                       attendances=(meeting("2022-03-03", LANG_MA, ident="own"),))
    march = checks(own, "A-FREQUENCY")[2]
    assert march["status"] == "fail" and march["events"] == ["own"]
    assert "1 buổi tại chi bộ nơi cư trú (qng.bato.badien.lang-ma) không được tính" in str(march["detail_vi"])
    elsewhere = MemberRecord("m", "commune_official", own_cell=LANG_MA, attendances=(meeting("2022-03-03", LANG_VIEN),))
    assert statuses(elsewhere, "A-FREQUENCY")[2] == "pass"


def test_a_frequency_a_member_who_moves_has_the_own_cell_of_each_meetings_day() -> None:
    moved = MemberRecord("m", "commune_official", own_cell=LANG_VIEN,
                         residences=((D("2022-01-03"), LANG_MA), (D("2022-07-01"), LANG_VIEN)),
                         attendances=(meeting("2022-03-03", LANG_VIEN), meeting("2022-08-03", LANG_VIEN),
                                      meeting("2022-09-03", LANG_MA)))
    found = statuses(moved, "A-FREQUENCY")
    assert (found[2], found[7], found[8]) == ("pass", "fail", "pass")
    assert statuses(moved, "A-REPORT") == ["fail", "fail"]  # March and September: both to report
    # Judged on 30/6, before the move was recorded: the March meeting was elsewhere all the same.
    assert statuses(moved, "A-FREQUENCY", D("2022-06-30"))[2] == "pass"


def test_a_frequency_own_cell_counts_for_commune_committee_members() -> None:
    member = MemberRecord("m", "commune", own_cell=LANG_MA, attendances=(meeting("2022-03-03", LANG_MA),))
    assert statuses(member, "A-FREQUENCY")[2] == "pass"


def test_a_frequency_commune_official_without_a_residence_counts_every_cell_and_says_so() -> None:
    member = MemberRecord("m", "commune_official", attendances=(meeting("2022-03-03", LANG_MA),))
    march = checks(member, "A-FREQUENCY")[2]
    assert march["status"] == "pass" and "chưa ghi nơi cư trú" in str(march["detail_vi"])


def test_a_frequency_own_cell_meetings_need_no_report() -> None:
    member = MemberRecord("m", "commune_official", own_cell=LANG_MA, attendances=(meeting("2022-03-03", LANG_MA),))
    assert statuses(member, "A-REPORT") == ["not_applicable"]


# -- A-PLAN -----------------------------------------------------------------------------


def test_a_plan_missing_plan_fails_after_the_year() -> None:
    record = district(*quarterly(), plans=())
    [found] = checks(record, "A-PLAN")
    assert found["status"] == "fail"
    assert found["events"] == [a.id for a in quarterly()]
    assert found["detail_vi"] == "Kế hoạch dự sinh hoạt chi bộ năm 2022: không có trong hồ sơ, đã quá hạn 31/12/2022"


def test_a_plan_missing_plan_pending_until_the_years_last_day() -> None:
    assert statuses(district(plans=()), "A-PLAN", D("2022-12-31")) == ["pending"]
    assert statuses(district(plans=()), "A-PLAN", D("2023-01-01")) == ["fail"]


def test_a_plan_filed_passes_and_a_plan_for_another_year_does_not_count() -> None:
    assert statuses(district(), "A-PLAN") == ["pass"]
    assert statuses(district(plans=(plan(2021, "2021-01-10"),)), "A-PLAN") == ["fail"]
    assert statuses(district(plans=(plan(2022, "2023-01-05"),)), "A-PLAN") == ["fail"]


def test_a_plan_not_required_at_commune_levels() -> None:
    for level in ("commune", "commune_official"):
        [found] = a_plan(MemberRecord("m", level), 2022, LATER)
        assert found.status == "not_applicable" and "Không bắt buộc" in found.detail_vi
    assert statuses(MemberRecord("m", "province"), "A-PLAN") == ["fail"]


# -- A-ROTATE ---------------------------------------------------------------------------


def test_a_rotate_reports_distinct_cells_and_never_fails() -> None:
    record = known(district(meeting("2022-02-02", LANG_MA), meeting("2022-05-02", LANG_MA),
                            meeting("2022-08-02", GO_KHE)), 2022, LATER)
    [found] = a_rotate(record, 2022, LATER)
    assert found.status == "pass"
    assert "Dự 3 buổi tại 2 chi bộ khác nhau" in found.detail_vi
    assert "đã đến 1/2 chi bộ trong kế hoạch (chưa đến: qng.bato.badien.lang-vien)" in found.detail_vi
    assert [f.status for f in a_rotate(district(), 2022, LATER)] == ["not_applicable"]


# -- the judgement ----------------------------------------------------------------------


def test_judge_member_compliant_with_figures_per_rule() -> None:
    verdict = judge_member(district(*quarterly()), 2022, LATER)
    assert verdict["verdict"] == "compliant"
    assert verdict["rules"]["A-FREQUENCY"] == {"status": "pass", "confidence": "high", "period_months": 3,
                                              "required": 4, "covered": 4, "missed": 0, "pending": 0,
                                              "attendances": 4, "own_cell": 0}
    assert verdict["rules"]["A-REPORT"]["on_time"] == 4
    assert verdict["ruleset"] == "qng-attendance" and verdict["ruleset_digest"] == ruleset_digest()
    assert {c["rule"] for c in verdict["checks"]} == {"A-FREQUENCY", "A-REPORT", "A-PLAN", "A-ROTATE"}


def test_judge_member_incomplete_during_the_year_and_violations_after() -> None:
    q1 = quarterly()[0]
    assert judge_member(district(q1), 2022, D("2022-05-01"))["verdict"] == "incomplete"
    assert judge_member(district(q1), 2022, LATER)["verdict"] == "violations"


def test_judge_member_counts_late_missing_and_pending_reports() -> None:
    record = district(meeting("2022-02-05", report="2022-02-10"), meeting("2022-05-05"),
                      meeting("2022-08-05", report="2022-08-06"), meeting("2022-12-30"))
    rules = judge_member(record, 2022, D("2023-01-01"))["rules"]
    assert {k: rules["A-REPORT"][k] for k in ("judged", "on_time", "late", "missing", "pending")} == \
        {"judged": 4, "on_time": 1, "late": 1, "missing": 1, "pending": 1}


def test_attendance_of_other_years_is_left_out() -> None:
    record = district(meeting("2021-12-30", report="2022-01-01"), *quarterly())
    assert judge_member(record, 2022, LATER)["rules"]["A-REPORT"]["judged"] == 4


def test_periods_are_calendar_months_quarters_and_halves() -> None:
    assert [(p.start, p.end) for p in periods(2024, 6)] == [(D("2024-01-01"), D("2024-06-30")),
                                                             (D("2024-07-01"), D("2024-12-31"))]
    assert periods(2024, 1)[1].end == D("2024-02-29") and periods(2024, 1)[1].vi == "tháng 2/2024"
    assert [p.vi for p in periods(2022, 3)] == ["quý I/2022", "quý II/2022", "quý III/2022", "quý IV/2022"]


def test_ruleset_data_records_its_choices_and_numbers() -> None:
    data = ruleset()
    assert data["levels"]["district"]["report_days"] == 3 and data["levels"]["commune_official"]["report_days"] == 1
    assert {k: v["period_months"] for k, v in data["levels"].items()} == {
        "commune": 1, "commune_official": 1, "district": 3, "province": 6}
    assert {"days", "commune_report", "own_cell", "plan_due"} <= set(data["choices"])
    assert ruleset_digest().startswith("sha256:") and len(ruleset_digest()) == 71


def test_a_frequency_function_judges_a_known_record() -> None:
    found = a_frequency(known(district(*quarterly()), 2022, LATER), 2022, LATER)
    assert [f.status for f in found] == ["pass"] * 4
