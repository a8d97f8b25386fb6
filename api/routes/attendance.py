"""Public: upper-level members at residential cell meetings (RULES.md §6), per member and roll-ups per place.

The figures are ``projections.attendance.AttendanceViews.report``'s, as ``dantin attendance --json``
prints them: names, levels, places and counts. The report carries no birth date and no party
data (the attendance fold keeps only a person's name and residence cell). One
``AttendanceViews`` per server process (kept on ``app.state``), caught up with the log under a
lock before each read; the web page (``api.web.attendance_page``) reads through the same one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Services
from api.models import CheckPublic
from api.openapi import problems
from api.problems import NotFound
from projections.attendance import AttendanceViews

router = APIRouter(tags=["attendance"])
Level = Literal["commune", "commune_official", "district", "province"]
_create = threading.Lock()


@dataclass
class _Kept:
    services: Services
    views: AttendanceViews
    lock: threading.Lock


def _kept(app: FastAPI) -> _Kept:
    """The app's one ``AttendanceViews``, made on first use (after the lifespan opened the ledger)."""
    with _create:
        services: Services = app.state.services
        kept: _Kept | None = getattr(app.state, "attendance", None)
        if kept is None or kept.services is not services:
            kept = _Kept(services, AttendanceViews(services.ledger, store=services.view_store), threading.Lock())
            app.state.attendance = kept
    return kept


def attendance_report(app: FastAPI, year: int | None, as_of: date | None, place: str = "",
                      level: str | None = None) -> dict[str, Any]:
    """The report for ``year`` (default: ``as_of``'s year) judged on ``as_of`` (default: today), as the CLI's.

    Raises ``NotFound`` for a place the ledger does not know."""
    day = as_of or date.today()
    kept = _kept(app)
    with kept.lock:
        kept.views.catch_up()
        if place and not kept.views.place_known(place):
            raise NotFound(f"Không có địa bàn '{place}' trong sổ cái.", detail="unknown place")
        return kept.views.report(day.year if year is None else year, day, under=place, level=level)


def latest_year(app: FastAPI) -> int | None:
    """The latest year with a recorded attendance or a plan (the page's default year)."""
    kept = _kept(app)
    with kept.lock:
        kept.views.catch_up()
        with kept.views.store.transaction(write=False) as c:
            rows = c.all("SELECT MAX(year) AS y FROM (SELECT year FROM dantin_view_att_records "
                         "UNION SELECT year FROM dantin_view_att_plans) AS years")
    found = rows[0]["y"] if rows else None
    return int(found) if found is not None else None


def known_places(app: FastAPI) -> dict[str, dict[str, str]]:
    """Every registered place: id → name, kind (the page's place filter)."""
    kept = _kept(app)
    with kept.lock:
        kept.views.catch_up()
        return kept.views.places()


# -- models -------------------------------------------------------------------------------------------------


class AttendanceRulePublic(BaseModel):
    """One rule's status and figures (A-FREQUENCY: required/covered/missed/pending periods; A-REPORT:
    judged/on_time/late/missing/pending reports; A-PLAN: required/filed; A-ROTATE: cells visited)."""

    model_config = ConfigDict(extra="allow")
    status: Literal["pass", "fail", "waived", "deviation", "pending", "not_applicable"]
    confidence: str


class AttendanceMemberPublic(BaseModel):
    model_config = ConfigDict(extra="allow")
    member: str
    name: str
    level: Level
    own_cell: str | None = Field(description="The cell of the member's residence (meetings there do not count "
                                             "for some levels).")
    verdict: Literal["violations", "incomplete", "compliant"]
    rules: dict[str, AttendanceRulePublic]
    checks: list[CheckPublic]
    place: str = Field(description="The place the member belongs to (their own body's, else their cells' commune).")
    body: str | None


