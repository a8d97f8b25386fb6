"""The judge's input: a neutral, typed record of one village's process.

A dossier (``record_from_dossier``) and the ledger both map into this. Facts keys are
exactly EVENTS.md's field names; dates may arrive as ``date`` objects or ISO strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from ledger.correction import as_date as as_date
from ledger.correction import merge, misfit


@dataclass(frozen=True)
class Place:
    id: str
    kind: str = "thon"
    name: str = ""

    @property
    def district(self) -> str:
        """``qng.bato.badien.lang-ma`` → ``qng.bato`` (province, then district)."""
        return ".".join(self.id.split(".")[:2])


@dataclass(frozen=True)
class RecordedEvent:
    id: str
    type: str
    date: date
    by: str
    facts: Mapping[str, Any]
    index: int | None = None
    #: Ids of the ``correction.recorded`` events applied to this one (as corrected).
    corrected_by: tuple[str, ...] = ()
    #: The signing body's id, in the ledger ("" in a dossier, which names body kinds only).
    body: str = ""

    @property
    def refs(self) -> tuple[str, ...]:
        """The ids a check names for this event: itself and its corrections."""
        return (self.id, *self.corrected_by)


@dataclass(frozen=True)
class ProfileUpdate:
    """Fields of ``person.profiled`` stated on ``date`` (None: the person's first profile)."""

    date: date | None
    fields: Mapping[str, Any]
    event: str | None = None


@dataclass(frozen=True)
class VillageRecord:
    village: Place
    events: Sequence[RecordedEvent]
    profiles: Mapping[str, Sequence[ProfileUpdate]] = field(default_factory=dict)

    def profile(self, person: str, on: date | None = None) -> dict[str, Any]:
        """The person's fields as of ``on`` (everything recorded when None)."""
        merged: dict[str, Any] = {}
        for update in self.profiles.get(person, ()):
            if on is None or update.date is None or update.date <= on:
                merged.update({k: v for k, v in update.fields.items() if v is not None})
        return merged

    def name(self, person: str) -> str:
        # = self.profile(person).get("name"): the last name stated (a None states nothing)
        value = None
        for update in reversed(self.profiles.get(person, ())):
            value = update.fields.get("name")
            if value is not None:
                break
        return str(value) if value else person


def corrected(events: Sequence[RecordedEvent]) -> list[RecordedEvent]:
    """The events "as corrected": each ``correction.recorded`` overrides the facts it names.

    The corrected facts are the correction's nested ``facts`` object (as its schema takes them), or
    its own facts beside ``corrects``/``reason`` where a record wrote them so; a ``date`` among them
    corrects the event's date
    (``ledger.correction.merge``, the ledger's door's own). A correction by another kind of body
    than the original's is not applied, nor one leaving the original with facts its type's model
    refuses (a count that is no number: the rules would fail on it) or a ``date`` that is no date:
    the ledger refuses these from 2026-12-06 (``ledger.correction.judge``), and keeps those stored
    before. The corrections stay in the list (no rule judges them); the originals keep their ids
    and name their corrections in ``corrected_by``.
    """
    out = list(events)
    position: dict[str, int] | None = None  # made at the first correction: most records have none
    for fix in events:
        if fix.type != "correction.recorded":
            continue
        if position is None:
            position = {e.id: i for i, e in enumerate(out)}
        target = position.get(str(fix.facts.get("corrects")))
        if target is None or out[target].by != fix.by or (fix.body and out[target].body != fix.body):
            continue  # a body corrects only its own events (EVENTS.md; a dossier refuses any other)
        original = out[target]
        facts, new_date, dated = merge(original.facts, fix.facts)
        if original.body and ((dated and new_date is None) or not _fits(original.type, facts)):
            continue  # a date that is none, facts the original's type cannot hold (a dossier refuses them;
            # a ledger stored them before 2026-12-06). (A dossier's were checked as it was loaded.)
        new_date = new_date or original.date
        out[target] = replace(original, date=new_date, facts=facts,
                              corrected_by=(*original.corrected_by, fix.id))
    return out


def _fits(event_type: str, facts: Mapping[str, Any]) -> bool:
    """Whether ``facts`` are facts an event of ``event_type`` may hold (its model, as at ingest)."""
    return misfit(event_type, facts) is None


def profiles_from(
    first: Iterable[Mapping[str, Any]], events: Iterable[RecordedEvent]
) -> dict[str, list[ProfileUpdate]]:
    """First profiles (undated) followed by each ``person.profiled`` event, in date order."""
    profiles: dict[str, list[ProfileUpdate]] = {}
    for person in first:
        fields = {k: v for k, v in person.items() if k not in ("id", "person")}
        profiles.setdefault(str(person["id"]), []).append(ProfileUpdate(None, fields))
    for event in sorted((e for e in events if e.type == "person.profiled"), key=lambda e: e.date):
        fields = {k: v for k, v in event.facts.items() if k != "person"}
        profiles.setdefault(str(event.facts["person"]), []).append(ProfileUpdate(event.date, fields, event.id))
    return profiles


def _plain(value: Any) -> Any:
    """Pydantic models and other objects with ``model_dump`` become plain data."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(exclude_none=True)
    return value


def record_from_dossier(dossier: Any) -> VillageRecord:
    """Map a loaded dossier (``schemas.dossier.Dossier``) into a record.

    Uses only ``dossier.village`` (``id``, ``kind``, ``name``), ``dossier.people``
    (first profiles with ``id``) and ``dossier.events`` (``id``, ``type``, ``date``,
    ``by``, ``facts``); the event's position in the file is its ``index``.
    """
    village = _plain(dossier.village)
    get = village.get if isinstance(village, Mapping) else lambda k, d=None: getattr(village, k, d)
    place = Place(id=str(get("id")), kind=str(get("kind", "thon")), name=str(get("name", "") or ""))
    events = [
        RecordedEvent(id=str(e.id), type=str(e.type), date=_event_date(e.date), by=str(e.by),
                      facts=dict(_plain(e.facts)), index=getattr(e, "index", i))
        for i, e in enumerate(dossier.events)
    ]
    people = [p if isinstance(p, Mapping) else _plain(p) for p in dossier.people]
    return VillageRecord(place, events, profiles_from(people, events))


def _event_date(value: Any) -> date:
    day = as_date(value)
    if day is None:
        raise ValueError(f"event date {value!r} is not a date")
    return day
