"""Crash safety: a writer killed with SIGKILL at any moment loses nothing it acknowledged.

The parent signs 10,000 envelopes once (places registered by the root, people profiled by
the village cell and the commune committee, many people several times, so streams grow
past version 1). A child process (``_crash_child.py``) opens the ledger and submits them
in order, in batches of 1-200 and runs of one-by-one calls, writing each receipt the moment
``submit`` returns. The parent kills it with SIGKILL at random moments (seeded), at least
``MIN_KILLS`` times while it is submitting and now and then while it is still starting up,
and restarts it from where the log says it stopped — often some way back, so envelopes
already stored are submitted again and must be refused as ``replay``.

After every kill, before anything reopens the ledger, the parent reads the stored tables
itself and checks:

- every stored event has its leaf (no row outside the tree), leaves are dense 0..n-1 and
  each leaf hash is recomputed from its event row; the last leaf is the last row's;
- the stored envelopes are exactly the first K of the list, each once, in order: a batch
  commits whole or not at all, and K is a boundary of the batch in flight at the kill;
- every receipt ever acknowledged names its envelope's leaf: index, hash, stream,
  version, notification id; nothing new was refused and nothing old was accepted;
- the stored tree nodes are exactly those a from-scratch build of the leaves completes;
- every checkpoint is signed by the log key, its root is recomputed from the rows, every
  checkpoint seen so far is still stored, and each is consistent (RFC 9162 proof from
  ``Ledger.consistency_proof``) with the newest checkpoint and with the whole tree.

The last run completes; a full ``audit`` (what ``dantin verify`` runs) then finds nothing.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import psycopg
import pytest
from conftest import PG_ADMIN_URL, Backend, World, build_world

from ledger import home
from ledger.application import Ledger
from ledger.audit import audit
from ledger.merkle import CompactRange, verify_consistency, verify_inclusion
from ledger.note import NoteVerifier, open_checkpoint
from ledger.sealer import state_leaf_hash
from ledger.storage import persistence_env

TOTAL = 10_000
MIN_KILLS = 22  # SIGKILLs that land while the child is submitting
SEED = 20250301
CHILD = Path(__file__).with_name("_crash_child.py")
CHILD_TIMEOUT = 300.0  # a hung child fails the test instead of hanging it


# -- the envelopes -------------------------------------------------------------------


def sign_envelopes(world: World, count: int) -> list[dict[str, Any]]:
    """Places registered by the root; profiles by the cell and the committee, people often re-profiled."""
    rng = random.Random(SEED)
    out = []
    for i in range(count):
        if i % 10 == 9:
            place = f"{world.badien}.thon-{i}"
            out.append(world.sign(world.root, "place.registered", place,
                                  {"id": place, "name": f"Thôn số {i}", "kind": "thon"}, date="2022-01-10"))
        else:
            body = world.cell if i % 3 else world.committee
            out.append(world.sign(body, "person.profiled", world.lang_ma,
                                  {"person": f"p{rng.randrange(count * 2 // 3)}", "name": f"Người số {i}",
                                   "born": "1980-01-01"}))
    return out


def sig_of(envelope: dict[str, Any]) -> str:
    return str(envelope["signatures"][0]["sig"])


# -- what the child said ---------------------------------------------------------------


@dataclass(frozen=True)
class Ack:
    j: int
    index: int
    hash: str
    stream: str
    version: int
    notification_id: int


@dataclass
class RunLog:
    ready: bool = False
    done: bool = False
    batches: list[tuple[int, int]] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)
    refusals: list[tuple[int, str]] = field(default_factory=list)


def _said(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def read_run(path: Path) -> RunLog:
    """Parse the child's lines; a last line cut by the kill (no newline) was never said."""
    log = RunLog()
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    for line in text.split("\n")[:-1]:
        word, *rest = line.split(" ")
        if word == "READY":
            log.ready = True
        elif word == "DONE":
            log.done = True
        elif word == "B":
            log.batches.append((int(rest[0]), int(rest[1])))
        elif word == "A":
            j, index, h, stream, version, nid = rest
            log.acks.append(Ack(int(j), int(index), h, stream, int(version), int(nid)))
        elif word == "R":
            log.refusals.append((int(rest[0]), rest[1]))
        else:
            raise AssertionError(f"unexpected line from the child: {line!r}")
    return log


# -- the stored tables, read directly ----------------------------------------------------


@dataclass
class Snapshot:
    rows: list[tuple[int, str, int, bytes]]  # notification id, stream, version, state
    leaves: list[tuple[int, int, str, int, bytes]]  # index, notification id, stream, version, hash
    nodes: dict[tuple[int, int], bytes]
    tracked: int
    checkpoints: list[tuple[int, bytes, str]]


