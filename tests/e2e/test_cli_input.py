"""Bad input a clerk or an inspector can type, answered as the rules say: in Vietnamese, with a
stable code and exit code (2 usage or input, 1 a finding or refusal), never a traceback, and
nothing lost or half-written. Each case here was once answered otherwise (a review's sweep)."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from conftest import PG_ADMIN_URL, _require_postgres
from test_cli import DANTIN, ROOT, run

from ledger import home
from ledger.home import HomeError
from ledger.signing import SigningKey

CELL_KEY = "qng.bato.badien.lang-ma__cell.pem"


def said(proc: subprocess.CompletedProcess[str]) -> str:
    """What the command said, as one line (rich wraps long lines)."""
    return " ".join((proc.stderr + proc.stdout).split())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo") / "ledger"
    run("demo", directory)
    return directory


# -- init never leaves a ledger without its root key, nor overwrites a key ----------------------


def test_init_never_overwrites_a_key_file(tmp_path: Path) -> None:
    key = tmp_path / "root.pem"
    key.write_bytes(b"the only copy of another key")
    proc = run("init", tmp_path / "ledger", "--root-key-out", key, check=2)
    assert "đã tồn tại" in said(proc)
    assert key.read_bytes() == b"the only copy of another key"
    assert not (tmp_path / "ledger" / "ledger.json").exists()


@pytest.mark.parametrize("problem", ["a folder where the key goes", "a passphrase variable not set"])
def test_init_that_cannot_write_the_root_key_makes_no_ledger(tmp_path: Path, problem: str) -> None:
    if problem == "a folder where the key goes":
        (tmp_path / "here").mkdir()
        args: list[str | Path] = ["--root-key-out", tmp_path / "here"]
    else:
        args = ["--passphrase-env", "DANTIN_TEST_UNSET"]
    run("init", tmp_path / "ledger", *args, check=2)
    assert not (tmp_path / "ledger" / "ledger.json").exists()  # so `init` can be run again, rightly
    run("init", tmp_path / "ledger")


@pytest.mark.parametrize("command", [("keys", "new", "{key}"), ("init", "{tmp}/ledger", "--root-key-out", "{key}")])
def test_a_key_that_cannot_be_written_whole_leaves_no_file_to_refuse_next_time(
        tmp_path: Path, command: tuple[str, ...]) -> None:
    key = tmp_path / "k.pem"
    argv = [a.format(key=key, tmp=tmp_path) for a in command]
    proc = subprocess.run([*DANTIN, *argv], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          preexec_fn=lambda: _with_file_size_limit(64))  # (a PEM key is 119 bytes)
    assert proc.returncode == 2 and "Lỗi (io)" in proc.stderr and str(key) in proc.stderr, proc.stderr
    assert not key.exists()  # once 64 bytes of it: no key, and "đã tồn tại" at the next try
    run(*argv)


# -- what a person types is shown as typed ------------------------------------------------------


@pytest.mark.parametrize(("args", "code", "exit_code"), [
    (("verdict", "{demo}", "[/x]"), "unknown_place", 1),
    (("officeholders", "{demo}", "--office", "[/]"), "usage", 2),
    (("verdict", "{demo}", "qng.bato.badien.lang-ma", "--as-of", "[/]"), "usage", 2),
    (("stats", "{tmp}/sổ cái [bản sao] 2"), "ledger_dir", 2),
])
def test_brackets_in_what_is_typed_are_shown_as_typed(
        demo: Path, tmp_path: Path, args: tuple[str, ...], code: str, exit_code: int) -> None:
    argv = [a.format(demo=demo, tmp=tmp_path) for a in args]
    proc = run(*argv, check=exit_code)
    assert f"Lỗi ({code})" in said(proc)
    assert argv[-1] in said(proc)  # rich read it as markup: dropped, or a crash


def test_the_name_of_a_dossier_not_valid_is_shown_as_typed(tmp_path: Path) -> None:
    dossier = tmp_path / "hồ sơ [bản sao].json"
    dossier.write_text("{}")
    proc = run("check", dossier, check=2)
    assert "Lỗi (invalid_dossier)" in said(proc)
    assert str(dossier) in said(proc)  # rich read "[bản sao]" as a style and dropped it


@pytest.mark.parametrize("args", [
    ("check", "docs/examples/01-bato-compliant.json"), ("check", "docs/examples/01-bato-compliant.json", "--json"),
    ("stats", "{demo}", "--json"), ("verdict", "{demo}", "qng.bato.badien.lang-ma", "--json"),
])
def test_a_closed_standard_output_is_no_crash(demo: Path, args: tuple[str, ...]) -> None:
    argv = [a.format(demo=demo) for a in args]
    proc = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *DANTIN, *argv], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert "Traceback" not in proc.stderr and "internal" not in proc.stderr, proc.stderr  # as `stats` without --json
    assert proc.returncode == 0, proc.stderr


def _with_file_size_limit(limit: int) -> None:  # (in the child: a disk that fills up after `limit` bytes)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past it fails (EFBIG) instead of killing


@pytest.mark.parametrize("command", [
    ("bundle", "{demo}", "qng.bato.badien.lang-ma", "-o", "{out}"),
    ("sign", "{event}", "--key", f"{{demo}}/keys/{CELL_KEY}", "--body", "qng.bato.badien.lang-ma/cell", "-o", "{out}"),
])
def test_an_output_file_that_cannot_be_written_whole_is_left_as_it_was(
        demo: Path, tmp_path: Path, command: tuple[str, ...]) -> None:
    out = tmp_path / "out.json"
    out.write_bytes(b"the earlier output")
    event = tmp_path / "events.jsonl"
    event.write_text("\n".join(json.dumps({"type": "personnel.nominated", "place": "qng.bato.badien.lang-ma",
                                           "date": "2026-01-05", "facts": {"person": f"p-{i}"}})
                               for i in range(200)))
    argv = [a.format(demo=demo, out=out, event=event) for a in command]
    proc = subprocess.run([*DANTIN, *argv], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          preexec_fn=lambda: _with_file_size_limit(65536))
    assert proc.returncode == 2 and "Lỗi (io)" in proc.stderr and str(out) in proc.stderr, proc.stderr
    assert out.read_bytes() == b"the earlier output"  # not the first 64 KiB of the new one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.jsonl", "out.json"]  # nothing left beside it


# -- a database that holds no ledger --------------------------------------------------------------


def _ledger_over(directory: Path, sqlite_file: Path | None = None, database: str | None = None) -> Path:
    """A ledger folder (its settings and log key) over a database that holds no ledger."""
    home.init(directory / "real", root_key=SigningKey.generate()).close()
    folder = directory / "copy"
    folder.mkdir()
    for name in ("ledger.json", "log-key.pem"):
        (folder / name).write_bytes((directory / "real" / name).read_bytes())
    if sqlite_file is not None:
        db = sqlite3.connect(folder / "ledger.sqlite")
        db.execute("CREATE TABLE notes (x)")
        db.commit()
        db.close()
    if database is not None:
        settings = json.loads((folder / "ledger.json").read_text())
        (folder / "ledger.json").write_text(json.dumps(settings | {"database": database}))
    return folder


def _tables(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    finally:
        db.close()


@pytest.mark.parametrize("command", [("verify",), ("stats",), ("leadership", "qng.bato.badien.lang-ma")])
def test_a_sqlite_file_that_holds_no_ledger_is_said_so_and_left_alone(tmp_path: Path, command: tuple[str, ...]) -> None:
    folder = _ledger_over(tmp_path, sqlite_file=tmp_path / "copy" / "ledger.sqlite")
    proc = run(command[0], folder, *command[1:], check=2)
    assert "Lỗi (ledger_dir)" in said(proc) and "không chứa sổ cái nào" in said(proc)
    assert _tables(folder / "ledger.sqlite") == ["notes"]  # no table of a ledger made in it


@pytest.fixture
def empty_schema() -> Iterator[str]:
    _require_postgres()
    schema = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.mark.postgres
@pytest.mark.parametrize("read_only", [True, False])
def test_a_postgresql_schema_that_holds_no_ledger_is_refused_and_left_alone(
        tmp_path: Path, empty_schema: str, read_only: bool) -> None:
    """A mistyped ``--database``: refused before anything is written there (once, such a
    database got an empty ledger's tables, and ``verify`` called it intact)."""
    folder = _ledger_over(tmp_path)
    with pytest.raises(HomeError, match="không chứa sổ cái nào"):
        home.open_ledger(folder, f"{PG_ADMIN_URL}?schema={empty_schema}", read_only=read_only)
    with psycopg.connect(PG_ADMIN_URL) as conn:
        tables = conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = %s",
                              (empty_schema,)).fetchone()
    assert tables == (0,)


