"""Whatever a record holds, ``judge`` answers: it never raises and lists every rule of every set.

The generated facts have the contract's shapes (as a dossier or the ledger delivers them,
both checked against ``schemas``) but any values, dates and order.
"""

from __future__ import annotations

import copy
import itertools
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.rules import Place, ProfileUpdate, RecordedEvent, VillageRecord, judge, record_from_dossier
from ledger.rules.finding import STATUSES
from schemas.dossier import DossierError, load_dossier

PEOPLE = ["p1", "p2", "p3", "p4"]
START = date(2021, 6, 1)
person = st.sampled_from(PEOPLE)
people = st.lists(person, max_size=4, unique=True)
count = st.integers(min_value=0, max_value=400)
day = st.integers(min_value=0, max_value=1500).map(lambda n: START + timedelta(days=n))
iso = day.map(date.isoformat)
votes = st.dictionaries(person, count, max_size=4)
office = st.sampled_from(["committee", "secretary", "deputy"])

FACTS: dict[str, Any] = {
    "personnel.nominated": st.fixed_dictionaries({"person": person}),
    "waiver.granted": st.fixed_dictionaries({"person": person, "reason": st.just("x"), "deadline": iso,
                                             "criteria": st.lists(st.sampled_from(["education", "theory"]),
                                                                  min_size=1, max_size=2, unique=True)}),
    "election.ordered": st.fixed_dictionaries({"election_date": iso, "decision": st.just("1")}),
    "candidates.drafted": st.fixed_dictionaries({"candidates": people}),
    "candidates.agreed": st.fixed_dictionaries({"candidates": people}),
    "candidates.finalised": st.fixed_dictionaries({"candidates": people}),
    "election.team_formed": st.fixed_dictionaries({"members": people, "leader": person, "decision": st.just("2")}),
    "election.notice_posted": st.fixed_dictionaries({"where": st.just("a"), "how": st.just("b")}),
    "election.counted": st.fixed_dictionaries(
        {"electorate": st.sampled_from(["households", "voters"]), "electorate_total": count, "attending": count,
         "votes": votes, "method": st.sampled_from(["secret_ballot", "show_of_hands"])},
        optional={"ballots_issued": count, "ballots_returned": count, "valid": count, "invalid": count,
                  "household_ballots": st.booleans(), "received": iso, "elected": person}),
    "election.recognised": st.fixed_dictionaries({"person": person, "decision": st.just("3")},
                                                 optional={"term_years": st.sampled_from(["2.5", "2", "x"])}),
    "election.rerun_ordered": st.fixed_dictionaries({"reason": st.just("r"), "new_date": iso}),
    "head.removal_recognised": st.fixed_dictionaries(
        {"person": person, "cause": st.sampled_from(["resigned", "recalled"])},
        optional={"petition_share": st.sampled_from(["0.4", "0.5", "1", "?"]), "requested": iso}),
    "congress.held": st.fixed_dictionaries(
        {"full_members": count, "probationary_members": count, "summoned": count, "present": count,
         "excluded": st.dictionaries(st.sampled_from(["transferred", "exempt_absent", "suspended",
                                                      "absent_approved"]), count, max_size=4)}),
    "congress.counted": st.fixed_dictionaries(
        {"office": office, "round": st.integers(1, 5), "seats": st.integers(1, 9), "votes": votes,
         "separate": st.booleans(), "secret": st.booleans(), "ballots_full": count, "ballots_probationary": count},
        optional={"elected": people}),
    "congress.reported": st.just({}),
    "congress.approved": st.fixed_dictionaries(
        {"decision": st.just("4"), "secretary": st.none() | person, "deputy": st.none() | person,
         "committee": people}),
    "congress.annulled": st.fixed_dictionaries({"decision": st.just("5"), "reason": st.just("r")}),
    "congress.appointed": st.fixed_dictionaries({"office": office, "person": person, "decision": st.just("6")}),
    "correction.recorded": st.fixed_dictionaries(
        {"corrects": st.sampled_from([f"e{i}" for i in range(12)]), "reason": st.just("c"),
         "facts": st.one_of(st.fixed_dictionaries({"votes": votes}), st.fixed_dictionaries({"person": person}),
                            st.fixed_dictionaries({"date": iso}), st.fixed_dictionaries({"attending": count}))}),
}


