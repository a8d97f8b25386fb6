"""The README's two commands exist and `make demo` does what the README says."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_screen = "\n".join(readme.splitlines()[:25])
    assert "make demo" in first_screen and "make test" in first_screen
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_make_demo_builds_and_verifies_the_demo(tmp_path: Path) -> None:
    proc = subprocess.run(["make", "demo", f"DEMO_DIR={tmp_path / 'demo'}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "Nguyên vẹn" in proc.stdout and "body.enrolled" in proc.stdout
