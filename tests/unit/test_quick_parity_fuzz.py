"""``dantin check``'s quick path and full path agree: concrete cases a differential fuzzer found.

Each case once made the two paths disagree (the quick one judged a file the models refuse), or
made ``dantin check`` fail with "Lỗi nội bộ". ``quick`` runs ``cli.quick.run_check`` (what
``dantin check`` runs first), ``full`` the Typer command (what runs when the quick path is not
sure, and what ``--json --json`` forces).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app
from cli.quick import run_check
from schemas.dossier import DossierError, load_dossier
from schemas.quick import quick_load

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "docs" / "examples" / "01-bato-compliant.json").read_text(encoding="utf-8"))


def _quick(path: Path, *args: str) -> tuple[int | None, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run_check([str(path), *args])
    return code, out.getvalue()


def _full(path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["check", str(path), *args])
    return result.exit_code, result.stdout


def _write(tmp_path: Path, doc: Any) -> tuple[Path, bytes]:
    raw = json.dumps(doc, ensure_ascii=True).encode()  # (a lone surrogate is written as its \u escape)
    path = tmp_path / "dossier.json"
    path.write_bytes(raw)
    return path, raw


def _lone_surrogates() -> list[dict[str, Any]]:
    note = copy.deepcopy(EXAMPLE)
    note["events"][0]["note"] = "a\ud800b"  # a free-text field the verdict does not show
    name = copy.deepcopy(EXAMPLE)
    name["village"]["name"] = "L\udc00ng"
    event_type = copy.deepcopy(EXAMPLE)
    event_type["events"][2]["type"] = "\udfff"  # echoed by the problem's message
    key = copy.deepcopy(EXAMPLE)
    key["events"][0]["\ud834"] = 1  # echoed by the problem's path
    return [note, name, event_type, key]


@pytest.mark.parametrize("index", range(4))
def test_a_lone_surrogate_escape_is_refused_alike_by_both_paths(tmp_path: Path, index: int) -> None:
    """``"\\ud800"`` alone decodes to no Unicode character: pydantic refused it ("unable to parse raw
    data as a unicode string") where the quick path took it and printed a verdict (exit 0), and a
    problem's message or path echoing it made ``--json`` fail with "Lỗi nội bộ (TypeError)" (orjson
    writes no surrogate)."""
    path, raw = _write(tmp_path, _lone_surrogates()[index])
    assert quick_load(raw) is None
    with pytest.raises(DossierError):
        load_dossier(raw)
    assert _quick(path, "--json", "--as-of", "2026-01-01") == (None, "")
    code, out = _full(path, "--json", "--as-of", "2026-01-01")
    assert code == 2, out
    assert json.loads(out)["error"] == "invalid_dossier"
    assert _full(path, "--as-of", "2026-01-01")[0] == 2


def test_a_surrogate_pair_escape_is_a_character_and_still_taken(tmp_path: Path) -> None:
    doc = copy.deepcopy(EXAMPLE)
    doc["events"][0]["note"] = "\U0001f600 \\ud800"  # written \ud83d\ude00, and a backslash then "ud800"
    path, raw = _write(tmp_path, doc)
    assert b"\\ud83d\\ude00" in raw
    assert quick_load(raw) is not None
    load_dossier(raw)
    quick = _quick(path, "--json", "--as-of", "2026-01-01")
    assert quick[0] == 0
    assert quick == _full(path, "--json", "--as-of", "2026-01-01")


def _nested(depth: int) -> bytes:
    """A valid dossier whose correction of a ledger event (facts not judged against a type) nests ``depth`` lists."""
    doc = copy.deepcopy(EXAMPLE)
    doc["events"].append({"id": "c1", "type": "correction.recorded", "date": "2022-06-01", "by": "cell",
                          "corrects": "a" * 64, "reason": "sai", "facts": {"x": "NESTED"}})
    return json.dumps(doc).replace('"NESTED"', "[" * depth + "]" * depth).encode()


def _under(frames: int, fn: Any, *args: Any) -> Any:
    """``fn(*args)`` called ``frames`` Python frames deeper (as the full command runs under click's)."""
    return fn(*args) if frames == 0 else _under(frames - 1, fn, *args)


def _loads(load: Any, raw: bytes) -> bool:
    try:
        return load(raw) is not None
    except DossierError:
        return False


@pytest.mark.parametrize("depth", [10, 28, 29, 200, 700, 900])
def test_how_deep_a_file_may_nest_does_not_depend_on_the_callers_stack(depth: int) -> None:
    """Nested 900 deep, the quick path (few frames) took the file and printed a verdict, and the full
    path (under click and Typer, some 30 frames deeper) refused it: "JSON lồng nhau quá sâu", exit 2.
    Python's recursion limit counts the caller's frames; the dossier's own limit does not."""
    raw = _nested(depth)
    said = {_loads(quick_load, raw), _loads(load_dossier, raw)}
    said |= {_under(300, _loads, quick_load, raw), _under(300, _loads, load_dossier, raw)}
    assert len(said) == 1
    assert said == {depth <= 28}  # 32 levels in all (a dossier needs 6)
    if depth > 28:
        with pytest.raises(DossierError, match="lồng nhau quá sâu"):
            load_dossier(raw)


def _run(*args: str, stdout: Any) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-m", "cli", "check", *args], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, cwd=ROOT, env={**os.environ, "COLUMNS": "100"}, timeout=120)
    return proc.returncode, proc.stderr


#: The same command on each path: the quick one, and the full one (a flag given twice, which only Typer reads).
PATHS = {"quick": ("--json",), "full": ("--json", "--json")}


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_a_full_disk_is_said_alike_by_both_paths() -> None:
    """Writing the verdict to a full disk: the quick path ended on a traceback (OSError: [Errno 28]),
    exit 1; the full path said "Lỗi (io): … đĩa đã đầy.", exit 2."""
    example = str(ROOT / "docs" / "examples" / "01-bato-compliant.json")
    said = {}
    for name, flags in PATHS.items():
        with open("/dev/full", "w") as full_disk:
            said[name] = _run(example, *flags, "--as-of", "2026-01-01", stdout=full_disk)
    assert said["quick"] == said["full"]
    code, stderr = said["quick"]
    assert code == 2
    assert "Traceback" not in stderr
    assert "Lỗi (io)" in stderr and "đĩa đã đầy" in stderr


@pytest.mark.parametrize("form", [(), ("--json",)])
def test_a_reader_gone_away_is_said_alike_by_both_paths(form: tuple[str, ...]) -> None:
    """Printing the verdict into a pipe whose reader has gone (`| head`, `| true`): the quick path
    exited 1 and said nothing, as click does; the full path said "Lỗi (io): … (errno 32)", exit 2."""
    example = str(ROOT / "docs" / "examples" / "01-bato-compliant.json")
    said = {}
    for name, flags in {"quick": form, "full": (*form, "--as-recorded", "--as-recorded")}.items():
        if name == "quick":
            flags = (*flags, "--as-recorded")
        read, write = os.pipe()
        os.close(read)
        try:
            said[name] = _run(example, *flags, "--as-of", "2026-01-01", stdout=write)
        finally:
            os.close(write)
    assert said["quick"] == said["full"] == (1, "")


@pytest.mark.skipif(not os.path.exists("/dev/stdin"), reason="no /dev/stdin")
@pytest.mark.parametrize("valid", [False, True])
def test_a_dossier_read_from_a_pipe_is_read_once(valid: bool) -> None:
    """`cat dossier.json | dantin check /dev/stdin`: the quick path read the pipe, found the dossier
    invalid and left it to the full path, which read the pipe again, empty, and said "thiếu một giá
    trị (tệp trống…)" at line 1, column 1 instead of what is wrong with the file."""
    doc = copy.deepcopy(EXAMPLE)
    if not valid:
        doc["events"][0]["person"] = "nobody"
    said = {}
    for name, flags in PATHS.items():
        proc = subprocess.run([sys.executable, "-m", "cli", "check", "/dev/stdin", *flags, "--as-of", "2026-01-01"],
                              input=json.dumps(doc).encode(), capture_output=True, cwd=ROOT, timeout=120)
        said[name] = proc.returncode, proc.stdout
    assert said["quick"] == said["full"]
    code, out = said["quick"]
    assert code == (0 if valid else 2)
    if not valid:
        assert json.loads(out)["problems"][0]["path"] == "events[0].person"


def test_an_integer_of_thousands_of_digits_is_refused_in_vietnamese(tmp_path: Path) -> None:
    """Python's own English ("Exceeds the limit (4300 digits) for integer string conversion…") was
    the message, after "JSON không được chứa"."""
    path = tmp_path / "dossier.json"
    path.write_text(json.dumps(EXAMPLE).replace('"dossier": 1', '"dossier": ' + "1" * 5000, 1), encoding="utf-8")
    assert _quick(path, "--json") == (None, "")
    code, out = _full(path, "--json")
    assert code == 2
    assert json.loads(out)["problems"] == [
        {"path": "(tệp)", "event": None, "message": "JSON có một số nguyên quá dài (hơn 4300 chữ số)"}]
