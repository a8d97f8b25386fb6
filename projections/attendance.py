"""Attendance at residential cell meetings (RULES.md §6), kept beside the log and judged on read.

The fold keeps the facts, not the verdicts: each ``attendance.planned/recorded/reported``
becomes one row (its entry hash as id), with the places, bodies and people's names and
residences the judgement needs; a ``correction.recorded`` of one of those rows updates
it "as corrected" and names itself in ``corrected_by``. The position of the last folded
notification is kept (as ``attendance`` in ``dantin_view_position``) in the same
transaction as the rows, so ``catch_up`` resumes exactly, and ``rebuild`` clears the
tables and replays the log through the same fold.

A verdict depends on the day it is judged (a quarter ends, a report falls due), so the
rows are judged on every read by ``ledger.rules.attendance``, for any year and as-of date.
A member belongs to the place of their own body (the body that files their plans and
reports), else to the commune (district, province) of the cells they attended; the
roll-ups add members up per level for that place and each place above it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from ledger.application import Ledger
from ledger.merkle import leaf_hash
from ledger.rules.attendance import Attendance, MemberRecord, Plan, Report, judge_member, ruleset, ruleset_digest
from ledger.rules.record import RecordedEvent, corrected
from ledger.sealer import state_entry
from ledger.signing import b64decode_strict
from projections.store import ViewStore, _Cursor, below_pattern

Progress = Callable[[int, int], None]
NAME = "attendance"
#: The code the rows were folded by (``dantin_view_meta``), as the verdict views keep theirs.
JUDGED_BY_NAME = "attendance_judged_by"
TABLES = ("dantin_view_att_records", "dantin_view_att_plans", "dantin_view_att_reports", "dantin_view_att_people",
          "dantin_view_att_bodies", "dantin_view_att_places")
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS dantin_view_att_records (id TEXT PRIMARY KEY, position BIGINT NOT NULL, "
    "member TEXT NOT NULL, level TEXT NOT NULL, year INTEGER NOT NULL, meeting_date TEXT NOT NULL, "
    "cell TEXT NOT NULL, body TEXT NOT NULL, date TEXT NOT NULL, facts TEXT NOT NULL, corrected_by TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS dantin_view_att_records_year ON dantin_view_att_records (year, member)",
    "CREATE INDEX IF NOT EXISTS dantin_view_att_records_cell ON dantin_view_att_records (year, cell)",
    "CREATE TABLE IF NOT EXISTS dantin_view_att_plans (id TEXT PRIMARY KEY, position BIGINT NOT NULL, "
    "member TEXT NOT NULL, level TEXT NOT NULL, year INTEGER NOT NULL, body TEXT NOT NULL, date TEXT NOT NULL, "
    "cells TEXT NOT NULL, facts TEXT NOT NULL, corrected_by TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS dantin_view_att_plans_year ON dantin_view_att_plans (year, member)",
    "CREATE TABLE IF NOT EXISTS dantin_view_att_reports (id TEXT PRIMARY KEY, position BIGINT NOT NULL, "
    "attendance TEXT NOT NULL, report_date TEXT NOT NULL, body TEXT NOT NULL, date TEXT NOT NULL, "
    "facts TEXT NOT NULL, corrected_by TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS dantin_view_att_reports_attendance ON dantin_view_att_reports (attendance)",
    "CREATE TABLE IF NOT EXISTS dantin_view_att_people (person TEXT NOT NULL, position BIGINT NOT NULL, "
    "date TEXT NOT NULL, name TEXT, residence TEXT, PRIMARY KEY (person, position))",
    "CREATE TABLE IF NOT EXISTS dantin_view_att_bodies (body TEXT PRIMARY KEY, kind TEXT NOT NULL, "
    "jurisdiction TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS dantin_view_att_places (place TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "kind TEXT NOT NULL)",
)
#: Table and column form of each attendance event type, for corrections.
_KINDS = {"attendance.recorded": "dantin_view_att_records", "attendance.planned": "dantin_view_att_plans",
          "attendance.reported": "dantin_view_att_reports"}
#: How many places up a member's cells give their place, by level (commune, district, province).
_DEPTH = {"commune": 3, "commune_official": 3, "district": 2, "province": 1}
_FIGURES = {"A-FREQUENCY": ("required", "covered", "missed", "pending"),
            "A-REPORT": ("judged", "on_time", "late", "missing", "pending")}


def _statement(state: bytes) -> dict[str, Any]:
    """The signed statement of a stored row; entries were judged at ingest (see projections.record)."""
    statement: dict[str, Any] = orjson.loads(b64decode_strict(orjson.loads(state)["payload"]))
    return statement


def _entry_id(state: bytes) -> str:
    """An event's id in the ledger: its entry hash (RFC 9162 leaf hash, hex), as receipts name it."""
    return leaf_hash(state_entry(state)).hex()


