"""The pilot's nominee (RULES.md §5): P-NOMINEE, P-CRITERIA, P-WAIVER, P-LEAD-TIME."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ledger.rules.calendar import add_months, age_on
from ledger.rules.finding import Finding, bad, missing, na, ok, refs, wait
from ledger.rules.record import RecordedEvent, as_date
from ledger.rules.text import BODY_VI, LEVEL_VI, cap, d_en, d_vi
from ledger.rules.timeline import Context

#: EVENTS.md's scales, lowest first.
SCALES = {"education": ("none", "tieu_hoc", "thcs", "thpt", "trung_cap", "cao_dang", "dai_hoc"),
          "theory": ("none", "so_cap", "trung_cap", "cao_cap")}
CRITERION_VI = {"education": "trình độ học vấn", "theory": "trình độ lý luận chính trị", "age": "tuổi",
                "party": "đảng tịch"}


def election_day(ctx: Context) -> date | None:
    return ctx.main.day if ctx.main else None


def _election_refs(ctx: Context) -> tuple[str, ...]:
    return refs(ctx.main.count or ctx.main.order) if ctx.main else ()


def term_congress(ctx: Context) -> date | None:
    judged = ctx.judged_congresses
    return judged[-1].day if judged else None


def waivers(ctx: Context, person: str | None) -> list[RecordedEvent]:
    return [w for w in ctx.of_type("waiver.granted") if person is None or w.facts.get("person") == person]


def below(profile: Mapping[str, Any], criterion: str, minimum: str) -> bool:
    scale = SCALES[criterion]
    value = profile.get(criterion)
    return value not in scale or scale.index(value) < scale.index(minimum)


def shortfalls(ctx: Context, person: str, day: date, p: Mapping[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
    """(shortfalls no waiver can cover, as (en, vi); the waivable criteria below standard) on ``day``."""
    profile = ctx.profile(person, day)
    hard: list[tuple[str, str]] = []
    status = (profile.get("party") or {}).get("status")
    if status != p["party"]:
        hard.append((f"not a full party member ({status or 'not recorded'})",
                     f"không phải đảng viên chính thức ({status or 'không ghi'})"))
    born = as_date(profile.get("born"))
    if born is None:
        hard.append(("no birth date recorded", "không có ngày sinh"))
    elif age_on(born, day) > p["max_age"]:
        age = age_on(born, day)
        hard.append((f"aged {age} (over {p['max_age']})", f"{age} tuổi (quá {p['max_age']})"))
    return hard, below_standard(ctx, person, day, p)


def below_standard(ctx: Context, person: str, day: date, standard: Mapping[str, Any]) -> list[str]:
    """The waivable criteria (education, theory) the person's profile on ``day`` falls short of."""
    profile = ctx.profile(person, day)
    return [c for c in SCALES if below(profile, c, standard[f"min_{c}"])]


def _level(ctx: Context, person: str, day: date, criterion: str, vi: bool = True) -> str:
    value = str(ctx.profile(person, day).get(criterion) or "none")
    return LEVEL_VI[criterion].get(value, value) if vi else value


