"""The ledger's recorder on SQLite: events and the log tables in one file."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from eventsourcing.persistence import (
    ConnectionPoolClosedError,
    InterfaceError,
    Notification,
    OperationalError,
    StoredEvent,
)
from eventsourcing.sqlite import (
    SQLITE3_DEFAULT_LOCK_TIMEOUT,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteProcessRecorder,
    SQLiteTransaction,
)

from ledger.merkle import Node
from ledger.sealer import HeadMoved, Sealer, seal_rows
from ledger.witness import CosignatureRow
from storage import CheckpointRow, Leaf

#: Compiled statements each connection keeps. The library connects with ``cached_statements=True``,
#: a cache of one statement, so every statement of a submission (begin, insert, the seal's
#: four) was compiled again each time: about half the CPU time of a one-by-one submission's
#: database work.
STATEMENT_CACHE = 64



def _connect(pool: SQLiteConnectionPool) -> SQLiteConnection:
    """The library's connection (autocommit, WAL, rows by name), with a statement cache that holds a submission."""
    try:
        c = sqlite3.connect(database=pool.db_name, uri=True, check_same_thread=False, isolation_level=None,
                            cached_statements=STATEMENT_CACHE,
                            timeout=pool.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT)
    except (sqlite3.Error, TypeError) as e:
        raise InterfaceError(e) from e
    # (A file opened read only, ``mode=ro``, is read in the journal mode it has: see ``ledger.home``.)
    if not pool.is_sqlite_memory_mode and not pool.is_journal_mode_wal and not _read_only_uri(pool.db_name):
        if c.execute("PRAGMA journal_mode;").fetchone()[0].lower() != "wal":
            c.execute("PRAGMA journal_mode=WAL;")
            pool.journal_mode_was_changed_to_wal = True
        pool.is_journal_mode_wal = True
    c.row_factory = sqlite3.Row
    return SQLiteConnection(sqlite_conn=c, max_age=pool.max_age)


def _read_only_uri(db_name: str) -> bool:
    """Whether ``db_name`` is a ``file:`` URI asking to read only (a plain path never is, whatever it spells)."""
    return db_name.startswith("file:") and "mode=ro" in urlsplit(db_name).query.split("&")


def _leaf(r: Any) -> Leaf:
    """A row of (leaf_index, notification_id, stream, version, hash)."""
    return Leaf(int(r[0]), int(r[1]), str(r[2]), int(r[3]), bytes(r[4]))


