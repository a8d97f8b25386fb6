"""Checking a large batch's signatures on the other cores while the writer judges it.

``cryptography`` releases the GIL while it verifies, but a thread needs the GIL back to
start each verification and to hand its answer over, and waits for it (up to the 5 ms switch
interval) whenever the writer runs Python: threads would wait most while the writer judges,
the very time they are meant to overlap. Worker processes do not (``ledger.sigpool``). For a
batch of at least ``MIN_BATCH`` envelopes (or any, once the writer is busy:
``ledger.application.WARM_AFTER``), each envelope whose signer key is already known is sent
as (public key, DSSE pre-image, signature) to the workers, and the writer judges the batch
and prepares its rows meanwhile *assuming* those signatures hold. It collects the answers
inside the insert's transaction, just before the commit: a batch whose assumption failed
anywhere is rolled back and judged again from scratch, verifying inline what the workers
refused; acceptance is therefore exactly what serial judging gives. The key of a
pre-verified signature is (payload hash, signature, public key), so one good signature
cannot vouch for a different payload or key.

The batch goes out in small chunks, oldest first. Chunks no worker has started when the
writer collects are verified by the writer itself rather than waited for.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import NamedTuple

from ledger.sigpool import SigPool

MIN_BATCH = 64
#: Signatures per chunk: small enough that the writer, when it catches up, takes back most of
#: what is left rather than waiting for a worker's long chunk.
CHUNK = 32
#: (payload hash, signature, raw public key): what a worker vouched for.
Vouched = tuple[str, bytes, bytes]
Job = tuple[Vouched, bytes]  # and the pre-image the signature covers


class Chunk(NamedTuple):
    """Part of a batch sent to the workers: what it vouches for, and its ticket."""

    vouched: list[Vouched]
    ticket: int


class Preverifier:
    def __init__(self, workers: int | None = None) -> None:
        cores = os.cpu_count() or 1
        self.workers = workers if workers is not None else max(1, cores - 1)
        self.enabled = cores > 1
        self.pool: SigPool | None = None

    def send(self, jobs: Sequence[Job]) -> Chunk:
        """Send one chunk of jobs to the workers now."""
        if self.pool is None:
            self.pool = SigPool(self.workers)
        ticket = self.pool.send([(v[2], pre, v[1]) for v, pre in jobs])
        return Chunk([v for v, _ in jobs], ticket)

    def settle(self, started: list[Chunk]) -> tuple[set[Vouched], set[Vouched]]:
        """(vouched for, refused) once every chunk has answered; unstarted ones are verified here."""
        good: set[Vouched] = set()
        bad: set[Vouched] = set()
        if not started:
            return good, bad
        assert self.pool is not None
        answers = {}
        for chunk in reversed(started):  # the newest are the likeliest still unstarted
            answers[chunk.ticket] = self.pool.collect(chunk.ticket)
        for chunk in started:
            for v, ok in zip(chunk.vouched, answers[chunk.ticket], strict=True):
                (good if ok else bad).add(v)
        return good, bad

    def forget(self, started: list[Chunk]) -> None:
        """Stop waiting for chunks whose batch ended without using them."""
        if self.pool is not None:
            for chunk in started:
                self.pool.forget(chunk.ticket)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None
