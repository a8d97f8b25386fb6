"""The sealer: one RFC 9162 leaf per stored event, in notification (commit) order.

Leaf index = position in the application's notification log, so gaps in notification ids
do not matter. The sealer runs *inside* the transaction that inserts the events (the
storage adapter calls :meth:`Sealer.seal` after the library's insert, under its insert
lock): leaves, the tree nodes they complete and, when due, a signed
checkpoint commit together with the events or not at all. There is no window in which an
acknowledged event is unsealed, and one commit per submission instead of three.

Every completed perfect subtree is stored (``dantin_nodes``), so proofs are lookups
(:mod:`ledger.merkle`'s ``GetNode``), never recomputations; the frontier to continue from
is read back from those nodes when another process has appended since (PostgreSQL).

Checkpoints (C2SP tlog-checkpoint) are signed for every sealed batch and returned with it;
one is *stored* (published) when the tree has grown by ``CHECKPOINT_EVERY`` leaves or
``CHECKPOINT_INTERVAL`` seconds have passed, or on demand (:meth:`publish`), as tessera
publishes on an interval. Rows sealed by an older version of the program, or inserted
by anything else, are sealed by :meth:`catch_up` when the ledger opens.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, NamedTuple, Protocol

import orjson
from eventsourcing.persistence import IntegrityError, Notification, StoredEvent

from ledger.entry import entry_bytes
from ledger.merkle import CompactRange, GetNode, Node, consistency_proof, inclusion_proof, leaf_hash
from ledger.note import Checkpoint, NoteSigner, sign_note

APPLICATION_NAME = "dantin"
CHECKPOINT_EVERY = 4096
CHECKPOINT_INTERVAL = 1.0


class HeadMoved(IntegrityError):
    """Another writer appended since this one judged its batch: judge it again (retried)."""


class Leaf(NamedTuple):
    index: int  # type: ignore[assignment]  # shadows tuple.index on purpose: it is the leaf index
    notification_id: int
    stream: str
    version: int
    hash: bytes


class CheckpointRow(NamedTuple):
    size: int
    root: bytes
    note: str


class SealRow(NamedTuple):
    """A row just inserted, as the adapter hands it to :meth:`Sealer.seal`."""

    notification_id: int
    stream: str
    version: int
    state: bytes
    #: Its leaf hash, when the writer computed it already (judging hashes each entry it
    #: accepts, from the very strings the row stores); None: hashed here from ``state``.
    leaf: bytes | None = None


def seal_rows(ids: Sequence[int], stored: Sequence[StoredEvent], leaves: Sequence[bytes] | None) -> list[SealRow]:
    """The rows the adapter hands to :meth:`Sealer.seal`, with the writer's leaf hashes if it
    gave one per row (``leaves``; any other count is ignored: each row is hashed from its state)."""
    known = leaves if leaves is not None and len(leaves) == len(stored) else [None] * len(stored)
    return [SealRow(i, str(s.originator_id), s.originator_version, s.state, h)
            for i, s, h in zip(ids, stored, known, strict=True)]


class SealTxn(Protocol):
    """The log tables, inside one database transaction of the adapter."""

    def sealed_size(self) -> int: ...
    def hashes(self, coords: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]: ...
    def insert_leaves(self, leaves: Sequence[Leaf]) -> None: ...
    def insert_nodes(self, nodes: Sequence[Node]) -> None: ...
    def insert_checkpoint(self, row: CheckpointRow) -> None: ...
    def notifications_after(self, position: int, limit: int) -> list[Notification]: ...
    def last_sealed(self) -> int:
        """The notification id of the last leaf (0 for none): the rows up to it are sealed."""
        ...


class SealStore(Protocol):
    """The storage adapter: the application recorder that also holds the log tables."""

    sealer: Sealer | None

    def seal_transaction(self, *, write: bool) -> AbstractContextManager[SealTxn]: ...
    def sealed_size(self) -> int: ...
    def select_leaves(self, start: int, limit: int) -> list[Leaf]: ...
    def select_nodes(self, start: int, limit: int) -> list[Node]: ...
    def leaf_of(self, stream: str, version: int) -> Leaf | None: ...
    def leaves_of(self, stream: str) -> list[Leaf]: ...
    #: The leaf of that hash and its row's state, looked for in stream ``near`` first (a correction's original).
    def find_entry(self, entry_hash: bytes, near: str | None = None) -> tuple[Leaf, bytes] | None: ...
    def select_checkpoints(self) -> list[CheckpointRow]: ...
    #: The same rows as stored, as plain tuples of unconverted values (``verify`` judges each).
    def select_leaf_rows(self, start: int, limit: int) -> list[tuple[Any, ...]]: ...
    def select_checkpoint_rows(self) -> list[tuple[Any, ...]]: ...
    def checkpoint_at(self, size: int | None) -> CheckpointRow | None: ...
    def execute(self, statement: str, params: object = ()) -> None: ...


def state_entry(state: Any) -> bytes:
    """The entry bytes of a stored row's state; the raw state itself if it is unreadable.

    A damaged row still gets a leaf (of its raw bytes), so the damage shows as a leaf
    mismatch in ``verify`` instead of stopping the log.
    """
    try:
        s = orjson.loads(state)
        return entry_bytes(s["payload"], s["keyid"], s["sig"], s["prev"], s["timestamp"]["_data_"])
    except (ValueError, KeyError, TypeError, UnicodeError):
        if isinstance(state, (bytes, bytearray, memoryview)):
            return bytes(state)
        # Not bytes at all: SQLite keeps a value of any type in any column.
        return state.encode("utf-8", "surrogatepass") if isinstance(state, str) else repr(state).encode()


def state_leaf_hash(state: Any) -> bytes:
    return leaf_hash(state_entry(state))


def iter_leaves(store: SealStore, page: int = 5000) -> list[Leaf]:
    """Every leaf, in index order (paged from the index after the last one read: a leaf
    missing from a damaged table shifts nothing into the next page twice)."""
    out: list[Leaf] = []
    start = 0
    while True:
        rows = store.select_leaves(start, page)
        if not rows:
            return out
        out.extend(rows)
        start = rows[-1].index + 1


def frontier_coords(size: int) -> list[tuple[int, int]]:
    """(level, index) of the perfect subtrees covering ``[0, size)``, largest first."""
    coords, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            coords.append((level, start >> level))
            start += 1 << level
    return coords


def batched_lookup(txn: SealTxn, build: Callable[[GetNode], list[bytes]]) -> list[bytes]:
    """Run a proof builder twice: once to learn which nodes it reads, once with them fetched.

    One query per proof instead of one per node, and the proof code stays the plain
    RFC 9162 walk over ``get_node``.
    """
    wanted: list[tuple[int, int]] = []

    def record(level: int, index: int) -> bytes:
        wanted.append((level, index))
        return bytes(32)

    build(record)
    found = txn.hashes(sorted(set(wanted)))

    def lookup(level: int, index: int) -> bytes:
        try:
            return found[(level, index)]
        except KeyError:
            raise LookupError(f"tree node ({level}, {index}) is not stored") from None

    return build(lookup)


class Sealer:
    """Seals inside the adapter's insert transaction; callers serialise writes (the ledger's lock)."""

    def __init__(self, store: SealStore, signer: NoteSigner | None = None) -> None:
        self.store = store
        self.signer = signer
        self._latest: CheckpointRow | None = None  # the newest signed checkpoint, stored or not
        self._range: CompactRange | None = None  # as committed
        #: The last row this process sealed (notification id): while the log head is still this row,
        #: ``_range`` is the stored tree (``seal``). None: read the size when sealing.
        self._head: int | None = None
        self._pending: tuple[CompactRange, CheckpointRow | None, bool, list[bytes], int] | None = None
        #: The inclusion proof of the newest leaf this process sealed, in the tree that ends with it:
        #: the frontier before it, smallest subtree first. A receipt needs exactly this proof.
        self._tip: tuple[int, list[bytes]] | None = None
        self._published_size = -1
        self._published_at = 0.0

    # -- inside the adapter's insert transaction ------------------------------------

    def _range_for(self, txn: SealTxn) -> CompactRange:
        size = txn.sealed_size()
        if self._range is not None and self._range.size == size:
            return self._range
        coords = frontier_coords(size)
        found = txn.hashes(coords)
        if len(found) != len(coords):
            raise LookupError(f"the stored tree lacks frontier nodes for size {size}")
        return CompactRange.from_nodes(size, [found[c] for c in coords])

    def seal(self, txn: SealTxn, rows: Sequence[SealRow], head: int | None = None) -> None:
        """Append one leaf per row (in the given, notification order) inside ``txn``.

        ``head`` is the log head the rows were appended after, when the adapter knows it from
        the insert itself (under the insert lock). If it is the last row this process sealed,
        no one has appended since, so no one has sealed since either (leaves are written only
        with the rows they seal, or by ``catch_up`` for rows after the last leaf's row, which
        was that row): the stored tree is the one committed then, and its size is not read.
        """
        if not rows:
            return
        if head is not None and head == self._head and self._range is not None:
            base = self._range
        else:
            base = self._range_for(txn)
        rng = base.copy()
        leaves: list[Leaf] = []
        nodes: list[Node] = []
        tip: list[bytes] = []
        for row in rows:
            h = row.leaf if row.leaf is not None else state_leaf_hash(row.state)
            if row is rows[-1]:
                tip = rng.nodes()[::-1]  # RFC 9162 PATH(n-1, D[n]): the subtrees left of the last leaf
            leaves.append(Leaf(rng.size, row.notification_id, row.stream, row.version, h))
            nodes.extend(n for n in rng.append(h) if n.level > 0)
        txn.insert_leaves(leaves)
        txn.insert_nodes(nodes)
        # Signed only when due for publication; otherwise on request (``latest``): Ed25519 is
        # deterministic, so a note signed later is the very note that would have been signed now.
        stored = self.signer is not None and self._due(rng.size)
        signed = self._sign(rng) if stored else None
        if signed is not None:
            txn.insert_checkpoint(signed)
        self._pending = (rng, signed, stored, tip, rows[-1].notification_id)

    @property
    def latest(self) -> CheckpointRow | None:
        """The checkpoint of the whole tree this process last sealed (signed on first request)."""
        if self._range is None or self.signer is None or self._range.size == 0:
            return self._latest
        if self._latest is None or self._latest.size != self._range.size:
            self._latest = self._sign(self._range)
        return self._latest

    def committed(self) -> None:
        """The adapter's transaction committed: what ``seal`` wrote is now the log."""
        if self._pending is None:
            return
        rng, signed, stored, tip, head = self._pending
        self._range, self._head, self._pending = rng, head, None
        self._tip = (rng.size - 1, tip)
        if signed is not None:
            self._latest = signed
        if stored:
            self._published_size, self._published_at = rng.size, time.monotonic()

    def rolled_back(self) -> None:
        self._pending = None
        self._tip = None
        self._range = self._head = None  # re-read from the store: another writer may have moved it

    # -- in transactions of its own ---------------------------------------------------

    def catch_up(self, page: int = 1000) -> int:
        """Seal committed rows that have no leaf yet (older ledgers, other writers); return the size."""
        self._ensure_nodes()
        while True:
            try:
                with self.store.seal_transaction(write=True) as txn:
                    rows = txn.notifications_after(txn.last_sealed(), page)
                    self.seal(txn, [SealRow(n.id, str(n.originator_id), n.originator_version, n.state)
                                    for n in rows])
                    size = txn.sealed_size() if not rows else -1
            except BaseException:
                self.rolled_back()
                raise
            self.committed()
            if not rows:
                return size

    def publish(self) -> CheckpointRow | None:
        """Sign and store a checkpoint of the whole sealed tree now (needs the log key)."""
        if self.signer is None:
            return None
        with self.store.seal_transaction(write=True) as txn:
            rng = self._range_for(txn)
            row = self._sign(rng)
            txn.insert_checkpoint(row)
        self._range, self._head, self._latest = rng, None, row  # read at a head it does not know
        self._published_size, self._published_at = rng.size, time.monotonic()
        return row

    def _ensure_nodes(self) -> None:
        """Ledgers sealed before nodes were stored get them once, from their leaves."""
        with self.store.seal_transaction(write=False) as txn:
            size = txn.sealed_size()
            complete = len(txn.hashes(frontier_coords(size))) == size.bit_count()
        if complete:
            return
        rng, nodes = CompactRange(), list[Node]()
        for leaf in iter_leaves(self.store):
            nodes.extend(n for n in rng.append(leaf.hash) if n.level > 0)
        with self.store.seal_transaction(write=True) as txn:
            txn.insert_nodes(nodes)

    # -- proofs: lookups of stored nodes -------------------------------------------------

    def unpublished(self) -> bool:
        """Whether leaves sealed by this process are not covered by a published checkpoint yet."""
        return self._range is not None and 0 < self._range.size != self._published_size

    def latest_size(self) -> int:
        return self._range.size if self._range is not None else self.size()

    def size(self) -> int:
        with self.store.seal_transaction(write=False) as txn:
            return txn.sealed_size()

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """One read: a tree size beyond the sealed one needs a node that is not stored (ValueError).

        No read for the newest leaf this process sealed, in the tree ending with it (a receipt's proof).
        """
        if self._tip is not None and index == self._tip[0] == size - 1:
            return list(self._tip[1])
        with self.store.seal_transaction(write=False) as txn:
            return _beyond_as_value_error(lambda: batched_lookup(txn, lambda get: inclusion_proof(index, size, get)))

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        with self.store.seal_transaction(write=False) as txn:
            _within(new, txn.sealed_size())  # (from a size to itself the proof is empty: of a tree there is)
            return _beyond_as_value_error(lambda: batched_lookup(txn, lambda get: consistency_proof(old, new, get)))

    def root(self, size: int) -> bytes:
        """The root of the tree of ``size`` leaves (any size up to the sealed one)."""
        with self.store.seal_transaction(write=False) as txn:
            _within(size, txn.sealed_size())
            found = txn.hashes(frontier_coords(size))
        return CompactRange.from_nodes(size, [found[c] for c in frontier_coords(size)]).root()

    def sign_at(self, size: int) -> CheckpointRow | None:
        """A checkpoint of the tree of ``size`` leaves, signed now (None without the log key).

        Ed25519 signatures are deterministic, so this is byte for byte the note the sealer
        signed for that size when it sealed it (a receipt's checkpoint), stored or not.
        """
        if self.signer is None or size < 1:
            return None
        root = self.root(size)
        text = Checkpoint(self.signer.name, size, root).format()
        return CheckpointRow(size, root, sign_note(text, [self.signer]))

    def _sign(self, rng: CompactRange) -> CheckpointRow:
        assert self.signer is not None
        root = rng.root()
        text = Checkpoint(self.signer.name, rng.size, root).format()
        return CheckpointRow(rng.size, root, sign_note(text, [self.signer]))

    def _due(self, size: int) -> bool:
        return (
            self._published_size < 0
            or size - self._published_size >= CHECKPOINT_EVERY
            or time.monotonic() - self._published_at >= CHECKPOINT_INTERVAL
        )


def _beyond_as_value_error(build: Callable[[], list[bytes]]) -> list[bytes]:
    try:
        return build()
    except LookupError as exc:
        raise ValueError(f"the tree is not that big: {exc}") from None


def _within(size: int, sealed: int) -> None:
    if size > sealed:
        raise ValueError(f"tree size {size} is beyond the sealed size {sealed}")
