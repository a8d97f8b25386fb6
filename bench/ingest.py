"""Ingest and verify throughput, measured against their baselines in one run.

    python -m bench.ingest [--events N] [--backend sqlite|postgres|both] [--repeats R] [--json]

For each backend (SQLite in a temporary directory; PostgreSQL in a fresh schema per store,
created and dropped here) and each repeat, on fresh stores:

- signed ingest through ``ledger.home.init`` + ``Ledger.submit``: one envelope per call
  (``submit([env])``), and batches of 500 (``submit(batch)``). The envelopes are signed
  before timing: a Ba Tơ world like ``dantin demo`` (places, district, commune and
  village bodies), then ``person.profiled`` events signed by the village cells, so the
  events spread over one new person stream each, under 61 signers;
- ``dantin verify``'s audit of the batched ledger, with one process per core, timed in a
  fresh interpreter as the command runs it (``bench/_verify.py`` says why); and, for
  information, the whole command (``dantin verify DIR --json``, interpreter start included);
- baselines: plain eventsourcing appends of unsigned events of the same size (a minimal
  application with text ids; one save per event, and one save of 500 aggregates), on the
  same backend; and raw Ed25519 verification of the same pre-images, single-threaded,
  keys pre-loaded. The one-by-one pair runs in alternating blocks of 100 (signed, plain,
  plain, signed, …) on two stores open side by side, so both see the same moments of a
  machine whose speed drifts.

Rates are events per second, medians over the repeats. The targets:

- batched ingest   >= 0.6 x min(raw verify rate, plain batched append rate)
- one-by-one ingest >= 0.7 x plain one-by-one append rate (same backend)
- verify           >= 0.8 x raw verify rate x cores
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, ClassVar

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.application import Application
from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate
from psycopg import sql
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import cli
from ledger import home
from ledger.application import Ledger, Receipt
from ledger.envelope import seal
from ledger.errors import DantinError
from ledger.signing import PAYLOAD_TYPE, SigningKey, b64decode_strict, pae
from ledger.sigpool import warm_forkserver
from ledger.storage import persistence_env

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
DATE = "2022-01-10"

METRICS: dict[str, str] = {
    "ingest_one": "signed ingest, one by one",
    "ingest_batch": "signed ingest, batched",
    "verify": "verify (audit)",
    "verify_command": "dantin verify, whole command",
    "plain_one": "plain append, one by one",
    "plain_batch": "plain append, batched",
}


# -- the signed material ----------------------------------------------------------------


@dataclass
class World:
    """A pre-signed Ba Tơ world: what ``dantin demo`` builds, with keys kept in memory."""

    root_key: SigningKey
    batches: list[list[dict[str, Any]]]
    #: (body id, key, village) of every village cell: the signers of person.profiled.
    cells: list[tuple[str, SigningKey, str]]

    @property
    def events(self) -> int:
        return 2 + sum(len(b) for b in self.batches)  # init writes two


def build_world() -> World:
    data = json.loads((Path(cli.__file__).parent / "data" / "bato.json").read_text(encoding="utf-8"))
    root = "qng/root"
    keys = {root: SigningKey.generate()}
    batches: list[list[dict[str, Any]]] = [[]]
    cells: list[tuple[str, SigningKey, str]] = []

    def place(place_id: str, name: str, kind: str) -> None:
        batches[-1].append(seal(keys[root], root, {
            "type": "place.registered", "place": place_id, "date": DATE,
            "facts": {"id": place_id, "name": name, "kind": kind},
        }))

    def body(parent: str, body_id: str, kind: str, name: str, jurisdiction: str) -> SigningKey:
        key = keys[body_id] = SigningKey.generate()
        batches[-1].append(seal(keys[parent], parent, {
            "type": "body.enrolled", "place": jurisdiction, "date": DATE,
            "facts": {"id": body_id, "kind": kind, "name": name, "jurisdiction": jurisdiction,
                      "keys": [{"public": key.public.b64}]},
        }))
        return key

    district = data["district"]["id"]
    place(district, data["district"]["name"], "district")
    for commune in data["communes"]:
        cid = f"{district}.{commune['slug']}"
        place(cid, commune["name"], commune["kind"])
        for slug, name, kind in commune["villages"]:
            place(f"{cid}.{slug}", name, kind)
    batches.append([])
    standing = f"{district}/district_standing"
    body(root, standing, "district_standing", "Ban Thường vụ Huyện ủy Ba Tơ", district)
    body(root, f"{district}/training_center", "training_center", "Trung tâm Chính trị huyện Ba Tơ", district)
    body(root, f"{district}/inspection", "inspection", "Ủy ban Kiểm tra Huyện ủy Ba Tơ", district)
    for commune in data["communes"]:
        batches.append([])
        cid, short = f"{district}.{commune['slug']}", commune["name"].split(" ", 1)[-1]
        body(standing, f"{cid}/commune_committee", "commune_committee", f"UBND {short}", cid)
        body(standing, f"{cid}/commune_front", "commune_front", f"UBMTTQ {short}", cid)
        body(standing, f"{cid}/commune_party", "commune_party", f"Đảng ủy {short}", cid)
        for slug, name, _kind in commune["villages"]:
            vid = f"{cid}.{slug}"
            body(standing, f"{vid}/village_front", "village_front", f"Ban công tác Mặt trận {name}", vid)
            body(standing, f"{vid}/election_team", "election_team", f"Tổ bầu cử {name}", vid)
            cells.append((f"{vid}/cell", body(standing, f"{vid}/cell", "cell", f"Chi bộ {name}", vid), vid))
    return World(root_key=keys[root], batches=batches, cells=cells)


_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Đinh", "Võ", "Huỳnh", "Hồ", "Phan")
_MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Ngọc", "Thanh", "Hữu")
_GIVEN = ("An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hoa", "Lan", "Long", "Mai", "Nam", "Phúc",
          "Quang", "Sơn", "Thảo", "Trung", "Tuấn", "Vy", "Xuân", "Yến")


_KEYS_PAD = "-" * len('"keyid":"","sig":"","prev":"",')


@dataclass
class People:
    """``person.profiled`` envelopes, pre-signed, and what the baselines need of them."""

    wire: list[dict[str, Any]] = field(default_factory=list)
    #: (pre-loaded public key, signature, DSSE pre-image) per envelope, for raw verification.
    raw: list[tuple[Ed25519PublicKey, bytes, bytes]] = field(default_factory=list)
    #: Per envelope, a string as long as the stored entry's fields (payload, keyid, sig, prev)
    #: plus their JSON keys, so the plain stored event is as big as the signed one.
    plain: list[str] = field(default_factory=list)


def sign_people(world: World, count: int, tick: Callable[[int], None]) -> People:
    rng = random.Random(20220110)
    people = People()
    publics = {body_id: Ed25519PublicKey.from_public_bytes(key.public.raw) for body_id, key, _ in world.cells}
    for i in range(count):
        body_id, key, village = world.cells[i % len(world.cells)]
        name = f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}"
        wire = seal(key, body_id, {
            "type": "person.profiled", "place": village, "date": DATE,
            "facts": {"person": f"p{i}", "name": name, "born": "1980-01-01"},
        })
        sig_b64 = wire["signatures"][0]["sig"]
        people.wire.append(wire)
        people.raw.append((publics[body_id], b64decode_strict(sig_b64),
                           pae(PAYLOAD_TYPE, b64decode_strict(wire["payload"]))))
        people.plain.append(wire["payload"] + key.public.key_id + sig_b64 + "0" * 64 + _KEYS_PAD)
        if i % 200 == 199:
            tick(200)
    return people


# -- the plain eventsourcing baseline ---------------------------------------------------


class Blob(BaseAggregate[str]):
    """One unsigned event carrying a payload string: the least an append can be."""

    @dataclass(frozen=True)
    class Event(CanMutateAggregate[str]):
        originator_id: str
        originator_version: int
        timestamp: datetime

    @dataclass(frozen=True)
    class Created(Event, CanInitAggregate[str]):
        originator_topic: str
        payload: str

    def __init__(self, payload: str) -> None:
        self.payload = payload

    @classmethod
    def create(cls, blob_id: str, payload: str) -> Blob:
        return cls._create(cls.Created, id=blob_id, payload=payload)


class Plain(Application[str]):
    name = "plain"
    env: ClassVar[dict[str, str]] = {"ORIGINATOR_ID_TYPE": "text", "IS_SNAPSHOTTING_ENABLED": "no"}


# -- stores -----------------------------------------------------------------------------


class Stores:
    """Fresh, empty stores on one backend; on PostgreSQL each is a schema of its own."""

    def __init__(self, backend: str, root: Path, pg_url: str) -> None:
        self.backend = backend
        self.root = root
        self.pg_url = pg_url
        self._count = 0
        self._admin = psycopg.connect(pg_url, autocommit=True) if backend == "postgres" else None

    def close(self) -> None:
        if self._admin is not None:
            self._admin.close()

    @contextmanager
    def fresh(self, label: str) -> Iterator[tuple[Path, str | None]]:
        self._count += 1
        directory = self.root / f"{self.backend}-{self._count:03d}-{label}"
        directory.mkdir(parents=True)
        schema = None
        try:
            if self._admin is None:
                yield directory, None
            else:
                schema = f"bench_{secrets.token_hex(6)}"
                self._admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
                yield directory, f"{self.pg_url}?schema={schema}"
        finally:
            if schema is not None and self._admin is not None:
                self._admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
            shutil.rmtree(directory, ignore_errors=True)


def pg_unreachable(pg_url: str) -> str | None:
    try:
        with psycopg.connect(pg_url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


# -- progress ---------------------------------------------------------------------------


class Reporter:
    """Progress bars and one log line per timed phase, on stderr.

    Redrawn from this thread, at most ``REDRAW_S`` apart, never by rich's refresh thread: a
    process with a thread starts its ingest's signature workers through a forkserver, where
    ``dantin submit`` on SQLite forks its own, so the run would not time what it does.
    """

    REDRAW_S = 0.25

    def __init__(self, console: Console, steps: int) -> None:
        self.progress = Progress(
            TextColumn("{task.description:<44}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=True, auto_refresh=False,
        )
        self.overall = self.progress.add_task("all phases", total=steps)
        self.task = self.progress.add_task("", total=1)
        self._drawn = 0.0

    def _redraw(self, now: bool = False) -> None:
        moment = time.perf_counter()
        if now or moment - self._drawn >= self.REDRAW_S:
            self._drawn = moment
            self.progress.refresh()

    def __enter__(self) -> Reporter:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def log(self, text: str) -> None:
        self.progress.console.print(text, highlight=False, markup=False, soft_wrap=True)

    @contextmanager
    def phase(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        self.progress.reset(self.task, total=total, completed=0, description=description)
        self._redraw(now=True)

        def advance(n: int) -> None:
            self.progress.advance(self.task, n)
            self._redraw()

        yield advance
        self.progress.update(self.task, completed=total)
        self.progress.advance(self.overall)
        self._redraw(now=True)

    def set_done(self, done: int) -> None:
        self.progress.update(self.task, completed=done)
        self._redraw()


# -- timed phases -----------------------------------------------------------------------


def _check(results: list[Any]) -> None:
    for r in results:
        if not isinstance(r, Receipt):
            raise SystemExit(f"bench: an envelope was refused: {r!r}")


def new_ledger(world: World, directory: Path, database: str | None) -> Ledger:
    ledger = home.init(directory, root_key=world.root_key, database=database)
    for batch in world.batches:
        results = ledger.submit(batch)
        for r in results:
            if isinstance(r, DantinError):
                ledger.close()
                raise r
    return ledger


def time_ingest_one(
    ledger: Ledger, envs: list[dict[str, Any]], budget: float, tick: Callable[[int], None]
) -> tuple[int, float]:
    """Submit one envelope per call, until all are in or ``budget`` seconds have passed (``bench.api``'s
    in-process baseline)."""
    results = []
    start = time.perf_counter()
    deadline = start + budget if budget > 0 else float("inf")
    for i, env in enumerate(envs):
        results.append(ledger.submit([env])[0])
        if i % 100 == 99:
            tick(100)
            if time.perf_counter() > deadline:
                break
    elapsed = time.perf_counter() - start
    _check(results)
    return len(results), elapsed


def time_one_by_one(
    ledger: Ledger, envs: list[dict[str, Any]], app: Plain, payloads: list[str], budget: float,
    tick: Callable[[int], None], block: int = 100,
) -> tuple[int, float, float]:
    """Signed submissions one per call, and plain appends one per save, in alternating blocks of
    ``block`` (signed first, then plain first, and so on): both are timed through the same
    moments of a machine whose speed drifts within a run, so their ratio is not its drift.
    Stops once the signed ones have taken ``budget`` seconds (0: none). Returns (count, signed
    seconds, plain seconds)."""
    results: list[Receipt | DantinError] = []
    signed = plain = 0.0
    count = 0

    def run_signed(chunk: list[dict[str, Any]]) -> float:
        start = time.perf_counter()
        for env in chunk:
            results.append(ledger.submit([env])[0])
        return time.perf_counter() - start

    def run_plain(first: int, size: int) -> float:
        start = time.perf_counter()
        for i in range(first, first + size):
            app.save(Blob.create(f"person:p{i}", payloads[i]))
        return time.perf_counter() - start

    for n, first in enumerate(range(0, len(envs), block)):
        chunk = envs[first:first + block]
        if n % 2 == 0:
            signed += run_signed(chunk)
            plain += run_plain(first, len(chunk))
        else:
            plain += run_plain(first, len(chunk))
            signed += run_signed(chunk)
        count += len(chunk)
        tick(len(chunk))
        if budget > 0 and signed > budget:
            break
    _check(results)
    return count, signed, plain


def time_ingest_batch(
    ledger: Ledger, envs: list[dict[str, Any]], batch: int, tick: Callable[[int], None]
) -> float:
    results = []
    start = time.perf_counter()
    for i in range(0, len(envs), batch):
        chunk = envs[i:i + batch]
        results.extend(ledger.submit(chunk))
        tick(len(chunk))
    elapsed = time.perf_counter() - start
    _check(results)
    return elapsed


def time_plain_batch(app: Plain, payloads: list[str], batch: int, tick: Callable[[int], None]) -> float:
    start = time.perf_counter()
    for i in range(0, len(payloads), batch):
        chunk = payloads[i:i + batch]
        app.save(*[Blob.create(f"person:p{i + j}", p) for j, p in enumerate(chunk)])
        tick(len(chunk))
    return time.perf_counter() - start


def time_verify(directory: Path, cores: int, progress: Callable[[int], None]) -> dict[str, Any]:
    """``dantin verify``'s audit of ``directory``, with ``cores`` processes, timed in a fresh
    interpreter as the command runs it (``bench._verify``: why not in this process)."""
    cmd = [sys.executable, "-m", "bench._verify", str(directory), "--workers", str(cores)]
    result: dict[str, Any] | None = None
    with tempfile.TemporaryFile("w+") as errors, subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=errors, text=True
    ) as proc:
        for line in proc.stdout or ():
            said = json.loads(line)
            if "progress" in said:
                progress(said["progress"])
            else:
                result = said["result"]
        proc.wait()
        errors.seek(0)
        said_on_stderr = errors.read()
    if proc.returncode != 0 or result is None:
        raise SystemExit(f"bench: the timed verify failed (exit {proc.returncode}):\n{said_on_stderr[-3000:]}")
    return result


def time_verify_command(directory: Path) -> float:
    """Seconds for the whole ``dantin verify DIR --json``: interpreter start, imports, worker start,
    the audit, the report (information beside the audit's own rate, which the target is on)."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "cli", "verify", str(directory), "--json"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"bench: dantin verify exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return seconds


def time_raw_verify(raw: list[tuple[Ed25519PublicKey, bytes, bytes]]) -> float:
    start = time.perf_counter()
    for key, sig, message in raw:
        key.verify(sig, message)
    return time.perf_counter() - start


def _raw_share(raw: list[tuple[Ed25519PublicKey, bytes, bytes]], go: Any, out: Connection) -> None:
    go.wait()
    out.send(time_raw_verify(raw))


def time_raw_verify_all_cores(raw: list[tuple[Ed25519PublicKey, bytes, bytes]], cores: int) -> float:
    """Seconds for ``cores`` processes, let go together, to verify ``raw`` between them: what
    this machine gives for signatures alone when every core verifies (informational; the
    target is against the single-thread rate times the cores)."""
    ctx = get_context("fork")  # the children inherit the keys (they do not pickle)
    go = ctx.Event()
    step = -(-len(raw) // cores)
    pipes = [ctx.Pipe(duplex=False) for _ in range(cores)]
    procs = [ctx.Process(target=_raw_share, args=(raw[i * step:(i + 1) * step], go, w), daemon=True)
             for i, (_r, w) in enumerate(pipes)]
    for proc in procs:
        proc.start()
    time.sleep(0.1)  # every child is waiting
    go.set()
    seconds = max(r.recv() for r, _w in pipes)
    for proc in procs:
        proc.join()
    return float(seconds)


def last_state_size(app: Application[str]) -> int:
    last = app.recorder.max_notification_id() or 0
    rows = app.recorder.select_notifications(start=max(1, last - 99), limit=100)
    return round(statistics.mean(len(n.state) for n in rows)) if rows else 0


# -- the run ----------------------------------------------------------------------------


@dataclass
class Config:
    events_one: int
    budget_one: float
    events_batch: int
    batch: int
    repeats: int
    cores: int
    backends: list[str]
    pg_url: str


@dataclass
class Results:
    raw_verify: list[float] = field(default_factory=list)
    raw_all_cores: list[float] = field(default_factory=list)
    rates: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    counts: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    state_bytes: dict[str, dict[str, int]] = field(default_factory=dict)
    world_events: int = 0
    seconds: float = 0.0
    load: list[float] = field(default_factory=list)  # 1-minute load average, at start and end


def run_backend(
    cfg: Config, backend: str, rep: int, world: World, people: People, stores: Stores,
    rep_out: Reporter, results: Results,
) -> None:
    rates = results.rates.setdefault(backend, {k: [] for k in METRICS})
    counts = results.counts.setdefault(backend, {k: [] for k in METRICS})
    one = people.wire[:cfg.events_one]
    tag = f"{backend} #{rep + 1}"

    def record(metric: str, count: int, seconds: float) -> None:
        rates[metric].append(count / seconds)
        counts[metric].append(count)
        rep_out.log(f"{tag}: {METRICS[metric]:<28} {count:>6} ev in {seconds:6.2f} s = "
                    f"{count / seconds:>9,.0f} ev/s")

    with stores.fresh("signed-one") as (directory, database), stores.fresh("plain-one") as (plain_dir, plain_db):
        ledger = new_ledger(world, directory, database)
        app = Plain(env=persistence_env(plain_dir, plain_db))
        try:
            with rep_out.phase(f"{tag}: one by one, signed and plain in turn", len(one)) as tick:
                count, signed, plain = time_one_by_one(ledger, one, app, people.plain, cfg.budget_one, tick)
            record("ingest_one", count, signed)
            record("plain_one", count, plain)
            if count < len(one):
                rep_out.log(f"{tag}: one-by-one ingest stopped at its {cfg.budget_one:g} s budget "
                            f"after {count} of {len(one)} envelopes; the plain baseline appended as many")
        finally:
            app.close()
            ledger.close()

    with stores.fresh("signed-batch") as (directory, database):
        ledger = new_ledger(world, directory, database)
        try:
            with rep_out.phase(f"{tag}: signed ingest, batched ({cfg.batch})", len(people.wire)) as tick:
                record("ingest_batch", len(people.wire),
                       time_ingest_batch(ledger, people.wire, cfg.batch, tick))
            if rep == 0:
                results.state_bytes.setdefault(backend, {})["signed"] = last_state_size(ledger)
        finally:
            ledger.close()
        expected = world.events + len(people.wire)
        with rep_out.phase(f"{tag}: verify (audit, {cfg.cores} workers)", expected):
            found = time_verify(directory, cfg.cores, rep_out.set_done)
        if not found["intact"] or found["entries"] != expected or found["signatures"] != expected:
            raise SystemExit(f"bench: audit did not find the ledger intact: {found}")
        record("verify", found["entries"], found["seconds"])
        with rep_out.phase(f"{tag}: dantin verify, the whole command", expected):
            record("verify_command", expected, time_verify_command(directory))

    with stores.fresh("plain-batch") as (directory, database):
        app = Plain(env=persistence_env(directory, database))
        try:
            with rep_out.phase(f"{tag}: plain append, batched ({cfg.batch})", len(people.plain)) as tick:
                record("plain_batch", len(people.plain),
                       time_plain_batch(app, people.plain, cfg.batch, tick))
            if rep == 0:
                results.state_bytes.setdefault(backend, {})["plain"] = last_state_size(app)
        finally:
            app.close()


def run(cfg: Config, console: Console) -> Results:
    # Signature workers started from a process with threads come from a forkserver
    # (ledger.sigpool.start_method): started here, before anything is timed.
    warm_forkserver()
    results = Results(load=[os.getloadavg()[0]])
    began = time.perf_counter()
    backends = list(cfg.backends)
    if "postgres" in backends:
        why = pg_unreachable(cfg.pg_url)
        if why is not None:
            results.skipped["postgres"] = f"PostgreSQL unreachable at {cfg.pg_url}: {why}"
            console.print(f"[yellow]skipping PostgreSQL[/]: {why}", highlight=False, markup=True)
            backends.remove("postgres")
    steps = 2 + cfg.repeats * (1 + 4 * len(backends))
    with tempfile.TemporaryDirectory(prefix="dantin-bench-") as tmp, Reporter(console, steps) as rep_out:
        with rep_out.phase("signing the world", 1):
            world = build_world()
        results.world_events = world.events
        with rep_out.phase("signing person.profiled envelopes", cfg.events_batch) as tick:
            people = sign_people(world, cfg.events_batch, tick)
        rep_out.log(f"signed {world.events} world events ({len(world.cells)} village cells) and "
                    f"{cfg.events_batch} person.profiled envelopes; temp dir {tmp}")
        stores = {b: Stores(b, Path(tmp), cfg.pg_url) for b in backends}
        try:
            for rep in range(cfg.repeats):
                with rep_out.phase(f"raw #{rep + 1}: Ed25519 verify, 1 thread", len(people.raw)):
                    elapsed = time_raw_verify(people.raw)
                results.raw_verify.append(len(people.raw) / elapsed)
                rep_out.log(f"raw #{rep + 1}: {'Ed25519 verify, 1 thread':<28} {len(people.raw):>6} ev in "
                            f"{elapsed:6.2f} s = {len(people.raw) / elapsed:>9,.0f} ev/s")
                with rep_out.phase(f"raw #{rep + 1}: Ed25519 verify, {cfg.cores} processes", len(people.raw)):
                    elapsed = time_raw_verify_all_cores(people.raw, cfg.cores)
                results.raw_all_cores.append(len(people.raw) / elapsed)
                rep_out.log(f"raw #{rep + 1}: {f'Ed25519 verify, {cfg.cores} processes':<28} {len(people.raw):>6} "
                            f"ev in {elapsed:6.2f} s = {len(people.raw) / elapsed:>9,.0f} ev/s")
                for backend in backends:
                    run_backend(cfg, backend, rep, world, people, stores[backend], rep_out, results)
        finally:
            for s in stores.values():
                s.close()
    results.seconds = time.perf_counter() - began
    results.load.append(os.getloadavg()[0])
    return results


# -- the report -------------------------------------------------------------------------


#: (name, metric, baseline of one repeat, target). Each ratio is taken per repeat, against
#: the baselines measured in that repeat, and the table shows the median of those ratios:
#: medians of ratios are less swayed than ratios of medians by load that drifts mid-run.
Check = tuple[str, str, Callable[[dict[str, float], float, int], float], float]
CHECKS: list[Check] = [
    ("batched ingest / min(raw verify, plain batched)", "ingest_batch",
     lambda m, raw, cores: min(raw, m["plain_batch"]), 0.6),
    ("one-by-one ingest / plain one-by-one", "ingest_one", lambda m, raw, cores: m["plain_one"], 0.7),
    ("verify / (raw verify x cores)", "verify", lambda m, raw, cores: raw * cores, 0.8),
]


def summarise(cfg: Config, results: Results) -> dict[str, Any]:
    raw = statistics.median(results.raw_verify)
    out: dict[str, Any] = {
        "config": {
            "events_one_by_one": cfg.events_one, "one_by_one_budget_s": cfg.budget_one,
            "events_batched": cfg.events_batch, "batch": cfg.batch, "repeats": cfg.repeats,
            "cores": cfg.cores, "world_events": results.world_events,
            "python": sys.version.split()[0], "load_average_start_end": results.load,
        },
        "raw_verify_per_s": {"median": raw, "runs": results.raw_verify},
        "raw_verify_all_cores_per_s": {"median": statistics.median(results.raw_all_cores),
                                       "runs": results.raw_all_cores},
        "backends": {},
        "seconds": round(results.seconds, 1),
    }
    for backend, reason in results.skipped.items():
        out["backends"][backend] = {"skipped": reason}
    for backend, rates in results.rates.items():
        med = {k: statistics.median(v) for k, v in rates.items()}
        ratios = []
        for name, metric, baseline, target in CHECKS:
            runs = [
                rates[metric][i] / baseline({k: v[i] for k, v in rates.items()}, results.raw_verify[i],
                                            cfg.cores)
                for i in range(len(rates[metric]))
            ]
            ratio = statistics.median(runs)
            ratios.append({
                "name": name, "metric": metric, "target": target, "ratio": ratio, "met": ratio >= target,
                "runs": runs, "ratio_of_medians": med[metric] / baseline(med, raw, cfg.cores),
            })
        verify_of_all_cores = statistics.median(
            v / a for v, a in zip(rates["verify"], results.raw_all_cores, strict=False))
        out["backends"][backend] = {
            "verify_of_raw_all_cores": verify_of_all_cores,
            "median_per_s": med,
            "runs_per_s": rates,
            "events_per_run": results.counts[backend],
            "stored_state_bytes": results.state_bytes.get(backend, {}),
            "ratios": ratios,
        }
    return out


def render(summary: dict[str, Any]) -> str:
    c = summary["config"]
    done = {b: v for b, v in summary["backends"].items() if "skipped" not in v}
    names = list(done)
    label_w, target_w, cell_w = 50, 8, 14
    head = "".join(f"{n:>{cell_w}}" for n in names)
    load = c["load_average_start_end"]
    counts = sorted({k for n in names for k in done[n]["events_per_run"]["ingest_one"]})
    one = f"{c['events_one_by_one']} events"
    if counts and counts[0] < c["events_one_by_one"]:
        one = (f"up to {c['events_one_by_one']} events or {c['one_by_one_budget_s']:g} s "
               f"(ran {counts[0]}-{counts[-1]})")
    lines = [
        f"dantin ingest/verify benchmark: medians of {c['repeats']} repeats, events/s "
        f"({c['cores']} cores, Python {c['python']}, {summary['seconds']:.0f} s in all)",
        f"signed ingest: {one} one by one, {c['events_batched']} batched by {c['batch']};",
        f"  each on a fresh store holding a world of {c['world_events']} events; "
        "verify audits the batched ledger",
        f"load average {load[0]:.1f} at start, {load[1]:.1f} at end"
        + (f" (> {c['cores']} cores: other processes shared the CPU)" if max(load) > c["cores"] else ""),
        "",
        f"{'events/s (median)':<{label_w + target_w}}{head}",
    ]
    labels = dict(METRICS)
    labels["ingest_batch"] += f" ({c['batch']})"
    labels["plain_batch"] += f" ({c['batch']})"
    labels["verify"] = f"verify: the audit, {c['cores']} processes"
    labels["verify_command"] += " (start-up included)"
    for metric, label in labels.items():
        cells = "".join(f"{done[n]['median_per_s'][metric]:>{cell_w},.0f}" for n in names)
        lines.append(f"{label:<{label_w + target_w}}{cells}")
    raw = summary["raw_verify_per_s"]["median"]
    lines.append(f"{'raw Ed25519 verify, 1 thread':<{label_w + target_w}}"
                 + "".join(f"{raw:>{cell_w},.0f}" for _ in names))
    every = summary["raw_verify_all_cores_per_s"]["median"]
    label = f"raw Ed25519 verify, {c['cores']} processes at once"
    lines.append(f"{label:<{label_w + target_w}}" + "".join(f"{every:>{cell_w},.0f}" for _ in names))
    sizes = ["{}/{}".format(done[n]["stored_state_bytes"].get("signed", "?"),
                            done[n]["stored_state_bytes"].get("plain", "?")) for n in names]
    lines.append(f"{'stored event bytes, signed/plain':<{label_w + target_w}}"
                 + "".join(f"{s:>{cell_w}}" for s in sizes))
    if names:
        lines += ["", f"{'ratio (median of per-repeat ratios)':<{label_w}}{'target':>{target_w}}{head}"]
        for i, first in enumerate(done[names[0]]["ratios"]):
            cells = ""
            for n in names:
                r = done[n]["ratios"][i]
                cells += f"{r['ratio']:>{cell_w - 5}.2f}{'ok' if r['met'] else 'MISS':>5}"
            target = ">= " + format(first["target"], ".1f")
            name = first["name"].replace("cores", f"{c['cores']} cores")
            lines.append(f"{name:<{label_w}}{target:>{target_w}}{cells}")
        lines.append(f"{'(info) verify / raw verify, all cores at once':<{label_w + target_w}}"
                     + "".join(f"{done[n]['verify_of_raw_all_cores']:>{cell_w - 5}.2f}{'':>5}" for n in names))
    for backend, v in summary["backends"].items():
        if "skipped" in v:
            lines.append(f"\n{backend}: skipped ({v['skipped']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10000,
                        help="envelopes ingested in batches (default 10000)")
    parser.add_argument("--events-one", type=int, default=None,
                        help="envelopes ingested one by one (default: --events / 5, so 2000)")
    parser.add_argument("--one-by-one-budget", type=float, default=10.0, metavar="SECONDS",
                        help="stop each one-by-one ingest after this long, and append as many plain "
                             "events (default 10; 0 = no limit). Keeps the default run near 3 minutes.")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=500, help="envelopes per batch (default 500)")
    parser.add_argument("--pg-url", default=DEFAULT_PG,
                        help=f"PostgreSQL server, without ?schema= (default {DEFAULT_PG})")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if args.events < 1 or args.repeats < 1 or args.batch < 1:
        parser.error("--events, --repeats and --batch must be positive")
    events_one = args.events_one if args.events_one is not None else max(1, args.events // 5)
    if not 1 <= events_one <= args.events:
        parser.error("--events-one must be between 1 and --events")
    cfg = Config(
        events_one=events_one, budget_one=args.one_by_one_budget, events_batch=args.events,
        batch=args.batch, repeats=args.repeats,
        cores=os.cpu_count() or 1,
        backends=["sqlite", "postgres"] if args.backend == "both" else [args.backend],
        pg_url=args.pg_url,
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
