"""Two processes keeping the views of one ledger (two servers on one PostgreSQL schema, a server
and ``dantin rebuild``) catch up at the same moment.

Each catch-up deletes a touched village's rows and writes them again, with the views' position,
in one transaction. Two of them racing on one village used to both insert its rows: on
PostgreSQL the second one's people row met the first's (a duplicate key, answered as the store
out of reach) and its tenures, which have no key, were stored twice (every office holder listed
twice). The views' writes now take the views' lock and look at the position again under it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from conftest import Backend, World
from test_views import DAY, enrol_village_bodies, story

from projections.store import ViewStore
from projections.views import Views


def _in_step(views: list[Views]) -> None:
    """Each keeper's first write transaction waits, before it commits, for the others' to be just as
    far (for two seconds at most: one that waits for another's lock never gets there)."""
    barrier = threading.Barrier(len(views), timeout=2)
    for v in views:
        real = v.store.transaction
        met = {"write": False}

        @contextmanager
        def transaction(*, write: bool = True, real: Any = real, met: dict[str, bool] = met) -> Iterator[Any]:
            with real(write=write) as c:
                yield c
                if write and not met["write"]:
                    met["write"] = True
                    with suppress(threading.BrokenBarrierError):
                        barrier.wait()

        v.store.transaction = transaction  # type: ignore[method-assign]


def _together(*calls: Callable[[], Any]) -> list[Any]:
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            results[i] = calls[i]()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def _rows(views: Views, village: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with views.store.transaction(write=False) as c:
        tenures = c.all("SELECT mode, office, person, start_date FROM dantin_view_tenures WHERE village = ? "
                        "ORDER BY 1, 2, 3, 4", (village,))
        people = c.all("SELECT person FROM dantin_view_people WHERE village = ? ORDER BY 1", (village,))
    return [tuple(r.values()) for r in tenures], [tuple(r.values()) for r in people]


def _as_rebuilt(world: World) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    fresh = Views(world.ledger, today=lambda: DAY, store=ViewStore.in_memory())
    fresh.rebuild(workers=1)
    return _rows(fresh, world.lang_ma)


def test_two_catch_ups_at_once_write_each_village_once(world: World, backend: Backend) -> None:
    enrol_village_bodies(world)
    world.accept(*story(world))
    one, two = Views(world.ledger, today=lambda: DAY), Views(backend.open(), today=lambda: DAY)
    _in_step([one, two])

    results = _together(one.catch_up, two.catch_up)

    assert results == [world.position()] * 2, results
    assert _rows(one, world.lang_ma) == _as_rebuilt(world)
    assert one.villages() == two.villages()


def test_a_rebuild_during_a_catch_up(world: World, backend: Backend) -> None:
    enrol_village_bodies(world)
    world.accept(*story(world))
    keeper, rebuilder = Views(world.ledger, today=lambda: DAY), Views(backend.open(), today=lambda: DAY)
    _in_step([keeper, rebuilder])

    results = _together(keeper.catch_up, lambda: rebuilder.rebuild(workers=1))

    assert results == [world.position()] * 2, results
    assert _rows(keeper, world.lang_ma) == _as_rebuilt(world)
