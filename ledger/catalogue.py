"""Who may sign what, where each event is stored, which facts name people and earlier events.

The signer table is EVENTS.md's "Body kind → Signs" table, as data.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

BODY_KINDS: tuple[str, ...] = (
    "root",
    "district_standing",
    "commune_committee",
    "commune_front",
    "village_front",
    "election_team",
    "cell",
    "commune_party",
    "training_center",
    "inspection",
)

_SIGNS: dict[str, tuple[str, ...]] = {
    "root": ("body.enrolled", "place.registered"),
    "district_standing": ("waiver.granted", "body.enrolled", "attendance.planned", "attendance.reported"),
    "commune_committee": (
        "person.profiled",
        "election.ordered",
        "election.team_formed",
        "election.notice_posted",
        "election.recognised",
        "election.rerun_ordered",
        "head.acting_appointed",
        "head.removal_recognised",
    ),
    "commune_front": ("front.observation",),
    "village_front": ("candidates.drafted", "candidates.finalised", "front.head_chosen"),
    "election_team": ("election.counted",),
    "cell": (
        "person.profiled",
        "personnel.nominated",
        "candidates.agreed",
        "congress.held",
        "congress.counted",
        "congress.reported",
        "attendance.recorded",
    ),
    "commune_party": (
        "waiver.granted",  # from 2025-07-01 only (SIGNS_FROM)
        "congress.approved",
        "congress.annulled",
        "congress.appointed",
        "attendance.planned",
        "attendance.reported",
    ),
    "training_center": ("training.completed",),
    "inspection": ("inspection.finding",),
}
#: Types any body may sign (for itself, or about its own earlier events).
ANY_BODY: frozenset[str] = frozenset({"key.rotated", "key.revoked", "correction.recorded"})

SIGNERS: dict[str, frozenset[str]] = {}
for _kind, _types in _SIGNS.items():
    for _type in _types:
        SIGNERS.setdefault(_type, frozenset())
        SIGNERS[_type] = SIGNERS[_type] | {_kind}
for _type in ANY_BODY:
    SIGNERS[_type] = frozenset(BODY_KINDS)

EVENT_TYPES: frozenset[str] = frozenset(SIGNERS)

#: Signers of the table above entitled only from a date (the event's own date): RULES.md Q3 —
#: district standing committees were abolished on 2025-07-01, and a pilot waiver granted from
#: then on is accepted from the commune party committee (the rule-set data's ``grantors``).
SIGNS_FROM: dict[tuple[str, str], date] = {("commune_party", "waiver.granted"): date(2025, 7, 1)}
_DATED_TYPES = frozenset(t for _k, t in SIGNS_FROM)  # (every other type answered without a tuple: a row's cost)


def may_sign(kind: str, event_type: str, day: date) -> bool:
    """Whether a body of ``kind`` may sign an ``event_type`` dated ``day`` (EVENTS.md's table, RULES.md Q3)."""
    if kind not in SIGNERS.get(event_type, ()):
        return False
    if event_type not in _DATED_TYPES:
        return True
    since = SIGNS_FROM.get((kind, event_type))
    return since is None or day >= since


def signers_on(event_type: str, day: date) -> list[str]:
    """The body kinds that may sign an ``event_type`` dated ``day``, sorted."""
    return sorted(k for k in SIGNERS.get(event_type, ()) if may_sign(k, event_type, day))

#: Facts that hold one person id, a list of them, or a mapping keyed by them.
_PERSON_ONE = ("person", "leader", "secretary", "deputy", "member", "elected")
_PERSON_MANY = ("candidates", "members", "committee", "elected")
_PERSON_KEYS = ("votes",)
#: Objects inside facts that hold person references of their own: a correction's facts.
_NESTED = ("facts",)

#: Facts that name earlier events (by ledger hash, or in a dossier by dossier id), per type.
EVENT_REFS: dict[str, tuple[str, ...]] = {
    "correction.recorded": ("corrects",),
    "front.observation": ("about",),
    "inspection.finding": ("about",),
    "attendance.reported": ("attendance",),
}


def person_refs(event_type: str, facts: Mapping[str, Any]) -> Iterator[str]:
    """The person ids an event's facts refer to (the profiled person excepted)."""
    for _path, person in person_ref_paths(event_type, facts):
        yield person


def person_ref_paths(event_type: str, facts: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Each person reference with its path in the facts (``votes.p7``, ``candidates[1]``)."""
    if event_type == "person.profiled":
        return
    yield from _person_refs(facts, "", depth=1)


def _person_refs(facts: Mapping[str, Any], prefix: str, *, depth: int) -> Iterator[tuple[str, str]]:
    for name in _PERSON_ONE:
        value = facts.get(name)
        if isinstance(value, str):
            yield prefix + name, value
    for name in _PERSON_MANY:
        value = facts.get(name)
        if isinstance(value, list):
            yield from ((f"{prefix}{name}[{i}]", v) for i, v in enumerate(value) if isinstance(v, str))
    for name in _PERSON_KEYS:
        value = facts.get(name)
        if isinstance(value, dict):
            yield from ((f"{prefix}{name}.{k}", k) for k in value if isinstance(k, str))
    if depth:  # a correction's corrected facts, one level down and no deeper
        for name in _NESTED:
            value = facts.get(name)
            if isinstance(value, dict):
                yield from _person_refs(value, f"{prefix}{name}.", depth=depth - 1)


_REF_NAMES = frozenset((*_PERSON_ONE, *_PERSON_MANY, *_PERSON_KEYS, *_NESTED))


def add_person_refs(out: set[str], facts: Mapping[str, Any], depth: int = 1) -> None:
    """``person_refs`` of a non-profile event into a set, without paths — the views' hot path
    (tests/unit/test_village_read.py holds the two equal): only the facts named here are looked at."""
    for name in _REF_NAMES.intersection(facts):
        value = facts[name]
        if isinstance(value, str):
            if name in _PERSON_ONE:
                out.add(value)
        elif isinstance(value, list):
            if name in _PERSON_MANY:
                out.update(v for v in value if isinstance(v, str))
        elif isinstance(value, dict):
            if name in _PERSON_KEYS:
                out.update(k for k in value if isinstance(k, str))
            if depth and name in _NESTED:
                add_person_refs(out, value, depth - 1)


PERSON_STREAM_PREFIX = "person:"


def stream_of(event_type: str, place: str, body: str, facts: Mapping[str, Any]) -> str:
    """The aggregate (stream) an event is appended to."""
    if event_type in ("place.registered", "body.enrolled"):
        return str(facts["id"])
    if event_type in ("key.rotated", "key.revoked"):
        return str(facts["body"])
    if event_type == "person.profiled":
        return PERSON_STREAM_PREFIX + str(facts["person"])
    if event_type in ("attendance.planned", "attendance.reported"):
        return body
    return place
