"""The kept views: leadership tenures and verdicts per village, following the log.

``Views.catch_up`` reads the notifications after its tracked position, finds the villages
they touch (a village's own stream; for a person's profile, the villages that refer to
that person) and recomputes each touched village's rows from its events — the same pure
folds a rebuild runs — writing them and the new position in one transaction. A rebuild
(``rebuild``) clears the tables and replays the whole log, so the kept views can always be
checked against a fresh replay (tests/integration/test_views.py does).

Verdicts depend on the day they are judged (a deadline passes): each is stored with the
day it was judged; asking for another day judges the village again, on the spot.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol, cast

from ledger.application import Ledger
from ledger.catalogue import PERSON_STREAM_PREFIX
from ledger.errors import DantinError
from ledger.gcpause import paused_gc
from ledger.outage import is_store_error
from ledger.rules import VillageRecord, judge
from ledger.rules.engine import INSTALL_ROOT, digest_of
from ledger.rules.record import corrected
from ledger.village import Entry, build_record, entry_from_state, people_of
from ledger.workers import pool as worker_pool
from projections.leadership import Tenure, holders, tenures
from projections.store import ViewStore, _Cursor, below_pattern

Progress = Callable[[int, int], None]

_logger = logging.getLogger("dantin.views")
_logger.addHandler(logging.NullHandler())  # a command line shows the typed error, not the traceback (a server logs it)

#: The ``verdict`` column of a village whose record or verdict could not be computed (``village_rows``).
UNAVAILABLE = "unavailable"
#: ``dantin_view_meta`` names of such villages' failures: ``failed:<village>`` → what failed and why (JSON).
FAILED_PREFIX = "failed:"


class VillageUnavailable(DantinError):
    """What was asked of one village could not be computed: the judge (or reading its record) raised.

    A defect of the program, not of the ledger: the village's events are stored and intact, and every
    other village is answered. Kept apart so that one village's failure never stops the views' catch-up
    (and with it every read); ``detail`` says what raised, for the operator.
    """

    code = "village_unavailable"
    title_vi = "Không tính được thông tin của thôn/tổ dân phố"
    defect = True

    def __init__(self, village: str, parts: list[str], error: str) -> None:
        what = " và ".join(_PART_VI.get(p, p) for p in parts) or "thông tin"
        super().__init__(
            f"Không tính được {what} của thôn/tổ dân phố '{village}': chương trình đánh giá gặp lỗi với hồ sơ "
            f"của thôn này ({error.partition(':')[0]}). Sổ cái không bị ảnh hưởng và các thôn khác vẫn tra cứu "
            "được; hãy báo lỗi này cho người vận hành.",
            detail=f"{village}: {', '.join(parts)} failed: {error}")
        self.village, self.parts, self.error = village, parts, error


_PART_VI = {"record": "hồ sơ", "leadership": "danh sách người giữ chức vụ", "verdict": "kết luận"}


class LedgerReader:
    """Entries of one stream at a time, by query: for catching up with a few villages."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._kinds: dict[str, str | None] = {}

    def entries(self, stream_id: str) -> list[Entry]:
        indices: dict[int, int] = {}
        if self.ledger.sealer is not None:
            indices = {leaf.version: leaf.index for leaf in self.ledger.sealer.store.leaves_of(stream_id)}
        return [entry_from_state(s.state, s.originator_version, indices.get(s.originator_version))
                for s in self.ledger.recorder.select_events(stream_id)]

    def person(self, person: str) -> list[Entry]:
        return self.entries(PERSON_STREAM_PREFIX + person)

    def body_kind(self, body_id: str) -> str | None:
        if body_id not in self._kinds:
            stream = self.ledger.get_stream(body_id)
            body = stream.state.body if stream is not None else None
            self._kinds[body_id] = body.kind if body is not None else None
        return self._kinds[body_id]

    def record(self, village: str) -> tuple[VillageRecord, set[str]] | None:
        return build_record(village, self.entries(village), self.person, self.body_kind)

    def named(self, village: str) -> set[str]:
        """The people the village's own events name (its record's, when it can be read)."""
        return people_of(self.entries(village))


