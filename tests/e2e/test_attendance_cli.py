"""`dantin attendance` and `dantin import FILE.jsonl` over a real ledger, as a person runs them."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Backend, World
from e2e.test_read_cli import dantin
from integration.test_attendance import M1, M2, jsonl, lines, story, write_keys


def test_attendance_command_output_and_exit_codes(world: World, backend: Backend) -> None:
    story(world)
    backend.close()
    d = str(backend.directory)
    found = json.loads(dantin(backend, "attendance", d, "--year", "2022", "--as-of", "2023-01-15", "--json").stdout)
    assert (found["year"], found["as_of"], found["ruleset"]) == (2022, "2023-01-15", "qng-attendance")
    [district] = [m for m in found["members"] if m["member"] == M1]
    assert set(district["rules"]) == {"A-FREQUENCY", "A-REPORT", "A-PLAN", "A-ROTATE"}
    assert {k: district["rules"]["A-FREQUENCY"][k] for k in ("required", "covered", "missed")} == \
        {"required": 4, "covered": 3, "missed": 1}
    assert {k: district["rules"]["A-REPORT"][k] for k in ("on_time", "late", "missing")} == \
        {"on_time": 1, "late": 1, "missing": 1}
    assert {c["rule"] for c in district["checks"]} == {"A-FREQUENCY", "A-REPORT", "A-PLAN", "A-ROTATE"}
    assert any(r["place"] == world.bato and r["level"] == "district" for r in found["rollups"])

    table = dantin(backend, "attendance", d, "--year", "2022", "--as-of", "2023-01-15").stdout
    for text in ("Theo từng người", "Đinh Văn Tơ (qng.bato.m001)", "Cấp huyện", "3/4 kỳ", "1 trễ", "1 thiếu",
                 "Tổng hợp theo địa bàn", "Huyện Ba Tơ (qng.bato)", "Vi phạm", "Quý II/2022", "có vi phạm"):
        assert text in table, text

    mid_year = json.loads(dantin(backend, "attendance", d, "--as-of", "2022-06-30", "--place", world.badien,
                                 "--json").stdout)
    assert mid_year["year"] == 2022 and [m["member"] for m in mid_year["members"]] == [M2]
    assert "Không có cấp ủy viên" in dantin(backend, "attendance", d, "--year", "2021").stdout

    assert "YYYY-MM-DD" in dantin(backend, "attendance", d, "--as-of", "15/1/2023", code=2).stderr
    assert "Cấp 'ward' không có" in dantin(backend, "attendance", d, "--level", "ward", code=2).stderr
    assert "Không có địa bàn" in dantin(backend, "attendance", d, "--place", "qng.bato.khong-co", code=1).stderr


def test_import_jsonl_command(world: World, backend: Backend, tmp_path: Path) -> None:
    keys = write_keys(world, tmp_path / "keys")
    path = jsonl(tmp_path / "attendance.jsonl", lines(world))
    backend.close()
    d = str(backend.directory)
    first = dantin(backend, "import", str(path), "--ledger", d, "--keys", str(keys))
    assert "6 đã ghi, 0 đã có trong sổ cái, 0 bị từ chối" in first.stdout
    again = json.loads(dantin(backend, "import", str(path), "--ledger", d, "--keys", str(keys), "--json").stdout)
    assert [(r["status"], r["present"]) for r in again] == [("ok", 6)]
    assert {e["status"] for e in again[0]["entries"]} == {"present"}

    bad = jsonl(tmp_path / "bad.jsonl", [{**lines(world)[2], "level": "ward"}])
    invalid = dantin(backend, "import", str(bad), "--ledger", d, "--keys", str(keys), code=2)
    assert "dòng 1, level" in invalid.stderr and "giá trị không hợp lệ" in invalid.stderr
    (keys / "qng.bato__standing.pem").unlink()
    refused = jsonl(tmp_path / "refused.jsonl", [{**lines(world)[1], "year": 2023}])
    assert "missing_key" in dantin(backend, "import", str(refused), "--ledger", d, "--keys", str(keys),
                                   code=1).stderr
    mixed = dantin(backend, "import", str(path), str(tmp_path / "x.json"), "--ledger", d, "--keys", str(keys),
                   code=2)
    assert "Không nhập lẫn" in mixed.stderr
