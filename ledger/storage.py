"""Where a ledger keeps its events: the eventsourcing settings for a database URL.

No URL means the embedded default, the SQLite file ``DIR/ledger.sqlite`` (WAL mode).
``postgresql://user[:password]@host[:port]/dbname[?schema=name]`` selects eventsourcing's
PostgreSQL module. The library's insert lock stays on (commit order = notification
order); its database-functions mode stays off; a lock timeout bounds waits.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from ledger.errors import DantinError


class StorageError(DantinError):
    code = "storage"
    title_vi = "Lỗi lưu trữ"


def persistence_env(directory: Path, database: str | None) -> dict[str, str]:
    base = {
        "ORIGINATOR_ID_TYPE": "text",
    }
    if not database or database.startswith("sqlite"):
        path = directory / "ledger.sqlite"
        if database and database.startswith("sqlite:///"):
            path = Path(database.removeprefix("sqlite:///"))
        return base | {
            "APPLICATION_RECORDER_TOPIC": "storage.sqlite_ledger:SQLiteLedgerRecorder",
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": "30",
        }
    try:
        parts = urlsplit(database)
        port = parts.port
    except ValueError as exc:  # a port that is no number, an unclosed IPv6 bracket
        raise StorageError(f"Địa chỉ cơ sở dữ liệu '{database}' không hợp lệ (số cổng hoặc tên máy chủ sai).",
                           detail=f"unparsable URL: {exc}") from None
    if parts.scheme not in ("postgresql", "postgres"):
        raise StorageError(
            f"Địa chỉ cơ sở dữ liệu không được hỗ trợ: '{parts.scheme}'. "
            "Dùng postgresql://… hoặc bỏ trống để dùng tệp SQLite.",
            detail=f"unsupported scheme {parts.scheme}",
        )
    query = parse_qs(parts.query)
    env = base | {
        "APPLICATION_RECORDER_TOPIC": "storage.postgres_ledger:PostgresLedgerRecorder",
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_LOCK_TIMEOUT": "5",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
        "POSTGRES_ENABLE_DB_FUNCTIONS": "no",
    }
    if "schema" in query:
        env["POSTGRES_SCHEMA"] = query["schema"][0]
    return env
