"""The process ``test_crash.py`` kills: it only opens the ledger and submits pre-signed envelopes.

    python _crash_child.py DIR DATABASE ENVELOPES ACKS START END SEED

``DATABASE`` is ``-`` for the ledger directory's own SQLite file. Envelopes ``START``..``END``
of the JSON list in ``ENVELOPES`` are submitted in order, in batches of 1-200 with runs of
one-by-one submissions between them. Every line goes to ``ACKS`` with one ``write`` the
moment it is known, so whatever the parent reads was said before the kill:

    READY                                   the ledger is open (catch-up done)
    B lo hi                                 about to submit envelopes lo..hi-1 in one call
    A j index hash stream version nid       envelope j was acknowledged: its receipt
    R j code                                envelope j was refused
    DONE                                    every envelope up to END was submitted; closed
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import orjson

from ledger import home
from ledger.application import Receipt


def main(argv: list[str]) -> int:
    directory, database, envelopes_path, acks_path = argv[:4]
    start, end, seed = (int(x) for x in argv[4:7])
    envelopes = orjson.loads(Path(envelopes_path).read_bytes())
    fd = os.open(acks_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def say(text: str) -> None:
        os.write(fd, text.encode("utf-8"))

    rng = random.Random(seed)
    ledger = home.open_ledger(Path(directory), database=None if database == "-" else database)
    say("READY\n")
    lo, one_by_one = start, 0
    while lo < end:
        if one_by_one == 0 and rng.random() < 0.15:
            one_by_one = rng.randint(5, 60)
        if one_by_one:
            size, one_by_one = 1, one_by_one - 1
        else:
            size = rng.choice((rng.randint(1, 20), rng.randint(1, 200)))
        hi = min(end, lo + size)
        say(f"B {lo} {hi}\n")
        results = ledger.submit(envelopes[lo:hi])
        lines = []
        for j, result in enumerate(results, start=lo):
            if isinstance(result, Receipt):
                lines.append(f"A {j} {result.index} {result.hash} {result.stream} {result.version} "
                             f"{result.notification_id}\n")
            else:
                lines.append(f"R {j} {result.code}\n")
        say("".join(lines))
        lo = hi
    ledger.close()
    say("DONE\n")
    os.close(fd)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
