"""``dantin copy`` and ``dantin verify --log-key`` from the command line, as an inspector uses them:
copy a ledger (SQLite or PostgreSQL), then check the copy against the log key as published."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Backend, World
from test_cli import run

from ledger import home
from ledger.note import NoteSigner
from ledger.signing import SigningKey


def _db(backend: Backend) -> list[str]:
    return ["--database", backend.database] if backend.database else []


def test_an_inspector_copies_a_ledger_and_checks_it_against_the_published_log_key(
        world: World, backend: Backend, tmp_path: Path) -> None:
    world.ledger.publish_checkpoint()
    vkey = run("log-key", backend.directory).stdout.strip()
    copy = tmp_path / "ban-sao"

    made = run("copy", backend.directory, copy, *_db(backend))

    assert f"dantin verify {copy} --log-key '{vkey}'" in made.stdout
    assert "Không có khóa riêng của nhật ký" in made.stdout
    assert not (copy / home.LOG_KEY).exists()
    assert run("log-key", copy).stdout.strip() == vkey
    root = world.keys[world.root].public.b64
    checked = run("verify", copy, "--log-key", vkey, "--root-key", root)
    assert "Nguyên vẹn" in checked.stdout and "log-key.pub" not in checked.stderr
    assert "root_key_mismatch" in run("verify", copy, "--root-key", SigningKey.generate().public.b64,
                                      check=1).stderr
    # Without --log-key the copy's own public key is used, and the command says so.
    assert "log-key.pub" in run("verify", copy).stderr
    assert json.loads(run("verify", copy, "--json").stdout)["log_key_from"] == "log-key.pub"
    assert json.loads(run("verify", copy, "--json", "--log-key", vkey).stdout)["log_key_from"] == "--log-key"
    stranger = NoteSigner.generate("dantin.qng/log").verifier().vkey()
    assert "bad_checkpoint" in run("verify", copy, "--log-key", stranger, check=1).stderr
    assert "Lỗi (copy)" in run("copy", backend.directory, copy, *_db(backend), check=2).stderr
    refused = run("bundle", copy, world.lang_ma, "-o", tmp_path / "b.json", check=2)
    assert "Lỗi (ledger_dir)" in refused.stderr and "khóa riêng của nhật ký" in refused.stderr
    assert not (tmp_path / "b.json").exists()


def test_verify_asks_for_the_log_key_when_the_folder_has_none(world: World, backend: Backend, tmp_path: Path) -> None:
    vkey = run("log-key", backend.directory).stdout.strip()
    copy = tmp_path / "ban-sao"
    run("copy", backend.directory, copy, *_db(backend))
    (copy / home.LOG_PUBLIC).unlink()

    asked = run("verify", copy, check=2)

    assert "Lỗi (ledger_dir)" in asked.stderr and "--log-key" in asked.stderr
    assert "Nguyên vẹn" in run("verify", copy, "--log-key", vkey).stdout
