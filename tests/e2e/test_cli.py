"""The command line as a person uses it: real processes, real files, exit codes, Vietnamese."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DANTIN = [sys.executable, "-m", "cli"]


def run(*args: str | Path, check: int | None = 0, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*DANTIN, *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "COLUMNS": "200", **(env or {})}, timeout=300)
    if check is not None:
        assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    return proc


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo") / "ledger"
    proc = run("demo", directory)
    assert "19 xã/thị trấn" in proc.stdout
    return directory


def test_demo_builds_ba_to_with_every_body_and_verifies(demo: Path) -> None:
    stats = json.loads(run("stats", demo, "--json").stdout)
    assert stats["places"] == 1 + 1 + 19 + 61  # province, district, communes, villages
    kinds = {p.name.split("__")[1].removesuffix(".pem") for p in (demo / "keys").glob("*__*.pem")}
    assert kinds == {"root", "district_standing", "training_center", "inspection", "commune_committee",
                     "commune_front", "commune_party", "village_front", "election_team", "cell"}
    report = json.loads(run("verify", demo, "--json").stdout)
    assert report["intact"] and report["entries"] == stats["entries"] == report["sealed"]


def test_verify_exits_1_and_names_a_deleted_event(demo: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(demo, copy)
    with sqlite3.connect(copy / "ledger.sqlite") as db:
        stream, version = db.execute("SELECT originator_id, originator_version FROM stored_events WHERE rowid=100").fetchone()
        db.execute("DELETE FROM stored_events WHERE rowid = 100")
    proc = run("verify", copy, check=1)
    assert f"'{stream}'" in proc.stderr and "vị trí 99" in proc.stderr and "bị xóa" in proc.stderr
    report = json.loads(run("verify", copy, "--json", check=1).stdout)
    assert report["first_finding"]["stream"] == stream and report["first_finding"]["version"] == version


def _dump(directory: Path) -> list[str]:
    with sqlite3.connect(directory / "ledger.sqlite") as db:
        return list(db.iterdump())


def test_verify_writes_nothing_to_the_ledger_it_audits(demo: Path, tmp_path: Path) -> None:
    """An audit neither seals a row that has no leaf, nor signs a checkpoint, nor migrates a
    table: what it reports is the ledger as it found it, and a second run finds the same."""
    copy = tmp_path / "copy"
    shutil.copytree(demo, copy)
    with sqlite3.connect(copy / "ledger.sqlite") as db:  # a row slipped in beside the ledger, without a leaf
        topic, state = db.execute("SELECT topic, state FROM stored_events WHERE rowid = 5").fetchone()
        db.execute("INSERT INTO stored_events VALUES ('person:forged', 1, ?, ?)", (topic, state))
        db.execute("CREATE INDEX dantin_leaves_event ON dantin_leaves (stream, version)")  # as older ledgers have
    before = _dump(copy)
    first = json.loads(run("verify", copy, "--json", check=1).stdout)
    assert _dump(copy) == before
    assert first["unsealed"] == 1 and first["sealed"] == first["entries"] - 1
    assert first["first_finding"]["stream"] == "person:forged"
    assert json.loads(run("verify", copy, "--json", check=1).stdout) == first
    proc = run("verify", copy, check=1)
    assert "1 sự kiện cuối chưa được đối chiếu với cây Merkle" in proc.stderr
    assert _dump(copy) == before


def test_read_commands_write_nothing_to_the_ledger(demo: Path, tmp_path: Path) -> None:
    """``stats``, ``checkpoint``, ``witness status`` and ``bundle`` read: they seal no row left
    without a leaf, sign no checkpoint, migrate no table. (``proof`` may publish the checkpoint it
    proves against, and ``witness cosign`` stores a cosignature: they open it to write.)"""
    copy = tmp_path / "copy"
    shutil.copytree(demo, copy)
    with sqlite3.connect(copy / "ledger.sqlite") as db:  # a row without a leaf: a writer would seal it
        topic, state = db.execute("SELECT topic, state FROM stored_events WHERE rowid = 5").fetchone()
        db.execute("INSERT INTO stored_events VALUES ('person:unsealed', 1, ?, ?)", (topic, state))
        db.execute("CREATE INDEX dantin_leaves_event ON dantin_leaves (stream, version)")  # as older ledgers have
    before = _dump(copy)
    stats = json.loads(run("stats", copy, "--json").stdout)
    checkpoint = json.loads(run("checkpoint", copy, "--json").stdout)
    status = json.loads(run("witness", "status", copy, "--json").stdout)
    run("bundle", copy, "qng.bato.badien.lang-ma", "-o", tmp_path / "village.bundle.json")
    assert _dump(copy) == before
    assert stats["entries"] == checkpoint["size"] + 1
    assert status


def test_usage_errors_exit_2_in_vietnamese(tmp_path: Path) -> None:
    proc = run("verify", tmp_path / "nowhere", check=2)
    assert "không phải thư mục sổ cái" in proc.stderr
    run("frobnicate", check=2)


def test_keys_sign_submit_and_replay(demo: Path, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger"
    shutil.copytree(demo, ledger)
    proc = run("keys", "new", tmp_path / "k.pem", "--json")
    assert "PRIVATE" not in proc.stdout and json.loads(proc.stdout)["key_id"]
    assert (tmp_path / "k.pem").stat().st_mode & 0o077 == 0
    run("keys", "new", tmp_path / "k.pem", check=2)  # never overwrites a key
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"type": "person.profiled", "place": "qng.bato.badien.lang-ma", "date": "2022-03-01",
                                 "facts": {"person": "dinh-van-a", "name": "Đinh Văn A", "born": "1975-02-01"}}))
    cell_key = ledger / "keys" / "qng.bato.badien.lang-ma__cell.pem"
    run("sign", event, "--key", cell_key, "--body", "qng.bato.badien.lang-ma/cell", "-o", tmp_path / "env.json")
    accepted = json.loads(run("submit", ledger, tmp_path / "env.json", "--json").stdout)
    assert accepted[0]["stream"] == "person:dinh-van-a"
    refused = json.loads(run("submit", ledger, tmp_path / "env.json", "--json", check=1).stdout)
    assert refused[0]["code"] == "replay" and refused[0]["refused"]
    # A body of the wrong kind: the village Front may not profile people.
    front_key = ledger / "keys" / "qng.bato.badien.lang-ma__village_front.pem"
    run("sign", event, "--key", front_key, "--body", "qng.bato.badien.lang-ma/village_front", "-o", tmp_path / "e2.json")
    proc = run("submit", ledger, tmp_path / "e2.json", check=1)
    assert "kind_not_allowed" in proc.stderr
    assert json.loads(run("verify", ledger, "--json").stdout)["intact"]


def test_encrypted_key_needs_its_passphrase(tmp_path: Path) -> None:
    env = {"KEYPASS": "mật khẩu dài"}
    run("keys", "new", tmp_path / "k.pem", "--encrypt", "--passphrase-env", "KEYPASS", env=env)
    assert b"ENCRYPTED" in (tmp_path / "k.pem").read_bytes()
    run("keys", "show", tmp_path / "k.pem", "--passphrase-env", "KEYPASS", env=env)
    proc = run("keys", "show", tmp_path / "k.pem", "--passphrase-env", "KEYPASS", env={"KEYPASS": "sai"}, check=2)
    assert "sai mật khẩu" in proc.stderr


@pytest.mark.parametrize(("passphrase", "said"), [("", "trống"), ("x" * 1024, "1023")])
def test_a_key_to_encrypt_with_a_passphrase_it_cannot_take_is_refused_not_written(
        tmp_path: Path, passphrase: str, said: str) -> None:
    key = tmp_path / "k.pem"
    for command in (("keys", "new", key, "--encrypt"), ("init", tmp_path / "ledger", "--root-key-out", key)):
        proc = run(*command, "--passphrase-env", "KEYPASS", env={"KEYPASS": passphrase}, check=2)
        assert "Lỗi (usage)" in proc.stderr and said in proc.stderr
        assert not key.exists()  # an empty passphrase once wrote the key in the clear, exit 0
    assert not (tmp_path / "ledger" / "ledger.json").exists()
