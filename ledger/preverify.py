"""Checking a large batch's signatures on the other cores while the writer judges it.

Ed25519 verification holds the GIL, so threads do not help; worker processes do. For a
batch of at least ``MIN_BATCH`` envelopes, each envelope whose signer key is already known
is sent as (public key, DSSE pre-image, signature) to the workers, and the writer judges
the batch meanwhile *assuming* those signatures hold. When the answers come back, a batch
whose assumption failed anywhere is judged again from scratch, verifying inline what the
workers refused; acceptance is therefore exactly what serial judging gives. The key of a
pre-verified signature is (payload hash, signature, public key), so one good signature
cannot vouch for a different payload or key.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from ledger.signing import verify_batch
from ledger.workers import pool as worker_pool

MIN_BATCH = 64
#: (payload hash, signature, raw public key): what a worker vouched for.
Vouched = tuple[str, bytes, bytes]
Job = tuple[Vouched, bytes]  # and the pre-image the signature covers


class Preverifier:
    def __init__(self, workers: int | None = None) -> None:
        cores = os.cpu_count() or 1
        self.workers = workers if workers is not None else max(1, cores - 1)
        self.enabled = cores > 1
        self._pool: ProcessPoolExecutor | None = None

    def start(self, jobs: Sequence[Job]) -> list[tuple[list[Vouched], Future[list[bool]]]]:
        """Send the jobs to the workers in a few chunks; the futures answer per job."""
        if self._pool is None:
            # fork is fast, but a forked worker inherits the process's database sockets and keeps the server's
            # sessions open if this process dies (found by the SIGKILL test); fork only a process that has no
            # other threads (so no connection pool), else spawn.
            method = "fork" if threading.active_count() == 1 else "spawn"
            self._pool = worker_pool(self.workers, method)
        chunks = max(self.workers * 2, 1)
        size = -(-len(jobs) // chunks)
        out = []
        for i in range(0, len(jobs), size):
            part = jobs[i:i + size]
            items = [(v[2], pre, v[1]) for v, pre in part]
            out.append(([v for v, _ in part], self._pool.submit(verify_batch, items)))
        return out

    @staticmethod
    def settle(started: list[tuple[list[Vouched], Future[list[bool]]]]) -> tuple[set[Vouched], set[Vouched]]:
        """(vouched for, refused) once every chunk has answered."""
        good: set[Vouched] = set()
        bad: set[Vouched] = set()
        for vouched, future in started:
            for v, ok in zip(vouched, future.result(), strict=True):
                (good if ok else bad).add(v)
        return good, bad

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
