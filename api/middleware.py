"""One pure-ASGI layer around every request (the outermost of ours).

- The request log: honours a well-formed ``X-Request-ID`` (else makes one), returns it, and
  writes one JSON log line per request (request id, method, path, status, duration in ms).
  An exception nothing else handled becomes a 500 problem here, without a traceback for the
  client (the log line gets it).
- HEAD: answered as GET, without the body (FastAPI routes GET alone).
- The body limit: refuses a body larger than the limit while it is read: at once from
  ``Content-Length``, or as soon as the bytes received pass the limit. Requests without a
  body (no ``Content-Length``, no ``Transfer-Encoding``) skip the counting altogether.

Both live in one class so a request crosses one layer, not two; the work per request is a
header scan, a perf counter and the log record (``api.logs`` writes the fields as they are).
"""

from __future__ import annotations

import logging
import os
import re
import time
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logs import FIELDS
from api.problems import PROBLEM_JSON, PayloadTooLarge, internal_error, problem_of
from ledger.application import ReadOnly

log = logging.getLogger("dantin.api")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
#: The scope key holding the method the client sent, when the app sees another (HEAD answered as GET).
SENT_METHOD = "dantin.sent_method"


async def _send_problem(send: Send, body: dict[str, Any], request_id: str | None = None) -> None:
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"connection", b"close")]
    if request_id:
        headers.append((b"x-request-id", request_id.encode()))
    await send({"type": "http.response.start", "status": body["status"], "headers": headers})
    await send({"type": "http.response.body", "body": orjson.dumps(body)})


class RequestLog:
    """The request id, the JSON log line, the last-resort 500 and the body limit, in one layer."""

    #: The requests that write (``Ledger.ensure_writable``): on a copy served read only they are
    #: refused here, before their body is read, so a body over the limit is told 403, not 413.
    WRITES = frozenset({("POST", "/v1/events"), ("POST", "/v1/log/cosignatures")})

    def __init__(self, app: ASGIApp, max_body_bytes: int | None = None, read_only: bool = False) -> None:
        self.app = app
        self.max_bytes = max_body_bytes
        self.read_only = read_only

    def _too_large(self, got: int | None = None) -> PayloadTooLarge:
        return PayloadTooLarge(f"Nội dung gửi lên vượt quá giới hạn {self.max_bytes} byte.",
                               detail=f"body exceeds {self.max_bytes} bytes" + (f" ({got}+)" if got else ""))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500
        given = declared = None
        chunked = False
        for key, value in scope["headers"]:
            if key == b"x-request-id":
                given = given or bytes(value)
            elif key == b"content-length" and declared is None:
                declared = bytes(value)
            elif key == b"transfer-encoding":
                chunked = True
        request_id = given.decode("latin-1") if given and _REQUEST_ID.match(given.decode("latin-1")) \
            else os.urandom(16).hex()
        id_header = (b"x-request-id", request_id.encode())
        scope.setdefault("state", {})["request_id"] = request_id
        response_started = False

        # HEAD is GET without the body (RFC 9110 §9.3.2): FastAPI routes GET alone, and answered 405.
        # The method sent stays in the scope: a signed read (RFC 9421 ``@method``) is checked against it.
        head = scope["method"] == "HEAD"
        app_scope = {**scope, "method": "GET", SENT_METHOD: "HEAD"} if head else scope

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                message["headers"] = [*message.get("headers", ()), id_header]
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        if self.read_only and (scope["method"], scope.get("path", "").rstrip("/")) in self.WRITES:
            status = 403
            await _send_problem(send, problem_of(ReadOnly.refusal(), scope.get("path")), request_id)
            self._log(scope, request_id, status, started, None)
            return
        limit = self.max_bytes
        if limit is not None and (chunked or declared is not None):
            if declared is not None and declared.isdigit() and int(declared) > limit:
                status = 413
                await _send_problem(send, problem_of(self._too_large(), scope.get("path")), request_id)
                self._log(scope, request_id, status, started, None)
                return
            received = 0

            async def limited() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise self._too_large(received)  # mapped to 413 by api.problems
                return message

            inner: Receive = limited
        else:
            inner = receive
        error: BaseException | None = None
        try:
            await self.app(app_scope, inner, send_with_id)
        except Exception as exc:  # the last line of defence: answer 500, log the cause
            error = exc
            if response_started:
                raise
            await _send_problem(send, internal_error(scope.get("path")), request_id)
            status = 500
        finally:
            self._log(scope, request_id, status, started, error)

    @staticmethod
    def _log(scope: Scope, request_id: str, status: int, started: float, error: BaseException | None) -> None:
        level = logging.ERROR if error is not None else logging.INFO
        if not log.isEnabledFor(level):
            return
        line = {"event": "request", "request_id": request_id, "method": scope.get("method"),
                "path": scope.get("path"), "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2)}
        log.log(level, "request", exc_info=error, extra={FIELDS: line})

