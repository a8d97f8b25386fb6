"""The sealer: one RFC 9162 leaf per stored event, in notification (commit) order.

It follows the application's notification log; leaf index = position in the log, so
gaps in notification ids do not matter. Leaves and the sealer's tracked position are
written in one transaction, so after a crash it resumes exactly where it stopped. With a
log key it then signs a C2SP checkpoint (origin, size, root) of the sealed tree.
"""

from __future__ import annotations

import threading
from typing import NamedTuple, Protocol

import orjson
from eventsourcing.persistence import ApplicationRecorder, Notification, Tracking

from ledger.entry import entry_bytes
from ledger.merkle import CompactRange, leaf_hash
from ledger.note import Checkpoint, NoteSigner, sign_note

APPLICATION_NAME = "dantin"


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


class SealStore(Protocol):
    def max_tracking_id(self, application_name: str) -> int | None: ...
    def insert_leaves(self, leaves: list[Leaf], tracking: Tracking) -> None: ...
    def sealed_size(self) -> int: ...
    def select_leaves(self, start: int, limit: int) -> list[Leaf]: ...
    def insert_checkpoint(self, row: CheckpointRow) -> None: ...
    def select_checkpoints(self) -> list[CheckpointRow]: ...


def row_leaf_hash(n: Notification) -> bytes:
    """The leaf hash of a stored row: of its entry bytes, or of the raw row if unreadable."""
    try:
        state = orjson.loads(n.state)
        received = state["timestamp"]["_data_"]
        return leaf_hash(entry_bytes(state["payload"], state["keyid"], state["sig"], state["prev"], received))
    except (ValueError, KeyError, TypeError, UnicodeError):
        return leaf_hash(bytes(n.state))


def iter_leaves(store: SealStore, page: int = 5000) -> list[Leaf]:
    out: list[Leaf] = []
    while True:
        rows = store.select_leaves(len(out), page)
        if not rows:
            return out
        out.extend(rows)


class Sealer:
    def __init__(
        self,
        events: ApplicationRecorder,
        store: SealStore,
        signer: NoteSigner | None = None,
    ) -> None:
        self.events = events
        self.store = store
        self.signer = signer
        self._range: CompactRange | None = None
        self._lock = threading.Lock()

    def _loaded_range(self) -> CompactRange:
        if self._range is None:
            rng = CompactRange()
            for leaf in iter_leaves(self.store):
                rng.append(leaf.hash)
            self._range = rng
        return self._range

    def catch_up(self, page: int = 1000) -> int:
        """Seal every committed event not sealed yet; return the tree size."""
        with self._lock:
            try:
                rng = self._loaded_range()
                position = self.store.max_tracking_id(APPLICATION_NAME) or 0
                while True:
                    rows = self.events.select_notifications(start=position + 1, limit=page)
                    if not rows:
                        return rng.size
                    leaves: list[Leaf] = []
                    for n in rows:
                        h = row_leaf_hash(n)
                        leaves.append(Leaf(rng.size + len(leaves), n.id, str(n.originator_id),
                                           n.originator_version, h))
                    self.store.insert_leaves(leaves, Tracking(APPLICATION_NAME, rows[-1].id))
                    for leaf in leaves:
                        rng.append(leaf.hash)
                    position = rows[-1].id
            except BaseException:
                self._range = None  # reload from the store: memory may be ahead of it
                raise

    def checkpoint(self) -> CheckpointRow | None:
        """Sign and store a checkpoint of the sealed tree (needs the log key)."""
        if self.signer is None:
            return None
        with self._lock:
            rng = self._loaded_range()
            text = Checkpoint(self.signer.name, rng.size, rng.root()).format()
            row = CheckpointRow(rng.size, rng.root(), sign_note(text, [self.signer]))
            self.store.insert_checkpoint(row)
            return row
