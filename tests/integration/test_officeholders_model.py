"""Who holds a village office on a day: dantin's answers against a small model written from EVENTS.md alone.

Random but valid village histories are signed and stored through the real ledger (many villages in
one ledger, their events submitted out of date order, same-day events, corrections of dates and of
facts), then ``Views.leadership``, ``Views.officeholders``, the verdict's ``leadership``, the API
(``GET /v1/villages/{id}/leadership``, ``GET /v1/officeholders``) and ``dantin leadership|officeholders
--json`` are asked on many days (before anything, the day before, of and after each event, each acting
head's ``until``, far ahead) and compared with :func:`model_on`.

The model's reading of the contract (EVENTS.md; RULES.md E-RECOGNISE; where the contract is silent,
dantin's documented choice, README §7 and ``projections.leadership``):

- An event takes effect on its ``date`` (the day of the decision), whenever it was recorded; events of
  one day take effect in the order the ledger recorded them. A day's answer is the state after every
  event dated on or before it.
- ``head`` is the person the commune last recognised (``election.recognised``), less a recognised
  removal of that person (``head.removal_recognised``), EVENTS.md §Verdict. ``term_years`` does not end
  the office: the head stays until removed or another is recognised. An acting head does not end it
  either (the contract's ``leadership.head``): it is said beside it, as ``acting_head``.
- ``acting_head`` is the person of the last ``head.acting_appointed``, from its date to the day before its
  ``until`` (a tenure covers ``start <= day < end``); a later appointment of another person replaces it, a
  recognition (the election that fills the vacancy: "cho đến khi bầu được trưởng thôn mới") or a
  removal of that person ends it.
- ``secretary``, ``deputy`` and ``committee`` are those of the last ``congress.approved`` (null / empty
  leaves the office vacant), less everything an annulment (``congress.annulled``) ends, plus appointments
  (``congress.appointed``: a secretary or deputy replaces the holder, a committee member joins).
- ``front_head`` is the person of the last ``front.head_chosen``.
- "As corrected" (the default): each ``correction.recorded`` replaces the facts it names of its original
  from the start, its ``date`` the original's date; corrections of one event apply in log order. "As
  recorded" ignores them.
- ``since`` (officeholders): the first day of the holder's unbroken holding of that office up to the
  day asked (being recognised, approved or appointed again to an office one holds does not restart it).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from conftest import Backend, World

from ledger.signing import SigningKey
from projections.views import Views, public_officeholder

PARTY = "qng.bato.badien/commune_party"
PEOPLE = ("p1", "p2", "p3", "p4", "p5")
NAMES = {"p1": "Đinh Văn A", "p2": "Phạm Thị B", "p3": "Đinh Văn C", "p4": "Hồ Văn D", "p5": "Lê Thị E"}
START = date(2021, 1, 1)
TODAY = date(2026, 11, 22)
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

#: The offices of ``Views.leadership``'s answer.
OFFICES = ("head", "acting_head", "secretary", "deputy", "committee", "front_head")


# -- the model ----------------------------------------------------------------------------------------------------

@dataclass
class Ev:
    """One office event as generated (and as the model reads it)."""

    key: str
    type: str
    day: date
    facts: dict[str, Any]
    log: int = 0  # its position in the log (the order the ledger accepted it)
    hash: str = ""


@dataclass
class Fix:
    """A ``correction.recorded`` of ``target``: the facts (and maybe ``date``) it corrects."""

    target: str
    changes: dict[str, Any]
    day: date
    log: int = 0
    hash: str = ""


def effective(events: Sequence[Ev], fixes: Sequence[Fix], *, as_recorded: bool) -> list[tuple[date, int, str, dict]]:
    """The events with their corrections applied (unless ``as_recorded``), in the order they take effect."""
    now = {e.key: (e.day, dict(e.facts)) for e in events}
    if not as_recorded:
        for fix in sorted(fixes, key=lambda f: f.log):
            day, facts = now[fix.target]
            changes = dict(fix.changes)
            if "date" in changes:
                day = date.fromisoformat(changes.pop("date"))
            now[fix.target] = (day, {**facts, **changes})
    by_key = {e.key: e for e in events}
    out = [(day, by_key[k].log, by_key[k].type, facts) for k, (day, facts) in now.items()]
    return sorted(out, key=lambda x: (x[0], x[1]))


@dataclass
class State:
    """Holders of each office, person → the first day of their unbroken holding (and the acting head's end)."""

    held: dict[str, dict[str, date]] = field(default_factory=lambda: {o: {} for o in OFFICES})
    acting_until: date | None = None

    def keep(self, office: str, people: Iterable[str], day: date) -> None:
        before = self.held[office]
        self.held[office] = {p: before.get(p, day) for p in people}

    def expire(self, day: date) -> None:
        if self.acting_until is not None and self.acting_until <= day:
            self.held["acting_head"], self.acting_until = {}, None


def model_on(events: Sequence[tuple[date, int, str, dict]], day: date) -> State:
    state = State()
    for when, _, kind, facts in events:
        if when > day:
            break
        state.expire(when)
        person = facts.get("person")
        if kind == "election.recognised":
            state.keep("head", [person], when)
            state.held["acting_head"], state.acting_until = {}, None
        elif kind == "head.removal_recognised":
            state.held["head"].pop(person, None)
            if person in state.held["acting_head"]:
                state.held["acting_head"], state.acting_until = {}, None
        elif kind == "head.acting_appointed":
            until = date.fromisoformat(facts["until"])
            state.keep("acting_head", [person], when)
            state.acting_until = until
            state.expire(when)
        elif kind == "congress.approved":
            state.keep("secretary", [p for p in [facts.get("secretary")] if p], when)
            state.keep("deputy", [p for p in [facts.get("deputy")] if p], when)
            state.keep("committee", facts.get("committee") or [], when)
        elif kind == "congress.annulled":
            for office in ("secretary", "deputy", "committee"):
                state.held[office] = {}
        elif kind == "congress.appointed":
            office = facts["office"]
            if office == "committee":
                state.keep("committee", [*state.held["committee"], person], when)
            else:
                state.keep(office, [person], when)
        elif kind == "front.head_chosen":
            state.keep("front_head", [person], when)
    state.expire(day)
    return state


def offices_of(state: State) -> dict[str, Any]:
    """The model's answer in ``Views.leadership``'s ``offices`` shape."""
    def one(office: str) -> str | None:
        held = state.held[office]
        assert len(held) <= 1
        return next(iter(held), None)

    return {o: sorted(state.held[o]) if o == "committee" else one(o) for o in OFFICES}


def rows_of(village: str, state: State) -> set[tuple[str, str, str, str, bool]]:
    """The model's answer as ``GET /v1/officeholders`` items: (village, office, person, since, acting)."""
    out = set()
    for office, held in state.held.items():
        for person, since in held.items():
            acting = office == "acting_head"
            out.add((village, "head" if acting else office, person, since.isoformat(), acting))
    return out


# -- random histories ---------------------------------------------------------------------------------------------

def _day(rng: random.Random, days: list[date]) -> date:
    if days and rng.random() < 0.25:
        return rng.choice(days)  # the same day as another event
    return START + timedelta(days=rng.randrange(0, 1500))


def history(rng: random.Random, village: str) -> tuple[list[Ev], list[Fix]]:
    """A village's office events (not yet in log order) and corrections of some of them."""
    events: list[Ev] = []
    days: list[date] = []
    mentioned: list[str] = []

    def who() -> str:
        return rng.choice(mentioned) if mentioned and rng.random() < 0.6 else rng.choice(PEOPLE)

    for n in range(rng.randint(3, 14)):
        day = _day(rng, days)
        days.append(day)
        kind = rng.choices(["recognise", "remove", "acting", "approve", "annul", "appoint", "front"],
                           [4, 3, 3, 3, 1, 2, 1])[0]
        facts: dict[str, Any]
        if kind == "recognise":
            facts = {"person": who(), "decision": f"{n}/QĐ-UBND"}
            if rng.random() < 0.4:
                facts["term_years"] = rng.choice(["2.5", "5"])
            type_ = "election.recognised"
        elif kind == "remove":
            facts, type_ = {"person": who(), "cause": rng.choice(["resigned", "recalled"])}, "head.removal_recognised"
        elif kind == "acting":
            until = day + timedelta(days=rng.choice([1, 30, 90, 200]))
            days.append(until)
            facts, type_ = {"person": who(), "until": until.isoformat()}, "head.acting_appointed"
        elif kind == "approve":
            facts = {"decision": f"{n}-QĐ/ĐU", "committee": rng.sample(PEOPLE, rng.randint(0, 3))}
            for office in ("secretary", "deputy"):
                roll = rng.random()
                if roll < 0.75:
                    facts[office] = who()
                elif roll < 0.85:
                    facts[office] = None
            type_ = "congress.approved"
        elif kind == "annul":
            facts, type_ = {"decision": f"{n}-QĐ/ĐU", "reason": "Sai quy trình"}, "congress.annulled"
        elif kind == "appoint":
            facts = {"office": rng.choice(["secretary", "deputy", "committee"]), "person": who(),
                     "decision": f"{n}-QĐ/ĐU"}
            type_ = "congress.appointed"
        else:
            facts, type_ = {"person": who()}, "front.head_chosen"
        if "person" in facts:
            mentioned.append(facts["person"])
        facts["note"] = f"#{n}"  # no two statements the same (the ledger refuses a replay)
        events.append(Ev(f"{village}#{n}", type_, day, facts))
    fixes: list[Fix] = []
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        target = rng.choice(events)
        changes: dict[str, Any] = {}
        roll = rng.random()
        if roll < 0.3:
            moved = target.day + timedelta(days=rng.choice([-40, -1, 1, 3, 60]))
            changes["date"] = moved.isoformat()
            days.append(moved)
            if target.type == "head.acting_appointed" and date.fromisoformat(target.facts["until"]) <= moved:
                changes["until"] = (moved + timedelta(days=10)).isoformat()  # still a term of office
        elif target.type == "head.acting_appointed" and roll < 0.6:
            changes["until"] = (target.day + timedelta(days=rng.choice([2, 45, 400]))).isoformat()
        elif target.type == "congress.approved":
            office = rng.choice(["secretary", "deputy", "committee"])
            changes[office] = rng.sample(PEOPLE, rng.randint(0, 2)) if office == "committee" else rng.choice(
                [*PEOPLE, None])
        elif target.type == "congress.appointed" and roll < 0.6:
            changes["office"] = rng.choice(["secretary", "deputy", "committee"])
        elif "person" in target.facts:
            changes["person"] = rng.choice(PEOPLE)
        else:
            changes["reason"] = "Ghi lại lý do"
        # Mostly stated after the original's date; now and then before it (its date was mistyped ahead).
        stated = START + timedelta(days=rng.randrange(0, 1600))
        fixes.append(Fix(target.key, changes, stated if rng.random() < 0.2 else max(target.day, stated)))
    return events, fixes


def body_of(type_: str, village: str) -> str:
    if type_ in ("election.recognised", "head.removal_recognised", "head.acting_appointed"):
        return World.committee
    if type_.startswith("congress."):
        return PARTY
    return f"{village}/village_front"


# -- the world ---------------------------------------------------------------------------------------------------

@dataclass
class Village:
    id: str
    events: list[Ev]
    fixes: list[Fix]

    def effective(self, as_recorded: bool) -> list[tuple[date, int, str, dict]]:
        return effective(self.events, self.fixes, as_recorded=as_recorded)

    def days(self) -> list[date]:
        """The days to ask about: before anything, the day before, of and after every date, far ahead."""
        marks = {date(1900, 1, 2), TODAY, date(9999, 12, 30)}
        for as_recorded in (True, False):
            for day, _, _, facts in self.effective(as_recorded):
                marks.add(day)
                if "until" in facts:
                    marks.add(date.fromisoformat(facts["until"]))
        out = set()
        for day in marks:
            out.update((day - timedelta(days=1), day, day + timedelta(days=1)))
        return sorted(out)


def build(world: World, seed: int, villages: int) -> list[Village]:
    rng = random.Random(seed)
    key = SigningKey.generate()
    world.accept(world.enrolment(world.root, PARTY, "commune_party", "Đảng ủy xã Ba Điền", world.badien, key))
    world.keys[PARTY] = key
    world.accept(*[world.sign(world.committee, "person.profiled", world.badien,
                              {"person": p, "name": NAMES[p], "born": "1975-02-01"}, date="2020-12-01")
                   for p in PEOPLE])
    made: list[Village] = []
    for v in range(villages):
        village = f"{world.badien}.thon-{v}"
        world.accept(world.sign(world.root, "place.registered", village,
                                {"id": village, "name": f"Thôn {v}", "kind": "thon"}, date="2020-12-01"))
        front = f"{village}/village_front"
        key = SigningKey.generate()
        world.accept(world.enrolment(world.root, front, "village_front", f"Ban CTMT thôn {v}", village, key))
        world.keys[front] = key
        events, fixes = history(rng, village)
        if rng.random() < 0.7:
            rng.shuffle(events)  # recorded out of date order (late paperwork)
        else:
            events.sort(key=lambda e: e.day)
        made.append(Village(village, events, fixes))
    # Every village's events in one batch, then each round of corrections (a correction names its original).
    originals = [(v, e) for v in made for e in v.events]
    receipts = world.accept(*[world.sign(body_of(e.type, v.id), e.type, v.id, e.facts, date=e.day.isoformat())
                              for v, e in originals])
    for (_, e), receipt in zip(originals, receipts, strict=True):
        e.log, e.hash = receipt.index, receipt.hash
    by_key = {e.key: e for v in made for e in v.events}
    fixes = [(v, f) for v in made for f in v.fixes]
    rng.shuffle(fixes)
    receipts = world.accept(*[
        world.sign(body_of(by_key[f.target].type, v.id), "correction.recorded", v.id,
                   {"corrects": by_key[f.target].hash, "reason": f"Ghi nhầm ({i})",
                    "facts": f.changes}, date=f.day.isoformat())
        for i, (v, f) in enumerate(fixes)])
    for (_, f), receipt in zip(fixes, receipts, strict=True):
        f.log, f.hash = receipt.index, receipt.hash
    return made


def _seed() -> int:
    return int(os.environ.get("DANTIN_MODEL_SEED", "20261205"))


def story(v: Village, as_recorded: bool) -> str:
    """The village's events as they take effect, for a failure's message."""
    return "\n".join(f"    {day} #{log} {kind} {json.dumps({k: x for k, x in facts.items() if k != 'note'})}"
                     for day, log, kind, facts in v.effective(as_recorded))


# -- the comparisons ---------------------------------------------------------------------------------------------

class Differences:
    """The questions dantin answered otherwise than the model, each with its first few days."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.found: dict[str, list[str]] = {}

    def __call__(self, what: str, day: date, got: Any, want: Any) -> None:
        if got != want:
            self.found.setdefault(what, []).append(f"{day}: dantin {got!r}, model {want!r}")

    def report(self) -> str:
        return f"seed {self.seed} (DANTIN_MODEL_SEED): {len(self.found)} questions answered otherwise\n" + "\n".join(
            f"{what}\n  " + "\n  ".join(days[:3]) for what, days in list(self.found.items())[:8])


def known_on(v: Village, day: date, as_recorded: bool) -> list[tuple[date, int, str, dict]]:
    """The record as it stood on ``day`` (the verdict's reading): the corrections dated by then applied, the
    events (so corrected) dated by then. (``model_on`` leaves out those dated after ``day``.)"""
    return effective(v.events, [f for f in v.fixes if f.day <= day], as_recorded=as_recorded)


def mode(as_recorded: bool) -> str:
    return "as recorded" if as_recorded else "as corrected"


def _sample(rng: random.Random, days: list[date], n: int) -> list[date]:
    return sorted(rng.sample(days, min(n, len(days))))


@sqlite_only
def test_office_holders_on_any_day_agree_with_the_model(world: World, backend: Backend) -> None:
    from starlette.testclient import TestClient
    from typer.testing import CliRunner

    from api.app import create_app
    from api.settings import ApiSettings
    from cli.app import app

    seed = _seed()
    rng = random.Random(seed + 1)
    villages = build(world, seed, int(os.environ.get("DANTIN_MODEL_VILLAGES", "24")))
    views = Views(world.ledger, today=lambda: TODAY)
    views.catch_up()
    differ = Differences(seed)
    asked: dict[date, set[str]] = {}
    for v in villages:  # the views: every village, every day worth asking, both modes
        for as_recorded in (False, True):
            events = v.effective(as_recorded)
            for day in v.days():
                found = views.leadership(v.id, day, as_recorded=as_recorded)
                assert found is not None
                differ(f"{v.id} leadership {mode(as_recorded)}\n{story(v, as_recorded)}", day,
                       {o: found["offices"][o] for o in OFFICES}, offices_of(model_on(events, day)))
                if not as_recorded:
                    asked.setdefault(day, set()).add(v.id)
            for day in _sample(rng, v.days(), 6):  # the verdict's leadership: the record as it stood that day
                verdict = views.verdict(v.id, day, as_recorded=as_recorded)
                assert verdict is not None
                want = offices_of(model_on(known_on(v, day, as_recorded), day))
                differ(f"{v.id} verdict's leadership {mode(as_recorded)}\n{story(v, as_recorded)}", day,
                       {**verdict["leadership"], "committee": sorted(verdict["leadership"]["committee"])},
                       {o: want[o] for o in ("head", "secretary", "deputy", "committee")})

    def want_rows(day: date, ids: Iterable[str], office: str | None = None) -> set[tuple[Any, ...]]:
        wanted = set(ids)
        return {r for v in villages if v.id in wanted for r in rows_of(v.id, model_on(v.effective(False), day))
                if office is None or r[1] == office}

    def as_rows(items: Iterable[dict[str, Any]], ids: Iterable[str]) -> set[tuple[Any, ...]]:
        wanted = set(ids)
        return {(r["village"], r["office"], r["person"], r["since"], r["acting"]) for r in items
                if r["village"] in wanted}

    for day, ids in sorted(asked.items()):
        rows = [public_officeholder(r) for r in views.officeholders(world.badien, None, day, limit=100_000)]
        got, want = as_rows(rows, ids), want_rows(day, ids)
        for v in villages:
            if v.id in ids:
                differ(f"{v.id} officeholders\n{story(v, False)}", day, sorted(r for r in got - want if r[0] == v.id),
                       sorted(r for r in want - got if r[0] == v.id))
        differ("officeholders' names", day, {r["person"]: r["name"] for r in rows if r["name"] != NAMES[r["person"]]},
               {})
    assert not differ.found, differ.report()

    every = [v.id for v in villages]
    days = sorted(asked)
    backend.close()
    with TestClient(create_app(ApiSettings(directory=backend.directory))) as client:
        for v in villages:  # GET /v1/villages/{id}/leadership
            for as_recorded in (False, True):
                for day in _sample(rng, v.days(), 5):
                    answer = client.get(f"/v1/villages/{v.id}/leadership",
                                        params={"as_of": day.isoformat(), "as_recorded": str(as_recorded).lower()})
                    assert answer.status_code == 200, answer.text
                    body = answer.json()
                    assert body["as_of"] == day.isoformat() and body["mode"] == mode(as_recorded).replace(" ", "_")
                    differ(f"{v.id} GET leadership {mode(as_recorded)}\n{story(v, as_recorded)}", day,
                           {o: body["offices"][o] for o in OFFICES},
                           offices_of(model_on(v.effective(as_recorded), day)))
                    differ(f"{v.id} GET leadership's names", day, body["names"],
                           {p: NAMES[p] for p in body["names"]})
        for day in _sample(rng, days, 12):  # GET /v1/officeholders, page by page, every office then one
            for office in (None, rng.choice(["head", "secretary", "deputy", "committee", "front_head"])):
                items: list[dict[str, Any]] = []
                offset: int | None = 0
                while offset is not None:
                    params = {"place": world.badien, "as_of": day.isoformat(), "limit": "7", "offset": str(offset)}
                    page = client.get("/v1/officeholders", params={**params, **({"office": office} if office else {})})
                    assert page.status_code == 200, page.text
                    items += page.json()["items"]
                    offset = page.json()["next_offset"]
                differ(f"GET officeholders office={office}", day, sorted(as_rows(items, every)),
                       sorted(want_rows(day, every, office)))
    runner = CliRunner()
    for day in _sample(rng, days, 3):  # dantin leadership|officeholders --json
        for v in rng.sample(villages, 2):
            done = runner.invoke(app, ["leadership", str(backend.directory), v.id, "--as-of", day.isoformat(), "--json"])
            assert done.exit_code == 0, done.output
            differ(f"{v.id} dantin leadership --json\n{story(v, False)}", day,
                   {o: json.loads(done.stdout)["offices"][o] for o in OFFICES}, offices_of(model_on(v.effective(False), day)))
        done = runner.invoke(app, ["officeholders", str(backend.directory), world.badien, "--as-of", day.isoformat(),
                                   "--json"])
        assert done.exit_code == 0, done.output
        differ("dantin officeholders --json", day, sorted(as_rows(json.loads(done.stdout), every)),
               sorted(want_rows(day, every)))
    assert not differ.found, differ.report()


# -- asking about nothing, or wrongly --------------------------------------------------------------------------------

BAD_DAYS = ("15/5/2022", "2022-02-30", "20220101", "2022-W01-1", "2022-1-5", "", "0000-01-01", "10000-01-01",
            "2022-05-18T00:00", "2022-05-18 ")


@sqlite_only
def test_unknown_places_and_bad_days_are_said_in_vietnamese_with_a_stable_code(world: World, backend: Backend) -> None:
    from starlette.testclient import TestClient
    from typer.testing import CliRunner

    from api.app import create_app
    from api.settings import ApiSettings
    from cli.app import app

    [village] = build(world, 7, 1)
    backend.close()
    d, unknown = str(backend.directory), f"{world.badien}.khong-co"
    vietnamese = "ăâđêôơưáàảãạếềệốồộớờợúùủũụíìỉĩịýỳỷỹỵ"
    with TestClient(create_app(ApiSettings(directory=backend.directory))) as client:
        def problem(path: str, params: dict[str, str], status: int, code: str) -> None:
            answer = client.get(path, params=params)
            assert answer.status_code == status, (path, params, answer.text)
            assert answer.headers["content-type"] == "application/problem+json", answer.text
            body = answer.json()
            assert body["code"] == code and "Traceback" not in answer.text, body
            assert any(c in body["title"] + body["detail"] for c in vietnamese), body

        for day in ("0001-01-01", "1900-01-01", "9999-12-31"):  # before anything, far ahead: answered
            lead = client.get(f"/v1/villages/{village.id}/leadership", params={"as_of": day})
            assert lead.status_code == 200 and lead.json()["as_of"] == day
            assert lead.json()["offices"] == offices_of(model_on(village.effective(False), date.fromisoformat(day)))
            assert client.get("/v1/officeholders", params={"as_of": day}).status_code == 200
        assert client.get(f"/v1/villages/{village.id}/leadership", params={"as_of": "0001-01-01"}).json()[
            "offices"] == {"head": None, "acting_head": None, "secretary": None, "deputy": None, "committee": [],
                           "front_head": None}
        problem(f"/v1/villages/{unknown}/leadership", {}, 404, "not_found")
        problem(f"/v1/villages/{world.badien}/leadership", {}, 404, "not_found")  # a commune is no village
        for place in (unknown, "%", "qng.bat_", "qng.bato.badie_"):  # no place: not the places the SQL pattern matches
            problem("/v1/officeholders", {"place": place}, 404, "not_found")
        problem("/v1/officeholders", {"office": "acting_head"}, 400, "invalid_request")
        for day in BAD_DAYS:
            problem(f"/v1/villages/{village.id}/leadership", {"as_of": day}, 400, "invalid_request")
            problem("/v1/officeholders", {"as_of": day}, 400, "invalid_request")
    runner = CliRunner()

    def said(args: list[str], exit_code: int, code: str) -> None:
        done = runner.invoke(app, args)
        assert done.exit_code == exit_code, (args, done.output)
        assert done.exception is None or isinstance(done.exception, SystemExit), (args, done.exception)
        assert f"({code})" in done.output and "Traceback" not in done.output, (args, done.output)
        assert any(c in done.output for c in vietnamese), done.output

    for day in ("0001-01-01", "9999-12-31"):
        done = runner.invoke(app, ["leadership", d, village.id, "--as-of", day, "--json"])
        assert done.exit_code == 0 and json.loads(done.stdout)["as_of"] == day, done.output
        assert runner.invoke(app, ["officeholders", d, "--as-of", day, "--json"]).exit_code == 0
    said(["leadership", d, unknown], 1, "unknown_place")
    said(["leadership", d, world.badien], 1, "unknown_place")
    for place in (unknown, "%", "qng.bat_"):
        said(["officeholders", d, place], 1, "unknown_place")
    said(["officeholders", d, "--office", "acting_head"], 2, "usage")
    for day in BAD_DAYS:
        said(["leadership", d, village.id, "--as-of", day], 2, "usage")
        said(["officeholders", d, "--as-of", day], 2, "usage")


def test_a_place_spelled_as_a_pattern_is_no_place(world: World, backend: Backend) -> None:
    """``officeholders`` and ``villages`` matched the place asked with SQL LIKE as given: ``%`` was every village,
    ``qng.bat_`` those of qng.bato; the API answered 200 with them rather than 404 (and the CLI a table)."""
    [village] = build(world, 7, 1)
    views = Views(world.ledger, today=lambda: TODAY)
    views.catch_up()
    assert [r["village"] for r in views.villages(world.bato)] == [world.lang_ma, village.id] == [
        r["village"] for r in views.villages("")]
    assert {r["village"] for r in views.officeholders(world.bato, None, TODAY)} == {village.id}
    for place in ("%", "qng.bat_", "qng.bato.badie_", "qng.bato\\", "_"):
        assert views.officeholders(place, None, TODAY) == [] and views.villages(place) == []
