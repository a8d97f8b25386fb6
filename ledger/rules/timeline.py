"""What the rules look at: one village's events folded into elections, congresses, offices.

Every rule reads a :class:`Context`: the record as known on the as-of date, its events in
date order (same-day events keep the record's order), grouped into votes (each
``election.counted`` with the order before it and the commune's decision after it) and
congresses (each ``congress.held`` with the ballots, report and decisions that follow).

A village's stream holds every term. The rules judge one: the term in progress on the as-of
date (``_term_start``). A term begins with a normal election held at least ``TERM_GAP_MONTHS``
after the previous term's; when the head's office fell vacant since the village's last election
(a removal, or an acting head appointed, as after a death), at least ``TERM_DUE_MONTHS`` after
(before that, it is a by-election, within the term; from then on, the next term's election, which
fills the vacancy too), unless the record ties the vote to the vacancy: one within E-REMOVAL's 60
days of a removal, or by the date an acting head was appointed until, is its by-election where that
time ends before the term does (``_fills``). The term holds the nominations, waivers and preparations for that
election (and a congress held for it before its election). A term opens with its election's order
(or its vote): the cell's nomination, a waiver or the list's preparation made for the next term
(``UPCOMING_TYPES``, as long after) before it is ordered is held for it, and until then the term in
progress, most often complete, is the one judged, as the day before (a congress already held for
the next term opens it at once: P-ORDER).

Earlier terms' events are not judged again, but for what no verdict of their own term could judge:
a removal after their last vote (E-REMOVAL: its new election is this term's), and the last term's
waivers that lapse in this term, or whose holder is still in office (P-WAIVER). The previous
congress is kept as context (C-TERM), and the leadership is the one recorded over all terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from operator import attrgetter
from typing import Any, cast

from ledger.rules.calendar import add_months
from ledger.rules.record import RecordedEvent, VillageRecord, as_date

PREP_TYPES = ("election.team_formed", "election.notice_posted", "candidates.drafted",
              "candidates.agreed", "candidates.finalised")
CONGRESS_FOLLOWERS = ("congress.counted", "congress.reported", "congress.approved", "congress.annulled",
                      "congress.appointed")


@dataclass
class Election:
    """One vote: a normal election (ordered by ``election.ordered``) or a re-run."""

    kind: str
    order: RecordedEvent | None = None
    count: RecordedEvent | None = None
    prep: list[RecordedEvent] = field(default_factory=list)
    #: The commune's decision after the count: ``election.recognised`` or ``election.rerun_ordered``.
    action: RecordedEvent | None = None

    @property
    def day(self) -> date | None:
        if self.count is not None:
            return self.count.date
        if self.order is not None:
            return as_date(self.order.facts.get("election_date") or self.order.facts.get("new_date"))
        return None

    def prep_of(self, event_type: str) -> list[RecordedEvent]:
        return [e for e in self.prep if e.type == event_type]


@dataclass
class Congress:
    held: RecordedEvent | None
    counts: list[RecordedEvent] = field(default_factory=list)
    reports: list[RecordedEvent] = field(default_factory=list)
    decisions: list[RecordedEvent] = field(default_factory=list)
    appointments: list[RecordedEvent] = field(default_factory=list)
    #: Results the rules work out from this congress again and again (``congress_ballot``), kept while it is judged.
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def first(self) -> RecordedEvent:
        """The congress record itself, or (when it is missing) the first event that follows it."""
        if self.held is not None:
            return self.held
        dated = [e for e in (*self.counts, *self.reports, *self.decisions, *self.appointments) if e]
        return dated[0]

    @property
    def day(self) -> date:
        return self.first.date

    def office_counts(self, office: str) -> list[RecordedEvent]:
        return [c for c in self.counts if c.facts.get("office") == office]

    @property
    def approval(self) -> RecordedEvent | None:
        approved = [d for d in self.decisions if d.type == "congress.approved"]
        return approved[-1] if approved else None


@dataclass
class Context:
    record: VillageRecord
    as_of: date
    events: list[RecordedEvent]
    elections: list[Election]
    congresses: list[Congress]
    leadership: dict[str, Any]
    #: The recognition of the head in office, when made in the term judged (else None).
    head_recognition: RecordedEvent | None
    #: Congresses of the terms before the one judged: context only (C-TERM's previous congress).
    earlier_congresses: list[Congress] = field(default_factory=list)
    #: Removals of the head recorded before this term began, after the last vote before it: a vacancy
    #: no earlier vote filled, whose new election (E-REMOVAL) is this term's.
    earlier_removals: list[RecordedEvent] = field(default_factory=list)
    #: The last term's waivers still to judge in this one (P-WAIVER): those due on or after this term's
    #: first event (no verdict of their own term reaches their deadline), and those of a person holding
    #: office (head, secretary, deputy) on the as-of date; with that term's election day, which they
    #: are judged against as it judged them.
    earlier_waivers: list[RecordedEvent] = field(default_factory=list)
    earlier_election_day: date | None = None
    #: What the rules ask again and again, kept for this judgement: names, profiles, positions.
    _names: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _profiles: dict[tuple[str, date | None], dict[str, Any]] = field(default_factory=dict, repr=False,
                                                                      compare=False)
    _positions: dict[int, int] | None = field(default=None, repr=False, compare=False)

    @property
    def main(self) -> Election | None:
        """The term's election: the first normal one (re-runs and by-elections follow it)."""
        return next((e for e in self.elections if e.kind == "normal"), None)

    @property
    def judged_congresses(self) -> list[Congress]:
        """Congresses judged in full; an earlier one recorded without ballots is context (C-TERM)."""
        return [c for i, c in enumerate(self.congresses) if c.counts or c.decisions or i == len(self.congresses) - 1]

    @property
    def congress(self) -> Congress | None:
        return self.congresses[-1] if self.congresses else None

    def of_type(self, *types: str) -> list[RecordedEvent]:
        return [e for e in self.events if e.type in types]

    def who(self, person: Any) -> str:
        key = str(person)
        found = self._names.get(key)
        if found is None:
            name = self.record.name(key)
            found = self._names[key] = f"{name} ({person})" if name != key else key
        return found

    def profile(self, person: str, on: date | None) -> dict[str, Any]:
        """The person's fields on ``on`` (shared between the rules: read it, never change it)."""
        try:
            found = self._profiles.get((person, on))
        except TypeError:  # not a hashable id: nothing to share
            return self.record.profile(person, on)
        if found is None:
            found = self._profiles[(person, on)] = self.record.profile(person, on)
        return found

    def position(self, event: RecordedEvent) -> int:
        """``events.index(event)`` for one of the context's own events, without comparing events field by field."""
        positions = self._positions
        if positions is None:
            positions = self._positions = {}
            for i, e in enumerate(self.events):
                positions.setdefault(id(e), i)
        found = positions.get(id(event))
        return found if found is not None and self.events[found] is event else self.events.index(event)

    @property
    def nominee(self) -> str | None:
        nominations = self.of_type("personnel.nominated")
        return str(nominations[-1].facts.get("person")) if nominations else None


