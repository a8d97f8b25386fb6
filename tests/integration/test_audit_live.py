"""``dantin verify`` on a ledger that is being written: what is added meanwhile is no damage.

A server keeps accepting events while an inspector verifies the same database. Rows, their
leaves and any checkpoint commit together, in log order; an audit that read the rows before
a later batch committed must not then read that batch's leaves (or its checkpoint) and call
their rows deleted, or the log shortened.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Backend, World
from test_audit_schedule import _more

import ledger.audit as audit_module
from ledger import home


def _audit(backend: Backend, world: World, **kwargs: Any) -> audit_module.AuditReport:
    ledger = world.ledger
    assert ledger.sealer is not None
    return audit_module.audit(ledger.recorder, seal=ledger.sealer.store,
                              log=home.log_verifier(backend.directory), **kwargs)


def _publish_more(world: World, start: int) -> None:
    """A batch accepted meanwhile, and a checkpoint published of it (as a busy server's would be)."""
    for i in range(start, start + 5):
        world.accept(world.sign(world.cell, "person.profiled", world.lang_ma,
                                {"person": f"late{i}", "name": f"Đinh Văn {i}", "born": "1981-03-04"}))
    world.ledger.publish_checkpoint()


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("when", ["after_the_rows", "after_the_leaves"])
def test_events_committed_during_an_audit_are_no_finding(
    backend: Backend, world: World, monkeypatch: pytest.MonkeyPatch, workers: int, when: str
) -> None:
    _more(world, 10)
    world.ledger.publish_checkpoint()
    batches = iter(range(1000))
    if when == "after_the_rows":  # the fold has read its last row; the leaves are read next
        pages = audit_module._read_pages

        def then_more(*args: Any, **kwargs: Any) -> Any:
            yield from pages(*args, **kwargs)
            if next(batches) == 0:  # the first time only
                _publish_more(world, 0)

        monkeypatch.setattr(audit_module, "_read_pages", then_more)
    else:  # the leaves are read; the checkpoints next
        leaves = audit_module._stored_leaves

        def then_more_leaves(*args: Any, **kwargs: Any) -> Any:
            found = leaves(*args, **kwargs)
            _publish_more(world, 0)
            return found

        monkeypatch.setattr(audit_module, "_stored_leaves", then_more_leaves)
    rows_before = world.ledger.recorder.max_notification_id()
    report = _audit(backend, world, workers=workers)
    assert report.intact, [f.to_dict() for f in report.findings]
    late = world.ledger.recorder.max_notification_id() - rows_before
    assert late == 5
    if when == "after_the_leaves":  # the late rows were read too, after the leaves: not yet checked against them
        assert report.entries == rows_before + late and report.unsealed == late
    # And the ledger, audited again once still, is whole, every row sealed.
    monkeypatch.undo()
    again = _audit(backend, world, workers=workers)
    assert again.intact and again.entries == rows_before + late == again.sealed and again.unsealed == 0
