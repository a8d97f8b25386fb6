"""A village's stored entries → the verdict engine's input (``ledger.rules.VillageRecord``).

Shared by the read side (``projections``) and the offline bundle verifier (``ledger.bundle``),
so a bundle re-derives exactly the verdict the server shows.

In the ledger an event's id is its entry hash (= its RFC 9162 leaf hash, hex: what a
receipt names), its ``index`` its leaf index, ``by`` the kind of the body that signed it,
and ``date`` the statement's date. People are read from their own streams
(``person:<id>``): each ``person.profiled`` is a dated profile update.

Projections never re-verify: entries were judged at ingest and are audited by ``verify``.
So a stored payload is read with a plain JSON parse, not the full envelope check.
"""

from __future__ import annotations

import binascii
from binascii import a2b_base64, b2a_base64
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar, overload

import orjson

from ledger.catalogue import add_person_refs
from ledger.correction import VILLAGE_KINDS
from ledger.entry import entry_bytes
from ledger.merkle import leaf_hash
from ledger.rules import Place, ProfileUpdate, RecordedEvent, VillageRecord
from ledger.sealer import state_entry
from ledger.signing import b64decode_strict

_T = TypeVar("_T")


class _once(Generic[_T]):  # noqa: N801 - used as a decorator, like ``property``
    """A property computed on first read and then kept in the instance (``functools.cached_property``
    without its lock, which costs more than these reads)."""

    def __init__(self, compute: Callable[[Any], _T]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    @overload
    def __get__(self, instance: None, owner: type[Any] | None = None) -> _once[_T]: ...
    @overload
    def __get__(self, instance: object, owner: type[Any] | None = None) -> _T: ...

    def __get__(self, instance: object | None, owner: type[Any] | None = None) -> _T | _once[_T]:
        if instance is None:
            return self
        value = self.compute(instance)
        instance.__dict__[self.name] = value
        return value


@dataclass(frozen=True)
class Entry:
    """One stored event, as the read side needs it."""

    id: str  # entry hash, hex
    version: int
    index: int | None
    statement: Mapping[str, Any]

    # Each read once: a record reads every entry's type, facts and date, some several times.
    @_once
    def type(self) -> str:
        return str(self.statement.get("type"))

    @_once
    def facts(self) -> Mapping[str, Any]:
        facts = self.statement.get("facts")
        return facts if isinstance(facts, Mapping) else {}

    @_once
    def date(self) -> date:
        return date.fromisoformat(str(self.statement.get("date")))


def entry_from_state(state: bytes, version: int, index: int | None) -> Entry:
    """An entry from a stored row's state (the library's JSON of ``Stream.Event``).

    The state is parsed once: its fields give both the entry bytes (as ``ledger.sealer.state_entry``
    builds them) and the payload. Anything unusual (a damaged row, a payload in another base64
    spelling) takes the original path, which raises or returns exactly as it always did.
    """
    try:
        row = orjson.loads(state)
        payload = row["payload"]
        entry = entry_bytes(payload, row["keyid"], row["sig"], row["prev"], row["timestamp"]["_data_"])
        raw = a2b_base64(payload)
        if b2a_base64(raw, newline=False) != payload.encode("ascii"):  # canonical, as strictly checked
            raise ValueError("non-canonical base64")
    except (ValueError, KeyError, TypeError, UnicodeError, AttributeError, binascii.Error):
        return _entry_from_state_checked(state, version, index)
    statement = orjson.loads(raw)
    made = Entry(leaf_hash(entry).hex(), version, index, statement)
    if type(statement) is dict:  # what ``type``, ``facts`` and ``date`` would read, read now (cheaper than later)
        kept = made.__dict__
        kept["type"] = str(statement.get("type"))
        facts = statement.get("facts")
        kept["facts"] = facts if isinstance(facts, Mapping) else {}
        day = statement.get("date")
        parsed = _iso_day(day) if type(day) is str and len(day) == 10 else None  # others: left to ``date``
        if parsed is not None:
            kept["date"] = parsed
    return made


def _iso_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:  # ``date`` raises it when asked
        return None


def _entry_from_state_checked(state: bytes, version: int, index: int | None) -> Entry:
    row = orjson.loads(state)
    statement = orjson.loads(b64decode_strict(row["payload"]))
    return Entry(leaf_hash(state_entry(state)).hex(), version, index, statement)


def village_place(entries: Iterable[Entry], village: str) -> Place | None:
    """The village as registered (None if the stream is not a registered village)."""
    for entry in entries:
        if entry.type == "place.registered" and entry.facts.get("id") == village:
            kind = str(entry.facts.get("kind", ""))
            return Place(id=village, kind=kind, name=str(entry.facts.get("name", ""))) if kind in VILLAGE_KINDS \
                else None
    return None


def people_of(entries: Iterable[Entry]) -> set[str]:
    """The people the entries refer to (``ledger.catalogue.person_refs``) and those they profile."""
    out: set[str] = set()
    for entry in entries:
        if entry.type == "person.profiled":
            out.add(str(entry.facts.get("person")))
        else:
            add_person_refs(out, entry.facts)
    return out




def build_record(
    village: str,
    own: Sequence[Entry],
    person_entries: Callable[[str], Sequence[Entry]],
    body_kind: Callable[[str], str | None],
) -> tuple[VillageRecord, set[str]] | None:
    """The village's record and the people it refers to; None if it is not a registered village."""
    place = village_place(own, village)
    if place is None:
        return None
    kinds: dict[str, str] = {}  # per signer, asked once

    def event(e: Entry) -> RecordedEvent:
        kind_of, day = e.type, e.date
        body = str(e.statement.get("body"))
        by = kinds.get(body)
        if by is None:
            by = kinds[body] = body_kind(body) or ""
        return RecordedEvent(e.id, kind_of, day, by, dict(e.facts), e.index, body=body)

    events = [event(e) for e in own if e.type != "place.registered"]
    people = people_of(own)
    profiles: dict[str, list[ProfileUpdate]] = {}
    for person in sorted(people):
        stated = [e for e in person_entries(person) if e.type == "person.profiled"]
        if stated:
            updates = [ProfileUpdate(e.date, {k: v for k, v in e.facts.items() if k != "person"}, e.id)
                       for e in stated]
            updates.sort(key=_update_day)
            profiles[person] = updates
            # Profiles stated about this village are among its events too (as in a dossier), so that a
            # correction of one (correction.recorded → its entry hash) is applied to the profile it corrects.
            events.extend(event(e) for e in stated if e.statement.get("place") == village)
    events.sort(key=_log_order)
    return VillageRecord(place, events, profiles), people


def _update_day(update: ProfileUpdate) -> date:
    return update.date or date.min


def _log_order(event: RecordedEvent) -> tuple[bool, int]:
    return (event.index is None, event.index if event.index is not None else 0)
