"""The application service: the one thing the faces (CLI, HTTP) call.

``Ledger`` is an eventsourcing application pinned to the name ``dantin`` (so table names
never follow a class rename). ``submit`` parses, authorises and appends envelopes;
refusals come back as values (``Refused``), and a refused envelope stores nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import resolve_topic

from ledger.authority import StreamState, admit
from ledger.entry import entry_hash
from ledger.envelope import Envelope, parse_envelope
from ledger.errors import DantinError, Refused
from ledger.note import NoteSigner
from ledger.sealer import Sealer, SealStore
from ledger.stream import Stream

EnvelopeInput = bytes | str | Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a submitter gets back for an accepted envelope."""

    stream: str
    version: int
    type: str
    hash: str
    notification_id: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "version": self.version,
            "type": self.type,
            "hash": self.hash,
            "notification_id": self.notification_id,
        }


class Ledger(Application[str]):
    name = "dantin"
    env: ClassVar[dict[str, str]] = {"ORIGINATOR_ID_TYPE": "text", "IS_SNAPSHOTTING_ENABLED": "no"}

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env)
        # One writer per process: check-then-append must not interleave.
        self._write_lock = threading.Lock()
        topic = self.env.get("DANTIN_SEAL_RECORDER_TOPIC")
        self.sealer: Sealer | None = None
        if topic:
            store = cast(SealStore, self.factory.tracking_recorder(resolve_topic(topic)))
            self.sealer = Sealer(self.recorder, store)
            self.sealer.catch_up()

    def attach_log_key(self, origin: str, seed: bytes) -> None:
        """Sign checkpoints with the ledger's log key after each sealed batch."""
        if self.sealer is not None:
            self.sealer.signer = NoteSigner.from_private_bytes(origin, seed)

    # -- reads ---------------------------------------------------------------

    def get_stream(self, stream_id: str) -> Stream | None:
        try:
            stream: Stream = self.repository.get(stream_id)
        except AggregateNotFoundError:
            return None
        return stream

    def is_empty(self) -> bool:
        return not self.recorder.max_notification_id()

    # -- writes --------------------------------------------------------------

    def submit(self, envelopes: Sequence[EnvelopeInput]) -> list[Receipt | Refused]:
        """Judge and append a batch in one transaction; one result per envelope, in order.

        Each envelope is judged against the ledger as it stands after the accepted ones
        before it in the batch. Retries when another writer wins a stream's next version.
        """
        for attempt in range(5):
            try:
                return self._submit(envelopes)
            except IntegrityError:
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def submit_one(self, envelope: EnvelopeInput) -> Receipt:
        result = self.submit([envelope])[0]
        if isinstance(result, Refused):
            raise result
        return result

    def _submit(self, envelopes: Sequence[EnvelopeInput]) -> list[Receipt | Refused]:
        with self._write_lock:
            pending: dict[str, Stream] = {}
            view = _BatchView(self, pending)
            results: list[Refused | tuple[str, int, str, str]] = []
            accepted: list[Stream.Event] = []  # in acceptance order: the log's order
            genesis = self.is_empty()
            for raw in envelopes:
                try:
                    env = parse_envelope(raw)
                    stream_id = admit(env, view, genesis=genesis)
                except Refused as refusal:
                    results.append(refusal)
                    continue
                stream = view.aggregate(stream_id)
                if stream is None:
                    stream = Stream.open(stream_id, env)
                else:
                    stream.append(env)
                pending[stream_id] = stream
                accepted.extend(stream.collect_events())  # type: ignore[arg-type]
                genesis = False
                results.append((stream_id, stream.version, env.statement.type, stream.state.head))
            recordings = self.save(*accepted) if accepted else []
            if recordings and self.sealer is not None:
                self.sealer.catch_up()
                self.sealer.checkpoint()
            ids = {
                (r.domain_event.originator_id, r.domain_event.originator_version): r.notification.id
                for r in recordings
            }
            out: list[Receipt | Refused] = []
            for item in results:
                if isinstance(item, Refused):
                    out.append(item)
                else:
                    sid, version, etype, head = item
                    out.append(Receipt(sid, version, etype, head, ids[(sid, version)]))
            return out


class _BatchView:
    """The ledger as it stands: stored streams, overlaid by this batch's pending ones."""

    def __init__(self, ledger: Ledger, pending: dict[str, Stream]) -> None:
        self._ledger = ledger
        self._pending = pending
        self._misses: set[str] = set()

    def aggregate(self, stream_id: str) -> Stream | None:
        if stream_id in self._pending:
            return self._pending[stream_id]
        if stream_id in self._misses:
            return None
        stream = self._ledger.get_stream(stream_id)
        if stream is None:
            self._misses.add(stream_id)
        else:
            self._pending[stream_id] = stream
        return stream

    def stream(self, stream_id: str) -> StreamState | None:
        agg = self.aggregate(stream_id)
        return agg.state if agg is not None else None


__all__ = ["DantinError", "Envelope", "Ledger", "Receipt", "Refused", "entry_hash"]
