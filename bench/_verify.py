"""``dantin verify``'s audit, timed in a process of its own, as the command runs it.

    python -m bench._verify DIR [--database URL] [--workers N]

``bench.ingest`` runs this in a fresh interpreter for each verify it times. Timed in the
benchmark's own process, the same audit ran 4 % slower (139 against 133.5 µs a row, two
cores, 10,326 rows): that process holds the benchmark's world and ten thousand pre-signed
envelopes and everything made from them, and a heap that size slows the audit's Python down
(measured by holding 400,000 small objects in a process that otherwise timed 133.5). The
command is a fresh process whose heap is the audit's own.

The steps are the command's (``cli.main`` and ``cli.app.verify``), in its order: the
forkserver started first, beside the imports; the workers from it; the ledger opened
read-only; the audit. The time is the workers' start plus the audit: the interpreter's own
start and imports are not throughput (``bench.ingest`` times the whole command apart).

Writes JSON lines on stdout: ``{"progress": n}`` as the audit goes, then
``{"result": {"seconds": s, "entries": n, "signatures": n, "intact": bool, "findings": [...]}}``.
"""

from __future__ import annotations

import contextlib
import sys

if __name__ == "__main__":  # first thing, as `dantin verify` does (cli.main)
    from ledger.sigpool import warm_forkserver

    with contextlib.suppress(OSError):
        warm_forkserver()

# (imported after the forkserver has begun to start, as in the command)
import argparse
import json
import time
from pathlib import Path
from typing import Any

from ledger import home
from ledger.audit import audit, audit_workers


def _say(line: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench._verify")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--database", default=None)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    with audit_workers(args.workers) as pool:
        starting = time.perf_counter() - start
        ledger = home.open_ledger(args.directory, args.database, read_only=True)
        try:
            start = time.perf_counter()
            report = audit(ledger.recorder, seal=ledger.sealer.store if ledger.sealer else None,
                           log=home.log_verifier(args.directory), pool=pool, workers=args.workers,
                           progress=lambda done: _say({"progress": done}))
            seconds = time.perf_counter() - start + starting
        finally:
            ledger.close()
    _say({"result": {"seconds": seconds, "entries": report.entries, "signatures": report.signatures_checked,
                     "intact": report.intact, "findings": [f.to_dict() for f in report.findings[:5]]}})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
