"""The ledger's recorder on PostgreSQL: events, tracking and the log tables in one schema."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import Notification, StoredEvent, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresProcessRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from ledger.merkle import Node
from ledger.sealer import APPLICATION_NAME, HeadMoved, Sealer
from ledger.witness import CosignatureRow
from storage import CheckpointRow, Leaf, SealRow


class PostgresLedgerRecorder(PostgresProcessRecorder):
    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "dantin_events",
        tracking_table_name: str = "dantin_tracking",
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name, tracking_table_name=tracking_table_name)
        self.sealer: Sealer | None = None
        #: The log head the writer judged its batch at (``ledger.streams``); None: unchecked.
        self.expected_head: int | None = None
        schema = Identifier(self.datastore.schema)
        self.t_leaves = SQL("{0}.{1}").format(schema, Identifier("dantin_leaves"))
        self.t_nodes = SQL("{0}.{1}").format(schema, Identifier("dantin_nodes"))
        self.t_checkpoints = SQL("{0}.{1}").format(schema, Identifier("dantin_checkpoints"))
        self.t_cosignatures = SQL("{0}.{1}").format(schema, Identifier("dantin_cosignatures"))
        self.t_events = SQL("{0}.{1}").format(schema, Identifier(self.events_table_name))
        self.sql_create_statements.extend([
            SQL("CREATE TABLE IF NOT EXISTS {0} (leaf_index bigint PRIMARY KEY, "
                "notification_id bigint NOT NULL UNIQUE, stream text NOT NULL, "
                "version bigint NOT NULL, hash bytea NOT NULL)").format(self.t_leaves),
            SQL("CREATE INDEX IF NOT EXISTS dantin_leaves_event ON {0} (stream, version)").format(self.t_leaves),
            SQL("CREATE TABLE IF NOT EXISTS {0} (level smallint NOT NULL, idx bigint NOT NULL, "
                "hash bytea NOT NULL, PRIMARY KEY (level, idx))").format(self.t_nodes),
            SQL("CREATE TABLE IF NOT EXISTS {0} (size bigint PRIMARY KEY, root bytea NOT NULL, "
                "note text NOT NULL)").format(self.t_checkpoints),
            # Witness cosignatures of published checkpoints (ledger.witness), one per witness key and size.
            SQL("CREATE TABLE IF NOT EXISTS {0} (size bigint NOT NULL, witness text NOT NULL, "
                "key_id bigint NOT NULL, cosigned_at bigint NOT NULL, line text NOT NULL, "
                "PRIMARY KEY (size, witness, key_id))").format(self.t_cosignatures),
        ])

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """The library's insert (table lock, one INSERT … RETURNING), then the seal, in one transaction.

        Unlike the library's version, any exception — the sealer's too — leaves the
        transaction by raising, so it rolls back: events never commit without their leaves.
        """
        if not stored_events:
            return []
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            if self.expected_head is not None:
                self._lock_table(curs)  # taken again (a no-op) by the library's insert below
                curs.execute(SQL("SELECT COALESCE(MAX(notification_id), 0) AS head FROM {0}").format(self.t_events),
                             prepare=True)
                row = curs.fetchone()
                head = int(row["head"]) if row else 0
                if head != self.expected_head:
                    raise HeadMoved(f"log head is {head}, judged at {self.expected_head}")
            self._insert_stored_events(curs, stored_events, **kwargs)
            ids = list(self._fetch_ids_after_insert_events(curs, stored_events, **kwargs) or [])
            if self.sealer is not None and ids:
                rows = [SealRow(i, str(s.originator_id), s.originator_version, s.state)
                        for i, s in zip(ids, stored_events, strict=True)]
                self.sealer.seal(_Txn(self, curs), rows)
        return ids

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

    @contextmanager
    def seal_transaction(self, *, write: bool) -> Iterator[_Txn]:
        if not write:  # reads of append-only tables: autocommit, one round trip per statement, no BEGIN
            with self.datastore.get_connection() as conn, conn.cursor() as curs:
                yield _Txn(self, curs)
            return
        with self.datastore.transaction(commit=True) as curs:
            self._lock_table(curs)  # the insert lock: sealing order = commit order
            yield _Txn(self, curs)

    def sealed_size(self) -> int:
        with self.seal_transaction(write=False) as txn:
            return txn.sealed_size()

    def _rows(self, statement: Composed, params: Sequence[Any]) -> list[DictRow]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, params)
            return curs.fetchall()

    def select_leaves(self, start: int, limit: int) -> list[Leaf]:
        rows = self._rows(SQL("SELECT leaf_index, notification_id, stream, version, hash FROM {0} "
                              "WHERE leaf_index >= %s ORDER BY leaf_index LIMIT %s").format(self.t_leaves),
                          (start, limit))
        return [Leaf(int(r["leaf_index"]), int(r["notification_id"]), str(r["stream"]),
                     int(r["version"]), bytes(r["hash"])) for r in rows]

    def leaves_of(self, stream: str) -> list[Leaf]:
        rows = self._rows(SQL("SELECT leaf_index, notification_id, stream, version, hash FROM {0} "
                              "WHERE stream = %s ORDER BY version").format(self.t_leaves), (stream,))
        return [Leaf(int(r["leaf_index"]), int(r["notification_id"]), str(r["stream"]), int(r["version"]),
                     bytes(r["hash"])) for r in rows]

    def leaf_of(self, stream: str, version: int) -> Leaf | None:
        rows = self._rows(SQL("SELECT leaf_index, notification_id, stream, version, hash FROM {0} "
                              "WHERE stream = %s AND version = %s").format(self.t_leaves), (stream, version))
        return (Leaf(int(rows[0]["leaf_index"]), int(rows[0]["notification_id"]), str(rows[0]["stream"]),
                     int(rows[0]["version"]), bytes(rows[0]["hash"])) if rows else None)

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

    def select_cosignatures(self, size: int | None = None) -> list[CosignatureRow]:
        rows = self._rows(SQL("SELECT size, witness, key_id, cosigned_at, line FROM {0} "
                              "WHERE %s::bigint IS NULL OR size = %s ORDER BY size, witness, key_id")
                          .format(self.t_cosignatures), (size, size))
        return [CosignatureRow(int(r["size"]), str(r["witness"]), int(r["key_id"]), int(r["cosigned_at"]),
                               str(r["line"])) for r in rows]

    def execute(self, statement: str, params: Any = ()) -> None:
        """For tests and tools that must damage a ledger on purpose (unqualified names: this schema)."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL("SET LOCAL search_path TO {0}").format(Identifier(self.datastore.schema)))
            curs.execute(statement.replace("?", "%s").encode(), params)


