"""A village's full history for an authorised reader: its envelopes as received, and the
profiles of the people they refer to (birth dates and party membership included, which is
why only signed, entitled readers get it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import orjson

from ledger.application import Ledger
from ledger.catalogue import PERSON_STREAM_PREFIX, person_refs
from ledger.entry import entry_hash
from ledger.signing import PAYLOAD_TYPE, b64decode_strict
from ledger.stream import Stream


def _events(ledger: Ledger, stream_id: str) -> list[Stream.Event]:
    return [cast(Stream.Event, e) for e in ledger.repository.event_store.get(stream_id)]


def _indices(ledger: Ledger, stream_id: str) -> dict[int, int]:
    """Leaf index by version, for one stream, in one query."""
    if ledger.sealer is None:
        return {}
    return {leaf.version: leaf.index for leaf in ledger.sealer.store.leaves_of(stream_id)}


def _entry(event: Stream.Event, indices: dict[int, int]) -> dict[str, Any]:
    return {
        "index": indices.get(event.originator_version),
        "version": event.originator_version,
        "hash": entry_hash(event.entry()),
        "received": event.timestamp.isoformat(),
        "envelope": {"payloadType": PAYLOAD_TYPE, "payload": event.payload,
                     "signatures": [{"keyid": event.keyid, "sig": event.sig}]},
        "statement": orjson.loads(b64decode_strict(event.payload)),
    }


def _profile(entries: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A person's profile as it stands: each later profile supersedes the fields it names."""
    profile: dict[str, Any] = {}
    for entry in entries:
        facts = entry["statement"].get("facts", {})
        profile.update({k: v for k, v in facts.items() if k != "person"})
    return profile


def village_history(ledger: Ledger, village: str) -> dict[str, Any]:
    own = _indices(ledger, village)
    events = [_entry(e, own) for e in _events(ledger, village)]
    people: dict[str, None] = {}
    for entry in events:
        statement = entry["statement"]
        facts = statement.get("facts")
        if isinstance(facts, dict):
            people.update(dict.fromkeys(person_refs(statement.get("type", ""), facts)))
    profiles = []
    for person in people:
        stream = PERSON_STREAM_PREFIX + person
        indices = _indices(ledger, stream)
        entries = [_entry(e, indices) for e in _events(ledger, stream)]
        profiles.append({"id": person, "profile": _profile(entries), "entries": entries})
    return {"events": events, "people": profiles}
