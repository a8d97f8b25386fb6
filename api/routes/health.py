"""Operations: liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import LedgerDep
from api.models import HealthPublic, ReadyPublic
from api.openapi import problems

router = APIRouter(tags=["ops"])


@router.get("/healthz", response_model=HealthPublic, summary="Tiến trình đang chạy")
def healthz() -> HealthPublic:
    return HealthPublic(status="ok")


@router.get("/readyz", response_model=ReadyPublic, responses=problems(503), summary="Sổ cái truy cập được")
def readyz(ledger: LedgerDep) -> ReadyPublic:
    """One cheap query: the log's size (a storage error becomes 503)."""
    return ReadyPublic(status="ready", log_size=ledger.log_size())
