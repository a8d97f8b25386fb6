"""A dossier: one village's process for one term in one unsigned JSON file (EVENTS.md §Dossier).

``load_dossier(raw)`` turns the file's bytes into a ``Dossier`` or raises ``DossierError``
naming every problem and where it is (``events[3].votes.p7``, event ``e9``). Each event's
facts are checked with the very models ingest uses (``FACTS_MODELS``), so a dossier that
loads signs into envelopes the ledger accepts in form; who signs is the importer's
business. Pure: no I/O beyond the bytes given.

Beyond EVENTS.md's field list, a dossier also checks that every reference holds: each
person named was declared in ``people``, each event named (``corrects``, ``about``,
``attendance``) comes earlier in the file (or is a ledger hash), a correction comes from
the body kind that stated the original, and the original's facts as corrected still fit
the original's type.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date as Date  # noqa: N812 - the field is named date
from typing import Any, Literal, cast

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, create_model

from ledger.catalogue import SIGNERS
from schemas._base import DossierId, Facts, Name
from schemas._dossier_core import ENVELOPE_FIELDS, FORMAT, DossierError, DossierEvent, Problem, check
from schemas.facts import AUTHORITY_MODELS, FACTS_MODELS, Profile
from schemas.ids import IsoDate, PersonId, PlaceId

#: The event types a dossier may state: every type but those that build authority.
DOSSIER_TYPES: tuple[str, ...] = tuple(sorted(t for t in FACTS_MODELS if t not in AUTHORITY_MODELS))

_DATE: TypeAdapter[Date] = TypeAdapter(IsoDate)


class DossierVillage(Facts):
    id: PlaceId
    name: Name
    kind: Literal["thon", "tdp"]
    commune: Name
    district: Name
    province: Name


class DossierPerson(Profile):
    """A person's first profile: ``person.profiled`` facts, with ``id`` for ``person``."""

    id: PersonId

    def profile_facts(self) -> dict[str, Any]:
        """The ``person.profiled`` facts this entry states."""
        facts = self.model_dump(mode="json", exclude_none=True, exclude={"id"})
        return {"person": self.id, **facts}


@functools.cache
def event_model(event_type: str) -> type[BaseModel]:
    """A dossier event of ``event_type``: id, type, date, by, and the type's facts inline."""
    kinds = tuple(sorted(SIGNERS[event_type]))
    fields: dict[str, Any] = {
        "id": (DossierId, ...),
        "type": (cast(Any, Literal)[event_type], ...),
        "date": (IsoDate, ...),
        "by": (cast(Any, Literal)[kinds], Field(description="The kind of the body that states it.")),
    }
    name = "Dossier_" + event_type.replace(".", "_")
    model: type[BaseModel] = create_model(name, __base__=FACTS_MODELS[event_type], **fields)
    return model


@dataclass(frozen=True, slots=True)
class Dossier:
    village: DossierVillage
    people: list[DossierPerson]
    events: list[DossierEvent]

    def event(self, event_id: str) -> DossierEvent | None:
        return next((e for e in self.events if e.id == event_id), None)

    @property
    def first_date(self) -> Date | None:
        return min((e.date for e in self.events), default=None)


class _Models:
    """The checks of :func:`schemas._dossier_core.check`: ingest's own pydantic models."""

    invalid = ValidationError
    types = FACTS_MODELS
    authority = AUTHORITY_MODELS

    def village(self, value: Any) -> DossierVillage:
        return DossierVillage.model_validate(value)

    def person(self, value: Any) -> DossierPerson:
        return DossierPerson.model_validate(value)

    def event(self, event_type: str, value: Any) -> BaseModel:
        return event_model(event_type).model_validate(value)

    def facts(self, event_type: str, value: Any) -> BaseModel:
        return FACTS_MODELS[event_type].model_validate(value)

    def date(self, value: Any) -> Date:
        return _DATE.validate_python(value)


def load_dossier(raw: bytes) -> Dossier:
    """Parse and check a dossier; raise ``DossierError`` naming every problem and where."""
    village, people, events = check(raw, _Models())
    return Dossier(village=village, people=people, events=events)


__all__ = ["DOSSIER_TYPES", "ENVELOPE_FIELDS", "FORMAT", "Dossier", "DossierError", "DossierEvent", "DossierPerson",
           "DossierVillage", "Problem", "event_model", "load_dossier"]
