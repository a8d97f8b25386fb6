"""Pre-verification on a busy machine: chunks no worker has taken are verified by the writer."""

from __future__ import annotations

import time

from ledger.preverify import Job, Preverifier
from ledger.signing import SigningKey
from ledger.workers import pool


def _jobs(count: int, bad: set[int]) -> list[Job]:
    key = SigningKey.generate()
    jobs: list[Job] = []
    for i in range(count):
        message = b"statement %d" % i
        sig = key.sign(message)
        if i in bad:
            sig = bytes([sig[0] ^ 1]) + sig[1:]
        jobs.append(((f"h{i}", sig, key.public.raw), message))
    return jobs


def test_queued_chunks_are_taken_back_and_answer_the_same() -> None:
    verifier = Preverifier(workers=1)
    verifier._pool = pool(1, "spawn")
    try:
        verifier._pool.submit(time.sleep, 2)  # the only worker is occupied
        jobs = _jobs(40, bad={3, 37})
        chunks = verifier.start(jobs)
        good, bad = Preverifier.settle(chunks)
        # The chunks already handed to the worker's queue are waited for; the rest are verified here.
        assert any(c.answer.cancelled() for c in chunks)
        assert bad == {jobs[3][0], jobs[37][0]}
        assert good == {j[0] for j in jobs} - bad
    finally:
        verifier.close()
