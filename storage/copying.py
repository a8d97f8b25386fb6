"""``dantin copy``: a copy of a ledger for someone who trusts nothing but what they check.

An inspection commission audits a ledger offline (``dantin verify COPY``, ``verify-bundle
--ledger COPY``, a witness's ``cosign`` on its own machine). The server's folder is no such
copy: it holds the log's private key, which signs checkpoints (whoever holds it can sign a
tree of their making), and a SQLite file being written, which ``cp`` may catch half way
through a commit; a PostgreSQL ledger has no file at all.

The copy is read in one snapshot of the source (one read transaction: SQLite's WAL snapshot,
PostgreSQL's ``REPEATABLE READ``), so a server writing meanwhile changes nothing in it, and
written as a new SQLite ledger folder:

- ``ledger.sqlite``: every event row byte for byte under its own log position (notification
  id), the Merkle leaves and nodes, the signed checkpoints and the witnesses' cosignatures:
  the same tree, so every proof and checkpoint holds on the copy as on the source. Not the
  views (derived: rebuilt from the rows on first use) nor the signed reads' nonces;
- ``ledger.json``: the source's settings and witness policy, with no database named;
- ``log-key.pub``: the log's public key only (never ``log-key.pem``, nor any body's key).

The copy is made in a folder beside the destination and renamed into place at the end (an
empty destination folder, which may be '.', a link or a mount point, is filled from a folder
inside it, ``ledger.json`` last): an error or Ctrl-C leaves no half copy. It proves nothing by
itself: ``dantin verify COPY --log-key VKEY`` (the log key as published, not the copy's own
file) re-derives it all.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ledger import home
from ledger.application import Ledger
from ledger.errors import DantinError
from ledger.storage import persistence_env


class CopyError(DantinError):
    code = "copy"
    title_vi = "Không chép được sổ cái"


@dataclass(frozen=True)
class _Table:
    """A table copied: its name in a SQLite ledger, its columns, and how many lead its key."""

    sqlite: str
    postgres: str
    columns: tuple[str, ...]
    key: int  # the first ``key`` columns are the primary key, read in their order (keyset pages)
    #: The column a SQLite ledger keeps under another name (the events' log position is the rowid).
    sqlite_columns: tuple[str, ...] | None = None


_EVENTS = _Table("stored_events", "dantin_events",
                 ("notification_id", "originator_id", "originator_version", "topic", "state"), 1,
                 ("rowid", "originator_id", "originator_version", "topic", "state"))
TABLES: tuple[_Table, ...] = (
    _EVENTS,
    _Table("dantin_leaves", "dantin_leaves", ("leaf_index", "notification_id", "stream", "version", "hash"), 1),
    _Table("dantin_nodes", "dantin_nodes", ("level", "idx", "hash"), 2),
    _Table("dantin_checkpoints", "dantin_checkpoints", ("size", "root", "note"), 1),
    _Table("dantin_cosignatures", "dantin_cosignatures", ("size", "witness", "key_id", "cosigned_at", "line"), 3),
)
PAGE = 2000


class _Snapshot(Protocol):
    """A source ledger's tables, read in one snapshot."""

    def has(self, table: _Table) -> bool: ...
    def count(self, table: _Table) -> int: ...
    def page(self, table: _Table, after: Sequence[Any] | None, limit: int) -> list[tuple[Any, ...]]: ...


class _SQLiteSnapshot:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.execute("BEGIN")  # deferred: the snapshot is taken at the first read, the next line
        self.tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def has(self, table: _Table) -> bool:
        return table.sqlite in self.tables

    def count(self, table: _Table) -> int:
        return int(self.conn.execute(f"SELECT COUNT(*) FROM {table.sqlite}").fetchone()[0])  # noqa: S608

    def page(self, table: _Table, after: Sequence[Any] | None, limit: int) -> list[tuple[Any, ...]]:
        cols = table.sqlite_columns or table.columns
        key = ", ".join(cols[:table.key])
        where = f"WHERE ({key}) > ({', '.join('?' * table.key)}) " if after is not None else ""
        sql = f"SELECT {', '.join(cols)} FROM {table.sqlite} {where}ORDER BY {key} LIMIT ?"  # noqa: S608
        return self.conn.execute(sql, (*(after or ()), limit)).fetchall()


class _PostgresSnapshot:
    def __init__(self, conn: Any, schema: str) -> None:
        from psycopg import sql

        self.sql, self.conn, self.schema = sql, conn, schema
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        rows = conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                            (schema,)).fetchall()  # the snapshot begins with this read
        self.tables = {r[0] for r in rows}

    def _name(self, table: _Table) -> Any:
        return self.sql.Identifier(self.schema, table.postgres)

    def has(self, table: _Table) -> bool:
        return table.postgres in self.tables

    def count(self, table: _Table) -> int:
        q = self.sql.SQL("SELECT COUNT(*) FROM {0}").format(self._name(table))
        return int(self.conn.execute(q).fetchone()[0])

    def page(self, table: _Table, after: Sequence[Any] | None, limit: int) -> list[tuple[Any, ...]]:
        sql = self.sql
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in table.columns)
        key = sql.SQL(", ").join(sql.Identifier(c) for c in table.columns[:table.key])
        where = (sql.SQL("WHERE ({0}) > ({1}) ").format(key, sql.SQL(", ").join(sql.Placeholder() * table.key))
                 if after is not None else sql.SQL(""))
        q = sql.SQL("SELECT {0} FROM {1} {2}ORDER BY {3} LIMIT {4}").format(
            cols, self._name(table), where, key, sql.Placeholder())
        rows = self.conn.execute(q, (*(after or ()), limit)).fetchall()
        return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows]


