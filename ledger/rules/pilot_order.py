"""The pilot's order and outcome (RULES.md §5): P-ORDER, P-SAME-PERSON, P-ONE-DAY, P-TERM."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from ledger.rules.calendar import add_months
from ledger.rules.finding import Finding, bad, ok, refs, wait
from ledger.rules.pilot_person import election_day
from ledger.rules.text import SAME_PERSON_VI, d_en, d_vi, num
from ledger.rules.timeline import Congress, Context

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAYS_VI = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def same_person(ctx: Context) -> str:
    """``secretary`` / ``deputy`` / ``committee`` / ``outside`` / ``non_member`` / ``none`` (RULES.md P-SAME-PERSON)."""
    lead = ctx.leadership
    head = lead["head"]
    if head is None or ctx.head_recognition is None:  # none recognised yet in this term
        return "none"
    for office in ("secretary", "deputy"):
        if head == lead[office]:
            return office
    if head in lead["committee"]:
        return "committee"
    status = (ctx.profile(head, None).get("party") or {}).get("status")
    return "outside" if status in ("full", "probationary") else "non_member"


def _congress(ctx: Context) -> Congress | None:
    judged = ctx.judged_congresses
    return judged[-1] if judged else None


def p_order(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """P-ORDER: the head is elected and recognised before the cell congress."""
    congress = _congress(ctx)
    recognitions = ctx.of_type("election.recognised")
    if congress is None:
        return [wait(refs(*recognitions[:1]), "The cell congress is not recorded yet", "Chưa có đại hội chi bộ")]
    before = [r for r in recognitions if r.date < congress.day]
    if before:
        return [ok(refs(before[0], congress.first), f"Head recognised {d_en(before[0].date)}, before the congress "
                                                   f"of {d_en(congress.day)}",
                   f"Công nhận trưởng thôn ngày {d_vi(before[0].date)}, "
                   f"trước đại hội chi bộ ngày {d_vi(congress.day)}")]
    later = recognitions[:1]
    when = f"only on {d_en(later[0].date)}" if later else "not at all"
    when_vi = f"đến ngày {d_vi(later[0].date)} mới công nhận" if later else "chưa công nhận trưởng thôn"
    return [bad(refs(congress.first, *later), f"Congress of {d_en(congress.day)} held before the head was recognised "
                                             f"({when})",
                f"Đại hội chi bộ ngày {d_vi(congress.day)} diễn ra trước khi công nhận trưởng thôn ({when_vi})")]


def p_same_person(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """P-SAME-PERSON: the recognised head is the nominee and becomes secretary (or an accepted office)."""
    outcome, nominee = same_person(ctx), ctx.nominee
    head = ctx.leadership["head"] if ctx.head_recognition is not None else None  # this term's head
    congress = _congress(ctx)
    decided = congress.decisions + congress.appointments if congress else []
    final = [e for e in decided if e.type != "congress.annulled"]
    annulled = congress is not None and any(d.type == "congress.annulled" for d in congress.decisions[-1:])
    head_event = ctx.head_recognition
    events = refs(head_event, *final[-1:])
    said = f"outcome: {outcome}"
    said_vi = SAME_PERSON_VI[outcome]
    if head is not None and head != nominee:
        return [Finding("deviation", events, f"Head {ctx.who(head)} is not the cell's nominee "
                                             f"({ctx.who(nominee) if nominee else 'none'}); {said}",
                        f"Trưởng thôn {ctx.who(head)} không phải người chi bộ giới thiệu "
                        f"({ctx.who(nominee) if nominee else 'không có'}); {said_vi}")]
    if not final or annulled:
        return [wait(events, f"Congress result not approved yet; {said}", f"Chưa có quyết định chuẩn y; {said_vi}")]
    if outcome in p["accepted"]:
        return [ok(events, f"\"Ý Đảng – lòng Dân là một\": {said}", f"Ý Đảng – lòng Dân là một: {said_vi}")]
    return [Finding("deviation", events, f"Off the pilot model: {said}; accepted {', '.join(p['accepted'])}",
                    f"Lệch mô hình thí điểm: {said_vi}")]


def p_one_day(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """P-ONE-DAY: the district's villages elect on one Sunday (Ba Tơ: 2022-05-15)."""
    main = ctx.main
    day = election_day(ctx)
    if main is None or day is None:
        return [wait((), "Election day not fixed yet", "Chưa có ngày bầu cử")]
    event = main.count or main.order
    said = "Election day" if main.count else "Planned election day"
    word_vi = "" if main.count else "dự kiến "
    want = WEEKDAYS.index(p["weekday"])
    en: list[str] = []
    vi: list[str] = []
    if day.weekday() != want:
        en.append(f"a {WEEKDAYS[day.weekday()].capitalize()}, not a {p['weekday'].capitalize()}")
        vi.append(f"là {WEEKDAYS_VI[day.weekday()]}, không phải {WEEKDAYS_VI[want]}")
    fixed = p.get("fixed_day")
    if fixed and day.isoformat() != fixed:
        en.append(f"not the district's election day {fixed}")
        vi.append(f"không trùng ngày bầu cử chung của huyện {d_vi(day.fromisoformat(fixed))}")
    if en:
        return [bad(refs(event), f"{said} {d_en(day)}: " + "; ".join(en),
                    f"Ngày bầu cử {word_vi}{d_vi(day)}: " + "; ".join(vi))]
    return [ok(refs(event), f"{said} {d_en(day)}, a {p['weekday'].capitalize()}"
                            + (" (the district's day)" if fixed else ""),
               f"Ngày bầu cử {word_vi}{d_vi(day)}, {WEEKDAYS_VI[want]}" + (" (ngày chung của huyện)" if fixed else ""))]


