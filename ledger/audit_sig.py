"""The signature checks of ``dantin verify``, alone in a module that imports little.

Worker processes run ``verify_jobs``; where they are spawned (a process with threads may
not fork), each imports this module first: keeping it to ``ledger.signing`` keeps their
start cheap.
"""

from __future__ import annotations

from ledger.signing import BadSignature, PublicKey

#: A signature to check: (position, raw public key, DSSE pre-image, signature).
SigJob = tuple[int, bytes, bytes, bytes]


def verify_jobs(jobs: list[SigJob]) -> list[int]:
    """The positions whose signature fails."""
    keys: dict[bytes, PublicKey] = {}
    failed = []
    for position, public, preimage, sig in jobs:
        key = keys.get(public)
        if key is None:
            key = keys[public] = PublicKey.from_raw(public)
        try:
            key.verify(sig, preimage)
        except BadSignature:
            failed.append(position)
    return failed
