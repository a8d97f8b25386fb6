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


def _entry(ledger: Ledger, event: Stream.Event) -> dict[str, Any]:
    leaf = ledger.sealer.store.leaf_of(event.originator_id, event.originator_version) if ledger.sealer else None
    return {
        "index": leaf.index if leaf is not None else None,
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
    events = [_entry(ledger, e) for e in _events(ledger, village)]
    people: dict[str, None] = {}
    for entry in events:
        statement = entry["statement"]
        facts = statement.get("facts")
        if isinstance(facts, dict):
            people.update(dict.fromkeys(person_refs(statement.get("type", ""), facts)))
    profiles = []
    for person in people:
        entries = [_entry(ledger, e) for e in _events(ledger, PERSON_STREAM_PREFIX + person)]
        profiles.append({"id": person, "profile": _profile(entries), "entries": entries})
    return {"events": events, "people": profiles}
