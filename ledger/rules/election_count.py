"""Rules on each count of a village-head election (RULES.md §3): E-QUORUM, E-TALLY, E-WINNER.

One finding per ``election.counted``. The winner needs more than half of the **whole
electorate** (``electorate_total``), never of the votes cast or the valid ballots.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledger.rules.finding import Finding, bad, na, ok, refs, wait
from ledger.rules.record import RecordedEvent
from ledger.rules.text import UNIT, cap, half, num, pct
from ledger.rules.timeline import Context, Election


def counted(ctx: Context) -> list[Election]:
    return [e for e in ctx.elections if e.count is not None]


def number(facts: Mapping[str, Any], key: str) -> int | None:
    value = facts.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def votes_of(count: RecordedEvent) -> dict[str, int]:
    votes = count.facts.get("votes") or {}
    return {str(k): v for k, v in votes.items() if isinstance(v, int) and not isinstance(v, bool)}


def winner(count: RecordedEvent) -> str | None:
    """The one person above half of the electorate with the most votes; a tie at the top elects nobody."""
    total = number(count.facts, "electorate_total")
    if total is None:
        return None
    above = sorted(((v, p) for p, v in votes_of(count).items() if v * 2 > total), reverse=True)
    if not above or (len(above) > 1 and above[0][0] == above[1][0]):
        return None
    return above[0][1]


def claimed(el: Election) -> list[str]:
    """Whom the minutes declare elected (when they say) and whom the commune recognised after the count."""
    said = [el.count.facts.get("elected") if el.count else None]
    if el.action is not None and el.action.type == "election.recognised":
        said.append(el.action.facts.get("person"))
    return list(dict.fromkeys(str(p) for p in said if p))


def unit(count: RecordedEvent) -> tuple[str, str]:
    return UNIT.get(str(count.facts.get("electorate")), ("electors", "cử tri"))


def _stand(ctx: Context, count: RecordedEvent, person: str) -> tuple[str, str]:
    total = number(count.facts, "electorate_total") or 0
    got = votes_of(count).get(person, 0)
    en, vi = unit(count)
    return (f"{ctx.who(person)} has {num(got)} of {num(total)} {en} ({pct(got, total)}); "
            f"more than {half(total)} needed",
            f"ông/bà {ctx.who(person)} được {num(got, True)}/{num(total, True)} {vi} ({pct(got, total, True)}); "
            f"cần hơn {half(total, True)} {vi}")


def e_quorum(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """E-QUORUM: the meeting elects only if more than half of the electorate attends (200/400 fails)."""
    out = []
    for el in counted(ctx) or [Election("normal")]:
        count = el.count
        if count is None:
            out.append(wait((), "No count recorded yet", "Chưa có biên bản kiểm phiếu"))
            continue
        if count.facts.get("household_ballots"):
            out.append(na("Household-ballot count (no meeting): quorum does not apply",
                          "Lấy phiếu theo hộ (không họp): không xét số người dự họp"))
            continue
        kind, total, attending = count.facts.get("electorate"), number(count.facts, "electorate_total"), \
            number(count.facts, "attending")
        en, vi = unit(count)
        if kind not in p["electorate"]:
            allowed = ", ".join(p["electorate"])
            out.append(bad(refs(count), f"Electorate counted as {kind}; this rule set allows {allowed}",
                           f"Cử tri tính theo '{kind}'; bộ quy tắc này chỉ cho phép đại diện hộ gia đình"))
        elif total is None or attending is None:
            out.append(bad(refs(count), "Count minutes lack the electorate or attendance figure",
                           "Biên bản thiếu tổng số cử tri hoặc số người dự họp"))
        else:
            text = (f"{num(attending)} of {num(total)} {en} attended ({pct(attending, total)}); "
                    f"more than {half(total)} needed",
                    f"{num(attending, True)}/{num(total, True)} {vi} dự họp ({pct(attending, total, True)}); "
                    f"cần hơn {half(total, True)} {vi}")
            out.append(ok(refs(count), *text) if attending * 2 > total else bad(refs(count), *text))
    return out


def e_tally(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """E-TALLY: issued ≤ attending, returned ≤ issued, valid + invalid = returned, votes ≤ valid."""
    out = []
    for el in counted(ctx) or [Election("normal")]:
        if el.count is None:
            out.append(wait((), "No count recorded yet", "Chưa có biên bản kiểm phiếu"))
            continue
        out.append(_tally_one(el.count))
    return out


def _tally_one(count: RecordedEvent) -> Finding:
    f = count.facts
    household = bool(f.get("household_ballots"))
    limit_key = "electorate_total" if household else "attending"
    names = (limit_key, "ballots_issued", "ballots_returned", "valid", "invalid")
    values = {k: number(f, k) for k in names}
    cast = sum(votes_of(count).values())
    if f.get("method") == "show_of_hands" and values["ballots_issued"] is None:
        limit = values[limit_key]
        if limit is not None and cast <= limit:
            return ok(refs(count), f"Show of hands: {num(cast)} votes of {num(limit)} present",
                      f"Biểu quyết giơ tay: {num(cast, True)} phiếu/{num(limit, True)} người có mặt")
        return bad(refs(count), f"Show of hands: {num(cast)} votes exceed the {num(limit or 0)} present",
                   f"Biểu quyết giơ tay: {num(cast, True)} phiếu nhiều hơn {num(limit or 0, True)} người có mặt")
    lacking = [k for k, v in values.items() if v is None]
    if lacking:
        return bad(refs(count), f"Count minutes lack {', '.join(lacking)}",
                   f"Biên bản kiểm phiếu thiếu số liệu: {', '.join(lacking)}")
    a, i, r, v, x = (int(values[k] or 0) for k in names)
    who = "households" if household else "attending"
    who_vi = "số hộ" if household else "số người dự"
    # Each test's texts are written only when it fails (most counts add up).
    wrong: list[tuple[str, str]] = []
    if not i <= a:
        wrong.append((f"ballots issued {num(i)} > {who} {num(a)}",
                      f"phiếu phát ra {num(i, True)} > {who_vi} {num(a, True)}"))
    if not r <= i:
        wrong.append((f"ballots returned {num(r)} > issued {num(i)}",
                      f"phiếu thu vào {num(r, True)} > phát ra {num(i, True)}"))
    if v + x != r:
        wrong.append((f"valid {num(v)} + invalid {num(x)} ≠ returned {num(r)}",
                      f"hợp lệ {num(v, True)} + không hợp lệ {num(x, True)} ≠ thu vào {num(r, True)}"))
    if not cast <= v:
        wrong.append((f"votes for the seat {num(cast)} > valid ballots {num(v)}",
                      f"tổng số phiếu bầu {num(cast, True)} > phiếu hợp lệ {num(v, True)}"))
    if wrong:
        return bad(refs(count), "Count minutes do not add up: " + "; ".join(en for en, _ in wrong),
                   "Biên bản kiểm phiếu không khớp: " + "; ".join(vi for _, vi in wrong))
    return ok(refs(count), f"Issued {num(i)}, returned {num(r)} = valid {num(v)} + invalid {num(x)}; "
                           f"{num(cast)} votes for the seat",
              f"Phát ra {num(i, True)}, thu vào {num(r, True)} = hợp lệ {num(v, True)} + không hợp lệ "
              f"{num(x, True)}; {num(cast, True)} phiếu bầu")


def later_recognitions(ctx: Context) -> dict[int, list[RecordedEvent]]:
    """Recognitions that are no count's own decision, by ``id`` of the count they follow (the last before them).

    A second ``election.recognised`` after a vote's decision recognises someone on that vote too.
    """
    actions = {id(e.action) for e in ctx.elections if e.action is not None}
    counts = [e.count for e in counted(ctx) if e.count is not None]
    out: dict[int, list[RecordedEvent]] = {}
    for rec in ctx.of_type("election.recognised"):
        if id(rec) in actions:
            continue
        before = [c for c in counts if ctx.position(c) < ctx.position(rec)]
        if before:
            out.setdefault(id(before[-1]), []).append(rec)
    return out


def e_winner(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """E-WINNER: the person declared or recognised has more than half of the whole electorate."""
    out = []
    later = later_recognitions(ctx)
    for el in counted(ctx) or [Election("normal")]:
        count = el.count
        if count is None:
            out.append(wait((), "No count recorded yet", "Chưa có biên bản kiểm phiếu"))
            continue
        won = winner(count)
        also = later.get(id(count), [])
        said = dict.fromkeys([*claimed(el), *(str(r.facts.get("person")) for r in also if r.facts.get("person"))])
        wrong = [p for p in said if p != won]
        if wrong:
            stands = [_stand(ctx, count, p) for p in wrong]
            out.append(bad(refs(count, el.action, *also),
                           "Declared or recognised without more than half of the electorate: "
                           + "; ".join(en for en, _ in stands),
                           "Được tuyên bố trúng cử hoặc công nhận khi không đạt quá nửa tổng số: "
                           + "; ".join(vi for _, vi in stands)))
        elif won is not None:
            en, vi = _stand(ctx, count, won)
            out.append(ok(refs(count, el.action, *also), cap(en), cap(vi)))
        else:
            en, vi = _nobody(ctx, count)
            out.append(ok(refs(count), f"Nobody elected ({en}); a re-election must be ordered",
                          f"Không ai trúng cử ({vi}); phải tổ chức bầu lại"))
    return out


def _nobody(ctx: Context, count: RecordedEvent) -> tuple[str, str]:
    ranked = sorted(votes_of(count).items(), key=lambda kv: (-kv[1], kv[0]))
    if not ranked:
        return "no votes recorded", "không có phiếu bầu"
    total = number(count.facts, "electorate_total") or 0
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1] and ranked[0][1] * 2 > total:
        tied = [p for p, v in ranked if v == ranked[0][1]]
        names = ", ".join(ctx.who(p) for p in tied)
        return (f"tie at the top: {names} have {num(ranked[0][1])} each",
                f"bằng phiếu cao nhất: {names} cùng được {num(ranked[0][1], True)} phiếu")
    return _stand(ctx, count, ranked[0][0])


RULES = {"E-QUORUM": e_quorum, "E-TALLY": e_tally, "E-WINNER": e_winner}