def p_nominee(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """P-NOMINEE: the cell nominates one party member, who is on the official candidate list."""
    day = election_day(ctx)
    nominations = ctx.of_type("personnel.nominated")
    if not nominations:
        return [missing(ctx, day, _election_refs(ctx), "The cell's nomination for village head",
                        "Chi bộ giới thiệu nhân sự trưởng thôn")]
    people = sorted({str(n.facts.get("person")) for n in nominations})
    if len(people) > 1:
        return [bad(refs(*nominations), f"The cell nominated several people: {', '.join(map(ctx.who, people))}",
                    f"Chi bộ giới thiệu nhiều người: {', '.join(map(ctx.who, people))}")]
    nominee, nomination = people[0], nominations[-1]
    lists = {t: ctx.main.prep_of(t)[-1] if ctx.main and ctx.main.prep_of(t) else None
             for t in ("candidates.agreed", "candidates.finalised")}
    final = lists["candidates.finalised"]
    if final is None:
        return [missing(ctx, day, refs(nomination), "Official candidate list with the nominee",
                        "Danh sách ứng cử viên chính thức có người được chi bộ giới thiệu")]
    absent = [e for e in lists.values() if e is not None and nominee not in map(str, e.facts.get("candidates") or [])]
    if absent:
        where = ", ".join(e.id for e in absent)
        return [bad(refs(nomination, *absent), f"Nominee {ctx.who(nominee)} missing from list {where}",
                    f"Người được chi bộ giới thiệu {ctx.who(nominee)} không có trong danh sách {where}")]
    return [ok(refs(nomination, final), f"The cell nominated {ctx.who(nominee)}, on the official list",
               f"Chi bộ giới thiệu ông/bà {ctx.who(nominee)}, có trong danh sách chính thức")]


def p_criteria(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """P-CRITERIA: full member, ≤ 65, education and theory standards, on election day."""
    nominee, day = ctx.nominee, election_day(ctx)
    if nominee is None:
        return [na("No nominee to judge", "Chưa có người được chi bộ giới thiệu")]
    if day is None:
        return [wait(refs(*ctx.of_type("personnel.nominated")), "Election day not fixed yet", "Chưa có ngày bầu cử")]
    hard, soft = shortfalls(ctx, nominee, day, p)
    covering = [w for w in waivers(ctx, nominee) if w.date < day and set(soft) <= set(w.facts.get("criteria") or [])]
    en = [h[0] for h in hard] + [f"{c} {_level(ctx, nominee, day, c, False)}, below {p[f'min_{c}']}" for c in soft]
    vi = [h[1] for h in hard] + [f"{CRITERION_VI[c]} {_level(ctx, nominee, day, c)}, chưa đạt "
                                 f"{LEVEL_VI[c][p[f'min_{c}']]}" for c in soft]
    events = refs(*ctx.of_type("personnel.nominated"))
    who = ctx.who(nominee)
    if not en:
        return [ok(events, f"{who} meets the pilot criteria on {d_en(day)}",
                   f"Ông/bà {who} đạt tiêu chuẩn thí điểm vào ngày {d_vi(day)}")]
    if not hard and covering:
        cover = covering[-1]
        return [Finding("waived", (*events, *refs(cover)), f"{who}: " + "; ".join(en) + f", waived by {cover.id}",
                        f"Ông/bà {who}: " + "; ".join(vi) + f", được miễn theo {cover.id}")]
    text = (f"{who} on {d_en(day)}: " + "; ".join(en), f"Ông/bà {who} vào ngày {d_vi(day)}: " + "; ".join(vi))
    return [wait(events, *text) if ctx.as_of <= day else bad(events, *text)]


def p_waiver(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """P-WAIVER: education/theory only, granted before election day by the right body, deadline met.

    The last term's waivers still to judge (``Context.earlier_waivers``: due in this term, or held by
    someone still in office) come first, judged against that term's election day with this pilot's numbers.
    """
    nominee, day = ctx.nominee, election_day(ctx)
    granted = waivers(ctx, None)
    if p["mode"] == "deviation":
        return [Finding("deviation", refs(w), f"Waiver {w.id}: this pilot's plan names no waiver",
                        f"Quyết định miễn {w.id}: kế hoạch thí điểm ở đây không có chế độ miễn tiêu chuẩn")
                for w in granted] or [na("No waiver", "Không có quyết định miễn tiêu chuẩn")]
    out = [_earlier(_waiver_one(ctx, w, ctx.earlier_election_day, p), ctx.earlier_election_day)
           for w in ctx.earlier_waivers]
    out += [_waiver_one(ctx, w, day, p) for w in granted]
    if nominee and day and not waivers(ctx, nominee):
        soft = below_standard(ctx, nominee, day, p["standard"])
        if soft:
            out.append(missing(ctx, day, refs(*ctx.of_type("personnel.nominated")),
                               f"Waiver for {ctx.who(nominee)} ({', '.join(soft)})",
                               f"Quyết định miễn tiêu chuẩn cho ông/bà {ctx.who(nominee)}"))
    return out or [na("No waiver and no shortfall", "Không có quyết định miễn và không thiếu tiêu chuẩn")]


def _earlier(found: Finding, day: date | None) -> Finding:
    """A finding on a waiver of the last term (judged against that term's election ``day``), so named."""
    return Finding(found.status, found.events, f"Last term (election {d_en(day)}): {found.detail}",
                   f"Nhiệm kỳ trước (bầu cử ngày {d_vi(day)}): {found.detail_vi}")


def _grantors(p: Mapping[str, Any], day: date) -> list[str]:
    for rule in p["grantors"]:
        if ("from" not in rule or day >= date.fromisoformat(rule["from"])) and \
                ("until" not in rule or day <= date.fromisoformat(rule["until"])):
            return list(rule["by"])
    return []


def _waiver_one(ctx: Context, w: RecordedEvent, day: date | None, p: Mapping[str, Any]) -> Finding:
    person, criteria = str(w.facts.get("person")), [str(c) for c in w.facts.get("criteria") or []]
    deadline = as_date(w.facts.get("deadline"))
    en: list[str] = []
    vi: list[str] = []
    if not criteria or set(criteria) - set(p["waivable"]):
        en.append(f"waives {', '.join(criteria) or 'nothing'}; only {' and '.join(p['waivable'])} can be waived")
        vi.append(f"miễn {', '.join(CRITERION_VI.get(c, c) for c in criteria) or '(trống)'}; chỉ được miễn "
                  f"trình độ học vấn và lý luận chính trị")
    if day is not None and w.date >= day:
        en.append(f"granted {d_en(w.date)}, not before election day {d_en(day)}")
        vi.append(f"ban hành ngày {d_vi(w.date)}, không trước ngày bầu cử {d_vi(day)}")
    allowed = _grantors(p, w.date)
    if w.by not in allowed:
        en.append(f"granted by {w.by}; on {d_en(w.date)} only {', '.join(allowed)} may")
        vi.append(f"do {BODY_VI.get(w.by, w.by)} ban hành; vào ngày {d_vi(w.date)} chỉ "
                  f"{', '.join(BODY_VI.get(b, b) for b in allowed)} có thẩm quyền")
    end = add_months(day, p["term_months"]) if day else None
    if deadline is None or (end and deadline > end):
        en.append(f"training deadline {d_en(deadline)} is not within the term (ends {d_en(end)})")
        vi.append(f"hạn đạt chuẩn {d_vi(deadline)} không trong nhiệm kỳ (hết {d_vi(end)})")
    who = ctx.who(person)
    if en:
        return bad(refs(w), f"Waiver {w.id} for {who}: " + "; ".join(en),
                   f"Miễn tiêu chuẩn {w.id} cho {who}: " + "; ".join(vi))
    assert deadline is not None
    if ctx.as_of <= deadline:
        return Finding("waived", refs(w), f"Valid waiver for {who} ({', '.join(criteria)}; by {w.by}); standard due by "
                                          f"{d_en(deadline)}",
                       f"Miễn tiêu chuẩn hợp lệ cho ông/bà {who} ({BODY_VI.get(w.by, w.by)} ban hành); phải đạt "
                       f"chuẩn trước {d_vi(deadline)}")
    unmet = [c for c in criteria if below(ctx.profile(person, deadline), c, p["standard"][f"min_{c}"])]
    if unmet:
        return bad(refs(w), f"{who} did not meet {', '.join(unmet)} by the waiver's deadline {d_en(deadline)}",
                   f"Ông/bà {who} chưa đạt chuẩn ({', '.join(CRITERION_VI[c] for c in unmet)}) khi hết hạn "
                   f"{d_vi(deadline)}")
    return ok(refs(w), f"{who} met the waived standard by {d_en(deadline)}",
              f"Ông/bà {who} đã đạt chuẩn trước {d_vi(deadline)}")


PAPERS = {"personnel.nominated": ("nomination", "Giới thiệu nhân sự"),
          "waiver.granted": ("waiver", "Quyết định miễn tiêu chuẩn")}


def p_lead_time(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """P-LEAD-TIME: nomination (and needed waiver) ≥ 1 month before election, ≥ 2 before congress."""
    day, congress = election_day(ctx), term_congress(ctx)
    nominations, nominee = ctx.of_type("personnel.nominated"), ctx.nominee
    if day is None:
        return [wait(refs(*nominations), "Election day not fixed yet", "Chưa có ngày bầu cử")]
    m_e, m_c = p["months_before_election"], p["months_before_congress"]
    by_election = add_months(day, -m_e)
    if not nominations or nominee is None:
        return [missing(ctx, by_election, _election_refs(ctx), "The cell's nomination", "Chi bộ giới thiệu nhân sự")]
    papers = [nominations[-1]]
    if below_standard(ctx, nominee, day, p["standard"]):
        needed = waivers(ctx, nominee)
        if not needed:
            return [missing(ctx, by_election, refs(*papers), "The waiver the nominee needs",
                            "Quyết định miễn tiêu chuẩn người được giới thiệu cần")]
        papers.append(needed[-1])
    limits = [(by_election, f"{m_e} month(s) before election day {d_en(day)}",
               f"{m_e} tháng trước ngày bầu cử {d_vi(day)}")]
    if congress is not None:
        limits.append((add_months(congress, -m_c), f"{m_c} months before the congress {d_en(congress)}",
                       f"{m_c} tháng trước đại hội chi bộ {d_vi(congress)}"))
    late = [(e, lim) for e in papers for lim in limits if e.date > lim[0]]
    if late:
        return [bad(refs(*(e for e, _ in late)),
                    "; ".join(f"{PAPERS[e.type][0]} {e.id} dated {d_en(e.date)}, after {d_en(lim[0])} ({lim[1]})"
                              for e, lim in late),
                    "; ".join(f"{PAPERS[e.type][1]} ({e.id}) ngày {d_vi(e.date)}, sau hạn {d_vi(lim[0])} ({lim[2]})"
                              for e, lim in late))]
    dated = ", ".join(f"{PAPERS[e.type][0]} {e.id} of {d_en(e.date)}" for e in papers)
    dated_vi = ", ".join(f"{PAPERS[e.type][1]} ({e.id}) ngày {d_vi(e.date)}" for e in papers)
    if congress is None:
        return [wait(refs(*papers), f"{cap(dated)}: in time for the election (by {d_en(by_election)}); the congress "
                                    f"is not recorded yet",
                     f"{dated_vi}: kịp hạn trước bầu cử ({d_vi(by_election)}); chưa có ngày đại hội chi bộ")]
    return [ok(refs(*papers), f"{cap(dated)}: at least {m_e} month(s) before the election and {m_c} before the "
                              f"congress",
               f"{dated_vi}: trước ngày bầu cử ít nhất {m_e} tháng và trước đại hội chi bộ ít nhất {m_c} tháng")]


RULES = {"P-NOMINEE": p_nominee, "P-CRITERIA": p_criteria, "P-WAIVER": p_waiver, "P-LEAD-TIME": p_lead_time}
