"""Whether a store's error means the store is out of reach, not that what it holds is damaged.

``dantin verify`` reports a row it cannot read as damaged, and stops instead when the store
cannot be reached at all (a row not reached is not a damaged row); the command line says a
database out of reach as such, not as an internal error. Both ask ``is_outage``, which
judges by the driver's own code, found along the error's causes (``eventsourcing`` wraps
each driver error in its own class, ``from`` it):

- **SQLite** (``sqlite_errorname``): the file busy or locked, an I/O error, a file that
  cannot be opened, memory or disk full, no permission, interrupted, read only. A damaged
  file (``SQLITE_CORRUPT``, ``SQLITE_NOTADB``, ``SQLITE_IOERR_DATA``,
  ``SQLITE_IOERR_CORRUPTFS``), a missing table or text that is not UTF-8 (the driver's own
  error, with no code) is damage.
- **PostgreSQL** (``sqlstate``): connection (class 08), resources (53), operator
  intervention (57: shutdown, cannot connect now, statement timeout), a lock or
  serialization wait (55P03, 40001, 40P01), an I/O error (58030); and any error with no
  state (refused or lost before the server answered). A file missing on a server that is up
  (58P01), corruption it detects (XX…) or anything else is damage.
- **The pools** (``eventsourcing``'s and ``psycopg_pool``'s): no connection to be had, or
  the pool closed.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

_SQLITE_OUTAGES = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_NOMEM",
                   "SQLITE_FULL", "SQLITE_PERM", "SQLITE_AUTH", "SQLITE_INTERRUPT", "SQLITE_PROTOCOL",
                   "SQLITE_READONLY")
_SQLITE_DAMAGE = ("SQLITE_IOERR_DATA", "SQLITE_IOERR_CORRUPTFS")
_PG_OUTAGE_CLASSES = ("08", "53", "57")
_PG_OUTAGE_STATES = frozenset({"55P03", "40001", "40P01", "58030"})
_POOL_OUTAGES = ("ConnectionUnavailableError", "ConnectionPoolClosedError", "PoolTimeout", "PoolClosed",
                 "TooManyRequests")


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc``, or an error it was raised from, says the store is out of reach."""
    for error in _causes(exc):
        if type(error).__name__ in _POOL_OUTAGES and type(error).__module__.startswith(
                ("eventsourcing", "psycopg_pool")):
            return True
        name = getattr(error, "sqlite_errorname", None)
        if name is not None or _is_sqlite(error):
            name = name or ""
            return name.startswith(_SQLITE_OUTAGES) and not name.startswith(_SQLITE_DAMAGE)
        psycopg = sys.modules.get("psycopg")  # (loaded only where PostgreSQL is used)
        if psycopg is not None and isinstance(error, psycopg.Error):
            state: str | None = error.sqlstate
            if state is None:
                return isinstance(error, (psycopg.OperationalError, psycopg.InterfaceError))
            return state[:2] in _PG_OUTAGE_CLASSES or state in _PG_OUTAGE_STATES
    return False


def _is_sqlite(error: BaseException) -> bool:
    sqlite3 = sys.modules.get("sqlite3")
    return sqlite3 is not None and isinstance(error, sqlite3.Error)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it was raised from, in turn (at most a few steps: no cycle can trap it)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return
        yield seen
        # ``raise … from`` (how the library wraps), else what it was raised while handling.
        seen = seen.__cause__ if seen.__cause__ is not None else (
            None if seen.__suppress_context__ else seen.__context__)


#: What an outage is, said to a person (``reason_vi``), by the driver's or the pool's code.
_SQLITE_REASONS = (
    ("SQLITE_BUSY", "tệp đang bị một tiến trình khác khóa"),
    ("SQLITE_LOCKED", "tệp đang bị một tiến trình khác khóa"),
    ("SQLITE_CANTOPEN", "không mở được tệp cơ sở dữ liệu"),
    ("SQLITE_FULL", "đĩa đã đầy"),
    ("SQLITE_NOMEM", "hết bộ nhớ"),
    ("SQLITE_PERM", "không có quyền truy cập tệp"),
    ("SQLITE_AUTH", "không có quyền truy cập tệp"),
    ("SQLITE_READONLY", "tệp chỉ đọc"),
    ("SQLITE_IOERR", "lỗi đọc/ghi đĩa"),
)
_PG_REASONS = {"57014": "câu lệnh quá thời gian chờ", "55P03": "chờ khóa quá lâu",
               "40001": "xung đột giữa các giao dịch", "40P01": "xung đột giữa các giao dịch",
               "58030": "lỗi đọc/ghi đĩa trên máy chủ PostgreSQL",
               "08": "mất kết nối tới máy chủ PostgreSQL", "53": "máy chủ PostgreSQL hết tài nguyên",
               "57": "máy chủ PostgreSQL đang tắt hoặc chưa nhận kết nối"}


def reason_vi(exc: BaseException) -> str:
    """Why the store is out of reach, in Vietnamese, for an error ``is_outage`` judged one."""
    for error in _causes(exc):
        kind = type(error).__name__
        if kind in _POOL_OUTAGES:
            if "Closed" in kind:
                return "các kết nối tới cơ sở dữ liệu đã bị đóng"
            return "không có kết nối nào tới cơ sở dữ liệu trong thời gian chờ (máy chủ không chạy hoặc sai địa chỉ?)"
        name = getattr(error, "sqlite_errorname", None)
        if name is not None:
            return next((vi for code, vi in _SQLITE_REASONS if name.startswith(code)), "lỗi SQLite")
        state = getattr(error, "sqlstate", None)
        if isinstance(state, str) and state:
            return _PG_REASONS.get(state) or _PG_REASONS.get(state[:2]) or "máy chủ PostgreSQL từ chối thao tác"
    return "máy chủ không trả lời (không chạy, sai địa chỉ, hoặc mạng bị chặn)"


def is_damage(exc: BaseException) -> bool:
    """Whether ``exc`` says what the store holds is damaged: a file that is not a database or
    that SQLite finds corrupt, data or an index PostgreSQL finds corrupt."""
    for error in _causes(exc):
        name = getattr(error, "sqlite_errorname", None)
        if isinstance(name, str):
            return name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or name.startswith(_SQLITE_DAMAGE)
        state = getattr(error, "sqlstate", None)
        if isinstance(state, str):
            return state in ("XX001", "XX002")
    return False


def is_missing_table(exc: BaseException) -> bool:
    """Whether ``exc`` says a table is not there (SQLite's "no such table", PostgreSQL's 42P01)."""
    for error in _causes(exc):
        if getattr(error, "sqlstate", None) == "42P01":
            return True
        if _is_sqlite(error) and str(error).startswith("no such table"):
            return True
    return False


def is_store_error(exc: BaseException) -> bool:
    """Whether ``exc``, or an error it was raised from, comes from the store at all (a driver's
    error, the library's ``PersistenceError``, a pool's): not a defect of the code that was reading."""
    for error in _causes(exc):
        module = type(error).__module__
        if module.startswith(("eventsourcing.persistence", "psycopg", "psycopg_pool")) or _is_sqlite(error):
            return True
        if getattr(error, "sqlite_errorname", None) is not None or getattr(error, "sqlstate", None) is not None:
            return True
    return False
