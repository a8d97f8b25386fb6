"""The one aggregate: a stream of signed entries (a place's, a body's or a person's).

Every accepted envelope becomes one event of the stream it concerns
(``catalogue.stream_of``). The stored event keeps the envelope exactly as received
(payload and signature in standard base64, the key id) and ``prev``, the hash of the
stream's previous entry. Topics are pinned so that renaming a class never orphans rows.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate

from ledger.authority import GENESIS, StreamState, evolve, open_state
from ledger.entry import entry_bytes, entry_hash
from ledger.envelope import Envelope, parse_payload
from ledger.signing import b64decode_strict, b64encode


class Stream(BaseAggregate[str]):
    TOPIC = "dantin:Stream"

    @dataclass(frozen=True)
    class Event(CanMutateAggregate[str]):
        TOPIC = "dantin:Stream.Event"
        originator_id: str
        originator_version: int
        timestamp: datetime
        payload: str
        keyid: str
        sig: str
        prev: str

        def entry(self) -> bytes:
            return entry_bytes(self.payload, self.keyid, self.sig, self.prev, self.timestamp.isoformat())

        def envelope(self) -> Envelope:
            parsed: Envelope | None = getattr(_just_parsed, "env", None)
            if parsed is not None and getattr(_just_parsed, "payload", None) is self.payload:
                return parsed  # the envelope ``open``/``append`` was given: judged once, not parsed again
            return parse_payload(b64decode_strict(self.payload), self.keyid, b64decode_strict(self.sig))

        def apply(self, aggregate: Any) -> None:
            stream: Stream = aggregate
            evolve(stream.state, self.envelope(), entry_hash(self.entry()))

    @dataclass(frozen=True)
    class Opened(Event, CanInitAggregate[str]):
        TOPIC = "dantin:Stream.Opened"
        originator_topic: str

        def mutate(self, aggregate: Any) -> Any:
            """What the library's ``mutate`` does for a stream, without resolving the topic and
            matching the event's fields to each initialiser's parameters on every call (a
            sixth of a one-by-one submission's event handling; replays pay it per stream)."""
            if aggregate is not None or self.originator_topic != Stream.TOPIC:
                return super().mutate(aggregate)
            stream = Stream.__new__(Stream)
            stream.__base_init__(self.originator_id, self.originator_version, self.timestamp)
            stream.__init__(self.payload, self.keyid, self.sig, self.prev)  # type: ignore[misc]
            self.apply(stream)
            return stream

    @dataclass(frozen=True)
    class Appended(Event):
        TOPIC = "dantin:Stream.Appended"

    def __init__(self, payload: str, keyid: str, sig: str, prev: str) -> None:
        self.state: StreamState = open_state(self.id)

    @classmethod
    def open(cls, stream_id: str, env: Envelope) -> Stream:
        """The library's ``_create`` for this one class: the same event (fields, topic, timestamp)."""
        payload = _hand_over(env)
        try:
            event = cls.Opened(
                originator_id=stream_id, originator_version=cls.INITIAL_VERSION,
                timestamp=cls.Opened.create_timestamp(), payload=payload, keyid=env.keyid,
                sig=b64encode(env.sig), prev=GENESIS, originator_topic=cls.TOPIC,
            )
            stream: Stream = event.mutate(None)
        finally:
            _just_parsed.env = _just_parsed.payload = None
        stream.pending_events.append(event)
        return stream

    def append(self, env: Envelope) -> None:
        """The library's ``trigger_event``, without checking again the topic registration done at import."""
        payload = _hand_over(env)
        try:
            event = self.Appended(
                originator_id=self.id, originator_version=self.version + 1,
                timestamp=self.Appended.create_timestamp(), payload=payload, keyid=env.keyid,
                sig=b64encode(env.sig), prev=self.state.head,
            )
            event.mutate(self)
        finally:
            _just_parsed.env = _just_parsed.payload = None
        self.pending_events.append(event)


_just_parsed = threading.local()


def _hand_over(env: Envelope) -> str:
    """Let the event being triggered reuse ``env`` instead of re-parsing its payload; the
    payload as the event stores it. The caller clears ``_just_parsed`` when the event is applied.

    Matched by the identity of the payload string, so replayed events (read from the
    store) always parse what is stored.
    """
    payload = b64encode(env.payload)
    _just_parsed.env, _just_parsed.payload = env, payload
    return payload
