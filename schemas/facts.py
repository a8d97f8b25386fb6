"""The facts of every event type (EVENTS.md), by type: ``FACTS_MODELS``.

This module holds the facts the ledger needs to judge authority (places, bodies, keys)
and people's profiles; the personnel process, the congress and the looking-back types
live in ``schemas.process``, ``schemas.congress`` and ``schemas.oversight``. Every model
refuses unknown fields; ingest refuses facts that do not fit their type's model as
``malformed`` (``ledger.envelope``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from schemas._base import FREE_TEXT, ONE_LINE, Facts, Name
from schemas.congress import CONGRESS_MODELS
from schemas.ids import BodyId, IsoDate, KeyId, PersonId, PlaceId, UtcTime
from schemas.oversight import OVERSIGHT_MODELS
from schemas.process import PROCESS_MODELS

BodyKind = Literal[
    "root",
    "district_standing",
    "commune_committee",
    "commune_front",
    "village_front",
    "election_team",
    "cell",
    "commune_party",
    "training_center",
    "inspection",
]
PlaceKind = Literal["province", "district", "town", "commune", "ward", "townlet", "thon", "tdp"]


class KeyGrant(Facts):
    public: str = Field(description="Standard base64 of the raw 32-byte Ed25519 public key.")
    valid_from: UtcTime | None = Field(
        default=None, description="Signatures made before this instant are refused."
    )


class PlaceRegistered(Facts):
    id: PlaceId
    name: Name
    kind: PlaceKind


class BodyEnrolled(Facts):
    id: BodyId
    kind: BodyKind
    name: Name
    jurisdiction: PlaceId
    keys: list[KeyGrant] = Field(min_length=1, max_length=8)


class KeyRotated(Facts):
    body: BodyId
    key: KeyGrant
    retire: KeyId | None = Field(default=None, description="A key of the body revoked by this rotation.")


class KeyRevoked(Facts):
    body: BodyId
    key: KeyId
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500), FREE_TEXT]


class PartyStatus(Facts):
    status: Literal["full", "probationary", "none"]
    since: IsoDate | None = None


Education = Literal["none", "tieu_hoc", "thcs", "thpt", "trung_cap", "cao_dang", "dai_hoc"]
Theory = Literal["none", "so_cap", "trung_cap", "cao_cap"]


class Profile(Facts):
    """What a profile states about a person; a later profile supersedes the fields it names."""

    name: Annotated[str, StringConstraints(max_length=200), ONE_LINE] | None = None
    born: IsoDate | None = None
    residence: PlaceId | None = None
    party: PartyStatus | None = None
    education: Education | None = None
    theory: Theory | None = None


class PersonProfiled(Profile):
    person: PersonId


#: Types that build the ledger's authority, not a village's process (a dossier holds none).
AUTHORITY_MODELS: dict[str, type[Facts]] = {
    "place.registered": PlaceRegistered,
    "body.enrolled": BodyEnrolled,
    "key.rotated": KeyRotated,
    "key.revoked": KeyRevoked,
}

FACTS_MODELS: dict[str, type[BaseModel]] = {
    **AUTHORITY_MODELS,
    "person.profiled": PersonProfiled,
    **PROCESS_MODELS,
    **CONGRESS_MODELS,
    **OVERSIGHT_MODELS,
}
