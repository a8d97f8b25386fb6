#!/usr/bin/env python3
"""An outside tool's check of dantin's dossier and verdict formats.

Written from the shared contract alone -- docs/contracts/EVENTS.md (§Dossier,
§Verdict, the signer and fact tables) and docs/contracts/RULES.md (§2 rule sets,
§3-§5 rule IDs and the sets they belong to, §7 statuses) -- and not from dantin's
code, so that it fails where dantin's output departs from what an outside tool was
promised. Standard library only.

    python check_contract_formats.py dossier FILE...
    python check_contract_formats.py verdict FILE [--dossier FILE] [--as-of DATE]

Each problem is printed as ``LEVEL where: message (contract section)``. LEVEL is
``error`` for what the contract states; ``gap`` where the contract is silent or
inconsistent and dantin made a documented choice (docs/contract-formats.md lists them);
``note`` for what only the contract's examples show. Exit 1 if any error, else 0
(``--strict``: also on a gap).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

# --- The contract, transcribed -------------------------------------------------------

STATUSES = {"pass", "fail", "waived", "deviation", "pending", "not_applicable"}  # RULES §7
VERDICTS = {"violations", "incomplete", "compliant"}  # RULES §7
SAME_PERSON = {"secretary", "deputy", "committee", "outside", "non_member", "none"}  # §5

STATE_SETS = {"vn-2008", "vn-2023"}  # RULES §2
PARTY_SETS = {"party-2014", "party-2024"}
PILOT_SETS = {"qn-bato-2022", "qn-ducpho-2025"}
RULESETS = STATE_SETS | PARTY_SETS | PILOT_SETS
STATE_2023_FROM = dt.date(2023, 8, 15)
PARTY_2024_FROM = dt.date(2024, 10, 10)

# RULES §3-§5: the rule IDs and the sets each belongs to ("Sets" column).
_BOTH_STATE = STATE_SETS
RULE_SETS: dict[str, set[str]] = {
    "E-PLAN": {"vn-2023", "vn-2008"},  # "vn-2023 (vn-2008: same, medium)"
    "E-TEAM": _BOTH_STATE,
    "E-NOTICE": {"vn-2023"},
    "E-LIST": _BOTH_STATE,
    "E-QUORUM": _BOTH_STATE,
    "E-TALLY": _BOTH_STATE,
    "E-WINNER": _BOTH_STATE,
    "E-RECOGNISE": _BOTH_STATE,
    "E-REELECT": _BOTH_STATE,
    "E-STANDARD": _BOTH_STATE,
    "E-REMOVAL": {"vn-2023"},
    **{r: set(PARTY_SETS) for r in (
        "C-STRUCTURE", "C-SEPARATE", "C-ELIGIBLE", "C-WINNER", "C-ROUNDS",
        "C-REPORT", "C-APPROVE", "C-TERM")},
    "P-NOMINEE": set(PILOT_SETS),
    "P-CRITERIA": set(PILOT_SETS),
    "P-WAIVER": {"qn-bato-2022"},
    "P-LEAD-TIME": {"qn-bato-2022"},
    "P-ORDER": set(PILOT_SETS),
    "P-SAME-PERSON": set(PILOT_SETS),
    "P-ONE-DAY": set(PILOT_SETS),
    "P-TERM": set(PILOT_SETS),
}
# §6 attendance rules name no rule set; they are not part of a village's verdict.
ATTENDANCE_RULES = {"A-FREQUENCY", "A-REPORT", "A-PLAN", "A-ROTATE"}
# P-WAIVER in Đức Phổ: "report a waiver there as a deviation" -- the only status a
# P-WAIVER check of qn-ducpho-2025 may carry if it appears at all.
DUCPHO_WAIVER_STATUSES = {"deviation", "not_applicable"}
SAME_PERSON_ACCEPTED = {
    "qn-bato-2022": {"secretary", "deputy", "committee"},
    "qn-ducpho-2025": {"secretary", "deputy"},
}

# EVENTS.md: body kinds and the event types each signs.
BODY_KINDS = {
    "root", "district_standing", "commune_committee", "commune_front", "village_front",
    "election_team", "cell", "commune_party", "training_center", "inspection",
}
SIGNERS: dict[str, set[str]] = {
    "body.enrolled": {"root", "district_standing"},
    "place.registered": {"root"},
    "waiver.granted": {"district_standing"},  # after 2025-07-01 see RULES Q3
    "person.profiled": {"commune_committee", "cell"},
    "election.ordered": {"commune_committee"},
    "election.team_formed": {"commune_committee"},
    "election.notice_posted": {"commune_committee"},
    "election.recognised": {"commune_committee"},
    "election.rerun_ordered": {"commune_committee"},
    "head.acting_appointed": {"commune_committee"},
    "head.removal_recognised": {"commune_committee"},
    "front.observation": {"commune_front"},
    "candidates.drafted": {"village_front"},
    "candidates.finalised": {"village_front"},
    "front.head_chosen": {"village_front"},
    "election.counted": {"election_team"},
    "personnel.nominated": {"cell"},
    "candidates.agreed": {"cell"},
    "congress.held": {"cell"},
    "congress.counted": {"cell"},
    "congress.reported": {"cell"},
    "congress.approved": {"commune_party"},
    "congress.annulled": {"commune_party"},
    "congress.appointed": {"commune_party"},
    "training.completed": {"training_center"},
    "inspection.finding": {"inspection"},
    "key.rotated": BODY_KINDS,
    "key.revoked": BODY_KINDS,
    "correction.recorded": BODY_KINDS,
    "attendance.planned": {"district_standing", "commune_party"},  # or a province body
    "attendance.recorded": {"cell"},  # "the host cell"
    "attendance.reported": BODY_KINDS - {"root"},
}
WAIVER_SIGNERS_AFTER_Q3 = {"district_standing", "commune_party", "root"}
Q3_FROM = dt.date(2025, 7, 1)

EDUCATION = ["none", "tieu_hoc", "thcs", "thpt", "trung_cap", "cao_dang", "dai_hoc"]
THEORY = ["none", "so_cap", "trung_cap", "cao_cap"]
PARTY_STATUS = {"full", "probationary", "none"}
COURSES = {"party_work", "mass_mobilisation", "state_management", "role_head",
           "role_secretary", "pre_election"}
EXCLUDED_CAUSES = {"transferred", "exempt_absent", "suspended", "absent_approved"}

# Field kinds: "str", "int" (a whole number, not a bool), "date", "person", "persons",
# "bool", "votes", "any", a set (an enumeration), or ("opt", kind) for optional facts.
_P = "person"
FACTS: dict[str, dict[str, Any]] = {
    "person.profiled": {"person": _P},
    "personnel.nominated": {"person": _P},
    "waiver.granted": {"person": _P, "criteria": "criteria", "reason": "str",
                       "deadline": "date"},
    "election.ordered": {"election_date": "date", "decision": "str"},
    "candidates.drafted": {"candidates": "persons"},
    "candidates.agreed": {"candidates": "persons"},
    "candidates.finalised": {"candidates": "persons"},
    "election.team_formed": {"members": "persons", "leader": _P, "decision": "str"},
    "election.notice_posted": {"where": "any", "how": "any"},
    "election.counted": {
        "electorate": {"households", "voters"}, "electorate_total": "int",
        "attending": "int", "ballots_issued": "int", "ballots_returned": "int",
        "valid": "int", "invalid": "int", "votes": "votes",
        "method": {"show_of_hands", "secret_ballot"},
        "household_ballots": ("opt", "any"), "witnesses": ("opt", "any"),
        "received": ("opt", "date")},
    "election.recognised": {"person": _P, "decision": "str", "term_years": ("opt", "decimal")},
    "election.rerun_ordered": {"reason": "any", "new_date": "date"},
    "head.acting_appointed": {"person": _P, "until": "date"},
    "head.removal_recognised": {"person": _P, "cause": {"resigned", "recalled"},
                                "petition_share": ("opt", "decimal")},
    "front.head_chosen": {"person": _P},
    "congress.held": {"full_members": "int", "probationary_members": "int",
                      "summoned": "int", "excluded": "excluded", "present": "int"},
    "congress.counted": {"office": {"committee", "secretary", "deputy"}, "round": "int",
                         "seats": "int", "votes": "votes", "separate": "bool",
                         "secret": "bool", "ballots_full": "int",
                         "ballots_probationary": "int"},
    "congress.reported": {},
    "congress.approved": {"decision": "str", "secretary": ("null", _P),
                          "deputy": ("null", _P), "committee": ("null", "persons")},
    "congress.annulled": {"decision": "str", "reason": "any"},
    "congress.appointed": {"office": {"committee", "secretary", "deputy"}, "person": _P,
                           "decision": "str"},
    "training.completed": {"person": _P, "course": COURSES},
    "front.observation": {"about": "any", "finding": "any", "severity": "any"},
    "inspection.finding": {"about": "any", "finding": "any", "conclusion": "any"},
    "correction.recorded": {"corrects": "str", "reason": "any"},
    "attendance.planned": {}, "attendance.recorded": {}, "attendance.reported": {},
    "body.enrolled": {}, "place.registered": {}, "key.rotated": {}, "key.revoked": {},
}

PLACE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)*$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_VI_LETTERS = set("ăâđêôơưĂÂĐÊÔƠƯ")
_ENGLISH = re.compile(
    r"\b(the|of|and|needed|before|after|days?|months?|no record|not|has|is|was|votes?|"
    r"households?|members?|elected|recognised|missing|pending|none)\b")


@dataclasses.dataclass(frozen=True)
class Problem:
    level: str  # "error" | "gap" | "note"
    where: str
    message: str
    section: str

    def __str__(self) -> str:
        return f"{self.level} {self.where}: {self.message} ({self.section})"


class _Out:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def err(self, where: str, message: str, section: str) -> None:
        self.problems.append(Problem("error", where, message, section))

    def note(self, where: str, message: str, section: str) -> None:
        self.problems.append(Problem("note", where, message, section))

    def gap(self, where: str, message: str, section: str) -> None:
        self.problems.append(Problem("gap", where, message, section))


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or not DATE.match(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_vietnamese(text: str) -> bool:
    """Has a letter only Vietnamese uses, or a tone mark, and reads as no English."""
    decomposed = unicodedata.normalize("NFD", text)
    marked = any(c in _VI_LETTERS for c in text) or any(
        unicodedata.combining(c) for c in decomposed)
    return marked and len(_ENGLISH.findall(text.lower())) < 2


# --- Dossier ---------------------------------------------------------------------------


def check_dossier(doc: Any, where: str = "dossier") -> list[Problem]:
    out = _Out()
    sec = "EVENTS.md §Dossier"
    if not isinstance(doc, dict):
        out.err(where, "a dossier is a JSON object", sec)
        return out.problems
    if doc.get("dossier") != 1 or isinstance(doc.get("dossier"), bool):
        out.err(f"{where}.dossier", f"must be 1, is {doc.get('dossier')!r}", sec)
    village = doc.get("village")
    if not isinstance(village, dict):
        out.err(f"{where}.village", "missing or not an object", sec)
        village = {}
    for key in ("id", "name", "kind", "commune", "district", "province"):
        if not isinstance(village.get(key), str) or not village.get(key):
            out.err(f"{where}.village.{key}", "missing or not a string", sec)
    vid = village.get("id")
    if isinstance(vid, str) and not PLACE_ID.match(vid):
        out.err(f"{where}.village.id", f"{vid!r} is not dot-separated slugs",
                "EVENTS.md §Places and bodies")
    if "kind" in village and village.get("kind") not in {"thon", "tdp"}:
        out.err(f"{where}.village.kind", f"{village.get('kind')!r} not thon/tdp",
                "EVENTS.md §Places and bodies")
    person_ids: set[str] = set()
    for pw, person in _with_ids(out, where, doc, "people", "declared twice", person_ids, sec):
        _check_profile(out, pw, person)
    for ew, event in _with_ids(out, where, doc, "events", "used twice", set(), sec):
        _check_event(out, ew, event, person_ids)
    return out.problems


def _with_ids(out: _Out, where: str, doc: Mapping[str, Any], name: str, twice: str, seen: set[str],
              sec: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The objects of the list ``doc[name]``, each with its path; each one's ``id`` a string not seen
    before (added to ``seen``), else said (``twice``: how a repeated id is said)."""
    items = doc.get(name)
    if not isinstance(items, list):
        out.err(f"{where}.{name}", "missing or not a list", sec)
        return
    for i, item in enumerate(items):
        path = f"{where}.{name}[{i}]"
        if not isinstance(item, dict):
            out.err(path, "not an object", sec)
            continue
        iid = item.get("id")
        if not isinstance(iid, str) or not iid:
            out.err(f"{path}.id", "missing or not a string", sec)
        elif iid in seen:
            out.err(f"{path}.id", f"{iid!r} {twice}", sec)
        else:
            seen.add(iid)
        yield path, item


