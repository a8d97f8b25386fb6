"""Log benchmarks: sealing, proofs at a million leaves, verify-bundle — against baselines of the same run.

    python -m bench.log [--quick] [--backend sqlite|postgres|both] [--repeats R] [--json]

(a) **Sealing.** On a fresh ledger per backend and repeat (the Ba Tơ world of
``bench.ingest``, then ``person.profiled`` envelopes signed before timing), ``Sealer.seal``
is timed where it runs: inside the adapter's insert transaction, wrapped on the live
sealer, while ``Ledger.submit`` ingests N envelopes in batches of 500 and then M one by
one. Baselines, on the entry bytes of the very rows just sealed: raw SHA-256 of each
entry (the leaf hash alone), and the seal's computation in memory (row decode, leaf hash,
compact-range append) without the database. Rates are leaves per second.

(b) **Proofs at 1,000,000 leaves.** A tree of synthetic leaves (leaf hashes of
``b"synthetic <i>"``; no events behind them) is written through the adapter's
``seal_transaction(write=True)`` — the rows ``Sealer.seal`` writes: leaves and every
completed node; on PostgreSQL by COPY on that transaction's cursor, since row-by-row
inserts of two million rows take minutes — then ``Ledger.inclusion_proof`` and
``Ledger.consistency_proof`` are timed for random indices and sizes (the public API: what
a request pays, size check included). Every proof fetched is verified (RFC 9162) against
roots computed from the generator's own copy of the tree. Baseline: the same RFC 9162
walk over that in-memory copy. Target: p99 <= 1 ms. A kind stops early at its time
budget (``--proof-budget``) and says how many samples it took.

(c) **verify-bundle** of a 40-event village: ``dantin demo``'s ledger on SQLite (Ba Tơ, a
generated term in every village, a checkpoint cosigned by the inspection commission and a
commune Front); the first village whose bundle holds 40 entries (its own events, its
signers' authority chains, places and people). Timed: ``verify_bundle`` in process, and
``dantin verify-bundle FILE`` as a command. Baselines: the bundle's Ed25519 signatures and
inclusion proofs checked alone (keys pre-loaded), and ``dantin --help`` (the same process
start and imports).

Medians over repeats; each ratio is taken per repeat against the baseline of that repeat
and the median of those is shown (load drifts on a 2-core machine). ``--quick`` runs a
small version of everything (2,000 events, 100,000 leaves, one repeat) in about a minute.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
from psycopg import sql
from rich.console import Console

from bench.ingest import DEFAULT_PG, Reporter, Stores, World, build_world, new_ledger, pg_unreachable, sign_people
from ledger import home
from ledger.application import Ledger, Receipt
from ledger.audit import iter_notifications
from ledger.entry import entry_bytes
from ledger.merkle import (
    CompactRange,
    Node,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from ledger.note import open_checkpoint
from ledger.sealer import Leaf, SealRow, SealTxn, frontier_coords, state_entry, state_leaf_hash
from ledger.signing import PAYLOAD_TYPE, SigningKey, b64decode_strict, pae
from ledger.storage import persistence_env

BATCH = 500
CHUNK = 50_000  # leaves per bulk-write transaction
TARGET_P99_MS = 1.0

SEAL_METRICS: dict[str, str] = {
    "seal_batch": f"seal, in submit batches of {BATCH}",
    "seal_one": "seal, one envelope per submit",
    "compute": "seal computation in memory (no database)",
    "raw_sha256": "raw SHA-256 of the same entry bytes",
    "ingest_batch": f"whole signed submit, batches of {BATCH}",
}
#: (label, numerator metric, baseline metric): rates divided, per repeat.
SEAL_RATIOS: list[tuple[str, str, str]] = [
    ("seal batched / raw SHA-256", "seal_batch", "raw_sha256"),
    ("seal one-by-one / raw SHA-256", "seal_one", "raw_sha256"),
    ("seal batched / in-memory computation", "seal_batch", "compute"),
]


# -- (a) sealing -----------------------------------------------------------------------


class SealClock:
    """Wraps the live sealer's ``seal`` (the adapter calls it inside its insert transaction)."""

    def __init__(self, ledger: Ledger) -> None:
        sealer = ledger.sealer
        if sealer is None:
            raise SystemExit("bench: this ledger has no sealer")
        self.seconds = 0.0
        self.leaves = 0
        inner = sealer.seal

        def seal(txn: SealTxn, rows: Sequence[SealRow], head: int | None = None) -> None:
            start = time.perf_counter()
            try:
                inner(txn, rows, head)
            finally:
                self.seconds += time.perf_counter() - start
                self.leaves += len(rows)

        sealer.seal = seal  # type: ignore[method-assign]

    def take(self) -> tuple[int, float]:
        out = (self.leaves, self.seconds)
        self.leaves, self.seconds = 0, 0.0
        return out


