"""Checking a large batch's signatures on the other cores while the writer judges it.

Ed25519 verification holds the GIL, so threads do not help; worker processes do. For a
batch of at least ``MIN_BATCH`` envelopes, each envelope whose signer key is already known
is sent as (public key, DSSE pre-image, signature) to the workers, and the writer judges
the batch meanwhile *assuming* those signatures hold. When the answers come back, a batch
whose assumption failed anywhere is judged again from scratch, verifying inline what the
workers refused; acceptance is therefore exactly what serial judging gives. The key of a
pre-verified signature is (payload hash, signature, public key), so one good signature
cannot vouch for a different payload or key.

The batch goes out in several chunks. When the writer has judged the batch and chunks are
still waiting for a worker (a busy machine), it takes them back and verifies them itself
rather than wait idle.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

from ledger.signing import verify_batch
from ledger.workers import pool as worker_pool

MIN_BATCH = 64
#: (payload hash, signature, raw public key): what a worker vouched for.
Vouched = tuple[str, bytes, bytes]
Job = tuple[Vouched, bytes]  # and the pre-image the signature covers


@dataclass(frozen=True)
class Chunk:
    """Part of a batch sent to the workers: what it vouches for, its items, the answer."""

    vouched: list[Vouched]
    items: list[tuple[bytes, bytes, bytes]]  # (raw public key, pre-image, signature): ``verify_batch``'s
    answer: Future[list[bool]]


class Preverifier:
    def __init__(self, workers: int | None = None) -> None:
        cores = os.cpu_count() or 1
        self.workers = workers if workers is not None else max(1, cores - 1)
        self.enabled = cores > 1
        self._pool: ProcessPoolExecutor | None = None

    def start(self, jobs: Sequence[Job]) -> list[Chunk]:
        """Send the jobs to the workers in a few chunks; the futures answer per job."""
        if self._pool is None:
            # fork is fast, but a forked worker inherits the process's database sockets and keeps the server's
            # sessions open if this process dies (found by the SIGKILL test); fork only a process that has no
            # other threads (so no connection pool), else spawn.
            method = "fork" if threading.active_count() == 1 else "spawn"
            self._pool = worker_pool(self.workers, method)
        chunks = max(self.workers * 4, 1)
        size = -(-len(jobs) // chunks)
        out = []
        for i in range(0, len(jobs), size):
            part = jobs[i:i + size]
            items = [(v[2], pre, v[1]) for v, pre in part]
            out.append(Chunk([v for v, _ in part], items, self._pool.submit(verify_batch, items)))
        return out

    @staticmethod
    def settle(started: list[Chunk]) -> tuple[set[Vouched], set[Vouched]]:
        """(vouched for, refused) once every chunk has answered."""
        good: set[Vouched] = set()
        bad: set[Vouched] = set()
        answers: dict[int, list[bool]] = {}
        for n in range(len(started) - 1, -1, -1):  # the last chunks are the likeliest still queued
            if started[n].answer.cancel():  # no worker took it yet: verify it here instead of waiting
                answers[n] = verify_batch(started[n].items)
        for n, chunk in enumerate(started):
            for v, ok in zip(chunk.vouched, answers[n] if n in answers else chunk.answer.result(), strict=True):
                (good if ok else bad).add(v)
        return good, bad

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