@st.composite
def events(draw: st.DrawFn) -> list[RecordedEvent]:
    kinds = draw(st.lists(st.sampled_from(sorted(FACTS)), max_size=14))
    return [RecordedEvent(f"e{i}", kind, draw(day), "x", draw(FACTS[kind]), i) for i, kind in enumerate(kinds)]


profile = st.fixed_dictionaries({}, optional={
    "name": st.just("Tên"), "born": st.dates(date(1940, 1, 1), date(2010, 1, 1)).map(date.isoformat),
    "residence": st.sampled_from(["qng.bato.badien.lang-ma", "qng.bato.badien.lang-reu"]),
    "party": st.fixed_dictionaries({"status": st.sampled_from(["full", "probationary", "none"])}),
    "education": st.sampled_from(["none", "tieu_hoc", "thcs", "thpt", "dai_hoc"]),
    "theory": st.sampled_from(["none", "so_cap", "cao_cap"]),
})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events(), st.dictionaries(person, profile), st.sampled_from(["qng.bato.badien.lang-ma",
                                                                    "qng.ducpho.phonhon.hiep-an",
                                                                    "qng.sontinh.tinhha.thon-1"]),
       day, st.booleans())
def test_judge_never_raises_and_lists_every_rule_of_every_applied_set(
    recorded: list[RecordedEvent], profiles: dict[str, dict[str, Any]], place: str, as_of: date,
    as_recorded: bool,
) -> None:
    record = VillageRecord(Place(place), recorded, {p: [ProfileUpdate(None, f)] for p, f in profiles.items()})
    out = judge(record, as_of, as_recorded=as_recorded)
    from ledger.rules.sets import get_set

    expected = {(r, rule["id"]) for r in out["rulesets"] for rule in get_set(r).rules}
    assert {(c["ruleset"], c["rule"]) for c in out["checks"]} == expected
    for check in out["checks"]:
        assert check["status"] in STATUSES
        assert check["detail"] and check["detail_vi"]
        if check["status"] == "fail":
            assert check["events"], check
    assert out["verdict"] in {"violations", "incomplete", "compliant"}
    assert out["same_person"] in {"secretary", "deputy", "committee", "outside", "non_member", "none"}


EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"
DOSSIERS = [EXAMPLES / "01-bato-compliant.json", EXAMPLES / "11-ducpho-compliant-deputy.json"]  # (both rule families)
#: The calendar's ends: a year typed as 0001 or 9999 is a valid date, which an entitled body may sign.
EDGES = ["0001-01-01", "9999-12-31"]


@pytest.mark.parametrize("dossier", DOSSIERS, ids=[p.stem for p in DOSSIERS])
def test_judge_never_raises_on_a_date_at_the_calendars_ends(dossier: Path) -> None:
    """One event dated 0001-01-01 once made every deadline computed from it overflow: an internal
    error for `dantin check`, and on a ledger every view of every village (500 on each page)."""
    doc = json.loads(dossier.read_text(encoding="utf-8"))
    for i, event in enumerate(doc["events"]):
        dated = ["date"] + [k for k, v in event.items() if k != "date" and isinstance(v, str) and _is_iso(v)]
        for key, edge in itertools.product(dated, EDGES):
            changed = copy.deepcopy(doc)
            changed["events"][i][key] = edge
            try:
                loaded = load_dossier(json.dumps(changed).encode())
            except DossierError:
                continue
            record = record_from_dossier(loaded)
            for as_of in (date(2026, 1, 1), date.max):
                judge(record, as_of)


def _is_iso(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10