def _accept(results: Sequence[Any]) -> None:
    for r in results:
        if not isinstance(r, Receipt):
            raise SystemExit(f"bench: an envelope was refused: {r!r}")


def run_seal(cfg: Config, world: World, wire: list[dict[str, Any]], stores: Stores, rep: Reporter,
             tag: str) -> dict[str, float]:
    batched, one = wire[:cfg.events], wire[cfg.events:cfg.events + cfg.one]
    with stores.fresh("seal") as (directory, database):
        ledger = new_ledger(world, directory, database)
        try:
            clock = SealClock(ledger)
            base = ledger.log_size()
            with rep.phase(f"{tag}: submit {len(batched)} in batches of {BATCH}", len(batched)) as tick:
                start = time.perf_counter()
                for i in range(0, len(batched), BATCH):
                    _accept(ledger.submit(batched[i:i + BATCH]))
                    tick(min(BATCH, len(batched) - i))
                ingest = time.perf_counter() - start
            sealed_batch, seal_batch = clock.take()
            with rep.phase(f"{tag}: submit {len(one)} one by one", len(one)) as tick:
                for env in one:
                    _accept(ledger.submit([env]))
                    tick(1)
            sealed_one, seal_one = clock.take()
            if (sealed_batch, sealed_one) != (len(batched), len(one)):
                raise SystemExit(f"bench: sealed {sealed_batch}+{sealed_one} leaves, "
                                 f"expected {len(batched)}+{len(one)}")
            rows = list(iter_notifications(ledger.recorder))
            states = [bytes(n.state) for n in rows[base:base + len(batched)]]
            # What was sealed is what the rows say: the root over every row equals the sealer's.
            whole = CompactRange()
            for n in rows:
                whole.append(state_leaf_hash(n.state))
            if ledger.sealer is None or whole.root() != ledger.sealer.root(len(rows)):
                raise SystemExit("bench: the sealed tree's root differs from the rows'")
        finally:
            ledger.close()
    entries = [state_entry(s) for s in states]
    start = time.perf_counter()
    for e in entries:
        hashlib.sha256(b"\x00" + e).digest()
    raw = time.perf_counter() - start
    start = time.perf_counter()
    rng = CompactRange()
    for s in states:
        rng.append(state_leaf_hash(s))
    compute = time.perf_counter() - start
    out = {
        "seal_batch": len(batched) / seal_batch,
        "seal_one": len(one) / seal_one,
        "compute": len(states) / compute,
        "raw_sha256": len(entries) / raw,
        "ingest_batch": len(batched) / ingest,
        "seal_share_of_ingest": seal_batch / ingest,
        "entry_bytes": statistics.mean(len(e) for e in entries),
    }
    rep.log(f"{tag}: seal {out['seal_batch']:,.0f} leaves/s batched, {out['seal_one']:,.0f} one by one; "
            f"in memory {out['compute']:,.0f}/s; raw SHA-256 {out['raw_sha256']:,.0f}/s; "
            f"seal is {out['seal_share_of_ingest']:.1%} of batched submit time")
    return out


# -- (b) proofs --------------------------------------------------------------------------