@contextlib.contextmanager
def _snapshot(env: dict[str, str]) -> Iterator[_Snapshot]:
    """The source's tables in one read transaction, on a connection of its own."""
    sqlite_file = env.get("SQLITE_DBNAME")
    if sqlite_file is not None:
        conn = sqlite3.connect(home._read_only_sqlite(Path(sqlite_file)), uri=True, isolation_level=None,
                               timeout=float(env.get("SQLITE_LOCK_TIMEOUT", "30")))
        try:
            yield _SQLiteSnapshot(conn)
        finally:
            conn.close()
        return
    import psycopg

    pg = psycopg.connect(host=env["POSTGRES_HOST"], port=int(env["POSTGRES_PORT"]), dbname=env["POSTGRES_DBNAME"],
                         user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"] or None,
                         connect_timeout=int(env.get("POSTGRES_CONNECT_TIMEOUT", "5")), autocommit=True)
    try:
        yield _PostgresSnapshot(pg, env.get("POSTGRES_SCHEMA") or "public")
    finally:
        pg.close()


@dataclass(frozen=True)
class CopyReport:
    """What was copied: rows per table, and the newest checkpoint's size (0: none)."""

    directory: Path
    rows: dict[str, int]
    log_size: int
    vkey: str

    def to_dict(self) -> dict[str, Any]:
        return {"directory": str(self.directory), "events": self.rows["stored_events"],
                "leaves": self.rows["dantin_leaves"], "nodes": self.rows["dantin_nodes"],
                "checkpoints": self.rows["dantin_checkpoints"], "cosignatures": self.rows["dantin_cosignatures"],
                "checkpoint_size": self.log_size, "log_key": self.vkey}


ProgressFn = Callable[[int, int], None]


def copy_ledger(source: Path, destination: Path, database: str | None = None, *,
                progress: ProgressFn | None = None) -> CopyReport:
    """Copy the ledger in ``source`` (its own database, or ``database``) to a new SQLite ledger
    folder ``destination`` (which must not exist, or be empty); ``progress(done, total)`` in rows."""
    settings = home.read_settings(source)
    try:
        vkey = home.log_verifier(source).vkey()
    except FileNotFoundError:
        raise CopyError(f"Thư mục '{source}' không có khóa nhật ký ({home.LOG_KEY} hay {home.LOG_PUBLIC}).",
                        detail="no log key in the source folder") from None
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise CopyError(f"'{destination}' đã có: bản sao chỉ ghi vào một thư mục mới (hoặc rỗng).",
                        detail="destination exists and is not an empty folder")
    env = persistence_env(source, database or settings.database)
    sqlite_file = env.get("SQLITE_DBNAME")
    if sqlite_file is not None and not Path(sqlite_file).is_file():
        raise home.HomeError(f"Không có tệp cơ sở dữ liệu '{sqlite_file}' của sổ cái '{source}'.",
                             detail="sqlite database file missing")
    raw = json.loads((source / home.SETTINGS).read_text(encoding="utf-8"))
    raw["database"] = None  # the copy is its own SQLite file
    fresh = not destination.exists()
    if fresh:
        destination.parent.mkdir(parents=True, exist_ok=True)
        work = destination.parent / f".{destination.name}.copy-{os.getpid()}"
    else:  # an empty folder, which may be '.', a link or a disk's mount point: not removed, filled from inside
        work = destination / f".dantin-copy-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    moved: list[Path] = []
    try:
        rows, size = _copy_rows(env, work, progress)
        (work / home.SETTINGS).write_text(json.dumps(raw, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (work / home.LOG_PUBLIC).write_text(vkey + "\n", encoding="ascii")
        if fresh:
            work.rename(destination)
        else:  # ledger.json last: until it is there, the folder holds no ledger
            for name in sorted((p.name for p in work.iterdir()), key=lambda n: n == home.SETTINGS):
                (work / name).rename(destination / name)
                moved.append(destination / name)
            work.rmdir()
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        for path in moved:
            path.unlink(missing_ok=True)
        raise
    return CopyReport(destination, rows, size, vkey)


def _copy_rows(env: dict[str, str], work: Path, progress: ProgressFn | None) -> tuple[dict[str, int], int]:
    Ledger(env=persistence_env(work, None)).close()  # a new SQLite ledger's tables, as the ledger makes them
    out = sqlite3.connect(work / "ledger.sqlite", isolation_level=None)
    try:
        with _snapshot(env) as snap:
            if not snap.has(_EVENTS):
                raise CopyError("Cơ sở dữ liệu nguồn không có bảng sự kiện của sổ cái.",
                                detail="no events table in the source")
            present = [t for t in TABLES if snap.has(t)]
            total = sum(snap.count(t) for t in present)
            done = 0
            if progress is not None:
                progress(0, total)
            rows = {t.sqlite: 0 for t in TABLES}
            out.execute("BEGIN")
            for table in present:
                cols = table.sqlite_columns or table.columns
                insert = (f"INSERT INTO {table.sqlite} ({', '.join(cols)}) "  # noqa: S608
                          f"VALUES ({', '.join('?' * len(cols))})")
                after: tuple[Any, ...] | None = None
                while page := snap.page(table, after, PAGE):
                    out.executemany(insert, page)
                    after = tuple(page[-1][:table.key])
                    rows[table.sqlite] += len(page)
                    done += len(page)
                    if progress is not None:
                        progress(done, total)
            last = out.execute("SELECT MAX(size) FROM dantin_checkpoints").fetchone()[0]
            out.execute("COMMIT")
        out.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        out.close()
    return rows, int(last or 0)
