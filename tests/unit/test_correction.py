"""The door and the judge agree (``ledger.correction``): a correction the ledger takes is one the
verdict's "as corrected" applies, with the one merge both use."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.correction import Earlier, is_entry_hash, judge, merge
from ledger.errors import Refused
from ledger.rules.record import RecordedEvent, corrected

BODY = "qng.bato.badien.lang-ma/team"
PLACE = "qng.bato.badien.lang-ma"
COUNT = {"electorate": "households", "electorate_total": 310, "attending": 216, "ballots_issued": 216,
         "ballots_returned": 216, "valid": 210, "invalid": 6, "votes": {"p1": 200}, "method": "secret_ballot"}
ORIGINALS = {
    "election.counted": COUNT,
    "candidates.agreed": {"candidates": ["p1", "p2"]},
    "person.profiled": {"person": "p1", "name": "Đinh Văn A", "born": "1975-02-01"},
}
VALUES = st.one_of(st.sampled_from(["2022-05-16", "2022-02-30", "16/05/2022", "", "p1", "nhiều", "households"]),
                   st.integers(-3, 400), st.none(), st.booleans(), st.just(["p1"]), st.just({"p1": 150}))
CHANGES = st.dictionaries(st.sampled_from(["date", "votes", "valid", "candidates", "born", "name", "method",
                                           "electorate_total", "note"]), VALUES, min_size=1, max_size=3)


def _door(original_type: str, changes: dict[str, Any]) -> Refused | None:
    try:
        judge(BODY, {"corrects": "ab" * 32, "reason": "Nhầm", "facts": changes},
              Earlier(BODY, original_type, ORIGINALS[original_type], PLACE), PLACE, "thon")
    except Refused as refusal:
        return refusal
    return None


def _applied(original_type: str, changes: dict[str, Any]) -> bool:
    original = RecordedEvent("ab" * 32, original_type, date(2022, 5, 15), "election_team", ORIGINALS[original_type],
                             body=BODY)
    fix = RecordedEvent("cd" * 32, "correction.recorded", date(2022, 5, 16), "election_team",
                        {"corrects": "ab" * 32, "reason": "Nhầm", "facts": changes}, body=BODY)
    return corrected([original, fix])[0].corrected_by == ("cd" * 32,)


@given(st.sampled_from(sorted(ORIGINALS)), CHANGES)
def test_what_the_door_takes_the_judge_applies_and_what_it_leaves_out_the_door_refuses(
        original_type: str, changes: dict[str, Any]) -> None:
    refusal = _door(original_type, changes)
    assert (refusal is None) == _applied(original_type, changes), (refusal and refusal.detail)
    if refusal is not None:
        assert refusal.code == "malformed" and refusal.rule_since == "2026-12-06"


def test_a_date_the_judge_would_read_but_written_otherwise_than_a_day_is_refused() -> None:
    """``date.fromisoformat`` reads "20220516" (Python 3.11); a statement's dates are YYYY-MM-DD only,
    and so is a corrected one (the judge applies those stored before)."""
    assert _applied("candidates.agreed", {"date": "20220516"})
    refusal = _door("candidates.agreed", {"date": "20220516"})
    assert refusal is not None and refusal.code == "malformed"


@pytest.mark.parametrize(("original", "code"), [
    (None, "unknown_event"),
    (Earlier("qng.bato.badien/committee", "candidates.agreed", {"candidates": ["p1"]}, PLACE), "not_own_event"),
    (Earlier(BODY, "correction.recorded", {"corrects": "ef" * 32, "reason": "x", "facts": {"valid": 1}}, PLACE),
     "malformed"),
    (Earlier(BODY, "candidates.agreed", {"candidates": ["p1"]}, "qng.bato.badien.lang-reu"), "malformed"),
])
def test_no_event_another_bodys_or_a_correction_is_refused(original: Earlier | None, code: str) -> None:
    with pytest.raises(Refused) as refused:
        judge(BODY, {"corrects": "ab" * 32, "reason": "Nhầm", "facts": {"valid": 1}}, original, PLACE, "thon")
    assert refused.value.code == code and refused.value.rule_since == "2026-12-06"


def test_an_attendance_event_s_correction_may_be_stated_about_another_place() -> None:
    """The attendance view applies it by the original's id wherever it is stated (``ANY_PLACE``); any
    other type's is read only with its original's place's record."""
    recorded = {"member": "p1", "level": "commune", "meeting_date": "2023-03-05", "cell": "qng.bato.badien.lang-reu"}
    judge(BODY, {"corrects": "ab" * 32, "reason": "Nhầm", "facts": {"meeting_date": "2023-03-06"}},
          Earlier(BODY, "attendance.recorded", recorded, "qng.bato.badien.lang-reu"), PLACE, "thon")
    planned = {"member": "p1", "level": "commune", "year": 2023, "cells": ["qng.bato.badien.lang-reu"]}
    judge(BODY, {"corrects": "ab" * 32, "reason": "Nhầm", "facts": {"year": 2024}},  # (its body's jurisdiction)
          Earlier(BODY, "attendance.planned", planned, "qng.bato.badien"), "qng.bato.badien", "commune")


