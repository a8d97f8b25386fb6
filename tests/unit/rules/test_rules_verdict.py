"""The verdict as a whole: EVENTS.md's shape, order, leadership, corrections, as-of."""

from __future__ import annotations

import json
from datetime import date

import rules_scenario as s

from ledger.rules.verdict import overall

D = date.fromisoformat


def test_verdict_has_exactly_the_contract_fields_and_a_few_more() -> None:
    out = s.bato().judge()
    assert list(out) == ["village", "as_of", "view", "rulesets", "ruleset_digest", "verdict", "same_person",
                         "leadership", "checks"]
    assert list(out["leadership"]) == ["head", "secretary", "deputy", "committee"]
    for check in out["checks"]:
        assert list(check) == ["rule", "ruleset", "status", "events", "detail", "detail_vi", "confidence"]
    assert out["village"] == s.BATO and out["ruleset_digest"].startswith("sha256:")


def test_checks_follow_the_sets_then_their_rules_and_the_output_is_deterministic() -> None:
    first, again = s.bato().judge(), s.bato().judge()
    assert json.dumps(first, sort_keys=False) == json.dumps(again, sort_keys=False)
    order = [c["ruleset"] for c in first["checks"]]
    assert order == sorted(order, key=["vn-2008", "party-2014", "qn-bato-2022"].index)
    assert [c["rule"] for c in first["checks"]][:3] == ["E-PLAN", "E-TEAM", "E-LIST"]


def test_overall_verdict_from_the_statuses() -> None:
    assert overall(["pass", "fail", "pending"]) == "violations"
    assert overall(["pass", "pending", "deviation"]) == "incomplete"
    assert overall(["pass", "waived", "deviation", "not_applicable"]) == "compliant"
    assert s.bato().judge()["verdict"] == "compliant"
    assert s.bato(recognised="2022-06-30").judge()["verdict"] == "violations"


def test_every_fail_names_its_events_and_every_detail_speaks_both_languages() -> None:
    v = s.bato(total=400, attending=200, votes={"hung": 150, "tuan": 40}, recognised="2022-06-01")
    v.drop("notice", "reported")
    for check in v.judge()["checks"]:
        assert check["detail"] and check["detail_vi"]
        if check["status"] == "fail":
            assert check["events"], check


def test_head_is_the_head_as_recorded_even_when_the_recognition_is_unlawful() -> None:
    v = s.bato(votes={"hung": 60, "tuan": 50})  # recognised without a majority
    out = v.judge()
    assert out["leadership"]["head"] == "hung"
    assert {c["rule"]: c["status"] for c in out["checks"]}["E-WINNER"] == "fail"


def test_leadership_from_the_approval() -> None:
    assert s.bato().judge()["leadership"] == {"head": "hung", "secretary": "hung", "deputy": "lan",
                                              "committee": ["hung", "lan", "bay"]}


def _corrected_count() -> s.Village:
    v = s.bato(votes={"hung": 61, "tuan": 19})
    v.add("correction.recorded", "2022-05-17", "election_team", id="fix", corrects="count",
          reason="chép nhầm", facts={"votes": {"hung": 101, "tuan": 19}})
    return v


def test_corrections_are_applied_by_default_and_named_in_the_checks() -> None:
    out = _corrected_count().judge()
    assert out["view"] == "as_corrected"
    [winner] = [c for c in out["checks"] if c["rule"] == "E-WINNER"]
    assert winner["status"] == "pass" and winner["events"] == ["count", "fix", "recognised"]


def test_as_recorded_ignores_corrections() -> None:
    out = _corrected_count().judge(as_recorded=True)
    assert out["view"] == "as_recorded"
    assert {c["rule"]: c["status"] for c in out["checks"]}["E-WINNER"] == "fail"


def test_a_correction_may_fix_an_events_date() -> None:
    v = s.bato(recognised="2022-05-30")
    v.add("correction.recorded", "2022-06-01", id="fix", corrects="recognised", reason="ngày ghi nhầm",
          facts={"date": "2022-05-19"})
    assert v.status("E-RECOGNISE") == "pass"
    assert v.status("E-RECOGNISE", as_recorded=True) == "fail"


def test_a_corrected_profile_is_used_as_corrected() -> None:
    v = s.bato()
    v.profile("hung", "2022-04-01", born="2003-01-01")
    v.add("correction.recorded", "2022-04-02", id="fix", corrects=v.events[-1].id, reason="nhầm năm sinh",
          facts={"born": "1978-08-20"})
    assert v.status("E-STANDARD") == "pass"
    assert v.status("E-STANDARD", as_recorded=True) == "fail"


def test_events_after_the_as_of_date_are_not_yet_known() -> None:
    out = s.bato().judge(D("2022-05-17"))
    assert out["as_of"] == "2022-05-17" and out["leadership"]["head"] is None
    statuses = {c["rule"]: c["status"] for c in out["checks"]}
    assert statuses["E-RECOGNISE"] == "pending" and statuses["C-REPORT"] == "pending"
    assert out["verdict"] == "incomplete"


def test_a_village_outside_any_pilot_gets_no_overlay() -> None:
    v = s.Village(s.SONTINH)
    s.election(v, day="2025-03-16", ordered="2025-02-14")
    assert v.judge()["rulesets"] == ["vn-2023", "party-2024"]
