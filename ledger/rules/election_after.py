"""Rules after a count (RULES.md §3): E-RECOGNISE, E-REELECT, E-STANDARD, E-REMOVAL."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from ledger.rules.calendar import add_working_days, age_on, shift, working_days_between
from ledger.rules.election_count import counted, winner
from ledger.rules.finding import Finding, bad, missing, na, ok, refs, wait
from ledger.rules.record import RecordedEvent, as_date
from ledger.rules.text import d_en, d_vi
from ledger.rules.timeline import Context, Election


def e_recognise(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """E-RECOGNISE: recognition (or a re-run order) ≤ 5 working days after the count or its receipt."""
    return [_recognise_one(ctx, el, p["working_days"]) for el in counted(ctx)] or [
        wait((), "No count recorded yet", "Chưa có biên bản kiểm phiếu")]


def _recognise_one(ctx: Context, el: Election, n: int) -> Finding:
    assert el.count is not None
    received = as_date(el.count.facts.get("received"))
    start = received if received and received >= el.count.date else el.count.date
    span = add_working_days(start, n)
    since = f"the count of {d_en(el.count.date)}" + (f" (received {d_en(received)})" if received else "")
    since_vi = f"ngày bầu cử {d_vi(el.count.date)}" + (f" (nhận biên bản {d_vi(received)})" if received else "")
    won = winner(el.count)
    want, want_vi = (("Recognition", "Quyết định công nhận") if won else
                     ("Re-election order", "Quyết định bầu lại"))
    if el.action is None:
        found = missing(ctx, span.end, refs(el.count), want, want_vi)
        return type(found)(found.status, found.events, found.detail + span.note, found.detail_vi + span.note_vi)
    act = el.action
    used = working_days_between(start, act.date)
    if won and act.type != "election.recognised":
        return bad(refs(el.count, act), f"{ctx.who(won)} won, but a re-election was ordered on {d_en(act.date)}",
                   f"Ông/bà {ctx.who(won)} đã trúng cử nhưng xã lại quyết định bầu lại ngày {d_vi(act.date)}")
    if not won and act.type == "election.recognised":
        return bad(refs(el.count, act), f"Nobody won, but the commune recognised {ctx.who(act.facts.get('person'))} "
                                        f"instead of ordering a re-election",
                   f"Không ai trúng cử nhưng xã công nhận {ctx.who(act.facts.get('person'))} thay vì cho bầu lại")
    en = f"{want} on {d_en(act.date)}: {used} working days after {since}; at most {n} (by {d_en(span.end)})"
    vi = f"{want_vi} ngày {d_vi(act.date)}: {used} ngày làm việc sau {since_vi}; tối đa {n} (hạn {d_vi(span.end)})"
    if act.date > span.end:
        return bad(refs(el.count, act), en + span.note, vi + span.note_vi)
    return ok(refs(el.count, act), en + span.note, vi + span.note_vi)


def e_reelect(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """E-REELECT: after a count that elected nobody, a re-election (vn-2008: held ≤ 15 days after)."""
    out = []
    elections = ctx.elections
    for i, el in enumerate(elections):
        if el.count is None or winner(el.count) is not None:
            continue
        rerun = next((e for e in elections[i + 1:] if e.kind == "rerun"), None)
        limit = p["days_after"]
        failed = el.count.date
        if limit is None:  # vn-2023: no time limit found — report the gap, never fail
            if rerun is not None:
                out.append(ok(refs(el.count, rerun.order), f"Re-election ordered for {d_en(rerun.day)}; no legal "
                                                           f"time limit found (gap reported)",
                              f"Đã quyết định bầu lại vào {d_vi(rerun.day)}; chưa tìm thấy thời hạn luật định"))
            else:
                out.append(wait(refs(el.count), "No re-election ordered yet; no legal time limit found, so this is "
                                                "reported, never failed",
                                "Chưa có quyết định bầu lại; chưa tìm thấy thời hạn luật định nên chỉ nêu, không "
                                "tính vi phạm"))
            continue
        deadline = shift(failed, limit)
        if rerun is None or rerun.count is None:
            out.append(missing(ctx, deadline, refs(el.count, rerun.order if rerun else None),
                               f"Re-election within {limit} days of the vote of {d_en(failed)}",
                               f"Bầu lại trong {limit} ngày kể từ ngày bầu {d_vi(failed)}"))
            continue
        gap = (rerun.count.date - failed).days
        text = (f"Re-election held {d_en(rerun.count.date)}, {gap} days after the vote of {d_en(failed)}; "
                f"at most {limit}",
                f"Bầu lại ngày {d_vi(rerun.count.date)}, sau {gap} ngày kể từ ngày bầu {d_vi(failed)}; "
                f"tối đa {limit} ngày")
        out.append(ok(refs(el.count, rerun.count), *text) if gap <= limit else bad(refs(el.count, rerun.count), *text))
    return out or [na("No count without a winner", "Không có lần bầu nào không có người trúng cử")]


def e_standard(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """E-STANDARD: the recognised head lives in the village and is ≥ 21 on election day."""
    recognitions = ctx.of_type("election.recognised")
    if not recognitions:
        return [wait((), "No head recognised yet", "Chưa có trưởng thôn được công nhận")]
    return [_standard_one(ctx, rec, p["min_age"]) for rec in recognitions]


def _standard_one(ctx: Context, rec: RecordedEvent, min_age: int) -> Finding:
    person = str(rec.facts.get("person"))
    el = next((e for e in ctx.elections if e.action is rec), ctx.main)
    day = (el.day if el else None) or rec.date
    profile = ctx.profile(person, day)
    born, residence = as_date(profile.get("born")), profile.get("residence")
    en: list[str] = []
    vi: list[str] = []
    if born is None:
        en.append("no birth date recorded")
        vi.append("không có ngày sinh trong hồ sơ")
    elif age_on(born, day) < min_age:
        en.append(f"aged {age_on(born, day)} on {d_en(day)}; at least {min_age} required")
        vi.append(f"{age_on(born, day)} tuổi vào ngày {d_vi(day)}; phải đủ {min_age} tuổi")
    if residence != ctx.record.village.id:
        en.append(f"residence {residence or '(not recorded)'} is not this village")
        vi.append(f"nơi cư trú {residence or '(không ghi)'} không phải thôn này")
    events = refs(rec, el.count if el else None)
    if en:
        return bad(events, f"{ctx.who(person)}: " + "; ".join(en), f"Ông/bà {ctx.who(person)}: " + "; ".join(vi))
    assert born is not None
    return ok(events, f"{ctx.who(person)}: resident, aged {age_on(born, day)} on election day {d_en(day)}",
              f"Ông/bà {ctx.who(person)}: cư trú tại thôn, {age_on(born, day)} tuổi vào ngày bầu cử {d_vi(day)}")


def _share(value: Any) -> Fraction | None:
    """A petition share, written as a decimal string ("0.52") since signed facts hold no floats."""
    try:
        return Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return None


def e_removal(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """E-REMOVAL: removal recognised ≤ 5 working days after the request; a new election ≤ 60 days after.

    A removal recorded before the term judged began, after the vote before it (``earlier_removals``),
    is judged here: its new election is this term's."""
    out = []
    for rem in [*ctx.earlier_removals, *ctx.of_type("head.removal_recognised")]:
        en: list[str] = []
        vi: list[str] = []
        share = _share(rem.facts["petition_share"]) if "petition_share" in rem.facts else None
        need = Fraction(p["petition_percent"], 100)
        if rem.facts.get("cause") == "recalled" and share is not None and share < need:
            en.append(f"petition by {float(share):.0%} of households; at least {p['petition_percent']}% needed")
            vi.append(f"kiến nghị của {float(share) * 100:.0f}% số hộ; cần ít nhất {p['petition_percent']}%")
        requested = as_date(rem.facts.get("requested"))
        if requested is not None:
            span = add_working_days(requested, p["working_days"])
            if rem.date > span.end:
                en.append(f"recognised {d_en(rem.date)}, after the deadline {d_en(span.end)}{span.note}")
                vi.append(f"công nhận ngày {d_vi(rem.date)}, quá hạn {d_vi(span.end)}{span.note_vi}")
        deadline = shift(rem.date, p["new_election_days"])
        after = next((e for e in ctx.elections if e.count and e.count.date > rem.date), None)
        if after is None or after.count is None:
            pending = missing(ctx, deadline, refs(rem), "New election after the removal", "Bầu trưởng thôn mới")
            if pending.status == "fail" or en:
                out.append(bad(refs(rem), "; ".join([*en, pending.detail]), "; ".join([*vi, pending.detail_vi])))
            else:
                out.append(pending)
            continue
        if after.count.date > deadline:
            en.append(f"new election {d_en(after.count.date)}, later than {p['new_election_days']} days")
            vi.append(f"bầu mới ngày {d_vi(after.count.date)}, quá {p['new_election_days']} ngày")
        events = refs(rem, after.count)
        if en:
            out.append(bad(events, "Removal: " + "; ".join(en), "Miễn nhiệm, bãi nhiệm: " + "; ".join(vi)))
        else:
            out.append(ok(events, f"Removal recognised {d_en(rem.date)}; new election {d_en(after.count.date)}",
                          f"Công nhận thôi làm trưởng thôn ngày {d_vi(rem.date)}; "
                          f"bầu mới ngày {d_vi(after.count.date)}"))
    return out or [na("No removal recorded", "Không có việc miễn nhiệm, bãi nhiệm")]


RULES = {"E-RECOGNISE": e_recognise, "E-REELECT": e_reelect, "E-STANDARD": e_standard, "E-REMOVAL": e_removal}