def _check_profile(out: _Out, pw: str, person: Mapping[str, Any]) -> None:
    sec = "EVENTS.md person.profiled"
    if "born" in person and _date(person["born"]) is None:
        out.err(f"{pw}.born", f"{person['born']!r} is not a YYYY-MM-DD date", sec)
    if "residence" in person and not (
            isinstance(person["residence"], str) and PLACE_ID.match(person["residence"])):
        out.err(f"{pw}.residence", "not a place id", sec)
    party = person.get("party")
    if party is not None:
        if not isinstance(party, dict) or party.get("status") not in PARTY_STATUS:
            out.err(f"{pw}.party", f"{party!r}: status must be full/probationary/none", sec)
        elif party.get("since") is not None and _date(party.get("since")) is None:
            out.err(f"{pw}.party.since", "not a YYYY-MM-DD date", sec)
    if "education" in person and person["education"] not in EDUCATION:
        out.err(f"{pw}.education", f"{person['education']!r} not in {EDUCATION}", sec)
    if "theory" in person and person["theory"] not in THEORY:
        out.err(f"{pw}.theory", f"{person['theory']!r} not in {THEORY}", sec)


def _check_kind(out: _Out, where: str, value: Any, kind: Any,
                person_ids: set[str]) -> None:
    sec = "EVENTS.md §The personnel process of one village"
    if isinstance(kind, tuple) and kind[0] in ("opt", "null"):
        if value is None:
            return
        kind = kind[1]
    if isinstance(kind, set):
        if value not in kind:
            out.err(where, f"{value!r} not one of {sorted(kind)}", sec)
    elif kind == "int":
        if not _is_int(value) or value < 0:
            out.err(where, f"{value!r} is not a whole number", sec)
    elif kind == "decimal":  # no type in the contract: a number, or (dantin) a decimal in a string
        if isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value):
            out.gap(where, f"{value!r}: a decimal written as a string", sec + " (no type given)")
        elif not isinstance(value, (int, float)) or isinstance(value, bool):
            out.err(where, f"{value!r} is not a number", sec)
    elif kind == "str":
        if not isinstance(value, str) or not value:
            out.err(where, f"{value!r} is not a non-empty string", sec)
    elif kind == "date":
        if _date(value) is None:
            out.err(where, f"{value!r} is not a YYYY-MM-DD date", sec)
    elif kind == "bool":
        if not isinstance(value, bool):
            out.err(where, f"{value!r} is not a boolean", sec)
    elif kind == "person":
        if not isinstance(value, str) or value not in person_ids:
            out.err(where, f"{value!r} is not a declared person id", sec)
    elif kind == "persons":
        if not isinstance(value, list):
            out.err(where, f"{value!r} is not a list of person ids", sec)
        else:
            for j, p in enumerate(value):
                _check_kind(out, f"{where}[{j}]", p, "person", person_ids)
    elif kind == "votes":
        if not isinstance(value, dict):
            out.err(where, "votes must map person id to count", sec)
        else:
            for p, n in value.items():
                _check_kind(out, f"{where}.{p}", p, "person", person_ids)
                _check_kind(out, f"{where}.{p}", n, "int", person_ids)
    elif kind == "criteria":
        if not isinstance(value, list) or not value or any(
                c not in ("education", "theory") for c in value):
            out.err(where, f"{value!r}: criteria are a list of education/theory", sec)
    elif kind == "excluded":
        if not isinstance(value, dict):
            out.err(where, "excluded must map cause to count", sec)
        else:
            for cause, n in value.items():
                _check_kind(out, f"{where}.{cause}", cause, EXCLUDED_CAUSES, person_ids)
                _check_kind(out, f"{where}.{cause}", n, "int", person_ids)


