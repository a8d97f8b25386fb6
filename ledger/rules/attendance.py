"""Upper-level members at residential cell meetings (RULES.md §6): A-FREQUENCY, A-REPORT, A-PLAN, A-ROTATE.

The input is neutral: one :class:`MemberRecord` per member and level (the projection and
the tests build it), a year and an as-of date. ``judge_member`` returns the checks, a
figure summary per rule and the verdict, like ``ledger.rules.judge`` does for a village.
The numbers (period per level, report window, whether a plan is due) are versioned data
in ``data/attendance.json``, hashed into ``ruleset_digest``; the choices made where
RULES.md is silent are recorded there too (``choices``).

Report windows count **calendar** days: RULES.md says "working days" wherever it means
them (E-RECOGNISE, C-REPORT) and plain "days" elsewhere (E-PLAN's 20 days), so a report
on the meeting day + 3 passes for a district member and one on day + 4 fails.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import rfc8785

from ledger.rules.calendar import shift
from ledger.rules.finding import Finding, bad, na, ok, wait
from ledger.rules.text import cap, d_en, d_vi, ids
from ledger.rules.verdict import overall

DATA = Path(__file__).with_name("data") / "attendance.json"
LEVELS = ("commune", "commune_official", "district", "province")
LEVEL_EN = {"commune": "commune-level committee member", "commune_official": "commune official (party member)",
            "district": "district-level committee member", "province": "province-level committee member"}
LEVEL_VI = {"commune": "cấp ủy viên cấp xã", "commune_official": "cán bộ, công chức cấp xã là đảng viên",
            "district": "cấp ủy viên cấp huyện", "province": "cấp ủy viên cấp tỉnh"}
_UNIT = {1: ("month", "tháng"), 3: ("quarter", "quý"), 6: ("six months", "6 tháng"), 12: ("year", "năm")}
_ROMAN = ("I", "II", "III", "IV")
#: A rule's overall status: the worst of its checks.
_WORST = ("fail", "pending", "deviation", "waived", "pass", "not_applicable")


@dataclass(frozen=True)
class Report:
    id: str
    report_date: date
    #: When the report entered the record (the event's date); the report date when None.
    date: date | None = None
    corrected_by: tuple[str, ...] = ()

    @property
    def refs(self) -> tuple[str, ...]:
        return (self.id, *self.corrected_by)


@dataclass(frozen=True)
class Attendance:
    id: str
    meeting_date: date
    cell: str
    reports: tuple[Report, ...] = ()
    date: date | None = None
    corrected_by: tuple[str, ...] = ()

    @property
    def refs(self) -> tuple[str, ...]:
        return (self.id, *self.corrected_by)


@dataclass(frozen=True)
class Plan:
    id: str
    year: int
    date: date
    cells: tuple[str, ...] = ()
    corrected_by: tuple[str, ...] = ()

    @property
    def refs(self) -> tuple[str, ...]:
        return (self.id, *self.corrected_by)


@dataclass(frozen=True)
class MemberRecord:
    """One member at one level: their plans and attendances (each with its reports)."""

    member: str
    level: str
    own_cell: str | None = None
    name: str = ""
    plans: tuple[Plan, ...] = ()
    attendances: tuple[Attendance, ...] = ()
    #: Where the member lives from each date on (ascending): a meeting's own cell is the residence on its
    #: day, so a member who moves is judged at each meeting by where they lived then. Empty: ``own_cell``.
    residences: tuple[tuple[date, str], ...] = ()


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    en: str
    vi: str


# -- data -------------------------------------------------------------------------------


@cache
def ruleset() -> Mapping[str, Any]:
    data: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return data


@cache
def ruleset_digest() -> str:
    return "sha256:" + hashlib.sha256(rfc8785.dumps(dict(ruleset()))).hexdigest()


def level_data(level: str) -> Mapping[str, Any]:
    levels: Mapping[str, Any] = ruleset()["levels"]
    if level not in levels:
        raise ValueError(f"unknown attendance level {level!r}")
    return dict(levels[level])


def periods(year: int, months: int) -> list[Period]:
    out = []
    for i, first in enumerate(range(1, 13, months)):
        start = date(year, first, 1)
        end = (date(year + 1, 1, 1) if first + months > 12 else date(year, first + months, 1)) - timedelta(days=1)
        if months == 1:
            en, vi = f"{year}-{first:02d}", f"tháng {first}/{year}"
        elif months == 3:
            en, vi = f"Q{i + 1} {year}", f"quý {_ROMAN[i]}/{year}"
        elif months == 6:
            en, vi = f"H{i + 1} {year}", f"6 tháng {'đầu' if i == 0 else 'cuối'} năm {year}"
        else:
            en, vi = f"{d_en(start)} – {d_en(end)}", f"{d_vi(start)} – {d_vi(end)}"
        out.append(Period(start, end, en, vi))
    return out


# -- the record as known, and what counts ------------------------------------------------


def known(record: MemberRecord, year: int, as_of: date) -> MemberRecord:
    """The year's plans and attendances as recorded by ``as_of`` (later records are not yet known)."""
    plans = tuple(p for p in record.plans if p.year == year and p.date <= as_of)
    attendances = tuple(
        replace(a, reports=tuple(r for r in a.reports if (r.date or r.report_date) <= as_of))
        for a in sorted(record.attendances, key=lambda a: (a.meeting_date, a.id))
        if a.meeting_date.year == year and (a.date or a.meeting_date) <= as_of
    )
    residences = tuple(r for r in record.residences if r[0] <= as_of)
    return replace(record, plans=plans, attendances=attendances, residences=residences)


