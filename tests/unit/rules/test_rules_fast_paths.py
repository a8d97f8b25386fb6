"""The rules' shortcuts (kept results, formatting without fractions) answer exactly as the plain ways.

Rebuilding the views judges every village, so the engine keeps what villages share (rule-set
choices, working-day counts, dates in Vietnamese) and what one judgement asks repeatedly
(names, profiles, positions, ballot results). Each is checked here against the plain form.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from ledger.rules import Place, ProfileUpdate, RecordedEvent, VillageRecord
from ledger.rules.calendar import add_working_days, vn_calendar, working_days_between
from ledger.rules.sets import select
from ledger.rules.text import d_vi, half, num, pct
from ledger.rules.timeline import build


def _num_plain(value: int | Fraction, vi: bool = False, places: int = 1) -> str:
    """``text.num`` as first written: every value through the same steps."""
    if isinstance(value, Fraction) and value.denominator != 1:
        text = f"{float(value):,.{places}f}"
    else:
        text = f"{int(value):,}"
    if vi:
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


@given(st.integers(min_value=-10**12, max_value=10**12), st.booleans())
def test_num_of_a_whole_number(value: int, vi: bool) -> None:
    assert num(value, vi) == _num_plain(value, vi)
    assert num(Fraction(value), vi) == _num_plain(Fraction(value), vi)


@given(st.integers(min_value=-10**9, max_value=10**9), st.integers(min_value=-10**6, max_value=10**6),
       st.booleans())
def test_pct_and_half_without_fractions(part: int, whole: int, vi: bool) -> None:
    expected_pct = "—" if whole <= 0 else _num_plain(Fraction(part * 100, whole), vi) + "%"
    assert pct(part, whole, vi) == expected_pct
    assert half(part, vi) == _num_plain(Fraction(part, 2), vi)
    assert half(True, vi) == _num_plain(Fraction(True, 2), vi)  # not an int: the plain way


def test_half_and_pct_spell_decimals_both_ways() -> None:
    assert (half(311), half(311, True), half(1_234_567), half(1_234_567, True)) == \
        ("155.5", "155,5", "617,283.5", "617.283,5")
    assert (pct(1, 3), pct(1, 3, True), pct(200, 400), pct(1, 0)) == ("33.3%", "33,3%", "50%", "—")


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_d_vi_kept_equals_strftime(day: date) -> None:
    assert d_vi(day) == day.strftime("%d/%m/%Y") and d_vi(day) == d_vi(day)
    assert d_vi(None) == "?"


@given(st.dates(min_value=date(2019, 1, 1), max_value=date(2028, 12, 31)), st.integers(min_value=0, max_value=40),
       st.integers(min_value=-5, max_value=60))
def test_working_days_kept_equal_counting_again(start: date, n: int, span: int) -> None:
    cal = vn_calendar()  # passing the calendar takes the uncached path
    assert add_working_days(start, n) == add_working_days(start, n, cal)
    end = start + timedelta(days=span)
    assert working_days_between(start, end) == working_days_between(start, end, cal)


def test_select_is_kept_and_hands_out_its_own_list() -> None:
    first = select("qng.bato", date(2022, 5, 15), date(2022, 7, 8))
    assert [s.id for s in first] == ["vn-2008", "party-2014", "qn-bato-2022"]
    first.clear()
    again = select("qng.bato", date(2022, 5, 15), date(2022, 7, 8))
    assert [s.id for s in again] == ["vn-2008", "party-2014", "qn-bato-2022"]
    assert [s.id for s in select("qng.other", date(2026, 5, 15), date(2026, 7, 8))] == ["vn-2023", "party-2024"]


NAMES = st.one_of(st.none(), st.just(""), st.sampled_from(["An", "Bình", "Cúc"]))


@given(st.lists(st.fixed_dictionaries({"name": NAMES}, optional={"born": st.just("1980-01-01")}), max_size=5),
       st.lists(st.booleans(), max_size=5))
def test_name_is_the_last_name_the_profile_states(fields: list[dict[str, object]], drop: list[bool]) -> None:
    for i, gone in enumerate(drop[:len(fields)]):
        if gone:
            del fields[i]["name"]
    updates = [ProfileUpdate(date(2022, 1, 1 + i), f) for i, f in enumerate(fields)]
    record = VillageRecord(Place("qng.x.y.z"), [], {"p1": updates})
    stated = record.profile("p1").get("name")
    assert record.name("p1") == (str(stated) if stated else "p1")
    assert record.name("nobody") == "nobody"


def test_context_keeps_names_profiles_and_positions_as_asked() -> None:
    day = date(2022, 5, 1)
    events = [RecordedEvent(f"e{i}", "personnel.nominated", day + timedelta(days=i % 3), "cell", {"person": "p1"},
                            index=i) for i in range(6)]
    record = VillageRecord(Place("qng.x.y.z"), events,
                           {"p1": [ProfileUpdate(None, {"name": "An"}), ProfileUpdate(day, {"name": "Ân"})]})
    ctx = build(record, date(2022, 6, 1))
    assert [ctx.position(e) for e in events] == [ctx.events.index(e) for e in events]
    assert ctx.who("p1") == "Ân (p1)" == ctx.who("p1") and ctx.who("p2") == "p2"
    assert ctx.profile("p1", date(2022, 1, 1)) == {"name": "An"} == record.profile("p1", date(2022, 1, 1))
    assert ctx.profile("p1", None) == {"name": "Ân"}
    twin = RecordedEvent("e0", "personnel.nominated", day, "cell", {"person": "p1"}, index=0)
    assert ctx.position(twin) == ctx.events.index(twin)  # an equal event, not one of the context's own
