"""The read-side views behind the public village routes, kept up with the log before each read.

One ``VillageViews`` per server process; catching up writes the views' tables, so it is
serialised. Public verdicts keep every check's status but drop the explanation of the rules
that are judged on personal profiles (ages, party status, education, training): ARCHITECTURE.md —
"the public API shows offices and names; profiles are shown only to authorised readers".

Answers are cached per log position. The views change only when the log grows, so every read
first asks the log's head (one cheap query: ``head``); while it has not moved, the views are
not caught up again and the cached answers stand. When it moved, the views catch up (under the
lock) and every cache is dropped at once (a new ``Cache``), so no answer is ever older than the
head its request saw. Per village, the leadership card (``projections.views.LeadershipCard``:
its name, its people's names, its tenures) answers every day's leadership in memory, as
``Views.leadership`` does; answers (JSON bytes, as the routes send them) are kept
per village, day and mode, a bounded number of them.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from starlette.concurrency import run_in_threadpool

from api.models import LeadershipPublic, VerdictPublic
from api.responses import model_json
from ledger.application import Ledger
from projections.store import ViewStore
from projections.views import LeadershipCard, Views

#: Rules whose explanations quote profile data.
PROFILE_RULES = frozenset({"E-STANDARD", "P-CRITERIA", "P-WAIVER", "C-ELIGIBLE"})
REDACTED_VI = "Chi tiết có thông tin cá nhân (tuổi, đảng tịch, trình độ); chỉ cơ quan có thẩm quyền được xem."
REDACTED_EN = "Details quote personal data; only authorised readers may see them."
MAX_ANSWERS = 20_000  # cached answers per log position (a few hundred bytes to a few KB each)
MAX_CARDS = 50_000  # villages (and modes) whose leadership card is kept


class Missing:
    """Not cached (the caller computes it, off the event loop)."""


MISSING = Missing()
Answer = bytes | None  # the JSON body, or None for an unknown village


@dataclass
class Cache:
    """The answers valid while the log's head is ``position`` (or any later head the views were caught up to)."""

    position: int
    cards: dict[tuple[str, bool], LeadershipCard | None] = field(default_factory=dict)
    answers: dict[tuple[str, str, date, bool], Answer] = field(default_factory=dict)

    def keep(self, key: tuple[str, str, date, bool], answer: Answer) -> Answer:
        if len(self.answers) >= MAX_ANSWERS:
            self.answers.clear()  # older days are rarely asked twice; today's come back at once
        self.answers[key] = answer
        return answer


