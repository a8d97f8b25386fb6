"""HTTP API benchmark: a real ``dantin serve`` on loopback, loaded from a second process.

    python -m bench.api [--quick] [--backend sqlite|postgres|both] [--repeats R] [--json]

For each backend (SQLite in a temporary directory; PostgreSQL in a fresh schema per
repeat, created and dropped here) and each repeat:

1. ``dantin demo``'s ledger is built (untimed) in a fresh store: Ba Tơ, 61 villages with a
   2022–2025 term each, the 2022 attendance year, a witnessed checkpoint.
2. **Baselines, in process**, on that fresh ledger: ``person.profiled`` envelopes signed
   (before timing) by the demo's village cells, with the keys ``dantin demo`` wrote to
   ``DIR/keys/``, submitted one per call (``Ledger.submit([env])``,
   ``bench.ingest.time_ingest_one``) for ``--inproc-seconds``; then what the leadership
   route calls, ``VillageViews.leadership(head(), village, day, False)`` (the log's head,
   then the answer from the village's cached card, as JSON bytes), for random villages and
   days (up to 3,000, or 5 s). The ledger is closed.
3. ``dantin serve DIR --port 0`` (one uvicorn process, its JSON log in a file) serves that
   ledger, and ``python -m bench._load URL`` — a second process: asyncio, one keep-alive
   connection per worker, opened before timing — loads it:
   - ``GET /v1/villages/{id}/leadership?as_of=…`` for random demo villages and random days
     of 2022–2026, **open loop** at a fixed 200 requests/s for ``--fixed-seconds``: sends
     are scheduled at fixed intervals and each latency is measured from its scheduled
     time, so queueing in the server (or the client) is not hidden (no coordinated
     omission); 32 connections. p50 and p99 in ms.
   - ``GET /healthz`` the same way for ``--health-seconds``: the same server's cheapest
     route (an async handler, a pre-serialised body, the middleware, the log line): the floor
     the HTTP stack sets, to read the leadership figures against.
   - the **highest sustained rate**, by stepping the same open loop (not a closed loop):
     steps of ``--step-seconds``, rate x1.5 per step from 200/s (or /1.5 down when 200/s
     already fails) until the limit is bracketed, then two bisection steps. A step passes
     with p99 <= 100 ms and no errors; the figure is the highest rate that passed.
   - ``POST /v1/events`` with one envelope per request (other pre-signed
     ``person.profiled`` envelopes), closed loop, at concurrency 1 and 4, each for
     ``--post-seconds``; every answer must be 201 with its receipt (the server publishes a
     checkpoint for each, so every receipt carries an inclusion proof).
   Before GETs and POSTs, an untimed warm-up (the views' catch-up, first requests).
4. The server is stopped (SIGINT) and the in-process submit runs once more on the same
   ledger; the ingest baseline is both in-process runs together, so load that drifts
   during a repeat weighs on both sides of the ratio.

The load generator's CPU time, its send lag (scheduled time to queued time) and the
server's CPU time (from /proc) are reported with every phase, so a client that could not
keep up shows, and so does a server that ran out of CPU. The generator speaks HTTP/1.1 on
asyncio streams itself: httpx cost about 10x the client CPU per request and added
milliseconds to each (``--client httpx`` to compare; see bench/_load.py). Figures are
medians over repeats; ratios are taken per repeat and the median shown. Targets:

- leadership p99 <= 10 ms at 200 requests/s (SQLite; shown for PostgreSQL too)
- HTTP ingest, one envelope per request >= 0.5 x in-process one-by-one ingest

``--quick``: one repeat, 2 s steps (6 at most), 4 s POST phases, 3 s in-process runs (the
200/s phase keeps its 10 s): about a minute per backend on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

import httpx
import orjson
from rich.console import Console

from bench._load import leadership_queries, summary
from bench.ingest import DEFAULT_PG, Reporter, Stores, pg_unreachable, time_ingest_one
from ledger import home
from ledger.application import Ledger, Receipt
from ledger.envelope import seal
from ledger.signing import SigningKey

ROOT = Path(__file__).resolve().parents[1]
FIXED_RATE = 200.0
TARGET_P99_MS = 10.0
STEP_LIMIT_MS = 100.0
STEP_FACTOR = 1.5
TARGET_POST_RATIO = 0.5
DATES = ("2022-01-01", "2026-12-31")
WARM_POSTS = 20

_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Đinh", "Võ", "Huỳnh", "Hồ", "Phan")
_GIVEN = ("An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hoa", "Lan", "Long", "Mai", "Nam", "Phúc")


# -- the signed material ----------------------------------------------------------------


Cell = tuple[str, SigningKey, str]  # (body id, key, village)


def demo_cells(directory: Path) -> list[Cell]:
    """Every village cell of a ``dantin demo`` ledger, with the key the demo wrote for it."""
    from cli.demo import key_file
    from cli.demo_term import demo_villages

    cells = []
    for village in demo_villages():
        body = f"{village.id}/cell"
        cells.append((body, SigningKey.from_pem(key_file(directory / "keys", body).read_bytes()), village.id))
    return cells


def sign_profiles(cells: list[Cell], prefix: str, first: int, count: int,
                  tick: Callable[[int], None]) -> list[dict[str, Any]]:
    """``person.profiled`` envelopes about new people ``<prefix>-<i>``, signed by the cells in turn."""
    out = []
    for i in range(first, first + count):
        body, key, village = cells[i % len(cells)]
        name = f"{_FAMILY[i % len(_FAMILY)]} Văn {_GIVEN[(i // len(_FAMILY)) % len(_GIVEN)]}"
        out.append(seal(key, body, {
            "type": "person.profiled", "place": village, "date": "2022-01-10",
            "facts": {"person": f"{prefix}-{i}", "name": name, "born": "1980-01-01"},
        }))
        if i % 200 == 199:
            tick(200)
    return out


# -- the server and the load generator --------------------------------------------------


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (all its threads), from /proc; None elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """``python -m cli serve DIR --port 0``; the port is read from its JSON log."""

    def __init__(self, directory: Path, database: str | None, log_path: Path) -> None:
        argv = [sys.executable, "-m", "cli", "serve", str(directory), "--port", "0"]
        if database:
            argv += ["--database", database]
        env = {k: v for k, v in os.environ.items() if k != "DANTIN_DATABASE"}
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(argv, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        self.url = self._wait()

    def _wait(self) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = re.search(r"Uvicorn running on (http://[0-9.]+:[0-9]+)", self.log_path.read_text(encoding="utf-8"))
            if found and httpx.get(found.group(1) + "/healthz", timeout=5).status_code == 200:
                return found.group(1)
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.process.kill()
        self.process.wait()
        raise SystemExit("bench: dantin serve did not start:\n" + self.log_path.read_text(encoding="utf-8")[-2000:])

    def cpu(self) -> float | None:
        return _cpu_seconds(self.process.pid)

    def stop(self) -> int:
        """SIGINT, as an operator would; the server publishes its final checkpoint and exits."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode

    def logged_errors(self) -> int:
        return sum(1 for line in self.log_path.read_text(encoding="utf-8").splitlines() if '"level":"error"' in line)