@dataclass(frozen=True)
class Member:
    record: MemberRecord
    #: The place the member belongs to (see the module's note), and their own body if known.
    place: str
    body: str | None


class AttendanceViews:
    def __init__(self, ledger: Ledger, store: ViewStore | None = None) -> None:
        """``store``: where the tables are kept; by default beside the log, in the ledger's database."""
        self.ledger = ledger
        self.store = store if store is not None else ViewStore.beside(ledger)
        with self.store.transaction() as c:
            for statement in SCHEMA:
                c.execute(statement)

    # -- keeping ----------------------------------------------------------------------

    def position(self) -> int:
        with self.store.transaction(write=False) as c:
            return _position(c)

    def catch_up(self, progress: Progress | None = None, page: int = 2000) -> int:
        """Fold the notifications after the tracked position, one page per transaction; rows folded by
        other code (``projections.views.judged_by_digest``: a release whose fold or rules differ) are
        rebuilt whole, as the verdict views are."""
        from projections import views

        recorder = self.ledger.recorder
        with self.store.transaction(write=False) as c:
            position = start = _position(c)
            judged_by = c.meta(JUDGED_BY_NAME)
        if position > 0 and judged_by != views.judged_by_digest():
            return self.rebuild(progress)
        head = recorder.max_notification_id() or 0
        while position < head:
            rows = recorder.select_notifications(start=position + 1, limit=page, stop=head)
            if not rows:
                break
            with self.store.transaction() as c:
                if _position(c) != position:  # another reader folded this page meanwhile
                    position = _position(c)
                    continue
                _fold(c, rows)
                position = rows[-1].id
                _set_position(c, position)
                if judged_by is None:  # rows begun by this catch-up: said folded by this code
                    judged_by = views.judged_by_digest()
                    c.set_meta(JUDGED_BY_NAME, judged_by)
            if progress is not None:
                progress(position - start, head - start)
        return position

    def rebuild(self, progress: Progress | None = None, page: int = 5000) -> int:
        """Clear the tables and replay the whole log through the same fold, in one transaction."""
        from projections import views

        recorder = self.ledger.recorder
        head = recorder.max_notification_id() or 0
        position = 0
        with self.store.transaction() as c:
            for table in TABLES:
                c.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            while position < head:
                rows = recorder.select_notifications(start=position + 1, limit=page, stop=head)
                if not rows:
                    break
                _fold(c, rows)
                position = rows[-1].id
                if progress is not None:
                    progress(position, head)
            _set_position(c, position)
            c.set_meta(JUDGED_BY_NAME, views.judged_by_digest())
        return position

    # -- reading ----------------------------------------------------------------------

    def members(self, year: int, as_of: date, *, under: str = "", level: str | None = None) -> list[Member]:
        """Every member (per level) who belongs to ``under`` or below, with their records for ``year``."""
        scope = (under, below_pattern(under))
        who = ("SELECT member FROM dantin_view_att_records WHERE year = ? AND (cell = ? OR cell LIKE ? ESCAPE '\\') "
               "UNION SELECT p.member FROM dantin_view_att_plans p JOIN dantin_view_att_bodies b ON b.body = p.body "
               "WHERE p.year = ? AND (b.jurisdiction = ? OR b.jurisdiction LIKE ? ESCAPE '\\') "
               "UNION SELECT r.member FROM dantin_view_att_reports t "
               "JOIN dantin_view_att_records r ON r.id = t.attendance "
               "JOIN dantin_view_att_bodies b ON b.body = t.body WHERE r.year = ? "
               "AND (b.jurisdiction = ? OR b.jurisdiction LIKE ? ESCAPE '\\')")
        wp = [year, *scope] * 3
        with self.store.transaction(write=False) as c:
            records = c.all(f"SELECT id, member, level, meeting_date, cell, date, corrected_by "  # noqa: S608
                            f"FROM dantin_view_att_records WHERE year = ? AND member IN ({who}) "
                            "ORDER BY position", [year, *wp])
            plans = c.all(f"SELECT id, member, level, year, body, date, cells, corrected_by "  # noqa: S608
                          f"FROM dantin_view_att_plans WHERE year = ? AND member IN ({who}) "
                          "ORDER BY position", [year, *wp])
            reports = c.all(f"SELECT t.id, t.attendance, t.report_date, t.body, t.date, t.corrected_by "  # noqa: S608
                            f"FROM dantin_view_att_reports t JOIN dantin_view_att_records r "
                            f"ON r.id = t.attendance WHERE r.year = ? AND r.member IN ({who}) ORDER BY t.position",
                            [year, *wp])
            people = c.all(f"SELECT * FROM dantin_view_att_people WHERE person IN ({who}) "  # noqa: S608
                           "ORDER BY position", wp)
            bodies = {r["body"]: r["jurisdiction"] for r in c.all("SELECT * FROM dantin_view_att_bodies")}
        return [m for m in _members(records, plans, reports, people, bodies, as_of)
                if (level is None or m.record.level == level) and _within(m.place, under)]

    def places(self) -> dict[str, dict[str, str]]:
        with self.store.transaction(write=False) as c:
            return {r["place"]: {"name": r["name"], "kind": r["kind"]}
                    for r in c.all("SELECT place, name, kind FROM dantin_view_att_places")}

    def place_known(self, place: str) -> bool:
        with self.store.transaction(write=False) as c:
            return bool(c.all("SELECT place FROM dantin_view_att_places WHERE place = ?", (place,)))

    def report(self, year: int, as_of: date, *, under: str = "", level: str | None = None) -> dict[str, Any]:
        """Every member's checks for ``year`` on ``as_of``, and roll-ups per place and level."""
        members = self.members(year, as_of, under=under, level=level)
        places = self.places()
        judged = []
        for m in sorted(members, key=lambda m: (m.place, m.record.level, m.record.member)):
            verdict = judge_member(m.record, year, as_of)
            judged.append({**verdict, "place": m.place, "body": m.body})
        data = ruleset()
        return {"year": year, "as_of": as_of.isoformat(), "under": under or None, "level": level,
                "ruleset": data["id"], "ruleset_version": data["version"], "ruleset_digest": ruleset_digest(),
                "members": judged, "rollups": rollups(judged, places, under)}