class AttendanceRollupPublic(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    place: str
    name: str
    kind: str
    level: Level
    members: int
    verdicts: dict[str, int]
    frequency: dict[str, int] = Field(alias="A-FREQUENCY")
    reporting: dict[str, int] = Field(alias="A-REPORT")
    plan: dict[str, int] = Field(alias="A-PLAN")


_FREQ = {"status": "pass", "confidence": "high", "period_months": 3, "required": 4, "covered": 4, "missed": 0,
         "pending": 0, "attendances": 5, "own_cell": 0}
_EXAMPLE: dict[str, Any] = {
    "year": 2022, "as_of": "2023-01-31", "under": "qng.bato", "level": "district", "ruleset": "qng-attendance",
    "ruleset_version": 1, "ruleset_digest": "sha256:ecf8c685dc144adbae6301c3f7f3a6b6954151b64b7249d8b715bf631fc90d24",
    "members": [{
        "member": "qng.bato.m001", "name": "Nguyễn Văn Tuấn", "level": "district",
        "own_cell": "qng.bato.thitran.tdp-3", "year": 2022, "as_of": "2023-01-31", "verdict": "compliant",
        "rules": {"A-FREQUENCY": _FREQ,
                  "A-REPORT": {"status": "pass", "confidence": "high", "window_days": 3, "judged": 5, "on_time": 5,
                               "late": 0, "missing": 0, "pending": 0},
                  "A-PLAN": {"status": "pass", "confidence": "high", "required": True, "filed": 1},
                  "A-ROTATE": {"status": "pass", "confidence": "high", "attendances": 5, "cells": 4,
                               "planned_cells": 6, "planned_visited": 4}},
        "checks": [{"rule": "A-FREQUENCY", "ruleset": "qng-attendance", "status": "pass",
                    "events": ["fc8119c66f54d4551e4eb38ab96b6342f2b672cc38006f039405da95424ab7cb"],
                    "detail": "Q1 2022 (2022-01-01 – 2022-03-31): attended 1 cell meeting(s) at "
                              "qng.bato.bathanh.hoc-ri; at least 1 per quarter for a district-level committee member",
                    "detail_vi": "Quý I/2022 (01/01/2022 – 31/03/2022): dự 1 buổi sinh hoạt tại chi bộ "
                                 "qng.bato.bathanh.hoc-ri; cấp ủy viên cấp huyện phải dự ít nhất 1 lần mỗi quý",
                    "confidence": "high"}],
        "place": "qng.bato", "body": "qng.bato/district_standing"}],
    "rollups": [{"place": "qng.bato", "name": "Huyện Ba Tơ", "kind": "district", "level": "district", "members": 1,
                 "verdicts": {"violations": 0, "incomplete": 0, "compliant": 1},
                 "A-FREQUENCY": {"required": 4, "covered": 4, "missed": 0, "pending": 0},
                 "A-REPORT": {"judged": 5, "on_time": 5, "late": 0, "missing": 0, "pending": 0},
                 "A-PLAN": {"required": 1, "filed": 1, "missing": 0, "pending": 0}}],
}


class AttendancePublic(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [_EXAMPLE]})
    year: int
    as_of: date
    under: str | None
    level: Level | None
    ruleset: str
    ruleset_version: int
    ruleset_digest: str
    members: list[AttendanceMemberPublic]
    rollups: list[AttendanceRollupPublic]


@router.get("/v1/attendance", response_model=AttendancePublic, responses=problems(400, 404),
            summary="Cấp ủy viên dự sinh hoạt chi bộ khu dân cư: từng người và tổng hợp theo địa bàn")
def attendance(
    request: Request,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Năm cần xét; mặc định năm của ngày xét.",
                                      examples=[2022])] = None,
    level: Annotated[Level | None, Query(description="Chỉ xét một cấp; trống: mọi cấp.")] = None,
    place: Annotated[str, Query(max_length=200, description="Chỉ xét một địa bàn (tỉnh, huyện, xã); trống: tất cả.",
                                examples=["qng.bato"])] = "",
    as_of: Annotated[date | None, Query(description="Ngày xét (YYYY-MM-DD); mặc định hôm nay.",
                                        examples=["2023-01-31"])] = None,
) -> AttendancePublic:
    """RULES.md §6, as ``dantin attendance --json``: each member's rules A-FREQUENCY (periods covered of those
    required), A-REPORT (reports on time, late, missing), A-PLAN (yearly plan filed) and A-ROTATE (cells visited),
    their checks citing events, and roll-ups per place and level. Names, levels and figures only: no birth date
    and no party data."""
    found = attendance_report(request.app, year, as_of, place, level)
    return AttendancePublic.model_validate(found)