def _check_event(out: _Out, ew: str, event: Mapping[str, Any],
                 person_ids: set[str]) -> None:
    sec = "EVENTS.md §The personnel process of one village"
    etype = event.get("type")
    if etype not in FACTS:
        out.err(f"{ew}.type", f"unknown event type {etype!r}", sec)
        return
    day = _date(event.get("date"))
    if day is None:
        out.err(f"{ew}.date", f"{event.get('date')!r} is not a YYYY-MM-DD date", sec)
    by = event.get("by")
    signers = SIGNERS[etype]
    if etype == "waiver.granted" and day is not None and day >= Q3_FROM:
        signers = WAIVER_SIGNERS_AFTER_Q3
    if by not in signers:
        out.err(f"{ew}.by", f"{etype} is signed by {sorted(signers)}, not {by!r}",
                "EVENTS.md §Places and bodies (signer table)")
    for key, kind in FACTS[etype].items():
        optional = isinstance(kind, tuple) and kind[0] == "opt"
        if key not in event:
            gap = _GAPS.get((etype, key))
            if gap is not None and gap[0](event):
                out.gap(f"{ew}.{key}", f"{etype} without {key!r}: {gap[1]}", sec)
            elif not optional:
                out.err(f"{ew}.{key}", f"{etype} must carry {key!r}", sec)
            continue
        _check_kind(out, f"{ew}.{key}", event[key], kind, person_ids)
    if etype == "person.profiled":
        _check_profile(out, ew, event)


