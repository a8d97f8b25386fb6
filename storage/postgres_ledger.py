"""The ledger's recorder on PostgreSQL: events and the log tables in one schema."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar, cast

import psycopg
from eventsourcing.persistence import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    InternalError,
    Notification,
    NotSupportedError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresDatastore, PostgresProcessRecorder
from psycopg import Connection, Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Composable, Composed, Identifier, Placeholder

from ledger.merkle import Node
from ledger.sealer import HeadMoved, Sealer, seal_rows
from ledger.witness import CosignatureRow
from storage import CheckpointRow, Leaf

#: How long a read rides out the database being out of reach before it says so. A server that
#: restarts or fails over answers again within seconds; the library's ten tries, each waiting up to
#: the pool's timeout (``POSTGRES_CONNECT_TIMEOUT``, 5 s) for a connection, took 38 s to tell a
#: person running ``dantin verify`` that the server had gone.
READ_RETRY_S = 8.0
#: Seconds the recorder's own read connection may sit idle before a read asks it first whether it is
#: still alive (``_ping_reader``: one round trip, only after an idle spell; busy readers never pay it).
READER_PING_S = 5.0
_F = TypeVar("_F", bound=Callable[..., Any])


def _retry_reads(func: _F) -> _F:
    """Try a read again on a connection error, 0.2 s apart, ten times at most and for no longer than
    ``READ_RETRY_S`` (the library's retry, bounded in time)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + READ_RETRY_S
        for attempt in range(1, 11):
            try:
                return func(*args, **kwargs)
            except (InterfaceError, OperationalError):
                if attempt == 10 or time.monotonic() >= deadline:
                    raise
                time.sleep(0.2 * (1 + 0.1 * (random.random() - 0.5)))  # noqa: S311 - a jitter, not a secret
        raise AssertionError("unreachable")

    return cast(_F, wrapper)


class PostgresLedgerRecorder(PostgresProcessRecorder):
    #: ``verify`` reads the next page of the log in a thread while it checks this one: a read
    #: waits on the server (``ledger.audit._ReadAhead``).
    READ_AHEAD = True

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "dantin_events",
        tracking_table_name: str = "dantin_tracking",
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name, tracking_table_name=tracking_table_name)
        self.sealer: Sealer | None = None
        self._reader: Connection[DictRow] | None = None  # ``_reading``
        self._reader_lock = threading.Lock()
        self._reader_used = 0.0  # (monotonic) when ``_reading`` last used it
        self._held = threading.local()  # ``hold_inserts``: this thread's transaction holding the insert lock
        #: The log head the writer judged its batch at (``ledger.streams``); None: unchecked.
        self.expected_head: int | None = None
        #: Called last inside an insert's transaction, after its seal's writes are sent and before
        #: the COMMIT (the writer collects its signature checks there); raising rolls it all back.
        self.before_commit: Callable[[], None] | None = None
        self._rendered: dict[object, bytes] = {}  # ``_render``
        schema = Identifier(self.datastore.schema)
        self.t_leaves = SQL("{0}.{1}").format(schema, Identifier("dantin_leaves"))
        self.t_nodes = SQL("{0}.{1}").format(schema, Identifier("dantin_nodes"))
        self.t_checkpoints = SQL("{0}.{1}").format(schema, Identifier("dantin_checkpoints"))
        self.t_cosignatures = SQL("{0}.{1}").format(schema, Identifier("dantin_cosignatures"))
        self.t_nonces = SQL("{0}.{1}").format(schema, Identifier("dantin_nonces"))
        self.t_events = SQL("{0}.{1}").format(schema, Identifier(self.events_table_name))
        self.sql_head_and_size = SQL("SELECT (SELECT COALESCE(MAX(notification_id), 0) FROM {0}) AS head, "
                                     "(SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM {1}) AS n"
                                     ).format(self.t_events, self.t_leaves)
        self.sql_last_sealed = SQL("SELECT notification_id FROM {0} ORDER BY leaf_index DESC LIMIT 1"
                                   ).format(self.t_leaves)
        self.sql_sealed_size = SQL("SELECT COALESCE(MAX(leaf_index) + 1, 0) AS n FROM {0}").format(self.t_leaves)
        self.sql_leaf_rows = SQL("SELECT leaf_index, notification_id, stream, version, hash FROM {0} "
                                 "WHERE leaf_index >= %s ORDER BY leaf_index LIMIT %s").format(self.t_leaves)
        self.sql_checkpoint_rows = SQL("SELECT size, root, note FROM {0} ORDER BY size").format(self.t_checkpoints)
        self.sql_log_ids = SQL("SELECT notification_id FROM {0} WHERE notification_id >= %s "
                                "ORDER BY notification_id LIMIT %s").format(self.t_events)
        self.sql_log_rows = SQL("SELECT notification_id, originator_id, originator_version, topic, state FROM {0} "
                                "WHERE notification_id >= %s ORDER BY notification_id LIMIT %s").format(self.t_events)
        self.sql_create_statements.extend([
            SQL("CREATE TABLE IF NOT EXISTS {0} (leaf_index bigint PRIMARY KEY, "
                "notification_id bigint NOT NULL UNIQUE, stream text NOT NULL, "
                "version bigint NOT NULL, hash bytea NOT NULL)").format(self.t_leaves),
            # A stream's leaves are found through the events table's key (``leaves_of``): this index, which
            # ledgers made before 2026-12 have, cost every commit an index update; dropped once, on first open.
            SQL("DROP INDEX IF EXISTS {0}").format(SQL("{0}.{1}").format(schema, Identifier("dantin_leaves_event"))),
            SQL("CREATE TABLE IF NOT EXISTS {0} (level smallint NOT NULL, idx bigint NOT NULL, "
                "hash bytea NOT NULL, PRIMARY KEY (level, idx))").format(self.t_nodes),
            SQL("CREATE TABLE IF NOT EXISTS {0} (size bigint PRIMARY KEY, root bytea NOT NULL, "
                "note text NOT NULL)").format(self.t_checkpoints),
            # Witness cosignatures of published checkpoints (ledger.witness), one per witness key and size.
            SQL("CREATE TABLE IF NOT EXISTS {0} (size bigint NOT NULL, witness text NOT NULL, "
                "key_id bigint NOT NULL, cosigned_at bigint NOT NULL, line text NOT NULL, "
                "PRIMARY KEY (size, witness, key_id))").format(self.t_cosignatures),
            # Nonces of signed API reads (api.readers), kept until their signature expires: every server
            # process on this ledger refuses a replay, not only the one that saw the request.
            SQL("CREATE TABLE IF NOT EXISTS {0} (keyid text NOT NULL, nonce text NOT NULL, "
                "until double precision NOT NULL, PRIMARY KEY (keyid, nonce))").format(self.t_nonces),
        ])

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """Lock, head check, insert and seal in one transaction, in two round trips.

        The statements go through psycopg's pipeline mode: the lock, the head check, the
        notification, the insert (RETURNING the ids) and the sealed-size read travel together;
        the seal's writes and the COMMIT travel together. Unlike the library's version, any
        exception — a moved head or the sealer's — leaves the transaction by raising, so it
        rolls back: events never commit without their leaves.
        """
        if not stored_events:
            return []
        committing: list[bool] = []
        try:
            return self._insert_sealed(stored_events, committing, **kwargs)
        except (OperationalError, InterfaceError):
            # A connection the server dropped while it sat in the pool (PostgreSQL restarted, an idle
            # session ended) fails at the first use. Nothing can have committed before the COMMIT was
            # sent: once, with the pool's dead connections replaced. (Before, the first submissions
            # after the server came back each failed as if it were still away.)
            if committing or getattr(self._held, "conn", None) is not None:
                raise
            self.datastore.pool.check()
            return self._insert_sealed(stored_events, [], **kwargs)

    def _insert_sealed(self, stored_events: Sequence[StoredEvent], committing: list[bool],
                       **kwargs: Any) -> Sequence[int] | None:
        with self._connection() as conn, conn.pipeline(), conn.transaction(), conn.cursor() as curs:
            self._lock_table(curs)  # once: the insert below is the library's statement, without its second lock
            read = conn.cursor()  # the head (checked below) and the sealed size, read after the lock
            read.execute(self._render("head", self.sql_head_and_size, curs), prepare=True)
            self._notify_channel(curs)
            curs.execute(self._render("insert", self._insert_columns, curs),
                         ([s.originator_id for s in stored_events], [s.originator_version for s in stored_events],
                          [s.topic for s in stored_events], [s.state for s in stored_events]), binary=True)
            ids = [int(r["notification_id"]) for r in curs.fetchall()]  # the first sync
            if len(ids) != len(stored_events):
                raise ProgrammingError(f"got {len(ids)} notification ids for {len(stored_events)} events")
            if self.expected_head is not None:
                row = read.fetchone()
                head = int(row["head"]) if row else 0
                if head != self.expected_head:
                    raise HeadMoved(f"log head is {head}, judged at {self.expected_head}")
                read.scroll(0, mode="absolute")  # the sealer reads the size from the same row
            txn = None
            if self.sealer is not None and ids:
                rows = seal_rows(ids, stored_events, kwargs.get("leaf_hashes"))  # the writer's, if it gave them
                txn = _Txn(self, curs, sized=read)
                self.sealer.seal(txn, rows)
            if txn is not None:
                txn.flush()  # sent now: the server writes the seal while the hook below waits
            if self.before_commit is not None and ids:
                self.before_commit()  # may raise: the transaction then rolls back
            committing.append(True)  # the COMMIT is sent next: a failure from here on is not retried
        return ids  # the COMMIT (the second sync) ran when the transaction block ended

    @contextmanager
    def hold_inserts(self) -> Iterator[None]:
        """Hold the insert lock from now until the block ends (``Ledger.submit``'s last try judges
        holding it): an insert this thread makes meanwhile joins this transaction, which commits
        at the end (or rolls back on an error). Nobody else can append in between, so that try
        cannot be overtaken: beside a busy writer a batch lost all five races and failed."""
        if getattr(self._held, "conn", None) is not None:
            yield
            return
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._lock_table(curs)
            self._held.conn = conn
            try:
                yield
            finally:
                self._held.conn = None

    @contextmanager
    def _connection(self) -> Iterator[Connection[DictRow]]:
        """This thread's held connection (``hold_inserts``), else one of the pool's."""
        held: Connection[DictRow] | None = getattr(self._held, "conn", None)
        if held is None:
            with self.datastore.get_connection() as conn:
                yield conn
            return
        try:
            yield held
        except psycopg.Error as exc:
            raise _persistence_error(exc) from exc

    def _insert_columns(self) -> Composed:
        """The library's insert (same columns, RETURNING the ids in row order), its rows sent as one
        array per column in binary: the library's array of composite rows is quoted as text in
        Python, about a quarter of the writer's time on a 500-event batch (the state as hex).
        A batch's originator ids are all of one Python type (psycopg refuses a list mixing
        ``str`` and ``UUID``): dantin's are always ``str``, in a text column."""
        return SQL("INSERT INTO {0} (originator_id, originator_version, topic, state) "
                   "SELECT * FROM unnest(%b::{1}[], %b::bigint[], %b::text[], %b::bytea[]) "
                   "RETURNING notification_id").format(
            self.t_events, Identifier(self.datastore.originator_id_type))

    def _render(self, key: object, build: Composable | Callable[[], Composable], curs: Cursor[DictRow]) -> bytes:
        """A statement of an insert, as bytes, composed and quoted once per recorder.

        psycopg renders a composed statement again on every ``execute``: for the handful
        a submission sends (lock, head, notification, insert, seal) that cost 60-80 µs here.
        """
        found = self._rendered.get(key)
        if found is None:
            found = self._rendered[key] = (build if isinstance(build, Composable) else build()).as_bytes(curs)
        return found

    def _lock_table(self, curs: Cursor[DictRow]) -> None:
        """The library's lock statements (lock timeout, then the table's EXCLUSIVE lock), rendered once."""
        for i, statement in enumerate(self.lock_table_statements):
            if isinstance(statement, Composable):
                statement = self._render(("lock", i), statement, curs)
            curs.execute(statement, prepare=True)

    def _notify_channel(self, curs: Cursor[DictRow]) -> None:
        curs.execute(self._render("notify", lambda: SQL("NOTIFY {0}").format(Identifier(self.channel_name)), curs))

    def seal_statement(self, shape: tuple[int, int, int], curs: Cursor[DictRow]) -> bytes:
        """The seal's writes as one statement of data-modifying CTEs, for the given row counts
        (``_form``) of leaves, nodes and checkpoints."""
        return self._render(("seal", shape), lambda: self._seal_statement(shape), curs)

    def _seal_statement(self, shape: tuple[int, int, int]) -> Composed:
        parts: list[Composed] = []
        for (table, types, tail), form in zip(_SEAL_TABLES, shape, strict=True):
            if form == ARRAY:
                rows = SQL("SELECT * FROM unnest({0})").format(SQL(", ").join(SQL(f"%b::{t}[]") for t in types))
            elif form:
                rows = SQL("VALUES {0}").format(_values(form, len(types)))
            else:
                continue
            parts.append(SQL("INSERT INTO {0} {1}" + tail).format(getattr(self, table), rows))
        *ctes, last = parts
        return last if not ctes else SQL("WITH {0} {1}").format(
            SQL(", ").join(SQL("w{0} AS ({1})").format(SQL(str(i)), c) for i, c in enumerate(ctes)), last)

    def select_streams(self, ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
        """Every stored event of the given streams, in one query."""
        out: dict[str, list[StoredEvent]] = {}
        rows = self._rows(SQL("SELECT originator_id, originator_version, topic, state FROM {0} "
                              "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version")
                          .format(self.t_events), (list(ids),))
        for r in rows:
            out.setdefault(r["originator_id"], []).append(
                StoredEvent(r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"])))
        return out

    def select_stream_ids(self) -> list[str]:
        """Every stream in the log (its first event), for the writer's directory (``ledger.streams``)."""
        rows = self._rows(SQL("SELECT originator_id FROM {0} WHERE originator_version = 1").format(self.t_events), ())
        return [str(r["originator_id"]) for r in rows]

    @_retry_reads
    def max_notification_id(self) -> int | None:
        """The library's query, its retry bounded in time (``READ_RETRY_S``)."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.max_notification_id_statement)
            row = curs.fetchone()
            return None if row is None else cast("int | None", row["max"])

    @_retry_reads
    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        """The library's query and answer, with the rows sent in binary as plain tuples.

        As text, each row's state (bytea) crosses as hex that the server encodes and psycopg
        decodes, into a dict per row: half of the client's time reading the log (3.6 against
        1.7 µs per row, 10,000 rows of ``bench.ingest``), which ``verify`` and a rebuild pay
        for every row.
        """
        where: list[Composable] = []
        params: list[Any] = []
        if start is not None:
            where.append(SQL("notification_id >= %s" if inclusive_of_start else "notification_id > %s"))
            params.append(start)
        if stop is not None:
            where.append(SQL("notification_id <= %s"))
            params.append(stop)
        if topics:
            assert isinstance(topics, (tuple, list)), topics  # as the library's: never a lone str
            where.append(SQL("topic = ANY(%s)"))
            params.append(list(topics))
        params.append(limit)
        statement = SQL("SELECT notification_id, originator_id, originator_version, topic, state FROM {0}{1} "
                        "ORDER BY notification_id LIMIT %s").format(
            self.t_events, SQL(" WHERE ") + SQL(" AND ").join(where) if where else SQL(""))
        return [Notification(id=r[0], originator_id=r[1], originator_version=r[2], topic=r[3], state=r[4])
                for r in self._tuples(statement, params)]

    @_retry_reads
    def select_log_rows(self, start: int, limit: int) -> list[tuple[Any, ...]]:
        """The log's rows from notification id ``start``, as plain tuples of (notification id,
        stream, version, topic, state): ``verify``'s read, without a ``Notification`` per row."""
        return self._tuples(self.sql_log_rows, (start, limit))

    @_retry_reads
    def select_log_ids(self, start: int, limit: int) -> list[int]:
        """The notification ids from ``start``: what ``verify`` reads a page it could not read again by."""
        return [r[0] for r in self._tuples(self.sql_log_ids, (start, limit))]

    @_retry_reads
    def select_leaf_rows(self, start: int, limit: int) -> list[tuple[Any, ...]]:
        """Leaves from index ``start``: (leaf index, notification id, stream, version, hash), sent in binary."""
        return self._tuples(self.sql_leaf_rows, (start, limit))

    @_retry_reads
    def select_checkpoint_rows(self) -> list[tuple[Any, ...]]:
        """Every checkpoint, by size: (size, root, note)."""
        return self._tuples(self.sql_checkpoint_rows, ())

    def _tuples(self, statement: Composed, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self.datastore.get_connection() as conn, conn.cursor(binary=True, row_factory=tuple_row) as curs:
            curs.execute(statement, params, prepare=True)
            return curs.fetchall()

    @contextmanager
    def _reading(self) -> Iterator[Cursor[DictRow]]:
        """A cursor for one-statement reads of append-only tables: autocommit, no BEGIN.

        Proofs are single indexed lookups, so checking a connection out of the pool is a good
        part of their cost. Reads use this recorder's own connection when no other thread is
        using it, else one from the pool; a broken connection is replaced on the next read.
        """
        if not self._reader_lock.acquire(blocking=False):
            with self.datastore.get_connection() as conn, conn.cursor() as curs:
                yield curs
            return
        try:
            if self._reader is not None and not self._reader.closed and \
                    time.monotonic() - self._reader_used >= READER_PING_S:
                self._ping_reader()
            if self._reader is None or self._reader.closed:
                self._reader = self._connect_reader()
            with self._reader.cursor() as curs:
                yield curs
            self._reader_used = time.monotonic()
        except psycopg.Error as exc:
            if self._reader is not None and (self._reader.broken or self._reader.closed):
                self._reader.close()
                self._reader = None
            raise _persistence_error(exc) from exc
        finally:
            self._reader_lock.release()

    def _ping_reader(self) -> None:
        """After ``READER_PING_S`` idle, ask the own connection first: the server may have ended it
        meanwhile (restarted, an idle session ended), and a proof read on it failed once (503) before
        the next read reconnected. A dead one is closed here, and replaced by the caller."""
        assert self._reader is not None
        try:
            self._reader.execute("SELECT 1")
        except psycopg.Error:
            self._reader.close()
            self._reader = None

    def _connect_reader(self) -> Connection[DictRow]:
        """A connection like the pool's (same parameters, autocommit)."""
        pool = self.datastore.pool
        conninfo = pool.conninfo() if callable(pool.conninfo) else pool.conninfo
        kwargs = dict(pool.kwargs() if callable(pool.kwargs) else (pool.kwargs or {}))
        if pool.get_password_func is not None:
            kwargs["password"] = pool.get_password_func()
        kwargs["autocommit"] = True
        return cast(Connection[DictRow], Connection.connect(conninfo, **kwargs))

    def close_reader(self) -> None:
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    @contextmanager
    def seal_transaction(self, *, write: bool) -> Iterator[_Txn]:
        if not write:
            with self._reading() as curs:
                yield _Txn(self, curs)
            return
        with self.datastore.transaction(commit=True) as curs:
            self._lock_table(curs)  # the insert lock: sealing order = commit order
            txn = _Txn(self, curs)
            yield txn
            txn.flush()

    @_retry_reads
    def sealed_size(self) -> int:
        with self.seal_transaction(write=False) as txn:
            return txn.sealed_size()

    @_retry_reads  # (the own connection may have been dropped by the server since its last read)
    def _rows(self, statement: Composed, params: Sequence[Any]) -> list[DictRow]:
        """One statement on an autocommit connection: a consistent snapshot in one round trip (no BEGIN)."""
        with self._reading() as curs:
            curs.execute(statement, params)
            return curs.fetchall()

    def select_leaves(self, start: int, limit: int) -> list[Leaf]:
        rows = self._rows(SQL("SELECT leaf_index, notification_id, stream, version, hash FROM {0} "
                              "WHERE leaf_index >= %s ORDER BY leaf_index LIMIT %s").format(self.t_leaves),
                          (start, limit))
        return [_leaf(r) for r in rows]

    def leaves_of(self, stream: str) -> list[Leaf]:
        """The stream's leaves, by version: its rows found by the events table's key, their leaves by row."""
        return self._stream_leaves("e.originator_id = %s ORDER BY e.originator_version", (stream,))

    def leaf_of(self, stream: str, version: int) -> Leaf | None:
        found = self._stream_leaves("e.originator_id = %s AND e.originator_version = %s", (stream, version))
        return found[0] if found else None

    def find_entry(self, entry_hash: bytes, near: str | None = None) -> tuple[Leaf, bytes] | None:
        """The leaf whose hash is ``entry_hash`` and its row's state: in stream ``near`` (by the events
        table's key), else anywhere (the leaves table read through: no index on the hash, ``ledger.correction``)."""
        head = SQL("SELECT l.leaf_index, l.notification_id, l.stream, l.version, l.hash, e.state FROM {0} l "
                   "JOIN {1} e ON e.notification_id = l.notification_id ").format(self.t_leaves, self.t_events)
        if near is not None:
            found = self._rows(head + SQL("WHERE e.originator_id = %s AND l.hash = %s LIMIT 1"), (near, entry_hash))
            if found:
                return _leaf(found[0]), bytes(found[0]["state"])
        found = self._rows(head + SQL("WHERE l.hash = %s LIMIT 1"), (entry_hash,))
        return (_leaf(found[0]), bytes(found[0]["state"])) if found else None

    def _stream_leaves(self, where: str, params: tuple[Any, ...]) -> list[Leaf]:
        """(``where`` is one of the two above: never input.)"""
        rows = self._rows(SQL("SELECT l.leaf_index, l.notification_id, l.stream, l.version, l.hash FROM {0} e "
                              "JOIN {1} l ON l.notification_id = e.notification_id WHERE {2}")
                          .format(self.t_events, self.t_leaves, SQL(where)), params)
        return [_leaf(r) for r in rows]

    def select_nodes(self, start: int, limit: int) -> list[Node]:
        rows = self._rows(SQL("SELECT level, idx, hash FROM {0} ORDER BY level, idx LIMIT %s OFFSET %s")
                          .format(self.t_nodes), (limit, start))
        return [Node(int(r["level"]), int(r["idx"]), bytes(r["hash"])) for r in rows]

    def checkpoint_at(self, size: int | None) -> CheckpointRow | None:
        """The stored checkpoint of ``size`` leaves, or the newest when None: one indexed lookup."""
        if size is None:
            rows = self._rows(SQL("SELECT size, root, note FROM {0} ORDER BY size DESC LIMIT 1")
                              .format(self.t_checkpoints), ())
        else:
            rows = self._rows(SQL("SELECT size, root, note FROM {0} WHERE size = %s").format(self.t_checkpoints),
                              (size,))
        return CheckpointRow(int(rows[0]["size"]), bytes(rows[0]["root"]), str(rows[0]["note"])) if rows else None

    def select_checkpoints(self) -> list[CheckpointRow]:
        rows = self._rows(SQL("SELECT size, root, note FROM {0} ORDER BY size").format(self.t_checkpoints), ())
        return [CheckpointRow(int(r["size"]), bytes(r["root"]), str(r["note"])) for r in rows]

    def insert_cosignature(self, row: CosignatureRow) -> None:
        """Store a verified cosignature (``ledger.witness.add_cosignature``); the first per key and size stays."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL("INSERT INTO {0} VALUES (%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING")
                         .format(self.t_cosignatures), tuple(row))

    def claim_nonce(self, keyid: str, nonce: str, until: float, now: float) -> bool:
        """Record a signed request's nonce until ``until``; False when it is live already (a replay).

        One statement: expired nonces go, and an expired row of the same nonce is taken over (the
        delete and the insert see the same snapshot). Two processes racing on one nonce: the
        second waits for the first's row and then finds it live.
        """
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL("WITH gone AS (DELETE FROM {0} WHERE until <= %(now)s) "
                             "INSERT INTO {0} AS n VALUES (%(keyid)s, %(nonce)s, %(until)s) "
                             "ON CONFLICT (keyid, nonce) DO UPDATE SET until = EXCLUDED.until "
                             "WHERE n.until <= %(now)s RETURNING 1 AS claimed").format(self.t_nonces),
                         {"keyid": keyid, "nonce": nonce, "until": until, "now": now})
            return curs.fetchone() is not None

    def select_cosignatures(self, size: int | None = None) -> list[CosignatureRow]:
        try:
            rows = self._rows(SQL("SELECT size, witness, key_id, cosigned_at, line FROM {0} "
                                  "WHERE %s::bigint IS NULL OR size = %s ORDER BY size, witness, key_id")
                              .format(self.t_cosignatures), (size, size))
        except Exception as exc:
            if any(isinstance(e, psycopg.errors.UndefinedTable) for e in (exc, exc.__cause__)):
                return []  # a ledger older than cosignatures, opened read only (nothing created it): it has none
            raise
        return [CosignatureRow(int(r["size"]), str(r["witness"]), int(r["key_id"]), int(r["cosigned_at"]),
                               str(r["line"])) for r in rows]

    def execute(self, statement: str, params: Any = ()) -> None:
        """For tests and tools that must damage a ledger on purpose (unqualified names: this schema)."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL("SET LOCAL search_path TO {0}").format(Identifier(self.datastore.schema)))
            curs.execute(statement.replace("?", "%s").encode(), params)


def _leaf(r: DictRow) -> Leaf:
    return Leaf(int(r["leaf_index"]), int(r["notification_id"]), str(r["stream"]), int(r["version"]), bytes(r["hash"]))


#: A part of the seal's statement with this many rows or fewer lists them (``VALUES``); more
#: are sent as arrays and unnested server-side. A one-by-one submission seals one leaf and a
#: node or two: dumping five one-element arrays cost more than the insert itself.
SMALL = 4
ARRAY = -1
#: The seal's tables of rows, in the order of a seal's shape: (recorder attribute, column types,
#: what a row already there does).
_SEAL_TABLES = (
    ("t_leaves", ("bigint", "bigint", "text", "bigint", "bytea"), ""),
    ("t_nodes", ("smallint", "bigint", "bytea"), " ON CONFLICT DO NOTHING"),
    ("t_checkpoints", ("bigint", "bytea", "text"), " ON CONFLICT DO NOTHING"),
)


def _form(rows: int) -> int:
    return rows if rows <= SMALL else ARRAY


def _values(rows: int, width: int) -> Composed:
    """``(%s, …), …``: placeholders for ``rows`` rows of ``width`` values."""
    return SQL(", ").join([SQL("({0})").format(SQL(", ").join([Placeholder()] * width))] * rows)


def _persistence_error(exc: psycopg.Error) -> PersistenceError:
    """The library's error for a driver error, as ``PostgresDatastore.get_connection`` raises it."""
    for driver, ours in ((psycopg.InterfaceError, InterfaceError), (psycopg.OperationalError, OperationalError),
                         (psycopg.DataError, DataError), (psycopg.IntegrityError, IntegrityError),
                         (psycopg.InternalError, InternalError), (psycopg.ProgrammingError, ProgrammingError),
                         (psycopg.NotSupportedError, NotSupportedError)):
        if isinstance(exc, driver):
            return ours(str(exc))
    return DatabaseError(str(exc))


class _Txn:
    """The sealer's view of one transaction. Its writes are buffered and sent as one statement
    (data-modifying CTEs) by :meth:`flush` — before any read in the same transaction, and by
    whoever opened it before committing — so a seal costs one statement, not four."""

    def __init__(self, recorder: PostgresLedgerRecorder, curs: Cursor[DictRow],
                 sized: Cursor[DictRow] | None = None) -> None:
        self.r, self.c = recorder, curs
        self._sized = sized  # the sealed-size read, already sent with the insert (pipeline mode)
        self._leaves: list[Leaf] = []
        self._nodes: list[Node] = []
        self._checkpoints: list[CheckpointRow] = []

    def sealed_size(self) -> int:
        curs, self._sized = self._sized, None
        if curs is None:
            self.flush()
            curs = self.c
            curs.execute(self.r.sql_sealed_size, prepare=True)
        row = curs.fetchone()
        return int(row["n"]) if row else 0

    def hashes(self, coords: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """One round trip for the leaves (level 0) and nodes asked for."""
        if not coords:
            return {}
        self.flush()
        self.c.execute(SQL(
            "WITH w(level, idx) AS (SELECT * FROM unnest(%s::smallint[], %s::bigint[])) "
            "SELECT 0 AS level, l.leaf_index AS idx, l.hash FROM w JOIN {0} l ON w.level = 0 AND l.leaf_index = w.idx "
            "UNION ALL "
            "SELECT n.level, n.idx, n.hash FROM w JOIN {1} n ON n.level = w.level AND n.idx = w.idx WHERE w.level > 0"
        ).format(self.r.t_leaves, self.r.t_nodes), ([c[0] for c in coords], [c[1] for c in coords]), prepare=True)
        return {(int(r["level"]), int(r["idx"])): bytes(r["hash"]) for r in self.c.fetchall()}

    def insert_leaves(self, leaves: Sequence[Leaf]) -> None:
        self._leaves.extend(leaves)

    def insert_nodes(self, nodes: Sequence[Node]) -> None:
        self._nodes.extend(nodes)

    def insert_checkpoint(self, row: CheckpointRow) -> None:
        self._checkpoints.append(row)

    def flush(self) -> None:
        """Send the buffered writes as one statement."""
        leaves, nodes, checkpoints = self._leaves, self._nodes, self._checkpoints
        self._leaves, self._nodes, self._checkpoints = [], [], []
        shape = (_form(len(leaves)), _form(len(nodes)), _form(len(checkpoints)))
        if shape == (0, 0, 0):
            return
        params: list[Any] = []
        rows: list[Sequence[tuple[Any, ...]]] = [leaves, [(n.level, n.index, n.hash) for n in nodes], checkpoints]
        for table_rows, form in zip(rows, shape, strict=True):  # rows in each table's column order
            if form == ARRAY:
                params += [list(column) for column in zip(*table_rows, strict=True)]  # an array per column
            else:
                params += [v for row in table_rows for v in row]
        self.c.execute(self.r.seal_statement(shape, self.c), params, prepare=True)

    def last_sealed(self) -> int:
        self.flush()
        self.c.execute(self.r.sql_last_sealed, prepare=True)
        row = self.c.fetchone()
        return int(row["notification_id"]) if row else 0

    def notifications_after(self, position: int, limit: int) -> list[Notification]:
        self.c.execute(SQL("SELECT * FROM {0} WHERE notification_id > %s ORDER BY notification_id LIMIT %s")
                       .format(self.r.t_events), (position, limit))
        return [Notification(id=r["notification_id"], originator_id=r["originator_id"],
                             originator_version=r["originator_version"], topic=r["topic"],
                             state=bytes(r["state"])) for r in self.c.fetchall()]