def read_snapshot(backend: Backend) -> Snapshot:
    """One consistent read of every log table, with no ledger code in between."""
    if backend.database is None:
        conn = sqlite3.connect(backend.directory / "ledger.sqlite", timeout=30, isolation_level=None)
        try:
            conn.execute("BEGIN")
            rows = conn.execute("SELECT rowid, originator_id, originator_version, state FROM stored_events "
                                "ORDER BY rowid").fetchall()
            leaves = conn.execute("SELECT leaf_index, notification_id, stream, version, hash FROM dantin_leaves "
                                  "ORDER BY leaf_index").fetchall()
            nodes = conn.execute("SELECT level, idx, hash FROM dantin_nodes").fetchall()
            cps = conn.execute("SELECT size, root, note FROM dantin_checkpoints ORDER BY size").fetchall()
            conn.execute("COMMIT")
        finally:
            conn.close()
    else:
        schema = parse_qs(urlsplit(backend.database).query)["schema"][0]
        with psycopg.connect(PG_ADMIN_URL) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            with conn.transaction():
                conn.execute("SET LOCAL bytea_output = 'hex'")

                def q(table: str, columns: str, order: str) -> list[list[Any]]:
                    # One text value per table: psycopg's pure-Python row loading is slow; ids hold no spaces.
                    text = conn.execute(f"SELECT string_agg(concat_ws(' ', {columns}), E'\\n' ORDER BY {order}) "
                                        f'FROM "{schema}".{table}'.encode()).fetchone()[0]
                    return [[bytes.fromhex(v[2:]) if v.startswith("\\x") else v for v in line.split(" ")]
                            for line in (text.split("\n") if text else [])]

                rows = q("dantin_events", "notification_id, originator_id, originator_version, state",
                         "notification_id")
                leaves = q("dantin_leaves", "leaf_index, notification_id, stream, version, hash", "leaf_index")
                nodes = q("dantin_nodes", "level, idx, hash", "level, idx")
                cps = conn.execute(f'SELECT size, root, note FROM "{schema}".dantin_checkpoints ORDER BY size'
                                   .encode()).fetchall()
    return Snapshot(
        rows=[(int(r[0]), str(r[1]), int(r[2]), bytes(r[3])) for r in rows],
        leaves=[(int(r[0]), int(r[1]), str(r[2]), int(r[3]), bytes(r[4])) for r in leaves],
        nodes={(int(r[0]), int(r[1])): bytes(r[2]) for r in nodes},
        tracked=int(leaves[-1][1]) if leaves else 0,  # the sealed position: the last leaf's row
        checkpoints=[(int(r[0]), bytes(r[1]), str(r[2])) for r in cps],
    )


# -- the scenario ------------------------------------------------------------------------


