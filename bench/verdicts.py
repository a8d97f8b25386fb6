"""Read-side benchmark: rebuilding leadership and verdicts, and `dantin check` start-up.

    python -m bench.verdicts [--villages 10000] [--repeats 3] [--backend sqlite|postgres] [--ledger DIR]

1. Builds (once, untimed) a synthetic ledger with ``dantin synth`` — N villages, one
   2022–2025 term each, about 25 events per village — or reuses ``--ledger DIR``.
2. Times, in the same run and on the same store, alternately:
   - the baseline: a plain eventsourcing read of the whole log (every notification read
     and turned into its domain event by the application's mapper), and
   - ``Views.rebuild()``: leadership tenures and a verdict per village from the store.
   Prints medians and the ratio baseline time / rebuild time (target ≥ 0.3).
3. Times ``dantin check DOSSIER`` against ``python -c pass`` (target ≤ 4×), medians of
   ``--runs`` process starts each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ledger import home
from projections.views import Views

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples" / "01-bato-compliant.json"


def _synth(directory: Path, villages: int, database: str | None) -> None:
    args = [sys.executable, "-m", "cli", "synth", str(directory), "--villages", str(villages), "--seed", "7"]
    if database:
        args += ["--database", database]
    subprocess.run(args, check=True, cwd=ROOT)


def plain_read(directory: Path, database: str | None) -> tuple[float, int]:
    ledger = home.open_ledger(directory, database)
    try:
        start = time.perf_counter()
        count, position = 0, 0
        head = ledger.recorder.max_notification_id() or 0
        while position < head:
            rows = ledger.recorder.select_notifications(start=position + 1, limit=5000)
            if not rows:
                break
            for n in rows:
                ledger.mapper.to_domain_event(n)
                count += 1
            position = rows[-1].id
        return time.perf_counter() - start, count
    finally:
        ledger.close()


def rebuild(directory: Path, database: str | None) -> tuple[float, int]:
    ledger = home.open_ledger(directory, database)
    try:
        views = Views(ledger)
        start = time.perf_counter()
        views.rebuild()
        elapsed = time.perf_counter() - start
        return elapsed, len(views.villages())
    finally:
        ledger.close()


def process_time(args: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=False, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.verdicts", description=__doc__.split("\n\n")[0])
    parser.add_argument("--villages", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--runs", type=int, default=15, help="process starts per command for the check timing")
    parser.add_argument("--ledger", type=Path, help="reuse this ledger directory instead of synthesising one")
    parser.add_argument("--database", help="postgresql://… (default: the ledger's SQLite file)")
    args = parser.parse_args(argv)

    directory = args.ledger
    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="dantin-bench-verdicts-")) / "ledger"
        print(f"building a synthetic ledger of {args.villages} villages in {directory} (untimed)…", file=sys.stderr)
        _synth(directory, args.villages, args.database)

    reads, rebuilds, ratios = [], [], []
    events = villages = 0
    for i in range(args.repeats):
        t_read, events = plain_read(directory, args.database)
        t_rebuild, villages = rebuild(directory, args.database)
        reads.append(t_read)
        rebuilds.append(t_rebuild)
        ratios.append(t_read / t_rebuild)
        print(f"repeat {i + 1}: plain read {t_read:.2f} s, rebuild {t_rebuild:.2f} s", file=sys.stderr)

    dantin = [sys.executable, "-m", "cli"]
    console_script = Path(sys.executable).with_name("dantin")
    if console_script.exists():
        dantin = [str(console_script)]
    t_pass = process_time([sys.executable, "-c", "pass"], args.runs)
    t_check = process_time([*dantin, "check", str(EXAMPLE), "--as-of", "2026-01-01"], args.runs)

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())  # the machine may be shared: say how busy it was
    print(f"\ndantin read-side benchmark: medians of {args.repeats} repeats ({os.cpu_count()} cores, load {load}; "
          f"{events:,} events, {villages:,} villages)")
    print(f"  plain eventsourcing read of the log   {statistics.median(reads):8.2f} s  "
          f"({events / statistics.median(reads):,.0f} events/s)")
    print(f"  rebuild leadership + verdicts         {statistics.median(rebuilds):8.2f} s  "
          f"({events / statistics.median(rebuilds):,.0f} events/s, "
          f"{villages / statistics.median(rebuilds):,.0f} villages/s)")
    ratio = statistics.median(ratios)
    print(f"  rebuild rate / plain read rate        {ratio:8.2f}   target >= 0.3  {'ok' if ratio >= 0.3 else 'MISS'}")
    check_ratio = t_check / t_pass
    print(f"  `dantin check` one dossier            {t_check * 1000:8.0f} ms ({check_ratio:.1f}x `python -c pass` "
          f"{t_pass * 1000:.0f} ms)  target <= 4x  {'ok' if check_ratio <= 4 else 'MISS'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