class LogReader:
    """Every stream's entries from one pass over the whole log: for rebuilds and large catch-ups.

    The pass keeps each row's stored state, grouped by stream; a stream's entries are decoded the
    first time they are asked for (a village's record needs its own stream, its people's and its
    signers'), so forked rebuild workers decode, in parallel, only what their villages read.
    Leaf index = position in the log, the sealer's rule, so it is counted, not looked up.
    """

    def __init__(self, ledger: Ledger, progress: Progress | None = None, page: int = 5000) -> None:
        self.rows: dict[str, list[tuple[bytes, int, int]]] = {}
        self._entries: dict[str, list[Entry]] = {}
        self._kinds: dict[str, str | None] = {}
        recorder = ledger.recorder
        head = recorder.max_notification_id() or 0
        position, index = 0, 0
        rows = self.rows
        while position < head:
            page_rows = recorder.select_notifications(start=position + 1, limit=page, stop=head)
            if not page_rows:
                break
            for n in page_rows:
                stream = str(n.originator_id)
                found = rows.get(stream)
                if found is None:
                    rows[stream] = [(n.state, n.originator_version, index)]
                else:
                    found.append((n.state, n.originator_version, index))
                index += 1
            position = page_rows[-1].id
            if progress is not None:
                progress(position, head)
        self.position = position

    @property
    def streams(self) -> dict[str, list[Entry]]:
        """Every stream's entries (all decoded)."""
        return {stream: self.entries(stream) for stream in self.rows}

    def entries(self, stream: str) -> list[Entry]:
        found = self._entries.get(stream)
        if found is None:
            found = [entry_from_state(state, version, index) for state, version, index in self.rows.get(stream, ())]
            self._entries[stream] = found
        return found

    def person(self, person: str) -> list[Entry]:
        return self.entries(PERSON_STREAM_PREFIX + person)

    def body_kind(self, body_id: str) -> str | None:
        """The kind its (last) ``body.enrolled`` gives; that event is stored in the body's own stream
        (``ledger.catalogue.stream_of``), so only that stream is read."""
        if body_id not in self._kinds:
            kind = None
            for entry in self.entries(body_id) if body_id in self.rows else ():
                if entry.type == "body.enrolled" and str(entry.facts.get("id")) == body_id:
                    kind = str(entry.facts.get("kind"))
            self._kinds[body_id] = kind
        return self._kinds[body_id]

    def record(self, village: str) -> tuple[VillageRecord, set[str]] | None:
        return build_record(village, self.entries(village), self.person, self.body_kind)

    def named(self, village: str) -> set[str]:
        """The people the village's own events name (its record's, when it can be read)."""
        return people_of(self.entries(village))


@dataclass(frozen=True)
class LeadershipCard:
    """A village's name, its people's names and its tenures (in one mode): its leadership on any day."""

    village: str
    name: str
    as_recorded: bool
    names: dict[str, str]  # person id → name, as the tenures table records them
    tenures: list[Tenure]

    def on(self, day: date) -> dict[str, Any]:
        """Who held each office on ``day``, with names (``Views.leadership``'s answer)."""
        offices = holders(self.tenures, day)
        return {"village": self.village, "name": self.name, "as_of": day.isoformat(),
                "mode": "as_recorded" if self.as_recorded else "as_corrected", "offices": offices,
                "names": {p: self.names.get(p, p) for p in _people(offices)}}


