"""``dantin verify``'s audit, timed in a process of its own, as the command runs it.

    python -m bench._verify DIR [--database URL] [--workers N]

``bench.ingest`` runs this in a fresh interpreter for each verify it times. Timed in the
benchmark's own process, the same audit ran 4 % slower (139 against 133.5 µs a row, two
cores, 10,326 rows): that process holds the benchmark's world and ten thousand pre-signed
envelopes and everything made from them, and a heap that size slows the audit's Python down
(measured by holding 400,000 small objects in a process that otherwise timed 133.5). The
command is a fresh process whose heap is the audit's own.

The steps are the command's, in its order: the forkserver started first, beside the imports
(as ``cli.main`` does), then the very call ``dantin verify`` makes, ``home.audit_directory``
(the workers from the forkserver, the ledger opened read only, the audit). The audit is timed,
from its first progress report (workers started, ledger open) to its end: the interpreter's
start, imports, the workers' start and the ledger's opening are fixed costs, not throughput
(opening a PostgreSQL ledger, its connection pool, costs tens of ms); ``bench.ingest`` times
the whole command apart.

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


def _say(line: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench._verify")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--database", default=None)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    began: list[float] = []

    def progress(done: int, _total: int) -> None:
        if not began:  # the workers started, the ledger open: the audit begins
            began.append(time.perf_counter())
        _say({"progress": done})

    report = home.audit_directory(args.directory, args.database, workers=args.workers, progress=progress)
    seconds = time.perf_counter() - began[0]
    _say({"result": {"seconds": seconds, "entries": report.entries, "signatures": report.signatures_checked,
                     "intact": report.intact, "findings": [f.to_dict() for f in report.findings[:5]]}})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