def build(record: VillageRecord, as_of: date) -> Context:
    events = sorted(record.events, key=_day)  # stable: same-day events keep record order
    leadership = _leadership(events)  # as recorded, over every term
    elections = _elections(events)
    start, held = _term_start(events, elections)
    if held:  # the next term's preparation, before its election is ordered: not this term's
        events = [e for e in events if id(e) not in held]
        elections = _elections(events)
    if start == 0:
        return Context(record, as_of, events, elections, _congresses(events), *leadership)
    term = events[start:]
    offices, head = leadership
    if head is not None and not any(e is head for e in term):
        head = None  # recognised in an earlier term: in office still, but not this term's head (P-SAME-PERSON)
    # A decision or appointment following the last term's congress, dated after this term began,
    # is that congress's (context), not a congress of this term.
    congresses, own = _congresses(events), {id(e) for e in term}
    return Context(record, as_of, term, _elections(term), [c for c in congresses if id(c.first) in own],
                   offices, head, earlier_congresses=[c for c in congresses if id(c.first) not in own],
                   earlier_removals=_unfilled(events[:start]),
                   **_last_terms_waivers(events[:start], term[0].date, offices))


def _last_terms_waivers(earlier: list[RecordedEvent], opened: date, offices: dict[str, Any]) -> dict[str, Any]:
    """``earlier_waivers`` and ``earlier_election_day`` of a term opened on ``opened`` after ``earlier``."""
    granted = [e for e in earlier if e.type == "waiver.granted"]
    if not granted:
        return {}
    last_term = earlier[_term_start(earlier, _elections(earlier))[0]:]
    holders = {offices.get("head"), offices.get("secretary"), offices.get("deputy")} - {None}
    due = [w for w in last_term if w.type == "waiver.granted" and (
        str(w.facts.get("person")) in holders or (as_date(w.facts.get("deadline")) or opened) >= opened)]
    main = next((e for e in _elections(last_term) if e.kind == "normal"), None)
    return {"earlier_waivers": due, "earlier_election_day": main.day if main else None}