class Views:
    def __init__(self, ledger: Ledger, today: Callable[[], date] = date.today, store: ViewStore | None = None) -> None:
        """``store``: where the views are kept; by default beside the log, in the ledger's database."""
        self.ledger = ledger
        self.today = today
        self.store = store if store is not None else ViewStore.beside(ledger)

    # -- keeping ----------------------------------------------------------------------

    def catch_up(self, progress: Progress | None = None, page: int = 2000) -> int:
        """Bring the views up to the log's head; return the position reached.

        Views computed by other code (a release whose rules or tenures differ: ``JUDGED_BY``) are
        rebuilt whole: else a village whose stream has not changed since would keep the verdict
        the old rules gave, beside villages judged by the new.
        """
        reader = LedgerReader(self.ledger)
        recorder = self.ledger.recorder
        with self.store.transaction(write=False) as c:
            position = c.position()
            judged_by = c.meta(JUDGED_BY_NAME)
        head = recorder.max_notification_id() or 0
        if position > 0 and judged_by != judged_by_digest():
            return self.rebuild(progress)
        if head - position > max(5000, position // 2):  # far behind: one pass over the log is cheaper
            return self.rebuild(progress)
        start = position
        while position < head:
            rows = recorder.select_notifications(start=position + 1, limit=page, stop=head)
            if not rows:
                break
            with self.store.transaction() as c:
                stored = c.position()  # under the views' lock: another keeper may have moved it meanwhile
                if stored != position:
                    position = stored
                    continue
                dirty = self._touched(c, (str(n.originator_id) for n in rows))
                for village in sorted(dirty):
                    self._recompute(c, reader, village)
                position = rows[-1].id
                c.set_position(position)
                if judged_by is None:  # views begun by this catch-up: said computed by this code
                    c.set_meta(JUDGED_BY_NAME, judged_by_digest())
                    judged_by = judged_by_digest()
            if progress is not None:
                progress(position - start, head - start)
        return position

    def rebuild(self, progress: Progress | None = None, workers: int | None = None) -> int:
        """Replay the whole log in one pass and write every village's rows afresh, in one transaction.

        Villages are judged on the idle cores (``workers``, by default those the load average leaves
        free): forked workers read the same in-memory log, each decoding the streams its villages
        need; judging is most of a rebuild's time, and villages are independent of each other.
        """
        with paused_gc():
            log = LogReader(self.ledger, progress)
            villages = sorted(s for s in log.rows if "/" not in s and not s.startswith(PERSON_STREAM_PREFIX))
            day = self.today()
            computed = _rows_in_parallel(log, villages, day, workers)
        with self.store.transaction() as c:
            for table in ("dantin_view_villages", "dantin_view_tenures", "dantin_view_people"):
                c.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            found = [r for r in computed if r is not None]
            c.executemany(_INSERT_VILLAGE, [r.village for r in found])
            c.executemany(_INSERT_TENURE, [t for r in found for t in r.tenures])
            c.executemany(_INSERT_PERSON, [p for r in found for p in r.people])
            c.execute("DELETE FROM dantin_view_meta WHERE name LIKE ?", (FAILED_PREFIX + "%",))
            for r in found:
                if r.failed is not None:
                    c.set_meta(FAILED_PREFIX + r.village[0], r.failed)
            c.set_position(log.position)
            c.set_meta(JUDGED_BY_NAME, judged_by_digest())
        return log.position

    def _touched(self, c: _Cursor, streams: Iterable[str]) -> set[str]:
        dirty: set[str] = set()
        for stream in set(streams):
            if stream.startswith(PERSON_STREAM_PREFIX):
                person = stream.removeprefix(PERSON_STREAM_PREFIX)
                dirty.update(r["village"] for r in c.all("SELECT village FROM dantin_view_people WHERE person = ?",
                                                          (person,)))
            elif "/" not in stream:  # places (body streams are "<place>/<kind>")
                dirty.add(stream)
        return dirty

    def _recompute(self, c: _Cursor, reader: LedgerReader, village: str) -> None:
        self._write(c, village, rows_for(village, reader, self.today()))

    def _write(self, c: _Cursor, village: str, rows: VillageRows | None) -> None:
        c.execute("DELETE FROM dantin_view_tenures WHERE village = ?", (village,))
        c.execute("DELETE FROM dantin_view_people WHERE village = ?", (village,))
        c.execute("DELETE FROM dantin_view_meta WHERE name = ?", (FAILED_PREFIX + village,))
        if rows is not None and rows.failed is not None:
            c.set_meta(FAILED_PREFIX + village, rows.failed)
        if rows is None:
            c.execute("DELETE FROM dantin_view_villages WHERE village = ?", (village,))
            return
        c.execute(_INSERT_VILLAGE + " ON CONFLICT (village) DO UPDATE SET name = excluded.name, "
                  "kind = excluded.kind, verdict = excluded.verdict, same_person = excluded.same_person, "
                  "as_of = excluded.as_of, body = excluded.body", rows.village)
        c.executemany(_INSERT_TENURE, rows.tenures)
        c.executemany(_INSERT_PERSON, rows.people)

    # -- reading ----------------------------------------------------------------------

    def villages(self, under: str = "") -> list[dict[str, Any]]:
        with self.store.transaction(write=False) as c:
            rows = c.all("SELECT village, name, kind, verdict, same_person, as_of FROM dantin_view_villages "
                         "WHERE village = ? OR village LIKE ? ESCAPE '\\' ORDER BY village",
                         (under, below_pattern(under)))
        return rows

    def tenures(self, village: str, *, as_recorded: bool = False) -> list[Tenure]:
        with self.store.transaction(write=False) as c:
            rows = c.all("SELECT office, person, start_date, end_date, acting, events FROM dantin_view_tenures "
                         "WHERE village = ? AND mode = ? ORDER BY office, start_date, person",
                         (village, "recorded" if as_recorded else "corrected"))
        return [Tenure(r["office"], r["person"], date.fromisoformat(r["start_date"]),
                       date.fromisoformat(r["end_date"]) if r["end_date"] else None, bool(r["acting"]),
                       tuple(r["events"].split(","))) for r in rows]

    def leadership(self, village: str, on: date | None = None, *, as_recorded: bool = False) -> dict[str, Any] | None:
        """Who held each office in ``village`` on ``on`` (today), with names; None for an unknown village."""
        card = self.leadership_card(village, as_recorded=as_recorded)
        return None if card is None else card.on(on or self.today())

    def leadership_card(self, village: str, *, as_recorded: bool = False) -> LeadershipCard | None:
        """What the village's leadership on any day is worked out from; None for an unknown village.
        Raises ``VillageUnavailable`` when its tenures could not be computed."""
        with self.store.transaction(write=False) as c:
            known = c.all("SELECT name FROM dantin_view_villages WHERE village = ?", (village,))
            names = {r["person"]: r["name"] for r in c.all(
                "SELECT DISTINCT person, name FROM dantin_view_tenures WHERE village = ?", (village,))}
            failed = self._failed(c, village) if known else None  # (its verdict may have been computed)
        if not known:
            return None
        if failed is not None and {"record", "leadership"} & set(failed.parts):
            raise failed
        return LeadershipCard(village, known[0]["name"], as_recorded, names,
                              self.tenures(village, as_recorded=as_recorded))

    def officeholders(self, under: str, office: str | None, on: date | None = None, *, limit: int = 100,
                      offset: int = 0) -> list[dict[str, Any]]:
        """Holders of ``office`` (every office when None) on ``on`` in villages at or below ``under``."""
        day = (on or self.today()).isoformat()
        where = "mode = 'corrected' AND start_date <= ? AND (end_date IS NULL OR ? < end_date) " \
                "AND (village = ? OR village LIKE ? ESCAPE '\\')"
        params: list[Any] = [day, day, under, below_pattern(under)]
        if office is not None:
            where += " AND office = ?"
            params.append(office)
        with self.store.transaction(write=False) as c:
            return c.all(f"SELECT village, office, person, name, start_date, end_date, acting "  # noqa: S608
                         f"FROM dantin_view_tenures WHERE {where} ORDER BY village, office, person "
                         f"LIMIT ? OFFSET ?", [*params, limit, offset])

    def verdict(self, village: str, on: date | None = None, *, as_recorded: bool = False) -> dict[str, Any] | None:
        """The village's verdict on ``on`` (today); None for an unknown village. Raises
        ``VillageUnavailable`` when it cannot be computed (stored so, or failing now)."""
        day = on or self.today()
        if not as_recorded:
            with self.store.transaction(write=False) as c:
                rows = c.all("SELECT verdict, as_of, body FROM dantin_view_villages WHERE village = ?", (village,))
                failed = self._failed(c, village) if rows and rows[0]["verdict"] == UNAVAILABLE else None
            if not rows:
                return None
            if failed is not None and "record" in failed.parts:
                raise failed
            if rows[0]["as_of"] == day.isoformat():
                if failed is not None and "verdict" in failed.parts:
                    raise failed
                if rows[0]["verdict"] != UNAVAILABLE:  # (else, its failure not kept: judged again below)
                    return cast(dict[str, Any], json.loads(rows[0]["body"]))
        record = self.record(village)
        if record is None:
            return None
        try:
            return judge(record, day, as_recorded=as_recorded)
        except Exception as exc:  # noqa: BLE001 - said as this village's failure (VillageUnavailable)
            raise VillageUnavailable(village, ["verdict"], _failure(village, "verdict", exc)) from None

    def record(self, village: str) -> VillageRecord | None:
        """The village's record as read from the log; None for an unknown village. Raises
        ``VillageUnavailable`` when it cannot be read."""
        try:
            built = LedgerReader(self.ledger).record(village)
        except Exception as exc:  # said as this village's failure (VillageUnavailable), a store's error aside
            if is_store_error(exc):
                raise
            raise VillageUnavailable(village, ["record"], _failure(village, "record", exc)) from None
        return built[0] if built else None

    def failures(self) -> dict[str, VillageUnavailable]:
        """Every village whose record, leadership or verdict the views could not compute, by village."""
        with self.store.transaction(write=False) as c:
            rows = c.all("SELECT name, value FROM dantin_view_meta WHERE name LIKE ?", (FAILED_PREFIX + "%",))
        return {v: _unavailable(v, r["value"]) for r in rows if (v := r["name"].removeprefix(FAILED_PREFIX))}

    @staticmethod
    def _failed(c: _Cursor, village: str) -> VillageUnavailable | None:
        found = c.meta(FAILED_PREFIX + village)
        return None if found is None else _unavailable(village, found)


def _unavailable(village: str, stored: str) -> VillageUnavailable:
    said = json.loads(stored)
    return VillageUnavailable(village, list(said.get("parts", [])), str(said.get("error", "")))


def public_officeholder(row: dict[str, Any]) -> dict[str, Any]:
    """A row of ``Views.officeholders`` as the API and ``dantin officeholders --json`` give it."""
    return {"village": row["village"], "office": row["office"], "person": row["person"], "name": row["name"],
            "since": row["start_date"], "acting": bool(row["acting"])}


JUDGED_BY_NAME = "judged_by"


@functools.cache
def judged_by_digest() -> str:
    """SHA-256 of the code and data the views are computed by: the rules (``ledger.rules``, with
    their rule sets and calendars), the projections, how a village's record is read from the log
    (``ledger.village``) and the facts' models (``schemas``: which corrections fit). A release
    that changes any of them changes this, and ``catch_up`` then rebuilds the views stored by the
    one before. Read as the bundles' rules engine is (``ledger.rules.engine.digest_of``: the shipped files,
    the same for every install of a release)."""
    return digest_of(INSTALL_ROOT, ("ledger/rules", "projections", "schemas", "ledger/village.py"))


_INSERT_VILLAGE = ("INSERT INTO dantin_view_villages (village, name, kind, verdict, same_person, as_of, body) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)")
_INSERT_TENURE = "INSERT INTO dantin_view_tenures VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
_INSERT_PERSON = "INSERT INTO dantin_view_people VALUES (?, ?)"


#: ``json.dumps(verdict, ensure_ascii=False, sort_keys=True)``, made once (a verdict holds no cycles to look for).
_VERDICT_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, check_circular=False)


