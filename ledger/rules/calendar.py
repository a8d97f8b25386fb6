"""Dates as the rules count them (RULES.md §2).

- Working days are Monday–Friday minus the Vietnamese days off shipped in
  ``data/holidays_vn.json`` (holidays, compensating days, and the weekend days a swap
  turned into working days). For a year the data does not cover only weekends are
  skipped, and :class:`Span` says so, so that a check can tell its reader.
- "Within N working days after D" counts the working days after D, D excluded.
- "N months before D" is calendar months: the same day of the month, or that month's
  last day when it has no such day.
- Ages are whole years on the day.
- A deadline past the calendar's ends (an event dated 0001-01-01 or 9999-12-31: a typed year
  any body may sign) is held at ``date.min`` or ``date.max``, never an error.
"""

from __future__ import annotations

import calendar as _gregorian
import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("data") / "holidays_vn.json"


@dataclass(frozen=True)
class Calendar:
    first_year: int
    last_year: int
    days_off: frozenset[date]
    weekend_workdays: frozenset[date]
    data: dict[str, Any]

    def covers(self, day: date) -> bool:
        return self.first_year <= day.year <= self.last_year

    def is_working_day(self, day: date) -> bool:
        if day in self.weekend_workdays:
            return True
        return day.weekday() < 5 and day not in self.days_off


@cache
def vn_calendar() -> Calendar:
    data: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    days_off = frozenset(date.fromisoformat(d) for year in data["days_off"].values() for d in year)
    return Calendar(
        first_year=int(data["first_year"]),
        last_year=int(data["last_year"]),
        days_off=days_off,
        weekend_workdays=frozenset(date.fromisoformat(d) for d in data["weekend_workdays"]),
        data=data,
    )


@dataclass(frozen=True)
class Span:
    """The result of counting working days: the end date, and the years the data lacked."""

    end: date
    uncovered: tuple[int, ...] = ()

    @property
    def note(self) -> str:
        if not self.uncovered:
            return ""
        years = ", ".join(map(str, self.uncovered))
        return f" (no holiday data for {years}: weekends only were skipped)"

    @property
    def note_vi(self) -> str:
        if not self.uncovered:
            return ""
        years = ", ".join(map(str, self.uncovered))
        return f" (chưa có lịch nghỉ lễ năm {years}: chỉ trừ thứ Bảy, Chủ nhật)"


def add_working_days(start: date, n: int, cal: Calendar | None = None) -> Span:
    """The n-th working day after ``start`` (``start`` excluded)."""
    if cal is None:
        return _add_vn_working_days(start, n)
    return _add_working_days(start, n, cal)


@lru_cache(maxsize=8192)
def _add_vn_working_days(start: date, n: int) -> Span:
    """``add_working_days`` on the shipped calendar, kept: villages share their deadlines' dates."""
    return _add_working_days(start, n, vn_calendar())


def _add_working_days(start: date, n: int, cal: Calendar) -> Span:
    day, counted, uncovered = start, 0, set()
    while counted < n and day < date.max:
        day += timedelta(days=1)
        if not cal.covers(day):
            uncovered.add(day.year)
        if cal.is_working_day(day):
            counted += 1
    return Span(day, tuple(sorted(uncovered)))


def working_days_between(start: date, end: date, cal: Calendar | None = None) -> int:
    """How many working days lie after ``start`` up to and including ``end`` (0 if end ≤ start)."""
    if cal is None:
        return _vn_working_days_between(start, end)
    return _working_days_between(start, end, cal)


@lru_cache(maxsize=8192)
def _vn_working_days_between(start: date, end: date) -> int:
    return _working_days_between(start, end, vn_calendar())


def _working_days_between(start: date, end: date, cal: Calendar) -> int:
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += cal.is_working_day(day)
    return count


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the month's last day (31/3 − 1 month = 28 or 29/2)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    if not date.min.year <= year <= date.max.year:
        return date.min if year < date.min.year else date.max
    last = _gregorian.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def shift(day: date, days: int) -> date:
    """``day`` + ``days`` days, held at the calendar's ends."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.min if days < 0 else date.max


def age_on(born: date, day: date) -> int:
    """Whole years on ``day``; a birthday on the day counts. 29/2 births turn a year older on 1/3."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
