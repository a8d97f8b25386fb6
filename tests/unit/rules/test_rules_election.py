"""The village-head election (RULES.md §3), one rule at a time: pass, fail and the boundary."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import rules_scenario as s

D = date.fromisoformat


# -- E-PLAN ---------------------------------------------------------------------------

def test_e_plan_passes_at_exactly_20_days_and_fails_at_19() -> None:
    assert s.bato(ordered="2022-04-25").status("E-PLAN") == "pass"
    v = s.bato(ordered="2022-04-26")
    [check] = v.checks("E-PLAN")
    assert check["status"] == "fail" and check["events"] == ["ordered", "count"]
    assert "19 ngày; cần ít nhất 20 ngày" in check["detail_vi"]


def test_e_plan_without_a_decision_is_pending_then_fails() -> None:
    v = s.Village()
    s.election(v)
    v.drop("ordered", "count", "recognised")
    assert v.status("E-PLAN") == "pending"  # no election day known yet
    v = s.bato().drop("ordered")
    assert v.status("E-PLAN") == "fail"  # the count shows the election happened without one


# -- E-TEAM ---------------------------------------------------------------------------

def test_e_team_passes_at_10_days_and_fails_at_9() -> None:
    assert s.bato().set("team", "2022-05-05").status("E-TEAM") == "pass"
    assert s.bato().set("team", "2022-05-06").status("E-TEAM") == "fail"


def test_e_team_leader_must_be_a_member() -> None:
    [check] = s.bato().set("team", leader="hung").checks("E-TEAM")
    assert check["status"] == "fail" and "tổ trưởng hung" in check["detail_vi"]


def test_e_team_no_member_may_be_a_candidate_or_receive_votes() -> None:
    assert s.bato().set("team", members=["lan", "bay", "tuan"]).status("E-TEAM") == "fail"
    v = s.bato().set("count", votes={"hung": 96, "tuan": 18, "ro": 1})
    [check] = v.checks("E-TEAM")
    assert check["status"] == "fail" and "ro" in check["detail"] and check["events"] == ["team", "count"]


# -- E-NOTICE (vn-2023 only) --------------------------------------------------------------

def test_e_notice_at_7_days_passes_and_at_6_fails() -> None:
    assert s.ducpho().set("notice", "2025-03-09").status("E-NOTICE") == "pass"
    assert s.ducpho().set("notice", "2025-03-10").status("E-NOTICE") == "fail"
    assert s.bato().checks("E-NOTICE") == []  # not a rule of vn-2008


# -- E-LIST ---------------------------------------------------------------------------

def test_e_list_needs_draft_then_agreement_then_official_list() -> None:
    assert s.bato().status("E-LIST") == "pass"
    v = s.bato().set("agreed", "2022-04-29")  # the cell agrees after the official list
    [check] = v.checks("E-LIST")
    assert check["status"] == "fail" and "có trước" in check["detail_vi"]
    assert s.bato().drop("drafted").status("E-LIST") == "fail"


def test_e_list_cell_introduces_at_least_one_candidate() -> None:
    assert s.bato().set("agreed", candidates=[]).status("E-LIST") == "fail"


def test_e_list_official_list_15_days_before_boundary() -> None:
    assert s.bato().set("finalised", "2022-04-30").status("E-LIST") == "pass"
    assert s.bato().set("finalised", "2022-05-01").status("E-LIST") == "fail"


def test_e_list_vn_2008_allows_at_most_two_candidates_vn_2023_more() -> None:
    v = s.bato()
    v.person("ba")
    assert v.set("finalised", candidates=["hung", "tuan", "ba"]).status("E-LIST") == "fail"
    w = s.ducpho()
    w.person("ba")
    assert w.set("finalised", candidates=["hung", "tuan", "ba"]).status("E-LIST") == "pass"


def test_e_list_missing_official_list_is_pending_until_15_days_before() -> None:
    v = s.bato().drop("finalised", "count", "recognised")
    assert v.status("E-LIST", D("2022-04-30")) == "pending"
    assert v.status("E-LIST", D("2022-05-01")) == "fail"


# -- E-QUORUM -------------------------------------------------------------------------

def test_e_quorum_exactly_half_fails_and_one_more_passes() -> None:
    [check] = s.bato(total=400, attending=200, votes={"hung": 150}).checks("E-QUORUM")
    assert check["status"] == "fail" and check["events"] == ["count"]
    assert check["detail_vi"] == "200/400 hộ dự họp (50%); cần hơn 200 hộ"
    assert s.bato(total=400, attending=201, votes={"hung": 201}).status("E-QUORUM") == "pass"


def test_e_quorum_does_not_apply_to_a_household_ballot_count() -> None:
    v = s.bato(total=400, attending=150, votes={"hung": 250})
    v.set("count", household_ballots=True, ballots_issued=400, ballots_returned=300, valid=297)
    assert v.status("E-QUORUM") == "not_applicable"
    assert v.status("E-WINNER") == "pass"  # Q2: judged like any count, against the whole electorate
    assert v.status("E-TALLY") == "pass"


def test_e_quorum_vn_2023_counts_households_only() -> None:
    assert s.ducpho().set("count", electorate="voters").status("E-QUORUM") == "fail"
    assert s.bato().set("count", electorate="voters").status("E-QUORUM") == "pass"


# -- E-TALLY --------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "words"), [
    ({"ballots_issued": 119}, "phiếu phát ra 119 > số người dự 118"),
    ({"ballots_returned": 117}, "hợp lệ 115 + không hợp lệ 3 ≠ thu vào 117"),
    ({"ballots_issued": 117}, "phiếu thu vào 118 > phát ra 117"),
    ({"votes": {"hung": 100, "tuan": 16}}, "tổng số phiếu bầu 116 > phiếu hợp lệ 115"),
])
def test_e_tally_each_sum_must_hold(change: dict[str, Any], words: str) -> None:
    [check] = s.bato().set("count", **change).checks("E-TALLY")
    assert check["status"] == "fail" and words in check["detail_vi"]


def test_e_tally_passes_when_everything_adds_up_and_for_a_show_of_hands() -> None:
    assert s.bato().status("E-TALLY") == "pass"
    v = s.bato().set("count", method="show_of_hands", ballots_issued=None)
    v.set("count", **dict.fromkeys(("ballots_returned", "valid", "invalid")))
    assert v.status("E-TALLY") == "pass"


# -- E-WINNER -------------------------------------------------------------------------

def test_e_winner_needs_more_than_half_of_the_whole_electorate_not_of_valid_ballots() -> None:
    # 95 of 145 valid ballots (65.5 %) but 95 of 200 households (47.5 %): nobody is elected.
    v = s.bato(total=200, attending=148, votes={"hung": 95, "tuan": 50})
    [check] = v.checks("E-WINNER")
    assert check["status"] == "fail" and check["events"] == ["count", "recognised"]
    assert "ông/bà hung được 95/200 hộ (47,5%); cần hơn 100 hộ" in check["detail_vi"]


def test_e_winner_detail_speaks_vietnamese_numbers() -> None:
    v = s.bato(total=310, attending=216, votes={"hung": 110, "tuan": 99})
    v.person("hung", name="Đinh Văn A")
    [check] = v.checks("E-WINNER")
    assert "Đinh Văn A (hung) được 110/310 hộ (35,5%); cần hơn 155 hộ" in check["detail_vi"]
    assert "has 110 of 310 households (35.5%); more than 155 needed" in check["detail"]


def test_e_winner_boundary_half_fails_one_more_passes() -> None:
    assert s.bato(total=300, attending=250, votes={"hung": 150}).status("E-WINNER") == "fail"
    assert s.bato(total=300, attending=250, votes={"hung": 151}).status("E-WINNER") == "pass"


def test_e_winner_a_tie_at_the_top_elects_nobody() -> None:
    v = s.bato(total=100, attending=100, votes={"hung": 51, "tuan": 51}, recognised=None)
    [check] = v.checks("E-WINNER")
    assert check["status"] == "pass" and "bằng phiếu cao nhất" in check["detail_vi"]  # nobody declared: lawful
    v.add("election.recognised", "2022-05-18", person="hung", decision="x")
    assert v.status("E-WINNER") == "fail"


def test_e_winner_nobody_with_a_majority_and_nobody_declared_passes() -> None:
    v = s.bato(votes={"hung": 60, "tuan": 50}, recognised=None)
    [check] = v.checks("E-WINNER")
    assert check["status"] == "pass" and "phải tổ chức bầu lại" in check["detail_vi"]


def test_e_winner_a_floor_nominee_may_win() -> None:
    v = s.bato(votes={"floor": 80, "hung": 30}, recognised=None)
    v.person("floor", party=None)
    v.add("election.recognised", "2022-05-18", person="floor", decision="x")
    assert v.status("E-WINNER") == "pass"


def test_e_winner_minutes_declaring_the_wrong_person_fail() -> None:
    assert s.bato().set("count", elected="tuan").status("E-WINNER") == "fail"


def test_e_winner_a_later_recognition_of_someone_without_a_majority_fails() -> None:
    # A second decision after the count recognises tuan (19 of 142 households): nobody may hold office on that.
    v = s.bato()
    v.add("election.recognised", "2022-06-01", id="recognised-2", person="tuan", decision="60/QĐ-UBND")
    assert v.judge()["leadership"]["head"] == "tuan"
    [check] = v.checks("E-WINNER")
    assert check["status"] == "fail" and check["events"] == ["count", "recognised", "recognised-2"]
    assert "tuan được 19/142 hộ" in check["detail_vi"]
    # The winner recognised again (a decision re-issued) is no breach.
    w = s.bato()
    w.add("election.recognised", "2022-06-01", id="recognised-2", person="hung", decision="60/QĐ-UBND")
    assert w.status("E-WINNER") == "pass"


def test_e_winner_one_check_per_count() -> None:
    v = s.bato(votes={"hung": 60, "tuan": 50}, recognised=None)
    v.add("election.rerun_ordered", "2022-05-17", reason="không ai quá nửa", new_date="2022-05-22")
    v.add("election.counted", "2022-05-22", "election_team", electorate="households", electorate_total=142,
          attending=120, ballots_issued=120, ballots_returned=120, valid=120, invalid=0, votes={"hung": 100},
          method="secret_ballot")
    v.add("election.recognised", "2022-05-24", person="hung", decision="y")
    assert v.statuses("E-WINNER") == ["pass", "pass"]
    assert v.statuses("E-RECOGNISE") == ["pass", "pass"]


# -- E-RECOGNISE ------------------------------------------------------------------------

def test_e_recognise_counts_working_days_across_the_may_2022_holidays() -> None:
    # A count on Friday 29/4/2022: 30/4–3/5 are off, the 5th working day is Tuesday 10/5.
    v = s.bato(day="2022-04-29", recognised="2022-05-10")
    assert v.status("E-RECOGNISE") == "pass"
    v = s.bato(day="2022-04-29", recognised="2022-05-11")
    [check] = v.checks("E-RECOGNISE")
    assert check["status"] == "fail" and "hạn 10/05/2022" in check["detail_vi"]


def test_e_recognise_runs_from_the_receipt_date_when_recorded() -> None:
    v = s.bato(recognised="2022-05-23").set("count", received="2022-05-16")
    assert v.status("E-RECOGNISE") == "pass"
    assert s.bato(recognised="2022-05-23").status("E-RECOGNISE") == "fail"  # 6 working days after the count


def test_e_recognise_is_pending_until_the_deadline_and_fails_the_day_after() -> None:
    v = s.bato(recognised=None)
    assert v.status("E-RECOGNISE", D("2022-05-20")) == "pending"  # the 5th working day after 15/5
    [check] = v.checks("E-RECOGNISE", D("2022-05-21"))
    assert check["status"] == "fail" and check["events"] == ["count"] and "quá hạn 20/05/2022" in check["detail_vi"]


def test_e_recognise_the_commune_must_order_a_rerun_where_nobody_won() -> None:
    assert s.bato(votes={"hung": 60, "tuan": 50}).status("E-RECOGNISE") == "fail"
    v = s.bato(votes={"hung": 96}, recognised=None)
    v.add("election.rerun_ordered", "2022-05-17", reason="?", new_date="2022-05-22")
    assert v.status("E-RECOGNISE") == "fail"  # hung had won


# -- E-REELECT ------------------------------------------------------------------------

def _failed(v: s.Village, rerun_day: str | None) -> s.Village:
    v.add("election.rerun_ordered", "2022-05-17", reason="không ai quá nửa", new_date=rerun_day or "2022-05-29")
    if rerun_day:
        v.add("election.counted", rerun_day, "election_team", electorate="households", electorate_total=142,
              attending=120, ballots_issued=120, ballots_returned=120, valid=120, invalid=0,
              votes={"hung": 100}, method="secret_ballot")
    return v


def test_e_reelect_vn_2008_within_15_days_boundary() -> None:
    assert _failed(s.bato(votes={"hung": 60}, recognised=None), "2022-05-30").status("E-REELECT") == "pass"
    assert _failed(s.bato(votes={"hung": 60}, recognised=None), "2022-05-31").status("E-REELECT") == "fail"
    pending = _failed(s.bato(votes={"hung": 60}, recognised=None), None)
    assert pending.status("E-REELECT", D("2022-05-30")) == "pending"
    assert pending.status("E-REELECT", D("2022-05-31")) == "fail"


def test_e_reelect_vn_2023_reports_the_gap_and_never_fails() -> None:
    v = s.ducpho().set("count", votes={"hung": 60}).drop("recognised")
    [check] = v.checks("E-REELECT")
    assert check["status"] == "pending" and "không tính vi phạm" in check["detail_vi"]
    v.add("election.rerun_ordered", "2025-03-18", reason="?", new_date="2025-06-01")
    assert v.status("E-REELECT") == "pass"


def test_e_reelect_not_applicable_when_every_count_elected() -> None:
    assert s.bato().status("E-REELECT") == "not_applicable"


# -- E-STANDARD -----------------------------------------------------------------------

def test_e_standard_21_on_election_day_birthday_on_the_day() -> None:
    v = s.bato()
    v.person("hung", born="2001-05-15")
    assert v.status("E-STANDARD") == "pass"
    v.person("hung", born="2001-05-16")
    [check] = v.checks("E-STANDARD")
    assert check["status"] == "fail" and "20 tuổi vào ngày 15/05/2022; phải đủ 21 tuổi" in check["detail_vi"]


def test_e_standard_head_must_live_in_the_village() -> None:
    v = s.bato()
    v.person("hung", residence="qng.bato.badien.lang-reu")
    assert v.status("E-STANDARD") == "fail"


def test_e_standard_pending_without_a_recognised_head() -> None:
    assert s.bato(recognised=None).status("E-STANDARD") == "pending"


# -- E-REMOVAL (vn-2023 only) -------------------------------------------------------------

def test_e_removal_not_applicable_without_a_removal() -> None:
    assert s.ducpho().status("E-REMOVAL") == "not_applicable"
    assert s.bato().checks("E-REMOVAL") == []


def _removed(**facts: Any) -> s.Village:
    v = s.ducpho()
    v.add("head.removal_recognised", "2025-06-10", id="removed", person="hung", **{"cause": "resigned", **facts})
    return v


def test_e_removal_new_election_within_60_days() -> None:
    v = _removed()
    assert v.status("E-REMOVAL", D("2025-08-09")) == "pending"
    assert v.status("E-REMOVAL", D("2025-08-10")) == "fail"
    v.add("election.counted", "2025-08-09", "election_team", electorate="households", electorate_total=142,
          attending=120, ballots_issued=120, ballots_returned=120, valid=120, invalid=0, votes={"lan": 100},
          method="secret_ballot")
    assert v.status("E-REMOVAL") == "pass"


def test_e_removal_recognised_within_5_working_days_of_the_request() -> None:
    assert _removed(requested="2025-06-03").status("E-REMOVAL", D("2025-06-20")) == "pending"
    [check] = _removed(requested="2025-06-02").checks("E-REMOVAL", D("2025-06-20"))
    assert check["status"] == "fail" and "quá hạn 09/06/2025" in check["detail_vi"]


def test_e_removal_recall_petition_needs_half_of_the_households() -> None:
    v = _removed(cause="recalled", petition_share="0.45")
    [check] = v.checks("E-REMOVAL", D("2025-06-20"))
    assert check["status"] == "fail" and "45%" in check["detail_vi"]
    assert _removed(cause="recalled", petition_share="0.5").status("E-REMOVAL", D("2025-06-20")) == "pending"


def test_e_removal_clears_the_head() -> None:
    assert _removed().judge()["leadership"]["head"] is None