@dataclass(frozen=True)
class VillageRows:
    village: tuple[Any, ...]
    tenures: list[tuple[Any, ...]]
    people: list[tuple[str, str]]
    #: What could not be computed and why (JSON: ``{"parts": [...], "error": "..."}``), else None.
    failed: str | None = None


def _failure(village: str, part: str, exc: Exception) -> str:
    """``exc`` said for the operator: its type, message and where it was raised; logged with its traceback."""
    _logger.error("views: the %s of %s could not be computed", part, village, exc_info=exc)
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {str(exc)[:200]}{where}"


class Reader(Protocol):
    """What a village's rows are read from (``LedgerReader``, ``LogReader``)."""

    def record(self, village: str) -> tuple[VillageRecord, set[str]] | None: ...

    def named(self, village: str) -> set[str]: ...


def rows_for(village: str, reader: Reader, day: date) -> VillageRows | None:
    """``village_rows`` of the record ``reader`` reads; a record that cannot be read is a failed village
    (stored so, and said so when asked), not an error that stops every other village's rows.

    A failed village still keeps the people its own events name (``Reader.named``), as a computed one keeps
    those of its record: the record may have failed on one of their profiles, and a change to it recomputes
    the village (``Views._touched``), as for any other village, without waiting for its own next event."""
    try:
        built = reader.record(village)
    except Exception as exc:  # one village's defect must not stop the others (VillageUnavailable)
        if is_store_error(exc):  # the store out of reach or damaged: no village's defect (the caller says which)
            raise
        error = _failure(village, "record", exc)
        try:
            named = reader.named(village)
        except Exception as again:  # its own stream does not read either (no profile change mends that)
            if is_store_error(again):
                raise
            named = set()
        return VillageRows((village, village, "", UNAVAILABLE, "none", day.isoformat(), "{}"), [],
                           [(p, village) for p in sorted(named)],
                           json.dumps({"parts": ["record"], "error": error}, ensure_ascii=False))
    return village_rows(village, built, day)


