"""One village's page: its timeline (each event's inclusion checked), its checks, its leadership.

Signatures were verified when each event was accepted (ARCHITECTURE.md: the service refuses
a bad one and stores nothing), and the full verification re-checks them all; the page
says so rather than re-verifying on every view. What it does check on every view is that
each event is in the log: the event's id is its RFC 9162 leaf hash, recomputed from the
stored bytes, and its inclusion proof must lead to the root of the latest checkpoint,
whose log signature is checked too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup, escape

from api.village_views import public_verdict
from api.web.labels import RULE_VI, UNAVAILABLE_VI, body_kind_vi, event_vi
from api.web.state import WebState
from api.web.summaries import summary
from ledger.application import Ledger
from ledger.errors import DantinError
from ledger.merkle import verify_inclusion
from ledger.note import NoteVerifier, open_checkpoint
from ledger.rules.sets import get_set
from ledger.rules.text import SAME_PERSON_VI, STATUS_VI, VERDICT_VI
from ledger.sealer import CheckpointRow
from ledger.village import Entry, build_record
from projections.views import LedgerReader, VillageUnavailable

HASH = re.compile(r"\b[0-9a-f]{64}\b")


@dataclass(frozen=True)
class Anchor:
    """Checkpoint the page checks inclusion against; ``signed`` is None when no log key is held."""

    size: int
    root: bytes
    signed: bool | None


@dataclass
class EventRow:
    id: str
    index: int | None
    day: date
    type: str
    type_vi: str
    body: str
    body_name: str
    body_kind_vi: str
    summary: str
    inclusion: str  # "ok", "bad" or "pending" (not yet under a checkpoint)


@dataclass
class CheckRow:
    number: int
    rule: str
    rule_vi: str
    ruleset: str
    ruleset_vi: str
    status: str
    status_vi: str
    detail_vi: Markup
    cited: list[tuple[str, int | None, bool]] = field(default_factory=list)  # (id, log index, on this page)


def anchor(ledger: Ledger, log_vkey: str | None) -> tuple[CheckpointRow | None, Anchor | None]:
    row = ledger.checkpoint()
    if row is None:
        return None, None
    signed: bool | None = None
    if log_vkey is not None:
        try:
            cp, _ = open_checkpoint(row.note, NoteVerifier.from_vkey(log_vkey))
            signed = cp.size == row.size and cp.root_hash == row.root
        except DantinError:
            signed = False
    return row, Anchor(row.size, row.root, signed)


def included(ledger: Ledger, leaf_hex: str, index: int | None, at: Anchor | None) -> str:
    if index is None or at is None or index >= at.size:
        return "pending"
    try:
        verify_inclusion(bytes.fromhex(leaf_hex), index, at.size, ledger.inclusion_proof(index, at.size), at.root)
    except (DantinError, ValueError):
        return "bad"
    return "ok" if at.signed is not False else "bad"


def linkify(text: str, where: dict[str, int | None]) -> Markup:
    """The detail with each event hash it names turned into a link to that event on the page."""
    out: list[str] = []
    last = 0
    for m in HASH.finditer(text):
        out.append(escape(text[last:m.start()]))
        h = m.group(0)
        if h in where:
            index = where[h]
            label = f"sự kiện #{index}" if index is not None else f"sự kiện {h[:10]}…"
            out.append(Markup('<a href="#e-{}">{}</a>').format(h, label))
        else:
            out.append(Markup('<code title="{}">{}…</code>').format(h, h[:10]))
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


#: The timeline's line for a correction of a personal profile (its reason is not shown publicly).
PROFILE_CORRECTION_VI = "Đính chính hồ sơ cá nhân (lý do và nội dung chỉ cơ quan có thẩm quyền được xem)"


def village_page(state: WebState, village: str, on: date) -> dict[str, Any] | None:
    views, ledger = state.fresh(), state.ledger
    unavailable: VillageUnavailable | None = None
    try:
        found = views.verdict(village, on)  # judged on the day asked, as /v1/villages/{id}/verdict?as_of= answers
    except VillageUnavailable as exc:  # its record and leadership may still be read: shown, the verdict said failed
        if "record" in exc.parts:
            raise
        found, unavailable = None, exc
    verdict = public_verdict(found) if found is not None else None
    reader = LedgerReader(ledger)
    entries = reader.entries(village)
    built = build_record(village, entries, reader.person, reader.body_kind)
    if (verdict is None and unavailable is None) or built is None:
        return None
    record = built[0]
    _, at = anchor(ledger, state.services.log_vkey)
    bodies: dict[str, str] = {}

    def body_name(body_id: str) -> str:
        if body_id not in bodies:
            stream = ledger.get_stream(body_id)
            body = stream.state.body if stream is not None else None
            bodies[body_id] = body.name if body is not None else body_id
        return bodies[body_id]

    profiles = {e.id for e in record.events if e.type == "person.profiled"}

    def line(e: Entry) -> str:
        # A correction of a profile: its reason may quote what it corrects (a birth date, a party standing),
        # which public pages never show (as the public verdict's profile checks).
        if e.type == "correction.recorded" and str(e.facts.get("corrects")) in profiles:
            return PROFILE_CORRECTION_VI
        return summary(e.type, e.facts, record.name)

    timeline = [
        EventRow(e.id, e.index, e.date, e.type, event_vi(e.type), str(e.statement.get("body")),
                 body_name(str(e.statement.get("body"))), body_kind_vi(reader.body_kind(str(e.statement.get("body")))),
                 line(e), included(ledger, e.id, e.index, at))
        for e in entries if e.type != "place.registered"
    ]
    timeline.sort(key=lambda r: (r.day, r.index if r.index is not None else -1))
    where = {r.id: r.index for r in timeline}
    checks = []
    for n, c in enumerate(verdict["checks"] if verdict is not None else [], 1):
        ruleset = c["ruleset"]
        try:
            ruleset_vi = str(get_set(ruleset).data.get("title_vi", ruleset))
        except KeyError:
            ruleset_vi = ruleset
        checks.append(CheckRow(n, c["rule"], RULE_VI.get(c["rule"], c["rule"]), ruleset, ruleset_vi, c["status"],
                               STATUS_VI.get(c["status"], c["status"]), linkify(c["detail_vi"], where),
                               [(h, where.get(h), h in where) for h in c["events"]]))
    lead = views.leadership(village, on)
    if verdict is None:
        return {"village": village, "name": record.village.name, "kind": record.village.kind, "verdict": None,
                "verdict_vi": UNAVAILABLE_VI,
                "unavailable": unavailable.message_vi if unavailable is not None else None, "judged_on": on,
                "checks": [], "timeline": timeline, "anchor": at, "leadership": lead, "on": on, "failing": 0}
    return {
        "village": village, "name": record.village.name, "kind": record.village.kind,
        "verdict": verdict, "verdict_vi": VERDICT_VI.get(verdict["verdict"], verdict["verdict"]),
        "same_person_vi": SAME_PERSON_VI.get(verdict["same_person"], verdict["same_person"]),
        "judged_on": date.fromisoformat(verdict["as_of"]), "checks": checks, "timeline": timeline, "anchor": at,
        "leadership": lead, "on": on, "unavailable": None,
        "failing": sum(1 for c in checks if c.status == "fail"),
    }