def test_a_file_that_is_not_a_database_is_damage_not_an_internal_error(demo: Path, tmp_path: Path) -> None:
    folder = _ledger_over(tmp_path)
    (folder / "ledger.sqlite").write_bytes(os.urandom(64 * 1024))
    proc = run("stats", folder, check=1)
    assert "Lỗi (store_damaged)" in said(proc)
    assert "Lỗi (store_damaged)" in said(run("serve", folder, "--port", "0", check=1))  # not a log's traceback
    assert run("verify", folder, check=1).returncode == 1  # and verify reports it as findings


def test_settings_of_the_wrong_type_are_a_broken_ledger_folder(tmp_path: Path) -> None:
    folder = _ledger_over(tmp_path)
    settings = json.loads((folder / "ledger.json").read_text())
    (folder / "ledger.json").write_text(json.dumps(settings | {"database": 42}))
    assert "Lỗi (ledger_dir)" in said(run("stats", folder, check=2))


# -- input of the wrong shape or size -------------------------------------------------------------


@pytest.mark.parametrize(("content", "fragment"), [
    ("[1, 2]", "phải là một đối tượng JSON"),
    ('{"type": "person.profiled", "place": "qng.bato", "date": "2022-13-40", "facts": {}}',
     "ngày không có thật trong lịch"),
    ("[]", "không có mục nào"),
    ("", "không có mục nào"),
])
def test_an_event_to_sign_of_the_wrong_shape_is_said_where(
        demo: Path, tmp_path: Path, content: str, fragment: str) -> None:
    event = tmp_path / "event.json"
    event.write_text(content)
    proc = run("sign", event, "--key", demo / "keys" / CELL_KEY, "--body", "qng.bato.badien.lang-ma/cell", check=2)
    assert fragment in said(proc) and "internal" not in said(proc)


