"""The views' tables, beside the log in the ledger's own database (SQLite file or PostgreSQL schema).

One small SQL dialect serves both: ``?`` placeholders (rewritten for psycopg), upserts
with ``ON CONFLICT``; on PostgreSQL each transaction first sets the schema's search path.
The position and the rows it covers are written in one transaction, so a restart resumes
exactly where the last committed catch-up stopped.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from eventsourcing.sqlite import SQLiteDatastore

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS dantin_view_position (name TEXT PRIMARY KEY, position BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS dantin_view_villages (village TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "kind TEXT NOT NULL, verdict TEXT NOT NULL, same_person TEXT NOT NULL, as_of TEXT NOT NULL, body TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS dantin_view_tenures (village TEXT NOT NULL, mode TEXT NOT NULL, "
    "office TEXT NOT NULL, person TEXT NOT NULL, name TEXT NOT NULL, start_date TEXT NOT NULL, end_date TEXT, "
    "acting INTEGER NOT NULL, events TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS dantin_view_tenures_village ON dantin_view_tenures (village, mode)",
    "CREATE INDEX IF NOT EXISTS dantin_view_tenures_office ON dantin_view_tenures (office, mode, start_date)",
    "CREATE TABLE IF NOT EXISTS dantin_view_people (person TEXT NOT NULL, village TEXT NOT NULL, "
    "PRIMARY KEY (person, village))",
    # What the views were computed by (``projections.views.JUDGED_BY``): other code, the views are rebuilt.
    "CREATE TABLE IF NOT EXISTS dantin_view_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)
NAME = "views"


class ViewStore:
    @classmethod
    def in_memory(cls) -> ViewStore:
        """Views kept in this process's memory, for a ledger that cannot be written (an
        inspector's read-only copy): built afresh each time, gone when the process ends."""
        # Named and shared, so that every connection of the pool sees the one database.
        return cls(SQLiteDatastore(f"file:dantin-views-{uuid.uuid4().hex}?mode=memory&cache=shared"))

    @classmethod
    def beside(cls, ledger: Any) -> ViewStore:
        """The views' tables in the ledger's own database, written through its recorder's write
        transaction where it has one (SQLite)."""
        recorder = ledger.recorder
        return cls(recorder.datastore, own=getattr(recorder, "write_transaction", None))

    def __init__(self, datastore: Any, own: Callable[[], AbstractContextManager[Any]] | None = None) -> None:
        """``own``: the write transaction of the ledger's SQLite recorder, for the views' writes;
        else the datastore's (PostgreSQL, or a store of the views' own in memory)."""
        self._ds = datastore
        self._own = own
        self._schema: str | None = getattr(datastore, "schema", None) if hasattr(datastore, "pool") and \
            type(datastore).__module__.startswith("eventsourcing.postgres") else None
        self._locked = False  # (the tables may not exist yet)
        with self.transaction() as c:
            for statement in SCHEMA:
                c.execute(statement)
        self._locked = True

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[_Cursor]:
        if write and self._own is not None:
            # SQLite: the ledger's own write transaction (``storage.sqlite_ledger.write_transaction``),
            # begun IMMEDIATE. A catch-up reads, then writes: begun deferred, its first write was refused
            # at once (SQLITE_BUSY_SNAPSHOT) when an insert had committed since it read; and holding the
            # pool's writer while it asks the pool for a reader, it stalled 5 s behind any other writer.
            with self._own() as c:
                yield _Cursor(c, False)
            return
        with self._ds.transaction(commit=write) as c:
            if self._schema is not None:
                c.execute(f'SET LOCAL search_path TO "{self._schema}"')
                if write and self._locked:
                    # PostgreSQL: one keeper of the views at a time (two servers, a server and a rebuild).
                    # Each writes a village's rows as delete-then-insert; two at once both inserted them
                    # (a duplicate key, or tenures stored twice). Bounded as the insert lock is.
                    c.execute(f"SET LOCAL lock_timeout = '{int(getattr(self._ds, 'lock_timeout', 0) or 0)}s'")
                    c.execute("LOCK TABLE dantin_view_position IN EXCLUSIVE MODE")
            yield _Cursor(c, self._schema is not None)


class _Cursor:
    def __init__(self, cursor: Any, postgres: bool) -> None:
        self._c, self._pg = cursor, postgres

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self._pg else statement

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self._c.execute(self._sql(statement), tuple(params))

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._c.executemany(self._sql(statement), [tuple(r) for r in rows])

    def all(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        self.execute(statement, params)
        return [dict(r) for r in self._c.fetchall()]

    def position(self) -> int:
        rows = self.all("SELECT position FROM dantin_view_position WHERE name = ?", (NAME,))
        return int(rows[0]["position"]) if rows else 0

    def meta(self, name: str) -> str | None:
        rows = self.all("SELECT value FROM dantin_view_meta WHERE name = ?", (name,))
        return str(rows[0]["value"]) if rows else None

    def set_meta(self, name: str, value: str) -> None:
        self.execute("INSERT INTO dantin_view_meta (name, value) VALUES (?, ?) "
                     "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (name, value))

    def set_position(self, position: int) -> None:
        self.execute("INSERT INTO dantin_view_position (name, position) VALUES (?, ?) "
                     "ON CONFLICT (name) DO UPDATE SET position = excluded.position", (NAME, position))


def below_pattern(place: str) -> str:
    """The LIKE pattern (with ``ESCAPE '\\'``) of the places below ``place`` (every place when empty): its ``%``
    and ``_`` taken as themselves (no place id holds them: a place asked so is no place, not every place the
    pattern matches)."""
    if not place:
        return "%"
    return place.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ".%"
