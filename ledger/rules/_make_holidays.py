"""Regenerate ``data/holidays_vn.json`` from the ``holidays`` package.

    .venv/bin/python -m ledger.rules._make_holidays

The calendar ships as data (not as a live call to ``holidays``) so that a verdict's
digest covers the exact days off it counted with; ``tests/unit/rules/test_calendar.py``
keeps the file in step with the package for every year it covers.
"""

from __future__ import annotations

import json
from datetime import date
from importlib.metadata import version
from pathlib import Path

import holidays

FIRST_YEAR, LAST_YEAR = 2008, 2030
TARGET = Path(__file__).with_name("data") / "holidays_vn.json"


def build() -> dict[str, object]:
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    calendar = holidays.country_holidays("VN", years=years)
    days_off = {
        str(year): sorted(d.isoformat() for d in calendar if d.year == year and d.weekday() < 5)
        for year in years
    }
    workdays = sorted(d.isoformat() for d in calendar.weekend_workdays if FIRST_YEAR <= d.year <= LAST_YEAR)
    return {
        "calendar": "vn-public-holidays",
        "source": f"python-holidays {version('holidays')}, country VN, category public",
        "first_year": FIRST_YEAR,
        "last_year": LAST_YEAR,
        "note": "Weekday days off (holidays and compensating days); weekend days made working days by swaps.",
        "days_off": days_off,
        "weekend_workdays": workdays,
    }


def render(data: dict[str, object]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def main() -> None:
    TARGET.write_text(render(build()), encoding="utf-8")
    print(f"wrote {TARGET} ({date.today().isoformat()})")


if __name__ == "__main__":
    main()
