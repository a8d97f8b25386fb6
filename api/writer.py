"""Group commit for ``POST /v1/events``: single envelopes that arrive together are stored together.

The ledger serialises writes (one writer, its lock), and most of a write's time is its
transaction: the commit, and on PostgreSQL the round trips. Requests that each carry one
envelope and wait while another write runs are therefore handed to the ledger as one batch,
in arrival order, the moment the writer is free: one transaction, one checkpoint signature
and one proof read for the lot. ``Ledger.submit`` judges each envelope against the ledger as
the envelopes before it in the batch leave it, and stores the accepted ones even when others
are refused, so every request gets exactly the answer it would have got alone, in that order
(its own receipt, or its own refusal); a receipt is sent only after the transaction that
stored it has committed. A request alone (no write running) is a batch of one: no waiting.

An error of the whole write (the database is unreachable) reaches every request of the group,
each answering it as it would have alone (``api.problems``: 503).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool

from api import submission
from ledger.application import Ledger
from ledger.errors import DantinError


@dataclass
class _Waiting:
    doc: Any
    answer: asyncio.Future[submission.Outcome | DantinError]


@dataclass
class GroupWriter:
    ledger: Ledger
    max_group: int = 256
    _queue: list[_Waiting] = field(default_factory=list)
    _drain: asyncio.Task[None] | None = None

    async def submit(self, doc: Any) -> submission.Outcome:
        """Store one envelope (already parsed): its outcome, or its refusal raised."""
        waiting = _Waiting(doc, asyncio.get_running_loop().create_future())
        self._queue.append(waiting)
        if self._drain is None:
            self._drain = asyncio.create_task(self._write())
        found = await waiting.answer
        if isinstance(found, DantinError):
            raise found
        return found

    async def _write(self) -> None:
        group: list[_Waiting] = []
        try:
            while self._queue:
                group, self._queue = self._queue[:self.max_group], self._queue[self.max_group:]
                if len(group) == 1:
                    await self._alone(group[0])
                    continue
                try:
                    outcomes = await run_in_threadpool(submission.submit_each, self.ledger, [w.doc for w in group])
                except Exception:  # noqa: BLE001 - one envelope's trouble must not become its neighbours': each alone, in order
                    for w in group:
                        await self._alone(w)
                    continue
                for w, outcome in zip(group, outcomes, strict=True):
                    _answer(w, outcome)
        finally:
            self._drain = None
            for w in [*group, *self._queue]:  # unanswered only when this task is cancelled (shutdown)
                if not w.answer.done():
                    w.answer.cancel()
            self._queue = []

    async def _alone(self, waiting: _Waiting) -> None:
        try:
            outcome = (await run_in_threadpool(submission.submit_each, self.ledger, [waiting.doc]))[0]
        except Exception as exc:  # noqa: BLE001 - the request answers it as it would alone (api.problems)
            if not waiting.answer.done():
                waiting.answer.set_exception(exc)
            return
        _answer(waiting, outcome)


def _answer(waiting: _Waiting, outcome: submission.Outcome | DantinError) -> None:
    if not waiting.answer.done():  # done: the request was cancelled (what was stored stays stored)
        waiting.answer.set_result(outcome)
