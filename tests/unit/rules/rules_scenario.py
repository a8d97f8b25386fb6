"""A village's process, built in a few lines, for the rule tests.

``bato()`` is a Ba Tơ village that passes every rule (as ``docs/examples/01``); each test
changes the one thing it is about and reads the checks of one rule.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from ledger.rules import Place, ProfileUpdate, RecordedEvent, VillageRecord, judge

BATO = "qng.bato.badien.lang-ma"
DUCPHO = "qng.ducpho.phonhon.hiep-an"
SONTINH = "qng.sontinh.tinhha.thon-1"
LATER = date(2030, 12, 31)  # an as-of date after everything: every deadline has passed


def d(text: str) -> date:
    return date.fromisoformat(text)


class Village:
    def __init__(self, place: str = BATO) -> None:
        self.place = place
        self.events: list[RecordedEvent] = []
        self.people: dict[str, list[ProfileUpdate]] = {}

    # -- building -------------------------------------------------------------
    def person(self, pid: str, name: str = "", born: str = "1978-08-20", party: str | None = "full",
               education: str = "thpt", theory: str = "so_cap", residence: str | None = None) -> str:
        fields: dict[str, Any] = {"name": name or pid, "born": born, "residence": residence or self.place,
                                  "education": education, "theory": theory}
        if party:
            fields["party"] = {"status": party}
        self.people[pid] = [ProfileUpdate(None, fields)]
        return pid

    def profile(self, pid: str, on: str, **fields: Any) -> None:
        """A later ``person.profiled`` (an event too, as in the ledger)."""
        event = self.add("person.profiled", on, "commune_committee", person=pid, **fields)
        self.people.setdefault(pid, []).append(ProfileUpdate(d(on), fields, event.id))

    def add(self, type_: str, on: str, by: str = "commune_committee", *, id: str | None = None,  # noqa: A002
            **facts: Any) -> RecordedEvent:
        event = RecordedEvent(id or f"e{len(self.events) + 1}", type_, d(on), by, facts, len(self.events))
        self.events.append(event)
        return event

    # -- changing -------------------------------------------------------------
    def get(self, event_id: str) -> RecordedEvent:
        return next(e for e in self.events if e.id == event_id)

    def set(self, event_id: str, on: str | None = None, **facts: Any) -> Village:
        i = self.events.index(self.get(event_id))
        old = self.events[i]
        self.events[i] = replace(old, date=d(on) if on else old.date, facts={**old.facts, **facts})
        return self

    def drop(self, *event_ids: str) -> Village:
        self.events = [e for e in self.events if e.id not in event_ids]
        return self

    def first(self, type_: str) -> RecordedEvent:
        return next(e for e in self.events if e.type == type_)

    # -- judging --------------------------------------------------------------
    def record(self) -> VillageRecord:
        return VillageRecord(Place(self.place, "thon"), list(self.events), dict(self.people))

    def judge(self, as_of: date = LATER, **kw: Any) -> dict[str, Any]:
        return judge(self.record(), as_of, **kw)

    def checks(self, rule: str, as_of: date = LATER, **kw: Any) -> list[dict[str, Any]]:
        return [c for c in self.judge(as_of, **kw)["checks"] if c["rule"] == rule]

    def status(self, rule: str, as_of: date = LATER, **kw: Any) -> str:
        """The one status of ``rule`` (the test expects a single occurrence)."""
        found = self.checks(rule, as_of, **kw)
        assert len(found) == 1, found
        return str(found[0]["status"])

    def statuses(self, rule: str, as_of: date = LATER) -> list[str]:
        return [c["status"] for c in self.checks(rule, as_of)]


def election(v: Village, *, nominee: str = "hung", other: str = "tuan", day: str = "2022-05-15",
             ordered: str = "2022-04-20", total: int = 142, attending: int = 118,
             votes: dict[str, int] | None = None, recognised: str | None = "2022-05-19",
             nominated: str = "2022-03-10") -> None:
    """Nomination, order, list, team, notice, count and recognition of one election."""
    for pid in ("hung", "tuan", "lan", "bay", "ro"):
        if pid not in v.people:
            v.person(pid, party=None if pid == "tuan" else "full")
    v.add("personnel.nominated", nominated, "cell", id="nominated", person=nominee)
    v.add("election.ordered", ordered, id="ordered", election_date=day, decision="35/QĐ-UBND")
    v.add("candidates.drafted", "2022-04-22", "village_front", id="drafted", candidates=[nominee, other])
    v.add("candidates.agreed", "2022-04-25", "cell", id="agreed", candidates=[nominee])
    v.add("candidates.finalised", "2022-04-28", "village_front", id="finalised", candidates=[nominee, other])
    v.add("election.team_formed", "2022-04-29", id="team", members=["lan", "bay", "ro"], leader="lan",
          decision="38/QĐ-UBND")
    v.add("election.notice_posted", "2022-05-06", id="notice", where="nhà văn hóa", how="loa")
    valid = attending - 3
    v.add("election.counted", day, "election_team", id="count", electorate="households", electorate_total=total,
          attending=attending, ballots_issued=attending, ballots_returned=attending, valid=valid, invalid=3,
          votes=votes if votes is not None else {nominee: 96, other: 19}, method="secret_ballot")
    if recognised:
        v.add("election.recognised", recognised, id="recognised", person=nominee, decision="52/QĐ-UBND")


def congress(v: Village, *, day: str = "2022-07-08", full: int = 11, summoned: int | None = None,
             excluded: dict[str, int] | None = None, secretary: str = "hung", deputy: str = "lan",
             member: str = "bay", report: str | None = "2022-07-12", approve: str | None = "2022-07-25",
             committee: bool = True) -> None:
    v.add("congress.held", day, "cell", id="held", full_members=full, probationary_members=1,
          summoned=summoned if summoned is not None else full,
          excluded=excluded if excluded is not None else {"absent_approved": 1}, present=10)
    common = {"separate": True, "secret": True, "ballots_full": 10, "ballots_probationary": 0}
    if committee:
        v.add("congress.counted", day, "cell", id="c-committee", office="committee", round=1, seats=3,
              votes={secretary: 10, deputy: 9, member: 8, "ro": 2}, **common)
    v.add("congress.counted", day, "cell", id="c-secretary", office="secretary", round=1, seats=1,
          votes={secretary: 9, deputy: 1}, **common)
    v.add("congress.counted", day, "cell", id="c-deputy", office="deputy", round=1, seats=1,
          votes={deputy: 8, member: 2}, **common)
    if report:
        v.add("congress.reported", report, "cell", id="reported")
    if approve:
        v.add("congress.approved", approve, "commune_party", id="approved", decision="112-QĐ/ĐU",
              secretary=secretary, deputy=deputy, committee=[secretary, deputy, member] if committee else [])


def bato(**election_kw: Any) -> Village:
    """A Ba Tơ village (vn-2008, party-2014, qn-bato-2022) that passes every rule."""
    v = Village(BATO)
    election(v, **election_kw)
    congress(v)
    return v


def ducpho() -> Village:
    """A Đức Phổ village (vn-2023, party-2024, qn-ducpho-2025) that passes every rule."""
    v = Village(DUCPHO)
    election(v, day="2025-03-16", ordered="2025-02-14", nominated="2025-01-10", recognised="2025-03-20")
    for event_id, on in (("drafted", "2025-02-17"), ("agreed", "2025-02-19"), ("finalised", "2025-02-24"),
                         ("team", "2025-02-28"), ("notice", "2025-03-05")):
        v.set(event_id, on)
    congress(v, day="2025-05-09", report="2025-05-13", approve="2025-05-28")
    return v
