"""``dantin fetch``: the real console command, in a subprocess, against a real ``dantin serve``.

Signed restricted reads succeed for an entitled body and fail with the server's code for a body outside the
village's jurisdiction; key, URL and network problems are Vietnamese messages with exit codes 2, 2 and 1.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from email.message import Message
from email.utils import formatdate
from pathlib import Path

import pytest
from apihelp import BORN, FRONT, PERSON, SONTINH_INSPECTION, Served

from cli.fetch import Answer, hint_for, render
from ledger.bundle import verify_bundle
from ledger.note import CosignatureSigner
from ledger.signing import SigningKey
from ledger.witness import cosign

pytest_plugins = ["apiserver"]  # the `served` fixture

PASSPHRASE_VAR = "DANTIN_TEST_FETCH_PASSPHRASE"


def fetch(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("dantin")
    argv = [str(script)] if script.exists() else [sys.executable, "-m", "cli"]
    base = {k: v for k, v in os.environ.items() if k not in ("DANTIN_DATABASE", PASSPHRASE_VAR)}
    return subprocess.run([*argv, "fetch", *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                          env={**base, "COLUMNS": "200", **(env or {})}, check=False)


def said(result: subprocess.CompletedProcess[str]) -> str:
    """Stderr as one line (rich wraps long messages), checked to hold no traceback."""
    assert "Traceback" not in result.stderr + result.stdout
    return " ".join(result.stderr.split())


def key_file(tmp_path: Path, key: SigningKey, passphrase: bytes | None = None) -> Path:
    path = tmp_path / f"{key.public.key_id.replace(':', '_')}.pem"
    path.write_bytes(key.to_pem(passphrase))
    return path


def history_url(served: Served) -> str:
    return f"{served.url}/v1/villages/{served.world.lang_ma}/history"


def test_an_inspection_body_reads_a_village_history_with_profiles(served: Served, tmp_path: Path) -> None:
    w = served.world
    pem = key_file(tmp_path, w.keys[w.inspection], b"mat-khau")
    argv = (history_url(served), "--key", str(pem), "--body", w.inspection, "--passphrase-env", PASSPHRASE_VAR)
    for _ in range(2):  # a fresh nonce each time: the second request is no replay
        result = fetch(*argv, env={PASSPHRASE_VAR: "mat-khau"})
        assert result.returncode == 0, said(result)
        found = json.loads(result.stdout)
        assert found["reader"] == {"body": w.inspection, "kind": "inspection",
                                   "keyid": w.keys[w.inspection].public.key_id}
        people = {p["id"]: p for p in found["people"]}
        assert people[PERSON]["profile"]["born"] == BORN
        assert any(e["statement"]["type"] == "personnel.nominated" for e in found["events"])

    saved = tmp_path / "out" / "history.json"
    result = fetch(*argv, "--output", str(saved), env={PASSPHRASE_VAR: "mat-khau"})
    assert result.returncode == 0, said(result)
    assert result.stdout == "" and f"vào {saved}" in said(result)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600  # birth dates and party membership: owner only
    assert json.loads(saved.read_bytes())["people"]


def test_a_body_outside_the_villages_jurisdiction_gets_the_servers_code(served: Served, tmp_path: Path) -> None:
    pem = key_file(tmp_path, served.world.keys[SONTINH_INSPECTION])
    argv = (history_url(served), "--key", str(pem), "--body", SONTINH_INSPECTION)
    result = fetch(*argv)
    assert result.returncode == 1 and result.stdout == ""
    message = said(result)
    assert "Lỗi (read_outside_jurisdiction), HTTP 403 — Không có quyền đọc:" in message
    assert "nằm ngoài thẩm quyền 'qng.sontinh'" in message
    machine = fetch(*argv, "--json")  # for programs: the problem document itself on stdout
    assert machine.returncode == 1
    problem = json.loads(machine.stdout)
    assert problem["code"] == "read_outside_jurisdiction" and problem["status"] == 403


def test_signature_problems_are_the_servers_with_a_hint(served: Served, tmp_path: Path) -> None:
    w = served.world
    unsigned = fetch(history_url(served))
    assert unsigned.returncode == 1
    assert "Lỗi (signature_missing), HTTP 401" in said(unsigned) and "--key TỆP_KHÓA --body" in said(unsigned)
    stranger = key_file(tmp_path, SigningKey.generate())
    unknown = fetch(history_url(served), "--key", str(stranger), "--body", w.inspection)
    assert unknown.returncode == 1 and "Lỗi (signature_unknown_key), HTTP 401" in said(unknown)
    not_reader = fetch(history_url(served), "--key", str(key_file(tmp_path, w.keys[w.cell])), "--body", w.cell)
    assert not_reader.returncode == 1 and "Lỗi (read_not_allowed), HTTP 403" in said(not_reader)


def test_public_routes_signed_or_not(served: Served, tmp_path: Path) -> None:
    w = served.world
    url = f"{served.url}/v1/places/{w.lang_ma}"
    plain = fetch(url)
    assert plain.returncode == 0, said(plain)
    assert json.loads(plain.stdout)["id"] == w.lang_ma
    signed = fetch(url, "--key", str(key_file(tmp_path, w.keys[w.inspection])), "--body", w.inspection)
    assert signed.returncode == 0 and json.loads(signed.stdout) == json.loads(plain.stdout)
    missing = fetch(f"{served.url}/v1/places/qng.khong-co")
    assert missing.returncode == 1 and "Lỗi (not_found), HTTP 404" in said(missing)


def test_the_village_bundle_is_saved_byte_for_byte(served: Served, tmp_path: Path) -> None:
    w = served.world
    note = served.client.get("/v1/log/checkpoint").text
    for body in (FRONT, w.inspection):  # make the newest checkpoint witnessed (the policy's k of n)
        signer = CosignatureSigner.from_private_bytes(body, w.keys[body].seed())
        line = cosign(None, note, [], served.log_verifier(), int(time.time()), signer=signer).line
        assert served.client.post("/v1/log/cosignatures", content=line).status_code == 201
    saved = tmp_path / "lang-ma.bundle.json"
    result = fetch(f"{served.url}/v1/bundles/villages/{w.lang_ma}", "--key",
                    str(key_file(tmp_path, w.keys[w.inspection])), "--body", w.inspection, "-o", str(saved))
    assert result.returncode == 0, said(result)
    report = verify_bundle(saved.read_bytes(), log_key=served.log_verifier().vkey())  # canonical bytes untouched
    assert report.village == w.lang_ma


def test_an_unreachable_server_is_a_vietnamese_message_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on once this socket is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    pem = key_file(tmp_path, SigningKey.generate())
    result = fetch(f"http://127.0.0.1:{port}/v1/villages/qng.bato.badien.lang-ma/history",
                    "--key", str(pem), "--body", "qng.bato/inspection")
    assert result.returncode == 1 and result.stdout == ""
    assert f"Lỗi (network): Không kết nối được tới 127.0.0.1:{port}: máy chủ từ chối kết nối" in said(result)


def test_key_problems_are_clear_usage_errors(tmp_path: Path) -> None:
    url = "http://127.0.0.1:9/v1/villages/qng.bato.badien.lang-ma/history"  # never reached: the key comes first
    body = ("--body", "qng.bato/inspection")
    missing = fetch(url, "--key", str(tmp_path / "khong-co.pem"), *body)
    assert missing.returncode == 2 and f"Lỗi (io): Không có tệp khóa '{tmp_path / 'khong-co.pem'}'." in said(missing)
    encrypted = key_file(tmp_path, SigningKey.generate(), b"dung")
    wrong = fetch(url, "--key", str(encrypted), *body, "--passphrase-env", PASSPHRASE_VAR,
                   env={PASSPHRASE_VAR: "sai"})
    assert wrong.returncode == 2 and "Lỗi (bad_key): Không đọc được tệp khóa: sai mật khẩu" in said(wrong)
    unset = fetch(url, "--key", str(encrypted), *body, "--passphrase-env", PASSPHRASE_VAR)
    assert unset.returncode == 2 and f"Biến môi trường '{PASSPHRASE_VAR}' (mật khẩu khóa) chưa được đặt" in said(unset)
    no_passphrase = fetch(url, "--key", str(encrypted), *body)  # stdin is no terminal: no prompt
    assert no_passphrase.returncode == 2 and "dùng --passphrase-env" in said(no_passphrase)
    for result in (missing, wrong, unset, no_passphrase):
        assert "Không kết nối được" not in said(result)


@pytest.mark.parametrize(("args", "message"), [
    (("ftp://127.0.0.1/x",), "cần dạng http://máy-chủ:cổng/v1/…"),
    (("127.0.0.1:8000/v1/places/qng",), "cần dạng http://máy-chủ:cổng/v1/…"),
    (("http://u:p@127.0.0.1:8000/",), "không kèm tên/mật khẩu"),
    (("http://127.0.0.1:99999/",), "số cổng không hợp lệ"),
    (("http://127.0.0.1:9/", "--key", "k.pem"), "Cần cả --key và --body"),
    (("http://127.0.0.1:9/", "--body", "qng.bato/inspection"), "Cần cả --key và --body"),
])
def test_usage_errors_exit_2(args: tuple[str, ...], message: str) -> None:
    result = fetch(*args)
    assert result.returncode == 2 and "Lỗi (usage)" in said(result) and message in said(result)


def test_a_malformed_body_id_is_a_usage_error(tmp_path: Path) -> None:
    result = fetch("http://127.0.0.1:9/", "--key", str(key_file(tmp_path, SigningKey.generate())),
                    "--body", "Không phải mã")
    assert result.returncode == 2 and "không phải mã cơ quan" in said(result)


def test_json_is_indented_for_a_terminal_and_left_alone_otherwise() -> None:
    raw = b'{"b":[1,2],"a":"Th\xc3\xb4n"}'
    assert render(raw, "application/json", pretty=False) == raw
    assert render(raw, "application/json", pretty=True) == '{\n  "b": [\n    1,\n    2\n  ],\n  "a": "Thôn"\n}\n'.encode()
    assert render(raw, "application/problem+json", pretty=True).startswith(b'{\n  "b"')
    assert render(b"not json", "application/json", pretty=True) == b"not json"
    assert render(b"dantin.qng/log\n5\n", "text/plain", pretty=True) == b"dantin.qng/log\n5\n"


def test_an_expired_signature_names_the_clock_skew() -> None:
    headers = Message()
    headers["Date"] = formatdate(time.time() + 600, usegmt=True)  # the server is ten minutes ahead of us
    answer = Answer(401, "Unauthorized", headers, b"{}")
    hint = hint_for("signature_expired", answer, signed=True)
    assert hint is not None and "chậm khoảng" in hint and "giây so với máy chủ" in hint
    headers.replace_header("Date", formatdate(time.time(), usegmt=True))
    assert hint_for("signature_expired", answer, signed=True) is None  # in step: nothing to say about clocks
