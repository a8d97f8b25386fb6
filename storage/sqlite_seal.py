"""The log tables on SQLite."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteTrackingRecorder

from storage import CheckpointRow, Leaf


class SQLiteSealRecorder(SQLiteTrackingRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS dantin_leaves ("
            "leaf_index INTEGER PRIMARY KEY, notification_id INTEGER NOT NULL UNIQUE, "
            "stream TEXT NOT NULL, version INTEGER NOT NULL, hash BLOB NOT NULL)",
            "CREATE TABLE IF NOT EXISTS dantin_checkpoints ("
            "size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL)",
        ]

    def insert_leaves(self, leaves: list[Leaf], tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.executemany("INSERT INTO dantin_leaves VALUES (?,?,?,?,?)", [tuple(x) for x in leaves])
            self._insert_tracking(c, tracking)

    def sealed_size(self) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT COUNT(*) FROM dantin_leaves")
            return int(c.fetchone()[0])

    def select_leaves(self, start: int, limit: int) -> list[Leaf]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT leaf_index, notification_id, stream, version, hash FROM dantin_leaves "
                "WHERE leaf_index >= ? ORDER BY leaf_index LIMIT ?", (start, limit),
            )
            return [Leaf(int(r[0]), int(r[1]), str(r[2]), int(r[3]), bytes(r[4])) for r in c.fetchall()]

    def insert_checkpoint(self, row: CheckpointRow) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("INSERT OR IGNORE INTO dantin_checkpoints VALUES (?,?,?)", tuple(row))

    def select_checkpoints(self) -> list[CheckpointRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT size, root, note FROM dantin_checkpoints ORDER BY size")
            return [CheckpointRow(int(r[0]), bytes(r[1]), str(r[2])) for r in c.fetchall()]

    def execute(self, statement: str, params: Any = ()) -> None:
        """For tests and tools that must damage a ledger on purpose."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(statement, params)
