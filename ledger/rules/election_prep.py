"""Rules for preparing a village-head election (RULES.md §3): E-PLAN, E-TEAM, E-NOTICE, E-LIST.

Each judges every normal election of the record (re-runs are ordered by the commune
after a failed count and follow their own timing: E-RECOGNISE, E-REELECT).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from ledger.rules.calendar import shift
from ledger.rules.finding import Finding, bad, missing, ok, refs, wait
from ledger.rules.record import RecordedEvent
from ledger.rules.text import d_en, d_vi
from ledger.rules.timeline import Context, Election


def _normal(ctx: Context) -> list[Election]:
    return [e for e in ctx.elections if e.kind == "normal"] or [Election("normal")]


def _timed(ctx: Context, el: Election, event: RecordedEvent | None, days: int, what: str, what_vi: str,
           extra: tuple[list[str], list[str]] = ([], [])) -> Finding:
    """``event`` is dated at least ``days`` days before the election day, and has no ``extra`` problems."""
    day = el.day
    if day is None:
        return wait(refs(event), f"{what}: election day not recorded yet", f"{what_vi}: chưa có ngày bầu cử")
    deadline = shift(day, -days)
    if event is None:
        return missing(ctx, deadline, refs(el.order, el.count), what, what_vi)
    lead = (day - event.date).days
    problems, problems_vi = list(extra[0]), list(extra[1])
    if lead < days:
        problems.insert(0, f"dated {d_en(event.date)}, {lead} days before election day {d_en(day)}; "
                           f"at least {days} needed")
        problems_vi.insert(0, f"ngày {d_vi(event.date)}, trước ngày bầu cử {d_vi(day)} {lead} ngày; "
                              f"cần ít nhất {days} ngày")
    if problems:
        return bad(refs(event, el.count), f"{what}: " + "; ".join(problems), f"{what_vi}: " + "; ".join(problems_vi))
    return ok(refs(event), f"{what} dated {d_en(event.date)}, {lead} days before election day {d_en(day)} "
                           f"(at least {days})",
              f"{what_vi} ngày {d_vi(event.date)}, trước ngày bầu cử {d_vi(day)} {lead} ngày (cần ít nhất {days})")


def _last(events: list[RecordedEvent]) -> RecordedEvent | None:
    return events[-1] if events else None


def e_plan(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """E-PLAN: the commune's decision (with its plan) ≥ 20 days before election day."""
    return [_timed(ctx, el, el.order, p["days_before"], "Decision to hold the election",
                   "Quyết định tổ chức bầu cử (kèm kế hoạch)") for el in _normal(ctx)]


