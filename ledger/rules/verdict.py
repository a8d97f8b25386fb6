"""The verdict engine: one village's record and a date → EVENTS.md's verdict, as plain data.

``judge`` is pure and deterministic: the same record, date and rule-set data give the
same bytes. It reads the record **as of** the date (later events are not yet known) and
**as corrected** (each ``correction.recorded`` overrides the facts it names) unless
``as_recorded=True``, which judges the original facts. Checks come in the order of the
applied sets, each set's rules in their declared order, occurrences in record order.

Rule sets are chosen by dates and place (RULES.md §2): the state set by election day,
the party set by the congress date, the pilot by district and election day. Where a
date is not recorded yet, election day falls back to the congress date, then to the
first recorded event, then to the as-of date; the congress date falls back to election
day (the pilot holds the congress right after the election).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from ledger.rules import (
    congress_after,
    congress_ballot,
    election_after,
    election_count,
    election_prep,
    pilot_order,
    pilot_person,
)
from ledger.rules.finding import Rule
from ledger.rules.pilot_order import same_person
from ledger.rules.record import ProfileUpdate, VillageRecord, corrected
from ledger.rules.sets import RuleSet, digest, select
from ledger.rules.timeline import Context, build

RULES: dict[str, Rule] = {
    **election_prep.RULES, **election_count.RULES, **election_after.RULES,
    **congress_ballot.RULES, **congress_after.RULES, **pilot_person.RULES, **pilot_order.RULES,
}


def known(record: VillageRecord, as_of: date, *, as_recorded: bool = False) -> VillageRecord:
    """The record as it stood on ``as_of`` (and as corrected, unless ``as_recorded``).

    As corrected, the corrections dated by ``as_of`` are applied first and the events are then taken by their
    corrected dates: an event a correction dates after ``as_of`` is not yet known on ``as_of`` (a recognition
    dated 2022-05-08 by mistake, corrected to 2022-08-05, made nobody head in June), and one it dates back to
    ``as_of`` or before is (a decision mistyped a year ahead, corrected since)."""
    if as_recorded:
        events = [e for e in record.events if e.date <= as_of]
        profiles = {p: [u for u in ups if u.date is None or u.date <= as_of] for p, ups in record.profiles.items()}
    else:
        events = corrected([e for e in record.events if e.type != "correction.recorded" or e.date <= as_of])
        fixed = {e.id: e for e in events if e.corrected_by and e.type == "person.profiled"}
        events = [e for e in events if e.date <= as_of]
        profiles = {p: [u for u in ups if u.date is None or u.date <= as_of] for p, ups in record.profiles.items()} \
            if not fixed else {p: sorted((u for u in (_refreshed(u, fixed) for u in ups)
                                          if u.date is None or u.date <= as_of), key=_update_day)
                               for p, ups in record.profiles.items()}
    if type(record) is VillageRecord:  # ``replace``, without its generic machinery
        return VillageRecord(record.village, events, profiles)
    return replace(record, events=events, profiles=profiles)


def _update_day(update: ProfileUpdate) -> date:
    return update.date or date.min


def _refreshed(update: ProfileUpdate, fixed: dict[str, Any]) -> ProfileUpdate:
    event = fixed.get(update.event or "")
    if event is None:
        return update
    return ProfileUpdate(event.date, {k: v for k, v in event.facts.items() if k != "person"}, event.id)


def selection_days(ctx: Context) -> tuple[date, date]:
    """(election day, congress day) that choose the rule sets; see the module's note for fallbacks."""
    congress = ctx.judged_congresses[-1].day if ctx.judged_congresses else None
    main = ctx.main.day if ctx.main else None
    first = ctx.events[0].date if ctx.events else None
    election_day = main or congress or first or ctx.as_of
    return election_day, congress or election_day


def applied_sets(ctx: Context) -> list[RuleSet]:
    election_day, congress_day = selection_days(ctx)
    return select(ctx.record.village.district, election_day, congress_day)


def overall(statuses: list[str]) -> str:
    if "fail" in statuses:
        return "violations"
    return "incomplete" if "pending" in statuses else "compliant"


def judge(record: VillageRecord, as_of: date, *, as_recorded: bool = False) -> dict[str, Any]:
    """EVENTS.md §Verdict for ``record`` on ``as_of`` (plus ``as_of``, ``view`` and each check's ``confidence``)."""
    ctx = build(known(record, as_of, as_recorded=as_recorded), as_of)
    sets = applied_sets(ctx)
    checks = []
    for ruleset in sets:
        for rule in ruleset.rules:
            for finding in RULES[rule["id"]](ctx, rule):
                checks.append({
                    "rule": rule["id"], "ruleset": ruleset.id, "status": finding.status,
                    "events": list(finding.events), "detail": finding.detail, "detail_vi": finding.detail_vi,
                    "confidence": rule["confidence"],
                })
    return {
        "village": record.village.id,
        "as_of": as_of.isoformat(),
        "view": "as_recorded" if as_recorded else "as_corrected",
        "rulesets": [s.id for s in sets],
        "ruleset_digest": digest(sets),
        "verdict": overall([c["status"] for c in checks]),
        "same_person": same_person(ctx),
        "leadership": dict(ctx.leadership),
        "checks": checks,
    }