def test_an_enrolment_refused_is_a_finding_as_a_submission_is(demo: Path) -> None:
    cell_key = demo / "keys" / CELL_KEY
    public = SigningKey.generate().public.b64
    proc = run("enroll", demo, "--key", cell_key, "--parent", "qng.bato.badien.lang-ma/cell",
               "--id", "qng.bato.badien.lang-ma/x", "--kind", "cell", "--name", "Chi bộ X",
               "--jurisdiction", "qng.bato.badien.lang-ma", "--public", public, "--date", "2022-03-01", check=1)
    assert "Lỗi (kind_not_allowed)" in said(proc)


@pytest.mark.parametrize(("args", "fragment"), [
    (("verify", "{demo}", "--workers", "100000"), "1<=x<=256"),
    (("officeholders", "{demo}", "--limit", "99999999999999999999"), "1<=x<=1000000"),
    (("proof", "{demo}", "--consistency", "99999999999999999999", "3"), "cỡ cây phải từ 0"),
    (("serve", "{demo}", "--log-level", "loud"), "--log-level 'loud' không có"),
    (("fetch", "http://[::1"), "không hợp lệ"),
    # --as-of is YYYY-MM-DD, as every message says: not Python's other ISO forms, nor a day there is not.
    (("verdict", "{demo}", "qng.bato.badien.lang-ma", "--as-of", "20220101"), "không phải một ngày dạng YYYY-MM-DD"),
    (("leadership", "{demo}", "qng.bato.badien.lang-ma", "--as-of", "2022-W01-1"), "dạng YYYY-MM-DD"),
    (("officeholders", "{demo}", "--as-of", "2022-02-30"), "không phải một ngày có thật"),
    (("attendance", "{demo}", "--as-of", "20221231"), "dạng YYYY-MM-DD"),
    (("check", "docs/examples/01-bato-compliant.json", "--as-of", "20220101"), "dạng YYYY-MM-DD"),
    (("stats", "{demo}", "--database", "postgresql://postgres@127.0.0.1:abc/test"), "không hợp lệ"),
])
def test_a_value_out_of_bounds_is_a_usage_error(demo: Path, args: tuple[str, ...], fragment: str) -> None:
    proc = run(*[a.format(demo=demo) for a in args], check=2)
    assert fragment in said(proc), said(proc)


