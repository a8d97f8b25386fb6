"""The signature checks of ``dantin verify``, alone in a module that imports little.

Worker processes run ``verify_jobs``; where they are spawned (a process with threads may
not fork), each imports this module first: keeping it to ``ledger.signing`` keeps their
start cheap.
"""

from __future__ import annotations

from ledger.signing import verify_batch

#: A signature to check: (position, raw public key, DSSE pre-image, signature).
SigJob = tuple[int, bytes, bytes, bytes]


def verify_jobs(jobs: list[SigJob]) -> list[int]:
    """The positions whose signature fails."""
    answers = verify_batch([(public, preimage, sig) for _position, public, preimage, sig in jobs])
    return [job[0] for job, ok in zip(jobs, answers, strict=True) if not ok]
