"""Working days, calendar months and ages as RULES.md §2 counts them."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest

from ledger.rules.calendar import add_months, add_working_days, age_on, vn_calendar, working_days_between


def test_shipped_calendar_agrees_with_the_holidays_package_for_every_covered_day() -> None:
    cal = vn_calendar()
    years = range(cal.first_year, cal.last_year + 1)
    package = holidays.country_holidays("VN", years=years)
    day, disagree = date(cal.first_year, 1, 1), []
    while day.year <= cal.last_year:
        if cal.is_working_day(day) != package.is_working_day(day):
            disagree.append(day)
        day += timedelta(days=1)
    assert not disagree, disagree[:10]


def test_2_and_3_may_2022_are_days_off_for_30_4_and_1_5_on_a_weekend() -> None:
    cal = vn_calendar()
    assert not cal.is_working_day(date(2022, 5, 2))
    assert not cal.is_working_day(date(2022, 5, 3))
    assert cal.is_working_day(date(2022, 5, 4))


def test_a_swapped_saturday_is_a_working_day() -> None:
    assert vn_calendar().is_working_day(date(2024, 5, 4))  # worked for the day off on 29/4/2024


def test_five_working_days_after_friday_29_april_2022_end_on_tuesday_10_may() -> None:
    # 30/4 Sat, 1/5 Sun, 2/5 and 3/5 off; then 4, 5, 6, 9, 10 May. (9/5 is only the fourth.)
    span = add_working_days(date(2022, 4, 29), 5)
    assert span.end == date(2022, 5, 10)
    assert span.uncovered == () and span.note == ""


def test_the_start_day_is_excluded() -> None:
    assert add_working_days(date(2022, 5, 16), 1).end == date(2022, 5, 17)  # Monday → Tuesday
    assert add_working_days(date(2022, 5, 15), 1).end == date(2022, 5, 16)  # Sunday → Monday


def test_tet_2022_is_skipped() -> None:
    # Friday 28/1/2022; 31/1–4/2 Tết. The fifth working day is Friday 11/2.
    assert add_working_days(date(2022, 1, 28), 5).end == date(2022, 2, 11)


def test_a_year_without_holiday_data_counts_weekends_only_and_says_so() -> None:
    cal = vn_calendar()
    start = date(cal.last_year + 1, 4, 28)  # a Monday in a year the data does not cover
    span = add_working_days(start, 5)
    assert span.end == start + timedelta(days=7)
    assert span.uncovered == (cal.last_year + 1,)
    assert "weekends only" in span.note and "chỉ trừ thứ Bảy, Chủ nhật" in span.note_vi


def test_working_days_between_counts_after_the_start_up_to_the_end() -> None:
    assert working_days_between(date(2022, 5, 16), date(2022, 5, 24)) == 6
    assert working_days_between(date(2022, 5, 16), date(2022, 5, 16)) == 0


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2022, 5, 15), -1, date(2022, 4, 15)),   # same day of the month
    (date(2025, 3, 31), -1, date(2025, 2, 28)),   # clamped to February's last day
    (date(2024, 3, 31), -1, date(2024, 2, 29)),   # leap year
    (date(2022, 7, 31), -2, date(2022, 5, 31)),
    (date(2024, 4, 30), -2, date(2024, 2, 29)),
    (date(2022, 5, 15), 30, date(2024, 11, 15)),  # a 2.5-year term
    (date(2022, 1, 31), 1, date(2022, 2, 28)),
])
def test_calendar_months_clamp_to_the_last_day(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_age_counts_whole_years_and_a_birthday_on_the_day() -> None:
    assert age_on(date(2001, 5, 15), date(2022, 5, 15)) == 21
    assert age_on(date(2001, 5, 16), date(2022, 5, 15)) == 20
    assert age_on(date(2000, 2, 29), date(2021, 2, 28)) == 20
    assert age_on(date(2000, 2, 29), date(2021, 3, 1)) == 21
