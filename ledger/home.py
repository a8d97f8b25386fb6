"""A ledger directory: ``DIR/ledger.json`` (settings), ``DIR/ledger.sqlite`` (the default
store), ``DIR/log-key.pem`` (the ledger's own log key; it signs checkpoints only) and
``DIR/log-key.pub`` (its public half, a C2SP vkey line). A copy (``ledger.copy``) holds the
public half only.

``init`` writes the genesis: the root body's self-signed enrolment and the registration
of the root's place. The root's private key is the province's, not the server's: it is
written where the caller says and should be moved off the server.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ledger.application import READ_ONLY, Ledger
from ledger.envelope import seal
from ledger.errors import DantinError
from ledger.note import NoteSigner, NoteVerifier
from ledger.signing import SigningKey
from ledger.storage import persistence_env
from ledger.witness import DEFAULT_POLICY

if TYPE_CHECKING:
    from ledger.audit import AuditReport

SETTINGS = "ledger.json"
LOG_KEY = "log-key.pem"
LOG_PUBLIC = "log-key.pub"


class HomeError(DantinError):
    code = "ledger_dir"
    title_vi = "Lỗi thư mục sổ cái"


@dataclass(frozen=True)
class Settings:
    origin: str
    root: str
    database: str | None

    def to_json(self) -> str:
        return json.dumps(
            {"format": 1, "origin": self.origin, "root": self.root, "database": self.database,
             # Which witnesses' cosignatures make a checkpoint trusted (ledger.witness; editable).
             "witness_policy": DEFAULT_POLICY.to_json()},
            ensure_ascii=False, indent=2,
        )


def write_private(path: Path, data: bytes, *, new: bool = False) -> None:
    """Write a private key file readable by its owner only; ``new``: never over an existing file
    (``FileExistsError``), as a key's only copy must not be lost to a mistyped path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if new else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except BaseException as exc:
        if new:  # the file is ours (O_EXCL): no half-written key left behind, to be refused as existing
            path.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None:  # (a write's error names no file)
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise


def require_new(directory: Path) -> None:
    """Refuse a folder that already holds a ledger (before ``init`` writes anything for one)."""
    if (directory / SETTINGS).exists():
        raise HomeError(f"Thư mục '{directory}' đã có sổ cái.", detail="ledger.json exists")


def init(
    directory: Path,
    *,
    root_key: SigningKey,
    database: str | None = None,
    origin: str = "dantin.qng/log",
    province: str = "qng",
    province_name: str = "Tỉnh Quảng Ngãi",
    root_name: str = "Ban tổ chức tỉnh Quảng Ngãi",
    date: str = "2022-01-01",
) -> Ledger:
    require_new(directory)
    directory.mkdir(parents=True, exist_ok=True)
    root = f"{province}/root"
    settings = Settings(origin=origin, root=root, database=database)
    ledger = Ledger(env=persistence_env(directory, database))
    log_key = SigningKey.generate()
    ledger.attach_log_key(origin, log_key.seed())
    if not ledger.is_empty():
        ledger.close()
        raise HomeError("Cơ sở dữ liệu đã có dữ liệu của một sổ cái khác.", detail="store not empty")
    genesis = seal(root_key, root, {
        "type": "body.enrolled", "place": province, "date": date,
        "facts": {"id": root, "kind": "root", "name": root_name, "jurisdiction": province,
                  "keys": [{"public": root_key.public.b64}]},
    })
    place = seal(root_key, root, {
        "type": "place.registered", "place": province, "date": date,
        "facts": {"id": province, "name": province_name, "kind": "province"},
    })
    for result in ledger.submit([genesis, place]):
        if isinstance(result, DantinError):
            raise result
    write_private(directory / LOG_KEY, log_key.to_pem())
    (directory / LOG_PUBLIC).write_text(NoteSigner.from_private_bytes(origin, log_key.seed()).verifier().vkey() + "\n",
                                        encoding="ascii")
    (directory / SETTINGS).write_text(settings.to_json() + "\n", encoding="utf-8")
    return ledger


def read_settings(directory: Path) -> Settings:
    path = directory / SETTINGS
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        origin, root, database = data["origin"], data["root"], data.get("database")
        if not (isinstance(origin, str) and isinstance(root, str) and (database is None or isinstance(database, str))):
            raise TypeError("ledger.json fields of the wrong type")
        return Settings(origin=origin, root=root, database=database)
    except FileNotFoundError:
        raise HomeError(
            f"'{directory}' không phải thư mục sổ cái (thiếu {SETTINGS}). Hãy chạy 'dantin init' trước.",
            detail="ledger.json missing",
        ) from None
    except (ValueError, KeyError, TypeError):
        raise HomeError(f"Tệp {path} bị hỏng.", detail="ledger.json unreadable") from None


