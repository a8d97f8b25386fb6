"""The benchmarks in ``bench/`` run end to end and report every figure the README quotes.

Nothing here times anything (speed is the benchmarks' job, on a quiet machine). These runs
are tiny, on SQLite, and check that each benchmark still works against today's code: a
benchmark that broke silently (``bench.log`` did, when ``Sealer.seal`` gained an argument)
would leave the README's figures unreproducible.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _run(module: str, *args: str, json_out: bool = True) -> Any:
    proc = subprocess.run([sys.executable, "-m", module, *args, *(["--json"] if json_out else [])],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, f"{module} failed:\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout) if json_out else proc.stdout


def _rate(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def test_bench_ingest_reports_every_rate_and_ratio() -> None:
    out = _run("bench.ingest", "--backend", "sqlite", "--events", "120", "--events-one", "40",
               "--batch", "50", "--repeats", "1")
    sqlite = out["backends"]["sqlite"]
    assert set(sqlite["median_per_s"]) == {"ingest_one", "ingest_batch", "verify", "verify_command", "plain_one",
                                          "plain_batch"}
    assert all(_rate(v) for v in sqlite["median_per_s"].values())
    assert sqlite["events_per_run"]["ingest_batch"] == [120]
    assert sqlite["events_per_run"]["verify"] == [out["config"]["world_events"] + 120]  # the whole ledger
    ratios = {r["metric"]: r for r in sqlite["ratios"]}
    assert {m: r["target"] for m, r in ratios.items()} == {"ingest_batch": 0.6, "ingest_one": 0.7, "verify": 0.8}
    assert all(_rate(r["ratio"]) and r["met"] == (r["ratio"] >= r["target"]) for r in ratios.values())
    assert _rate(out["raw_verify_per_s"]["median"])
    assert _rate(out["raw_verify_all_cores_per_s"]["median"])  # every core verifying at once
    assert _rate(sqlite["verify_of_raw_all_cores"])


def test_bench_log_reports_sealing_proofs_and_bundle() -> None:
    out = _run("bench.log", "--quick", "--backend", "sqlite", "--events", "100", "--one", "10",
               "--leaves", "1000", "--proofs", "10", "--repeats", "1")
    seal = out["seal"]["sqlite"]["median_per_s"]
    assert all(_rate(seal[k]) for k in ("seal_batch", "seal_one", "compute", "raw_sha256", "ingest_batch"))
    proofs = out["proofs"]["sqlite"]
    assert proofs["verified"] == 20  # every proof it timed was also verified
    assert all(_rate(proofs[k]["p99"]) for k in ("inclusion_ms", "consistency_ms"))
    assert out["bundle"]["entries"] > out["bundle"]["village_events"] > 0
    assert _rate(out["bundle"]["ratio_verify_to_crypto"])


def test_bench_verdicts_reports_the_rebuild_ratio_and_the_check_start() -> None:
    text = _run("bench.verdicts", "--villages", "4", "--repeats", "1", "--runs", "1", json_out=False)
    assert "rebuild rate / plain read rate" in text
    assert "`dantin check` one dossier" in text


def test_bench_api_reports_reads_and_http_ingest() -> None:
    out = _run("bench.api", "--backend", "sqlite", "--repeats", "1", "--fixed-seconds", "0.3",
               "--step-seconds", "0.2", "--post-seconds", "0.3", "--inproc-seconds", "0.2",
               "--health-seconds", "0.2", "--max-steps", "1", "--concurrency", "1")
    sqlite = out["backends"]["sqlite"]
    assert sqlite["leadership_fixed"]["errors"] == 0
    assert _rate(sqlite["leadership_fixed"]["p99_ms"])
    assert _rate(sqlite["leadership_max"]["rate_per_s"])
    post = sqlite["posts"]["1"]
    assert _rate(post["per_s"]) and _rate(post["ratio"]) and post["met"] == (post["ratio"] >= post["target"])
    assert set(sqlite["server_exit_codes"]) <= {0} and not sqlite["server_error_lines"]


def test_bench_compare_times_both_trees_in_turns() -> None:
    """``bench.compare REV``: this tree against a revision checked out in a git worktree (HEAD here:
    the same code, so only the machine's noise between them), every figure a rate, then removed."""
    def compare_checkouts() -> set[str]:
        listed = subprocess.run(["git", "-C", str(ROOT), "worktree", "list", "--porcelain"], capture_output=True,
                                text=True, check=True).stdout
        return {line for line in listed.splitlines() if line.startswith("worktree ") and "dantin-compare-" in line}

    before = compare_checkouts()  # (another run of the benchmark on this repository may have one open)
    out = _run("bench.compare", "HEAD", "--rounds", "2", "--events", "60")
    assert out["rounds"] == 2 and set(out["results"]) == {"batch", "one", "verify"}
    for result in out["results"].values():
        assert _rate(result["this_per_s"]) and _rate(result["other_per_s"])
        assert len(result["ratios"]) == 2 and all(_rate(r) for r in result["ratios"])
    assert compare_checkouts() <= before  # this run's checkout of the other tree is gone
