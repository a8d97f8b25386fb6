"""``ledger.rules.engine``: one release, one engine digest, however it is installed; and a change to
what a verdict is computed by is another engine.

A bundle naming this release's engine with another verdict fails as edited (``verdict_mismatch``), so
the digest must cover every module whose change alters the verdict re-derived from the same events
(else a bundle of an earlier release, its rules since fixed, reads as a forgery), and must be the same
for every install of one release (a wheel, an editable checkout, line endings, stray files)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ledger.rules.engine import PARTS, digest_of, engine_digest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def release(tmp_path: Path) -> Path:
    """What git holds of the engine's parts, as a wheel ships it (its .py and .json files)."""
    files = subprocess.run(["git", "ls-files", "--", *PARTS], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    assert "ledger/village.py" in files and "ledger/rules/data/sets/party-2024.json" in files
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, tmp_path / name)
    return tmp_path


def test_the_same_release_is_the_same_engine_however_installed(release: Path) -> None:
    assert digest_of(release) == engine_digest()
    (release / "ledger/rules/verdict.py.orig").write_text("stray")  # an editor's or a merge's leftovers
    (release / "schemas/.DS_Store").write_bytes(b"\0")
    (release / "ledger/rules/__pycache__").mkdir()
    (release / "ledger/rules/__pycache__/verdict.cpython-311.pyc").write_bytes(b"\0")
    (release / "ledger/rules/data/notes.md").write_text("not shipped")
    assert digest_of(release) == engine_digest()
    for path in (release / "ledger/rules/verdict.py", release / "schemas/facts.py"):  # a CRLF checkout
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert digest_of(release) == engine_digest()


@pytest.mark.parametrize("part", ["ledger/village.py", "ledger/catalogue.py", "ledger/correction.py",
                                  "ledger/rules/verdict.py", "ledger/rules/data/sets/party-2024.json",
                                  "schemas/facts.py", "ledger/bundle.py"])
def test_what_a_verdict_is_computed_by_is_the_engine(release: Path, part: str) -> None:
    before = digest_of(release)
    with (release / part).open("ab") as f:
        f.write(b"\n")
    assert digest_of(release) != before