def open_ledger(directory: Path, database: str | None = None, *, read_only: bool = False) -> Ledger:
    """Open an existing ledger; ``database`` overrides the one recorded at init.

    ``read_only`` (what ``dantin verify`` opens): nothing is written to the ledger's
    database, not even by opening it: no tables created or migrated, rows that have no leaf
    yet stay unsealed (the audit counts them), no checkpoint is signed, and ``submit`` refuses.
    """
    settings = read_settings(directory)
    env = persistence_env(directory, database or settings.database)
    sqlite_file = env.get("SQLITE_DBNAME")
    if sqlite_file is not None and not Path(sqlite_file).is_file():  # (SQLite would make an empty one)
        raise HomeError(f"Không có tệp cơ sở dữ liệu '{sqlite_file}' của sổ cái '{directory}'.",
                        detail="sqlite database file missing")
    reading = env | {"CREATE_TABLE": "no", READ_ONLY: "yes"}  # and no log key: it signs nothing
    if sqlite_file is not None and read_only:
        reading["SQLITE_DBNAME"] = _read_only_sqlite(Path(sqlite_file))
    reader = Ledger(env=reading)
    try:
        _holds_a_ledger(reader, directory, read_only=read_only)
    except BaseException:
        reader.close()
        raise
    if read_only:
        return reader
    reader.close()
    ledger = Ledger(env=env)
    try:
        seed = SigningKey.from_pem((directory / LOG_KEY).read_bytes()).seed()
    except FileNotFoundError:
        return ledger  # a reader's copy without the log key: no new checkpoints
    ledger.attach_log_key(settings.origin, seed)
    return ledger


def _holds_a_ledger(ledger: Ledger, directory: Path, *, read_only: bool) -> None:
    """Refuse a database that holds no ledger, before anything is written to it: a mistyped
    ``--database`` would otherwise get the tables of an empty ledger.

    - None of the ledger's tables there: no ledger, whatever the command.
    - Its tables there but empty (no row, leaf or checkpoint): refused for a command that would
      write; ``verify`` reads it, and reports it (``audit_directory``: ``init`` wrote rows).
    - Anything else, a ledger wiped of its rows but not of its checkpoints, a table that
      cannot be read: a damaged ledger, for ``verify`` to report.
    """
    from ledger.outage import is_missing_table, is_outage

    def look(read: Callable[[], object]) -> str:
        try:
            return "held" if read() else "empty"
        except Exception as exc:
            if is_outage(exc):
                raise
            return "missing" if is_missing_table(exc) else "held"  # (damage: for ``verify`` to report)

    store = ledger.sealer.store if ledger.sealer is not None else None
    found = {look(ledger.recorder.max_notification_id)}
    if store is not None:
        found |= {look(lambda: store.select_leaf_rows(0, 1)), look(lambda: store.checkpoint_at(None))}
    if "held" in found or (read_only and "empty" in found):
        return
    raise HomeError(f"Cơ sở dữ liệu của '{directory}' không chứa sổ cái nào (không có "
                    f"{'sự kiện' if 'empty' in found else 'bảng'} nào của sổ cái): kiểm tra lại --database hoặc "
                    "biến DANTIN_DATABASE.", detail="no ledger in the database")


def writable(directory: Path, database: str | None = None) -> bool:
    """Whether the ledger's database can be written from here: False for a SQLite file in a
    folder this process may not write (a read-only medium or mount; for a link, the folder of
    the file it leads to, where SQLite keeps its WAL); a server's, True."""
    sqlite_file = persistence_env(directory, database or read_settings(directory).database).get("SQLITE_DBNAME")
    return sqlite_file is None or _beside_writable(Path(sqlite_file))


def _beside_writable(path: Path) -> bool:
    """Whether SQLite may write the file ``path`` leads to: files can be made beside it (where SQLite
    puts its WAL and its index), and the file, with its WAL and index if there, may be written. A
    copy taken off a write-protected disk keeps its files read only in a folder that is not."""
    real = path.resolve()
    return os.access(real.parent, os.W_OK) and all(
        not p.exists() or os.access(p, os.W_OK) for p in (real, Path(f"{real}-wal"), Path(f"{real}-shm")))


