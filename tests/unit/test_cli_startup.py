"""`dantin check` starts fast: its quick path (cli/quick.py) loads no Typer, rich, pydantic, ledger
application, storage or API, and says exactly what the full command says.

Behavioural guards, not timings: each runs the real entry point (``cli.main:main``) in a fresh
process and looks at ``sys.modules`` afterwards; and the quick path is held byte-equal to the
full Typer application (cli/app.py) on stdout, stderr and exit code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
EX02 = str(EXAMPLES / "02-bato-late-recognition.json")
EX09 = str(EXAMPLES / "09-bato-corrected-count.json")
#: What the quick path must never import (package roots, and our heavy modules).
HEAVY_ROOTS = {"eventsourcing", "pydantic", "pydantic_core", "typer", "click", "rich", "cryptography", "fastapi",
               "starlette", "uvicorn", "sqlite3", "psycopg", "psycopg_pool", "holidays", "jinja2", "storage", "api",
               "projections"}
HEAVY_MODULES = {"cli.app", "cli.common", "cli.check", "ledger.application", "ledger.home", "ledger.envelope",
                 "ledger.authority", "ledger.signing", "schemas.dossier", "schemas.facts", "schemas.envelope"}
ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}

PROBE = """
import contextlib, io, json, sys
roots, modules = json.loads(sys.argv[2])
sys.argv = ["dantin", *json.loads(sys.argv[1])]
from cli.main import main
out = io.StringIO()
try:
    with contextlib.redirect_stdout(out):
        main()
    code = 0
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in roots or m in modules)
sys.__stdout__.write(json.dumps({"code": code, "out": out.getvalue(), "heavy": heavy}))
"""


def probe(*args: str) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args),
                           json.dumps([sorted(HEAVY_ROOTS), sorted(HEAVY_MODULES)])],
                          capture_output=True, text=True, cwd=ROOT, env=ENV, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_importing_the_entry_point_imports_nothing_heavy() -> None:
    code = ("import sys, json; import cli.main; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('cli', 'schemas', 'ledger')) "
            "or m.split('.')[0] in json.loads(sys.argv[1]))))")
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(sorted(HEAVY_ROOTS))], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == ["cli", "cli.main"]


@pytest.mark.parametrize("extra", [[], ["--json"], ["--as-recorded", "--json"]], ids=["table", "json", "recorded"])
def test_check_of_a_valid_dossier_imports_no_heavy_module(extra: list[str]) -> None:
    result = probe("check", EX09, "--as-of", "2026-01-01", *extra)
    assert result["code"] == 0
    assert result["heavy"] == [], "the quick path of `dantin check` regressed to importing heavy modules"
    if "--json" in extra:
        assert json.loads(str(result["out"]))["as_of"] == "2026-01-01"
    else:
        assert "Kết luận:" in str(result["out"]) and "Quy tắc" in str(result["out"])


def test_an_invalid_dossier_still_goes_to_the_full_command(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"dossier": 1, "village": {}, "people": [], "events": []}', encoding="utf-8")
    result = probe("check", str(bad))
    assert result["code"] == 2
    assert "schemas.dossier" in result["heavy"]  # the models named the problem


def _bad_dossier(tmp_path: Path) -> str:
    doc = json.loads(Path(EX02).read_text(encoding="utf-8"))
    doc["events"][7]["attending"] = "81"
    doc["people"][0]["born"] = "1980-02-30"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return str(path)


CASES = {
    "table": ["check", EX02, "--as-of", "2026-01-01"],
    "json": ["check", EX02, "--as-of", "2026-01-01", "--json"],
    "options-first": ["check", "--json", "--as-of=2022-12-31", "--as-recorded", EX09],
    "corrected-table": ["check", EX09, "--as-of", "2022-12-31", "--as-recorded"],
    "help": ["check", "--help"],
    "top-help": ["--help"],
    "no-file": ["check"],
    "bad-day": ["check", EX02, "--as-of", "15/05/2022"],
    "missing": ["check", "nowhere.json"],
    "twice": ["check", EX02, "--json", "--json"],
    "unknown-option": ["check", EX02, "--bogus"],
    "invalid": ["check", "BAD"],
    "invalid-json": ["check", "BAD", "--json"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_entry_point_says_what_the_full_application_says(name: str, tmp_path: Path) -> None:
    args = [_bad_dossier(tmp_path) if a == "BAD" else a for a in CASES[name]]
    runs = []
    for code in ("import sys; from cli.main import main; sys.argv[0] = 'dantin'; main()",
                 "import sys; from cli.app import app; sys.argv[0] = 'dantin'; app()"):
        proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT,
                              env=ENV, timeout=120)
        runs.append((proc.returncode, proc.stdout, proc.stderr))
    assert runs[0] == runs[1]
    assert "Traceback" not in runs[0][2]


def test_help_lists_every_command_with_its_help() -> None:
    from typer.main import get_command

    from cli.main import app

    group = get_command(app)
    proc = subprocess.run([sys.executable, "-m", "cli", "--help"], capture_output=True, text=True, cwd=ROOT,
                          env=ENV, timeout=60)
    assert proc.returncode == 0
    commands = group.commands  # type: ignore[attr-defined]
    assert {"check", "verify", "verdict", "import", "serve", "attendance", "keys"} <= set(commands)
    for name, command in commands.items():
        assert name in proc.stdout
        first = (command.help or command.short_help or "").strip().splitlines()[0]
        assert first[:30] in proc.stdout, name


def test_the_quick_spec_is_in_step_with_the_models() -> None:
    from schemas.quick_gen import main

    assert main(["--check"]) == 0, "run: python -m schemas.quick_gen"


def test_verify_warms_its_workers_forkserver_only_when_it_will_want_workers(tmp_path: Path) -> None:
    """``cli.main`` starts the forkserver for ``dantin verify DIR`` (beside its imports), not for
    ``--help``, ``--workers 1`` or a directory that is no ledger; option values are not taken
    for the directory."""
    from cli.main import _workers_wanted

    ledger = tmp_path / "ledger"
    ledger.mkdir()
    (ledger / "ledger.json").write_text("{}", encoding="utf-8")
    d = str(ledger)
    assert _workers_wanted([d]) and _workers_wanted(["--json", d]) and _workers_wanted([d, "--workers=2"])
    assert _workers_wanted(["--database", "postgresql://h/db", d]) and _workers_wanted(["--database=x", d])
    assert _workers_wanted(["--log-key", "dantin.qng/log+01+AAAA", "--root-key", "BBBB", d])
    assert not _workers_wanted([d, "--workers", "1"]) and not _workers_wanted([d, "--workers=0"])
    assert not _workers_wanted([d, "--workers", "many"])
    assert not _workers_wanted(["--help"]) and not _workers_wanted([d, "-h"])
    assert not _workers_wanted([str(tmp_path / "none")]) and not _workers_wanted([])
