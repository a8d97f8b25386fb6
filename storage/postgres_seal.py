"""The log tables on PostgreSQL (in the datastore's schema)."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg.sql import SQL, Identifier

from storage import CheckpointRow, Leaf


class PostgresSealRecorder(PostgresTrackingRecorder):
    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        schema = Identifier(self.datastore.schema)
        self._leaves = SQL("{0}.{1}").format(schema, Identifier("dantin_leaves"))
        self._checkpoints = SQL("{0}.{1}").format(schema, Identifier("dantin_checkpoints"))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {0} (leaf_index bigint PRIMARY KEY, "
            "notification_id bigint NOT NULL UNIQUE, stream text NOT NULL, "
            "version bigint NOT NULL, hash bytea NOT NULL)"
        ).format(self._leaves))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {0} (size bigint PRIMARY KEY, root bytea NOT NULL, "
            "note text NOT NULL)"
        ).format(self._checkpoints))

    def insert_leaves(self, leaves: list[Leaf], tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.executemany(
                SQL("INSERT INTO {0} VALUES (%s,%s,%s,%s,%s)").format(self._leaves),
                [tuple(x) for x in leaves],
            )
            self._insert_tracking(curs, tracking)

    def sealed_size(self) -> int:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT COUNT(*) AS n FROM {0}").format(self._leaves))
            row = curs.fetchone()
            return int(row["n"]) if row else 0

    def select_leaves(self, start: int, limit: int) -> list[Leaf]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL(
                "SELECT leaf_index, notification_id, stream, version, hash FROM {0} "
                "WHERE leaf_index >= %s ORDER BY leaf_index LIMIT %s"
            ).format(self._leaves), (start, limit))
            return [Leaf(int(r["leaf_index"]), int(r["notification_id"]), str(r["stream"]),
                         int(r["version"]), bytes(r["hash"])) for r in curs.fetchall()]

    def insert_checkpoint(self, row: CheckpointRow) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL("INSERT INTO {0} VALUES (%s,%s,%s) ON CONFLICT DO NOTHING")
                         .format(self._checkpoints), tuple(row))

    def select_checkpoints(self) -> list[CheckpointRow]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT size, root, note FROM {0} ORDER BY size").format(self._checkpoints))
            return [CheckpointRow(int(r["size"]), bytes(r["root"]), str(r["note"])) for r in curs.fetchall()]

    def execute(self, statement: str, params: Any = ()) -> None:
        """For tests and tools that must damage a ledger on purpose."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(statement.replace("?", "%s").encode(), params)
