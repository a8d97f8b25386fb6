"""More read-only copies ``dantin serve`` and the read commands read without writing (each of these
failed before its fix, found by a review):

- A copy whose *files* cannot be written, in a folder that can (copied off a write-protected
  medium, or out of an archive, keeping r--r--r--): served read only, as a read-only folder is
  (``ledger.home._beside_writable`` looks at the file, its WAL and its index too).
- A copy in rollback-journal mode (``VACUUM INTO`` makes one) opened to be read only in a folder
  that can be written: opened ``mode=ro``, so it is not turned into WAL mode.
- /docs, the one page rendered without the request, shows the read-only banner too.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from test_cli import run

from ledger import home

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("ro-review") / "ledger"
    run("demo", directory)
    return directory


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def _unprivileged() -> list[str]:
    """A prefix that runs a command unable to write a file its mode forbids (root without CAP_DAC_OVERRIDE)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:  # mandatory in CI, as the read-only mount is (test_read_only_copy)
        if os.environ.get("CI") == "true":
            pytest.fail("root without setpriv, and CI=true: cannot run a process that file modes bind")
        pytest.skip("root without setpriv: cannot run a process that file modes bind; mandatory in CI")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]


def test_serve_reads_a_copy_whose_files_are_read_only_without_writing(small: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(small, copy)
    for p in copy.rglob("*"):
        if p.is_file():
            p.chmod(0o444)
    before = _files(copy)
    prefix = _unprivileged()
    probe = subprocess.run([*prefix, sys.executable, "-c", f"open({str(copy / 'ledger.json')!r}, 'a')"],
                           capture_output=True, check=False)
    if probe.returncode == 0:
        pytest.skip("this process may write a read-only file here")
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([*prefix, sys.executable, "-m", "cli", "serve", str(copy), "--port", "0"], cwd=ROOT,
                                   stdout=log, stderr=subprocess.STDOUT,
                                   env={k: v for k, v in os.environ.items() if k != "DANTIN_DATABASE"})
    try:
        url = None
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline and process.poll() is None:
            found = re.search(r"Uvicorn running on (http://[0-9.]+:[0-9]+)", log_path.read_text(encoding="utf-8"))
            url = found.group(1) if found else None
            time.sleep(0.05)
        assert url is not None, log_path.read_text(encoding="utf-8")
        village = "qng.bato.babich.dong-tien"
        with httpx.Client(base_url=url, timeout=120) as client:
            assert client.get("/readyz").json()["read_only"] is True  # (before the fix: False)
            for path in ("/", f"/villages/{village}", f"/v1/villages/{village}/leadership",
                         f"/v1/villages/{village}/verdict"):
                answer = client.get(path)
                assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])  # (before the fix: 503)
            refused = client.post("/v1/events", json={"payloadType": "x", "payload": "", "signatures": []})
            assert refused.status_code == 403 and refused.json()["code"] == "read_only"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
    assert _files(copy) == before  # (before the fix: ledger.sqlite-wal and ledger.sqlite-shm left beside it)


def test_a_rollback_journal_copy_opened_read_only_is_not_turned_into_wal(small: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(small, copy, ignore=shutil.ignore_patterns("ledger.sqlite*"))
    with sqlite3.connect(small / "ledger.sqlite") as db:
        db.execute(f"VACUUM INTO '{copy / 'ledger.sqlite'}'")  # an inspector's copy, taken while the server runs
    with sqlite3.connect(copy / "ledger.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    before = _files(copy)
    ledger = home.open_ledger(copy, read_only=True)  # what `dantin serve --read-only` and `dantin verify` open
    try:
        assert ledger.log_size() > 4000
    finally:
        ledger.close()
    assert _files(copy) == before  # (before the fix: the header says WAL now)


def test_the_docs_page_of_a_read_only_copy_says_it_is_one(small: Path) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiSettings

    with TestClient(create_app(ApiSettings(directory=small, read_only=True))) as client:
        assert "Bản sao chỉ đọc" in client.get("/log").text
        assert "Bản sao chỉ đọc" in client.get("/docs").text  # (before the fix: absent (rendered without the request))
