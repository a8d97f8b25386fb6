"""One line of Vietnamese per event for the timeline: what the facts say, with people's names.

Only offices, names, counts, dates and decisions. Never what a profile says (ARCHITECTURE.md:
profiles are shown only to authorised readers): so nothing for a waiver (it names the
criteria a person falls short of) or a training (education), as the public verdict
(``api.village_views``) hides the explanations that quote them. A type without a summary shows none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from api.web.labels import CONGRESS_OFFICE_VI, SEVERITY_VI
from ledger.rules.record import as_date
from ledger.rules.text import d_vi, num

Names = Callable[[str], str]


def _people(values: Any, name: Names) -> str:
    if not isinstance(values, list) or not values:
        return "—"
    return ", ".join(name(str(v)) for v in values)


def _votes(votes: Any, name: Names) -> str:
    if not isinstance(votes, Mapping):
        return ""
    ranked = sorted(votes.items(), key=lambda kv: -int(kv[1]) if isinstance(kv[1], int) else 0)
    return "; ".join(f"{name(str(p))} {num(int(n), vi=True)}" for p, n in ranked if isinstance(n, int))


def _day(value: Any) -> str:
    day = as_date(value)
    return d_vi(day) if day else str(value or "?")


def _decision(facts: Mapping[str, Any]) -> str:
    return f" (QĐ số {facts['decision']})" if facts.get("decision") else ""


def summary(event_type: str, facts: Mapping[str, Any], name: Names) -> str:
    """A short Vietnamese line for the timeline; empty when there is nothing to add to the type."""
    f = facts
    person = name(str(f["person"])) if f.get("person") else "?"
    match event_type:
        case "personnel.nominated":
            return f"Giới thiệu {person}"
        case "candidates.drafted" | "candidates.agreed" | "candidates.finalised":
            return "Người ứng cử: " + _people(f.get("candidates"), name)
        case "election.ordered":
            return f"Ngày bầu cử {_day(f.get('election_date'))}{_decision(f)}"
        case "election.team_formed":
            members = f.get("members")
            count = len(members) if isinstance(members, list) else 0
            leader = name(str(f["leader"])) if f.get("leader") else "?"
            return f"Tổ trưởng {leader}; {count} thành viên{_decision(f)}"
        case "election.notice_posted":
            return " — ".join(str(f[k]) for k in ("where", "how") if f.get(k))
        case "election.counted":
            unit = "hộ" if f.get("electorate") == "households" else "cử tri"
            total, attending = f.get("electorate_total"), f.get("attending")
            head = f"Dự họp {attending}/{total} {unit}" if total is not None else ""
            votes = _votes(f.get("votes"), name)
            return head + (f"; phiếu bầu: {votes}" if votes else "")
        case "election.recognised":
            return f"Công nhận {person}{_decision(f)}"
        case "election.rerun_ordered":
            return f"Bầu lại ngày {_day(f.get('new_date'))}" + (f": {f['reason']}" if f.get("reason") else "")
        case "head.acting_appointed":
            return f"{person}, đến ngày {_day(f.get('until'))}"
        case "head.removal_recognised":
            cause = {"resigned": "xin thôi", "recalled": "bãi nhiệm"}.get(str(f.get("cause")), str(f.get("cause")))
            return f"{person} ({cause})"
        case "front.head_chosen":
            return f"Trưởng Ban công tác Mặt trận: {person}"
        case "congress.held":
            return (f"{f.get('full_members', '?')} đảng viên chính thức, {f.get('probationary_members', 0)} dự bị; "
                    f"có mặt {f.get('present', '?')}")
        case "congress.counted":
            office = CONGRESS_OFFICE_VI.get(str(f.get("office")), str(f.get("office")))
            return f"Bầu {office} lần {f.get('round', 1)}: {_votes(f.get('votes'), name)}"
        case "congress.approved":
            parts = [f"Bí thư {name(str(f['secretary']))}" if f.get("secretary") else "",
                     f"phó bí thư {name(str(f['deputy']))}" if f.get("deputy") else "",
                     f"chi ủy: {_people(f.get('committee'), name)}" if f.get("committee") else ""]
            return "; ".join(p for p in parts if p) + _decision(f)
        case "congress.annulled":
            return str(f.get("reason", "")) + _decision(f)
        case "congress.appointed":
            office = CONGRESS_OFFICE_VI.get(str(f.get("office")), str(f.get("office")))
            return f"Chỉ định {office}: {person}{_decision(f)}"
        case "front.observation":
            severity = SEVERITY_VI.get(str(f.get("severity")), str(f.get("severity")))
            return f"[{severity}] {f.get('finding', '')}"
        case "inspection.finding":
            return f"{f.get('finding', '')} — {f.get('conclusion', '')}"
        case "correction.recorded":
            return f"Đính chính: {f.get('reason', '')}"
    return ""
