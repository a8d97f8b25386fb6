"""The load generator of ``bench.api``: a process of its own, driven over stdin/stdout.

    python -m bench._load URL [--client raw|httpx]

Reads one JSON command per line on stdin and answers on stdout with JSON lines:
``{"progress": n}`` while it works (about four a second) and ``{"result": {...}}`` at the
end of each command. Commands:

- ``{"op": "get_open", "villages": [...], "dates": [first, last], "seed": s, "rate": r, "seconds": t}``:
  open loop over leadership reads (or ``"path": p`` instead of the first three: ``GET p``).
  Request i is due at ``start + i / r``; its latency is counted from that due time, not
  from when it was sent, so a server that falls behind shows its queue (no coordinated
  omission). ``lag`` is how late the client itself was to queue a request
  (due time to the time it was queued for a connection): the client's own delay.
- ``{"op": "post", "file": path, "first": i, "count": n, "concurrency": c, "seconds": t}``:
  closed loop: ``c`` clients POST the pre-serialised bodies (one JSON document per line of
  ``file``) to ``/v1/events`` back to back, until ``count`` were sent or ``t`` seconds
  passed; every answer must be 201.
- ``{"op": "quit"}``.

Each worker owns one keep-alive connection, opened before timing (``CONNECTIONS`` workers
for GET). Requests due while every connection is busy wait in an ``asyncio.Queue``; that
wait is part of their latency. Every result carries the client's CPU seconds, so the
caller can tell whether the client kept up.

The connection is ``Http11`` below by default: HTTP/1.1 over asyncio streams, a request
written in one call and the answer read by Content-Length (or chunks). ``--client httpx``
uses one ``httpx.AsyncClient`` (one connection) per worker instead. Measured on the 2-core
machine this was written on, httpx cost about 2.5 ms of client CPU per request against
0.5 ms for ``Http11`` (whole loop included), and with it the client, not the server, was
the bottleneck: leadership p99 at 200/s was 1.2 s with httpx, 31 ms with ``Http11``.
(With one shared httpx client and many requests in flight it is worse still: httpcore's
pool bookkeeping grows with the requests waiting in it.)
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

import orjson

CONNECTIONS = 32  # GET workers, one keep-alive connection each
TIMEOUT_S = 30.0


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = int(-(-q * len(ordered) // 100))
    return ordered[max(0, min(len(ordered) - 1, rank - 1))]


def summary(latencies: list[float]) -> dict[str, float]:
    return {"p50": pct(latencies, 50), "p90": pct(latencies, 90), "p99": pct(latencies, 99),
            "max": max(latencies, default=0.0)}


def emit(doc: dict[str, Any]) -> None:
    sys.stdout.buffer.write(orjson.dumps(doc) + b"\n")
    sys.stdout.buffer.flush()


class Errors:
    def __init__(self) -> None:
        self.count = 0
        self.first: str | None = None

    def add(self, what: str) -> None:
        self.count += 1
        if self.first is None:
            self.first = what[:300]


# -- connections ------------------------------------------------------------------------


class Connection(Protocol):
    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]: ...

    async def close(self) -> None: ...


class Http11:
    """One HTTP/1.1 keep-alive connection; reconnects when the server closes it."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.authority = f"{self.host}:{self.port}".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = b"%s %s HTTP/1.1\r\nHost: %s\r\n" % (method.encode(), path.encode(), self.authority)
        if body is not None:
            head += b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
        try:
            self.writer.write(head + b"\r\n" + (body or b""))
            async with asyncio.timeout(TIMEOUT_S):
                status, content, close = await self._answer(self.reader)
        except BaseException:
            await self.close()
            raise
        if close:
            await self.close()
        return status, content

    @staticmethod
    async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
        lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, chunked, close = 0, False, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = b"close" in value.lower()
        if not chunked:
            return status, await reader.readexactly(length), close
        chunks = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
            pass
        return status, b"".join(chunks), close

    async def close(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()


class Httpx:
    """The same over ``httpx.AsyncClient`` (one connection), for comparison."""

    def __init__(self, url: str) -> None:
        import httpx

        self.client = httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(TIMEOUT_S), limits=httpx.Limits(
            max_connections=1, max_keepalive_connections=1, keepalive_expiry=60))

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = {"content-type": "application/json"} if body is not None else None
        response = await self.client.request(method, path, content=body, headers=headers)
        return response.status_code, response.content

    async def close(self) -> None:
        await self.client.aclose()


CLIENTS: dict[str, Callable[[str], Connection]] = {"raw": Http11, "httpx": Httpx}


async def _ticker(done: list[int]) -> None:
    while True:
        await asyncio.sleep(0.25)
        emit({"progress": done[0]})


async def _connect(make: Callable[[], Connection], count: int) -> list[Connection]:
    """``count`` connections, each opened (by a request) before timing."""
    conns = [make() for _ in range(count)]
    for conn in conns:
        status, _ = await conn.request("GET", "/healthz")
        if status != 200:
            raise RuntimeError(f"GET /healthz answered {status}")
    return conns


# -- commands ---------------------------------------------------------------------------


def leadership_queries(villages: list[str], dates: list[str], seed: int, count: int) -> list[tuple[str, date]]:
    """``count`` (village, day) pairs: random villages, random days between ``dates`` (inclusive)."""
    rng = random.Random(seed)
    first, last = date.fromisoformat(dates[0]), date.fromisoformat(dates[1])
    span = (last - first).days
    return [(rng.choice(villages), first + timedelta(days=rng.randint(0, span))) for _ in range(count)]


