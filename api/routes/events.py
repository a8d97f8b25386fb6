"""Writes: signed envelopes in, receipts with inclusion proofs out (``api.submission``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api import submission
from api.deps import RawBody, ServicesDep
from api.openapi import EVENTS_BODY, EVENTS_RESPONSES

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.post("", status_code=201, response_model=None, responses=EVENTS_RESPONSES, openapi_extra=EVENTS_BODY,
             summary="Nộp phong bì đã ký (một hoặc một lô)")
async def submit_events(services: ServicesDep, body: RawBody) -> JSONResponse:
    """Judge and store signed envelopes. One envelope: 201 and its receipt, or a problem (409 replay with the
    original receipt, 422 refused, 400 not JSON). A batch: 201 when all were accepted, else 200 with one
    result per envelope; accepted envelopes are stored even when others are refused."""
    outcome = await run_in_threadpool(submission.submit, services.ledger, body, services.settings.max_batch)
    return JSONResponse(outcome.body, status_code=outcome.status)
