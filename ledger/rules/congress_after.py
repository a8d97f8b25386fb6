"""Rules after the cell congress (RULES.md §4): C-REPORT, C-APPROVE, C-TERM."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from ledger.rules.calendar import Span, add_months, add_working_days, working_days_between
from ledger.rules.congress_ballot import each_congress
from ledger.rules.finding import Finding, bad, missing, na, ok, refs
from ledger.rules.record import RecordedEvent
from ledger.rules.text import d_en, d_vi
from ledger.rules.timeline import Congress, Context


def _timely(ctx: Context, after: RecordedEvent | None, start: Any, span: Span, done: RecordedEvent | None,
            n: int, what: tuple[str, str], since: tuple[str, str]) -> Finding:
    if done is None:
        found = missing(ctx, span.end, refs(after), *what)
        return Finding(found.status, found.events, found.detail + span.note, found.detail_vi + span.note_vi)
    used = working_days_between(start, done.date)
    en = (f"{what[0]} on {d_en(done.date)}: {used} working days after {since[0]}; at most {n} "
          f"(by {d_en(span.end)}){span.note}")
    vi = (f"{what[1]} ngày {d_vi(done.date)}: {used} ngày làm việc sau {since[1]}; tối đa {n} "
          f"(hạn {d_vi(span.end)}){span.note_vi}")
    return (bad if done.date > span.end else ok)(refs(after, done), en, vi)


def c_report(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """C-REPORT: the result reported upward ≤ 7 working days after the congress."""
    def judge(c: Congress) -> list[Finding]:
        n = p["working_days"]
        return [_timely(ctx, c.first, c.day, add_working_days(c.day, n), c.reports[0] if c.reports else None, n,
                        ("Report of the result", "Báo cáo kết quả đại hội"),
                        (f"the congress of {d_en(c.day)}", f"đại hội ngày {d_vi(c.day)}"))]
    return each_congress(ctx, judge)


def c_approve(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """C-APPROVE: approval (chuẩn y) or annulment ≤ 15 working days after the report.

    Without a report the clock starts at the report's own deadline (7 working days after
    the congress), so a missing report cannot stop this one from falling due.
    """
    def judge(c: Congress) -> list[Finding]:
        n = p["working_days"]
        report = c.reports[0] if c.reports else None
        start = report.date if report else add_working_days(c.day, p["report_working_days"]).end
        since = ((f"the report of {d_en(start)}", f"báo cáo ngày {d_vi(start)}") if report else
                 (f"the report's deadline {d_en(start)}", f"hạn báo cáo {d_vi(start)}"))
        decision = c.decisions[0] if c.decisions else None
        what = ("Approval" if decision is None or decision.type == "congress.approved" else "Annulment",
                "Quyết định chuẩn y" if decision is None or decision.type == "congress.approved" else "Quyết định hủy")
        return [_timely(ctx, report or c.first, start, add_working_days(start, n), decision, n, what, since)]
    return each_congress(ctx, judge)


def c_term(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """C-TERM: a congress 2.5 years (± 6 months) after the previous one; only where that one is recorded."""
    last_term = [c.held for c in ctx.earlier_congresses if c.held is not None][-1:]  # the last term's, not before
    held = [*last_term, *(c.held for c in ctx.congresses if c.held is not None)]
    out = []
    months, slack = p["term_months"], p["tolerance_months"]
    for earlier, later in itertools.pairwise(held):
        lo, hi = add_months(earlier.date, months - slack), add_months(earlier.date, months + slack)
        en = (f"Congress of {d_en(later.date)} after the previous one of {d_en(earlier.date)}; "
              f"due between {d_en(lo)} and {d_en(hi)}")
        vi = (f"Đại hội ngày {d_vi(later.date)}, sau đại hội trước ngày {d_vi(earlier.date)}; "
              f"đúng hạn trong khoảng {d_vi(lo)} – {d_vi(hi)}")
        out.append((ok if lo <= later.date <= hi else bad)(refs(earlier, later), en, vi))
    return out or [na("No earlier congress recorded", "Không có đại hội nhiệm kỳ trước trong hồ sơ")]


RULES = {"C-REPORT": c_report, "C-APPROVE": c_approve, "C-TERM": c_term}
