"""Group commit (``api.writer``): single-envelope requests that wait together are stored in one transaction,
and each still gets exactly the answer it would have got alone — its receipt, its replay, its refusal."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from apihelp import Served, check_receipt, fresh, problem_of, profile
from conftest import World

from api import submission
from api.writer import GroupWriter
from ledger.application import Ledger, Receipt
from ledger.errors import Refused

pytest_plugins = ["apiserver"]  # the `served` fixture


def _counting(ledger: Ledger, calls: list[int]) -> None:
    submit = ledger.submit

    def counted(envelopes: Sequence[Any]) -> list[Receipt | Refused]:
        calls.append(len(envelopes))
        return submit(envelopes)

    ledger.submit = counted  # type: ignore[method-assign]


async def _all(writer: GroupWriter, docs: list[Any]) -> list[submission.Outcome | BaseException]:
    return await asyncio.gather(*(writer.submit(d) for d in docs), return_exceptions=True)


def test_waiting_envelopes_go_in_one_batch_with_their_own_answers(world: World) -> None:
    calls: list[int] = []
    _counting(world.ledger, calls)
    twice = profile(world, fresh())
    unsigned = {"type": "person.profiled", "place": world.lang_ma, "facts": {"person": fresh()}}
    docs = [profile(world, fresh()) for _ in range(6)]
    docs[2:2] = [twice, twice, unsigned]
    outcomes = asyncio.run(_all(GroupWriter(world.ledger), docs))
    assert calls == [len(docs)]  # all arrived before the writer ran: one batch, one transaction
    statuses = [o.status if isinstance(o, submission.Outcome) else type(o).__name__ for o in outcomes]
    assert statuses == [201, 201, 201, "Replayed", "Refused", 201, 201, 201, 201]
    first, replay = outcomes[2], outcomes[3]
    assert isinstance(first, submission.Outcome) and isinstance(replay, submission.ApiError)
    assert replay.extra["receipt"]["index"] == first.body["index"]
    indices = [o.body["index"] for o in outcomes if isinstance(o, submission.Outcome)]
    assert indices == sorted(indices) and len(set(indices)) == len(indices)  # arrival order is log order
    for outcome in outcomes:
        if isinstance(outcome, submission.Outcome):
            proof = outcome.body["inclusion"]
            assert proof is not None and proof["tree_size"] > outcome.body["index"]


def test_a_failing_group_is_written_again_one_by_one(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    poison = profile(world, fresh())
    submit = world.ledger.submit

    def fragile(envelopes: Sequence[Any]) -> list[Receipt | Refused]:
        if any(e is poison for e in envelopes):
            raise RuntimeError("boom")
        return submit(envelopes)

    monkeypatch.setattr(world.ledger, "submit", fragile)
    docs = [profile(world, fresh()), profile(world, fresh()), poison, profile(world, fresh())]
    outcomes = asyncio.run(_all(GroupWriter(world.ledger), docs))
    assert [type(o).__name__ for o in outcomes] == ["Outcome", "Outcome", "RuntimeError", "Outcome"]


def test_concurrent_posts_over_http_each_get_their_answer(served: Served) -> None:
    w = served.world
    twice = profile(w, fresh())
    bodies = [profile(w, fresh()) for _ in range(20)]
    bodies[5:5] = [twice, twice]
    bodies.append({"type": "person.profiled", "place": w.lang_ma, "date": "2022-01-10", "facts": {"person": fresh()}})

    async def post_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as client:
            return await asyncio.gather(*(client.post("/v1/events", json=b) for b in bodies))

    answers = asyncio.run(post_all())
    assert sorted(a.status_code for a in answers[5:7]) == [201, 409]
    original = next(a for a in answers[5:7] if a.status_code == 201).json()
    replay = problem_of(next(a for a in answers[5:7] if a.status_code == 409), 409, "replay")
    assert replay["receipt"]["index"] == original["index"]
    problem_of(answers[-1], 422, "malformed")
    receipts = [a.json() for i, a in enumerate(answers[:-1]) if i not in (5, 6)] + [original]
    assert all(a.status_code == 201 for i, a in enumerate(answers[:-1]) if i not in (5, 6))
    assert len({r["index"] for r in receipts}) == len(receipts)
    for receipt in receipts:
        check_receipt(served, receipt)
