"""``dantin serve`` as an operator runs it: it starts on a ledger, stops cleanly on SIGINT, and leaves a
ledger that verifies, with a checkpoint covering every acknowledged event; a bad directory is a
Vietnamese message, not a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def test_serve_read_only_shows_everything_and_writes_nothing(backend: Backend, world: World, tmp_path: Path) -> None:
    """``--read-only``: an inspector serves a copy to read it in a browser. Pages, reads and the log's
    verification work; events, cosignatures and nothing else are written, on SQLite and PostgreSQL."""
    backend.close()
    before = backend.open()
    head, checkpoints = before.recorder.max_notification_id(), len(before.checkpoints())
    backend.close()
    saved = backend.directory / "last-verify.json"
    process, url = start_server(backend, tmp_path / "server.log", "--read-only")
    try:
        with httpx.Client(base_url=url, timeout=120) as client:
            ready = client.get("/readyz").json()
            assert ready["read_only"] is True and ready["log_size"] == head
            page = client.get(f"/villages/{world.lang_ma}")
            assert page.status_code == 200 and "Bản sao chỉ đọc" in page.text
            assert client.get("/v1/officeholders", params={"place": world.bato}).status_code == 200
            refused = client.post("/v1/events", json=profile(world, fresh()))
            assert refused.status_code == 403, refused.text
            problem = refused.json()
            assert problem["code"] == "read_only" and "chỉ để đọc" in problem["detail"]
            cosigned = client.post("/v1/log/cosignatures", content="— witness AAAA\n")
            assert cosigned.status_code == 403 and cosigned.json()["code"] == "read_only"
            # Told it takes nothing, whatever the body's size (not 413: too large), declared or chunked.
            for path in ("/v1/events", "/v1/log/cosignatures"):
                for body in (b"[" + b" " * (2 * 1024 * 1024) + b"]", iter([b"[", b" " * (2 * 1024 * 1024), b"]"])):
                    huge = client.post(path, content=body, headers={"content-type": "application/json"})
                    assert huge.status_code == 403 and huge.json()["code"] == "read_only", (path, huge.text)
            assert client.post("/v1/places", content=b" " * (2 * 1024 * 1024)).status_code == 413  # not a write
            verified = client.post("/log/verify")
            assert verified.status_code == 303
            log = client.get("/log")
            assert "Bản sao chỉ đọc" in log.text and 'id="last-verify" data-intact="true"' in log.text
    finally:
        assert stop(process) == 0
    assert not saved.exists()  # the verification's result was kept in memory
    after = backend.open()
    assert (after.recorder.max_notification_id(), len(after.checkpoints())) == (head, checkpoints)
    assert "Bản sao chỉ đọc" in (tmp_path / "server.log").read_text(encoding="utf-8")
    assert not _view_tables(after)  # the pages' views were built in memory, not beside the log


def _view_tables(ledger: Any) -> list[str]:
    if "postgres" in type(ledger.recorder).__module__:
        with ledger.recorder.datastore.transaction(commit=False) as curs:
            curs.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                         "AND table_name LIKE 'dantin_view_%%'", (ledger.recorder.datastore.schema,))
            return [str(r["table_name"]) for r in curs.fetchall()]
    with ledger.recorder.datastore.transaction(commit=False) as c:
        c.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'dantin_view_%'")
        return [str(r[0]) for r in c.fetchall()]


def test_a_request_that_is_not_http_is_answered_in_vietnamese_problem_json(backend: Backend, world: World,
                                                                          tmp_path: Path) -> None:
    """uvicorn answers what it cannot parse before the application sees it; dantin serve's protocol
    answers it as every other error: problem+json, Vietnamese, a stable code."""
    import socket
    from urllib.parse import urlsplit

    backend.close()
    process, url = start_server(backend, tmp_path / "server.log")
    try:
        where = urlsplit(url)
        for raw in (b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\r\n\r\n"):
            with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
                sock.sendall(raw)
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 400"), answer
            assert b"content-type: application/problem+json" in head.lower(), head
            problem = json.loads(body)
            assert problem["code"] == "bad_http" and problem["status"] == 400
            assert problem["title"] == "Yêu cầu HTTP không hợp lệ" and "cú pháp" in problem["detail"]
            assert problem["detail_en"]  # uvicorn's own reason, for a programmer
        assert httpx.get(url + "/healthz").status_code == 200  # and the server serves on
    finally:
        assert stop(process) == 0


def test_a_server_named_by_authority_refuses_requests_signed_for_another_name(backend: Backend, world: World,
                                                                               tmp_path: Path) -> None:
    """``--authority``: a request signed for another server holding the same ledger (an inspector's copy,
    say) and replayed here is refused, and nothing of it is claimed; one signed for this name is answered."""
    from api.httpsig import sign_request

    backend.close()
    process, url = start_server(backend, tmp_path / "server.log", "--authority", "Ledger.Example.VN")
    path = f"/v1/villages/{world.lang_ma}/history"
    fields = {"Dantin-Body": world.inspection}
    key = world.keys[world.inspection]
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            # Signed for this very address, 127.0.0.1:port, but the server is reached as ledger.example.vn.
            elsewhere = client.get(path, headers={**fields, **sign_request(key, "GET", url + path, fields)})
            assert elsewhere.status_code == 401, elsewhere.text
            problem = elsewhere.json()
            assert problem["code"] == "signature_wrong_authority"
            assert "ledger.example.vn" in problem["detail"] and "ký lại" in problem["detail"]
            # Signed for the server's name (default port left out, as clients write it) and sent to it.
            named = "http://ledger.example.vn" + path
            headers = {**fields, **sign_request(key, "GET", named, fields), "Host": "ledger.example.vn"}
            answered = client.get(path, headers=headers)
            assert answered.status_code == 200, answered.text
            assert answered.json()["reader"]["body"] == world.inspection
            # The same request again is a replay, as without --authority.
            assert client.get(path, headers=headers).json()["code"] == "signature_replayed"
    finally:
        assert stop(process) == 0


def test_serve_refuses_an_authority_that_is_no_host_name(backend: Backend, world: World) -> None:
    backend.close()
    for bad in ("https://ledger.example.vn/", "ledger.example.vn/v1", "user@ledger", ":8000", "host:port"):
        done = subprocess.run([sys.executable, "-m", "cli", "serve", str(backend.directory), "--port", "0",
                               "--authority", bad], cwd=REPO, capture_output=True, text=True, check=False, timeout=60)
        assert done.returncode == 2, (bad, done.stderr)
        said = " ".join(done.stderr.split())
        assert "không phải tên máy chủ" in said and "Traceback" not in said, (bad, said)
