"""Which rules engine derived a verdict: a digest of the code and data a village's verdict is computed by.

A verdict names its rule sets and a digest of their *data* (``ruleset_digest``, RULES.md §2); the
*code* that applies them changes too, with every release that fixes a rule's reading. A bundle
records this digest beside its verdict (``ledger.bundle``, format 3), so that a verifier of another
release can tell "made by another engine" (its verdict re-derived here, the difference named) from
"the verdict was edited" (the same engine, another verdict: a failure).

The digest must be the same for every install of one release (a wheel, an editable checkout, on
any system): it reads only what a release ships (``.py`` and ``.json`` files, as the wheel's
package data), each named by its path, in a fixed order, with line endings read as ``\\n`` (a
checkout with CRLF line endings is the same release). Anything else lying in the tree (a stray
backup, ``__pycache__``, an editor's file) is not part of the engine.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

#: The directory holding the ``ledger``, ``schemas`` and ``projections`` packages (a checkout or site-packages).
INSTALL_ROOT = Path(__file__).resolve().parents[2]
#: What a bundle's verdict depends on, under the directory holding ``ledger`` and ``schemas``: the
#: rules with their rule sets and calendars, the facts' models (which corrections fit), the merge of
#: corrections, how a village's entries become a record (``ledger.village``, with the person
#: references of ``ledger.catalogue``), and how a bundle's events become those entries.
PARTS = ("ledger/rules", "schemas", "ledger/correction.py", "ledger/village.py", "ledger/catalogue.py",
         "ledger/bundle.py")
_SHIPPED = (".py", ".json")


def digest_of(root: Path, parts: tuple[str, ...] = PARTS) -> str:
    """``sha256:`` and the hex SHA-256 over the shipped files of ``parts`` under ``root`` (each named): the
    code something is computed by (also the views', ``projections.views.judged_by_digest``)."""
    digest = hashlib.sha256()
    for part in parts:
        base = root / part
        files = [base] if base.is_file() else sorted(
            (p for p in base.rglob("*") if p.is_file() and p.suffix in _SHIPPED and "__pycache__" not in p.parts),
            key=lambda p: p.relative_to(base).as_posix())
        for path in files:
            digest.update(f"{path.relative_to(root).as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes().replace(b"\r\n", b"\n")).digest())
    return "sha256:" + digest.hexdigest()


@cache
def engine_digest() -> str:
    """This release's rules engine (``digest_of`` the installed ``ledger`` and ``schemas``)."""
    return digest_of(INSTALL_ROOT)
