"""The application service: the one thing the faces (CLI, HTTP) call.

``Ledger`` is an eventsourcing application pinned to the name ``dantin`` (so table names
never follow a class rename). ``submit`` parses, authorises and appends envelopes;
refusals come back as values (``Refused``), and a refused envelope stores nothing.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, cast

import orjson
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Mapper, ProgrammingError, StoredEvent
from eventsourcing.utils import get_topic, strtobool

from ledger.authority import StreamState, admit
from ledger.catalogue import PERSON_STREAM_PREFIX, person_refs, stream_of
from ledger.correction import Earlier
from ledger.entry import entry_hash
from ledger.envelope import Envelope, format_utc, open_envelope, parse_envelope, parse_payload
from ledger.envelope import utc_now as utc_now  # (the clock the door reads: tests set it here)
from ledger.errors import DantinError, Refused
from ledger.note import NoteSigner
from ledger.preverify import CHUNK, MIN_BATCH, Chunk, Job, Preverifier, Vouched
from ledger.sealer import CheckpointRow, Leaf, Sealer, SealStore, state_entry, state_leaf_hash
from ledger.signing import PAYLOAD_TYPE, b64decode_strict, pae, sha256_hex
from ledger.stream import Stream
from ledger.streams import StreamCache

EnvelopeInput = bytes | str | Mapping[str, Any]

#: Submissions after which this writer checks even a single envelope's signature on a worker
#: (overlapping its insert), rather than inline: a process that writes often, not a one-shot
#: ``dantin submit`` that would pay a worker's start for one signature.
WARM_AFTER = 32
#: How far ahead of this server's clock a statement's ``signed_at`` may be: a signer's clock a
#: little fast. Beyond it the statement is refused at the door (``signed_in_future``): a key's
#: ``valid_from`` is judged on ``signed_at``, so a signer who could date a statement ahead
#: could use a key before it is valid. A laptop set to Vietnam's time but taken for UTC signs
#: seven hours ahead, and is told so. An audit, which knows no moment of arrival, does not
#: judge this again.
SIGNED_AT_SKEW = timedelta(minutes=10)
#: The environment key of a ledger opened to be read only (``home.open_ledger(read_only=True)``).
READ_ONLY = "READ_ONLY"


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a submitter gets back for an accepted envelope."""

    stream: str
    version: int
    type: str
    hash: str  # the entry hash = its RFC 9162 leaf hash, hex
    notification_id: int
    index: int  # leaf index in the log

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "version": self.version,
            "type": self.type,
            "hash": self.hash,
            "notification_id": self.notification_id,
            "index": self.index,
        }