class Tree:
    """The generator's own copy of the synthetic tree: one byte array of 32-byte hashes per level."""

    def __init__(self) -> None:
        self.levels: list[bytearray] = []
        self.size = 0

    def add(self, node: Node) -> None:
        while len(self.levels) <= node.level:
            self.levels.append(bytearray())
        self.levels[node.level] += node.hash  # nodes of a level complete in index order

    def get(self, level: int, index: int) -> bytes:
        return bytes(self.levels[level][32 * index:32 * index + 32])

    def root(self, size: int) -> bytes:
        return CompactRange.from_nodes(size, [self.get(lv, i) for lv, i in frontier_coords(size)]).root()


def _bulk_write(txn: SealTxn, store: Any, leaves: list[Leaf], nodes: list[Node]) -> None:
    """The rows ``Sealer.seal`` writes, in one transaction of the adapter."""
    cursor = getattr(txn, "c", None)
    if hasattr(store, "t_leaves") and cursor is not None and hasattr(cursor, "copy"):
        # PostgreSQL: COPY on the adapter's own cursor; executemany manages ~4,000 rows/s here.
        with cursor.copy(sql.SQL("COPY {} (leaf_index, notification_id, stream, version, hash) FROM STDIN")
                         .format(store.t_leaves)) as copy:
            for leaf in leaves:
                copy.write_row(leaf)
        with cursor.copy(sql.SQL("COPY {} (level, idx, hash) FROM STDIN").format(store.t_nodes)) as copy:
            for node in nodes:
                copy.write_row((node.level, node.index, node.hash))
    else:
        txn.insert_leaves(leaves)
        txn.insert_nodes(nodes)


def build_tree(ledger: Ledger, size: int, database: str | None, tick: Callable[[int], None]) -> tuple[Tree, float]:
    if ledger.sealer is None or ledger.log_size() != 0:
        raise SystemExit("bench: the proof benchmark needs an empty ledger with a sealer")
    store = ledger.sealer.store
    tree, rng = Tree(), CompactRange(on_node=None)
    start = time.perf_counter()
    for lo in range(0, size, CHUNK):
        leaves: list[Leaf] = []
        nodes: list[Node] = []
        for i in range(lo, min(size, lo + CHUNK)):
            h = leaf_hash(b"synthetic %d" % i)
            leaves.append(Leaf(i, i + 1, "bench:synthetic", 1, h))
            for node in rng.append(h):
                tree.add(node)
                if node.level:
                    nodes.append(node)
        with store.seal_transaction(write=True) as txn:
            _bulk_write(txn, store, leaves, nodes)
        tick(len(leaves))
    if database is not None:  # as autovacuum would have by the time a log holds a million leaves
        schema = parse_qs(urlsplit(database).query)["schema"][0]
        with psycopg.connect(database.split("?")[0], autocommit=True) as conn:
            for table in ("dantin_leaves", "dantin_nodes"):
                conn.execute(sql.SQL("ANALYZE {}.{}").format(sql.Identifier(schema), sql.Identifier(table)))
    seconds = time.perf_counter() - start
    tree.size = size
    if ledger.log_size() != size or ledger.sealer.root(size) != rng.root():
        raise SystemExit("bench: the bulk-written tree is not the generated one")
    return tree, seconds


@dataclass
class ProofRound:
    """Latencies (ms) of one round: the ledger's and the in-memory walk's, for the same requests."""

    inclusion: list[float] = field(default_factory=list)
    consistency: list[float] = field(default_factory=list)
    memory_inclusion: list[float] = field(default_factory=list)
    memory_consistency: list[float] = field(default_factory=list)
    verified: int = 0


