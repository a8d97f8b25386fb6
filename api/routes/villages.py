"""Restricted: a village's full history and bundle, for signed requests of entitled bodies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from api.deps import ReaderDep, ServicesDep
from api.history import village_history
from api.models import HistoryPublic, PlacePublic, ReaderPublic
from api.openapi import problems
from api.places import VILLAGE_KINDS, Place
from api.problems import ApiError, NotFound
from ledger.bundle import make_bundle

router = APIRouter(tags=["restricted"])
VillagePath = Annotated[str, Path(max_length=200, description="Mã thôn, tổ dân phố.",
                                   examples=["qng.bato.badien.lang-ma"])]
_RESTRICTED = problems(400, 401, 403, 404)


def _village(services: ServicesDep, village_id: str) -> Place:
    place = services.places.get(village_id)
    if place is None or place.kind not in VILLAGE_KINDS:
        raise NotFound(f"'{village_id}' không phải thôn/tổ dân phố đã đăng ký.", detail="unknown village")
    return place


@router.get("/v1/villages/{village_id}/history", response_model=HistoryPublic, responses=_RESTRICTED,
            summary="Toàn bộ lịch sử của một thôn (cần chữ ký RFC 9421)")
def history(village_id: VillagePath, reader: ReaderDep, services: ServicesDep, response: Response) -> HistoryPublic:
    """Mọi phong bì của thôn đúng như đã nhận, kèm lý lịch những người được nhắc tới. Chỉ dành cho cơ quan loại
    `inspection`, `commune_front`, `commune_party`, `district_standing` hoặc `root`, trong thẩm quyền của cơ quan
    đó."""
    reader.require_place(village_id)
    place = _village(services, village_id)
    found = village_history(services.ledger, village_id)
    response.headers["Cache-Control"] = "no-store"  # personal data: no shared cache keeps it
    return HistoryPublic.model_validate({
        "village": PlacePublic(id=place.id, name=place.name, kind=place.kind, parent=place.parent,
                               children=sorted(place.children)),
        "reader": ReaderPublic(body=reader.body.id, kind=reader.body.kind, keyid=reader.keyid), **found})


@router.get("/v1/bundles/villages/{village_id}", response_class=Response,
            responses={200: {"description": "Gói hồ sơ (JSON chuẩn hóa RFC 8785): sự kiện, thẩm quyền, bằng chứng tới "
                                            "một checkpoint đủ nhân chứng.",
                             "content": {"application/json": {"schema": {"type": "object"}}}},
                       **_RESTRICTED, **problems(409, 503)},
            summary="Gói hồ sơ kiểm chứng ngoại tuyến của một thôn (cần chữ ký RFC 9421)")
def bundle(village_id: VillagePath, reader: ReaderDep, services: ServicesDep) -> Response:
    """Gói hồ sơ của thôn, kiểm chứng được khi không có mạng (``dantin verify-bundle``). Hạn chế như lịch sử: gói
    chứa lý lịch (ngày sinh, thông tin đảng viên) của những người được các sự kiện nhắc tới."""
    reader.require_place(village_id)
    _village(services, village_id)
    if services.log_signer is None:
        raise ApiError("Máy chủ này không giữ khóa nhật ký; không lập được gói hồ sơ.", status=503,
                       code="log_unavailable", detail="no log key")
    made = make_bundle(services.ledger, village_id, policy=services.policy, signer=services.log_signer)
    return Response(made.data, media_type="application/json",
                    headers={"X-Dantin-Checkpoint-Size": str(made.size), "Cache-Control": "no-store"})
