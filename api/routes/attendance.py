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
from schemas.ids import IsoDate

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
    """The report for ``year`` (default: ``as_of``'s year) judged on ``as_of`` (default: ``today(app)``), as the
    CLI's.

    Raises ``NotFound`` for a place the ledger does not know."""
    day = as_of or today(app)
    kept = _kept(app)
    with kept.lock:
        kept.views.catch_up()
        if place and not kept.views.place_known(place):
            raise NotFound(f"Không có địa bàn '{place}' trong sổ cái.", detail="unknown place")
        return kept.views.report(day.year if year is None else year, day, under=place, level=level)


def today(app: FastAPI) -> date:
    """The server's today: the village views' (``Views.today``), which every other page and route reads (a clock
    injected there, as the tests pin it, holds for attendance too)."""
    services: Services = app.state.services
    return services.views.today()


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
    """Kết quả và số liệu của một quy tắc (A-FREQUENCY: số kỳ phải dự `required`, đã dự `covered`, bỏ lỡ `missed`,
    chưa hết kỳ `pending`; A-REPORT: số lần dự được xét `judged`, báo cáo đúng hạn `on_time`, trễ hạn `late`,
    thiếu `missing`, chưa đến hạn `pending`; A-PLAN: phải có kế hoạch `required`, đã nộp `filed`; A-ROTATE: số
    chi bộ đã đến `cells`)."""

    model_config = ConfigDict(extra="allow")
    status: Literal["pass", "fail", "waived", "deviation", "pending", "not_applicable"] = Field(
        description="`pass` đạt, `fail` vi phạm, `waived` được miễn, `deviation` lệch mô hình, `pending` chờ, "
                    "`not_applicable` không áp dụng.")
    confidence: str = Field(description="Độ tin cậy của cách hiểu quy định: `high` cao, `medium` trung bình "
                                        "(quy định không nói rõ, xem docs/attendance.md).")


class AttendanceMemberPublic(BaseModel):
    """Một cấp ủy viên (hoặc cán bộ, công chức xã là đảng viên): kết quả từng quy tắc trong năm được xét."""

    model_config = ConfigDict(extra="allow")
    member: str = Field(description="Mã người.")
    name: str = Field(description="Họ và tên.")
    level: Level = Field(description="Cấp: `commune` cấp ủy viên cấp xã, `commune_official` cán bộ, công chức cấp "
                                     "xã là đảng viên, `district` cấp ủy viên cấp huyện, `province` cấp ủy viên "
                                     "cấp tỉnh.")
    own_cell: str | None = Field(description="Chi bộ nơi người này cư trú (với một số cấp, dự sinh hoạt ở đó "
                                             "không được tính).")
    verdict: Literal["violations", "incomplete", "compliant"] = Field(
        description="`compliant` đúng quy định, `incomplete` chưa đủ hồ sơ, `violations` có vi phạm.")
    rules: dict[str, AttendanceRulePublic] = Field(description="Kết quả từng quy tắc, theo mã quy tắc "
                                                               "(A-FREQUENCY, A-REPORT, A-PLAN, A-ROTATE).")
    checks: list[CheckPublic] = Field(description="Các kiểm tra, mỗi kiểm tra nêu các sự kiện làm căn cứ.")
    place: str = Field(description="Địa bàn của người này (địa bàn của cơ quan quản lý người đó; nếu không có, "
                                   "xã của các chi bộ người đó đã dự).")
    body: str | None = Field(description="Cơ quan lập kế hoạch và báo cáo của người này, nếu có.")


class AttendanceRollupPublic(BaseModel):
    """Tổng hợp theo một địa bàn và một cấp: cộng các thành viên của địa bàn đó và các địa bàn trực thuộc."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    place: str = Field(description="Mã địa bàn.")
    name: str = Field(description="Tên địa bàn.")
    kind: str = Field(description="Loại địa bàn (`province`, `district`, `commune`…).")
    level: Level = Field(description="Cấp được tổng hợp.")
    members: int = Field(description="Số thành viên.")
    verdicts: dict[str, int] = Field(description="Số thành viên theo kết luận (`violations`, `incomplete`, "
                                                 "`compliant`).")
    frequency: dict[str, int] = Field(alias="A-FREQUENCY", description="Tổng số kỳ phải dự, đã dự, bỏ lỡ, chưa "
                                                                       "hết kỳ.")
    reporting: dict[str, int] = Field(alias="A-REPORT", description="Tổng số lần dự được xét, báo cáo đúng hạn, "
                                                                    "trễ hạn, thiếu, chưa đến hạn.")
    plan: dict[str, int] = Field(alias="A-PLAN", description="Tổng số kế hoạch phải có, đã nộp, còn thiếu, chưa "
                                                             "đến hạn.")


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
    """Báo cáo dự sinh hoạt chi bộ khu dân cư của một năm, như `dantin attendance --json` in ra."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [_EXAMPLE]})
    year: int = Field(description="Năm được xét.")
    as_of: date = Field(description="Ngày xét (YYYY-MM-DD).")
    under: str | None = Field(description="Địa bàn được xét; null: tất cả.")
    level: Level | None = Field(description="Cấp được xét; null: mọi cấp.")
    ruleset: str = Field(description="Bộ quy tắc đã áp dụng.")
    ruleset_version: int = Field(description="Phiên bản của bộ quy tắc.")
    ruleset_digest: str = Field(description="Giá trị băm SHA-256 của dữ liệu bộ quy tắc.")
    members: list[AttendanceMemberPublic] = Field(description="Từng thành viên.")
    rollups: list[AttendanceRollupPublic] = Field(description="Tổng hợp theo địa bàn và cấp.")


@router.get("/v1/attendance", response_model=AttendancePublic, responses=problems(400, 404),
            summary="Cấp ủy viên dự sinh hoạt chi bộ khu dân cư: từng người và tổng hợp theo địa bàn")
def attendance(
    request: Request,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Năm cần xét; mặc định năm của ngày xét.",
                                      examples=[2022])] = None,
    level: Annotated[Level | None, Query(description="Chỉ xét một cấp; trống: mọi cấp.")] = None,
    place: Annotated[str, Query(max_length=200, description="Chỉ xét một địa bàn (tỉnh, huyện, xã); trống: tất cả.",
                                examples=["qng.bato"])] = "",
    as_of: Annotated[IsoDate | None, Query(description="Ngày xét (YYYY-MM-DD); mặc định hôm nay.",
                                        examples=["2023-01-31"])] = None,
) -> AttendancePublic:
    """RULES.md §6, như `dantin attendance --json`: với từng thành viên, các quy tắc A-FREQUENCY (số kỳ đã dự trên
    số kỳ phải dự), A-REPORT (báo cáo đúng hạn, trễ hạn, thiếu), A-PLAN (kế hoạch năm đã nộp) và A-ROTATE (các chi
    bộ đã đến), các kiểm tra kèm sự kiện làm căn cứ; và tổng hợp theo địa bàn và cấp. Chỉ có tên, cấp và số liệu:
    không có ngày sinh, không có thông tin đảng viên."""
    found = attendance_report(request.app, year, as_of, place, level)
    return AttendancePublic.model_validate(found)