class Crashes:
    """Everything the parent knows: the envelopes, the receipts, the checkpoints seen."""

    def __init__(self, backend: Backend, world: World, envelopes: list[dict[str, Any]], tmp: Path) -> None:
        self.backend = backend
        self.envelopes = envelopes
        self.tmp = tmp
        self.sig_to_j = {sig_of(e): j for j, e in enumerate(envelopes)}
        assert len(self.sig_to_j) == len(envelopes)
        self.world_size = world.ledger.log_size()
        self.verifier: NoteVerifier = home.log_verifier(backend.directory)
        self.acked: dict[int, Ack] = {}  # envelope -> its receipt
        self.acked_index: dict[int, int] = {}  # leaf index -> envelope
        self.seen: dict[int, bytes] = {}  # every checkpoint seen: size -> root
        self.proven_up_to = 0  # the newest checkpoint every earlier one was proven consistent with
        self.appname = f"dantin-crash-{uuid.uuid4().hex[:12]}"
        self.path = tmp / "envelopes.json"
        self.path.write_bytes(orjson.dumps(envelopes))
        self.runs = 0
        self.kills = 0  # while submitting
        self.startup_kills = 0
        self.finished_runs = 0
        self.in_flight = 0  # kills that caught a batch of new envelopes submitted but not acknowledged
        self.rolled_back = 0  # ... of which the batch was not stored
        self.child_seconds = 0.0
        self.check_seconds = 0.0

    # -- one run of the child ----------------------------------------------------------

    def run_child(self, start: int, end: int, kill: tuple[int, float] | None, early: float | None) -> tuple[RunLog, bool]:
        """Start the child; SIGKILL it ``early`` s after spawn, or ``jitter`` s after it has begun
        its ``batches``-th submission (``kill = (batches, jitter)``), or never."""
        self.runs += 1
        acks = self.tmp / f"acks-{self.runs:03d}.txt"
        stderr = self.tmp / f"stderr-{self.runs:03d}.txt"
        env = {**os.environ, "PGAPPNAME": self.appname}
        began = time.monotonic()
        with stderr.open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, str(CHILD), str(self.backend.directory), self.backend.database or "-",
                 str(self.path), str(acks), str(start), str(end), str(SEED + self.runs)],
                stdout=subprocess.DEVNULL, stderr=err, env=env,
            )
            try:
                if early is not None:
                    time.sleep(early)
                elif kill is not None:
                    batches, jitter = kill
                    while proc.poll() is None and _said(acks).count(b"\nB ") < batches:
                        assert time.monotonic() - began < CHILD_TIMEOUT, "child made no progress"
                        time.sleep(0.003)
                    time.sleep(jitter)
                if early is not None or kill is not None:
                    proc.send_signal(signal.SIGKILL)
                code = proc.wait(timeout=CHILD_TIMEOUT)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        self.child_seconds += time.monotonic() - began
        killed = code == -signal.SIGKILL
        assert killed or code == 0, f"child failed with {code}: {stderr.read_text()}"
        self._wait_for_server()
        return read_run(acks), killed

    def _wait_for_server(self) -> None:
        """On PostgreSQL, let the server finish (commit or roll back) what the dead child left."""
        if self.backend.database is None:
            return
        deadline = time.monotonic() + 30
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            while conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                               (self.appname,)).fetchone()[0]:
                assert time.monotonic() < deadline, "the killed child's sessions did not end"
                time.sleep(0.01)

    # -- the checks after each run ---------------------------------------------------------

    def check(self, before: int | None = None, run: RunLog | None = None, killed: bool = False) -> int:
        """Check the stored state after a run; return K, the number of envelopes stored."""
        began = time.monotonic()
        k = self._check(before, run, killed)
        self.check_seconds += time.monotonic() - began
        return k

    def _check(self, before: int | None, run: RunLog | None, killed: bool) -> int:
        snap = read_snapshot(self.backend)
        n = len(snap.rows)
        # Every stored row has its leaf, in order, with the hash recomputed from the row.
        assert [leaf[0] for leaf in snap.leaves] == list(range(len(snap.leaves))), "leaf indices not dense"
        assert len(snap.leaves) == n, f"{n} event rows but {len(snap.leaves)} leaves: a row outside the tree"
        hashes = [state_leaf_hash(state) for _nid, _s, _v, state in snap.rows]
        for (nid, stream, version, _state), leaf, h in zip(snap.rows, snap.leaves, hashes, strict=True):
            assert leaf[1:] == (nid, stream, version, h), f"leaf {leaf[0]} does not match its row {nid}"
        assert snap.tracked == (snap.rows[-1][0] if snap.rows else 0), "the last leaf is not the last row's"

        # The stored envelopes are the first K of the list, each exactly once, in order.
        stored = [self.sig_to_j.get(orjson.loads(state)["sig"]) for *_x, state in snap.rows[self.world_size:]]
        k = len(stored)
        assert stored == list(range(k)), "stored envelopes are not the first K, once each, in order"

        # Every receipt acknowledged is in the log as it said.
        if run is not None:
            assert before is not None
            for ack in run.acks:
                assert ack.j not in self.acked, f"envelope {ack.j} acknowledged twice"
                assert ack.index not in self.acked_index, f"leaf {ack.index} acknowledged twice"
                assert ack.j >= before, f"envelope {ack.j} was stored already, yet accepted again"
                self.acked[ack.j], self.acked_index[ack.index] = ack, ack.j
            for j, code in run.refusals:
                assert code == "replay" and j < before, f"envelope {j} refused as {code} (stored before: {before})"
            # A batch commits whole or not at all: K is an edge of the batch in flight.
            if run.batches:
                lo, hi = run.batches[-1]
                assert k in (max(before, lo), max(before, hi)), f"K={k} splits the batch [{lo}, {hi})"
                acked_here = {ack.j for ack in run.acks}
                if killed and hi > before and not acked_here.issuperset(range(max(before, lo), hi)):
                    self.in_flight += 1
                    self.rolled_back += k == max(before, lo)
            else:
                assert k == before
        for j, ack in self.acked.items():
            assert j < k, f"acknowledged envelope {j} is not stored"
            i = ack.index
            _idx, nid, stream, version, h = snap.leaves[i]
            assert (h.hex(), stream, version, nid) == (ack.hash, ack.stream, ack.version, ack.notification_id), \
                f"receipt of envelope {j} does not match leaf {i}"
            assert i == self.world_size + j, f"envelope {j} at leaf {i}"

        # The stored nodes are exactly those a from-scratch build completes; roots at every size.
        rng, expected, roots = CompactRange(), {}, {}
        sizes = {size for size, _r, _n in snap.checkpoints}
        for h in hashes:
            expected.update(((node.level, node.index), node.hash) for node in rng.append(h) if node.level > 0)
            if rng.size in sizes:
                roots[rng.size] = rng.root()
        full_root = rng.root()
        assert snap.nodes == expected, "stored tree nodes differ from a rebuild of the leaves"

        # Checkpoints: signed, recomputed, none lost.
        for size, root, note in snap.checkpoints:
            opened, _ = open_checkpoint(note, self.verifier)
            assert (opened.size, opened.root_hash) == (size, root)
            assert roots.get(size) == root, f"checkpoint {size} root differs from the rows"
        stored_cps = {size: root for size, root, _n in snap.checkpoints}
        for size, root in self.seen.items():
            assert stored_cps.get(size) == root, f"checkpoint {size} seen earlier is gone or changed"
        self.seen.update(stored_cps)
        self._check_proofs(n, full_root)
        return k

    def _check_proofs(self, n: int, full_root: bytes) -> None:
        """Through the ledger's own log API: roots, consistency and inclusion proofs."""
        ledger = Ledger(env=persistence_env(self.backend.directory, self.backend.database))  # no log key: no writes
        try:
            assert ledger.log_size() == n, "opening the ledger sealed rows the crash left unsealed"
            assert ledger.sealer is not None
            assert ledger.sealer.root(n) == full_root
            latest, latest_root = max(self.seen.items())
            newest = ledger.checkpoint()
            assert newest is not None and newest.size == latest
            if latest != self.proven_up_to:  # the same proofs again would prove nothing new (nodes are compared)
                for size, root in sorted(self.seen.items()):
                    verify_consistency(size, latest, ledger.consistency_proof(size, latest), root, latest_root)
                self.proven_up_to = latest
            verify_consistency(latest, n, ledger.consistency_proof(latest, n), latest_root, full_root)
            sample = random.Random(n).sample(sorted(self.acked.values(), key=lambda a: a.index),
                                             min(10, len(self.acked)))
            for ack in sample:
                if ack.index < latest:
                    verify_inclusion(bytes.fromhex(ack.hash), ack.index, latest,
                                     ledger.inclusion_proof(ack.index, latest), latest_root)
                verify_inclusion(bytes.fromhex(ack.hash), ack.index, n, ledger.inclusion_proof(ack.index, n),
                                 full_root)
        finally:
            ledger.close()


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing_acknowledged(backend: Backend, tmp_path: Path) -> None:
    world = build_world(backend)
    envelopes = sign_envelopes(world, TOTAL)
    crashes = Crashes(backend, world, envelopes, tmp_path)
    backend.close()  # the world's ledger publishes its checkpoint and lets go of the store
    rng = random.Random(SEED)
    k = crashes.check()
    while k < TOTAL or crashes.kills < MIN_KILLS:
        kills_left = MIN_KILLS - crashes.kills
        # Leave work for the kills still owed; a run that reaches its end just exits.
        end = TOTAL if kills_left <= 0 else k + max(1, (TOTAL - k) // (kills_left + 1))
        # Often restart some way back: what is stored already must come back as ``replay``.
        start = max(0, k - rng.randint(1, 300)) if rng.random() < 0.5 else k
        kill: tuple[int, float] | None = None
        early: float | None = None
        if kills_left > 0 and rng.random() < 0.1:
            early = rng.uniform(0.0, 1.0)  # during imports, opening, catch-up
        elif kills_left > 0:
            kill = (rng.randint(1, 8), rng.uniform(0.0, 0.25))  # a while into its n-th submission
        run, killed = crashes.run_child(start, end, kill, early)
        if killed and run.ready and not run.done:
            crashes.kills += 1
        elif killed:
            crashes.startup_kills += 1
        else:
            assert run.done
            crashes.finished_runs += 1
        k = crashes.check(k, run, killed)
    assert crashes.kills >= MIN_KILLS
    assert crashes.in_flight > 0, "no kill landed inside a submission: the scenario tested nothing"
    print(f"\n{backend.name}: {crashes.runs} runs, {crashes.kills} kills while submitting "
          f"({crashes.in_flight} inside a submission: {crashes.rolled_back} rolled back, "
          f"{crashes.in_flight - crashes.rolled_back} stored but not acknowledged), "
          f"{crashes.startup_kills} while starting; {len(crashes.seen)} checkpoints; "
          f"child {crashes.child_seconds:.0f} s, checks {crashes.check_seconds:.0f} s")

    # The last run closed the ledger: a checkpoint covers everything; a full audit finds nothing.
    n = crashes.world_size + TOTAL
    assert max(crashes.seen) == n
    ledger = backend.open()
    report = audit(ledger.recorder, seal=ledger.sealer.store if ledger.sealer else None,
                   log=home.log_verifier(backend.directory), workers=2)
    assert report.intact, report.to_dict()["findings"][:5]
    assert (report.entries, report.sealed, report.unsealed, report.signatures_checked) == (n, n, 0, n)
    assert report.checkpoints == len(crashes.seen)
