"""A ``dantin serve`` of the tests' own: started on a free port, stopped as an operator stops it.

Here, on the tests' path, for every folder of tests (``tests/api`` re-exports them).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def start_at(directory: Path, database: str | None, log_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    argv = ["serve", str(directory), "--port", "0", *args]
    if database:
        argv += ["--database", database]
    return start_dantin(argv, log_path)


def start_dantin(args: list[str], log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``dantin ARGS`` (a server: ``serve``, ``witness serve``), once it answers ``/healthz``; and its URL."""
    argv = [sys.executable, "-m", "cli", *args]
    env = {k: v for k, v in os.environ.items() if k != "DANTIN_DATABASE"}
    log = log_path.open("wb")
    process = subprocess.Popen(argv, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"Uvicorn running on (http://[0-9.]+:[0-9]+)", log_path.read_text(encoding="utf-8"))
        if found:
            url = found.group(1)
            if httpx.get(url + "/healthz", timeout=5).status_code == 200:
                return process, url
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"dantin {args[0]} did not start:\n" + log_path.read_text(encoding="utf-8"))


def stop(process: subprocess.Popen[bytes]) -> int:
    """Stop the server as an operator would (SIGINT), and return its exit code."""
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
