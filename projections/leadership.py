"""Who held which village office, from when to when: a pure fold over a village's events.

Offices: ``head`` (trưởng thôn: from the commune's recognition decision, ended by a
recognised removal of that person or the next recognition — EVENTS.md §Verdict's "the person the
commune last recognised, less removals"; ``term_years`` ends nothing, and neither does an acting
head's appointment), the acting head (``head.acting_appointed``: from its date until the day before
its ``until``, ended sooner by a recognition — the election fills the vacancy, "cho đến khi bầu được
trưởng thôn mới" —, by a removal naming them, or by another acting head's appointment; the same
person appointed again holds on unbroken, until the new ``until``), ``secretary``, ``deputy`` and
``committee`` (chi ủy: from the commune party committee's approval, which names them all, a null or
empty one leaving the office vacant; an appointment replaces the secretary or deputy, or adds a chi
ủy member; an annulment ends them all), and ``front_head`` (trưởng Ban công tác Mặt trận, from
``front.head_chosen``). A holder named again (recognised, approved, appointed) holds on, unbroken.
Each event takes effect on its ``date`` (as corrected, its corrected date), whenever it was
recorded; events of one day in log order. A tenure covers ``start <= day < end``. EVENTS.md is
silent on the acting head's end and on what an annulment undoes: these are our readings (README
§7), checked against a model written from the contract (tests/integration/test_officeholders_model.py).
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
        #: The acting head in office, if any: its ``end`` is the appointment's ``until`` (it may end sooner).
        self.acting: Tenure | None = None

    def stop(self, office: str, person: str | None, event: RecordedEvent) -> None:
        """End ``person``'s tenure of ``office`` (every holder's, when None) on the event's date."""
        for key in [k for k in self.open if k[0] == office and (person is None or k[1] == person)]:
            tenure = self.open.pop(key)
            self.done.append(replace(tenure, end=event.date, events=(*tenure.events, event.id)))

    def keep(self, office: str, people: Sequence[str], event: RecordedEvent) -> None:
        """``people`` hold ``office`` from the event's date on; a holder among them holds it on, unbroken."""
        for person in people:
            if (office, person) not in self.open:
                self.open[(office, person)] = Tenure(office, person, event.date, None, False, (event.id,))

    def replace_all(self, office: str, people: Sequence[str], event: RecordedEvent) -> None:
        keep = set(people)
        for key in [k for k in self.open if k[0] == office and k[1] not in keep]:
            self.stop(office, key[1], event)
        self.keep(office, people, event)

    def expire(self, day: date) -> None:
        """The acting head's appointment ran out (its ``until``) on or before ``day``."""
        if self.acting is not None and self.acting.end is not None and self.acting.end <= day:
            self.done.append(self.acting)
            self.acting = None

    def stop_acting(self, event: RecordedEvent, person: str | None = None) -> None:
        """End the acting head's tenure (only ``person``'s, when given) on the event's date."""
        acting = self.acting
        if acting is not None and (person is None or acting.person == person):
            self.done.append(replace(acting, end=event.date, events=(*acting.events, event.id)))
            self.acting = None

    def appoint_acting(self, person: str, until: date | None, event: RecordedEvent) -> None:
        """An acting head until ``until`` (None: until an election): the one in office, if another, ends
        today; the same person appointed again holds on, unbroken, until the new ``until``."""
        acting = self.acting
        if acting is not None and acting.person == person and (until is None or until > event.date):
            self.acting = replace(acting, end=until, events=(*acting.events, event.id))
            return
        self.stop_acting(event)
        tenure = Tenure("head", person, event.date, until, True, (event.id,))
        if until is not None and until <= event.date:
            self.done.append(tenure)  # ran out before it began: held on no day
        else:
            self.acting = tenure


def tenures(events: Sequence[RecordedEvent]) -> list[Tenure]:
    """Every tenure the events record, ordered by office, start and person."""
    fold = _Fold()
    ordered = sorted(enumerate(events), key=lambda ie: (ie[1].date, ie[1].index if ie[1].index is not None
                                                         else ie[0]))
    for _, event in ordered:
        facts = event.facts
        kind = event.type
        fold.expire(event.date)
        if kind == "election.recognised" and (person := _person(facts.get("person"))):
            fold.replace_all("head", [person], event)
            fold.stop_acting(event)  # the election filled the vacancy
        elif kind == "head.removal_recognised" and (person := _person(facts.get("person"))):
            fold.stop("head", person, event)
            fold.stop_acting(event, person)
        elif kind == "head.acting_appointed" and (person := _person(facts.get("person"))):
            until = facts.get("until")
            end = date.fromisoformat(until) if isinstance(until, str) else until if isinstance(until, date) else None
            fold.appoint_acting(person, end, event)
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
                fold.keep("committee", [person], event)  # joins the chi ủy (a member already in it stays)
        elif kind == "front.head_chosen" and (person := _person(facts.get("person"))):
            fold.replace_all("front_head", [person], event)
    out = fold.done + list(fold.open.values()) + ([fold.acting] if fold.acting is not None else [])
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
