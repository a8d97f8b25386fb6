"""Rule sets: chosen by dates and place, the rules RULES.md assigns them, a stable digest."""

from __future__ import annotations

import copy
from datetime import date

import pytest
import rules_scenario as s

from ledger.rules import sets as sets_module
from ledger.rules.calendar import vn_calendar
from ledger.rules.sets import all_sets, digest, get_set, select
from ledger.rules.verdict import RULES

D = date.fromisoformat


@pytest.mark.parametrize(("district", "election", "congress", "expected"), [
    ("qng.bato", "2022-05-15", "2022-07-08", ["vn-2008", "party-2014", "qn-bato-2022"]),
    ("qng.bato", "2023-08-14", "2024-10-09", ["vn-2008", "party-2014", "qn-bato-2022"]),
    ("qng.bato", "2023-08-15", "2024-10-10", ["vn-2023", "party-2024", "qn-bato-2022"]),
    ("qng.bato", "2021-12-31", "2022-03-01", ["vn-2008", "party-2014"]),
    ("qng.bato", "2026-05-17", "2026-07-01", ["vn-2023", "party-2024"]),
    ("qng.ducpho", "2025-03-16", "2025-05-09", ["vn-2023", "party-2024", "qn-ducpho-2025"]),
    ("qng.ducpho", "2024-12-29", "2025-01-10", ["vn-2023", "party-2024"]),
    ("qng.sontinh", "2025-03-16", "2025-05-09", ["vn-2023", "party-2024"]),
])
def test_sets_are_chosen_by_dates_and_district(district: str, election: str, congress: str,
                                               expected: list[str]) -> None:
    assert [r.id for r in select(district, D(election), D(congress))] == expected


MEMBERS = {
    "vn-2008": ["E-PLAN", "E-TEAM", "E-LIST", "E-QUORUM", "E-TALLY", "E-WINNER", "E-RECOGNISE", "E-REELECT",
                "E-STANDARD"],
    "vn-2023": ["E-PLAN", "E-TEAM", "E-NOTICE", "E-LIST", "E-QUORUM", "E-TALLY", "E-WINNER", "E-RECOGNISE",
                "E-REELECT", "E-STANDARD", "E-REMOVAL"],
    "party-2014": ["C-STRUCTURE", "C-SEPARATE", "C-ELIGIBLE", "C-WINNER", "C-ROUNDS", "C-REPORT", "C-APPROVE",
                   "C-TERM"],
    "qn-bato-2022": ["P-NOMINEE", "P-CRITERIA", "P-WAIVER", "P-LEAD-TIME", "P-ORDER", "P-SAME-PERSON",
                     "P-ONE-DAY", "P-TERM"],
    "qn-ducpho-2025": ["P-NOMINEE", "P-CRITERIA", "P-WAIVER", "P-ORDER", "P-SAME-PERSON", "P-ONE-DAY", "P-TERM"],
}
MEMBERS["party-2024"] = MEMBERS["party-2014"]


def test_each_set_holds_the_rules_rules_md_gives_it() -> None:
    assert {r.id: [rule["id"] for rule in r.rules] for r in all_sets()} == MEMBERS


def test_every_rule_of_every_set_has_one_function_and_every_function_a_rule() -> None:
    in_data = {rule["id"] for r in all_sets() for rule in r.rules}
    assert in_data == set(RULES)


def test_every_rule_carries_its_confidence_and_source() -> None:
    for ruleset in all_sets():
        assert ruleset.data["source"] and ruleset.version >= 1
        for rule in ruleset.rules:
            assert rule["confidence"] in {"high", "medium-high", "medium", "low"}, rule
            assert rule["source"], rule


def test_open_questions_are_answered_in_the_data() -> None:
    choices = {q for r in all_sets() for q in r.data.get("choices", {})}
    assert {"Q1", "Q2", "Q3", "Q4"} <= choices


def test_numbers_come_from_the_data() -> None:
    assert get_set("vn-2008").rule("E-REELECT")["days_after"] == 15
    assert get_set("vn-2023").rule("E-REELECT")["days_after"] is None
    assert get_set("vn-2023").rule("E-REMOVAL")["new_election_days"] == 60
    assert get_set("party-2024").rule("C-STRUCTURE")["committee_threshold"] == 9
    assert get_set("qn-bato-2022").rule("P-CRITERIA")["min_education"] == "thcs"
    assert get_set("qn-ducpho-2025").rule("P-CRITERIA")["min_education"] == "thpt"


BATO_DIGEST = "sha256:c8b77db81706b389ce44de5c539e105a508838ed6e42d4f9888d0c37c30f7e6d"


def test_digest_is_stable() -> None:
    # Changing rule data or the calendar changes this on purpose: bump the set's version
    # and update the pinned value and the example verdicts together.
    chosen = select("qng.bato", D("2022-05-15"), D("2022-07-08"))
    assert digest(chosen) == digest(list(chosen)) == BATO_DIGEST
    assert s.bato().judge()["ruleset_digest"] == BATO_DIGEST


def test_digest_covers_the_rule_numbers_and_the_calendar(monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = select("qng.bato", D("2022-05-15"), D("2022-07-08"))
    changed = copy.deepcopy(dict(chosen[0].data))
    changed["rules"][0]["days_before"] = 21
    assert digest([sets_module.RuleSet("vn-2008", 1, "election", changed), *chosen[1:]]) != BATO_DIGEST
    calendar = vn_calendar()
    fewer = copy.deepcopy(calendar.data)
    fewer["days_off"]["2022"].remove("2022-05-03")
    monkeypatch.setattr(sets_module, "vn_calendar", lambda: type(calendar)(**{**calendar.__dict__, "data": fewer}))
    assert digest(chosen) != BATO_DIGEST


def test_without_any_date_the_sets_of_the_as_of_date_apply() -> None:
    v = s.Village(s.BATO)
    assert v.judge(D("2022-06-01"))["rulesets"] == ["vn-2008", "party-2014", "qn-bato-2022"]
    assert v.judge(D("2026-06-01"))["rulesets"] == ["vn-2023", "party-2024"]


def test_the_congress_date_falls_back_to_election_day() -> None:
    v = s.Village(s.BATO)
    s.election(v, day="2024-06-02", ordered="2024-05-10")  # congress not held yet
    assert v.judge()["rulesets"] == ["vn-2023", "party-2014", "qn-bato-2022"]
