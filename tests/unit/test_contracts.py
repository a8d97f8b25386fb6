"""The formats outside tools depend on (EVENTS.md, RULES.md) ship with the code, as the team's shared copy has them.

``docs/bundle.md`` and the independent bundle verifier (``docs/examples``) cite EVENTS.md, which lives in the
team's shared design space beside the checkout, not in a clone: an outside implementer had no way to read it
(found writing that verifier from the docs alone). ``docs/contracts`` holds byte-for-byte copies; this fails
when the shared copy changes until ``make contracts`` copies it again, so a release never ships a stale one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import VECTORS

SHARED = VECTORS.parent / "domain"
HERE = Path(__file__).resolve().parents[2] / "docs" / "contracts"


@pytest.mark.parametrize("name", ["EVENTS.md", "RULES.md"])
def test_the_published_contract_is_the_shared_one(name: str) -> None:
    shipped = HERE / name
    assert shipped.read_bytes() == (SHARED / name).read_bytes(), (
        f"docs/contracts/{name} differs from {SHARED / name}: run `make contracts`")
