"""Reading stored rows for the views: the quick paths of ``ledger.village`` equal the checked ones.

``entry_from_state`` parses a row once and decodes its payload without the strict base64
helper; anything unusual must go the original way (same entry, or the same error).
``people_of`` collects the people ``ledger.catalogue.person_refs`` names, without paths.
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.catalogue import person_refs
from ledger.village import Entry, _entry_from_state_checked, entry_from_state, people_of


def _state(statement: Any, *, payload: str | None = None, **changes: Any) -> bytes:
    row: dict[str, Any] = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2026-01-02T03:04:05.123456+00:00"},
        "payload": payload if payload is not None else base64.b64encode(orjson.dumps(statement)).decode(),
        "keyid": "ab" * 16, "sig": base64.b64encode(b"s" * 64).decode(), "prev": "cd" * 32,
        "originator_topic": "ledger.stream:Stream.Event",
    }
    row.update(changes)
    return orjson.dumps(row)


def _same(a: Entry, b: Entry) -> None:
    assert (a.id, a.version, a.index, a.statement) == (b.id, b.version, b.index, b.statement)
    assert (a.type, a.facts) == (b.type, b.facts)


STATEMENT = {"type": "election.counted", "date": "2022-05-15", "body": "x/election_team", "place": "x",
             "facts": {"votes": {"p1": 3}, "electorate_total": 5, "note": "Bầu cử"}}


def test_a_stored_row_reads_as_the_checked_path_reads_it() -> None:
    state = _state(STATEMENT)
    fast, checked = entry_from_state(state, 3, 7), _entry_from_state_checked(state, 3, 7)
    _same(fast, checked)
    assert fast.date == date(2022, 5, 15) and fast.facts["note"] == "Bầu cử"


@pytest.mark.parametrize("statement", [[1, 2], "text", {"type": 5, "facts": [1]}, {}])
def test_odd_statements_read_the_same(statement: Any) -> None:
    state = _state(statement)
    fast, checked = entry_from_state(state, 1, None), _entry_from_state_checked(state, 1, None)
    assert (fast.id, fast.statement) == (checked.id, checked.statement)
    if isinstance(statement, dict):
        _same(fast, checked)


def _outcome(read: Any, state: bytes) -> Any:
    try:
        entry = read(state, 1, 0)
    except Exception as exc:  # noqa: BLE001 - the kind of failure is what is compared
        return type(exc)
    return entry.id, entry.statement


@pytest.mark.parametrize("state", [
    _state(STATEMENT, payload=base64.b64encode(orjson.dumps(STATEMENT)).decode().rstrip("=") + "=="),
    _state(STATEMENT, payload="not base64!"),
    _state(STATEMENT, payload=base64.b64encode(orjson.dumps(STATEMENT)).decode() + "\n"),
    _state(STATEMENT, payload="ZZ=="),  # non-canonical: the padding bits are set
    _state(STATEMENT, payload=base64.b64encode(b"not json").decode()),
    _state(STATEMENT, payload=12),
    _state(STATEMENT, prev="é"),
    _state(STATEMENT, keyid=None),
    b"not json",
    orjson.dumps({"payload": base64.b64encode(orjson.dumps(STATEMENT)).decode()}),
    orjson.dumps({"timestamp": "2026", "payload": base64.b64encode(orjson.dumps(STATEMENT)).decode(),
                  "keyid": "k", "sig": "s", "prev": "p"}),
])
def test_damaged_rows_fail_or_read_as_before(state: bytes) -> None:
    assert _outcome(entry_from_state, state) == _outcome(_entry_from_state_checked, state)


PERSON = st.sampled_from(["p1", "p2", "p3", "p4"])
VALUE = st.one_of(PERSON, st.lists(st.one_of(PERSON, st.integers()), max_size=3),
                  st.dictionaries(PERSON, st.integers(), max_size=3), st.integers(), st.none())
FACTS = st.dictionaries(st.sampled_from(["person", "leader", "secretary", "deputy", "member", "elected", "candidates",
                                          "members", "committee", "votes", "office", "reason"]), VALUE, max_size=6)
NESTED = st.one_of(FACTS, FACTS.map(lambda f: {**f, "facts": f}),
                   FACTS.flatmap(lambda f: FACTS.map(lambda g: {**f, "facts": {**g, "facts": f}})))
TYPES = st.sampled_from(["correction.recorded", "congress.approved", "person.profiled", "election.counted"])


@given(st.lists(st.tuples(TYPES, NESTED), max_size=6))
def test_people_of_names_who_person_refs_names(events: list[tuple[str, dict[str, Any]]]) -> None:
    entries = [Entry(str(i), 1, i, {"type": t, "facts": f}) for i, (t, f) in enumerate(events)]
    expected: set[str] = set()
    for t, f in events:
        expected.update(person_refs(t, f))
        if t == "person.profiled":
            expected.add(str(f.get("person")))
    assert people_of(entries) == expected


@pytest.mark.parametrize("day", ["2022-05-15", "2022-13-01", "20220515", "2022-05-15T10:00", None, 20220515])
def test_the_date_reads_as_the_checked_path_reads_it(day: Any) -> None:
    state = _state({**STATEMENT, "date": day})
    fast, checked = entry_from_state(state, 1, 0), _entry_from_state_checked(state, 1, 0)

    def when(entry: Entry) -> Any:
        try:
            return entry.date
        except Exception as exc:  # noqa: BLE001 - the kind of failure is what is compared
            return type(exc)

    assert when(fast) == when(checked)


def test_the_collector_is_paused_only_in_the_main_thread() -> None:
    """A rebuild pauses cyclic GC for its duration in the main thread (the CLI), restoring it
    and any frozen objects after; in another thread (a server's) it leaves the collector alone."""
    import gc
    import threading

    from ledger.gcpause import paused_gc

    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    seen: list[bool] = []

    def in_a_thread() -> None:
        with paused_gc():
            seen.append(gc.isenabled())

    worker = threading.Thread(target=in_a_thread)
    worker.start()
    worker.join()
    assert seen == [True] and gc.isenabled()