def _years(value: Any) -> Fraction | None:
    try:
        return Fraction(str(value).replace(",", "."))
    except (ValueError, ZeroDivisionError):
        return None


def p_term(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """P-TERM: a 2.5-year term, the congress within 6 months after the head's election."""
    head = ctx.head_recognition or next(iter(ctx.of_type("election.recognised")), None)
    el = next((e for e in ctx.elections if head is not None and e.action is head), ctx.main)
    day = el.day if el else None
    congress = _congress(ctx)
    if congress is None or day is None:
        return [wait(refs(head), "Pending until the congress and the election are recorded",
                     "Chờ có đại hội chi bộ và ngày bầu cử")]
    en: list[str] = []
    vi: list[str] = []
    limit = add_months(day, p["congress_within_months"])
    if not day <= congress.day <= limit:
        en.append(f"congress {d_en(congress.day)} not within {p['congress_within_months']} months after the election "
                  f"of {d_en(day)} (by {d_en(limit)})")
        vi.append(f"đại hội ngày {d_vi(congress.day)} không trong {p['congress_within_months']} tháng sau ngày bầu "
                  f"{d_vi(day)} (hạn {d_vi(limit)})")
    stated = head.facts.get("term_years") if head is not None else None
    term = Fraction(p["term_months"], 12)
    if stated is not None and _years(stated) != term:
        en.append(f"recognition states a term of {stated} years; {num(term)} expected")
        vi.append(f"quyết định công nhận ghi nhiệm kỳ {stated} năm; phải là {num(term, True)} năm")
    events = refs(head, el.count if el else None, congress.first)
    if en:
        return [bad(events, "Term: " + "; ".join(en), "Nhiệm kỳ: " + "; ".join(vi))]
    return [ok(events, f"Congress {d_en(congress.day)} within {p['congress_within_months']} months of the election "
                       f"of {d_en(day)}",
               f"Đại hội chi bộ ngày {d_vi(congress.day)}, trong {p['congress_within_months']} tháng sau ngày bầu "
               f"{d_vi(day)}")]


RULES = {"P-ORDER": p_order, "P-SAME-PERSON": p_same_person, "P-ONE-DAY": p_one_day, "P-TERM": p_term}
