"""Interleaved A/B: this tree's code against an earlier revision's, on SQLite, in turns.

    python -m bench.compare e2f8851 --rounds 4            # batched ingest, one by one, verify
    python -m bench.compare HEAD~3 --what one --rounds 8

These machines drift by more than most changes are worth, and ``bench.ingest``'s ratios move
by ±10 % between runs of the same code. Here the two trees take turns (the order swapped each
round), each timing in a fresh process, so both live through the same moments of the machine;
the figure to read is the median of the per-round ratios, this tree's rate over the other's
(above 1: this tree is faster).

The other revision is checked out in a temporary ``git worktree`` and its code is timed by
``bench/_compare_child.py`` of this tree (revisions from 2026-12 on: see that file).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHILD = ROOT / "bench" / "_compare_child.py"
WHAT = ("batch", "one", "verify")
LABEL = {"batch": "signed ingest, batched (500)", "one": "signed ingest, one by one", "verify": "verify (the audit)"}


def _time(tree: Path, what: str, events: int) -> float:
    proc = subprocess.run([sys.executable, str(CHILD), what, "--events", str(events)], cwd=tree,
                          env={**_env(), "PYTHONPATH": str(tree)}, capture_output=True, text=True, check=False,
                          timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"bench.compare: timing {what} in {tree} failed:\n{proc.stderr[-3000:]}")
    return float(json.loads(proc.stdout.strip().splitlines()[-1])["per_s"])


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DANTIN_DATABASE")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rev", help="the git revision to compare this tree's code with")
    parser.add_argument("--what", choices=WHAT, action="append", help="what to time (default: all three)")
    parser.add_argument("--rounds", type=int, default=4, help="turns each (default 4)")
    parser.add_argument("--events", type=int, default=4000, help="envelopes per timing (default 4000)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.events < 10:
        parser.error("--rounds must be at least 1 and --events at least 10")
    whats = args.what or list(WHAT)
    rates: dict[str, dict[str, list[float]]] = {w: {"this": [], "other": []} for w in whats}
    with tempfile.TemporaryDirectory(prefix="dantin-compare-") as tmp:
        other = Path(tmp) / "other"
        made = subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(other), args.rev],
                              capture_output=True, text=True, check=False)
        if made.returncode != 0:
            raise SystemExit(f"bench.compare: cannot check out {args.rev}: {made.stderr.strip()}")
        try:
            for n in range(args.rounds):
                for what in whats:
                    order = [("this", ROOT), ("other", other)]
                    for side, tree in order if n % 2 == 0 else order[::-1]:
                        rates[what][side].append(_time(tree, what, args.events))
                    print(f"round {n + 1}: {what}: this {rates[what]['this'][-1]:,.0f}/s, "
                          f"{args.rev} {rates[what]['other'][-1]:,.0f}/s", file=sys.stderr, flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)],
                           capture_output=True, check=False)
    summary: dict[str, dict[str, Any]] = {}
    for what, r in rates.items():
        ratios = [a / b for a, b in zip(r["this"], r["other"], strict=True)]
        summary[what] = {"this_per_s": statistics.median(r["this"]), "other_per_s": statistics.median(r["other"]),
                         "ratios": ratios, "ratio_median": statistics.median(ratios)}
    if args.json:
        print(json.dumps({"rev": args.rev, "rounds": args.rounds, "events": args.events, "results": summary}))
        return 0
    print(f"this tree against {args.rev}, SQLite, {args.rounds} rounds in turns, {args.events} envelopes each "
          "(events/s, medians)")
    for what, s in summary.items():
        print(f"{LABEL[what]:<32} this {s['this_per_s']:>9,.0f}  {args.rev} {s['other_per_s']:>9,.0f}  "
              f"ratio {s['ratio_median']:.3f} (rounds {min(s['ratios']):.3f}–{max(s['ratios']):.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