class SQLiteLedgerRecorder(SQLiteProcessRecorder):
    def __init__(self, datastore: SQLiteDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        pool = datastore.pool
        pool._create_connection = lambda: _connect(pool)  # type: ignore[method-assign]
        self.sealer: Sealer | None = None
        #: The log head the writer judged its batch at (``ledger.streams``); None: unchecked.
        self.expected_head: int | None = None
        #: Called last inside an insert's transaction, before it commits (the writer collects its
        #: signature checks there); raising rolls the insert back.
        self.before_commit: Callable[[], None] | None = None
        #: The connection inserts are made on (``insert_events``), opened on the first.
        self._writer: SQLiteConnection | None = None
        self._writer_lock = threading.RLock()
        self._writer_closed = False
        self._open = threading.local()  # the cursor of this thread's open write transaction, if any

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS dantin_leaves ("
            "leaf_index INTEGER PRIMARY KEY, notification_id INTEGER NOT NULL UNIQUE, "
            "stream TEXT NOT NULL, version INTEGER NOT NULL, hash BLOB NOT NULL)",
            "CREATE TABLE IF NOT EXISTS dantin_nodes ("
            "level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, "
            "PRIMARY KEY (level, idx)) WITHOUT ROWID",
            # A stream's leaves are found through the events table's key (``leaves_of``): this index, which
            # ledgers made before 2026-12 have, cost every commit a page; dropped once, on first open.
            "DROP INDEX IF EXISTS dantin_leaves_event",
            "CREATE TABLE IF NOT EXISTS dantin_checkpoints ("
            "size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL)",
            # Witness cosignatures of published checkpoints (ledger.witness), one per witness key and size.
            "CREATE TABLE IF NOT EXISTS dantin_cosignatures ("
            "size INTEGER NOT NULL, witness TEXT NOT NULL, key_id INTEGER NOT NULL, "
            "cosigned_at INTEGER NOT NULL, line TEXT NOT NULL, PRIMARY KEY (size, witness, key_id))",
            # Nonces of signed API reads (api.readers), kept until their signature expires: every server
            # process on this ledger refuses a replay, not only the one that saw the request.
            "CREATE TABLE IF NOT EXISTS dantin_nonces ("
            "keyid TEXT NOT NULL, nonce TEXT NOT NULL, until REAL NOT NULL, PRIMARY KEY (keyid, nonce)) WITHOUT ROWID",
        ]

    @contextmanager
    def write_transaction(self) -> Iterator[SQLiteCursor]:
        """A write transaction (``BEGIN IMMEDIATE``; commit, or roll back on an error, the library's
        errors) on this recorder's own connection, one at a time: every write this process makes
        to the ledger's file (inserts and their seal, checkpoints, cosignatures, nonces, and the
        views, ``projections.store``), none through the pool's writer.

        The pool's writer is a trap: a writer waiting for it holds the pool's one-permit queue,
        so a views catch-up holding it, which asks the pool for a reader, waited out the pool's
        timeout (5 s) whenever a signed read's nonce or a submission arrived meanwhile, and both
        failed. Its hand-over also cost a one-by-one submission 20–30 µs run cold after the last
        ``fsync`` (4–9 %, ``docs/design/performance.md``, session 12). ``IMMEDIATE`` takes
        SQLite's write lock first, waiting its turn behind other processes: a transaction that
        reads before it writes is never refused its first write (``SQLITE_BUSY_SNAPSHOT``). An
        in-memory database has only the pool's connections: there, the pool's way. Opened again on
        a thread that holds one open (``Ledger.submit``'s last try, holding the lock while it judges),
        it is that one: the insert joins it, and the outer one commits or rolls back.
        """
        joined: SQLiteCursor | None = getattr(self._open, "cursor", None)
        if joined is not None:  # this thread's transaction is open (``Ledger.submit``'s last try): one with it
            yield joined
            return
        pool = self.datastore.pool
        if pool.is_sqlite_memory_mode:
            with self.datastore.get_connection(commit=True) as conn, ImmediateTransaction(conn, commit=True) as c, c:
                yield from self._opened(c)
            return
        # As long as SQLite waits for another process's lock (its busy timeout), then "locked", as
        # SQLite says it: a write stuck in this process is said, not waited on for ever.
        wait = pool.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT
        if not self._writer_lock.acquire(timeout=wait):
            raise OperationalError(f"database is locked: this process's writes waited {wait:g} s for another")
        try:
            if self._writer_closed or pool.closed:
                # (a write still in flight as the ledger closes: refused, as the pool would refuse it)
                raise ConnectionPoolClosedError("the ledger is closed")
            if self._writer is None:
                self._writer = _connect(pool)
            with ImmediateTransaction(self._writer, commit=True) as c, c:
                yield from self._opened(c)
        finally:
            self._writer_lock.release()

    def _opened(self, c: SQLiteCursor) -> Iterator[SQLiteCursor]:
        """``c`` as this thread's open write transaction, which a write made meanwhile joins."""
        self._open.cursor = c
        try:
            yield c
        finally:
            self._open.cursor = None

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """The library's insert, in this recorder's write transaction (``write_transaction``)."""
        with self.write_transaction() as c:
            return self._insert_events(c, stored_events, **kwargs)

    def close_writer(self) -> None:
        """Close the writes' connection (``Ledger.close``): the last connection to close cleanly
        folds the WAL back into the file and removes it."""
        with self._writer_lock:
            self._writer_closed = True
            if self._writer is not None:
                self._writer.close()
                self._writer = None

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        # Without AUTOINCREMENT a new rowid is the table's max + 1: the first id shows the head
        # this transaction (holding SQLite's write lock) appended after.
        if ids and self.expected_head is not None and ids[0] - 1 != self.expected_head:
            raise HeadMoved(f"log head is {ids[0] - 1}, judged at {self.expected_head}")
        if self.sealer is not None and ids:
            rows = seal_rows(ids, stored_events, kwargs.get("leaf_hashes"))  # the writer's, if it gave them
            self.sealer.seal(_Txn(self, c), rows, ids[0] - 1)  # the head they were appended after
        if self.before_commit is not None and ids:
            self.before_commit()  # may raise: the transaction then rolls back
        return ids

    def select_streams(self, ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
        """Every stored event of the given streams, in one query."""
        out: dict[str, list[StoredEvent]] = {}
        for chunk in range(0, len(ids), 500):
            part = list(ids[chunk:chunk + 500])
            marks = ",".join("?" * len(part))
            with self.datastore.transaction(commit=False) as c:
                c.execute(f"SELECT originator_id, originator_version, topic, state FROM {self.events_table_name} "  # noqa: S608
                          f"WHERE originator_id IN ({marks}) ORDER BY originator_id, originator_version", part)
                for r in c.fetchall():
                    out.setdefault(r[0], []).append(StoredEvent(r[0], r[1], r[2], bytes(r[3])))
        return out

    def select_stream_ids(self) -> list[str]:
        """Every stream in the log (its first event), for the writer's directory (``ledger.streams``)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT originator_id FROM {self.events_table_name} WHERE originator_version = 1")  # noqa: S608
            return [r[0] for r in c.fetchall()]

    @contextmanager
    def seal_transaction(self, *, write: bool) -> Iterator[_Txn]:
        with self.write_transaction() if write else self.datastore.transaction(commit=False) as c:
            yield _Txn(self, c)

    def sealed_size(self) -> int:
        with self.seal_transaction(write=False) as txn:
            return txn.sealed_size()

    def select_log_rows(self, start: int, limit: int) -> list[tuple[Any, ...]]:
        """The log's rows from notification id ``start``, as plain tuples of (notification id,
        stream, version, topic, state): ``verify``'s read (a ``Notification`` per row, built by
        keyword from a row read by name, was half its cost)."""
        return self._as_stored("SELECT rowid, originator_id, originator_version, topic, state "  # noqa: S608
                               f"FROM {self.events_table_name} WHERE rowid >= ? ORDER BY rowid LIMIT ?",
                               (start, limit))  # (the library's own table name, never input)

    def select_log_ids(self, start: int, limit: int) -> list[int]:
        """The notification ids from ``start`` (integers, always readable): what ``verify`` reads a
        page it could not read again by, a row at a time."""
        return [r[0] for r in self._as_stored(f"SELECT rowid FROM {self.events_table_name} "  # noqa: S608
                                              "WHERE rowid >= ? ORDER BY rowid LIMIT ?", (start, limit))]

    def select_leaf_rows(self, start: int, limit: int) -> list[tuple[Any, ...]]:
        """Leaves from index ``start``: (leaf index, notification id, stream, version, hash)."""
        return self._as_stored("SELECT leaf_index, notification_id, stream, version, hash FROM dantin_leaves "
                               "WHERE leaf_index >= ? ORDER BY leaf_index LIMIT ?", (start, limit))

    def select_checkpoint_rows(self) -> list[tuple[Any, ...]]:
        """Every checkpoint, by size: (size, root, note)."""
        return self._as_stored("SELECT size, root, note FROM dantin_checkpoints ORDER BY size", ())

    def _as_stored(self, statement: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Rows as plain tuples of the values as stored, unconverted: what ``verify`` reads, and
        judges value by value (SQLite keeps a value of any type in any column)."""
        with self.datastore.transaction(commit=False) as c:
            cursor = c.sqlite_cursor
            cursor.row_factory = None  # this cursor's rows are tuples; the connection's stay by name
            cursor.execute(statement, params)
            return cursor.fetchall()

    def select_leaves(self, start: int, limit: int) -> list[Leaf]:
        return [_leaf(r) for r in self.select_leaf_rows(start, limit)]

    def leaves_of(self, stream: str) -> list[Leaf]:
        """The stream's leaves, by version: its rows found by the events table's key, their leaves by row."""
        return self._stream_leaves("e.originator_id = ? ORDER BY e.originator_version", (stream,))

    def leaf_of(self, stream: str, version: int) -> Leaf | None:
        found = self._stream_leaves("e.originator_id = ? AND e.originator_version = ?", (stream, version))
        return found[0] if found else None

    def find_entry(self, entry_hash: bytes, near: str | None = None) -> tuple[Leaf, bytes] | None:
        """The leaf whose hash is ``entry_hash`` and its row's state: in stream ``near`` (by the events
        table's key), else anywhere (the leaves table read through: no index on the hash, ``ledger.correction``)."""
        head = ("SELECT l.leaf_index, l.notification_id, l.stream, l.version, l.hash, e.state "  # noqa: S608
                f"FROM dantin_leaves l JOIN {self.events_table_name} e ON e.rowid = l.notification_id ")
        with self.datastore.transaction(commit=False) as c:
            if near is not None:
                c.execute(head + "WHERE e.originator_id = ? AND l.hash = ? LIMIT 1", (near, entry_hash))
                found = c.fetchall()
                if found:
                    return _leaf(found[0]), bytes(found[0][5])
            c.execute(head + "WHERE l.hash = ? LIMIT 1", (entry_hash,))
            found = c.fetchall()
            return (_leaf(found[0]), bytes(found[0][5])) if found else None

    def _stream_leaves(self, where: str, params: tuple[Any, ...]) -> list[Leaf]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT l.leaf_index, l.notification_id, l.stream, l.version, l.hash "  # noqa: S608
                      f"FROM {self.events_table_name} e JOIN dantin_leaves l ON l.notification_id = e.rowid "
                      f"WHERE {where}", params)  # (``where`` is one of the two above: never input)
            return [_leaf(r) for r in c.fetchall()]

    def select_nodes(self, start: int, limit: int) -> list[Node]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT level, idx, hash FROM dantin_nodes ORDER BY level, idx LIMIT ? OFFSET ?",
                      (limit, start))
            return [Node(int(r[0]), int(r[1]), bytes(r[2])) for r in c.fetchall()]

    def checkpoint_at(self, size: int | None) -> CheckpointRow | None:
        """The stored checkpoint of ``size`` leaves, or the newest when None: one indexed lookup."""
        with self.datastore.transaction(commit=False) as c:
            if size is None:
                c.execute("SELECT size, root, note FROM dantin_checkpoints ORDER BY size DESC LIMIT 1")
            else:
                c.execute("SELECT size, root, note FROM dantin_checkpoints WHERE size = ?", (size,))
            r = c.fetchone()
            return CheckpointRow(int(r[0]), bytes(r[1]), str(r[2])) if r else None

    def select_checkpoints(self) -> list[CheckpointRow]:
        return [CheckpointRow(int(r[0]), bytes(r[1]), str(r[2])) for r in self.select_checkpoint_rows()]

    def insert_cosignature(self, row: CosignatureRow) -> None:
        """Store a verified cosignature (``ledger.witness.add_cosignature``); the first per key and size stays."""
        with self.write_transaction() as c:
            c.execute("INSERT OR IGNORE INTO dantin_cosignatures VALUES (?,?,?,?,?)", tuple(row))

    def claim_nonce(self, keyid: str, nonce: str, until: float, now: float) -> bool:
        """Record a signed request's nonce until ``until``; False when it is live already (a replay)."""
        with self.write_transaction() as c:
            c.execute("DELETE FROM dantin_nonces WHERE until <= ?", (now,))
            c.execute("INSERT INTO dantin_nonces VALUES (?, ?, ?) ON CONFLICT (keyid, nonce) DO NOTHING RETURNING 1",
                      (keyid, nonce, until))
            return c.fetchone() is not None

    def select_cosignatures(self, size: int | None = None) -> list[CosignatureRow]:
        try:
            with self.datastore.transaction(commit=False) as c:
                c.execute("SELECT size, witness, key_id, cosigned_at, line FROM dantin_cosignatures "
                          "WHERE ? IS NULL OR size = ? ORDER BY size, witness, key_id", (size, size))
                return [CosignatureRow(int(r[0]), str(r[1]), int(r[2]), int(r[3]), str(r[4])) for r in c.fetchall()]
        except OperationalError as exc:
            if "no such table" in str(exc):
                return []  # a ledger older than cosignatures, opened read only (nothing created it): it has none
            raise

    def execute(self, statement: str, params: Any = ()) -> None:
        """For tests and tools that must damage a ledger on purpose."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(statement, params)


class ImmediateTransaction(SQLiteTransaction):
    """The library's transaction (commit or roll back, its errors), begun ``IMMEDIATE``."""

    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        return cursor


