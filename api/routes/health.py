"""Operations: liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import LedgerDep
from api.models import HealthPublic, ReadyPublic
from api.openapi import problems
from api.responses import json_bytes

router = APIRouter(tags=["ops"])
_OK = HealthPublic(status="ok").model_dump_json().encode()


@router.get("/healthz", response_model=HealthPublic, summary="Tiến trình đang chạy")
async def healthz() -> Response:
    """Luôn trả `{"status": "ok"}` khi tiến trình còn trả lời, không đọc sổ cái."""
    return json_bytes(_OK)  # async and pre-serialised: no thread pool trip, no model per request


@router.get("/readyz", response_model=ReadyPublic, responses=problems(503), summary="Sổ cái truy cập được")
def readyz(ledger: LedgerDep) -> ReadyPublic:
    """Kích thước nhật ký, đọc bằng một truy vấn nhẹ; kho lưu trữ không truy cập được thì trả 503."""
    return ReadyPublic(status="ready", log_size=ledger.log_size(), read_only=ledger.read_only)