def _unfilled(earlier: list[RecordedEvent]) -> list[RecordedEvent]:
    """The removals among ``earlier`` (the terms before the one judged) after their last vote."""
    votes = [e.date for e in earlier if e.type == "election.counted"]
    return [e for e in earlier if e.type == "head.removal_recognised" and (not votes or e.date > votes[-1])]


#: A normal election at least this long after the previous term's opens a new term (a term is
#: 2.5 years, or 5; a by-election after a vacancy, or a failed vote's repeat, comes sooner).
TERM_GAP_MONTHS = 18
#: After the head's office fell vacant since the last vote (a removal; an acting head appointed, as
#: after a death, which no removal records), a normal election is a by-election, within the term,
#: until the next term is due: 2.5 years after the term's opening, less C-TERM's 6 months' tolerance
#: (for a term its recognition states longer, ``term_years``, that term less 6 months). From then on
#: it is the next term's regular election (which fills the vacancy as well).
TERM_DUE_MONTHS = 24
VACANCY_TYPES = ("head.removal_recognised", "head.acting_appointed")
#: Later than that, a vote the record ties to the vacancy is still its by-election, within the term: one
#: held within this many days of a removal (E-REMOVAL's new election), or by the date an acting head was
#: appointed until, where that time ends before the term does (``_fills``).
BY_ELECTION_DAYS = 60
#: The next term's process begun before its election is ordered: the cell's nomination, the waiver
#: its nominee needs, the list's preparation (held for that term until its order opens it).
UPCOMING_TYPES = ("personnel.nominated", "waiver.granted", *PREP_TYPES)


def _term_start(events: list[RecordedEvent], elections: list[Election]) -> tuple[int, set[int]]:
    """Where, in ``events`` (by date; ``elections``, their votes), the last term begins (0 for a
    record of one term); and the ids (``id()``) of the events held for the next term, not yet opened."""
    normal = [e for e in elections if e.kind == "normal" and e.day is not None]
    if not normal:
        return 0, set()
    vacancies = [e for e in events if e.type in VACANCY_TYPES]
    vacated = [e.date for e in vacancies]
    opening, previous, prior = normal[0], normal[0], None
    for election in normal[1:]:
        day, last = cast(date, election.day), cast(date, previous.day)
        since = [v for v in vacancies if last < v.date <= day]
        if day >= _due(opening, bool(since)) and not _fills(day, since, opening):
            prior, opening = opening, election
        previous = election
    # The next term's process begun before its election is ordered (its day unknown): the cell's
    # nomination, a waiver, the list's preparation are held for that term, which opens with its order
    # (until then the term in progress, usually complete, is the one judged); a congress held for it
    # already (a breach of the pilot's order, P-ORDER) opens it at once.
    last = cast(date, previous.day)
    gap = _due(opening, any(v > last for v in vacated))
    upcoming = [e for e in events if e.date > last and e.date >= gap and e.type in UPCOMING_TYPES]
    held: set[int] = set()
    if upcoming:
        early = [e.date for e in events if e.type == "congress.held" and last < e.date and e.date >= gap]
        if early:
            return _first_on(events, min(upcoming[0].date, *early)), held
        held = {id(e) for e in upcoming}
    if prior is None:
        return 0, held
    # The term's own events: its election's order, preparations and count; the cell's nominations
    # made for it (after the vote before it), and the waivers made for it; and a congress held for it
    # ahead of its election (a breach of the pilot's order, P-ORDER: judged in this term, not taken
    # for the last term's).
    day = cast(date, opening.day)
    before = cast(date, normal[normal.index(opening) - 1].day)
    congress_from = add_months(cast(date, prior.day), TERM_GAP_MONTHS)
    dates = [e.date for e in (opening.order, opening.count, *opening.prep) if e is not None]
    dates += [e.date for e in events if before < e.date <= day and (e.type == "personnel.nominated" or (
        e.type in ("congress.held", "waiver.granted") and e.date >= congress_from))]
    return _first_on(events, min(dates)), held


def _due(opening: Election, vacant: bool) -> date:
    """From when a normal election opens the term after ``opening``'s: sooner unless the office fell vacant.
    A term its recognition states longer than 2.5 years (``term_years``: the law allows 5) is due later."""
    months = _term_months(opening) - (30 - TERM_DUE_MONTHS) if vacant else TERM_GAP_MONTHS
    return add_months(cast(date, opening.day), months)


