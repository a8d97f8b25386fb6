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
    return json_bytes(_OK)  # async and pre-serialised: no thread pool trip, no model per request


@router.get("/readyz", response_model=ReadyPublic, responses=problems(503), summary="Sổ cái truy cập được")
def readyz(ledger: LedgerDep) -> ReadyPublic:
    """One cheap query: the log's size (a storage error becomes 503)."""
    return ReadyPublic(status="ready", log_size=ledger.log_size(), read_only=ledger.read_only)