def _requests(rng: random.Random, size: int, count: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    incl = []
    for _ in range(count):
        index = rng.randrange(size)
        incl.append((index, rng.randint(index + 1, size)))
    cons = []
    for _ in range(count):
        new = rng.randint(2, size)
        cons.append((rng.randint(1, new - 1), new))
    return incl, cons


def run_proof_round(cfg: Config, ledger: Ledger, tree: Tree, seed: int, rep: Reporter, tag: str) -> ProofRound:
    rng = random.Random(seed)
    incl, cons = _requests(rng, tree.size, cfg.proofs)
    out = ProofRound()
    for index, size in incl[:20]:  # warm the connection and its prepared statements
        ledger.inclusion_proof(index, size)
    kinds: list[tuple[str, list[tuple[int, int]], Callable[[int, int], list[bytes]], list[float]]] = [
        ("inclusion", incl, ledger.inclusion_proof, out.inclusion),
        ("consistency", cons, ledger.consistency_proof, out.consistency),
    ]
    proofs: dict[str, list[tuple[int, int, list[bytes]]]] = {"inclusion": [], "consistency": []}
    for kind, requests, call, times in kinds:
        deadline = time.perf_counter() + cfg.proof_budget
        with rep.phase(f"{tag}: {kind}_proof at {tree.size:,} leaves", len(requests)) as tick:
            for a, b in requests:
                start = time.perf_counter_ns()
                proof = call(a, b)
                times.append((time.perf_counter_ns() - start) / 1e6)
                proofs[kind].append((a, b, proof))
                tick(1)
                if time.perf_counter() > deadline:
                    break
    # The same requests, walked over the in-memory copy: what the lookups cost on top.
    for index, size, _p in proofs["inclusion"]:
        start = time.perf_counter_ns()
        inclusion_proof(index, size, tree.get)
        out.memory_inclusion.append((time.perf_counter_ns() - start) / 1e6)
    for old, new, _p in proofs["consistency"]:
        start = time.perf_counter_ns()
        consistency_proof(old, new, tree.get)
        out.memory_consistency.append((time.perf_counter_ns() - start) / 1e6)
    # Every proof the ledger gave verifies against roots from the generator's copy.
    for index, size, proof in proofs["inclusion"]:
        verify_inclusion(tree.get(0, index), index, size, proof, tree.root(size))
        out.verified += 1
    for old, new, proof in proofs["consistency"]:
        verify_consistency(old, new, proof, tree.root(old), tree.root(new))
        out.verified += 1
    rep.log(f"{tag}: inclusion p50 {pct(out.inclusion, 50):.3f} ms p99 {pct(out.inclusion, 99):.3f} ms "
            f"({len(out.inclusion)}); consistency p50 {pct(out.consistency, 50):.3f} ms "
            f"p99 {pct(out.consistency, 99):.3f} ms ({len(out.consistency)}); all {out.verified} verified")
    return out


def pct(values: Sequence[float], q: int) -> float:
    """The q-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, -(-q * len(ordered) // 100) - 1))]


# -- (c) verify-bundle -------------------------------------------------------------------


@dataclass
class BundleRound:
    verify_ms: float  # median of verify_bundle calls
    crypto_ms: float  # median of the baseline: the bundle's signatures and inclusion proofs alone
    cli_ms: float  # median wall time of `dantin verify-bundle FILE`
    cli_help_ms: float  # median wall time of `dantin --help`: the same process start and imports


@dataclass
class BundleResult:
    village: str
    entries: int
    village_events: int
    size_bytes: int
    rounds: list[BundleRound] = field(default_factory=list)


def _crypto_baseline(directory: Path, data: bytes) -> Callable[[], None]:
    """What no verifier can skip: each entry's Ed25519 signature and its inclusion proof, keys pre-loaded."""
    doc = json.loads(data)
    opened, _ = open_checkpoint(doc["checkpoint"], home.log_verifier(directory))
    keys = {k.public.key_id: k.public for k in
            (SigningKey.from_pem(p.read_bytes()) for p in sorted((directory / "keys").glob("*.pem")))}
    items = []
    for item in doc["entries"]:
        e = item["entry"]
        sig = e["signatures"][0]
        if sig["keyid"] not in keys:
            raise SystemExit(f"bench: no demo key {sig['keyid']} for the baseline")
        items.append((keys[sig["keyid"]], e["payload"], sig["keyid"], sig["sig"], e["prev"], e["received"],
                      item["index"], item["proof"]))

    def check() -> None:
        for key, payload_b64, keyid, sig_b64, prev, received, index, proof in items:
            key.verify(b64decode_strict(sig_b64), pae(PAYLOAD_TYPE, b64decode_strict(payload_b64)))
            leaf = leaf_hash(entry_bytes(payload_b64, keyid, sig_b64, prev, received))
            verify_inclusion(leaf, index, opened.size, [b64decode_strict(p) for p in proof], opened.root_hash)

    return check


def _median_ms(fn: Callable[[], object], times: int) -> float:
    out = []
    for _ in range(times):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return statistics.median(out)


def _cli(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench: dantin {' '.join(args)} exited {done.returncode}: {done.stderr.decode()[-500:]}")


def run_bundle(cfg: Config, tmp: Path, rep: Reporter) -> BundleResult:
    """``dantin demo``'s ledger (Ba Tơ, a generated term per village, a witnessed checkpoint); the first
    village whose bundle holds ``cfg.bundle_entries`` entries; then verify-bundle, timed."""
    from cli.demo import build_demo
    from cli.demo_term import demo_villages
    from ledger.bundle import make_bundle, verify_bundle
    from ledger.witness import DEFAULT_POLICY

    directory = tmp / "bundle-demo"
    with rep.phase("dantin demo (SQLite) for the bundle", 1):
        build_demo(directory)
    ledger = home.open_ledger(directory)
    try:
        signer = home.log_signer(directory)
        best = None
        with rep.phase(f"finding a village with a {cfg.bundle_entries}-entry bundle", 100) as tick:
            for village in demo_villages()[:100]:
                made = make_bundle(ledger, village.id, policy=DEFAULT_POLICY, signer=signer)
                tick(1)
                if best is None or abs(made.entries - cfg.bundle_entries) < abs(best[1].entries - cfg.bundle_entries):
                    best = (village.id, made)
                if made.entries == cfg.bundle_entries:
                    break
    finally:
        ledger.close()
    assert best is not None
    village_id, made = best
    path = tmp / "village.bundle.json"
    path.write_bytes(made.data)
    report = verify_bundle(made.data)
    if report.entries != made.entries or report.village != village_id:
        raise SystemExit("bench: the bundle did not verify as made")
    result = BundleResult(village_id, made.entries, report.village_events, len(made.data))
    crypto = _crypto_baseline(directory, made.data)
    calls = 5 if cfg.quick else 30
    runs = 1 if cfg.quick else 3
    for r in range(cfg.repeats):
        with rep.phase(f"verify-bundle #{r + 1}", 2 * calls + 2 * runs) as tick:
            verify_ms = _median_ms(lambda: verify_bundle(made.data), calls)
            tick(calls)
            crypto_ms = _median_ms(crypto, calls)
            tick(calls)
            cli_ms = _median_ms(lambda: _cli("verify-bundle", str(path)), runs)
            tick(runs)
            help_ms = _median_ms(lambda: _cli("--help"), runs)
            tick(runs)
        result.rounds.append(BundleRound(verify_ms, crypto_ms, cli_ms, help_ms))
        rep.log(f"verify-bundle #{r + 1}: {verify_ms:.1f} ms in process (signatures + proofs alone "
                f"{crypto_ms:.1f} ms); `dantin verify-bundle` {cli_ms:.0f} ms wall, `dantin --help` {help_ms:.0f} ms")
    return result


# -- the run -----------------------------------------------------------------------------


@dataclass
class Config:
    events: int
    one: int
    leaves: int
    proofs: int
    proof_budget: float
    repeats: int
    backends: list[str]
    pg_url: str
    quick: bool
    bundle_entries: int = 40


@dataclass
class Results:
    seal: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    proofs: dict[str, list[ProofRound]] = field(default_factory=dict)
    build_seconds: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    bundle: BundleResult | None = None
    seconds: float = 0.0
    load: list[float] = field(default_factory=list)


def run(cfg: Config, console: Console) -> Results:
    results = Results(load=[os.getloadavg()[0]])
    began = time.perf_counter()
    backends = list(cfg.backends)
    if "postgres" in backends:
        why = pg_unreachable(cfg.pg_url)
        if why is not None:
            results.skipped["postgres"] = f"PostgreSQL unreachable at {cfg.pg_url}: {why}"
            backends.remove("postgres")
    steps = 2 + len(backends) * (4 * cfg.repeats + 1) + 2 + cfg.repeats
    with tempfile.TemporaryDirectory(prefix="dantin-bench-log-") as tmp, Reporter(console, steps) as rep:
        with rep.phase("signing the world", 1):
            world = build_world()
        count = cfg.events + cfg.one
        with rep.phase("signing person.profiled envelopes", count) as tick:
            people = sign_people(world, count, tick)
        rep.log(f"signed {world.events} world events and {count} person.profiled envelopes; temp dir {tmp}")
        stores = {b: Stores(b, Path(tmp), cfg.pg_url) for b in backends}
        try:
            for r in range(cfg.repeats):
                for backend in backends:
                    results.seal.setdefault(backend, []).append(
                        run_seal(cfg, world, people.wire, stores[backend], rep, f"{backend} seal #{r + 1}"))
            for backend in backends:
                with stores[backend].fresh("proofs") as (directory, database):
                    ledger = Ledger(env=persistence_env(directory, database))
                    try:
                        with rep.phase(f"{backend}: bulk-writing {cfg.leaves:,} synthetic leaves",
                                       cfg.leaves) as tick:
                            tree, seconds = build_tree(ledger, cfg.leaves, database, tick)
                        results.build_seconds[backend] = seconds
                        rep.log(f"{backend}: wrote {cfg.leaves:,} leaves and their nodes in {seconds:.1f} s "
                                f"({cfg.leaves / seconds:,.0f} leaves/s)")
                        for r in range(cfg.repeats):
                            results.proofs.setdefault(backend, []).append(
                                run_proof_round(cfg, ledger, tree, 1000 + r, rep, f"{backend} proofs #{r + 1}"))
                    finally:
                        ledger.close()
            results.bundle = run_bundle(cfg, Path(tmp), rep)
        finally:
            for s in stores.values():
                s.close()
    results.seconds = time.perf_counter() - began
    results.load.append(os.getloadavg()[0])
    return results


# -- the report --------------------------------------------------------------------------


def summarise(cfg: Config, results: Results) -> dict[str, Any]:
    out: dict[str, Any] = {
        "config": {
            "events_batched": cfg.events, "events_one_by_one": cfg.one, "batch": BATCH,
            "leaves": cfg.leaves, "proofs_per_kind": cfg.proofs, "proof_budget_s": cfg.proof_budget,
            "repeats": cfg.repeats, "quick": cfg.quick, "cores": os.cpu_count() or 1,
            "python": sys.version.split()[0], "load_average_start_end": results.load,
        },
        "seal": {}, "proofs": {}, "skipped": results.skipped, "bundle": _bundle_summary(results),
        "seconds": round(results.seconds, 1),
    }
    for backend, runs in results.seal.items():
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        ratios = {label: statistics.median(r[a] / r[b] for r in runs) for label, a, b in SEAL_RATIOS}
        ratios["seal share of batched submit time"] = med["seal_share_of_ingest"]
        out["seal"][backend] = {"median_per_s": med, "ratios": ratios, "runs": runs}
    for backend, rounds in results.proofs.items():
        def pmed(values: Callable[[ProofRound], list[float]], q: int) -> float:
            return statistics.median(pct(values(r), q) for r in rounds)  # noqa: B023 - used at once

        entry: dict[str, Any] = {
            "build_seconds": results.build_seconds[backend],
            "inclusion_ms": {"p50": pmed(lambda r: r.inclusion, 50), "p99": pmed(lambda r: r.inclusion, 99)},
            "consistency_ms": {"p50": pmed(lambda r: r.consistency, 50), "p99": pmed(lambda r: r.consistency, 99)},
            "memory_inclusion_ms": {"p50": pmed(lambda r: r.memory_inclusion, 50)},
            "memory_consistency_ms": {"p50": pmed(lambda r: r.memory_consistency, 50)},
            "samples": [[len(r.inclusion), len(r.consistency)] for r in rounds],
            "verified": sum(r.verified for r in rounds),
        }
        entry["ratio_inclusion_p50_to_memory"] = statistics.median(
            pct(r.inclusion, 50) / pct(r.memory_inclusion, 50) for r in rounds)
        entry["ratio_consistency_p50_to_memory"] = statistics.median(
            pct(r.consistency, 50) / pct(r.memory_consistency, 50) for r in rounds)
        entry["p99_target_met"] = max(entry["inclusion_ms"]["p99"], entry["consistency_ms"]["p99"]) <= TARGET_P99_MS
        out["proofs"][backend] = entry
    return out


def _bundle_summary(results: Results) -> dict[str, Any]:
    b = results.bundle
    if b is None:
        return {"skipped": "not run"}
    rounds = b.rounds
    return {
        "village": b.village, "entries": b.entries, "village_events": b.village_events, "bytes": b.size_bytes,
        "verify_ms": statistics.median(r.verify_ms for r in rounds),
        "crypto_baseline_ms": statistics.median(r.crypto_ms for r in rounds),
        "cli_ms": statistics.median(r.cli_ms for r in rounds),
        "cli_help_ms": statistics.median(r.cli_help_ms for r in rounds),
        "ratio_verify_to_crypto": statistics.median(r.verify_ms / r.crypto_ms for r in rounds),
        "ratio_cli_to_help": statistics.median(r.cli_ms / r.cli_help_ms for r in rounds),
        "rounds": [vars(r) for r in rounds],
    }


def render(s: dict[str, Any]) -> str:
    c = s["config"]
    load = c["load_average_start_end"]
    label_w, cell_w = 52, 16
    lines = [
        f"dantin log benchmark{' (quick)' if c['quick'] else ''}: medians of {c['repeats']} repeat(s) "
        f"({c['cores']} cores, Python {c['python']}, {s['seconds']:.0f} s in all)",
        f"load average {load[0]:.1f} at start, {load[1]:.1f} at end"
        + (f" (> {c['cores']} cores: other processes shared the CPU)" if max(load) > c["cores"] else ""),
    ]
    seal = s["seal"]
    if seal:
        names = list(seal)
        head = "".join(f"{n:>{cell_w}}" for n in names)
        lines += ["", f"(a) sealing: {c['events_batched']} envelopes submitted in batches of {c['batch']}, then "
                      f"{c['events_one_by_one']} one by one, on a fresh ledger per repeat",
                  f"{'leaves/s (median)':<{label_w}}{head}"]
        for metric, label in SEAL_METRICS.items():
            lines.append(f"{label:<{label_w}}" + "".join(f"{seal[n]['median_per_s'][metric]:>{cell_w},.0f}"
                                                         for n in names))
        lines.append(f"{'mean entry bytes':<{label_w}}" + "".join(
            f"{seal[n]['median_per_s']['entry_bytes']:>{cell_w},.0f}" for n in names))
        lines.append(f"{'ratio (median of per-repeat ratios)':<{label_w}}{head}")
        for label in seal[names[0]]["ratios"]:
            lines.append(f"{label:<{label_w}}" + "".join(f"{seal[n]['ratios'][label]:>{cell_w}.3f}" for n in names))
    proofs = s["proofs"]
    if proofs:
        names = list(proofs)
        head = "".join(f"{n:>{cell_w}}" for n in names)
        builds = ", ".join(f"{n} {proofs[n]['build_seconds']:.0f} s" for n in names)
        lines += ["", f"(b) proofs at {c['leaves']:,} synthetic leaves (bulk-written through seal_transaction: "
                      f"{builds}); random indices and sizes, Ledger API, every proof verified",
                  f"{'ms (median over rounds)':<{label_w}}{head}"]
        rows: list[tuple[str, Callable[[dict[str, Any]], float]]] = [
            ("inclusion_proof p50", lambda e: e["inclusion_ms"]["p50"]),
            ("inclusion_proof p99", lambda e: e["inclusion_ms"]["p99"]),
            ("consistency_proof p50", lambda e: e["consistency_ms"]["p50"]),
            ("consistency_proof p99", lambda e: e["consistency_ms"]["p99"]),
            ("in-memory RFC 9162 walk, inclusion p50", lambda e: e["memory_inclusion_ms"]["p50"]),
            ("in-memory RFC 9162 walk, consistency p50", lambda e: e["memory_consistency_ms"]["p50"]),
        ]
        for label, get in rows:
            lines.append(f"{label:<{label_w}}" + "".join(f"{get(proofs[n]):>{cell_w}.3f}" for n in names))
        lines.append(f"{'samples per round (inclusion/consistency)':<{label_w}}" + "".join(
            f"{'/'.join(str(x) for x in proofs[n]['samples'][0]):>{cell_w}}" for n in names))
        lines.append(f"{'ratio ledger p50 / in-memory p50, inclusion':<{label_w}}" + "".join(
            f"{proofs[n]['ratio_inclusion_p50_to_memory']:>{cell_w},.0f}" for n in names))
        lines.append(f"{'ratio ledger p50 / in-memory p50, consistency':<{label_w}}" + "".join(
            f"{proofs[n]['ratio_consistency_p50_to_memory']:>{cell_w},.0f}" for n in names))
        lines.append(f"{f'p99 <= {TARGET_P99_MS:g} ms (target)':<{label_w}}" + "".join(
            f"{'ok' if proofs[n]['p99_target_met'] else 'MISS':>{cell_w}}" for n in names))
    b = s["bundle"]
    if "skipped" in b:
        lines += ["", f"(c) verify-bundle: skipped — {b['skipped']}"]
    else:
        label_w = 52
        lines += [
            "", f"(c) verify-bundle of {b['village']} from `dantin demo` (SQLite): {b['entries']} entries "
                f"({b['village_events']} of the village), {b['bytes']:,} bytes",
            f"{'verify_bundle(), in process (median ms)':<{label_w}}{b['verify_ms']:>16.1f}",
            f"{'baseline: its signatures + inclusion proofs alone':<{label_w}}{b['crypto_baseline_ms']:>16.1f}",
            f"{'ratio verify_bundle / baseline':<{label_w}}{b['ratio_verify_to_crypto']:>16.1f}",
            f"{'`dantin verify-bundle FILE`, wall (median ms)':<{label_w}}{b['cli_ms']:>16.0f}",
            f"{'baseline: `dantin --help`, wall':<{label_w}}{b['cli_help_ms']:>16.0f}",
            f"{'ratio verify-bundle / --help':<{label_w}}{b['ratio_cli_to_help']:>16.2f}",
        ]
    for backend, why in s["skipped"].items():
        lines.append(f"\n{backend}: skipped ({why})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.log", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="2,000 envelopes, 100,000 leaves, 300 proofs of each kind, one repeat")
    parser.add_argument("--events", type=int, help="envelopes submitted in batches (default 10000)")
    parser.add_argument("--one", type=int, help="envelopes then submitted one by one (default 1000)")
    parser.add_argument("--leaves", type=int, help="synthetic leaves for the proof benchmark (default 1000000)")
    parser.add_argument("--proofs", type=int, help="proofs of each kind per round (default 2000)")
    parser.add_argument("--proof-budget", type=float, default=20.0, metavar="SECONDS",
                        help="stop timing a proof kind in a round after this long (default 20)")
    parser.add_argument("--repeats", type=int, help="repeats of each measurement (default 3)")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG,
                        help=f"PostgreSQL server, without ?schema= (default {DEFAULT_PG})")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    quick = args.quick
    cfg = Config(
        events=args.events or (2000 if quick else 10_000),
        one=args.one or (200 if quick else 1000),
        leaves=args.leaves or (100_000 if quick else 1_000_000),
        proofs=args.proofs or (300 if quick else 2000),
        proof_budget=args.proof_budget,
        repeats=args.repeats or (1 if quick else 3),
        backends=["sqlite", "postgres"] if args.backend == "both" else [args.backend],
        pg_url=args.pg_url,
        quick=quick,
    )
    if min(cfg.events, cfg.one, cfg.proofs, cfg.repeats) < 1 or cfg.leaves < 2:
        parser.error("counts must be positive (and --leaves at least 2)")
    results = run(cfg, Console(stderr=True))
    summary = summarise(cfg, results)
    print(json.dumps(summary, indent=2, ensure_ascii=False, default=str) if args.json else render(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