def own_cell_on(record: MemberRecord, day: date) -> str | None:
    """The member's own cell on ``day``: the residence recorded last on or before it (before the first
    record, the first residence recorded); ``own_cell`` when no residence history is given."""
    if not record.residences:
        return record.own_cell
    found = record.residences[0][1]
    for since, cell in record.residences:
        if since > day:
            break
        found = cell
    return found


def at_own_cell(record: MemberRecord, attendance: Attendance) -> bool:
    """A commune official's meeting at their own cell (where they lived that day): not an upper-level attendance."""
    return (not level_data(record.level)["own_cell_counts"]
            and attendance.cell == own_cell_on(record, attendance.meeting_date))


def counted(record: MemberRecord) -> list[Attendance]:
    return [a for a in record.attendances if not at_own_cell(record, a)]


def _refs(items: Iterable[Attendance | Plan | Report]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(r for item in items for r in item.refs))


def _cells(items: Iterable[Attendance]) -> str:
    return ids({a.cell for a in items})


# -- A-FREQUENCY ------------------------------------------------------------------------


def frequency(record: MemberRecord, year: int, as_of: date) -> list[tuple[Period, Finding]]:
    """A-FREQUENCY, one check per period of the year: at least one counted attendance in it."""
    lv = level_data(record.level)
    months, need = int(lv["period_months"]), int(lv["min_per_period"])
    unit_en, unit_vi = _UNIT.get(months, (f"{months} months", f"{months} tháng"))
    rule_en = f"at least {need} per {unit_en} for a {LEVEL_EN[record.level]}"
    rule_vi = f"{LEVEL_VI[record.level]} phải dự ít nhất {need} lần mỗi {unit_vi}"
    own_note_en = own_note_vi = ""
    if not lv["own_cell_counts"] and record.own_cell is None and not record.residences:
        own_note_en = "; own cell not recorded: every attendance counted"
        own_note_vi = "; chưa ghi nơi cư trú nên mọi buổi đều được tính"
    out = []
    for period in periods(year, months):
        inside = [a for a in record.attendances if period.start <= a.meeting_date <= period.end]
        good = [a for a in inside if not at_own_cell(record, a)]
        own = [a for a in inside if at_own_cell(record, a)]
        own_en = own_vi = ""
        if own:
            own_en = f"; {len(own)} at the member's own cell {_cells(own)} not counted"
            own_vi = f"; {len(own)} buổi tại chi bộ nơi cư trú ({_cells(own)}) không được tính"
        head_en, head_vi = f"{period.en} ({d_en(period.start)} – {d_en(period.end)})", \
            f"{cap(period.vi)} ({d_vi(period.start)} – {d_vi(period.end)})"
        if len(good) >= need:
            found = ok(_refs(good), f"{head_en}: attended {len(good)} cell meeting(s) at {_cells(good)}{own_en}; "
                                    f"{rule_en}{own_note_en}",
                       f"{head_vi}: dự {len(good)} buổi sinh hoạt tại chi bộ {_cells(good)}{own_vi}; "
                       f"{rule_vi}{own_note_vi}")
        elif as_of <= period.end:
            found = wait(_refs(good + own), f"{head_en}: {len(good)} of {need} attendance(s) so far{own_en}; the "
                                            f"period runs until {d_en(period.end)}; {rule_en}",
                         f"{head_vi}: mới dự {len(good)}/{need} buổi{own_vi}; kỳ chưa kết thúc (đến hết "
                         f"{d_vi(period.end)}); {rule_vi}")
        else:
            evidence: list[Attendance | Plan] = [*own, *_around(record, period), *record.plans]
            found = bad(_refs(evidence), f"{head_en}: {len(good)} of {need} required attendance(s){own_en}; "
                                         f"{rule_en}",
                        f"{head_vi}: chỉ dự {len(good)}/{need} buổi bắt buộc{own_vi}; {rule_vi}")
        out.append((period, found))
    return out


