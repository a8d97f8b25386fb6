"""The last full verification of a ledger, kept beside it in ``DIR/last-verify.json``.

A full verification is ``ledger.audit.audit`` — what ``dantin verify`` runs: every signature,
authority, stream link, Merkle leaf and checkpoint root recomputed from the stored rows.
``dantin verify`` and the web's log page (``api/web/verification.py``, which can also run one)
write it (``save``); the log page shows it (``load``), so it survives a restart.

File format (version 1)::

    {"format": 1, "source": "web" | "cli", "started_at": ISO-8601 UTC, "finished_at": …,
     "log_size": int, "report": AuditReport.to_dict() (findings cut to 20)}
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger.audit import AuditReport

FILE = "last-verify.json"


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