class _Txn:
    def __init__(self, recorder: PostgresLedgerRecorder, curs: Cursor[DictRow]) -> None:
        self.r, self.c = recorder, curs

    def sealed_size(self) -> int:
        self.c.execute(SQL("SELECT COALESCE(MAX(leaf_index) + 1, 0) AS n FROM {0}").format(self.r.t_leaves),
                       prepare=True)
        row = self.c.fetchone()
        return int(row["n"]) if row else 0

    def hashes(self, coords: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """One round trip for the leaves (level 0) and nodes asked for."""
        if not coords:
            return {}
        self.c.execute(SQL(
            "WITH w(level, idx) AS (SELECT * FROM unnest(%s::smallint[], %s::bigint[])) "
            "SELECT 0 AS level, l.leaf_index AS idx, l.hash FROM w JOIN {0} l ON w.level = 0 AND l.leaf_index = w.idx "
            "UNION ALL "
            "SELECT n.level, n.idx, n.hash FROM w JOIN {1} n ON n.level = w.level AND n.idx = w.idx WHERE w.level > 0"
        ).format(self.r.t_leaves, self.r.t_nodes), ([c[0] for c in coords], [c[1] for c in coords]), prepare=True)
        return {(int(r["level"]), int(r["idx"])): bytes(r["hash"]) for r in self.c.fetchall()}

    def insert_leaves(self, leaves: Sequence[Leaf]) -> None:
        """One statement for the batch (arrays unnested server-side), not one per row."""
        self.c.execute(SQL("INSERT INTO {0} SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::text[], "
                           "%s::bigint[], %s::bytea[])").format(self.r.t_leaves),
                       ([x.index for x in leaves], [x.notification_id for x in leaves], [x.stream for x in leaves],
                        [x.version for x in leaves], [x.hash for x in leaves]), prepare=True)

    def insert_nodes(self, nodes: Sequence[Node]) -> None:
        if nodes:
            self.c.execute(SQL("INSERT INTO {0} SELECT * FROM unnest(%s::smallint[], %s::bigint[], %s::bytea[]) "
                               "ON CONFLICT DO NOTHING").format(self.r.t_nodes),
                           ([n.level for n in nodes], [n.index for n in nodes], [n.hash for n in nodes]), prepare=True)

    def insert_tracking(self, notification_id: int) -> None:
        self.r._insert_tracking(self.c, Tracking(APPLICATION_NAME, notification_id))

    def insert_checkpoint(self, row: CheckpointRow) -> None:
        self.c.execute(SQL("INSERT INTO {0} VALUES (%s,%s,%s) ON CONFLICT DO NOTHING").format(self.r.t_checkpoints),
                       tuple(row))

    def tracked_position(self) -> int:
        return self.r._max_tracking_id(APPLICATION_NAME, self.c) or 0

    def notifications_after(self, position: int, limit: int) -> list[Notification]:
        self.c.execute(SQL("SELECT * FROM {0} WHERE notification_id > %s ORDER BY notification_id LIMIT %s")
                       .format(self.r.t_events), (position, limit))
        return [Notification(id=r["notification_id"], originator_id=r["originator_id"],
                             originator_version=r["originator_version"], topic=r["topic"],
                             state=bytes(r["state"])) for r in self.c.fetchall()]
