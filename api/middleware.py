"""Two pure-ASGI layers around every request.

- ``RequestLog``: honours a well-formed ``X-Request-ID`` (else makes one), returns it, and
  writes one JSON log line per request (request id, method, path, status, duration in ms).
  An exception nothing else handled becomes a 500 problem here, without a traceback for the
  client (the log line gets it).
- ``BodyLimit``: refuses a body larger than the limit while it is read: at once from
  ``Content-Length``, or as soon as the bytes received pass the limit.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_JSON, PayloadTooLarge, internal_error, problem_of

log = logging.getLogger("dantin.api")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


async def _send_problem(send: Send, body: dict[str, Any], request_id: str | None = None) -> None:
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"connection", b"close")]
    if request_id:
        headers.append((b"x-request-id", request_id.encode()))
    await send({"type": "http.response.start", "status": body["status"], "headers": headers})
    await send({"type": "http.response.body", "body": orjson.dumps(body)})


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given and _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started, status = time.perf_counter(), 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        error: BaseException | None = None
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # the last line of defence: answer 500, log the cause
            error = exc
            if response_started:
                raise
            await _send_problem(send, internal_error(scope.get("path")), request_id)
            status = 500
        finally:
            line = {"event": "request", "request_id": request_id, "method": scope.get("method"),
                    "path": scope.get("path"), "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2)}
            if error is not None:
                log.error(orjson.dumps(line).decode(), exc_info=error)
            else:
                log.info(orjson.dumps(line).decode())


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self, got: int | None = None) -> PayloadTooLarge:
        return PayloadTooLarge(f"Nội dung gửi lên vượt quá giới hạn {self.max_bytes} byte.",
                               detail=f"body exceeds {self.max_bytes} bytes" + (f" ({got}+)" if got else ""))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _send_problem(send, problem_of(self._too_large(), scope.get("path")))  # RequestLog adds the id
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._too_large(received)  # mapped to 413 by api.problems
            return message

        await self.app(scope, limited, send)