def _position(c: _Cursor) -> int:
    rows = c.all("SELECT position FROM dantin_view_position WHERE name = ?", (NAME,))
    return int(rows[0]["position"]) if rows else 0


def _set_position(c: _Cursor, position: int) -> None:
    c.execute("INSERT INTO dantin_view_position (name, position) VALUES (?, ?) ON CONFLICT (name) "
              "DO UPDATE SET position = excluded.position", (NAME, position))


# -- the fold -------------------------------------------------------------------------------


def _fold(c: _Cursor, rows: Iterable[Any]) -> None:
    """A page of notifications into the tables, in log order (idempotent: a row already there stays as it is).

    Inserts are gathered per statement and sent with ``executemany`` (one round trip per
    table on PostgreSQL); a correction first sends what is gathered, as it reads the row it
    corrects.
    """
    pending: dict[str, list[tuple[Any, ...]]] = {}

    def flush() -> None:
        for statement, params in pending.items():
            c.executemany(statement, params)
        pending.clear()

    for n in rows:
        st = _statement(n.state)
        kind, facts = st.get("type"), st.get("facts") or {}
        if kind == "place.registered":
            pending.setdefault(_INSERT["places"], []).append(
                (facts["id"], facts.get("name", ""), facts.get("kind", "")))
        elif kind == "body.enrolled":
            pending.setdefault(_INSERT["bodies"], []).append((facts["id"], facts["kind"], facts["jurisdiction"]))
        elif kind == "person.profiled" and (facts.get("name") or facts.get("residence")):
            pending.setdefault(_INSERT["people"], []).append(
                (facts["person"], n.id, st["date"], facts.get("name"), facts.get("residence")))
        elif kind in _KINDS:
            pending.setdefault(_INSERT[str(kind)], []).append(
                (_entry_id(n.state), n.id, st["body"], st["date"], json.dumps(facts, ensure_ascii=False), "",
                 *_values(str(kind), facts)))
        elif kind == "correction.recorded":
            flush()
            _correct(c, _entry_id(n.state), st)
    flush()


