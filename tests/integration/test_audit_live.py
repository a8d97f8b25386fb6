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
@pytest.mark.parametrize("when", ["after_the_rows", "as_the_leaves_are_read", "after_the_leaves"])
def test_events_committed_during_an_audit_are_no_finding(
    backend: Backend, world: World, monkeypatch: pytest.MonkeyPatch, workers: int, when: str
) -> None:
    """Each moment a batch can commit at, as the audit goes: after the fold read its last row
    (its leaves then read), just before the leaves are read (on PostgreSQL, in the log-read
    thread, while the fold may still be reading), after the leaves (the checkpoints read before
    them). Small pages, so that on PostgreSQL the log-read thread starts only at the last one."""
    _more(world, 10)
    world.ledger.publish_checkpoint()
    monkeypatch.setattr(audit_module, "PAGE", 4)
    published: list[int] = []

    def once() -> None:
        if not published:
            published.append(1)
            _publish_more(world, 0)

    if when == "after_the_rows":
        pages = audit_module._read_pages

        def then_more(*args: Any, **kwargs: Any) -> Any:
            yield from pages(*args, **kwargs)
            once()

        monkeypatch.setattr(audit_module, "_read_pages", then_more)
    else:
        leaves = audit_module._stored_leaves

        def around_the_leaves(*args: Any, **kwargs: Any) -> Any:
            if when == "as_the_leaves_are_read":
                once()
            found = leaves(*args, **kwargs)
            if when == "after_the_leaves":
                once()
            return found

        monkeypatch.setattr(audit_module, "_stored_leaves", around_the_leaves)
    rows_before = world.ledger.recorder.max_notification_id()
    report = _audit(backend, world, workers=workers)
    assert report.intact, [f.to_dict() for f in report.findings]
    late = world.ledger.recorder.max_notification_id() - rows_before
    assert published and late == 5
    if when == "as_the_leaves_are_read":  # the leaves read seal the late rows: read again, they were checked
        assert report.entries == report.sealed == rows_before + late and report.unsealed == 0
    if when == "after_the_leaves":  # not sealed by the leaves read; read or not, not reported
        assert report.sealed == rows_before and report.entries - report.sealed == report.unsealed
    # And the ledger, audited again once still, is whole, every row sealed.
    monkeypatch.undo()
    again = _audit(backend, world, workers=workers)
    assert again.intact and again.entries == rows_before + late == again.sealed and again.unsealed == 0


def test_a_ledger_written_without_end_is_read_up_to_its_last_leaf(
    backend: Backend, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows read are those there were as the audit began, then those the leaves read after
    may seal, no more: an audit of a ledger written faster than it is checked still ends."""
    _more(world, 10)
    monkeypatch.setattr(audit_module, "PAGE", 4)
    select = world.ledger.recorder.select_log_rows  # type: ignore[attr-defined]
    reads: list[int] = []

    def noting(start: int, limit: int) -> Any:
        reads.append(start)
        if len(reads) < 100:  # a new batch for every page read (and a bound, should the audit chase them)
            _publish_more(world, 100 * len(reads))
        return select(start, limit)

    world.ledger.recorder.select_log_rows = noting  # type: ignore[attr-defined]
    try:
        report = _audit(backend, world, workers=1)
    finally:
        del world.ledger.recorder.select_log_rows  # type: ignore[attr-defined]
    assert report.intact, [f.to_dict() for f in report.findings]
    assert len(reads) < 60  # it stopped; every page read brought five more rows
    assert report.entries > 37 and report.unsealed == 0