#: Facts the contract lists without "optional" that dantin leaves out in a documented case:
#: (type, fact) -> (when the omission is the documented case, why).
_GAPS: dict[tuple[str, str], tuple[Any, str]] = {
    **{("election.counted", k): (
        lambda e: e.get("method") == "show_of_hands",
        "a show of hands has no ballots (the contract lists the ballot figures for every count)")
       for k in ("ballots_issued", "ballots_returned", "valid", "invalid")},
    ("congress.held", "excluded"): (lambda e: True, "left out where nobody is excluded"),
    **{("congress.approved", k): (lambda e: True, "left out rather than null")
       for k in ("secretary", "deputy", "committee")},
}


# --- Verdict ---------------------------------------------------------------------------


def _pilot_for(village: str, district: str | None, election: dt.date | None) -> set[str]:
    """The pilot sets RULES §2 allows for this village and election date."""
    slugs = village.split(".")
    text = f"{village} {district or ''}".lower()
    bato = (len(slugs) > 1 and slugs[1] == "bato") or "ba tơ" in text
    ducpho = (len(slugs) > 1 and slugs[1] == "ducpho") or "đức phổ" in text
    if election is None:
        return {"", "qn-bato-2022"} if bato else ({"", "qn-ducpho-2025"} if ducpho else {""})
    if bato:
        return {"qn-bato-2022"} if 2022 <= election.year <= 2025 else {""}
    if ducpho:
        return {"qn-ducpho-2025"} if election.year >= 2025 else {""}
    return {""}