class Loader:
    """``python -m bench._load URL``: one JSON command per line in, progress and a result out."""

    def __init__(self, url: str, client: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "bench._load", url, "--client", client], cwd=ROOT,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self._in: IO[bytes] = self.process.stdin
        self._out: IO[bytes] = self.process.stdout

    def run(self, cmd: dict[str, Any], tick: Callable[[int], None] | None = None) -> dict[str, Any]:
        self._in.write(orjson.dumps(cmd) + b"\n")
        self._in.flush()
        seen = 0
        while line := self._out.readline():
            doc = orjson.loads(line)
            if "progress" in doc:
                if tick is not None and doc["progress"] > seen:
                    tick(doc["progress"] - seen)
                seen = doc["progress"]
            elif "result" in doc:
                result: dict[str, Any] = doc["result"]
                return result
            else:
                raise SystemExit(f"bench: the load generator failed: {doc.get('error')}")
        raise SystemExit(f"bench: the load generator exited ({self.process.wait()})")

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self._in.write(b'{"op":"quit"}\n')
                self._in.close()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()


# -- the run ----------------------------------------------------------------------------


@dataclass
class Config:
    repeats: int
    backends: list[str]
    pg_url: str
    fixed_seconds: float
    step_seconds: float
    post_seconds: float
    inproc_seconds: float
    concurrency: list[int]
    max_steps: int
    quick: bool
    client: str
    reads: int
    reads_seconds: float
    health_seconds: float


@dataclass
class Repeat:
    """One repeat on one backend."""

    fixed: dict[str, Any] = field(default_factory=dict)  # the 200/s phase, as the loader reported it
    fixed_server_cpu: float | None = None  # server CPU share over the 200/s phase
    health: dict[str, Any] = field(default_factory=dict)  # GET /healthz at the same rate
    steps: list[dict[str, Any]] = field(default_factory=list)  # every step, in the order run
    max_rate: float = 0.0  # highest rate that passed (0: none did)
    first_fail: dict[str, Any] | None = None  # the lowest rate that failed
    inproc_per_s: float = 0.0  # both in-process runs together
    inproc_events: int = 0
    inproc_runs: list[float] = field(default_factory=list)  # before and after serving
    inproc_read_ms: dict[str, float] = field(default_factory=dict)  # p50, p90, p99, max, mean
    posts: dict[int, dict[str, Any]] = field(default_factory=dict)  # concurrency -> loader result
    server_errors: int = 0
    server_exit: int | None = None