def test_a_place_there_is_not_is_said_so_not_an_empty_table(demo: Path) -> None:
    proc = run("officeholders", demo, "qng.nowhere", check=1)
    assert "Lỗi (unknown_place)" in said(proc)


def test_a_port_in_use_is_said_before_the_server_starts(demo: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run("serve", demo, "--port", str(port), check=2)
    assert "Lỗi (io)" in said(proc) and "đang được một chương trình khác dùng" in said(proc)


@pytest.mark.parametrize("url", ["127.0.0.1:8100", "notaurl", "ftp://witness.example/", "http://[::1"])
def test_a_witness_address_that_is_no_url_is_said_before_the_server_starts(demo: Path, url: str) -> None:
    try:  # (it once started, and retried the typo in its log for ever: no checkpoint ever pushed)
        proc = subprocess.run([*DANTIN, "serve", str(demo), "--port", "0", "--witness", url], capture_output=True,
                              text=True, cwd=ROOT, env={**os.environ, "COLUMNS": "200"}, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the server started with --witness {url}")
    assert proc.returncode == 2 and "Lỗi (usage)" in said(proc) and url in said(proc), said(proc)


def test_a_broken_witness_state_is_said_in_vietnamese(demo: Path, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text("{not json")
    key = next((demo / "keys").glob("*inspection*.pem"))
    proc = run("witness", "cosign", demo, "--key", key, "--state", state, check=2)
    assert "không phải JSON hợp lệ" in said(proc) and "JSONDecodeError" not in said(proc)


def _wipe(folder: Path, *tables: str) -> None:
    db = sqlite3.connect(folder / "ledger.sqlite")
    for table in tables:
        db.execute(f"DELETE FROM {table}")
    db.commit()
    db.close()


def test_a_ledger_wiped_of_its_rows_is_a_finding_not_a_wrong_database(tmp_path: Path) -> None:
    folder = tmp_path / "ledger"
    home.init(folder, root_key=SigningKey.generate()).close()
    (events,) = [t for t in _tables(folder / "ledger.sqlite") if t.endswith("events")]
    _wipe(folder, events, "dantin_leaves")  # the signed checkpoints remain: they say what was there
    assert "checkpoint_mismatch" in said(run("verify", folder, check=1))
    _wipe(folder, "dantin_checkpoints")  # nothing left at all: still not an intact ledger
    proc = run("verify", folder, check=1)
    assert "empty_ledger" in said(proc) and "Nguyên vẹn" not in said(proc)
    assert "Lỗi (ledger_dir)" in said(run("leadership", folder, "qng.x", check=2))  # nothing written to it


def test_brackets_in_stored_rows_and_refusals_are_shown_as_stored(demo: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(demo, copy)
    (events,) = [t for t in _tables(copy / "ledger.sqlite") if t.endswith("events")]
    db = sqlite3.connect(copy / "ledger.sqlite")
    db.execute(f"UPDATE {events} SET originator_id = '[/]' WHERE rowid = 5")
    db.commit()
    db.close()
    proc = run("verify", copy, check=1)  # a finding, named as stored: not an internal error
    assert "'[/]'" in said(proc)
    envelope = tmp_path / "envelope.json"
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"type": "person.profiled", "place": "qng.bato.badien.lang-ma", "date": "2022-03-01",
                                 "facts": {"person": "p-x", "name": "A [/] B", "born": "1975-02-01"}}))
    front = demo / "keys" / "qng.bato.badien.lang-ma__village_front.pem"
    run("sign", event, "--key", front, "--body", "qng.bato.badien.lang-ma/village_front", "-o", envelope)
    assert "Lỗi (internal)" not in said(run("submit", demo, envelope, check=1))


def test_which_event_of_a_file_is_malformed_is_said(demo: Path, tmp_path: Path) -> None:
    events = tmp_path / "events.json"
    good = {"type": "person.profiled", "place": "qng.bato.badien.lang-ma", "date": "2022-03-01",
            "facts": {"person": "p-y", "name": "Đinh Văn Y", "born": "1975-02-01"}}
    events.write_text(json.dumps([good, good | {"date": "2022-13-40"}]))
    proc = run("sign", events, "--key", demo / "keys" / CELL_KEY, "--body", "qng.bato.badien.lang-ma/cell", check=2)
    assert "tại [1].date" in said(proc)


@pytest.mark.parametrize("args", [("--index", "3"), ("--consistency", "2", "7")])
def test_a_proof_in_plain_text_names_its_fields_in_vietnamese(demo: Path, args: tuple[str, ...]) -> None:
    fields = json.loads(run("proof", demo, *args, "--json").stdout)
    plain = run("proof", demo, *args).stdout
    for field in fields:  # each with its JSON name beside, as docs and tools call it
        line = next(line for line in plain.splitlines() if line.endswith(f"({field}):") or f"({field}): " in line)
        assert not line.startswith(f"{field}:"), line  # (the bare name, as it once was)


def test_a_terminal_that_cannot_show_vietnamese_gets_no_traceback(demo: Path) -> None:
    proc = run("verdict", demo, "qng.nowhere", check=1, env={"PYTHONIOENCODING": "ascii"})
    assert "(unknown_place)" in proc.stderr  # its letters replaced, the code intact
    dossier = next((Path(__file__).parents[1] / "data").glob("*.json"))
    assert run("check", dossier, env={"PYTHONIOENCODING": "ascii"}).stdout


def test_synth_says_its_figures_as_vietnamese_write_them(tmp_path: Path) -> None:
    proc = run("synth", tmp_path / "province", "--villages", "3")
    line = said(proc)
    assert " giây" in line and not any(f"{d}.{e} giây" in line for d in "0123456789" for e in "0123456789")
    assert "giây" in line.split("tổng cộng ")[1] and "," in line.split("tổng cộng ")[1]  # 0,3 giây, not 0.3


def test_ctrl_c_is_said_and_exits_130(tmp_path: Path) -> None:
    """A command interrupted while it waits (here ``fetch`` on a server that never answers) says
    it was cancelled and exits 128 + SIGINT, as a shell expects; no traceback."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        proc = subprocess.Popen([*DANTIN, "fetch", f"http://127.0.0.1:{port}/v1/villages", "--timeout", "60"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "COLUMNS": "200"})
        try:
            conn, _ = server.accept()  # the request is sent: the command waits for an answer
            with conn:
                proc.send_signal(signal.SIGINT)
                _out, said = proc.communicate(timeout=30)
        finally:
            proc.kill()
    assert proc.returncode == 130
    assert "Đã hủy." in said and "Traceback" not in said