def _dossier_facts(dossier: Mapping[str, Any], as_of: dt.date | None) -> dict[str, Any]:
    """What a verdict of this dossier must show, read from the dossier alone."""
    events = [e for e in dossier.get("events", []) if isinstance(e, dict)]
    if as_of is not None:
        events = [e for e in events if (_date(e.get("date")) or dt.date.min) <= as_of]
    events.sort(key=lambda e: e.get("date") or "")
    of = lambda t: [e for e in events if e.get("type") == t]  # noqa: E731
    counts, congresses = of("election.counted"), of("congress.held")
    election = _date(counts[0]["date"]) if counts else None
    if election is None and of("election.ordered"):
        election = _date(of("election.ordered")[0].get("election_date"))
    head: str | None = None
    for e in events:
        if e.get("type") == "election.recognised":
            head = e.get("person")
        elif e.get("type") == "head.removal_recognised" and e.get("person") == head:
            head = None
    corrected = {e.get("corrects") for e in of("correction.recorded")}

    def winner(count: Mapping[str, Any]) -> bool:  # RULES §3 E-WINNER: votes * 2 > electorate_total
        total = count.get("electorate_total")
        return _is_int(total) and any(_is_int(n) and n * 2 > total for n in (count.get("votes") or {}).values())

    held = congresses[-1] if congresses else {}
    excluded = sum(n for n in (held.get("excluded") or {}).values() if _is_int(n))
    base = (held.get("summoned") or 0) - excluded if _is_int(held.get("summoned")) else None

    def elects(ballot: Mapping[str, Any]) -> bool:  # RULES §4 C-WINNER: votes * 2 > summoned - excluded
        return base is not None and any(_is_int(n) and n * 2 > base for n in (ballot.get("votes") or {}).values())

    approved = [e for e in events if e.get("type") == "congress.approved"]
    annulled = [e for e in events if e.get("type") == "congress.annulled"]
    return {
        "certain": not corrected,  # judged as recorded and as corrected alike
        "every_count_elects": bool(counts) and all(winner(c) for c in counts),
        "a_count_elects_nobody": any(not winner(c) for c in counts),
        "failed_secretary_rounds": sum(1 for b in of("congress.counted")
                                       if b.get("office") == "secretary" and not elects(b)),
        "approved": bool(approved) and not (annulled and annulled[-1].get("date", "") >= approved[-1].get(
            "date", "")),
        "nominee": (of("personnel.nominated") or [{}])[-1].get("person"),
        "election": election,
        "congress": _date(congresses[0]["date"]) if congresses else None,
        "counts": counts,
        "congress_ballots": of("congress.counted"),
        "congresses": congresses,
        "removals": of("head.removal_recognised"),
        "waivers": of("waiver.granted"),
        "head": head,
        "head_certain": not any(e.get("id") in corrected for e in events if e.get("type") in (
            "election.recognised", "head.removal_recognised")),
        "event_ids": {e.get("id") for e in dossier.get("events", []) if isinstance(e, dict)},
        "person_ids": {p.get("id") for p in dossier.get("people", []) if isinstance(p, dict)},
        "district": (dossier.get("village") or {}).get("district"),
        "village": (dossier.get("village") or {}).get("id"),
    }


