"""The last full verification of the ledger, kept in ``DIR/last-verify.json``.

A full verification is ``ledger.audit.audit`` — what ``dantin verify`` runs: every signature,
authority, stream link, Merkle leaf and checkpoint root recomputed from the stored rows.
The log page shows the last result and can run one on demand; the result is written to a
small JSON file beside the ledger so it survives a restart, and so ``dantin verify`` can
write the same file (``save``) and the page shows its result too.

File format (version 1)::

    {"format": 1, "source": "web" | "cli", "started_at": ISO-8601 UTC, "finished_at": …,
     "log_size": int, "report": AuditReport.to_dict() (findings cut to 20)}
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger import home
from ledger.application import Ledger
from ledger.audit import AuditReport, audit

FILE = "last-verify.json"
_running = threading.Lock()  # one full verification at a time per process: it reads the whole log


@dataclass(frozen=True)
class LastVerify:
    source: str
    started_at: datetime
    finished_at: datetime
    log_size: int
    report: dict[str, Any]

    @property
    def intact(self) -> bool:
        return bool(self.report.get("intact"))

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


def save(directory: Path, report: AuditReport, *, started_at: datetime, log_size: int, source: str) -> None:
    """Write the result atomically (a reader never sees half a file)."""
    body = report.to_dict()
    body["findings"] = body["findings"][:20]
    doc = {"format": 1, "source": source, "started_at": started_at.isoformat(),
           "finished_at": datetime.now(UTC).isoformat(), "log_size": log_size, "report": body}
    path = directory / FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def load(directory: Path) -> LastVerify | None:
    """The last result, or None when there is none (or the file cannot be read: shown as "never")."""
    try:
        doc = json.loads((directory / FILE).read_text(encoding="utf-8"))
        return LastVerify(str(doc["source"]), datetime.fromisoformat(doc["started_at"]),
                          datetime.fromisoformat(doc["finished_at"]), int(doc["log_size"]), dict(doc["report"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


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
        # One worker: the server's threads must not be forked (audit's pool uses fork).
        report = audit(ledger.recorder, seal=ledger.sealer.store if ledger.sealer else None, log=log, workers=1)
        save(directory, report, started_at=started, log_size=size, source="web")
        return True
    finally:
        _running.release()
