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
import pytest
from conftest import Backend, World
from eventsourcing.persistence import DataError, OperationalError
from test_audit_schedule import _more

import ledger.audit as audit_module
from ledger import home
from ledger.errors import StoreUnavailable
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


def test_a_read_that_fails_on_what_is_stored_is_still_a_finding(
    backend: Backend, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error that is not an outage (the driver could not convert a value) is reported where
    it happened, and the audit goes on."""
    _more(world)
    monkeypatch.setattr(audit_module, "PAGE", 4)
    recorder = world.ledger.recorder
    bad_id = 3
    real = recorder.select_log_rows

    def unreadable_row(start: int, limit: int) -> Any:
        if start <= bad_id < start + limit:
            raise DataError("could not convert a stored value")
        return real(start, limit)

    recorder.select_log_rows = unreadable_row
    try:
        report = _audit(backend, world)
    finally:
        del recorder.select_log_rows
    assert not report.intact
    first = report.to_dict()["first_finding"]
    assert first["code"] == "undecodable" and first["notification_id"] == bad_id


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
    assert verification.run(world.ledger, backend.directory) == "done"  # the store back: it runs
    assert json.loads((backend.directory / "last-verify.json").read_text(encoding="utf-8"))["report"]["intact"]
