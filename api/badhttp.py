"""A request the server cannot even parse (a broken request line, a bad header) is answered as every
other error is: RFC 9457 ``application/problem+json``, its title and detail in Vietnamese, a stable
code (``bad_http``), and uvicorn's English reason kept in ``detail_en``.

uvicorn answers such a request itself, before the application sees it, with a plain-text
"Invalid HTTP request received."; ``dantin serve`` runs uvicorn with these protocol classes, each
its own parser's (httptools when installed, else h11), whose one change is that answer.
"""

from __future__ import annotations

import h11
import orjson
from uvicorn.protocols.http.h11_impl import H11Protocol

from api.problems import PROBLEM_JSON, problem

CODE = "bad_http"
TITLE_VI = "Yêu cầu HTTP không hợp lệ"
DETAIL_VI = "Máy chủ không đọc được yêu cầu HTTP này: dòng yêu cầu hoặc một trường tiêu đề sai cú pháp."


def body_of(reason: str) -> bytes:
    return orjson.dumps(problem(400, CODE, TITLE_VI, DETAIL_VI, detail_en=reason))


def _headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", PROBLEM_JSON.encode("ascii")), (b"content-length", str(len(body)).encode("ascii")),
            (b"connection", b"close")]


class H11(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        body = body_of(msg)
        event = h11.Response(status_code=400, headers=_headers(body), reason=b"Bad Request")
        for output in (self.conn.send(event), self.conn.send(h11.Data(data=body)), self.conn.send(h11.EndOfMessage())):
            if output:
                self.transport.write(output)
        self.transport.close()


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools not installed: uvicorn's h11 parser only
    HttpTools: type | None = None
else:

    class _HttpTools(HttpToolsProtocol):
        def send_400_response(self, msg: str) -> None:
            body = body_of(msg)
            content = [b"HTTP/1.1 400 Bad Request\r\n"]
            for name, value in self.server_state.default_headers:
                content.extend([name, b": ", value, b"\r\n"])
            for name, value in _headers(body):
                content.extend([name, b": ", value, b"\r\n"])
            content.extend([b"\r\n", body])
            self.transport.write(b"".join(content))
            self.transport.close()

    HttpTools = _HttpTools
