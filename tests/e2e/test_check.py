"""``dantin check``: each example's verdict reproduced exactly; exit codes; the Vietnamese table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
VERDICTS = sorted(EXAMPLES.glob("*.verdict.json"))


def run(*args: str | Path, code: int) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "cli", "check", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "COLUMNS": "200"}, timeout=120)
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    return proc


def test_there_are_at_least_eight_examples_each_with_its_verdict() -> None:
    dossiers = [p for p in EXAMPLES.glob("*.json") if not p.name.endswith(".verdict.json")]
    assert len(dossiers) >= 8
    for dossier in dossiers:
        assert dossier.with_suffix(".verdict.json").exists(), dossier.name


@pytest.mark.parametrize("expected", VERDICTS, ids=[p.name.removesuffix(".verdict.json") for p in VERDICTS])
def test_check_reproduces_each_example_verdict_exactly(expected: Path) -> None:
    verdict = json.loads(expected.read_text(encoding="utf-8"))
    name = expected.name.removesuffix(".verdict.json")
    as_recorded = name.endswith(".as-recorded")
    dossier = EXAMPLES / (name.removesuffix(".as-recorded") + ".json")
    args = ["check", str(dossier), "--as-of", verdict["as_of"], "--json", *(["--as-recorded"] if as_recorded else [])]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == verdict


def test_a_verdict_with_violations_still_exits_0_and_prints_a_vietnamese_table() -> None:
    proc = run(EXAMPLES / "02-bato-late-recognition.json", "--as-of", "2022-12-31", code=0)
    out = proc.stdout
    assert "Thôn Làng Rêu" in out and "Kết luận: có vi phạm" in out
    assert "Quy tắc" in out and "Kết quả" in out and "Chi tiết" in out
    assert "E-RECOGNISE" in out and "vi phạm" in out and "đạt" in out and "không áp dụng" in out
    assert "6 ngày làm việc sau ngày bầu cử 15/05/2022" in out
    assert "Trưởng thôn: Phạm Văn Nam (pham-van-nam)" in out


def test_the_table_names_waived_deviation_and_pending_in_vietnamese() -> None:
    out = run(EXAMPLES / "13-ducpho-waiver-and-committee-only.json", "--as-of", "2025-12-31", code=0).stdout
    assert "được miễn" in out and "lệch mô hình" in out and "trưởng thôn là chi ủy viên" in out
    out = run(EXAMPLES / "10-bato-rehearsal-before-election.json", "--as-of", "2022-05-01", code=0).stdout
    assert "chờ" in out and "chưa đủ hồ sơ" in out


@pytest.mark.parametrize(("content", "words"), [
    ("{not json", "JSON không hợp lệ"),
    ('{"dossier": 1, "village": {"id": "qng.bato.badien.lang-ma", "name": "Thôn Làng Mạ", "kind": "thon", '
     '"commune": "Xã Ba Điền", "district": "Huyện Ba Tơ", "province": "Quảng Ngãi"}, "people": [], '
     '"events": [{"id": "e1", "type": "election.guessed", "date": "2022-05-15", "by": "cell"}]}',
     "events[0].type"),
    ('{"dossier": 1, "village": {"id": "qng.bato.badien.lang-ma", "name": "Thôn Làng Mạ", "kind": "thon", '
     '"commune": "Xã Ba Điền", "district": "Huyện Ba Tơ", "province": "Quảng Ngãi"}, "people": [], '
     '"events": [{"id": "e1", "type": "personnel.nominated", "date": "2022-03-20", "by": "cell", "person": "p9"}]}',
     "chưa được khai báo"),
])
def test_a_file_that_is_not_a_dossier_exits_2_naming_the_problem(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    proc = run(path, code=2)
    assert "hồ sơ không hợp lệ" in proc.stderr and words in proc.stderr
    assert proc.stdout == ""


def test_a_count_that_is_not_a_whole_number_is_named_with_its_place(tmp_path: Path) -> None:
    dossier = json.loads((EXAMPLES / "01-bato-compliant.json").read_text(encoding="utf-8"))
    dossier["events"][7]["attending"] = 118.5
    path = tmp_path / "float.json"
    path.write_text(json.dumps(dossier, ensure_ascii=False), encoding="utf-8")
    proc = run(path, "--json", code=2)
    problems = json.loads(proc.stdout)["problems"]
    assert problems[0]["path"].startswith("events[7].attending") and problems[0]["event"] == "e8"


def test_usage_errors_exit_2_in_vietnamese(tmp_path: Path) -> None:
    assert "Không đọc/ghi được tệp" in run(tmp_path / "nowhere.json", code=2).stderr
    proc = run(EXAMPLES / "01-bato-compliant.json", "--as-of", "15/05/2022", code=2)
    assert "không phải một ngày dạng YYYY-MM-DD" in proc.stderr
