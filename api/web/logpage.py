"""The log page: the latest checkpoint, who cosigned it and when, the log's size, the last full verification."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from api.web import verification
from api.web.labels import body_kind_vi
from api.web.state import WebState
from api.web.village import anchor
from ledger.errors import DantinError
from ledger.witness import cosignatures_in, cosigned, witnessed_checkpoint


def log_page(state: WebState) -> dict[str, Any]:
    ledger, services = state.ledger, state.services
    row, at = anchor(ledger, services.log_vkey)
    out: dict[str, Any] = {"size": ledger.log_size(), "checkpoints": len(ledger.checkpoints()), "checkpoint": None,
                           "last": verification.load(services.settings.directory)}
    if row is None or at is None:
        return out
    origin = row.note.split("\n", 1)[0]
    found = cosigned(ledger, row, services.policy)
    witnesses = []
    try:
        lines = cosignatures_in(found.note, origin)
    except DantinError:
        lines = []
    for c in lines:
        stream = ledger.get_stream(c.witness)
        body = stream.state.body if stream is not None else None
        witnesses.append({"id": c.witness, "name": body.name if body is not None else c.witness,
                          "kind_vi": body_kind_vi(found.witnesses.get(c.witness)),
                          "at": datetime.fromtimestamp(c.timestamp, UTC)})
    unmet = services.policy.unmet(found.witnesses)
    latest_witnessed = None
    if unmet:
        w = witnessed_checkpoint(ledger, services.policy)
        latest_witnessed = w.size if w is not None else None
    out["checkpoint"] = {"size": row.size, "root": base64.b64encode(row.root).decode(), "origin": origin,
                         "signed": at.signed, "note": found.note, "witnesses": witnesses,
                         "unmet": [g.describe_vi() for g in unmet], "latest_witnessed": latest_witnessed}
    return out
