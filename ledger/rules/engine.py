"""Which rules engine derived a verdict: a digest of the code and data a village's verdict is computed by.

A verdict names its rule sets and a digest of their *data* (``ruleset_digest``, RULES.md §2); the
*code* that applies them changes too, with every release that fixes a rule's reading. A bundle
records this digest beside its verdict (``ledger.bundle``, format 3), so that a verifier of another
release can tell "made by another engine" (its verdict re-derived here, the difference named) from
"the verdict was edited" (the same engine, another verdict: a failure).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

_LEDGER = Path(__file__).resolve().parents[1]
#: What a bundle's verdict depends on: the rules with their rule sets and calendars, the facts' models
#: (which corrections fit), the merge of corrections, and how a bundle's events become a record.
_PARTS = (_LEDGER / "rules", _LEDGER.parent / "schemas", _LEDGER / "correction.py", _LEDGER / "bundle.py")


@cache
def engine_digest() -> str:
    """``sha256:`` and the hex SHA-256 over the files of ``_PARTS`` (each named, in order)."""
    digest = hashlib.sha256()
    for part in _PARTS:
        files = [part] if part.is_file() else sorted(
            p for p in part.rglob("*") if p.is_file() and "__pycache__" not in p.parts
            and p.suffix not in (".pyc", ".pyo"))
        for path in files:
            name = path.name if part.is_file() else f"{part.name}/{path.relative_to(part).as_posix()}"
            digest.update(f"{name}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return "sha256:" + digest.hexdigest()