class Ledger(Application[str]):
    name = "dantin"
    env: ClassVar[dict[str, str]] = {"ORIGINATOR_ID_TYPE": "text", "IS_SNAPSHOTTING_ENABLED": "no"}

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env)
        # One writer per process: check-then-append must not interleave.
        self._write_lock = threading.Lock()
        self._cache = StreamCache(self._load_streams, directory=getattr(self.recorder, "select_stream_ids", None))
        self._stale = True  # the cache must be synced with the log before the first judgement
        self._preverifier = Preverifier()
        #: Key id -> raw public key, for every key a signature was sent to the workers under: a
        #: key id is a hash of its key, so this never goes stale (whose key it is, and whether it
        #: may sign, is judged as ever). A warm writer sends a signature from it at once (``_Feed.early``).
        self._keyids: dict[str, bytes] = {}
        self._submissions = 0  # after WARM_AFTER, even one envelope's signature goes to a worker
        self.sealer: Sealer | None = None
        #: Opened to be read (audited) only: nothing is written, rows without a leaf stay so.
        self.read_only = strtobool(self.env.get(READ_ONLY) or "no")
        if hasattr(self.recorder, "seal_transaction"):  # the storage adapters' recorders
            store = cast(SealStore, self.recorder)
            self.sealer = Sealer(store)
            store.sealer = self.sealer
            if not self.read_only:
                with self._write_lock:
                    self.sealer.catch_up()

    def attach_log_key(self, origin: str, seed: bytes) -> None:
        """Sign checkpoints with the ledger's log key."""
        if self.sealer is not None:
            self.sealer.signer = NoteSigner.from_private_bytes(origin, seed)

    def close(self) -> None:
        """Publish a checkpoint covering every acknowledged event (like a flush), then close.

        Idempotent: the library calls ``close`` again from ``__del__``.
        """
        if getattr(self, "_closed", False):
            return
        self._closed = True
        if self.sealer is not None and self.sealer.signer is not None and self.sealer.unpublished():
            # Best effort (e.g. at interpreter exit the pool is gone): the next open signs the same tree.
            with contextlib.suppress(Exception):
                self.publish_checkpoint()
        self._preverifier.close()
        for own in ("close_reader", "close_writer"):  # PostgreSQL's proof connection, SQLite's inserts' one
            close = getattr(self.recorder, own, None)
            if close is not None:
                close()
        super().close()

    # -- reads ---------------------------------------------------------------

    def get_stream(self, stream_id: str) -> Stream | None:
        try:
            stream: Stream = self.repository.get(stream_id)
        except AggregateNotFoundError:
            return None
        return stream

    def is_empty(self) -> bool:
        return not self.recorder.max_notification_id()

    # -- the log (RFC 9162 tree, C2SP checkpoints) ------------------------------

    def _log(self) -> Sealer:
        if self.sealer is None:
            raise LogUnavailable("Sổ cái này không có nhật ký Merkle.", detail="no sealer configured")
        return self.sealer

    def log_size(self) -> int:
        return self._log().size()

    def checkpoints(self) -> list[CheckpointRow]:
        """The published (stored) checkpoints, oldest first."""
        return self._log().store.select_checkpoints()

    def checkpoint(self, size: int | None = None) -> CheckpointRow | None:
        """The published checkpoint of ``size`` leaves, or the newest one; None if there is none."""
        return self._log().store.checkpoint_at(size)

    def signed_checkpoint(self, size: int) -> CheckpointRow | None:
        """The checkpoint of ``size`` leaves: the published one, else the one the sealer signed for that
        size (re-signed: deterministic, so identical to any receipt's), None beyond the log or without the key."""
        found = self.checkpoint(size)
        if found is not None:
            return found
        try:
            return self._log().sign_at(size)
        except ValueError:
            return None

    def publish_checkpoint(self) -> CheckpointRow | None:
        """Sign and publish a checkpoint of the whole log now, unless the newest one already covers it."""
        self.ensure_writable()
        with self._write_lock:
            latest, size = self.checkpoint(), self._log().size()
            if size == 0 or (latest is not None and latest.size == size):
                return latest
            return self._log().publish()

    def root(self, size: int) -> bytes:
        """The RFC 9162 root of the tree of the log's first ``size`` leaves."""
        _check_range(0 < size <= self.log_size(), f"no tree of size {size}")
        return self._log().root(size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        _check_range(0 <= index < size, f"leaf {index} is not in a tree of size {size}")
        try:  # the sealer checks the size in the same read transaction as the lookups
            return self._log().inclusion_proof(index, size)
        except ValueError as exc:
            raise OutOfRange("Vị trí hoặc kích thước yêu cầu nằm ngoài nhật ký hiện có.", detail=str(exc)) from None

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        _check_range(0 < old <= new, f"no consistency proof from size {old} to {new}")
        try:
            return self._log().consistency_proof(old, new)
        except ValueError as exc:
            raise OutOfRange("Vị trí hoặc kích thước yêu cầu nằm ngoài nhật ký hiện có.", detail=str(exc)) from None

    def leaf(self, index: int) -> Leaf:
        rows = self._log().store.select_leaves(index, 1)
        _check_range(index >= 0 and bool(rows) and rows[0].index == index, f"no leaf {index}")
        return rows[0]

    def receipt_of(self, envelope: EnvelopeInput) -> Receipt | None:
        """The receipt of the accepted envelope byte-identical to ``envelope`` (for a replay), if any."""
        try:
            env = parse_envelope(envelope)
        except Refused:
            return None
        st = env.statement
        try:
            stream_id = stream_of(st.type, st.place, st.body, st.facts)
        except (KeyError, TypeError):
            return None
        for stored in self.recorder.select_events(stream_id):
            event = cast(Stream.Event, self.mapper.to_domain_event(stored))
            if b64decode_strict(event.payload) == env.payload:
                leaf = self._log().store.leaf_of(stream_id, event.originator_version)
                if leaf is None:
                    return None
                return Receipt(stream_id, leaf.version, st.type, leaf.hash.hex(), leaf.notification_id, leaf.index)
        return None

    def entry(self, index: int) -> bytes:
        """The exact bytes hashed into leaf ``index``."""
        leaf = self.leaf(index)
        rows = self.recorder.select_notifications(start=leaf.notification_id, limit=1)
        _check_range(bool(rows) and rows[0].id == leaf.notification_id, f"leaf {index} has no stored row")
        return state_entry(rows[0].state)

    # -- writes --------------------------------------------------------------

    def submit(self, envelopes: Sequence[EnvelopeInput]) -> list[Receipt | Refused]:
        """Judge and append a batch in one transaction; one result per envelope, in order.

        Each envelope is judged against the ledger as it stands after the accepted ones
        before it in the batch. Retries when another writer wins a stream's next version.
        """
        self.ensure_writable()
        hold = getattr(self.recorder, "hold_inserts", None) or getattr(self.recorder, "write_transaction", None)
        for attempt in range(5):
            try:
                if attempt == 4 and hold is not None:
                    # The last try judges holding the store's write (insert) lock: nobody can append
                    # between its reading of the head and its insert, which joins this transaction.
                    # Without it, a batch beside writers that commit every few milliseconds (two
                    # servers on one file) could lose every race and fail. The ledger's own lock is
                    # taken first, as every write of this process takes the two: a submission of
                    # another thread, holding it and waiting for the store's, would otherwise wait
                    # out the store's lock timeout and fail, while this one waited for it.
                    with self._write_lock, hold():
                        return self._submit_locked(envelopes)
                return self._submit(envelopes)
            except IntegrityError:  # HeadMoved included: another writer appended since we judged
                self._stale = True
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def submit_one(self, envelope: EnvelopeInput) -> Receipt:
        result = self.submit([envelope])[0]
        if isinstance(result, Refused):
            raise result
        return result

    def ensure_writable(self) -> None:
        """Raise ``ReadOnly`` (403 over HTTP) when this ledger was opened to be read only."""
        if self.read_only:
            raise ReadOnly.refusal()

    def _submit(self, envelopes: Sequence[EnvelopeInput]) -> list[Receipt | Refused]:
        with self._write_lock:
            return self._submit_locked(envelopes)

    def _submit_locked(self, envelopes: Sequence[EnvelopeInput]) -> list[Receipt | Refused]:
        """``_submit``'s work, the caller holding ``_write_lock``."""
        # Optimistic: judge against the cache as it is. Acceptance is checked at insert (the head
        # the cache reflects must still be the log's head, else HeadMoved and a retry, synced);
        # a refusal judged on a cache another writer made stale is checked here, once.
        if self._stale or self._cache.position < 0:
            self._sync()
            self._stale = False
        self._submissions += 1
        feed = _Feed(self._preverifier, self._cache, self._keyids, single=len(envelopes) == 1) if (
            self._preverifier.enabled and (len(envelopes) >= MIN_BATCH or self._submissions > WARM_AFTER)) else None
        parsed: list[Envelope | Refused] = []
        started: list[Chunk] = []
        try:
            for raw in envelopes:
                try:
                    opened = open_envelope(raw)
                    sent = feed is not None and feed.early(*opened)
                    env = parse_payload(*opened)
                except Refused as refusal:
                    parsed.append(refusal)
                    continue
                parsed.append(env)
                if feed is not None and not sent:
                    feed.add(env)
            self._cache.prefetch(self._to_judge(parsed))
            started = feed.finish() if feed is not None else []
            vouched = {v for chunk in started for v in chunk.vouched}
            while True:
                pending, results, accepted, stored, relied = self._judge_batch(parsed, vouched)
                # Each accepted entry's hash, as judging computed it (the stream's head after it):
                # the very leaf the seal would compute again from the stored row.
                leaves = [bytes.fromhex(r[3]) for r in results if not isinstance(r, Refused)]
                try:
                    ids = self._save_sealed(accepted, pending, stored, started, relied, leaves)
                    break
                except _Unvouched as unvouched:  # some assumed signature is bad: judge again,
                    vouched = unvouched.good  # verifying inline those the workers refused
                finally:
                    started = []  # collected (or, with nothing to insert, no longer wanted)
        finally:
            if feed is not None:
                self._preverifier.forget(feed.started)  # what an exception left uncollected
        size = self.sealer.latest_size() if self.sealer is not None else len(ids)
        first = size - len(ids)
        at = {(e.originator_id, e.originator_version): (nid, first + i)  # leaves follow acceptance order
              for i, (e, nid) in enumerate(zip(accepted, ids, strict=True))}
        out: list[Receipt | Refused] = []
        for item in results:
            if isinstance(item, Refused):
                out.append(item)
            else:
                sid, version, etype, head = item
                nid, index = at[(sid, version)]
                out.append(Receipt(sid, version, etype, head, nid, index))
        return out

    def _to_judge(self, parsed: list[Envelope | Refused]) -> Iterator[str]:
        return (i for e in parsed if not isinstance(e, Refused) for i in _streams_to_judge(e))

    def _judge_batch(
        self, parsed: list[Envelope | Refused], vouched: set[Vouched]
    ) -> tuple[dict[str, Stream], list[Refused | tuple[str, int, str, str]], list[Stream.Event], list[StoredEvent],
               set[Vouched]]:
        """Judge the batch, taking the ``vouched`` signatures as good, and build its stored rows;
        last, the vouched signatures the judgement relied on."""
        while True:
            relied = _Relied(vouched)
            pending, results, accepted = self._judge(parsed, relied)
            refused = any(isinstance(r, Refused) for r, p in zip(results, parsed, strict=True)
                          if not isinstance(p, Refused))
            if not refused or not self._head_moved():
                return pending, results, accepted, [stored_event(self.mapper, e) for e in accepted], relied.used
            # A refusal judged on a view another writer made stale is judged once more, synced.
            self._cache.evict(pending)  # mutated by a judgement made on a stale view
            self._sync()
            self._cache.prefetch(self._to_judge(parsed))

    def _head_moved(self) -> bool:
        return (self.recorder.max_notification_id() or 0) != self._cache.position

    def _judge(
        self, parsed: list[Envelope | Refused], vouched: Container[Vouched]
    ) -> tuple[dict[str, Stream], list[Refused | tuple[str, int, str, str]], list[Stream.Event]]:
        """Judge each envelope against the ledger as the batch leaves it so far."""
        pending: dict[str, Stream] = {}
        view = _BatchView(self._cache, pending, self._stored_earlier)
        results: list[Refused | tuple[str, int, str, str]] = []
        accepted: list[Stream.Event] = []  # in acceptance order: the log's order
        genesis = self._cache.position == 0
        horizon = utc_now() + SIGNED_AT_SKEW
        for env in parsed:
            if isinstance(env, Refused):
                results.append(env)
                continue
            try:
                stream_id = admit(env, view, genesis=genesis, vouched=vouched)
                if env.statement.signed_at > horizon:
                    raise _signed_in_future(env.statement.signed_at, horizon - SIGNED_AT_SKEW)
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
            view.accepted(stream.state.head, env)
            genesis = False
            results.append((stream_id, stream.version, env.statement.type, stream.state.head))
        return pending, results, accepted

    def _stored_earlier(self, entry_hash: str, near: str) -> Earlier | None:
        """The stored event of that entry hash (``View.earlier``), looked for in stream ``near`` first:
        ``ledger.correction`` says why there and then in the leaves table. Read at or after the position
        the batch is judged at: a row committed since by another writer makes the insert fail and
        the batch be judged again (``HeadMoved``), as any other read of the store."""
        if self.sealer is None:  # a recorder of the library's own (no log tables): its rows, one by one
            start = 1
            while rows := self.recorder.select_notifications(start=start, limit=1000):
                for n in rows:
                    if state_leaf_hash(n.state).hex() == entry_hash:
                        return _earlier_of(n.state)
                start = rows[-1].id + 1
            return None
        found = self.sealer.store.find_entry(bytes.fromhex(entry_hash), near)
        if found is None or state_leaf_hash(found[1]).hex() != entry_hash:  # (a row altered since it was sealed)
            return None
        return _earlier_of(found[1])

    def _sync(self) -> None:
        """Bring the writer's cache to the log's head, evicting what other writers touched."""
        head = self.recorder.max_notification_id() or 0
        cache = self._cache
        if head == cache.position:
            return
        if cache.position < 0 or head < cache.position or head - cache.position > 10_000:
            cache.moved(head, None)
            return
        rows = self.recorder.select_notifications(start=cache.position + 1, limit=head - cache.position, stop=head)
        cache.moved(head, {str(n.originator_id) for n in rows})

    def _save_sealed(self, accepted: list[Stream.Event], pending: dict[str, Stream], stored: list[StoredEvent],
                     started: list[Chunk], relied: set[Vouched], leaves: list[bytes]) -> list[int]:
        """Insert the rows (and their leaves: the recorder seals in the same transaction); their ids.

        The signatures the workers were checking (``started``) were assumed good: their
        answers are collected last inside the transaction, just before it commits, so the
        workers' checking overlaps the insert too. If one the judgement ``relied`` on is bad,
        the insert rolls back and ``_Unvouched`` says which were good (a bad one nothing relied
        on, such as an envelope refused before its signature mattered, changes nothing). The
        library's ``save`` would collect the events again and map them again; they are already
        both, so they go straight to the recorder.
        """
        if not accepted:
            return []
        recorder = self.recorder

        def collect() -> None:
            good, bad = self._preverifier.settle(started)
            if not bad.isdisjoint(relied):
                raise _Unvouched(good)

        hooked = hasattr(recorder, "before_commit")
        if started and not hooked:
            collect()
        try:
            recorder.expected_head = self._cache.position  # type: ignore[attr-defined]
            if started and hooked:
                recorder.before_commit = collect  # type: ignore[attr-defined]
            ids = recorder.insert_events(stored, leaf_hashes=leaves)  # (the library's recorders ignore it)
        except BaseException:
            if self.sealer is not None:
                self.sealer.rolled_back()
            self._cache.evict(pending)  # mutated in memory by a batch that did not land
            raise
        finally:
            recorder.expected_head = None  # type: ignore[attr-defined]
            if hooked:
                recorder.before_commit = None  # type: ignore[attr-defined]
        if not ids or len(ids) != len(stored):
            raise ProgrammingError(f"the recorder returned {len(ids or [])} ids for {len(stored)} events")
        if self.sealer is not None:
            self.sealer.committed()
        self._cache.stored(pending, max(ids))
        return list(ids)

    def _load_streams(self, ids: list[str]) -> dict[str, Stream]:
        select = getattr(self.recorder, "select_streams", None)
        if select is None:
            return {i: s for i in ids if (s := self.get_stream(i)) is not None}
        out: dict[str, Stream] = {}
        for stream_id, stored in select(ids).items():
            aggregate: Any = None
            for event in stored:
                aggregate = cast(Stream.Event, self.mapper.to_domain_event(event)).mutate(aggregate)
            out[stream_id] = aggregate
        return out


def _signed_in_future(signed_at: datetime, now: datetime) -> Refused:
    ahead = signed_at - now
    minutes = -(-int(ahead.total_seconds()) // 60)  # rounded up: more than the allowance, said so
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    by = " ".join(f"{n} {unit}" for n, unit in ((days, "ngày"), (hours, "giờ"), (minutes, "phút")) if n)
    allowed = int(SIGNED_AT_SKEW.total_seconds()) // 60
    # Vietnam's time written as UTC: seven hours ahead, give or take the minutes the signing took.
    local_as_utc = abs(ahead - timedelta(hours=7)) <= SIGNED_AT_SKEW
    why = ("giờ Việt Nam đã bị ghi như giờ UTC (đồng hồ máy ký đặt giờ địa phương nhưng coi là UTC)" if local_as_utc
           else "đồng hồ của máy ký đang chạy nhanh")
    return Refused(
        "signed_in_future",
        f"Thời điểm ký ({format_utc(signed_at.replace(microsecond=0))}) muộn hơn giờ của máy chủ "
        f"({format_utc(now.replace(microsecond=0))}) {by}, quá mức cho phép {allowed} phút: {why}. "
        "Chỉnh đồng hồ rồi ký lại.",
        detail=f"signed_at {format_utc(signed_at)} is {ahead} ahead of the server's clock (allowed: {SIGNED_AT_SKEW})",
    )


def _streams_to_judge(env: Envelope) -> list[str]:
    """The streams ``admit`` will read for ``env``: signer, place, target, people referred to."""
    st = env.statement
    facts = st.facts if isinstance(st.facts, dict) else {}
    ids = [st.body, st.place]
    with contextlib.suppress(KeyError, TypeError):
        ids.append(stream_of(st.type, st.place, st.body, facts))
    ids.extend(PERSON_STREAM_PREFIX + p for p in person_refs(st.type, facts))
    return ids


#: A stream event's stored JSON, as the library's encoder writes it for plain strings (``stored_event``).
_ROW = '{"timestamp":{"_type_":"datetime_iso","_data_":"%s"},"payload":"%s","keyid":"%s","sig":"%s","prev":"%s"'
_OPENED_TAIL = ',"originator_topic":"%s"}'
_QUOTES = (_ROW + "}").count('"')
_QUOTES_OPENED = (_ROW + _OPENED_TAIL).count('"')
_FIELDS = ("originator_id", "originator_version", "timestamp", "payload", "keyid", "sig", "prev")
_SHAPES = {
    Stream.Opened: (get_topic(Stream.Opened), (*_FIELDS, "originator_topic")),
    Stream.Appended: (get_topic(Stream.Appended), _FIELDS),
}


def stored_event(mapper: Mapper[str], event: Stream.Event) -> StoredEvent:
    """``mapper.to_stored_event(event)``, byte for byte, without the library's generic encoder.

    A stream event's state is a few ASCII strings and a timestamp, so its JSON is written
    directly (a fifth of the cost per event of a batch's writer). Anything else — another
    event class or shape, a mapper that compresses or encrypts, a string the encoder would
    escape — goes through the library; ``tests/unit/test_stored_event.py`` holds them equal.
    """
    shape = _SHAPES.get(type(event))
    state = vars(event)
    if (shape is None or mapper.compressor is not None or mapper.cipher is not None
            or type(mapper.transcoder) is not JSONTranscoder or tuple(state) != shape[1]
            or type(event.timestamp) is not datetime):
        return mapper.to_stored_event(event)
    payload, keyid, sig, prev = event.payload, event.keyid, event.sig, event.prev
    topic = state.get("originator_topic")
    if not (type(payload) is str and type(keyid) is str and type(sig) is str and type(prev) is str
            and (topic is None or type(topic) is str)):
        return mapper.to_stored_event(event)
    json = _ROW % (event.timestamp.isoformat(), payload, keyid, sig, prev)
    json += "}" if topic is None else _OPENED_TAIL % topic
    # Written as the encoder writes it only if no value holds a character it would escape (a quote,
    # a backslash, a control character) or write otherwise (non-ASCII): the row then has exactly
    # the template's quotes, and is printable ASCII throughout.
    if not (json.isascii() and json.isprintable() and "\\" not in json
            and json.count('"') == (_QUOTES if topic is None else _QUOTES_OPENED)):
        return mapper.to_stored_event(event)
    return StoredEvent(event.originator_id, event.originator_version, shape[0], json.encode("ascii"))


class LogUnavailable(DantinError):
    code = "log_unavailable"
    title_vi = "Không có nhật ký"


class ReadOnly(DantinError):
    code = "read_only"
    title_vi = "Sổ cái chỉ đọc"

    @classmethod
    def refusal(cls) -> ReadOnly:
        """What a write to a ledger opened (or served) read only is told."""
        return cls("Sổ cái đang được mở chỉ để đọc (kiểm tra): không ghi được gì vào đó.",
                   detail="ledger opened read-only")


class OutOfRange(DantinError):
    code = "out_of_range"
    title_vi = "Ngoài phạm vi nhật ký"


def _check_range(ok: bool, detail: str) -> None:
    if not ok:
        raise OutOfRange("Vị trí hoặc kích thước yêu cầu nằm ngoài nhật ký hiện có.", detail=detail)


class _Relied:
    """The vouched signatures as ``admit`` asks about them, noting those it found (and so
    did not verify): only a bad one among those makes the judgement differ from serial judging."""

    __slots__ = ("_vouched", "used")

    def __init__(self, vouched: set[Vouched]) -> None:
        self._vouched = vouched
        self.used: set[Vouched] = set()

    def __contains__(self, item: object) -> bool:
        if item in self._vouched:
            self.used.add(item)
            return True
        return False


class _Unvouched(Exception):
    """The workers refused some signature the batch was judged assuming good."""

    def __init__(self, good: set[Vouched]) -> None:
        super().__init__("a pre-verified signature failed")
        self.good = good


class _Feed:
    """A batch's signatures, sent to the workers a chunk at a time as the batch is parsed.

    A signature under a key id the writer has sent before goes out as soon as the envelope is
    opened (``early``), before its statement is parsed and checked: a single submission's
    then reaches the worker some 40 µs sooner, which it spent waiting for the answer. Else,
    envelopes whose signer's key the writer holds go out once parsed (no read of the
    database); the others, once their signers are prefetched (``finish``). A signer enrolled
    or rekeyed within the batch itself is not known yet: its signatures are checked inline
    when judged, as are any the workers refuse.
    """

    def __init__(self, preverifier: Preverifier, cache: StreamCache, keyids: dict[str, bytes], *,
                 single: bool = False) -> None:
        self._preverifier = preverifier
        self._cache = cache
        self._keyids = keyids
        self._chunk = 1 if single else CHUNK  # a single envelope's goes out at once
        self._jobs: list[Job] = []
        self._later: list[Envelope] = []
        self.started: list[Chunk] = []

    def early(self, payload: bytes, keyid: str, sig: bytes) -> bool:
        """Send the signature now if the key id is known; whether it was."""
        public = self._keyids.get(keyid)
        if public is None:
            return False
        self._job(((sha256_hex(payload), sig, public), pae(PAYLOAD_TYPE, payload)))
        return True

    def add(self, env: Envelope) -> None:
        signer = self._cache.peek(env.statement.body)
        if signer is None:
            self._later.append(env)
        else:
            self._take(env, signer)

    def finish(self) -> list[Chunk]:
        for env in self._later:
            signer = self._cache.get(env.statement.body)
            if signer is not None:
                self._take(env, signer)
        if self._jobs:
            self.started.append(self._preverifier.send(self._jobs))
            self._jobs = []
        return self.started

    def _take(self, env: Envelope, signer: Stream) -> None:
        body = signer.state.body
        key = body.keys.get(env.keyid) if body is not None else None
        if key is not None:
            if len(self._keyids) >= 100_000:  # (a bound that a real ledger's keys stay far below)
                self._keyids.clear()
            self._keyids[env.keyid] = key.public.raw
            self._job(((env.payload_hash, env.sig, key.public.raw), env.preimage()))

    def _job(self, job: Job) -> None:
        self._jobs.append(job)
        if len(self._jobs) >= self._chunk:
            self.started.append(self._preverifier.send(self._jobs))
            self._jobs = []


def _earlier_of(state: bytes) -> Earlier | None:
    """A stored row's event, as a correction of it is judged (None: a row that does not read)."""
    try:
        statement = orjson.loads(b64decode_strict(orjson.loads(state)["payload"]))
    except (ValueError, KeyError, TypeError, DantinError):
        return None
    return Earlier.of(statement) if isinstance(statement, dict) else None


class _BatchView:
    """The ledger as it stands: the writer's cache, overlaid by this batch's pending streams (and,
    for a correction, the events accepted in this batch, else the store)."""

    def __init__(self, cache: StreamCache, pending: dict[str, Stream],
                 stored: Callable[[str, str], Earlier | None]) -> None:
        self._cache = cache
        self._pending = pending
        self._stored = stored
        self._accepted: dict[str, Envelope] = {}

    def accepted(self, entry_hash: str, env: Envelope) -> None:
        """An event this batch accepts (in this batch, before the store has it): kept as it is, one
        dict entry on every submission's path (a client cannot name one, its hash holding the moment of
        its arrival; the view is the ledger as the batch leaves it all the same)."""
        self._accepted[entry_hash] = env

    def earlier(self, entry_hash: str, near: str) -> Earlier | None:
        found = self._accepted.get(entry_hash)
        if found is None:
            return self._stored(entry_hash, near)
        st = found.statement
        return Earlier(st.body, st.type, st.facts, st.place)

    def aggregate(self, stream_id: str) -> Stream | None:
        if stream_id in self._pending:
            return self._pending[stream_id]
        return self._cache.get(stream_id)

    def stream(self, stream_id: str) -> StreamState | None:
        agg = self.aggregate(stream_id)
        return agg.state if agg is not None else None


__all__ = ["DantinError", "Envelope", "Ledger", "Receipt", "Refused", "entry_hash"]