def _term_months(opening: Election) -> int:
    """The length of ``opening``'s term in months: 30, or longer where its recognition states it."""
    stated = opening.action.facts.get("term_years") if opening.action is not None and \
        opening.action.type == "election.recognised" else None
    try:
        years = Fraction(str(stated)) if stated is not None else None
    except (ValueError, ZeroDivisionError):
        years = None  # (a term no number states: P-TERM says so; the usual 2.5 years here)
    if years is not None and Fraction(5, 2) < years <= 10:
        return int(years * 12)
    return 30


def _fills(day: date, vacancies: list[RecordedEvent], opening: Election) -> bool:
    """Whether a vote on ``day`` is the by-election the record ties to one of ``vacancies``: within
    ``BY_ELECTION_DAYS`` of a removal (E-REMOVAL's new election), or by the date an acting head was
    appointed ``until``, that date before ``opening``'s term ends (else the regular election, due by
    then, is the new election: the vote is the next term's)."""
    end = add_months(cast(date, opening.day), _term_months(opening))
    for vacancy in vacancies:
        until = as_date(vacancy.facts.get("until")) if vacancy.type == "head.acting_appointed" else \
            vacancy.date + timedelta(days=BY_ELECTION_DAYS)
        if until is not None and day <= until < end:
            return True
    return False


def _first_on(events: list[RecordedEvent], day: date) -> int:
    """The first of ``events`` (by date) dated ``day`` or later."""
    return next(i for i, e in enumerate(events) if e.date >= day)


_day = attrgetter("date")


def _elections(events: list[RecordedEvent]) -> list[Election]:
    elections: list[Election] = []
    waiting: list[RecordedEvent] = []  # prep events recorded before their election's order
    for event in events:
        last = elections[-1] if elections else None
        if event.type in ("election.recognised", "election.rerun_ordered") and last and last.count \
                and last.action is None:
            last.action = event
        if event.type == "election.ordered":
            if last and last.kind == "normal" and last.count is None:
                elections.pop()  # a later decision for the same vote supersedes the earlier one
                waiting = last.prep + waiting
            elections.append(Election("normal", order=event, prep=waiting))
            waiting = []
        elif event.type == "election.rerun_ordered":
            elections.append(Election("rerun", order=event))
        elif event.type == "election.counted":
            if last and last.count is None:
                last.count = event
            else:
                elections.append(Election("normal", count=event, prep=waiting))
                waiting = []
        elif event.type in PREP_TYPES:
            if last and last.count is None:
                last.prep.append(event)
            else:
                waiting.append(event)
    if waiting:
        elections.append(Election("normal", prep=waiting))
    return elections


def _congresses(events: list[RecordedEvent]) -> list[Congress]:
    congresses: list[Congress] = []
    for event in events:
        if event.type == "congress.held":
            congresses.append(Congress(event))
            continue
        if event.type not in CONGRESS_FOLLOWERS:
            continue
        if not congresses:
            congresses.append(Congress(None))
        getattr(congresses[-1], _FOLLOWER_LIST[event.type]).append(event)
    return congresses


_FOLLOWER_LIST = {"congress.counted": "counts", "congress.reported": "reports", "congress.approved": "decisions",
                  "congress.annulled": "decisions", "congress.appointed": "appointments"}


def _leadership(events: list[RecordedEvent]) -> tuple[dict[str, Any], RecordedEvent | None]:
    """Offices as recorded: the head last recognised less removals; the approved or appointed cell leaders."""
    head: RecordedEvent | None = None
    secretary: str | None = None
    deputy: str | None = None
    committee: list[str] = []
    for event in events:
        facts = event.facts
        if event.type == "election.recognised":
            head = event
        elif event.type == "head.removal_recognised" and head and facts.get("person") == head.facts.get("person"):
            head = None
        elif event.type == "congress.approved":
            secretary, deputy = _opt(facts.get("secretary")), _opt(facts.get("deputy"))
            committee = [str(p) for p in facts.get("committee") or []]
        elif event.type == "congress.annulled":
            secretary, deputy, committee = None, None, []
        elif event.type == "congress.appointed":
            office, person = facts.get("office"), _opt(facts.get("person"))
            if office == "secretary":
                secretary = person
            elif office == "deputy":
                deputy = person
            elif office == "committee" and person and person not in committee:
                committee.append(person)
    return ({"head": _opt(head.facts.get("person")) if head else None, "secretary": secretary,
             "deputy": deputy, "committee": committee}, head)


def _opt(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
