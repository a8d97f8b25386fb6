"""How ``dantin verify`` hands signatures to its workers, and what it leaves behind.

The reports themselves are held equal to a reference in ``test_audit_reference.py``; here,
the schedule that keeps both cores busy (first chunks small and growing, the last rows in
small chunks), a caller's worker pool (``dantin verify`` starts it before it opens the
ledger), and the thread that reads PostgreSQL pages ahead.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from conftest import Backend, World
from test_tamper import _grow

import ledger.audit as audit_module
from ledger import home
from ledger.sigpool import SigPool


def _more(world: World, count: int = 30) -> None:
    """Rows enough for a schedule to show: ``count`` more people profiled by the cell."""
    _grow(world)
    for i in range(count):
        world.accept(world.sign(world.cell, "person.profiled", world.lang_ma,
                                {"person": f"q{i}", "name": f"Đinh Thị {i}", "born": "1980-03-04"}))


def _audit(backend: Backend, world: World, **kwargs: Any) -> audit_module.AuditReport:
    ledger = world.ledger
    assert ledger.sealer is not None
    return audit_module.audit(ledger.recorder, seal=ledger.sealer.store,
                              log=home.log_verifier(backend.directory), **kwargs)


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_module, "PAGE", 4)


def test_chunks_grow_from_the_ramp_and_shrink_for_the_last_rows(
    backend: Backend, world: World, small_pages: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first chunk is ``RAMP`` signatures and each next one twice as big, up to ``chunk``;
    the rows of the last ``TAIL_ROWS`` ids go in chunks of ``TAIL_CHUNK``; every signature is
    handed over once."""
    _more(world)
    monkeypatch.setattr(audit_module, "RAMP", 1)
    monkeypatch.setattr(audit_module, "TAIL_CHUNK", 1)
    last_id = world.ledger.recorder.max_notification_id()
    assert last_id is not None and last_id > 40
    monkeypatch.setattr(audit_module, "TAIL_ROWS", 15)
    sizes: list[int] = []
    send = SigPool.send

    def recording(self: SigPool, items: Any) -> int:
        sizes.append(len(items))
        return send(self, items)

    monkeypatch.setattr(SigPool, "send", recording)
    report = _audit(backend, world, workers=2, chunk=8)
    assert report.intact and report.entries == sum(sizes)  # each row's signature sent once
    assert sizes[:4] == [1, 2, 4, 8]
    assert max(sizes) == 8
    # The rows of the last 15 ids (16 with the one the count starts from), in chunks of one; the
    # switch comes at the first hand-over past them, so up to a chunk of them may go before it.
    ones = len(sizes) - next(i for i in range(len(sizes) - 1, -1, -1) if sizes[i] != 1) - 1
    assert 15 - 8 <= ones <= 16 and sizes[-ones - 1] == 8


def test_a_callers_pool_is_used_and_left_open(
    backend: Backend, world: World, small_pages: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``audit(pool=...)`` checks with the caller's workers (it starts none of its own) and
    leaves them running: two audits on one pool find the same, and the caller closes it."""
    _grow(world)
    pool = audit_module.start_workers(2)
    assert pool is not None and pool.size == 1

    def no_other(*_args: Any, **_kwargs: Any) -> SigPool:
        raise AssertionError("audit started workers of its own")

    monkeypatch.setattr(audit_module, "SigPool", no_other)
    try:
        first = _audit(backend, world, pool=pool)
        assert pool.size == 1  # still open
        second = _audit(backend, world, pool=pool)
    finally:
        pool.close()
    assert first.intact and first.to_dict() == second.to_dict()
    assert first.signatures_checked == first.entries
    assert audit_module.start_workers(1) is None  # one process in all: no workers


def test_an_audit_that_fails_leaves_nothing_in_the_callers_pool(
    backend: Backend, world: World, small_pages: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An audit stopped by an error midway forgets the chunks it handed over: the caller's pool
    holds nothing of it, and the next audit on it is whole."""
    _more(world)
    monkeypatch.setattr(audit_module, "RAMP", 1)
    pool = audit_module.start_workers(2)
    assert pool is not None
    replay = audit_module._Fold.replay
    calls = 0

    def failing(self: Any, rows: Any, progress: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 12:
            raise RuntimeError("stopped midway")
        replay(self, rows, progress)

    try:
        monkeypatch.setattr(audit_module._Fold, "replay", failing)
        with pytest.raises(RuntimeError):
            _audit(backend, world, pool=pool, chunk=4)
        assert not pool._items and not pool._answers  # (what the pool still holds)
        monkeypatch.setattr(audit_module._Fold, "replay", replay)
        report = _audit(backend, world, pool=pool, chunk=4)
    finally:
        pool.close()
    assert report.intact and report.signatures_checked == report.entries


def test_read_ahead_only_where_reads_wait_on_a_server(backend: Backend, world: World, small_pages: None) -> None:
    """PostgreSQL's pages are read ahead in a thread, and its leaves and checkpoints in another
    while the last page is checked; both threads are gone when the audit returns. SQLite's are
    read in turn."""
    _grow(world)
    seen: list[str] = []
    log_seen: list[str] = []
    recorder = world.ledger.recorder
    store = world.ledger.sealer.store  # type: ignore[union-attr]
    select, leaves = recorder.select_log_rows, store.select_leaf_rows  # type: ignore[attr-defined]

    def noting(start: int, limit: int) -> Any:
        seen.append(threading.current_thread().name)
        return select(start, limit)

    def noting_leaves(start: int, limit: int) -> Any:
        log_seen.append(threading.current_thread().name)
        return leaves(start, limit)

    recorder.select_log_rows = noting  # type: ignore[attr-defined]
    store.select_leaf_rows = noting_leaves  # type: ignore[method-assign]
    try:
        report = _audit(backend, world, workers=1)
    finally:
        del recorder.select_log_rows  # type: ignore[attr-defined]
        del store.select_leaf_rows
    assert report.intact and log_seen
    ahead = [name for name in seen if name.startswith("dantin-read-ahead")]
    if backend.name == "postgres":
        # Every page but the first, and the one read again for rows committed meanwhile, read ahead.
        assert ahead and len(ahead) >= len(seen) - 2
        assert all(name.startswith("dantin-log-read") for name in log_seen)
    else:
        assert not ahead
        assert all(name == threading.main_thread().name for name in log_seen)
    assert not [t for t in threading.enumerate() if t.name.startswith(("dantin-read-ahead", "dantin-log-read"))]
