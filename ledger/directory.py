"""Read-side look-ups over the ledger as it stands: places, the body that acts for a place,
people's first profiles, and the stored entry of an envelope.

"The body of kind K for village V" is the body of that kind, holding a usable key, whose
jurisdiction contains V most closely (EVENTS.md: "the body is the one of that kind whose
jurisdiction holds the village"). Body ids carry no meaning, so the enrolments are read
from the log (the first event of every body stream) once and indexed by (kind,
jurisdiction); a jurisdiction that contains V is V or one of its ancestors, so finding
the body is a walk up V's few ancestors, not a scan of every body.

A ``Directory`` is a snapshot for one task (an import run): what it has read it keeps —
enrolments, body states, first profiles. That is safe because it only chooses who signs:
the ledger judges every envelope again when it is submitted, so a key revoked meanwhile
by another writer is refused there (``key_revoked``), never accepted.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import orjson
from eventsourcing.persistence import StoredEvent

from ledger.application import Ledger
from ledger.authority import BodyState
from ledger.catalogue import PERSON_STREAM_PREFIX
from ledger.entry import entry_hash
from ledger.errors import DantinError
from ledger.signing import b64decode_strict
from ledger.stream import Stream

_PAGE = 2000


class DirectoryError(DantinError):
    """No body, or more than one, acts for a place in a given role."""

    code = "no_body"
    title_vi = "Không xác định được cơ quan ký"


@dataclass(frozen=True, slots=True)
class Enrolment:
    id: str
    kind: str
    jurisdiction: str


def _fold(text: str | None) -> str | None:
    """A name as compared: Unicode NFC, case-folded, single spaces (typing slips are not new people)."""
    if text is None:
        return None
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@dataclass(frozen=True, slots=True)
class FirstProfile:
    """Who a person id stands for: the name and birth date of its first ``person.profiled``."""

    name: str | None
    born: date | None

    def differences(self, other: FirstProfile) -> list[str]:
        """The fields both state and state differently (``name``, ``born``); empty when they agree."""
        out = []
        if self.name is not None and other.name is not None and _fold(self.name) != _fold(other.name):
            out.append("name")
        if self.born is not None and other.born is not None and self.born != other.born:
            out.append("born")
        return out

    def text_vi(self) -> str:
        name = f"'{self.name}'" if self.name else "(không ghi tên)"
        born = f"sinh ngày {self.born.strftime('%d/%m/%Y')}" if self.born else "không ghi ngày sinh"
        return f"{name}, {born}"


class Directory:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._enrolments: list[Enrolment] | None = None
        #: (kind, jurisdiction) → the bodies of that kind enrolled for exactly that place.
        self._index: dict[tuple[str, str], list[str]] = {}
        #: jurisdiction → the bodies enrolled for exactly that place.
        self._by_place: dict[str, list[str]] = {}
        self._bodies: dict[str, BodyState | None] = {}
        self._entries: dict[str, dict[str, str]] = {}

    def place_kind(self, place_id: str) -> str | None:
        """The registered kind of a place (``thon``, ``commune``…), or None if unregistered."""
        stream = self._ledger.get_stream(place_id)
        return stream.state.place_kind if stream is not None else None

    def body(self, body_id: str) -> BodyState | None:
        if body_id not in self._bodies:
            self._load_bodies([body_id])
        return self._bodies[body_id]

    def enrolments(self) -> list[Enrolment]:
        """Every body ever enrolled (read once: the first event of each body stream)."""
        if self._enrolments is None:
            found: list[Enrolment] = []
            recorder, start = self._ledger.recorder, 1
            while True:
                rows = recorder.select_notifications(start, _PAGE, topics=[Stream.Opened.TOPIC])
                for row in rows:
                    if "/" not in str(row.originator_id):  # places and people have no slash
                        continue
                    statement = _statement(row.state)
                    if statement.get("type") == "body.enrolled":
                        facts = statement["facts"]
                        found.append(Enrolment(str(facts["id"]), str(facts["kind"]), str(facts["jurisdiction"])))
                if len(rows) < _PAGE:
                    break
                start = rows[-1].id + 1
            self._enrolments = found
            for enrolment in found:
                self._index.setdefault((enrolment.kind, enrolment.jurisdiction), []).append(enrolment.id)
                self._by_place.setdefault(enrolment.jurisdiction, []).append(enrolment.id)
        return self._enrolments

    def prefetch_bodies(self, places: Iterable[str]) -> None:
        """Load, in a few queries, every body that may act for ``places`` (before many ``acting_body``)."""
        self.enrolments()
        wanted = {body for place in set(places) for scope in _scopes(place) for body in self._by_place.get(scope, ())}
        self._load_bodies(sorted(wanted - set(self._bodies)))

    def acting_body(self, kind: str, place: str) -> BodyState:
        """The body of ``kind`` that acts for ``place``; ``DirectoryError`` if none or several."""
        self.enrolments()
        for scope in _scopes(place):  # the closest jurisdiction first
            usable = [state for body in self._index.get((kind, scope), ())
                      if (state := self.body(body)) is not None and not all(k.revoked for k in state.keys.values())]
            if len(usable) > 1:
                names = ", ".join(sorted(b.id for b in usable))
                raise DirectoryError(f"Có nhiều cơ quan loại '{kind}' cùng thẩm quyền tại '{place}': {names}.",
                                     detail=f"several {kind} bodies for {place}", code="ambiguous_body")
            if usable:
                return usable[0]
        raise DirectoryError(f"Sổ cái không có cơ quan loại '{kind}' có thẩm quyền tại '{place}'.",
                             detail=f"no {kind} body for {place}")

    def first_profiles(self, people: Sequence[str]) -> dict[str, FirstProfile | None]:
        """Each person's first profile in the ledger (None: the id is not in the ledger), in few queries."""
        streams = self._stored([PERSON_STREAM_PREFIX + p for p in people], first_only=True)
        out: dict[str, FirstProfile | None] = {}
        for person in people:
            rows = streams.get(PERSON_STREAM_PREFIX + person)
            facts = _statement(rows[0].state).get("facts") if rows else None
            if isinstance(facts, dict):
                born = facts.get("born")
                out[person] = FirstProfile(facts.get("name"), date.fromisoformat(born) if born else None)
            else:
                out[person] = None
        return out

    def entry_hash(self, stream_id: str, payload_hash: str) -> str | None:
        """The entry hash of the stored envelope with this payload hash in ``stream_id``."""
        known = self._entries.get(stream_id, {})
        if payload_hash not in known:  # read the stream again: it may have grown
            known = {}
            for event in self._ledger.repository.event_store.get(stream_id):
                stored = cast(Stream.Event, event)
                known[hashlib.sha256(b64decode_strict(stored.payload)).hexdigest()] = entry_hash(stored.entry())
            self._entries[stream_id] = known
        return known.get(payload_hash)

    # -- reading streams in bulk -------------------------------------------------------------

    def _load_bodies(self, ids: Sequence[str]) -> None:
        for body_id, events in self._streams(ids).items():
            aggregate: Any = None
            for event in events:
                aggregate = event.mutate(aggregate)
            self._bodies[body_id] = cast(Stream, aggregate).state.body
        for body_id in ids:
            self._bodies.setdefault(body_id, None)

    def _streams(self, ids: Sequence[str]) -> dict[str, list[Stream.Event]]:
        """The events of each stream, as the ledger folds them; absent streams left out."""
        mapper = self._ledger.mapper
        return {stream_id: [cast(Stream.Event, mapper.to_domain_event(row)) for row in rows]
                for stream_id, rows in self._stored(ids).items()}

    def _stored(self, ids: Sequence[str], *, first_only: bool = False) -> dict[str, list[StoredEvent]]:
        """The stored rows of each stream (only the first with ``first_only``); absent streams left out."""
        recorder = self._ledger.recorder
        select = getattr(recorder, "select_streams", None)  # one query per few hundred ids (storage/)
        out: dict[str, list[StoredEvent]] = {}
        if select is not None:
            for chunk in range(0, len(ids), _PAGE):
                for stream_id, rows in select(list(ids[chunk:chunk + _PAGE])).items():
                    out[stream_id] = rows[:1] if first_only else rows
            return out
        for stream_id in ids:
            rows = recorder.select_events(stream_id, limit=1 if first_only else None)
            if rows:
                out[stream_id] = list(rows)
        return out


def _statement(state: bytes) -> dict[str, Any]:
    """The signed statement of a stored row, read without re-judging it.

    For look-ups only (who enrolled whom, a first profile's name): the ledger checked the
    envelope's form and signature when it accepted it, and ``dantin verify`` re-checks the
    stored bytes; parsing them again through the full envelope models is ~6× slower.
    """
    statement: dict[str, Any] = orjson.loads(b64decode_strict(orjson.loads(state)["payload"]))
    return statement


def _scopes(place: str) -> list[str]:
    """``place`` and the places above it, closest first (``a.b.c`` → ``a.b.c``, ``a.b``, ``a``)."""
    parts = place.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)]