@dataclass
class Results:
    repeats: dict[str, list[Repeat]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    load: list[float] = field(default_factory=list)  # 1-minute load average at start and end
    demo_events: int = 0


def _passed(step: dict[str, Any]) -> bool:
    return bool(step["errors"] == 0 and step["latency_ms"]["p99"] <= STEP_LIMIT_MS)


def measured(loader: Loader, server: Server, cmd: dict[str, Any],
             tick: Callable[[int], None] | None) -> dict[str, Any]:
    """Run one loader command and add the server's CPU share over it."""
    cpu0, wall0 = server.cpu(), time.perf_counter()
    result = loader.run(cmd, tick)
    cpu1, wall = server.cpu(), time.perf_counter() - wall0
    result["server_cpu_share"] = None if cpu0 is None or cpu1 is None else (cpu1 - cpu0) / wall
    result["server_cpu_ms_per_request"] = (None if cpu0 is None or cpu1 is None
                                           else (cpu1 - cpu0) / max(1, result["requests"]) * 1000)
    return result


def _describe(step: dict[str, Any]) -> str:
    lat, lag = step["latency_ms"], step["lag_ms"]
    server = step.get("server_cpu_share")
    return (f"{step['offered_per_s']:>6,.0f}/s offered, {step['completed_per_s']:>6,.0f}/s done: "
            f"p50 {lat['p50']:6.1f} ms  p99 {lat['p99']:7.1f} ms  errors {step['errors']}; "
            f"client CPU {step['client_cpu_share']:.0%}, send lag p99 {lag['p99']:.1f} ms"
            + ("" if server is None else f"; server CPU {server:.0%}"))


def run_reads(cfg: Config, loader: Loader, server: Server, rep_out: Reporter, tag: str, seed: int,
              out: Repeat) -> None:
    from cli.demo_term import demo_villages

    villages = [v.id for v in demo_villages()]

    def get(rate: float, seconds: float, label: str, seed_add: int) -> dict[str, Any]:
        total = max(1, round(rate * seconds))
        with rep_out.phase(f"{tag}: {label}", total) as tick:
            return measured(loader, server, {"op": "get_open", "villages": villages, "dates": list(DATES),
                                             "seed": seed + seed_add, "rate": rate, "seconds": seconds}, tick)

    warm = get(100, 1.5 if cfg.quick else 3.0, "leadership warm-up, 100/s", 0)
    if warm["errors"]:
        raise SystemExit(f"bench: GET leadership failed during warm-up: {warm['first_error']}")
    out.fixed = get(FIXED_RATE, cfg.fixed_seconds, f"leadership, open loop {FIXED_RATE:.0f}/s", 1)
    out.fixed_server_cpu = out.fixed["server_cpu_share"]
    rep_out.log(f"{tag}: leadership {_describe(out.fixed)}")
    # The floor: the same server's cheapest route (an async handler, a pre-serialised body, the middleware
    # and the log line), at the same rate.
    health_total = round(FIXED_RATE * cfg.health_seconds)
    with rep_out.phase(f"{tag}: /healthz, open loop {FIXED_RATE:.0f}/s", health_total) as tick:
        out.health = measured(loader, server, {"op": "get_open", "path": "/healthz", "rate": FIXED_RATE,
                                               "seconds": cfg.health_seconds}, tick)
    rep_out.log(f"{tag}: /healthz   {_describe(out.health)}")
    out.steps.append(out.fixed)

    # Step up x1.5 (or down /1.5) from the fixed rate to bracket the limit, then bisect twice.
    passed: float | None = FIXED_RATE if _passed(out.fixed) else None
    failed: dict[str, Any] | None = None if passed else out.fixed
    rate = FIXED_RATE
    runs = 0
    while runs < cfg.max_steps and (passed is None or failed is None):
        rate = round(rate * STEP_FACTOR if passed is not None else rate / STEP_FACTOR, -1)
        if rate < 10:
            break
        step = get(rate, cfg.step_seconds, f"leadership step {rate:,.0f}/s", 10 + runs)
        runs += 1
        out.steps.append(step)
        rep_out.log(f"{tag}: step {_describe(step)}" + ("" if _passed(step) else "  <- fails"))
        if _passed(step):
            passed = rate
        else:
            failed = step if failed is None or rate < failed["offered_per_s"] else failed
        time.sleep(0.5)
    for _ in range(2):
        if passed is None or failed is None or runs >= cfg.max_steps:
            break
        rate = round(math.sqrt(passed * failed["offered_per_s"]), -1)
        if rate <= passed or rate >= failed["offered_per_s"]:
            break
        step = get(rate, cfg.step_seconds, f"leadership step {rate:,.0f}/s", 10 + runs)
        runs += 1
        out.steps.append(step)
        rep_out.log(f"{tag}: step {_describe(step)}" + ("" if _passed(step) else "  <- fails"))
        if _passed(step):
            passed = rate
        else:
            failed = step
        time.sleep(0.5)
    out.max_rate = passed or 0.0
    out.first_fail = failed
    # The phases not run, off the overall bar.
    overall = rep_out.progress.tasks[rep_out.overall]
    if overall.total is not None:
        rep_out.progress.update(rep_out.overall, total=overall.total - (cfg.max_steps - runs))


def time_reads(ledger: Ledger, count: int, budget: float, seed: int, rep_out: Reporter,
               tag: str) -> dict[str, float]:
    """The read baseline: what the leadership route calls, in process, for random villages and days
    (``count`` of them, or as many as ``budget`` seconds allow)."""
    from api.village_views import VillageViews
    from cli.demo_term import demo_villages

    views = VillageViews(ledger)
    views.fresh()  # catch up with the envelopes just ingested, untimed (the server's warm-up does the same)
    for known in demo_villages():  # and the villages' cards, as the server's warm-up reads them
        views.leadership(views.head(), known.id, date(2022, 1, 1), False)
    queries = leadership_queries([v.id for v in demo_villages()], list(DATES), seed, count)
    times = []
    deadline = time.perf_counter() + budget
    with rep_out.phase(f"{tag}: in-process leadership reads", count) as tick:
        for i, (village, day) in enumerate(queries):
            start = time.perf_counter_ns()
            if views.leadership(views.head(), village, day, False) is None:
                raise SystemExit(f"bench: no leadership for {village}")
            times.append((time.perf_counter_ns() - start) / 1e6)
            if i % 100 == 99:
                tick(100)
                if time.perf_counter() > deadline:
                    break
    out = summary(times)
    out["mean"] = statistics.fmean(times)
    out["reads"] = len(times)
    rep_out.log(f"{tag}: in-process leadership (VillageViews.leadership): p50 {out['p50']:.2f} ms "
                f"p99 {out['p99']:.2f} ms mean {out['mean']:.2f} ms ({len(times)} reads)")
    return out


def run_repeat(cfg: Config, backend: str, rep: int, stores: Stores, rep_out: Reporter, results: Results) -> Repeat:
    from cli.demo import build_demo

    out = Repeat()
    tag = f"{backend} #{rep + 1}"
    with stores.fresh("demo") as (directory, database):
        with rep_out.phase(f"{tag}: dantin demo (untimed)", 1):
            build_demo(directory, database)
        cells = demo_cells(directory)

        # -- the baseline: one-by-one submit in process, on the fresh ledger -----------------
        # Run before the server starts and again after it stopped (on the same ledger, then
        # larger by the HTTP phases' events); the baseline is both runs together, so load that
        # drifts during the repeat weighs on both sides of the ratio.
        budget = cfg.inproc_seconds
        count = max(1000, int(budget * 600))
        with rep_out.phase(f"{tag}: signing {2 * count + WARM_POSTS} envelopes (in process)",
                           2 * count + WARM_POSTS) as tick:
            envs = sign_profiles(cells, "bench-inproc", 0, 2 * count + WARM_POSTS, tick)
        ledger = home.open_ledger(directory, database)
        try:
            if rep == 0:
                results.demo_events = ledger.recorder.max_notification_id() or 0
            for env in envs[:WARM_POSTS]:  # the same warm-up as the HTTP side gets
                if not isinstance(ledger.submit([env])[0], Receipt):
                    raise SystemExit("bench: a warm-up envelope was refused")
            with rep_out.phase(f"{tag}: in-process submit, one by one (before)", count) as tick:
                done1, elapsed1 = time_ingest_one(ledger, envs[WARM_POSTS:WARM_POSTS + count], budget, tick)
            rep_out.log(f"{tag}: in-process submit, one by one, before serving: {done1} ev in {elapsed1:.2f} s = "
                        f"{done1 / elapsed1:,.0f} ev/s")
            out.inproc_read_ms = time_reads(ledger, cfg.reads, cfg.reads_seconds, 5000 + 1000 * rep, rep_out, tag)
        finally:
            ledger.close()

        # -- the bodies to POST: enough for each phase at up to 3x the in-process rate ------------
        per_phase = max(1000, math.ceil(done1 / elapsed1 * cfg.post_seconds * 3))
        total = WARM_POSTS + per_phase * len(cfg.concurrency)
        bodies = directory.parent / f"{directory.name}-bodies.jsonl"
        with rep_out.phase(f"{tag}: signing {total} envelopes (HTTP)", total) as tick:
            wire = sign_profiles(cells, "bench-http", 0, total, tick)
            bodies.write_bytes(b"".join(orjson.dumps(env) + b"\n" for env in wire))
        del wire

        # -- the server, loaded from a second process ------------------------------------------
        server = Server(directory, database, directory.parent / f"{directory.name}-serve.log")
        loader: Loader | None = None
        try:
            loader = Loader(server.url, cfg.client)
            run_reads(cfg, loader, server, rep_out, tag, 1000 * rep, out)
            with rep_out.phase(f"{tag}: POST /v1/events warm-up", WARM_POSTS) as tick:
                warm = loader.run({"op": "post", "file": str(bodies), "first": 0, "count": WARM_POSTS,
                                   "concurrency": 1, "seconds": 60}, tick)
            if warm["errors"]:
                raise SystemExit(f"bench: POST /v1/events refused an envelope: {warm['first_error']}")
            for i, conc in enumerate(cfg.concurrency):
                with rep_out.phase(f"{tag}: POST /v1/events, {conc} client(s)", per_phase) as tick:
                    post = measured(loader, server, {
                        "op": "post", "file": str(bodies), "first": WARM_POSTS + i * per_phase, "count": per_phase,
                        "concurrency": conc, "seconds": cfg.post_seconds}, tick)
                if post["errors"]:
                    raise SystemExit(f"bench: POST /v1/events refused an envelope: {post['first_error']}")
                out.posts[conc] = post
                lat = post["latency_ms"]
                rep_out.log(f"{tag}: POST one envelope per request, {conc} client(s): {post['ok']} ev in "
                            f"{post['seconds']:.2f} s = {post['per_s']:,.0f} ev/s; p50 {lat['p50']:.1f} ms "
                            f"p99 {lat['p99']:.1f} ms; client CPU {post['client_cpu_share']:.0%}"
                            + ("" if post["server_cpu_share"] is None
                               else f", server CPU {post['server_cpu_share']:.0%}")
                            + ("  (ran out of bodies before the time budget)" if post["exhausted"] else ""))
        finally:
            if loader is not None:
                loader.close()
            out.server_exit = server.stop()
            out.server_errors = server.logged_errors()
        if out.server_exit != 0 or out.server_errors:
            rep_out.log(f"{tag}: note: dantin serve exited {out.server_exit} and logged {out.server_errors} "
                        f"error line(s); see {server.log_path}")

        ledger = home.open_ledger(directory, database)
        try:
            with rep_out.phase(f"{tag}: in-process submit, one by one (after)", count) as tick:
                done2, elapsed2 = time_ingest_one(ledger, envs[WARM_POSTS + count:], budget, tick)
        finally:
            ledger.close()
        rep_out.log(f"{tag}: in-process submit, one by one, after serving: {done2} ev in {elapsed2:.2f} s = "
                    f"{done2 / elapsed2:,.0f} ev/s")
        out.inproc_events = done1 + done2
        out.inproc_per_s = out.inproc_events / (elapsed1 + elapsed2)
        out.inproc_runs = [done1 / elapsed1, done2 / elapsed2]
        for conc, post in out.posts.items():
            rep_out.log(f"{tag}: POST with {conc} client(s) / in process (both runs): "
                        f"{post['per_s'] / out.inproc_per_s:.2f}")
    return out


def run(cfg: Config, console: Console) -> Results:
    results = Results(load=[os.getloadavg()[0]])
    began = time.perf_counter()
    backends = list(cfg.backends)
    if "postgres" in backends:
        why = pg_unreachable(cfg.pg_url)
        if why is not None:
            results.skipped["postgres"] = f"PostgreSQL unreachable at {cfg.pg_url}: {why}"
            console.print(f"[yellow]skipping PostgreSQL[/]: {why}", highlight=False, markup=True)
            backends.remove("postgres")
    # Per repeat and backend: demo, two signings, in process, warm-up, 200/s, steps, POST warm-up, POSTs.
    steps = cfg.repeats * len(backends) * (10 + cfg.max_steps + len(cfg.concurrency))
    with tempfile.TemporaryDirectory(prefix="dantin-bench-api-") as tmp, Reporter(console, max(1, steps)) as rep_out:
        rep_out.log(f"temp dir {tmp}; load average {results.load[0]:.1f} on {os.cpu_count()} cores")
        stores = {b: Stores(b, Path(tmp), cfg.pg_url) for b in backends}
        try:
            for rep in range(cfg.repeats):
                for backend in backends:
                    results.repeats.setdefault(backend, []).append(
                        run_repeat(cfg, backend, rep, stores[backend], rep_out, results))
        finally:
            for s in stores.values():
                s.close()
    results.seconds = time.perf_counter() - began
    results.load.append(os.getloadavg()[0])
    return results


# -- the report -------------------------------------------------------------------------


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def summarise(cfg: Config, results: Results) -> dict[str, Any]:
    out: dict[str, Any] = {
        "config": {
            "repeats": cfg.repeats, "fixed_rate_per_s": FIXED_RATE, "fixed_seconds": cfg.fixed_seconds,
            "step_seconds": cfg.step_seconds, "step_factor": STEP_FACTOR, "step_limit_p99_ms": STEP_LIMIT_MS,
            "post_seconds": cfg.post_seconds, "inproc_seconds": cfg.inproc_seconds,
            "concurrency": cfg.concurrency, "cores": os.cpu_count(), "python": sys.version.split()[0],
            "client": cfg.client, "inproc_reads": cfg.reads,
            "demo_events": results.demo_events, "load_average_start_end": results.load, "quick": cfg.quick,
        },
        "backends": {},
        "seconds": round(results.seconds, 1),
    }
    for backend, reason in results.skipped.items():
        out["backends"][backend] = {"skipped": reason}
    for backend, reps in results.repeats.items():
        fixed = [r.fixed for r in reps]
        p99 = statistics.median(f["latency_ms"]["p99"] for f in fixed)
        posts: dict[str, Any] = {}
        for conc in cfg.concurrency:
            ratios = [r.posts[conc]["per_s"] / r.inproc_per_s for r in reps]
            ratio = statistics.median(ratios)
            posts[str(conc)] = {
                "per_s": statistics.median(r.posts[conc]["per_s"] for r in reps),
                "p50_ms": statistics.median(r.posts[conc]["latency_ms"]["p50"] for r in reps),
                "p99_ms": statistics.median(r.posts[conc]["latency_ms"]["p99"] for r in reps),
                "client_cpu_share": statistics.median(r.posts[conc]["client_cpu_share"] for r in reps),
                "server_cpu_share": _median([r.posts[conc]["server_cpu_share"] for r in reps]),
                "ratio": ratio, "ratio_runs": ratios, "target": TARGET_POST_RATIO, "met": ratio >= TARGET_POST_RATIO,
            }
        fails = [r.first_fail for r in reps if r.first_fail is not None]
        at_max = [next((s for s in r.steps if s["offered_per_s"] == r.max_rate), None) for r in reps]
        out["backends"][backend] = {
            "leadership_fixed": {
                "rate_per_s": FIXED_RATE,
                "p50_ms": statistics.median(f["latency_ms"]["p50"] for f in fixed),
                "p90_ms": statistics.median(f["latency_ms"]["p90"] for f in fixed),
                "p99_ms": p99,
                "max_ms": statistics.median(f["latency_ms"]["max"] for f in fixed),
                "errors": sum(f["errors"] for f in fixed),
                "client_cpu_share": statistics.median(f["client_cpu_share"] for f in fixed),
                "client_lag_p99_ms": statistics.median(f["lag_ms"]["p99"] for f in fixed),
                "client_cpu_ms_per_request": statistics.median(f["client_cpu_ms_per_request"] for f in fixed),
                "server_cpu_share": _median([r.fixed_server_cpu for r in reps]),
                "server_cpu_ms_per_request": _median([f["server_cpu_ms_per_request"] for f in fixed]),
                "target_p99_ms": TARGET_P99_MS, "met": p99 <= TARGET_P99_MS,
                "p99_runs": [f["latency_ms"]["p99"] for f in fixed],
            },
            "healthz_fixed": {
                "rate_per_s": FIXED_RATE,
                "p50_ms": statistics.median(r.health["latency_ms"]["p50"] for r in reps),
                "p99_ms": statistics.median(r.health["latency_ms"]["p99"] for r in reps),
                "errors": sum(r.health["errors"] for r in reps),
                "server_cpu_ms_per_request": _median([r.health["server_cpu_ms_per_request"] for r in reps]),
            },
            "leadership_inproc_ms": {k: statistics.median(r.inproc_read_ms[k] for r in reps)
                                     for k in ("p50", "p99", "mean", "reads")},
            "leadership_max": {
                "method": f"open loop, x{STEP_FACTOR} steps of {cfg.step_seconds:g} s then 2 bisections; "
                          f"sustained = p99 <= {STEP_LIMIT_MS:g} ms and no errors",
                "rate_per_s": statistics.median(r.max_rate for r in reps),
                "rate_runs": [r.max_rate for r in reps],
                "p99_ms_at_max": _median([s["latency_ms"]["p99"] if s else None for s in at_max]),
                "client_cpu_share_at_max": _median([s["client_cpu_share"] if s else None for s in at_max]),
                "server_cpu_share_at_max": _median([s["server_cpu_share"] if s else None for s in at_max]),
                "first_failing_rate_per_s": _median([f["offered_per_s"] for f in fails]),
                "first_failing_p99_ms": _median([f["latency_ms"]["p99"] for f in fails]),
                "server_cpu_share_failing": _median([f["server_cpu_share"] for f in fails]),
                "client_cpu_share_failing": _median([f["client_cpu_share"] for f in fails]),
                "steps": [[{"offered": s["offered_per_s"], "p50": s["latency_ms"]["p50"],
                            "p99": s["latency_ms"]["p99"], "errors": s["errors"]} for s in r.steps] for r in reps],
            },
            "inproc_one_by_one_per_s": statistics.median(r.inproc_per_s for r in reps),
            "inproc_runs": [r.inproc_per_s for r in reps],
            "inproc_before_after": [r.inproc_runs for r in reps],
            "posts": posts,
            "server_exit_codes": [r.server_exit for r in reps],
            "server_error_lines": sum(r.server_errors for r in reps),
        }
    return out


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"


def render(summary: dict[str, Any]) -> str:
    c = summary["config"]
    done = {b: v for b, v in summary["backends"].items() if "skipped" not in v}
    names = list(done)
    label_w, target_w, cell_w = 52, 12, 16
    head = "".join(f"{n:>{cell_w}}" for n in names)
    load = c["load_average_start_end"]
    lines = [
        f"dantin HTTP API benchmark: medians of {c['repeats']} repeat(s) ({c['cores']} cores, Python {c['python']}, "
        f"{summary['seconds']:.0f} s in all{', --quick' if c['quick'] else ''})",
        f"one `dantin serve` (uvicorn, 1 process) of a fresh `dantin demo` ledger ({c['demo_events']:,} events); "
        "load from a second process",
        f"(asyncio, {'raw HTTP/1.1' if c['client'] == 'raw' else 'httpx'}, keep-alive connections) on loopback; "
        f"1-minute load average {load[0]:.1f} before the run, {load[1]:.1f} at its end (its own processes included)"
        + (" -- other processes were busy: expect noise" if load[0] > (c["cores"] or 1) / 2 else ""),
        "",
    ]

    def row(label: str, cells: list[str], target: str = "") -> None:
        lines.append(f"{label:<{label_w}}{target:>{target_w}}" + "".join(f"{x:>{cell_w}}" for x in cells))

    def status(value: str, met: bool) -> str:
        return f"{value} {'ok' if met else 'MISS'}"

    row(f"GET leadership, open loop {c['fixed_rate_per_s']:.0f}/s for {c['fixed_seconds']:g} s", [], "target")
    lines[-1] += head
    fixed = [done[n]["leadership_fixed"] for n in names]
    row("  p50 ms (from scheduled send time)", [f"{f['p50_ms']:.1f}" for f in fixed])
    row("  p99 ms (SQLite target; PostgreSQL shown)", [status(f"{f['p99_ms']:.1f}", f["met"]) for f in fixed],
        f"<= {TARGET_P99_MS:g} ms")
    row("  max ms / errors", [f"{f['max_ms']:.0f} / {f['errors']}" for f in fixed])
    row("  client CPU / send lag p99 ms", [f"{_pct(f['client_cpu_share'])} / {f['client_lag_p99_ms']:.1f}"
                                           for f in fixed])
    row("  server CPU (of one core)", [_pct(f["server_cpu_share"]) for f in fixed])
    row("  CPU ms per request: server / client", [
        f"{'-' if f['server_cpu_ms_per_request'] is None else format(f['server_cpu_ms_per_request'], '.2f')} / "
        f"{f['client_cpu_ms_per_request']:.2f}" for f in fixed])
    inproc = [done[n]["leadership_inproc_ms"] for n in names]
    row("  baseline, in process: VillageViews.leadership()", [])
    row("    p50 / p99 / mean ms",
        [f"{i['p50']:.2f}/{i['p99']:.2f}/{i['mean']:.2f}" for i in inproc])
    health = [done[n]["healthz_fixed"] for n in names]
    row(f"  baseline, same server: GET /healthz at {c['fixed_rate_per_s']:.0f}/s", [])
    row("    p50 / p99 ms", [f"{h['p50_ms']:.1f} / {h['p99_ms']:.1f}" for h in health])
    row("    server CPU ms per request", ["-" if h["server_cpu_ms_per_request"] is None
                                         else f"{h['server_cpu_ms_per_request']:.2f}" for h in health])
    lines.append("")
    mx = [done[n]["leadership_max"] for n in names]
    row("GET leadership, highest sustained open-loop rate", [])
    row(f"  (p99 <= {c['step_limit_p99_ms']:g} ms, no errors; x{c['step_factor']} steps of "
        f"{c['step_seconds']:g} s, 2 bisections)", [f"{m['rate_per_s']:,.0f}/s" for m in mx])
    row("  p99 ms at that rate", ["-" if m["p99_ms_at_max"] is None else f"{m['p99_ms_at_max']:.1f}" for m in mx])
    row("  client / server CPU at that rate", [f"{_pct(m['client_cpu_share_at_max'])} / "
                                               f"{_pct(m['server_cpu_share_at_max'])}" for m in mx])
    row("  first failing rate: p99 ms",
        ["-" if m["first_failing_rate_per_s"] is None
         else f"{m['first_failing_rate_per_s']:,.0f}/s: {m['first_failing_p99_ms']:,.0f}" for m in mx])
    row("  client / server CPU when failing", [f"{_pct(m['client_cpu_share_failing'])} / "
                                               f"{_pct(m['server_cpu_share_failing'])}" for m in mx])
    lines.append("")
    row("POST /v1/events, one envelope per request (ev/s)", [])
    row("  in process: Ledger.submit([env]) (baseline)", [f"{done[n]['inproc_one_by_one_per_s']:,.0f}" for n in names])
    for conc in c["concurrency"]:
        posts = [done[n]["posts"][str(conc)] for n in names]
        row(f"  HTTP, {conc} client(s), closed loop", [f"{p['per_s']:,.0f}" for p in posts])
        row("    p50 / p99 ms", [f"{p['p50_ms']:.1f} / {p['p99_ms']:.1f}" for p in posts])
        row("    client / server CPU", [f"{_pct(p['client_cpu_share'])} / {_pct(p['server_cpu_share'])}"
                                         for p in posts])
        row("    ratio HTTP / in process", [status(f"{p['ratio']:.2f}", p["met"]) for p in posts],
            f">= {TARGET_POST_RATIO:g}")
    for backend, v in summary["backends"].items():
        if "skipped" in v:
            lines.append(f"\n{backend}: skipped ({v['skipped']})")
        elif v["server_error_lines"] or any(code != 0 for code in v["server_exit_codes"]):
            lines.append(f"\n{backend}: dantin serve exited {v['server_exit_codes']} and logged "
                         f"{v['server_error_lines']} error line(s)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="one repeat, short steps and POST phases (about a minute per backend)")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--repeats", type=int, default=None, help="default 3 (1 with --quick)")
    parser.add_argument("--fixed-seconds", type=float, default=10.0,
                        help=f"length of the {FIXED_RATE:.0f}/s leadership phase (default 10)")
    parser.add_argument("--step-seconds", type=float, default=None,
                        help="length of each rate step (default 4; 2 quick)")
    parser.add_argument("--post-seconds", type=float, default=None,
                        help="length of each POST phase (default 8; 4 quick)")
    parser.add_argument("--inproc-seconds", type=float, default=None,
                        help="time budget of each in-process ingest run, before and after serving "
                             "(default 8; 3 quick)")
    parser.add_argument("--health-seconds", type=float, default=None,
                        help=f"length of the {FIXED_RATE:.0f}/s GET /healthz phase (default 5; 3 quick)")
    parser.add_argument("--concurrency", default="1,4", help="POST clients per phase, comma-separated (default 1,4)")
    parser.add_argument("--max-steps", type=int, default=None,
                        help="rate steps at most, bisections included (default 8; 6 quick)")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw",
                        help="the load generator's HTTP client: raw HTTP/1.1 on asyncio streams (default), or httpx "
                             "(about 10x the client CPU per request; see bench/_load.py)")
    parser.add_argument("--pg-url", default=DEFAULT_PG,
                        help=f"PostgreSQL server, without ?schema= (default {DEFAULT_PG})")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    try:
        concurrency = [int(x) for x in args.concurrency.split(",") if x.strip()]
    except ValueError:
        parser.error("--concurrency takes integers, e.g. 1,4")
    if not concurrency or min(concurrency) < 1:
        parser.error("--concurrency takes positive integers, e.g. 1,4")
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else 3)
    if repeats < 1 or (args.max_steps is not None and args.max_steps < 0):
        parser.error("--repeats must be positive and --max-steps not negative")
    cfg = Config(
        repeats=repeats,
        backends=["sqlite", "postgres"] if args.backend == "both" else [args.backend],
        pg_url=args.pg_url,
        fixed_seconds=args.fixed_seconds,
        step_seconds=args.step_seconds or (2.0 if args.quick else 4.0),
        post_seconds=args.post_seconds or (4.0 if args.quick else 8.0),
        inproc_seconds=args.inproc_seconds or (3.0 if args.quick else 8.0),
        concurrency=sorted(set(concurrency)),
        max_steps=args.max_steps if args.max_steps is not None else (6 if args.quick else 8),
        quick=args.quick,
        client=args.client,
        reads=1000 if args.quick else 3000,
        reads_seconds=2.0 if args.quick else 5.0,
        health_seconds=args.health_seconds or (3.0 if args.quick else 5.0),
    )
    results = run(cfg, Console(stderr=True))
    summary = summarise(cfg, results)
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        print(render(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
