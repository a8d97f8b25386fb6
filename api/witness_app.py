"""A witness's HTTP service, ``dantin witness serve``: C2SP tlog-witness ``add-checkpoint``.

Run by a witness body (the inspection commission, a commune Front) on its own machine, with
its own key, not by the ledger's server: a log (``dantin witness push``) or anyone relaying a
checkpoint posts it here, with a consistency proof from the last one this witness cosigned.
The protocol and its statuses are ``ledger.tlog_witness``'s; refusals other than the 409 of an
old size (whose body the specification fixes) are RFC 9457 problems, in Vietnamese.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from api import problems
from api.middleware import RequestLog
from ledger.tlog_witness import TLOG_SIZE, AddCheckpointError, HttpWitness

#: A checkpoint with its signatures, 63 proof lines: a few kilobytes. More is not a request.
MAX_BODY_BYTES = 64 * 1024


def create_witness_app(witness: HttpWitness) -> FastAPI:
    app = FastAPI(title="Nhân chứng Dân tin", version="1", openapi_url=None, docs_url=None, redoc_url=None,
                  swagger_ui_oauth2_redirect_url=None)
    problems.install(app)

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        body = await request.body()
        try:
            line = await run_in_threadpool(witness.add_checkpoint, body)  # the state file's lock and fsync
        except AddCheckpointError as exc:
            if exc.size is not None:
                # Exactly the specification's media type (Starlette would add "; charset=utf-8" to a text/*).
                return Response(f"{exc.size}\n".encode(), status_code=409, headers={"content-type": TLOG_SIZE})
            body_of = problems.problem(exc.status, exc.code, exc.title_vi, exc.message_vi, detail_en=exc.detail,
                                       instance=request.url.path)
            return problems.problem_response(body_of)
        return Response(line, media_type="text/plain; charset=utf-8")

    @app.get("/healthz")
    async def healthz() -> dict[str, object]:
        return {"status": "ok", "witness": witness.signer.name, "logs": sorted(witness.logs)}

    app.add_middleware(RequestLog, max_body_bytes=MAX_BODY_BYTES)
    return app


__all__ = ["MAX_BODY_BYTES", "create_witness_app"]
