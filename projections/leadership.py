"""Who held which village office, from when to when: a pure fold over a village's events.

Offices: ``head`` (trưởng thôn: from the commune's recognition decision, ended by a
recognised removal or the next recognition; an acting head from ``head.acting_appointed``
until its ``until``), ``secretary``, ``deputy`` and ``committee`` (chi ủy: from the
commune party committee's approval, or an appointment; an annulment ends them), and
``front_head`` (trưởng Ban công tác Mặt trận, from ``front.head_chosen``). Events are
taken in date order, then log order. A tenure covers ``start <= day < end``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: importing this module (for its labels) stays light
    from ledger.rules import RecordedEvent

OFFICES = ("head", "secretary", "deputy", "committee", "front_head")
#: What people read for each office (``acting_head``: a head appointed until an election).
OFFICE_VI = {
    "head": "Trưởng thôn",
    "acting_head": "Trưởng thôn (tạm thời)",
    "secretary": "Bí thư chi bộ",
    "deputy": "Phó bí thư chi bộ",
    "committee": "Chi ủy viên",
    "front_head": "Trưởng Ban công tác Mặt trận",
}


@dataclass(frozen=True)
class Tenure:
    office: str
    person: str
    start: date
    end: date | None = None
    acting: bool = False
    #: The events that began and (if any) ended it.
    events: tuple[str, ...] = ()

    def holds_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


def _person(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


class _Fold:
    def __init__(self) -> None:
        self.done: list[Tenure] = []
        self.open: dict[tuple[str, str], Tenure] = {}

    def start(self, office: str, person: str, event: RecordedEvent, *, acting: bool = False,
              end: date | None = None) -> None:
        self.stop(office, person, event)
        tenure = Tenure(office, person, event.date, end, acting, (event.id,))
        if end is not None:
            self.done.append(tenure)
        else:
            self.open[(office, person)] = tenure

    def stop(self, office: str, person: str | None, event: RecordedEvent) -> None:
        """End ``person``'s tenure of ``office`` (every holder's, when None) on the event's date."""
        for key in [k for k in self.open if k[0] == office and (person is None or k[1] == person)]:
            tenure = self.open.pop(key)
            self.done.append(replace(tenure, end=event.date, events=(*tenure.events, event.id)))

    def replace_all(self, office: str, people: Sequence[str], event: RecordedEvent) -> None:
        keep = set(people)
        for key in [k for k in self.open if k[0] == office and k[1] not in keep]:
            self.stop(office, key[1], event)
        for person in people:
            if (office, person) not in self.open:
                self.open[(office, person)] = Tenure(office, person, event.date, None, False, (event.id,))


def tenures(events: Sequence[RecordedEvent]) -> list[Tenure]:
    """Every tenure the events record, ordered by office, start and person."""
    fold = _Fold()
    ordered = sorted(enumerate(events), key=lambda ie: (ie[1].date, ie[1].index if ie[1].index is not None
                                                         else ie[0]))
    for _, event in ordered:
        facts = event.facts
        kind = event.type
        if kind == "election.recognised" and (person := _person(facts.get("person"))):
            fold.replace_all("head", [person], event)
        elif kind == "head.removal_recognised" and (person := _person(facts.get("person"))):
            fold.stop("head", person, event)
        elif kind == "head.acting_appointed" and (person := _person(facts.get("person"))):
            until = facts.get("until")
            end = date.fromisoformat(until) if isinstance(until, str) else until if isinstance(until, date) else None
            fold.start("head", person, event, acting=True, end=end)
        elif kind == "congress.approved":
            fold.replace_all("secretary", [p for p in [_person(facts.get("secretary"))] if p], event)
            fold.replace_all("deputy", [p for p in [_person(facts.get("deputy"))] if p], event)
            fold.replace_all("committee", [str(p) for p in facts.get("committee") or [] if p], event)
        elif kind == "congress.annulled":
            for office in ("secretary", "deputy", "committee"):
                fold.stop(office, None, event)
        elif kind == "congress.appointed" and (person := _person(facts.get("person"))):
            office = str(facts.get("office"))
            if office in ("secretary", "deputy"):
                fold.replace_all(office, [person], event)
            elif office == "committee":
                fold.start("committee", person, event)
        elif kind == "front.head_chosen" and (person := _person(facts.get("person"))):
            fold.replace_all("front_head", [person], event)
    out = fold.done + list(fold.open.values())
    return sorted(out, key=lambda t: (OFFICES.index(t.office), t.start, t.person))


def holders(tenure_list: Sequence[Tenure], day: date) -> dict[str, Any]:
    """The offices on ``day``: the verdict's ``leadership`` shape plus ``front_head`` and ``acting_head``."""
    on = [t for t in tenure_list if t.holds_on(day)]

    def one(office: str, acting: bool = False) -> str | None:
        found = [t for t in on if t.office == office and t.acting == acting]
        return max(found, key=lambda t: t.start).person if found else None

    return {
        "head": one("head"),
        "acting_head": one("head", acting=True),
        "secretary": one("secretary"),
        "deputy": one("deputy"),
        "committee": sorted(t.person for t in on if t.office == "committee"),
        "front_head": one("front_head"),
    }