def test_the_merge_takes_nested_facts_or_those_beside_and_a_corrected_date() -> None:
    assert merge({"a": 1, "b": 2}, {"corrects": "x", "reason": "y", "facts": {"b": 3, "date": "2022-05-16"}}) == (
        {"a": 1, "b": 3}, date(2022, 5, 16), True)
    assert merge({"a": 1}, {"corrects": "x", "reason": "y", "a": 2}) == ({"a": 2}, None, False)
    assert merge({"a": 1}, {"facts": {"date": "no"}}) == ({"a": 1}, None, True)


def test_an_entry_hash_is_64_lowercase_hex_digits() -> None:
    assert is_entry_hash("ab" * 32) and not is_entry_hash("AB" * 32) and not is_entry_hash("ab" * 32 + "\n")
    assert not is_entry_hash("e4") and not is_entry_hash(None) and not is_entry_hash("g" * 64)


COMMUNE = "qng.bato.badien"


@pytest.mark.parametrize(("original_type", "facts", "kind"), [
    ("election.ordered", {"election_date": "2022-05-15", "decision": "12/QĐ-UBND"}, "commune"),
    ("person.profiled", {"person": "p1", "born": "1975-02-01"}, "commune"),
    ("waiver.granted", {"person": "p1", "criteria": ["theory"], "reason": "x", "deadline": "2023-01-01"}, "district"),
    ("front.observation", {"about": ["qng.bato"], "finding": "x", "severity": "info"}, "district"),
])
def test_a_correction_of_an_event_about_a_place_above_a_village_that_nothing_reads_is_refused(
        original_type: str, facts: dict[str, Any], kind: str) -> None:
    """No village's record holds an event stated about a commune or a district, and no view reads the
    corrections stated there: a receipt for one would be a receipt for nothing (gap of 2026-12-05)."""
    with pytest.raises(Refused) as refused:
        judge(BODY, {"corrects": "ab" * 32, "reason": "Nhầm", "facts": {"date": "2022-03-02"}},
              Earlier(BODY, original_type, facts, COMMUNE), COMMUNE, kind)
    assert refused.value.code == "malformed" and refused.value.rule_since == "2026-12-06"
    assert "không phải về một thôn, tổ dân phố" in refused.value.message_vi
    assert ("hãy ghi một hồ sơ mới" in refused.value.message_vi) == (original_type == "person.profiled")


def test_a_front_observation_about_a_commune_is_corrected_where_the_front_s_page_reads_it() -> None:
    judge(BODY, {"corrects": "ab" * 32, "reason": "Nhầm", "facts": {"severity": "warning"}},
          Earlier(BODY, "front.observation", {"about": [COMMUNE], "finding": "x", "severity": "info"}, COMMUNE),
          COMMUNE, "commune")
