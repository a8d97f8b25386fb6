"""Rule sets: versioned data (``data/sets/*.json``), chosen by dates and place, hashed.

A verdict names the sets it applied and ``sha256:`` of the RFC 8785 canonical JSON of
``{"calendar": <holiday data>, "rulesets": [<each applied set's data>]}``, so an
inspector re-running the same sets on the same record gets the same answer. The
canonical form comes from ``rfc8785`` directly (as ``ledger.signing.canonical_json``
does) to keep the check path free of the cryptography import.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import rfc8785

from ledger.rules.calendar import vn_calendar

SETS_DIR = Path(__file__).with_name("data") / "sets"
#: The order sets appear in a verdict: state election, party congress, pilot overlay.
KINDS = ("election", "congress", "pilot")


@dataclass(frozen=True)
class RuleSet:
    id: str
    version: int
    kind: str
    data: Mapping[str, Any]

    @property
    def rules(self) -> list[Mapping[str, Any]]:
        return list(self.data["rules"])

    def rule(self, rule_id: str) -> Mapping[str, Any]:
        for rule in self.data["rules"]:
            if rule["id"] == rule_id:
                return dict(rule)
        raise KeyError(rule_id)

    def in_force(self, *, district: str, election_day: date, congress_day: date) -> bool:
        cond: Mapping[str, str] = self.data["in_force"]
        day = congress_day if self.kind == "congress" else election_day
        if "district" in cond and cond["district"] != district:
            return False
        for key, test in (("election_before", "lt"), ("congress_before", "lt"),
                          ("election_from", "ge"), ("congress_from", "ge"),
                          ("election_until", "le")):
            if key in cond:
                bound = date.fromisoformat(cond[key])
                if (test == "lt" and not day < bound) or (test == "ge" and not day >= bound) \
                        or (test == "le" and not day <= bound):
                    return False
        return True


@cache
def all_sets() -> tuple[RuleSet, ...]:
    sets = []
    for path in sorted(SETS_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        sets.append(RuleSet(data["id"], int(data["version"]), data["kind"], data))
    return tuple(sets)


def get_set(set_id: str) -> RuleSet:
    for ruleset in all_sets():
        if ruleset.id == set_id:
            return ruleset
    raise KeyError(set_id)


def select(district: str, election_day: date, congress_day: date) -> list[RuleSet]:
    """One election set, one congress set, at most one pilot overlay — in that order.

    Kept per (district, days) for the loaded sets: villages share them, and loaded sets never change.
    """
    sets = all_sets()
    key = (district, election_day, congress_day)
    hit = _SELECTED.get(key)
    if hit is not None and hit[0] is sets:
        return list(hit[1])
    chosen = [s for s in sets if s.in_force(district=district, election_day=election_day, congress_day=congress_day)]
    chosen.sort(key=lambda s: (KINDS.index(s.kind), s.id))
    if len(_SELECTED) < 4096:
        _SELECTED[key] = (sets, tuple(chosen))
    return chosen


_SELECTED: dict[tuple[str, date, date], tuple[tuple[RuleSet, ...], tuple[RuleSet, ...]]] = {}


def digest(sets: Sequence[RuleSet]) -> str:
    """sha256 of the RFC 8785 form of the calendar and the sets' data.

    Memoised per identity of the objects hashed (held by the memo, so an identity cannot be
    reused): loaded data never changes, and the canonical form of the calendar is costly.
    """
    calendar = vn_calendar()
    key = (id(calendar), *(id(x) for x in sets))
    hit = _DIGESTS.get(key)
    if hit is not None and hit[0] is calendar and all(a is b for a, b in zip(hit[1], sets, strict=True)):
        return hit[2]
    payload: dict[str, Any] = {"calendar": calendar.data, "rulesets": [dict(x.data) for x in sets]}
    value = "sha256:" + hashlib.sha256(rfc8785.dumps(payload)).hexdigest()
    if len(_DIGESTS) < 256:
        _DIGESTS[key] = (calendar, tuple(sets), value)
    return value


_DIGESTS: dict[tuple[int, ...], tuple[Any, tuple[RuleSet, ...], str]] = {}
