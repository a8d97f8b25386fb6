"""One timing of ``bench.compare``, run by path with the code under test first on ``sys.path``
(``PYTHONPATH`` = the tree being measured): this file comes from the comparing tree, everything
it imports from the measured one. It prints one JSON line: events per second.

Uses only what ``bench.ingest`` has offered since 2026-12 (session 9): ``build_world``,
``sign_people``, ``new_ledger``, ``Plain``, ``Blob``; ``ledger.home.audit_directory`` and
``ledger.storage.persistence_env``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["batch", "one", "verify"])
    parser.add_argument("--events", type=int, default=4000)
    args = parser.parse_args()

    from bench import ingest
    from ledger import home
    from ledger.sigpool import warm_forkserver

    warm_forkserver()
    world = ingest.build_world()
    people = ingest.sign_people(world, args.events, lambda n: None)
    with tempfile.TemporaryDirectory(prefix="dantin-compare-") as tmp:
        directory = Path(tmp) / "ledger"
        ledger = ingest.new_ledger(world, directory, None)
        try:
            if args.what == "one":
                warm = min(100, args.events // 5)
                for env in people.wire[:warm]:
                    ledger.submit([env])
                started = time.perf_counter()
                for env in people.wire[warm:]:
                    ledger.submit([env])
                count = args.events - warm
            else:
                started = time.perf_counter()
                for i in range(0, args.events, 500):
                    ledger.submit(people.wire[i:i + 500])
                count = args.events
            seconds = time.perf_counter() - started
        finally:
            ledger.close()
        if args.what == "verify":
            started = time.perf_counter()
            report = home.audit_directory(directory, None, workers=2)
            seconds = time.perf_counter() - started
            if not report.intact:
                print(f"the audit found the ledger damaged: {report.findings[:2]}", file=sys.stderr)
                return 1
            count = report.entries
    print(json.dumps({"what": args.what, "per_s": count / seconds}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
