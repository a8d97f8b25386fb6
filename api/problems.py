"""Errors → HTTP, in this one place: RFC 9457 problem details (``application/problem+json``).

Every problem has a stable ``code`` (the ledger's refusal codes and error codes), a ``type``
URI made from it, a Vietnamese ``title`` and ``detail``, the HTTP ``status``, and
``detail_en`` (English, for programs and logs). Nothing here ever shows a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from eventsourcing.persistence import PersistenceError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.httpsig import ACCEPT_SIGNATURE
from api.responses import json_response
from api.sigerrors import SignatureError
from ledger.errors import CryptoError, DantinError, Refused
from schemas._messages import message_vi

PROBLEM_BASE = "https://dantin.qng/problems/"
PROBLEM_JSON = "application/problem+json"

log = logging.getLogger("dantin.api")


class ApiError(DantinError):
    """An error of the HTTP face itself, with its status."""

    status = 400

    def __init__(self, message_vi: str, *, detail: str = "", code: str | None = None,
                 title_vi: str | None = None, status: int | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message_vi, detail=detail, code=code)
        if title_vi is not None:
            self.title_vi = title_vi
        if status is not None:
            self.status = status
        #: Extension members of the problem (RFC 9457 §3.2), e.g. the original receipt of a replay.
        self.extra = extra or {}


class BadRequest(ApiError):
    code = "invalid_request"
    title_vi = "Yêu cầu không hợp lệ"


class NotFound(ApiError):
    status = 404
    code = "not_found"
    title_vi = "Không tìm thấy"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"
    title_vi = "Không có quyền đọc"


class PayloadTooLarge(ApiError):
    status = 413
    code = "body_too_large"
    title_vi = "Nội dung gửi lên quá lớn"


class Conflict(ApiError):
    status = 409
    code = "conflict"
    title_vi = "Xung đột với trạng thái hiện tại"


#: Statuses of the ledger's own error codes; other refusals and crypto errors are 422.
STATUS_BY_CODE: dict[str, int] = {
    "replay": 409,
    "out_of_range": 404,
    "no_checkpoint": 404,
    "not_witnessed": 409,
    "bundle": 409,
    "log_unavailable": 503,
    "storage": 503,
    "store_unavailable": 503,  # (a verification stopped by the database out of reach)
    "ledger_dir": 503,
    "read_only": 403,  # a copy served read only (dantin serve --read-only) takes nothing
}

#: Titles for HTTP errors raised by the framework itself (unknown route, wrong method…).
_HTTP_TITLES: dict[int, tuple[str, str]] = {
    404: ("not_found", "Không tìm thấy"),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ"),
    406: ("not_acceptable", "Không có dạng trả lời phù hợp"),
    413: ("body_too_large", "Nội dung gửi lên quá lớn"),
    415: ("unsupported_media_type", "Kiểu nội dung không được hỗ trợ"),
}


def status_of(exc: DantinError) -> int:
    if isinstance(exc, ApiError):
        return exc.status
    if isinstance(exc, SignatureError):
        return 401
    if exc.defect:  # the program's, not the request's (projections.views.VillageUnavailable)
        return 500
    if exc.code in STATUS_BY_CODE:
        return STATUS_BY_CODE[exc.code]
    if isinstance(exc, (Refused, CryptoError)):
        return 422
    return 400


def problem(status: int, code: str, title_vi: str, detail_vi: str, *, detail_en: str = "",
            instance: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": PROBLEM_BASE + code, "title": title_vi, "status": status, "detail": detail_vi,
                            "code": code}
    if detail_en:
        body["detail_en"] = detail_en
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body


def problem_of(exc: DantinError, instance: str | None = None) -> dict[str, Any]:
    extra = exc.extra if isinstance(exc, ApiError) else {}
    return problem(status_of(exc), exc.code, exc.title_vi, exc.message_vi, detail_en=exc.detail,
                   instance=instance, **extra)


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return json_response(body, status_code=int(body["status"]), media_type=PROBLEM_JSON, headers=headers)


def _instance(request: Request) -> str:
    return request.url.path


async def _dantin_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DantinError)
    headers = None
    if isinstance(exc, SignatureError):  # RFC 9421 §5.1: say what a signature must cover
        headers = {"Accept-Signature": ACCEPT_SIGNATURE}
    return _page_or_problem(request, problem_of(exc, _instance(request)), headers)


#: Where the API answers, always in problem+json; elsewhere a browser asking for HTML gets a page.
_API_PATHS = ("/v1/", "/healthz", "/readyz", "/openapi.json", "/static/")


def _page_or_problem(request: Request, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """A problem as the web pages show one (to a browser asking for a page, outside the API's
    paths), else as problem+json."""
    if not request.url.path.startswith(_API_PATHS) and "text/html" in request.headers.get("accept", ""):
        from api.web.pages import problem_page  # (the pages import this module's neighbours)

        return problem_page(request, body, headers)
    return problem_response(body, headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ())) or "(yêu cầu)"
    why = f": {message_vi(first)}" if first else ""  # type: ignore[arg-type]  # (the rule: "không được nhỏ hơn 1")
    body = problem(400, "invalid_request", "Yêu cầu không hợp lệ", f"Tham số không hợp lệ tại {where}{why}.",
                   detail_en=f"{where}: {first.get('msg', 'invalid')}", instance=_instance(request))
    return _page_or_problem(request, body)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code, title = _HTTP_TITLES.get(exc.status_code, ("http_error", "Lỗi yêu cầu"))
    path = request.url.path
    detail_vi = {404: f"Không có tài nguyên '{path}'.",
                 405: f"Phương thức {request.method} không dùng được cho '{path}'."}.get(exc.status_code, title)
    body = problem(exc.status_code, code, title, detail_vi, detail_en=str(exc.detail), instance=_instance(request))
    return _page_or_problem(request, body, dict(exc.headers) if exc.headers else None)


async def _storage_error(request: Request, exc: Exception) -> Response:
    log.error("storage error on %s: %s", request.url.path, type(exc).__name__)
    body = problem(503, "storage", "Lỗi lưu trữ", "Cơ sở dữ liệu của sổ cái tạm thời không truy cập được; hãy thử "
                   "lại sau.", detail_en=type(exc).__name__, instance=_instance(request))
    return problem_response(body, {"Retry-After": "5"})


def internal_error(instance: str | None = None) -> dict[str, Any]:
    """The answer to an unexpected exception: no traceback, the request id tells the operator where to look."""
    return problem(500, "internal", "Lỗi nội bộ", "Máy chủ gặp lỗi không lường trước; yêu cầu chưa được xử lý "
                   "xong. Hãy báo mã yêu cầu (X-Request-ID) cho người vận hành.", detail_en="internal server error",
                   instance=instance)


def install(app: FastAPI) -> None:
    """Register the one mapping of errors to HTTP answers."""
    app.add_exception_handler(DantinError, _dantin_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(PersistenceError, _storage_error)