def _read_only_sqlite(path: Path) -> str:
    """The SQLite file to read, as it can be read where it lies.

    In a folder this process may write (the usual case) the file as is, read only (``mode=ro``). In
    one it may not, or a file it may not write (an
    inspector's copy on a write-protected disk or a read-only mount; for a link, the folder of
    the file it leads to), SQLite cannot make the WAL index it needs beside the file, and every
    read failed ("unable to open database file", reported as the store being out of reach).
    There a file with its index beside it is read through that index (``mode=ro``, SQLite ≥
    3.22: a writer may have the file open, as when a reader's account may read a server's folder
    but not write it); a file without one was closed, and if its WAL holds no transaction it
    holds the whole ledger and is opened ``immutable`` (no locks, no index); else it is
    refused, saying why: read without its WAL it would seem to end earlier than it does. (An
    index left broken by a crash, beside an empty WAL, is read through all the same: SQLite
    then refuses, and the store is said out of reach.)
    """
    real = path.resolve()
    if _beside_writable(path):
        # Read only all the same (``mode=ro``): SQLite then neither writes the file nor, for a copy
        # in rollback-journal mode, turns it to WAL (``storage.sqlite_ledger._connect``).
        return "file:" + urllib.parse.quote(str(real)) + "?mode=ro"
    wal, shm = Path(f"{real}-wal"), Path(f"{real}-shm")
    uri = "file:" + urllib.parse.quote(str(real))
    if shm.is_file():
        return uri + "?mode=ro"
    if wal.is_file() and wal.stat().st_size > 0:
        raise HomeError(
            f"Tệp '{path}' nằm ở nơi chỉ đọc và còn giao dịch chưa gộp trong '{wal.name}', mà thiếu "
            f"'{shm.name}': không đọc trọn được tại chỗ. Hãy chép cả thư mục sổ cái sang một nơi ghi được "
            "rồi chạy lại.",
            detail="read-only folder: WAL without its index",
        )
    return uri + "?mode=ro&immutable=1"


def audit_directory(
    directory: Path, database: str | None = None, *, workers: int | None = None,
    progress: Callable[[int, int], None] | None = None, log: NoteVerifier | None = None,
    root_key: str | None = None,
) -> AuditReport:
    """``dantin verify``'s audit of the ledger in ``directory``, as the command runs it: the
    signature workers started first (from the forkserver the command started as it began; see
    ``ledger.audit.start_workers``), then the ledger opened read only (an audit writes nothing),
    audited and closed. ``progress(done, total)``: rows checked, of those there were at the start;
    called first with none done once the ledger is open, as the audit begins. ``log``: the log key
    the checkpoints must be signed by (one the auditor trusts); by default the folder's own.
    ``root_key``: the root body's public key (base64) the auditor trusts (``ledger.audit.audit``)."""
    from ledger.audit import Finding, audit, audit_workers, last_id_hint

    read_settings(directory)  # not a ledger: said before any worker starts
    if log is None:
        try:
            log = log_verifier(directory)
        except FileNotFoundError:
            raise HomeError(
                f"Thư mục '{directory}' không có khóa nhật ký ({LOG_KEY} hay {LOG_PUBLIC}): hãy cho khóa công khai "
                "của nhật ký bằng --log-key (dòng vkey mà 'dantin log-key' in ra trên máy của sổ cái).",
                detail="no log key in the folder") from None
    with audit_workers(workers) as pool:
        ledger = open_ledger(directory, database, read_only=True)
        try:
            total = last_id_hint(ledger.recorder)
            if progress is not None:
                progress(0, total)
            report = audit(ledger.recorder, seal=ledger.sealer.store if ledger.sealer else None,
                           log=log, pool=pool, workers=workers, root_key=root_key,
                           progress=None if progress is None else lambda done: progress(done, total))
        finally:
            ledger.close()
    if report.entries == 0 and report.intact:  # ``init`` wrote the root's rows: none is no ledger, or a wiped one
        report.findings.append(Finding(0, 0, "", 0, "empty_ledger", EMPTY_LEDGER_VI, "no rows, leaves or checkpoints"))
    return report


EMPTY_LEDGER_VI = ("Cơ sở dữ liệu không có sự kiện, lá Merkle hay checkpoint nào, mà lúc khởi tạo sổ cái đã ghi "
                   "sự kiện gốc: sổ cái đã bị xóa hết, hoặc --database trỏ tới cơ sở dữ liệu khác.")


def log_verifier(directory: Path) -> NoteVerifier:
    """The log's checkpoint verifier key: from the log key file, else (a copy) from its public
    half, ``log-key.pub`` (``FileNotFoundError`` when the folder has neither)."""
    try:
        return log_signer(directory).verifier()
    except FileNotFoundError:
        pass
    path = directory / LOG_PUBLIC
    text = path.read_text(encoding="ascii", errors="replace").strip()  # FileNotFoundError: neither
    try:
        return NoteVerifier.from_vkey(text)
    except DantinError:
        raise HomeError(f"Tệp {path} không chứa khóa công khai của nhật ký (dòng vkey).",
                        detail="log-key.pub unreadable") from None


def log_signer(directory: Path) -> NoteSigner:
    """The log's signer (checkpoints, a bundle's stream heads), from the log key file
    (``FileNotFoundError`` on a reader's copy without it)."""
    settings = read_settings(directory)
    seed = SigningKey.from_pem((directory / LOG_KEY).read_bytes()).seed()
    return NoteSigner.from_private_bytes(settings.origin, seed)