def _columns(kind: str) -> tuple[str, ...]:
    return {"attendance.recorded": ("member", "level", "year", "meeting_date", "cell"),
            "attendance.planned": ("member", "level", "year", "cells"),
            "attendance.reported": ("attendance", "report_date")}[kind]


_INSERT = {
    "places": "INSERT INTO dantin_view_att_places VALUES (?, ?, ?) ON CONFLICT (place) DO NOTHING",
    "bodies": "INSERT INTO dantin_view_att_bodies VALUES (?, ?, ?) ON CONFLICT (body) DO NOTHING",
    "people": "INSERT INTO dantin_view_att_people VALUES (?, ?, ?, ?, ?) ON CONFLICT (person, position) DO NOTHING",
    **{kind: f"INSERT INTO {table} (id, position, body, date, facts, corrected_by, {', '.join(_columns(kind))}) "  # noqa: S608
             f"VALUES (?, ?, ?, ?, ?, ?, {', '.join('?' * len(_columns(kind)))}) ON CONFLICT (id) DO NOTHING"
       for kind, table in _KINDS.items()},
}


def _values(kind: str, facts: Mapping[str, Any]) -> tuple[Any, ...]:
    """The derived columns of a row; ValueError/KeyError/TypeError on facts that do not fit (a bad correction)."""
    if kind == "attendance.recorded":
        day = date.fromisoformat(str(facts["meeting_date"]))
        return str(facts["member"]), str(facts["level"]), day.year, day.isoformat(), str(facts["cell"])
    if kind == "attendance.planned":
        return str(facts["member"]), str(facts["level"]), int(facts["year"]), json.dumps(list(facts["cells"]))
    return str(facts["attendance"]), date.fromisoformat(str(facts["report_date"])).isoformat()


def _correct(c: _Cursor, fix_id: str, st: Mapping[str, Any]) -> None:
    """Apply a correction to the attendance row it names, with the verdict engine's own merge."""
    target = str((st.get("facts") or {}).get("corrects"))
    for kind, table in _KINDS.items():
        rows = c.all(f"SELECT body, date, facts, corrected_by FROM {table} WHERE id = ?", (target,))  # noqa: S608
        if not rows:
            continue
        row = rows[0]
        done = tuple(x for x in row["corrected_by"].split(",") if x)
        if fix_id in done:
            return
        # By body: a body corrects only its own events (EVENTS.md), which ``corrected`` holds to; the
        # bodies named (as in the ledger's records), so facts the type cannot hold are not applied.
        body, by = str(row["body"]), str(st.get("body"))
        original = RecordedEvent(target, kind, date.fromisoformat(row["date"]), body,
                                 json.loads(row["facts"]), corrected_by=done, body=body)
        fix = RecordedEvent(fix_id, "correction.recorded", date.fromisoformat(str(st["date"])), by,
                            dict(st.get("facts") or {}), body=by)
        new = corrected([original, fix])[0]
        try:
            values = _values(kind, new.facts)
        except (ValueError, KeyError, TypeError):
            return  # facts that no longer make an attendance row: the row stays as it was
        sets = ", ".join(f"{col} = ?" for col in _columns(kind))
        c.execute(f"UPDATE {table} SET date = ?, facts = ?, corrected_by = ?, {sets} WHERE id = ?",  # noqa: S608
                  (new.date.isoformat(), json.dumps(dict(new.facts), ensure_ascii=False),
                   ",".join(new.corrected_by), *values, target))
        return


# -- rows → members ---------------------------------------------------------------------------


