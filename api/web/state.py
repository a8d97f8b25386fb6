"""What the pages keep per server process: the district figures last computed.

The kept views are the API's (``Services.views``, ``api.village_views``): one ``Views`` per
process, brought up to the log's head before each read. The figures need every village's
record, so they are computed from one pass over the log (``LogReader``) and kept until the
log moves or the day changes.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import Request

from api.deps import Services
from api.web.figures import Figure, pilot_figures
from ledger.application import Ledger
from ledger.rules import VillageRecord
from projections.views import LogReader, Views


@dataclass
class WebState:
    services: Services
    lock: threading.Lock = field(default_factory=threading.Lock)
    _figures: dict[tuple[str, date, int], list[Figure]] = field(default_factory=dict)

    @property
    def ledger(self) -> Ledger:
        return self.services.ledger

    @property
    def views(self) -> Views:
        """The views as they stand (for ``today``); ``fresh`` to read them."""
        return self.services.views.views

    def fresh(self) -> Views:
        """The views, caught up with the log (the API's lock: one catch-up at a time, they write their tables)."""
        return self.services.views.fresh()

    def head(self) -> int:
        return int(self.ledger.recorder.max_notification_id() or 0)

    def figures(self, under: str, rows: Sequence[Mapping[str, Any]], day: date) -> list[Figure]:
        key = (under, day, self.head())
        with self.lock:
            found = self._figures.get(key)
        if found is not None:
            return found
        log = LogReader(self.ledger)
        records: dict[str, VillageRecord] = {}
        for row in rows:
            built = log.record(str(row["village"]))
            if built is not None:
                records[str(row["village"])] = built[0]
        found = pilot_figures(rows, records, day)
        with self.lock:
            if len(self._figures) > 64:  # stale keys (older heads, other days) are never asked again
                self._figures.clear()
            self._figures[key] = found
        return found


_create = threading.Lock()


def web_state(request: Request) -> WebState:
    """The app's one ``WebState``, made on first use (after the lifespan opened the ledger)."""
    app_state = request.app.state
    with _create:
        state: WebState | None = getattr(app_state, "web", None)
        if state is None or state.services is not app_state.services:
            services: Services = app_state.services
            state = WebState(services)
            app_state.web = state
    return state
