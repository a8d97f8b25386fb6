"""Public: who holds the village offices (as of any day), each village's verdict, office holders by place."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import ServicesDep
from api.models import LeadershipPublic, OfficeholdersPublic, VerdictPublic
from api.openapi import problems
from api.problems import NotFound
from api.responses import json_bytes
from api.village_views import Missing
from projections.views import public_officeholder
from schemas.ids import IsoDate

router = APIRouter(tags=["villages"])
VillagePath = Annotated[str, Path(max_length=200, description="Mã thôn, tổ dân phố.",
                                   examples=["qng.bato.badien.lang-ma"])]
AsOf = Annotated[IsoDate | None, Query(description="Ngày cần xem (YYYY-MM-DD); mặc định hôm nay.",
                                    examples=["2022-08-01"])]
AsRecorded = Annotated[bool, Query(description="Theo số liệu ghi ban đầu, bỏ qua các đính chính.")]
Office = Literal["head", "secretary", "deputy", "committee", "front_head"]


def _unknown(village_id: str) -> NotFound:
    return NotFound(f"'{village_id}' không phải thôn/tổ dân phố đã đăng ký.", detail="unknown village")


@router.get("/v1/villages/{village_id}/leadership", response_model=LeadershipPublic,
            responses=problems(400, 404, 500),
            summary="Ai giữ chức vụ nào ở thôn vào một ngày")
async def leadership(village_id: VillagePath, services: ServicesDep, as_of: AsOf = None,
                     as_recorded: AsRecorded = False) -> Response:
    """Trưởng thôn (và trưởng thôn tạm thời), bí thư, phó bí thư, chi ủy viên và trưởng Ban công tác Mặt trận vào
    ngày được hỏi, kèm tên. Chức vụ bắt đầu từ quyết định trao chức vụ đó (công nhận, chuẩn y, chỉ định)."""
    views = services.views
    day = as_of or views.today()
    head = await views.read_head()  # one cheap query: while the log stands still, the answer is in memory
    found = views.leadership_cached(head, village_id, day, as_recorded)
    if isinstance(found, Missing):
        found = await run_in_threadpool(views.leadership, head, village_id, day, as_recorded)
    if found is None:
        raise _unknown(village_id)
    return json_bytes(found)


@router.get("/v1/villages/{village_id}/verdict", response_model=VerdictPublic, responses=problems(400, 404, 500),
            summary="Kết luận tuân thủ quy trình của một thôn")
async def verdict(village_id: VillagePath, services: ServicesDep, as_of: AsOf = None,
                  as_recorded: AsRecorded = False) -> Response:
    """EVENTS.md §Verdict, xét vào ngày được hỏi (mặc định hôm nay). Các kiểm tra dựa trên lý lịch cá nhân chỉ
    giữ trạng thái, không kèm lời giải thích (cơ quan có quyền đọc hạn chế xem được trong lịch sử và gói hồ sơ của
    thôn)."""
    views = services.views
    day = as_of or views.today()
    head = await views.read_head()
    found = views.verdict_cached(head, village_id, day, as_recorded)
    if isinstance(found, Missing):
        found = await run_in_threadpool(views.verdict, head, village_id, day, as_recorded)
    if found is None:
        raise _unknown(village_id)
    return json_bytes(found)


@router.get("/v1/officeholders", response_model=OfficeholdersPublic, responses=problems(400, 404),
            summary="Những người giữ chức vụ ở các thôn của một địa bàn")
def officeholders(
    services: ServicesDep,
    place: Annotated[str, Query(max_length=200, description="Huyện, xã hoặc thôn; trống: tất cả.",
                                examples=["qng.bato"])] = "",
    office: Annotated[Office | None, Query(description="Một chức vụ; trống: mọi chức vụ.")] = None,
    as_of: AsOf = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Số dòng tối đa của một trang.")] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Bỏ qua chừng này dòng đầu (phân trang).")] = 0,
) -> OfficeholdersPublic:
    """Trưởng thôn và bí thư chi bộ (hoặc bất kỳ chức vụ nào) của mọi thôn thuộc ``place`` vào ngày được hỏi:
    câu hỏi thường gặp nhất. Phân trang bằng ``limit``/``offset``; ở trang cuối ``next_offset`` là null."""
    views = services.views.fresh()
    rows: list[dict[str, Any]] = views.officeholders(place, office, as_of, limit=limit + 1, offset=offset)
    if place and not rows and services.places.get(place) is None:  # not an empty answer about no place
        raise NotFound(f"'{place}' không phải địa bàn đã đăng ký.", detail="unknown place")
    more = len(rows) > limit
    items = [public_officeholder(r) for r in rows[:limit]]
    return OfficeholdersPublic.model_validate({
        "place": place, "office": office, "as_of": (as_of or views.today()).isoformat(), "items": items,
        "limit": limit, "offset": offset, "next_offset": offset + limit if more else None})
