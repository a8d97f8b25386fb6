"""Running a full verification from the web's log page (``ledger.last_verify`` keeps the result).

The page can ask for a verification on demand; one runs at a time per process (it reads the
whole log), and its result is saved where ``dantin verify`` saves its own.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from ledger import home
from ledger.application import Ledger
from ledger.audit import audit
from ledger.last_verify import FILE, LastVerify, load, save

__all__ = ["FILE", "LastVerify", "load", "run", "save"]

_running = threading.Lock()  # one full verification at a time per process: it reads the whole log


def run(ledger: Ledger, directory: Path) -> bool:
    """Verify the whole ledger now and save the result; False when a verification is already running."""
    if not _running.acquire(blocking=False):
        return False
    try:
        started, size = datetime.now(UTC), ledger.log_size()
        try:
            log = home.log_verifier(directory)
        except FileNotFoundError:
            log = None  # a reader's copy without the log key: checkpoints' signatures are not checked
        # In this thread alone: the server keeps its other core for requests (``dantin verify`` uses every core).
        report = audit(ledger.recorder, seal=ledger.sealer.store if ledger.sealer else None, log=log, workers=1)
        save(directory, report, started_at=started, log_size=size, source="web")
        return True
    finally:
        _running.release()
