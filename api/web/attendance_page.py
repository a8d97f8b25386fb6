"""The attendance page ``/attendance``: upper-level members at residential cell meetings (RULES.md §6).

The figures are ``GET /v1/attendance``'s, read through the same per-process ``AttendanceViews``
(``api.routes.attendance``); the page lays out one row per member (level, periods covered of
those required, late and missing reports, plan filed, verdict) and the roll-ups per place.
Filters are a plain GET form (year, level, place, as-of date: without a year, the as-of date's year, else
the latest year on record); a bad value is said in Vietnamese (400),
an unknown place gives the 404 page.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.problems import NotFound
from api.routes.attendance import attendance_report, known_places, latest_year, today
from api.web.pages import _missing, _page
from ledger.rules.attendance import LEVELS
from ledger.rules.text import STATUS_VI, VERDICT_VI
from schemas._checks import is_iso_day

router = APIRouter(include_in_schema=False)
LEVEL_SHORT = {"commune": "Cấp ủy viên cấp xã", "commune_official": "Cán bộ, công chức xã",
               "district": "Cấp ủy viên cấp huyện", "province": "Cấp ủy viên cấp tỉnh"}
KIND_VI = {"province": "tỉnh", "district": "huyện", "commune": "xã", "townlet": "thị trấn"}
Text = Annotated[str | None, Query(max_length=200)]


@router.get("/attendance", response_class=HTMLResponse)
def attendance_page(request: Request, year: Text = None, level: Text = None, place: Text = None,
                    as_of: Text = None) -> Response:
    errors: list[str] = []
    day = today(request.app)
    dated = False  # an as-of date asked for, and valid
    if as_of:
        try:
            if not is_iso_day(as_of):
                raise ValueError(as_of)
            day, dated = date.fromisoformat(as_of), True
        except ValueError:
            errors.append(f"«{as_of}» không phải một ngày hợp lệ (dạng năm-tháng-ngày); đang xét ngày hôm nay.")
    chosen: int | None = None
    if year:
        try:
            chosen = int(year)
            if not 2000 <= chosen <= 2100:
                raise ValueError(year)
        except ValueError:
            chosen = None
            errors.append(f"Năm «{year}» không hợp lệ (từ 2000 đến 2100); đang hiển thị năm mặc định.")
    if chosen is None:  # the as-of date's year, as the API and the CLI; without one, the latest year on record
        chosen = day.year if dated else latest_year(request.app) or day.year
    if level and level not in LEVELS:
        errors.append(f"Cấp «{level}» không có; đang hiển thị mọi cấp.")
        level = None
    try:
        found = attendance_report(request.app, chosen, day, place or "", level or None)
    except NotFound:
        return _missing(request, "địa bàn", place or "")
    data = page_data(found)
    data.update(errors=errors, places=_places(request), place=place or "", level=level or "",
                day=day, as_of=as_of if dated else "")
    return _page(request, "attendance.html", data, status=400 if errors else 200)


def page_data(found: dict[str, Any]) -> dict[str, Any]:
    members = []
    for m in found["members"]:
        r = m["rules"]
        freq, rep, plan = r["A-FREQUENCY"], r["A-REPORT"], r["A-PLAN"]
        members.append({**m, "level_vi": LEVEL_SHORT.get(m["level"], m["level"]), "freq": freq, "rep": rep,
                        "plan": plan, "plan_vi": _plan(plan), "verdict_vi": VERDICT_VI[m["verdict"]],
                        "status_vi": {k: STATUS_VI.get(v["status"], v["status"]) for k, v in r.items()}})
    rollups = [{**row, "level_vi": LEVEL_SHORT.get(row["level"], row["level"]),
                "kind_vi": KIND_VI.get(row["kind"], row["kind"])} for row in found["rollups"]]
    return {"report": found, "members": members, "rollups": rollups, "levels": list(LEVEL_SHORT.items()),
            "year": found["year"]}


def _plan(plan: dict[str, Any]) -> str:
    if not plan["required"]:
        return "không bắt buộc" + (f" (đã lập {plan['filed']})" if plan["filed"] else "")
    return f"đã lập ({plan['filed']})" if plan["filed"] else STATUS_VI.get(plan["status"], plan["status"])


def _places(request: Request) -> list[tuple[str, str]]:
    """The district(s) and communes, for the place filter."""
    return [(p, info["name"]) for p, info in sorted(known_places(request.app).items())
            if info["kind"] in KIND_VI and info["kind"] != "province"]
