"""The registered places, followed from the log: name, kind, parent and children of each.

A place's stream opens with its ``place.registered`` entry, so following the log's
stream-opening notifications (one topic) finds every place without reading village
events. The index remembers the notification id it has read up to and reads only what is
new on each look-up (one cheap query), so a place registered by another process shows up
at once. It lives in the server process; a projection module may take it over later.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import cast

from ledger.application import Ledger
from ledger.catalogue import PERSON_STREAM_PREFIX
from ledger.stream import Stream
from schemas.facts import PlaceRegistered

_PAGE = 2000
VILLAGE_KINDS = frozenset({"thon", "tdp"})


@dataclass
class Place:
    id: str
    name: str
    kind: str
    parent: str | None
    children: list[str] = field(default_factory=list)


class PlaceIndex:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._places: dict[str, Place] = {}
        self._orphans: dict[str, list[str]] = {}  # parent id → children registered before it (not in a valid log)
        self._position = 0
        self._lock = threading.Lock()

    def get(self, place_id: str) -> Place | None:
        self.refresh()
        return self._places.get(place_id)

    def refresh(self) -> None:
        with self._lock:
            recorder = self._ledger.recorder
            while True:
                rows = recorder.select_notifications(self._position + 1, _PAGE, topics=[Stream.Opened.TOPIC])
                for row in rows:
                    stream_id = str(row.originator_id)
                    if "/" in stream_id or stream_id.startswith(PERSON_STREAM_PREFIX):
                        continue  # a body's or a person's stream
                    event = cast(Stream.Event, self._ledger.mapper.to_domain_event(row))
                    facts = event.envelope().facts
                    if isinstance(facts, PlaceRegistered):
                        self._add(facts)
                if rows:
                    self._position = rows[-1].id
                if len(rows) < _PAGE:
                    return

    def _add(self, facts: PlaceRegistered) -> None:
        parent = facts.id.rpartition(".")[0] or None
        place = Place(facts.id, facts.name, facts.kind, parent, self._orphans.pop(facts.id, []))
        self._places[facts.id] = place
        if parent is not None:
            if parent in self._places:
                self._places[parent].children.append(facts.id)
            else:
                self._orphans.setdefault(parent, []).append(facts.id)