def village_rows(village: str, built: tuple[VillageRecord, set[str]] | None, day: date) -> VillageRows | None:
    """A village's rows in the views: pure, so a rebuild can compute them on any core.

    Its tenures and its verdict are computed apart: either may fail (a defect of the judge on this
    village's record) without the other, nor any other village, failing with it; what failed is in
    ``failed`` and the verdict column then says ``UNAVAILABLE``."""
    if built is None:
        return None
    record, people = built
    failed: list[str] = []
    errors: list[str] = []
    try:
        tenure_rows = _tenure_rows(village, record)
    except Exception as exc:  # noqa: BLE001 - see rows_for
        tenure_rows = []
        failed.append("leadership")
        errors.append(_failure(village, "leadership", exc))
    try:
        verdict = judge(record, day)
        row: tuple[Any, ...] = (village, record.village.name, record.village.kind, verdict["verdict"],
                                verdict["same_person"], day.isoformat(), _VERDICT_JSON.encode(verdict))
    except Exception as exc:  # noqa: BLE001 - see rows_for
        failed.append("verdict")
        errors.append(_failure(village, "verdict", exc))
        row = (village, record.village.name, record.village.kind, UNAVAILABLE, "none", day.isoformat(), "{}")
    return VillageRows(row, tenure_rows, [(p, village) for p in sorted(people)],
                       json.dumps({"parts": failed, "error": "; ".join(errors)}, ensure_ascii=False)
                       if failed else None)