def check_verdict(doc: Any, where: str = "verdict", *,
                  dossier: Mapping[str, Any] | None = None,
                  as_of: str | None = None) -> list[Problem]:
    """Check one verdict; with its dossier, also what the dossier determines."""
    out = _Out()
    sec = "EVENTS.md §Verdict"
    if not isinstance(doc, dict):
        out.err(where, "a verdict is a JSON object", sec)
        return out.problems
    for key in ("village", "rulesets", "ruleset_digest", "verdict", "same_person",
                "leadership", "checks"):
        if key not in doc:
            out.err(f"{where}.{key}", "missing", sec)
    village = doc.get("village")
    if not isinstance(village, str) or not PLACE_ID.match(village):
        out.err(f"{where}.village", f"{village!r} is not a place id", sec)
        village = ""
    # -- rule sets (RULES §2)
    rulesets = doc.get("rulesets")
    if not isinstance(rulesets, list) or not all(isinstance(r, str) for r in rulesets):
        out.err(f"{where}.rulesets", "not a list of rule set names", sec)
        rulesets = []
    unknown = [r for r in rulesets if r not in RULESETS]
    if unknown:
        out.err(f"{where}.rulesets", f"unknown rule sets {unknown}", "RULES.md §2")
    if len(set(rulesets)) != len(rulesets):
        out.err(f"{where}.rulesets", f"a set named twice: {rulesets}", "RULES.md §2")
    state = [r for r in rulesets if r in STATE_SETS]
    party = [r for r in rulesets if r in PARTY_SETS]
    pilot = [r for r in rulesets if r in PILOT_SETS]
    if len(state) != 1 or len(party) != 1 or len(pilot) > 1:
        out.err(f"{where}.rulesets",
                f"{rulesets}: one state set, one party set, at most one pilot", "RULES.md §2")
    order = {r: i for i, r in enumerate(sorted(STATE_SETS))}
    order.update({r: 10 + i for i, r in enumerate(sorted(PARTY_SETS))})
    order.update({r: 20 + i for i, r in enumerate(sorted(PILOT_SETS))})
    if rulesets != sorted(rulesets, key=lambda r: order.get(r, 99)):
        out.note(f"{where}.rulesets", f"{rulesets} not in the example's order "
                 "state, party, pilot", sec)
    digest = doc.get("ruleset_digest")
    if not isinstance(digest, str) or not DIGEST.match(digest):
        out.err(f"{where}.ruleset_digest", f"{digest!r} is not sha256:<64 hex>", sec)
    # -- checks
    checks = doc.get("checks")
    if not isinstance(checks, list):
        out.err(f"{where}.checks", "not a list", sec)
        checks = []
    seen: dict[str, list[Mapping[str, Any]]] = {}
    for i, check in enumerate(checks):
        cw = f"{where}.checks[{i}]"
        if not isinstance(check, dict):
            out.err(cw, "not an object", sec)
            continue
        for key in ("rule", "ruleset", "status", "events", "detail", "detail_vi"):
            if key not in check:
                out.err(f"{cw}.{key}", "missing", sec)
        rule, rset, status = check.get("rule"), check.get("ruleset"), check.get("status")
        cw = f"{cw}({rule})"
        if rule not in RULE_SETS:
            level = "attendance rule in a village verdict" if rule in ATTENDANCE_RULES \
                else "unknown rule ID"
            out.err(f"{cw}.rule", f"{level} {rule!r}", "RULES.md §3-§5")
        elif rset not in RULE_SETS[rule] and not (
                rule == "P-WAIVER" and rset == "qn-ducpho-2025"):
            out.err(f"{cw}.ruleset", f"{rule} belongs to {sorted(RULE_SETS[rule])}, "
                    f"not {rset!r}", "RULES.md §3-§5 (Sets column)")
        if rset not in rulesets:
            out.err(f"{cw}.ruleset", f"{rset!r} is not among the verdict's rulesets",
                    "RULES.md §7 (every check says which rule set it came from)")
        if status not in STATUSES:
            out.err(f"{cw}.status", f"{status!r} not one of {sorted(STATUSES)}",
                    "RULES.md §7")
        events = check.get("events")
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            out.err(f"{cw}.events", f"{events!r} is not a list of event ids", sec)
            events = []
        if status == "fail" and not events:
            out.err(f"{cw}.events", "a fail names no events",
                    "RULES.md §7 (every fail names the events that show it)")
        for key in ("detail", "detail_vi"):
            if key in check and not isinstance(check[key], str):
                out.err(f"{cw}.{key}", "not a string", sec)
        vi = check.get("detail_vi")
        if isinstance(vi, str):
            if not vi.strip():
                out.err(f"{cw}.detail_vi", "empty", sec)
            elif not is_vietnamese(vi):
                out.err(f"{cw}.detail_vi", f"does not read as Vietnamese: {vi!r}", sec)
        if rule == "P-SAME-PERSON" and status == "fail":
            out.err(f"{cw}.status", "P-SAME-PERSON is never a fail", "RULES.md §5")
        if rule == "P-WAIVER" and rset == "qn-ducpho-2025" and \
                status not in DUCPHO_WAIVER_STATUSES:
            out.err(f"{cw}.status", f"a waiver in Đức Phổ is a deviation, not {status!r}",
                    "RULES.md §5 P-WAIVER")
        if isinstance(rule, str):
            seen.setdefault(rule, []).append(check)
    for rs in rulesets:
        for rule, sets in RULE_SETS.items():
            if rs in sets and rule not in seen:
                out.err(f"{where}.checks", f"rule {rule} of applied set {rs} missing",
                        "EVENTS.md §Verdict (every rule of every applied set appears)")
    # -- overall verdict (RULES §7)
    statuses = [c.get("status") for c in checks if isinstance(c, dict)]
    expected = "violations" if "fail" in statuses else (
        "incomplete" if "pending" in statuses else "compliant")
    if doc.get("verdict") not in VERDICTS:
        out.err(f"{where}.verdict", f"{doc.get('verdict')!r} not one of {sorted(VERDICTS)}",
                "RULES.md §7")
    elif doc.get("verdict") != expected:
        out.err(f"{where}.verdict", f"is {doc.get('verdict')!r}; the checks make it "
                f"{expected!r}", "RULES.md §7")
    # -- same_person and leadership (RULES §5, EVENTS §Verdict)
    same = doc.get("same_person")
    if same not in SAME_PERSON:
        out.err(f"{where}.same_person", f"{same!r} not one of {sorted(SAME_PERSON)}",
                "RULES.md §5 P-SAME-PERSON")
    lead = doc.get("leadership")
    if not isinstance(lead, dict):
        out.err(f"{where}.leadership", "not an object", sec)
        lead = {}
    for key in ("head", "secretary", "deputy"):
        if key not in lead:
            out.err(f"{where}.leadership.{key}", "missing", sec)
        elif lead[key] is not None and not isinstance(lead[key], str):
            out.err(f"{where}.leadership.{key}", f"{lead[key]!r}: a person id or null", sec)
    committee = lead.get("committee")
    if not isinstance(committee, list) or not all(isinstance(p, str) for p in committee):
        out.err(f"{where}.leadership.committee", f"{committee!r}: a list of person ids", sec)
        committee = []
    head = lead.get("head")
    if same in SAME_PERSON:
        if (head is None) != (same == "none"):
            out.err(f"{where}.same_person", f"{same!r} with leadership.head {head!r} "
                    "('none' means no head recognised)", "RULES.md §5 P-SAME-PERSON")
        if head is not None:
            implied = {
                "secretary": head == lead.get("secretary"),
                "deputy": head == lead.get("deputy") and head != lead.get("secretary"),
                "committee": head in committee and head not in (
                    lead.get("secretary"), lead.get("deputy")),
            }
            if same in implied and not implied[same]:
                out.err(f"{where}.same_person", f"{same!r} but leadership is {lead}",
                        "RULES.md §5 P-SAME-PERSON")
            if same in ("outside", "non_member") and (
                    head in committee or head in (lead.get("secretary"), lead.get("deputy"))):
                out.err(f"{where}.same_person", f"{same!r} but the head is in the "
                        f"leadership {lead}", "RULES.md §5 P-SAME-PERSON")
    for sp in seen.get("P-SAME-PERSON", []):
        accepted = SAME_PERSON_ACCEPTED.get(sp.get("ruleset", ""), set())
        if sp.get("status") == "pass" and same not in accepted:
            out.err(f"{where}.checks(P-SAME-PERSON)", f"passes with same_person {same!r}; "
                    f"only {sorted(accepted)} pass in {sp.get('ruleset')}", "RULES.md §5")
    # -- against the dossier it judged
    if dossier is not None:
        _against_dossier(out, where, doc, seen, rulesets, dossier,
                         _date(as_of) if as_of else _date(doc.get("as_of")))
    return out.problems