def _refs(row: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(x for x in str(row["corrected_by"]).split(",") if x)


def _members(records: list[dict[str, Any]], plans: list[dict[str, Any]], reports: list[dict[str, Any]],
             people: list[dict[str, Any]], bodies: Mapping[str, str], as_of: date) -> list[Member]:
    by_attendance: dict[str, list[Report]] = {}
    report_body: dict[str, str] = {}
    for r in reports:
        by_attendance.setdefault(r["attendance"], []).append(
            Report(r["id"], date.fromisoformat(r["report_date"]), date.fromisoformat(r["date"]), _refs(r)))
        report_body[r["id"]] = r["body"]
    attendances: dict[tuple[str, str], list[Attendance]] = {}
    own_bodies: dict[tuple[str, str], Counter[str]] = {}
    for r in records:
        key = (r["member"], r["level"])
        found = tuple(by_attendance.get(r["id"], ()))
        attendances.setdefault(key, []).append(Attendance(
            r["id"], date.fromisoformat(r["meeting_date"]), r["cell"], found, date.fromisoformat(r["date"]),
            _refs(r)))
        own_bodies.setdefault(key, Counter()).update(report_body[x.id] for x in found)
    filed: dict[tuple[str, str], list[Plan]] = {}
    for p in plans:
        key = (p["member"], p["level"])
        filed.setdefault(key, []).append(Plan(p["id"], int(p["year"]), date.fromisoformat(p["date"]),
                                              tuple(json.loads(p["cells"])), _refs(p)))
        own_bodies.setdefault(key, Counter())[p["body"]] += 1
    profile: dict[str, dict[str, str]] = {}
    moves: dict[str, list[tuple[date, str]]] = {}
    for r in people:  # in log order: a later profile supersedes the fields it names, from its date
        day = date.fromisoformat(r["date"])
        if day <= as_of:
            profile.setdefault(r["person"], {}).update({k: r[k] for k in ("name", "residence") if r[k]})
            if r["residence"]:
                moves.setdefault(r["person"], []).append((day, str(r["residence"])))
    residences = {p: tuple(sorted(found, key=lambda m: m[0])) for p, found in moves.items()}  # stable: log order
    out = []
    for key in sorted(set(attendances) | set(filed)):
        member, level = key
        counts = own_bodies.get(key) or Counter()
        body = counts.most_common(1)[0][0] if counts else None
        cells = [a.cell for a in attendances.get(key, ())]
        place = bodies.get(body or "") or (_up(Counter(cells).most_common(1)[0][0], _DEPTH.get(level, 1))
                                           if cells else "")
        who = profile.get(member, {})
        lived = residences.get(member, ())
        record = MemberRecord(member, level, lived[-1][1] if lived else None, who.get("name", ""),
                              tuple(filed.get(key, ())), tuple(attendances.get(key, ())), lived)
        out.append(Member(record, place, body))
    return out


def _up(place: str, depth: int) -> str:
    return ".".join(place.split(".")[:depth])


def _within(place: str, under: str) -> bool:
    return not under or place == under or place.startswith(under + ".")


# -- roll-ups ---------------------------------------------------------------------------------


def rollups(judged: Iterable[Mapping[str, Any]], places: Mapping[str, Mapping[str, str]],
            under: str = "") -> list[dict[str, Any]]:
    """Per place (each member's place and every place above it, within ``under``) and level: the sums."""
    sums: dict[tuple[str, str], dict[str, Any]] = {}
    for m in judged:
        parts = str(m["place"]).split(".") if m["place"] else []
        for depth in range(1, len(parts) + 1):
            place = ".".join(parts[:depth])
            if under and not _within(place, under):
                continue
            row = sums.setdefault((place, m["level"]), _empty(place, m["level"], places))
            _add(row, m)
    return [sums[k] for k in sorted(sums, key=lambda k: (k[0].count("."), k[0], k[1]))]


def _empty(place: str, level: str, places: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    info = places.get(place, {})
    return {"place": place, "name": info.get("name", place), "kind": info.get("kind", ""), "level": level,
            "members": 0, "verdicts": {"violations": 0, "incomplete": 0, "compliant": 0},
            **{rule: dict.fromkeys(keys, 0) for rule, keys in _FIGURES.items()},
            "A-PLAN": {"required": 0, "filed": 0, "missing": 0, "pending": 0}}


def _add(row: dict[str, Any], m: Mapping[str, Any]) -> None:
    row["members"] += 1
    row["verdicts"][m["verdict"]] += 1
    for rule, keys in _FIGURES.items():
        for k in keys:
            row[rule][k] += m["rules"][rule][k]
    plan = m["rules"]["A-PLAN"]
    if plan["required"]:
        row["A-PLAN"]["required"] += 1
        row["A-PLAN"]["filed"] += plan["filed"] > 0
        row["A-PLAN"]["missing"] += plan["status"] == "fail"
        row["A-PLAN"]["pending"] += plan["status"] == "pending"
