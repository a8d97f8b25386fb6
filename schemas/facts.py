"""Facts of the event types the ledger needs to judge authority and references.

The personnel-process types (EVENTS.md) get their own models with the verdict work;
until then their facts are checked only as canonical, float-free JSON objects.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.ids import BodyId, IsoDate, KeyId, PersonId, PlaceId, UtcTime

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


class _Facts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeyGrant(_Facts):
    public: str = Field(description="Standard base64 of the raw 32-byte Ed25519 public key.")
    valid_from: UtcTime | None = Field(
        default=None, description="Signatures made before this instant are refused."
    )


class PlaceRegistered(_Facts):
    id: PlaceId
    name: str = Field(min_length=1, max_length=200)
    kind: PlaceKind


class BodyEnrolled(_Facts):
    id: BodyId
    kind: BodyKind
    name: str = Field(min_length=1, max_length=200)
    jurisdiction: PlaceId
    keys: list[KeyGrant] = Field(min_length=1, max_length=8)


class KeyRotated(_Facts):
    body: BodyId
    key: KeyGrant
    retire: KeyId | None = Field(default=None, description="A key of the body revoked by this rotation.")


class KeyRevoked(_Facts):
    body: BodyId
    key: KeyId
    reason: str = Field(min_length=1, max_length=500)


class PartyStatus(_Facts):
    status: Literal["full", "probationary", "none"]
    since: IsoDate | None = None


Education = Literal["none", "tieu_hoc", "thcs", "thpt", "trung_cap", "cao_dang", "dai_hoc"]
Theory = Literal["none", "so_cap", "trung_cap", "cao_cap"]


class PersonProfiled(_Facts):
    person: PersonId
    name: str | None = Field(default=None, max_length=200)
    born: IsoDate | None = None
    residence: PlaceId | None = None
    party: PartyStatus | None = None
    education: Education | None = None
    theory: Theory | None = None


FACTS_MODELS: dict[str, type[BaseModel]] = {
    "place.registered": PlaceRegistered,
    "body.enrolled": BodyEnrolled,
    "key.rotated": KeyRotated,
    "key.revoked": KeyRevoked,
    "person.profiled": PersonProfiled,
}
