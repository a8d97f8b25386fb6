"""Writes: signed envelopes in, receipts with inclusion proofs out (``api.submission``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api import submission
from api.deps import RawBody, ServicesDep
from api.openapi import EVENTS_BODY, EVENTS_RESPONSES
from api.responses import json_response

router = APIRouter(prefix="/v1/events", tags=["events"])
INLINE_PARSE_BYTES = 64 * 1024  # a body this small is parsed on the event loop (tens of microseconds)


@router.post("", status_code=201, response_model=None, responses=EVENTS_RESPONSES, openapi_extra=EVENTS_BODY,
             summary="Nộp phong bì đã ký (một hoặc một lô)")
async def submit_events(services: ServicesDep, body: RawBody) -> Response:
    """Xét và lưu các phong bì đã ký. Một phong bì: 201 kèm biên nhận, hoặc một lỗi (409 `replay` kèm biên nhận
    gốc, 422 bị từ chối, 400 không phải JSON). Một lô: 201 khi mọi phong bì được ghi; nếu không, 200 kèm kết quả
    từng phong bì (phong bì hợp lệ vẫn được lưu dù có phong bì khác bị từ chối), hoặc 409/422 khi không ghi được
    phong bì nào."""
    services.ledger.ensure_writable()  # a copy served read only takes nothing: 403 read_only, whatever the body
    max_batch = services.settings.max_batch
    if len(body) > INLINE_PARSE_BYTES:  # parsed off the event loop
        outcome = await run_in_threadpool(submission.submit, services.ledger, body, max_batch)
    else:
        docs, batch = submission.read_documents(body, max_batch)
        if batch:
            outcome = await run_in_threadpool(submission.submit_documents, services.ledger, docs, batch)
        else:  # one envelope: stored together with those of the requests waiting beside it (api.writer)
            outcome = await services.writer.submit(docs[0])
    return json_response(outcome.body, status_code=outcome.status)
