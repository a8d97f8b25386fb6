"""Running a full verification from the web's log page (``ledger.last_verify`` keeps the result).

The page can ask for a verification on demand; one runs at a time per process (it reads the
whole log), and its result is saved where ``dantin verify`` saves its own. The button is
public, so a process runs at most one every ``COOLDOWN`` seconds: asked again sooner, the page
shows the result it has (a full verification keeps a core busy for as long as it reads the log).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from ledger import home
from ledger.application import Ledger
from ledger.audit import audit
from ledger.last_verify import FILE, LastVerify, save
from ledger.last_verify import load as _load

__all__ = ["FILE", "LastVerify", "load", "run", "save"]

#: Results of verifications run on copies served read only (nothing is written there), by folder:
#: what the log page shows until the server stops, in place of the file.
_in_memory: dict[Path, LastVerify] = {}


def load(directory: Path) -> LastVerify | None:
    """The last result: this process's, for a copy served read only; else the file's."""
    return _in_memory.get(directory) or _load(directory)

_running = threading.Lock()  # one full verification at a time per process: it reads the whole log
#: Seconds after a verification this process ran before it runs another on request.
COOLDOWN = 60.0
_finished_at: float | None = None  # (time.monotonic) when this process's last one ended


def run(ledger: Ledger, directory: Path) -> str:
    """Verify the whole ledger now and save the result: ``"done"``; ``"busy"`` when one is already
    running, ``"recent"`` when the last ended less than ``COOLDOWN`` seconds ago (nothing run)."""
    global _finished_at
    if not _running.acquire(blocking=False):
        return "busy"
    try:
        if _finished_at is not None and time.monotonic() - _finished_at < COOLDOWN:
            return "recent"
        started, size = datetime.now(UTC), ledger.log_size()
        try:
            log = home.log_verifier(directory)
        except FileNotFoundError:
            log = None  # a reader's copy without the log key: checkpoints' signatures are not checked
        try:
            # In this thread alone: the server keeps its other core for requests (``dantin verify`` uses every core).
            report = audit(ledger.recorder, seal=ledger.sealer.store if ledger.sealer else None, log=log, workers=1)
            if ledger.read_only:  # a copy served read only: kept here, shown until the server stops
                body = report.to_dict()
                body["findings"] = body["findings"][:20]  # as the file keeps them
                _in_memory[directory] = LastVerify("web", started, datetime.now(UTC), size, body)
            else:
                save(directory, report, started_at=started, log_size=size, source="web")
        finally:  # (one that failed, the database out of reach, say, waits out the cooldown too)
            _finished_at = time.monotonic()
        return "done"
    finally:
        _running.release()