async def get_open(make: Callable[[], Connection], cmd: dict[str, Any]) -> dict[str, Any]:
    rate, seconds = float(cmd["rate"]), float(cmd["seconds"])
    total = max(1, round(rate * seconds))
    # Paths drawn before timing.
    if "path" in cmd:
        paths = [cmd["path"]] * total
    else:
        paths = [f"/v1/villages/{village}/leadership?as_of={day.isoformat()}"
                 for village, day in leadership_queries(cmd["villages"], cmd["dates"], cmd["seed"], total)]
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    lags: list[float] = []
    errors = Errors()
    done = [0]
    due_queue: asyncio.Queue[tuple[str, float] | None] = asyncio.Queue()
    conns = await _connect(make, int(cmd.get("connections", CONNECTIONS)))

    async def worker(conn: Connection) -> None:
        while (item := await due_queue.get()) is not None:
            path, due = item
            try:
                status, content = await conn.request("GET", path)
                if status != 200:
                    errors.add(f"{status} {path}: {content[:200]!r}")
            except Exception as exc:  # noqa: BLE001 - any failure of a request is an error of the run
                errors.add(f"{type(exc).__name__} {path}: {exc!r}")
            latencies.append((loop.time() - due) * 1000)
            done[0] += 1

    workers = [asyncio.create_task(worker(conn)) for conn in conns]
    ticker = asyncio.create_task(_ticker(done))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    start = loop.time() + 0.02
    i = 0
    while i < total:
        now = loop.time()
        while i < total and start + i / rate <= now:
            due = start + i / rate
            lags.append((now - due) * 1000)
            due_queue.put_nowait((paths[i], due))
            i += 1
        if i < total:
            await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
    sent_in = loop.time() - start
    for _ in workers:
        due_queue.put_nowait(None)
    await asyncio.gather(*workers)
    finished_in = loop.time() - start
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    ticker.cancel()
    for conn in conns:
        await conn.close()
    return {"requests": total, "ok": total - errors.count, "errors": errors.count, "first_error": errors.first,
            "offered_per_s": rate, "connections": len(conns), "seconds": finished_in, "send_seconds": sent_in,
            "completed_per_s": total / finished_in, "latency_ms": summary(latencies),
            "lag_ms": summary(lags), "client_cpu_s": cpu, "client_cpu_share": cpu / wall,
            "client_cpu_ms_per_request": cpu / total * 1000}


async def post(make: Callable[[], Connection], cmd: dict[str, Any]) -> dict[str, Any]:
    with open(cmd["file"], "rb") as f:
        bodies = f.read().splitlines()[cmd["first"]:cmd["first"] + cmd["count"]]
    seconds = float(cmd["seconds"])
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    errors = Errors()
    done = [0]
    next_body = iter(bodies)
    conns = await _connect(make, int(cmd["concurrency"]))

    async def worker(deadline: float, conn: Connection) -> None:
        for body in next_body:
            sent = loop.time()
            try:
                status, content = await conn.request("POST", "/v1/events", body)
                if status != 201:
                    errors.add(f"{status}: {content[:300]!r}")
            except Exception as exc:  # noqa: BLE001 - any failure of a request is an error of the run
                errors.add(f"{type(exc).__name__}: {exc!r}")
            now = loop.time()
            latencies.append((now - sent) * 1000)
            done[0] += 1
            if now >= deadline:
                return

    ticker = asyncio.create_task(_ticker(done))
    cpu0 = time.process_time()
    start = loop.time()
    await asyncio.gather(*(worker(start + seconds, conn) for conn in conns))
    elapsed = loop.time() - start
    cpu = time.process_time() - cpu0
    ticker.cancel()
    for conn in conns:
        await conn.close()
    ok = done[0] - errors.count
    return {"requests": done[0], "ok": ok, "errors": errors.count, "first_error": errors.first,
            "seconds": elapsed, "per_s": ok / elapsed, "latency_ms": summary(latencies),
            "exhausted": done[0] >= len(bodies), "client_cpu_s": cpu, "client_cpu_share": cpu / elapsed,
            "client_cpu_ms_per_request": cpu / max(1, done[0]) * 1000}


async def main(url: str, kind: str) -> None:
    def make() -> Connection:
        return CLIENTS[kind](url)

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        cmd = orjson.loads(line)
        if cmd["op"] == "quit":
            break
        try:
            if cmd["op"] == "get_open":
                result = await get_open(make, cmd)
            elif cmd["op"] == "post":
                result = await post(make, cmd)
            else:
                raise ValueError(f"unknown op {cmd['op']!r}")
        except Exception as exc:  # noqa: BLE001 - the caller reports it; the loader stays up for the next command
            emit({"error": f"{type(exc).__name__}: {exc}"})
            continue
        emit({"result": result})


if __name__ == "__main__":
    args = sys.argv[1:]
    client_kind = "raw"
    if len(args) == 3 and args[1] == "--client" and args[2] in CLIENTS:
        client_kind = args[2]
        args = args[:1]
    if len(args) != 1:
        raise SystemExit("usage: python -m bench._load URL [--client raw|httpx]")
    asyncio.run(main(args[0], client_kind))