def _around(record: MemberRecord, period: Period) -> list[Attendance]:
    """The attendances either side of a gap (they show the member active, and where the gap lies)."""
    before = [a for a in counted(record) if a.meeting_date < period.start]
    after = [a for a in counted(record) if a.meeting_date > period.end]
    return before[-1:] + after[:1]


def a_frequency(record: MemberRecord, year: int, as_of: date) -> list[Finding]:
    return [f for _, f in frequency(record, year, as_of)]


# -- A-REPORT ---------------------------------------------------------------------------


def reporting(record: MemberRecord, as_of: date) -> list[tuple[str, Finding]]:
    """A-REPORT, one check per counted attendance, tagged ``on_time``/``late``/``missing``/``pending``/``early``."""
    n = int(level_data(record.level)["report_days"])
    out: list[tuple[str, Finding]] = []
    for a in counted(record):
        deadline = shift(a.meeting_date, n)
        what_en = f"Attendance of {d_en(a.meeting_date)} at {a.cell}"
        what_vi = f"Buổi dự sinh hoạt ngày {d_vi(a.meeting_date)} tại chi bộ {a.cell}"
        limit_en = f"at most {n} calendar day(s) after the meeting (by {d_en(deadline)})"
        limit_vi = f"tối đa {n} ngày sau buổi sinh hoạt (hạn {d_vi(deadline)})"
        if not a.reports:
            if as_of <= deadline:
                out.append(("pending", wait(a.refs, f"{what_en}: not reported yet; {limit_en}",
                                            f"{what_vi}: chưa có báo cáo; {limit_vi}")))
            else:
                out.append(("missing", bad(a.refs, f"{what_en}: no report on record by the deadline; {limit_en}",
                                           f"{what_vi}: không có báo cáo trong hồ sơ, đã quá hạn; {limit_vi}")))
            continue
        first = min(a.reports, key=lambda r: (r.report_date, r.id))
        days = (first.report_date - a.meeting_date).days
        en = f"{what_en} reported on {d_en(first.report_date)}: {days} day(s) after; {limit_en}"
        vi = f"{what_vi} được báo cáo ngày {d_vi(first.report_date)}: sau {days} ngày; {limit_vi}"
        events = _refs([a, first])
        if days < 0:
            out.append(("early", bad(events, f"{what_en}: report dated {d_en(first.report_date)}, before the meeting",
                                     f"{what_vi}: báo cáo ghi ngày {d_vi(first.report_date)}, trước buổi sinh hoạt")))
        elif first.report_date <= deadline:
            out.append(("on_time", ok(events, en, vi)))
        else:
            out.append(("late", bad(events, en, vi)))
    return out


def a_report(record: MemberRecord, year: int, as_of: date) -> list[Finding]:
    found = [f for _, f in reporting(record, as_of)]
    return found or [na(f"No attendance in {year} to report",
                        f"Năm {year} không có buổi dự sinh hoạt nào phải báo cáo")]


# -- A-PLAN -----------------------------------------------------------------------------


def a_plan(record: MemberRecord, year: int, as_of: date) -> list[Finding]:
    """A-PLAN: a district/province member files a plan for the year, by the year's last day."""
    plans = sorted(record.plans, key=lambda p: (p.date, p.id))
    if not level_data(record.level)["plan_required"]:
        return [na(f"No yearly plan is required of a {LEVEL_EN[record.level]} ({len(plans)} filed)",
                   f"Không bắt buộc {LEVEL_VI[record.level]} lập kế hoạch năm (đã lập {len(plans)})")]
    due = date(year, 12, 31)
    if not plans:
        evidence = _refs(record.attendances)
        if as_of <= due:
            return [wait(evidence, f"Attendance plan for {year}: not recorded yet (due by {d_en(due)})",
                         f"Kế hoạch dự sinh hoạt chi bộ năm {year}: chưa có trong hồ sơ (hạn {d_vi(due)})")]
        return [bad(evidence, f"Attendance plan for {year}: no record by the deadline {d_en(due)}",
                    f"Kế hoạch dự sinh hoạt chi bộ năm {year}: không có trong hồ sơ, đã quá hạn {d_vi(due)}")]
    first = plans[0]
    en = (f"Attendance plan for {year} filed on {d_en(first.date)} ({len(first.cells)} cell(s)); "
          f"{len(plans)} plan(s) on record; one per year due by {d_en(due)}")
    vi = (f"Kế hoạch dự sinh hoạt chi bộ năm {year} lập ngày {d_vi(first.date)} ({len(first.cells)} chi bộ); "
          f"có {len(plans)} kế hoạch; mỗi năm một kế hoạch, hạn {d_vi(due)}")
    return [(ok if first.date <= due else bad)(_refs(plans), en, vi)]


