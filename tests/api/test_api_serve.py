"""``dantin serve`` as an operator runs it: it starts on a ledger, stops cleanly on SIGINT, and leaves a
ledger that verifies, with a checkpoint covering every acknowledged event; a bad directory is a
Vietnamese message, not a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
from apihelp import REPO, fresh, profile, start_server, stop
from conftest import Backend, World

from ledger import home
from ledger.audit import audit


def test_serve_stops_cleanly_and_leaves_a_verified_ledger(backend: Backend, world: World, tmp_path: Path) -> None:
    backend.close()  # the server is the only writer
    process, url = start_server(backend, tmp_path / "server.log")
    try:
        response = httpx.post(url + "/v1/events", json=[profile(world, fresh()), profile(world, fresh())])
        assert response.status_code == 201, response.text
    finally:
        assert stop(process) == 0
    assert "Application shutdown complete" in (tmp_path / "server.log").read_text(encoding="utf-8")
    ledger = backend.open()
    latest = ledger.checkpoint()
    assert latest is not None and latest.size == ledger.log_size()
    assert ledger.sealer is not None
    report = audit(ledger.recorder, seal=ledger.sealer.store, log=home.log_verifier(backend.directory), workers=1)
    assert report.intact, report.findings[:3]


def test_serve_refuses_a_directory_without_a_ledger(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "cli", "serve", str(tmp_path / "none"), "--port", "0"], cwd=REPO,
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 2
    assert "không phải thư mục sổ cái" in " ".join(done.stderr.split()) and "Traceback" not in done.stderr


def test_the_log_pages_verification_runs_at_most_once_a_cooldown(backend: Backend, world: World,
                                                                  tmp_path: Path) -> None:
    """The log page's button is public and a full verification keeps a core busy: asked again
    within ``COOLDOWN``, the server runs nothing and says so in Vietnamese."""
    backend.close()
    process, url = start_server(backend, tmp_path / "server.log")
    try:
        with httpx.Client(base_url=url, timeout=120) as client:
            first = client.post("/log/verify")
            assert first.status_code == 303 and first.headers["location"] == "/log#kiem-tra"
            saved = backend.directory / "last-verify.json"
            ran = json.loads(saved.read_text(encoding="utf-8"))
            assert ran["source"] == "web" and ran["report"]["intact"]
            again = client.post("/log/verify")
            assert again.status_code == 303 and again.headers["location"] == "/log?recent=true#kiem-tra"
            assert json.loads(saved.read_text(encoding="utf-8")) == ran  # nothing ran again
            page = client.get(again.headers["location"])
            assert page.status_code == 200
            assert "mỗi 60 giây chỉ chạy một lần" in " ".join(page.text.split())
    finally:
        assert stop(process) == 0
