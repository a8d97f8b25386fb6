"""The signed envelope: a DSSE envelope whose payload is one canonical JSON statement.

Wire form (what ``dantin sign`` writes and ``POST /v1/events`` takes)::

    {"payloadType": "application/vnd.dantin.event+json; version=1",
     "payload": "<base64 of the RFC 8785 statement>",
     "signatures": [{"keyid": "<32 hex>", "sig": "<base64 Ed25519 signature>"}]}

The statement names the event type, the place it concerns, the fact's date, the signing
body and key, the signing time and the facts. Field names are a contract (EVENTS.md).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas._base import Name
from schemas.ids import BodyId, EventType, IsoDate, KeyId, PlaceId, UtcTime

PAYLOAD_TYPE = "application/vnd.dantin.event+json; version=1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SignatureWire(_Strict):
    keyid: KeyId
    sig: str = Field(max_length=128, description="Standard base64 of the 64-byte Ed25519 signature.")


class EnvelopeWire(_Strict):
    """A DSSE envelope carrying exactly one signature."""

    payloadType: Literal["application/vnd.dantin.event+json; version=1"]  # noqa: N815 - DSSE's name
    payload: str = Field(max_length=1_000_000, description="Standard base64 of the statement bytes.")
    signatures: list[SignatureWire] = Field(min_length=1, max_length=1)


class SignerPerson(_Strict):
    """The natural person who signed for the body: recorded, not trusted."""

    name: Name
    title: Name | None = None


class Statement(_Strict):
    """The signed payload."""

    v: Literal[1]
    type: EventType
    place: PlaceId = Field(description="The place the event concerns (jurisdiction is judged on it).")
    date: IsoDate = Field(description="The date of the fact itself (election day, decision date…).")
    body: BodyId = Field(description="The signing body.")
    key: KeyId = Field(description="The signing key's id; must equal the envelope's keyid.")
    signed_at: UtcTime
    facts: dict[str, Any]
    signer: SignerPerson | None = None


class UnsignedEvent(_Strict):
    """What ``dantin sign`` takes: a statement before body, key and time are filled in."""

    type: EventType
    place: PlaceId
    date: IsoDate
    facts: dict[str, Any] = Field(default_factory=dict)
    signer: SignerPerson | None = None