class VillageViews:
    def __init__(self, ledger: Ledger, store: ViewStore | None = None) -> None:
        self.views = Views(ledger, store=store)
        self._ledger = ledger
        self._lock = threading.Lock()
        self._cache = Cache(-1)
        self._remote = "postgres" in type(ledger.recorder).__module__  # a server, not a local file
        self._head_waiters: list[asyncio.Future[int]] = []
        self._head_reader: asyncio.Task[None] | None = None

    def today(self) -> date:
        return self.views.today()

    def head(self) -> int:
        """The log's head (its highest notification id): one cheap query."""
        return int(self._ledger.recorder.max_notification_id() or 0)

    async def read_head(self) -> int:
        """``head``, read after this call began (a reader sees every receipt sent before it asked).

        SQLite answers in microseconds from a local file: read on the event loop. A PostgreSQL
        round trip is a few hundred microseconds and needs a pooled connection, so it is read in
        the thread pool, one query at a time for every request that arrived while the last one ran.
        """
        if not self._remote:
            return self.head()
        answer: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._head_waiters.append(answer)
        if self._head_reader is None:
            self._head_reader = asyncio.create_task(self._read_heads())
        return await answer

    async def _read_heads(self) -> None:
        waiting: list[asyncio.Future[int]] = []
        try:
            while self._head_waiters:
                waiting, self._head_waiters = self._head_waiters, []
                try:
                    head = await run_in_threadpool(self.head)
                except Exception as exc:  # noqa: BLE001 - each request answers it (api.problems: 503)
                    for w in waiting:
                        if not w.done():
                            w.set_exception(exc)
                    continue
                for w in waiting:
                    if not w.done():
                        w.set_result(head)
        finally:
            self._head_reader = None
            for w in [*waiting, *self._head_waiters]:  # unanswered only when cancelled (shutdown)
                if not w.done():
                    w.cancel()
            self._head_waiters = []

    def current(self, head: int) -> Cache | None:
        """The cache, if the views already cover ``head``; None when they must catch up first."""
        cache = self._cache
        return cache if cache.position >= head else None

    def fresh(self, head: int | None = None) -> Views:
        """The views, caught up with the log (with ``head``, the head the caller just read)."""
        self._fresh(self.head() if head is None else head)
        return self.views

    def _fresh(self, head: int) -> Cache:
        cache = self._cache
        if cache.position >= head:
            return cache
        with self._lock:
            cache = self._cache
            if cache.position < head:
                self.views.catch_up()  # reads the head again: the views cover at least ``head``
                cache = self._cache = Cache(head)
            return cache

    # -- leadership -------------------------------------------------------------------

    def leadership_cached(self, head: int, village: str, day: date, as_recorded: bool) -> Answer | Missing:
        """The answer without reading the database (for the event loop), or ``MISSING``."""
        cache = self.current(head)
        if cache is None:
            return MISSING
        key = ("leadership", village, day, as_recorded)
        found = cache.answers.get(key, MISSING)
        if not isinstance(found, Missing):
            return found
        card = cache.cards.get((village, as_recorded), MISSING)
        if isinstance(card, Missing):
            return MISSING
        return cache.keep(key, _leadership_json(card, day))

    def leadership(self, head: int, village: str, day: date, as_recorded: bool) -> Answer:
        """The leadership of ``village`` on ``day`` as the route answers it (JSON), None for an unknown village."""
        found = self.leadership_cached(head, village, day, as_recorded)
        if not isinstance(found, Missing):
            return found
        cache = self._fresh(head)
        card = cache.cards.get((village, as_recorded), MISSING)
        if isinstance(card, Missing):
            card = self.views.leadership_card(village, as_recorded=as_recorded)
            if len(cache.cards) >= MAX_CARDS:
                cache.cards.clear()
            cache.cards[(village, as_recorded)] = card
        return cache.keep(("leadership", village, day, as_recorded), _leadership_json(card, day))

    # -- verdicts ---------------------------------------------------------------------

    def verdict_cached(self, head: int, village: str, day: date, as_recorded: bool) -> Answer | Missing:
        cache = self.current(head)
        if cache is None:
            return MISSING
        return cache.answers.get(("verdict", village, day, as_recorded), MISSING)

    def verdict(self, head: int, village: str, day: date, as_recorded: bool) -> Answer:
        """The public verdict of ``village`` judged on ``day`` (JSON), None for an unknown village."""
        found = self.verdict_cached(head, village, day, as_recorded)
        if not isinstance(found, Missing):
            return found
        cache = self._fresh(head)
        judged = self.views.verdict(village, day, as_recorded=as_recorded)
        answer = None if judged is None else model_json(VerdictPublic.model_validate(public_verdict(judged)))
        return cache.keep(("verdict", village, day, as_recorded), answer)


def _leadership_json(card: LeadershipCard | None, day: date) -> Answer:
    return None if card is None else model_json(LeadershipPublic.model_validate(card.on(day)))


def public_verdict(verdict: dict[str, Any]) -> dict[str, Any]:
    checks = []
    for check in verdict.get("checks", []):
        if check.get("rule") in PROFILE_RULES:
            check = {**check, "detail": REDACTED_EN, "detail_vi": REDACTED_VI}
        checks.append(check)
    return {**verdict, "checks": checks}
