"""`dantin leadership / verdict / officeholders / rebuild` over a real ledger, as a person runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import Backend, World
from integration.test_views import enrol_village_bodies, story

from api.models import OfficeholderPublic

ROOT = Path(__file__).resolve().parents[2]


def dantin(backend: Backend, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    extra = ["--database", backend.database] if backend.database else []
    proc = subprocess.run([sys.executable, "-m", "cli", *args, *extra], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "COLUMNS": "200"}, timeout=300)
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    return proc


def test_read_commands(world: World, backend: Backend) -> None:
    enrol_village_bodies(world)
    world.accept(*story(world))
    backend.close()
    d = str(backend.directory)
    found = json.loads(dantin(backend, "leadership", d, world.lang_ma, "--as-of", "2022-08-01", "--json").stdout)
    assert found["offices"]["head"] == "p1" and found["offices"]["secretary"] == "p1"
    table = dantin(backend, "leadership", d, world.lang_ma, "--as-of", "2022-08-01").stdout
    assert "Trưởng thôn" in table and "Đinh Văn A (p1)" in table
    verdict = json.loads(dantin(backend, "verdict", d, world.lang_ma, "--json").stdout)
    assert verdict["village"] == world.lang_ma and verdict["leadership"]["head"] == "p3"
    assert {c["rule"] for c in verdict["checks"]} >= {"E-WINNER", "P-ORDER"}
    assert "Kết luận" in dantin(backend, "verdict", d, world.lang_ma).stdout
    rows = json.loads(dantin(backend, "officeholders", d, "qng.bato", "--office", "head", "--as-of", "2022-08-01",
                             "--json").stdout)
    assert [(r["village"], r["person"]) for r in rows] == [(world.lang_ma, "p1")]
    # The very items GET /v1/officeholders answers (since, acting as true/false), not the views' rows.
    assert rows == [OfficeholderPublic.model_validate(r).model_dump() for r in rows]
    assert rows[0]["since"] == "2022-05-18" and rows[0]["acting"] is False
    assert "vị trí" in dantin(backend, "rebuild", d).stdout
    unknown = dantin(backend, "verdict", d, "qng.bato.badien.khong-co", code=1)
    assert "Không có thôn" in unknown.stderr
    bad = dantin(backend, "leadership", d, world.lang_ma, "--as-of", "15/5/2022", code=2)
    assert "YYYY-MM-DD" in bad.stderr
