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

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from ledger.catalogue import person_refs
from ledger.merkle import leaf_hash
from ledger.rules import Place, ProfileUpdate, RecordedEvent, VillageRecord
from ledger.sealer import state_entry
from ledger.signing import b64decode_strict

VILLAGE_KINDS = frozenset({"thon", "tdp"})


@dataclass(frozen=True)
class Entry:
    """One stored event, as the read side needs it."""

    id: str  # entry hash, hex
    version: int
    index: int | None
    statement: Mapping[str, Any]

    @property
    def type(self) -> str:
        return str(self.statement.get("type"))

    @property
    def facts(self) -> Mapping[str, Any]:
        facts = self.statement.get("facts")
        return facts if isinstance(facts, Mapping) else {}

    @property
    def date(self) -> date:
        return date.fromisoformat(str(self.statement.get("date")))


def entry_from_state(state: bytes, version: int, index: int | None) -> Entry:
    """An entry from a stored row's state (the library's JSON of ``Stream.Event``)."""
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
    out: set[str] = set()
    for entry in entries:
        out.update(person_refs(entry.type, entry.facts))
        if entry.type == "person.profiled":
            out.add(str(entry.facts.get("person")))
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
    events = [
        RecordedEvent(id=e.id, type=e.type, date=e.date, by=body_kind(str(e.statement.get("body"))) or "",
                      facts=dict(e.facts), index=e.index)
        for e in own if e.type != "place.registered"
    ]
    people = people_of(own)
    profiles: dict[str, list[ProfileUpdate]] = {}
    for person in sorted(people):
        stated = [e for e in person_entries(person) if e.type == "person.profiled"]
        updates = [ProfileUpdate(e.date, {k: v for k, v in e.facts.items() if k != "person"}, e.id) for e in stated]
        if updates:
            updates.sort(key=lambda u: u.date or date.min)
            profiles[person] = updates
        # Profiles stated about this village are among its events too (as in a dossier), so that a
        # correction of one (correction.recorded → its entry hash) is applied to the profile it corrects.
        events.extend(RecordedEvent(id=e.id, type=e.type, date=e.date, by=body_kind(str(e.statement.get("body")))
                                    or "", facts=dict(e.facts), index=e.index)
                      for e in stated if e.statement.get("place") == village)
    events.sort(key=lambda e: (e.index is None, e.index if e.index is not None else 0))
    return VillageRecord(place, events, profiles), people