def _tenure_rows(village: str, record: VillageRecord) -> list[tuple[Any, ...]]:
    tenure_rows = []
    names: dict[str, str] = {}
    recorded = tenures(record.events)
    fixed = corrected(record.events)
    as_corrected = recorded if all(a is b for a, b in zip(fixed, record.events, strict=True)) else tenures(fixed)
    for mode, held in (("recorded", recorded), ("corrected", as_corrected)):
        for t in held:
            name = names.get(t.person)
            if name is None:
                name = names[t.person] = record.name(t.person)
            tenure_rows.append((village, mode, t.office, t.person, name, t.start.isoformat(),
                                t.end.isoformat() if t.end else None, int(t.acting), ",".join(t.events)))
    return tenure_rows


PARALLEL_MIN = 200  # villages below which forking workers costs more than it saves
_FORKED_LOG: LogReader | None = None  # what forked rebuild workers read (inherited, never pickled)


def _rows_of(job: tuple[list[str], date]) -> list[VillageRows | None]:
    villages, day = job
    assert _FORKED_LOG is not None
    log_reader = _FORKED_LOG
    return [rows_for(v, log_reader, day) for v in villages]


def _idle_cores() -> int:
    """How many processes to judge on: the cores nothing else is using, this process's own included.

    On a busy machine extra processes find no idle core to run on: they add the forks' and the
    pipes' cost without finishing sooner. The last minute's load average says how busy it is.
    """
    cores = os.cpu_count() or 1
    try:
        busy = int(os.getloadavg()[0])
    except OSError:  # no load average here: assume the cores are free
        return cores
    return max(1, min(cores, cores - busy + 1))


def _fork_safe() -> bool:
    """Fork only a process with no other thread: a forked worker inherits open database sockets (a
    PostgreSQL pool runs threads), and would keep the server's sessions alive if this process died."""
    return threading.active_count() == 1


def _rows_in_parallel(log: LogReader, villages: list[str], day: date, workers: int | None) -> list[VillageRows | None]:
    global _FORKED_LOG
    workers = workers if workers is not None else _idle_cores()
    if workers < 2 or len(villages) < PARALLEL_MIN or not _fork_safe():
        return [rows_for(v, log, day) for v in villages]
    size = max(50, len(villages) // (workers * 8))
    chunks = [(villages[i:i + size], day) for i in range(0, len(villages), size)]
    _FORKED_LOG = log
    try:
        with worker_pool(workers, "fork") as pool:
            return [rows for part in pool.map(_rows_of, chunks) for rows in part]
    finally:
        _FORKED_LOG = None


def _people(offices: dict[str, Any]) -> list[str]:
    out = [v for k, v in offices.items() if k != "committee" and v]
    return out + list(offices.get("committee") or [])