class _Txn:
    def __init__(self, recorder: SQLiteLedgerRecorder, c: SQLiteCursor) -> None:
        self.recorder, self.c = recorder, c

    def sealed_size(self) -> int:
        self.c.execute("SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM dantin_leaves")
        return int(self.c.fetchone()[0])

    def hashes(self, coords: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """One query for the leaves (level 0) and nodes asked for, each found by its primary key.

        A join with a VALUES list, not ``(level, idx) IN (VALUES …)``, which SQLite answers by
        scanning the whole nodes table.
        """
        if not coords:
            return {}
        values = ",".join(["(?,?)"] * len(coords))  # only placeholders are formatted in, never values
        self.c.execute(
            f"WITH w(level, idx) AS (VALUES {values}) "  # noqa: S608
            "SELECT 0, l.leaf_index, l.hash FROM w JOIN dantin_leaves l ON w.level = 0 AND l.leaf_index = w.idx "
            "UNION ALL "
            "SELECT n.level, n.idx, n.hash FROM w JOIN dantin_nodes n ON n.level = w.level AND n.idx = w.idx "
            "WHERE w.level > 0",
            [v for c in coords for v in c],
        )
        return {(int(r[0]), int(r[1])): bytes(r[2]) for r in self.c.fetchall()}

    def insert_leaves(self, leaves: Sequence[Leaf]) -> None:
        self.c.executemany("INSERT INTO dantin_leaves VALUES (?,?,?,?,?)", leaves)

    def insert_nodes(self, nodes: Sequence[Node]) -> None:
        if nodes:
            self.c.executemany("INSERT OR IGNORE INTO dantin_nodes VALUES (?,?,?)",
                               [(n.level, n.index, n.hash) for n in nodes])

    def insert_checkpoint(self, row: CheckpointRow) -> None:
        self.c.execute("INSERT OR IGNORE INTO dantin_checkpoints VALUES (?,?,?)", tuple(row))

    def last_sealed(self) -> int:
        self.c.execute("SELECT notification_id FROM dantin_leaves ORDER BY leaf_index DESC LIMIT 1")
        r = self.c.fetchone()
        return int(r[0]) if r else 0

    def notifications_after(self, position: int, limit: int) -> list[Notification]:
        table = self.recorder.events_table_name  # the library's own table name, not input
        self.c.execute(f"SELECT rowid, * FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?",  # noqa: S608
                       (position, limit))
        return [Notification(id=r["rowid"], originator_id=r["originator_id"],
                             originator_version=r["originator_version"], topic=r["topic"], state=bytes(r["state"]))
                for r in self.c.fetchall()]