# -- A-ROTATE (informational) ---------------------------------------------------------------


def a_rotate(record: MemberRecord, year: int, as_of: date) -> list[Finding]:
    """A-ROTATE: the distinct cells attended, and the planned cells not visited; never fails."""
    good = counted(record)
    if not good:
        return [na(f"No attendance in {year}", f"Năm {year} chưa dự buổi sinh hoạt nào")]
    cells = {a.cell for a in good}
    planned = {c for p in record.plans for c in p.cells}
    en = f"Attended {len(good)} meeting(s) at {len(cells)} distinct cell(s): {ids(cells)}"
    vi = f"Dự {len(good)} buổi tại {len(cells)} chi bộ khác nhau: {ids(cells)}"
    if planned:
        en += f"; {len(planned & cells)} of {len(planned)} planned cell(s) visited (not yet: {ids(planned - cells)})"
        vi += f"; đã đến {len(planned & cells)}/{len(planned)} chi bộ trong kế hoạch (chưa đến: {ids(planned - cells)})"
    return [ok(_refs(good), en + " (informational)", vi + " (chỉ để theo dõi)")]


RULES: dict[str, Callable[[MemberRecord, int, date], list[Finding]]] = {
    "A-FREQUENCY": a_frequency, "A-REPORT": a_report, "A-PLAN": a_plan, "A-ROTATE": a_rotate,
}


# -- the judgement ----------------------------------------------------------------------


def worst(statuses: Iterable[str]) -> str:
    seen = set(statuses)
    return next((s for s in _WORST if s in seen), "not_applicable")


def figures(record: MemberRecord, year: int, as_of: date, *, freq: list[tuple[Period, Finding]] | None = None,
            reports: list[tuple[str, Finding]] | None = None) -> dict[str, dict[str, Any]]:
    """Each rule's numbers for a known record (what the roll-ups add up); pass the periods and reports if judged."""
    lv = level_data(record.level)
    statuses = [f.status for _, f in (frequency(record, year, as_of) if freq is None else freq)]
    tags = [t for t, _ in (reporting(record, as_of) if reports is None else reports)]
    good = counted(record)
    planned = {c for p in record.plans for c in p.cells}
    return {
        "A-FREQUENCY": {"period_months": lv["period_months"], "required": len(statuses),
                        "covered": statuses.count("pass"), "missed": statuses.count("fail"),
                        "pending": statuses.count("pending"), "attendances": len(good),
                        "own_cell": len(record.attendances) - len(good)},
        "A-REPORT": {"window_days": lv["report_days"], "judged": len(tags), "on_time": tags.count("on_time"),
                     "late": tags.count("late") + tags.count("early"), "missing": tags.count("missing"),
                     "pending": tags.count("pending")},
        "A-PLAN": {"required": bool(lv["plan_required"]), "filed": len(record.plans)},
        "A-ROTATE": {"attendances": len(good), "cells": len({a.cell for a in good}), "planned_cells": len(planned),
                     "planned_visited": len(planned & {a.cell for a in good})},
    }


def judge_member(record: MemberRecord, year: int, as_of: date) -> dict[str, Any]:
    """The checks of one member at one level for ``year``, as known on ``as_of``, with figures per rule."""
    rec = known(record, year, as_of)
    data = ruleset()
    freq, reports = frequency(rec, year, as_of), reporting(rec, as_of)
    numbers = figures(rec, year, as_of, freq=freq, reports=reports)
    # A-FREQUENCY and A-REPORT as their rule functions give them, judged once for checks and figures alike.
    done: dict[str, list[Finding]] = {"A-FREQUENCY": [f for _, f in freq],
                                      "A-REPORT": [f for _, f in reports] or a_report(rec, year, as_of)}
    checks: list[dict[str, Any]] = []
    rules: dict[str, dict[str, Any]] = {}
    for rule in data["rules"]:
        rule_id = str(rule["id"])
        confidence = dict(rule.get("confidence_by_level", {})).get(record.level, rule["confidence"])
        found = done[rule_id] if rule_id in done else RULES[rule_id](rec, year, as_of)
        checks.extend({"rule": rule_id, "ruleset": data["id"], "status": f.status, "events": list(f.events),
                       "detail": f.detail, "detail_vi": f.detail_vi, "confidence": confidence} for f in found)
        rules[rule_id] = {"status": worst(f.status for f in found), "confidence": confidence, **numbers[rule_id]}
    return {
        "member": record.member, "name": record.name or record.member, "level": record.level,
        "own_cell": record.own_cell, "year": year, "as_of": as_of.isoformat(),
        "ruleset": data["id"], "ruleset_version": data["version"], "ruleset_digest": ruleset_digest(),
        "verdict": overall([c["status"] for c in checks]), "rules": rules, "checks": checks,
    }