def _against_dossier(out: _Out, where: str, doc: Mapping[str, Any],
                     seen: Mapping[str, list[Mapping[str, Any]]], rulesets: list[str],
                     dossier: Mapping[str, Any], as_of: dt.date | None) -> None:
    facts = _dossier_facts(dossier, as_of)
    sec = "EVENTS.md §Verdict"
    if doc.get("village") != facts["village"]:
        out.err(f"{where}.village", f"{doc.get('village')!r}, the dossier's is "
                f"{facts['village']!r}", sec)
    election, congress = facts["election"], facts["congress"]
    if election is not None:
        want = "vn-2023" if election >= STATE_2023_FROM else "vn-2008"
        if want not in rulesets:
            out.err(f"{where}.rulesets", f"election day {election} calls for {want}",
                    "RULES.md §2")
    if congress is not None:
        want = "party-2024" if congress >= PARTY_2024_FROM else "party-2014"
        if want not in rulesets:
            out.err(f"{where}.rulesets", f"congress day {congress} calls for {want}",
                    "RULES.md §2")
    pilots = _pilot_for(str(doc.get("village") or ""), facts["district"], election)
    have = next((r for r in rulesets if r in PILOT_SETS), "")
    if have not in pilots:
        out.err(f"{where}.rulesets", f"pilot {have or 'none'!r}; the village and dates "
                f"call for {sorted(p or 'none' for p in pilots)}", "RULES.md §2")
    for rule, found in seen.items():
        for check in found:
            for e in check.get("events") or []:
                if e not in facts["event_ids"]:
                    out.err(f"{where}.checks({rule}).events", f"{e!r} is not a dossier "
                            "event id", "EVENTS.md §Verdict (a dossier's own ids)")
    lead = doc.get("leadership") or {}
    for key in ("head", "secretary", "deputy"):
        if lead.get(key) is not None and lead[key] not in facts["person_ids"]:
            out.err(f"{where}.leadership.{key}", f"{lead[key]!r} is not a dossier person id",
                    "EVENTS.md §Verdict (a dossier's own ids)")
    for p in lead.get("committee") or []:
        if p not in facts["person_ids"]:
            out.err(f"{where}.leadership.committee", f"{p!r} is not a dossier person id",
                    "EVENTS.md §Verdict (a dossier's own ids)")
    if facts["head_certain"] and lead.get("head") != facts["head"]:
        out.err(f"{where}.leadership.head", f"{lead.get('head')!r}; the commune last "
                f"recognised {facts['head']!r}", "EVENTS.md §Verdict (head as recorded)")
    # exactly once per occurrence: one E-WINNER per count, one C-WINNER per ballot
    per = {"E-WINNER": facts["counts"], "C-WINNER": facts["congress_ballots"]}
    for rule, occurrences in per.items():
        if not any(rule in RULE_SETS and rs in RULE_SETS[rule] for rs in rulesets):
            continue
        n = len(seen.get(rule, []))
        if occurrences and n != len(occurrences):
            out.err(f"{where}.checks", f"{rule} appears {n} times for "
                    f"{len(occurrences)} occurrences", "EVENTS.md §Verdict (exactly once "
                    "per occurrence)")
        if not occurrences and n > 1:
            out.err(f"{where}.checks", f"{rule} appears {n} times with nothing to judge",
                    "EVENTS.md §Verdict")
    # not_applicable where the situation never arises (RULES §7)
    never = {
        "E-REMOVAL": not facts["removals"],
        "C-TERM": len(facts["congresses"]) < 2,
    }
    for rule, absent in never.items():
        for check in seen.get(rule, []):
            if absent and check.get("status") != "not_applicable":
                out.err(f"{where}.checks({rule})", f"{check.get('status')!r}; the situation "
                        "never arises in the record", "RULES.md §7 (not_applicable)")
    if facts["certain"]:
        arises = {
            "E-REELECT": facts["a_count_elects_nobody"],
            "C-ROUNDS": facts["failed_secretary_rounds"] >= 3,
        }
        for rule, arisen in arises.items():
            for check in seen.get(rule, []):
                if arisen is False and check.get("status") != "not_applicable":
                    out.err(f"{where}.checks({rule})", f"{check.get('status')!r}; the situation never "
                            "arises in the record", "RULES.md §7 (not_applicable)")
                if arisen and check.get("status") == "not_applicable":
                    out.err(f"{where}.checks({rule})", "not_applicable, yet the situation arises",
                            "RULES.md §7 (not_applicable)")
    if facts["waivers"]:
        for check in seen.get("P-WAIVER", []):
            if check.get("status") == "not_applicable":
                out.err(f"{where}.checks(P-WAIVER)", "not_applicable, yet a waiver is recorded",
                        "RULES.md §7 (not_applicable)")
    same = doc.get("same_person")
    head = (doc.get("leadership") or {}).get("head")
    for check in seen.get("P-SAME-PERSON", []):
        accepted = SAME_PERSON_ACCEPTED.get(str(check.get("ruleset")), set())
        off_model = head is not None and facts["nominee"] is not None and head != facts["nominee"]
        if off_model or (facts["approved"] and same not in accepted):
            want = {"deviation"}
        elif facts["approved"]:
            want = {"pass"}
        else:
            want = {"pending"}
        if facts["certain"] and check.get("status") not in want:
            out.err(f"{where}.checks(P-SAME-PERSON)", f"{check.get('status')!r} with same_person {same!r}, "
                    f"head {head!r}, nominee {facts['nominee']!r}, congress approved: {facts['approved']}; "
                    f"the contract makes it {sorted(want)}", "RULES.md §5 P-SAME-PERSON")
    if not facts["waivers"]:
        for check in seen.get("P-WAIVER", []):
            if check.get("ruleset") == "qn-ducpho-2025" and check.get("status") not in (
                    "not_applicable",):
                out.err(f"{where}.checks(P-WAIVER)", "no waiver in Đức Phổ, yet "
                        f"{check.get('status')!r}", "RULES.md §5, §7")


# --- Command line ----------------------------------------------------------------------


def _load(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{path}: not a JSON file ({exc})") from None


def _print(problems: Iterable[Problem], failing: set[str]) -> int:
    errors = 0
    for p in problems:
        print(p)
        errors += p.level in failing
    return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 on a gap too")
    sub = parser.add_subparsers(dest="what", required=True)
    d = sub.add_parser("dossier")
    d.add_argument("files", nargs="+")
    v = sub.add_parser("verdict")
    v.add_argument("file")
    v.add_argument("--dossier")
    v.add_argument("--as-of")
    args = parser.parse_args(argv)
    if args.what == "dossier":
        problems = [p for f in args.files for p in check_dossier(_load(f), f)]
    else:
        dossier = _load(args.dossier) if args.dossier else None
        problems = check_verdict(_load(args.file), args.file, dossier=dossier,
                                 as_of=args.as_of)
    return _print(problems, {"error", "gap"} if args.strict else {"error"})


if __name__ == "__main__":
    sys.exit(main())
