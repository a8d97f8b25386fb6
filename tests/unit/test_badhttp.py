"""Both of uvicorn's parsers, as ``dantin serve`` configures them (``api.badhttp``), answer a request
they cannot parse in problem+json and Vietnamese; the httptools one also runs in
``tests/api/test_api_serve.py`` through the real command."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from api import badhttp


async def _app(scope: dict[str, object], receive: object, send: object) -> None:  # never reached
    raise AssertionError("a request uvicorn could not parse reached the application")


@pytest.fixture(params=["h11", "httptools"])
def server(request: pytest.FixtureRequest) -> Iterator[int]:
    protocol = badhttp.H11 if request.param == "h11" else badhttp.HttpTools
    if protocol is None:
        pytest.fail("httptools is a dependency (uvicorn[standard]) and should be installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(_app, host="127.0.0.1", port=port, http=protocol, log_level="critical", lifespan="off")
    serving = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(serving.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not serving.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield port
    serving.should_exit = True
    thread.join(timeout=10)


def test_a_broken_request_gets_a_vietnamese_problem(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), answer
    assert b"content-type: application/problem+json" in head.lower()
    assert int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0]) == len(body)
    problem = json.loads(body)
    assert (problem["code"], problem["title"]) == ("bad_http", "Yêu cầu HTTP không hợp lệ")
