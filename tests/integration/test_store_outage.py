"""A store out of reach stops ``dantin verify``; it is never reported as a damaged ledger.

A read that fails because the server went away (PostgreSQL, after the reads' retries) or the
file could not be reached (SQLite: locked, I/O error) says nothing about the rows not read:
the audit stops with ``StoreUnavailable`` (exit 2, ``store_unavailable``). A read that fails
on what the store holds (text that is not UTF-8, a malformed file) is still a finding, as the
tamper tests show. The errors below are real ones, made by the drivers, wrapped as the
library wraps them.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import psycopg_pool
import pytest
from conftest import Backend, World
from eventsourcing.persistence import ConnectionPoolClosedError, ConnectionUnavailableError, OperationalError
from test_audit_schedule import _more

import ledger.audit as audit_module
from ledger import home
from ledger.errors import DantinError, StoreUnavailable
from ledger.outage import is_outage, reason_vi
from ledger.signing import SigningKey


def _outage_error(backend: Backend, tmp_path: Path) -> OperationalError:
    """The library's error for a real outage of this backend's driver."""
    if backend.name == "postgres":
        try:
            psycopg.connect("postgresql://postgres@127.0.0.1:1/test", connect_timeout=2)
        except psycopg.OperationalError as exc:
            cause: Exception = exc
        else:  # pragma: no cover - nothing listens on port 1
            raise AssertionError("port 1 answered")
    else:  # a file another connection holds locked (rollback journal: readers are shut out)
        path = tmp_path / "locked.sqlite"
        holder = sqlite3.connect(path, timeout=0.01)
        holder.execute("CREATE TABLE t (x)")
        holder.execute("BEGIN EXCLUSIVE")
        reader = sqlite3.connect(path, timeout=0.01)
        try:
            with pytest.raises(sqlite3.OperationalError) as busy:
                reader.execute("SELECT * FROM t").fetchall()
        finally:
            reader.close()
            holder.close()
        assert busy.value.sqlite_errorname == "SQLITE_BUSY"
        cause = busy.value
    try:
        raise OperationalError(cause) from cause
    except OperationalError as wrapped:
        return wrapped


def _audit(backend: Backend, world: World) -> audit_module.AuditReport:
    ledger = world.ledger
    assert ledger.sealer is not None
    return audit_module.audit(ledger.recorder, seal=ledger.sealer.store,
                              log=home.log_verifier(backend.directory), workers=1)


def _failing_on(recorder: Any, name: str, call: int, error: Exception) -> None:
    """Make the recorder's ``name`` raise ``error`` on its ``call``-th call."""
    real = getattr(recorder, name)
    calls = 0

    def failing(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == call:
            raise error
        return real(*args)

    setattr(recorder, name, failing)


@pytest.mark.parametrize("read", ["select_log_rows", "select_leaf_rows", "select_checkpoint_rows"])
def test_an_outage_mid_audit_stops_it(
    backend: Backend, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read: str
) -> None:
    _more(world)
    monkeypatch.setattr(audit_module, "PAGE", 4)
    recorder = world.ledger.recorder
    _failing_on(recorder, read, 3 if read == "select_log_rows" else 1, _outage_error(backend, tmp_path))
    try:
        with pytest.raises(StoreUnavailable) as raised:
            _audit(backend, world)
    finally:
        delattr(recorder, read)
    assert raised.value.code == "store_unavailable"
    assert "chưa được kiểm xong" in raised.value.message_vi
    assert _audit(backend, world).intact  # the store back: the same ledger is whole


def _damage_error(backend: Backend) -> OperationalError:
    """The library's error for a read that fails on what the store holds: SQLite's own error for
    text that is not UTF-8 (made here by a real query); on PostgreSQL, a table's file missing on
    a server that is up (``UndefinedFile``, 58P01, the class psycopg maps to OperationalError)."""
    if backend.name == "postgres":
        cause: Exception = psycopg.errors.UndefinedFile("could not open file \"base/16384/16385\"")
    else:
        db = sqlite3.connect(":memory:")
        db.execute("CREATE TABLE t (x TEXT)")
        db.execute("INSERT INTO t VALUES (CAST(X'FF' AS TEXT))")
        with pytest.raises(sqlite3.OperationalError) as undecodable:
            db.execute("SELECT x FROM t").fetchall()
        db.close()
        cause = undecodable.value
    try:
        raise OperationalError(cause) from cause
    except OperationalError as wrapped:
        return wrapped


def test_a_read_that_fails_on_what_is_stored_is_still_a_finding(
    backend: Backend, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error that is not an outage, though the library files it as an OperationalError
    too, is reported where it happened, and the audit goes on."""
    _more(world)
    monkeypatch.setattr(audit_module, "PAGE", 4)
    recorder = world.ledger.recorder
    bad_id, error = 3, _damage_error(backend)
    real = recorder.select_log_rows

    def unreadable_row(start: int, limit: int) -> Any:
        if start <= bad_id < start + limit:
            raise error
        return real(start, limit)

    recorder.select_log_rows = unreadable_row
    try:
        report = _audit(backend, world)
    finally:
        del recorder.select_log_rows
    assert not report.intact
    first = report.to_dict()["first_finding"]
    assert first["code"] == "undecodable" and first["notification_id"] == bad_id


def _sqlite_error(name: str) -> sqlite3.Error:
    error = sqlite3.OperationalError(name)
    error.sqlite_errorname = name
    return error


@pytest.mark.parametrize(("error", "outage"), [
    (_sqlite_error("SQLITE_BUSY"), True),
    (_sqlite_error("SQLITE_IOERR_READ"), True),
    (_sqlite_error("SQLITE_CANTOPEN"), True),
    (_sqlite_error("SQLITE_READONLY_RECOVERY"), True),
    (_sqlite_error("SQLITE_CORRUPT"), False),
    (_sqlite_error("SQLITE_NOTADB"), False),
    (_sqlite_error("SQLITE_IOERR_DATA"), False),
    (_sqlite_error("SQLITE_IOERR_CORRUPTFS"), False),
    (sqlite3.OperationalError("Could not decode to UTF-8 column 'x'"), False),  # (the driver's: no code)
    (sqlite3.OperationalError("no such table: stored_events"), False),
    (psycopg.OperationalError("connection refused"), True),  # (no state: the server never answered)
    (psycopg.errors.AdminShutdown("terminating connection"), True),
    (psycopg.errors.CannotConnectNow("the database system is starting up"), True),
    (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), True),
    (psycopg.errors.LockNotAvailable("could not obtain lock"), True),
    (psycopg.errors.TooManyConnections("too many clients"), True),
    (psycopg.errors.UndefinedFile("could not open file"), False),
    (psycopg.errors.DataCorrupted("invalid page in block 0"), False),
    (psycopg.errors.UndefinedTable("relation does not exist"), False),
    (ConnectionUnavailableError("timed out waiting for a connection"), True),
    (ConnectionPoolClosedError("pool is closed"), True),
    (psycopg_pool.PoolTimeout("couldn't get a connection after 5.00 sec"), True),
    (ValueError("something else"), False),
], ids=lambda v: v if isinstance(v, bool) else f"{type(v).__name__}:{v}"[:48])
def test_which_errors_are_outages(error: Exception, outage: bool) -> None:
    """By the driver's code, wherever it sits along the causes (the library wraps each)."""
    assert is_outage(error) is outage
    with pytest.raises(OperationalError) as wrapped:
        raise OperationalError(error) from error
    assert is_outage(wrapped.value) is outage


@pytest.mark.parametrize(("error", "said"), [
    (_sqlite_error("SQLITE_BUSY"), "tệp đang bị một tiến trình khác khóa"),
    (_sqlite_error("SQLITE_IOERR_READ"), "lỗi đọc/ghi đĩa"),
    (_sqlite_error("SQLITE_CANTOPEN"), "không mở được tệp cơ sở dữ liệu"),
    (_sqlite_error("SQLITE_READONLY_RECOVERY"), "tệp chỉ đọc"),
    (psycopg.OperationalError("connection refused"), "máy chủ không trả lời"),
    (psycopg.errors.AdminShutdown("terminating connection"), "đang tắt hoặc chưa nhận kết nối"),
    (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), "câu lệnh quá thời gian chờ"),
    (psycopg.errors.LockNotAvailable("could not obtain lock"), "chờ khóa quá lâu"),
    (psycopg.errors.TooManyConnections("too many clients"), "hết tài nguyên"),
    (ConnectionPoolClosedError("pool is closed"), "đã bị đóng"),
    (psycopg_pool.PoolTimeout("couldn't get a connection after 5.00 sec"), "trong thời gian chờ"),
], ids=lambda v: v if isinstance(v, str) else f"{type(v).__name__}"[:48])
def test_an_outage_is_said_in_vietnamese(error: Exception, said: str) -> None:
    """What the command line says of an outage: the reason in Vietnamese, not the driver's English."""
    with pytest.raises(OperationalError) as wrapped:
        raise OperationalError(error) from error
    assert is_outage(wrapped.value)
    assert said in reason_vi(wrapped.value)


def test_verify_reports_a_missing_table_as_damage(tmp_path: Path) -> None:
    """A ledger whose events table was dropped is damaged (exit 1), not out of reach."""
    directory = tmp_path / "ledger"
    home.init(directory, root_key=SigningKey.generate()).close()
    db = sqlite3.connect(directory / "ledger.sqlite")
    (table,) = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%events'")]
    db.execute(f"DROP TABLE {table}")
    db.commit()
    db.close()
    out = subprocess.run([sys.executable, "-m", "cli", "verify", str(directory)],
                         capture_output=True, text=True, timeout=120)
    assert "store_unavailable" not in out.stderr and "Traceback" not in out.stderr
    assert out.returncode == 1, out.stderr
    assert "undecodable" in out.stderr and "missing_row" in out.stderr  # and the sealed rows are missing


def test_verify_says_the_database_is_out_of_reach(tmp_path: Path) -> None:
    """``dantin verify`` against a server nobody answers: exit 2 and the code, no traceback."""
    directory = tmp_path / "ledger"
    home.init(directory, root_key=SigningKey.generate()).close()
    out = subprocess.run(
        [sys.executable, "-m", "cli", "verify", str(directory),
         "--database", "postgresql://postgres@127.0.0.1:1/test"],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 2, out.stderr
    assert "store_unavailable" in out.stderr and "Không kết nối" in out.stderr
    assert "máy chủ" in out.stderr and "connection" not in out.stderr  # said in Vietnamese, not the driver's words
    assert "Traceback" not in out.stderr


def test_the_log_pages_verification_saves_nothing_when_the_store_is_out_of_reach(
    backend: Backend, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log page's button: an outage is answered 503 (``store_unavailable``), and no last
    result is saved (a saved one would show the ledger as damaged)."""
    from api.problems import status_of
    from api.web import verification

    monkeypatch.setattr(verification, "_finished_at", None)  # (no cooldown left by another test)
    recorder = world.ledger.recorder
    _failing_on(recorder, "select_log_rows", 1, _outage_error(backend, tmp_path))
    try:
        with pytest.raises(StoreUnavailable) as raised:
            verification.run(world.ledger, backend.directory)
    finally:
        del recorder.select_log_rows
    assert status_of(raised.value) == 503
    assert not (backend.directory / "last-verify.json").exists()
    assert verification.run(world.ledger, backend.directory) == "recent"  # a failed run waits out the cooldown too
    monkeypatch.setattr(verification, "_finished_at", None)
    assert verification.run(world.ledger, backend.directory) == "done"  # the store back: it runs
    assert json.loads((backend.directory / "last-verify.json").read_text(encoding="utf-8"))["report"]["intact"]


def test_a_read_only_open_of_a_missing_sqlite_file_creates_nothing(tmp_path: Path) -> None:
    """``verify`` opens the ledger read only: with its SQLite file gone it says so, and leaves
    no empty database behind (a later open to write would have started a new, empty ledger)."""
    directory = tmp_path / "ledger"
    home.init(directory, root_key=SigningKey.generate()).close()
    for leftover in directory.glob("ledger.sqlite*"):
        leftover.unlink()
    with pytest.raises(DantinError) as raised:
        home.open_ledger(directory, read_only=True)
    assert raised.value.code == "ledger_dir" and "ledger.sqlite" in raised.value.message_vi
    assert not list(directory.glob("ledger.sqlite*"))


def test_a_postgresql_read_rides_out_a_blip_and_gives_up_on_an_outage_in_seconds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Reads try again on a connection error (a server restarting), but for ``READ_RETRY_S`` at most:
    the library's ten tries, each waiting 5 s for the pool, took 38 s to say the server had gone."""
    import time

    from eventsourcing.persistence import OperationalError as LibraryOperationalError

    import storage.postgres_ledger as pg

    calls: list[float] = []

    @pg._retry_reads
    def blip() -> str:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise LibraryOperationalError("server closed the connection unexpectedly")
        return "read"

    assert blip() == "read" and len(calls) == 3  # a blip: read on the third try

    monkeypatch.setattr(pg, "READ_RETRY_S", 0.6)
    calls.clear()

    @pg._retry_reads
    def gone() -> None:
        calls.append(time.monotonic())
        time.sleep(0.25)  # as the pool waits for a connection that never comes
        raise LibraryOperationalError("couldn't get a connection after 0.25 sec")

    started = time.monotonic()
    with pytest.raises(LibraryOperationalError):
        gone()
    assert time.monotonic() - started < 1.5 and 2 <= len(calls) <= 3, (time.monotonic() - started, len(calls))