def e_notice(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """E-NOTICE: the decisions posted and announced to the village ≥ 7 days before."""
    return [_timed(ctx, el, _last(el.prep_of("election.notice_posted")), p["days_before"],
                   "Public notice of the election", "Niêm yết, thông báo bầu cử") for el in _normal(ctx)]


def e_team(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """E-TEAM: election team formed ≥ 10 days before; leader among members; no candidate on it."""
    out = []
    for el in _normal(ctx):
        team = _last(el.prep_of("election.team_formed"))
        en: list[str] = []
        vi: list[str] = []
        if team is not None:
            members = [str(m) for m in team.facts.get("members") or []]
            leader = team.facts.get("leader")
            if not leader or str(leader) not in members:
                en.append(f"its leader {leader or '(none)'} is not named among its members")
                vi.append(f"tổ trưởng {leader or '(không ghi)'} không có trong danh sách thành viên")
            candidates = {str(c) for e in el.prep if e.type.startswith("candidates.")
                          for c in e.facts.get("candidates") or []}
            if el.count is not None:
                candidates |= {str(k) for k, v in (el.count.facts.get("votes") or {}).items() if v}
            clash = sorted(candidates & set(members))
            if clash:
                names = ", ".join(ctx.who(m) for m in clash)
                en.append(f"members who are candidates or received votes: {names}")
                vi.append(f"thành viên là ứng cử viên hoặc được phiếu bầu: {names}")
        out.append(_timed(ctx, el, team, p["days_before"], "Election team decision",
                          "Quyết định thành lập tổ bầu cử", (en, vi)))
    return out


def e_list(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """E-LIST: Ban CTMT drafts → the cell agrees (≥ 1) → Ban CTMT finalises, ≥ 15 days before."""
    return [_list_one(ctx, el, p) for el in _normal(ctx)]


def _list_one(ctx: Context, el: Election, p: Mapping[str, Any]) -> Finding:
    steps = [_last(el.prep_of(t)) for t in ("candidates.drafted", "candidates.agreed", "candidates.finalised")]
    _drafted, agreed, final = steps
    names = [("draft by the village Front committee", "Ban CTMT lập danh sách sơ bộ"),
             ("agreement of the party cell", "chi bộ (chi ủy) thống nhất giới thiệu"),
             ("official list", "Ban CTMT lập danh sách chính thức")]
    if final is None:
        what = "Official candidate list"
        if el.day is None:
            return wait(refs(*steps), f"{what}: election day not recorded yet",
                        "Danh sách ứng cử viên chính thức: chưa có ngày bầu cử")
        return missing(ctx, shift(el.day, -p["days_before"]), refs(*steps, el.order, el.count), what,
                       "Danh sách ứng cử viên chính thức")
    en: list[str] = []
    vi: list[str] = []
    for step, (name, name_vi) in zip(steps[:2], names[:2], strict=True):
        if step is None:
            en.append(f"no {name} recorded before the official list")
            vi.append(f"không có bước {name_vi} trước danh sách chính thức")
    present = [(s, n) for s, n in zip(steps, names, strict=True) if s is not None]
    for (a, (na_en, na_vi)), (b, (nb_en, nb_vi)) in itertools.pairwise(present):
        if ctx.position(a) > ctx.position(b):
            en.append(f"the {nb_en} ({d_en(b.date)}) came before the {na_en} ({d_en(a.date)})")
            vi.append(f"bước {nb_vi} ({d_vi(b.date)}) có trước bước {na_vi} ({d_vi(a.date)})")
    if agreed is not None and len(agreed.facts.get("candidates") or []) < p["min_agreed"]:
        en.append(f"the cell introduced fewer than {p['min_agreed']} candidate")
        vi.append(f"chi bộ giới thiệu ít hơn {p['min_agreed']} người")
    count, top = len(final.facts.get("candidates") or []), p["max_candidates"]
    if count < p["min_candidates"] or (top is not None and count > top):
        limit = f"{p['min_candidates']}–{top}" if top else f"at least {p['min_candidates']}"
        limit_vi = f"{p['min_candidates']}–{top}" if top else f"ít nhất {p['min_candidates']}"
        en.append(f"the official list has {count} candidates; {limit} allowed")
        vi.append(f"danh sách chính thức có {count} người; quy định {limit_vi} người")
    days = p["days_before"]
    if el.day is not None and (el.day - final.date).days < days:
        lead = (el.day - final.date).days
        en.append(f"official list dated {d_en(final.date)}, {lead} days before election day; at least {days} "
                  f"needed (medium confidence)")
        vi.append(f"danh sách chính thức ngày {d_vi(final.date)}, trước ngày bầu cử {lead} ngày; cần ít nhất "
                  f"{days} ngày (độ tin cậy trung bình)")
    if en:
        return bad(refs(*steps), "Candidate list: " + "; ".join(en), "Danh sách ứng cử viên: " + "; ".join(vi))
    listed = ", ".join(ctx.who(c) for c in final.facts.get("candidates") or [])
    return ok(refs(*steps), f"Draft, cell agreement and official list in order; official list of "
                            f"{d_en(final.date)}: {listed}",
              f"Đủ ba bước đúng thứ tự; danh sách chính thức ngày {d_vi(final.date)}: {listed}")


RULES = {"E-PLAN": e_plan, "E-TEAM": e_team, "E-NOTICE": e_notice, "E-LIST": e_list}
