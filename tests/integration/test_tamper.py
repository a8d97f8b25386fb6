"""Tamper evidence: any change to a stored row is found, and the event it hit is named.

The scenario builds a real ledger (conftest ``world``) with streams of several events,
then damages the stored rows directly in the database — flipping one byte of any column
of any row, deleting rows, swapping two rows' contents — and runs the audit that
``dantin verify`` runs. Each damage must be found, first, at the damaged event; an
untouched ledger must be intact. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import Backend, World
from test_refusals import LANG_KHAC, payload_of, resigned, second_village

import ledger.application as application
import ledger.authority as authority
import schemas._checks as checks
from ledger import home
from ledger.audit import AuditReport, audit
from ledger.catalogue import stream_of
from ledger.errors import Refused
from ledger.sealer import iter_leaves
from ledger.signing import SigningKey


def _grow(world: World) -> None:
    """Give the village and the cell streams of several events (and a key rotation, and a correction)."""
    cell, village = world.cell, world.lang_ma
    for i in range(1, 4):
        world.accept(world.sign(cell, "person.profiled", village,
                                {"person": f"p{i}", "name": f"Đinh Văn {i}", "born": "1975-02-01"}))
    world.accept(world.sign(cell, "personnel.nominated", village, {"person": "p1"}))
    [agreed] = world.accept(world.sign(cell, "candidates.agreed", village, {"candidates": ["p1", "p2"]}))
    new_key = SigningKey.generate()
    world.accept(world.sign(cell, "key.rotated", village,
                            {"body": cell, "key": {"public": new_key.public.b64}, "retire": world.keys[cell].public.key_id}))
    world.keys[cell] = new_key
    # Signed with the new key: a correction, whose original the audit finds again (``ledger.correction``).
    # (As many rows as before: test_audit_schedule's hand-over figures are counted on this fixture.)
    world.accept(world.sign(cell, "correction.recorded", village, {
        "corrects": agreed.hash, "reason": "Ghi thừa một người", "facts": {"candidates": ["p1"]}}))


class Rows:
    """Direct access to the stored rows, as an attacker with database access has."""

    def __init__(self, backend: Backend, world: World) -> None:
        self.world = world
        store = world.ledger.sealer.store if world.ledger.sealer else None
        assert store is not None
        self.store: Any = store
        if backend.database:
            schema = parse_qs(urlsplit(backend.database).query)["schema"][0]
            self.table, self.id_col = f'"{schema}".dantin_events', "notification_id"
        else:
            self.table, self.id_col = "stored_events", "rowid"

    def all(self) -> list[dict[str, Any]]:
        rows = self.world.ledger.recorder.select_notifications(start=1, limit=10_000)
        return [{"id": n.id, "stream": n.originator_id, "version": n.originator_version,
                 "topic": n.topic, "state": bytes(n.state)} for n in rows]

    def set(self, nid: int, **columns: Any) -> None:
        names = {"stream": "originator_id", "version": "originator_version", "topic": "topic", "state": "state"}
        assignments = ", ".join(f"{names[k]} = ?" for k in columns)
        self.store.execute(f"UPDATE {self.table} SET {assignments} WHERE {self.id_col} = ?",
                           (*columns.values(), nid))

    def delete(self, nid: int) -> None:
        self.store.execute(f"DELETE FROM {self.table} WHERE {self.id_col} = ?", (nid,))

    def insert(self, row: dict[str, Any]) -> None:
        if self.id_col == "rowid":
            self.store.execute(f"INSERT INTO {self.table} (rowid, originator_id, originator_version, topic, state) "
                               "VALUES (?,?,?,?,?)", (row["id"], row["stream"], row["version"], row["topic"], row["state"]))
        else:
            self.store.execute(f"INSERT INTO {self.table} (notification_id, originator_id, originator_version, topic, "
                               "state) VALUES (?,?,?,?,?)",
                               (row["id"], row["stream"], row["version"], row["topic"], row["state"]))

    @contextmanager
    def damaged(self, nid: int) -> Iterator[None]:
        """Restore the row afterwards, so one ledger serves many damages."""
        original = next(r for r in self.all() if r["id"] == nid)
        try:
            yield
        finally:
            self.delete(nid)
            self.insert(original)


def _audit(backend: Backend, world: World) -> AuditReport:
    ledger = world.ledger
    assert ledger.sealer is not None
    return audit(ledger.recorder, seal=ledger.sealer.store, log=home.log_verifier(backend.directory), workers=1)


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1:]


@pytest.fixture
def rows(backend: Backend, world: World) -> Rows:
    _grow(world)
    return Rows(backend, world)


def test_untouched_ledger_is_intact(backend: Backend, world: World, rows: Rows) -> None:
    report = _audit(backend, world)
    assert report.intact, [f.to_dict() for f in report.findings]
    assert report.entries == report.sealed == len(rows.all())
    assert report.signatures_checked == report.entries
    assert report.checkpoints >= 1


def test_flipping_any_byte_of_any_row_is_found_at_that_row(backend: Backend, world: World, rows: Rows) -> None:
    rng = random.Random(2022)
    for row in rows.all():
        # One flip in every column of every row; for the state, several offsets.
        offsets = sorted(rng.sample(range(len(row["state"])), 3))
        damages: list[dict[str, Any]] = [{"state": _flip(row["state"], o)} for o in offsets]
        damages.append({"stream": _flip(row["stream"].encode(), rng.randrange(len(row["stream"]))).decode()})
        damages.append({"topic": _flip(row["topic"].encode(), rng.randrange(len(row["topic"]))).decode()})
        damages.append({"version": row["version"] ^ 0x10})
        for damage in damages:
            with rows.damaged(row["id"]):
                rows.set(row["id"], **damage)
                report = _audit(backend, world)
            assert not report.intact, (row["stream"], damage)
            assert report.findings[0].notification_id == row["id"], (damage, report.findings[0])
    assert _audit(backend, world).intact  # every damage was undone


@pytest.mark.parametrize("which", ["first", "middle", "last"])
def test_deleting_a_row_names_the_deleted_event(backend: Backend, world: World, rows: Rows, which: str) -> None:
    all_rows = rows.all()
    victim = {"first": all_rows[0], "middle": all_rows[len(all_rows) // 2], "last": all_rows[-1]}[which]
    rows.delete(victim["id"])
    report = _audit(backend, world)
    first = report.findings[0]
    assert (first.code, first.stream, first.version, first.notification_id) == (
        "missing_row", victim["stream"], victim["version"], victim["id"])
    assert first.position == all_rows.index(victim)


def test_swapping_two_rows_contents_is_found_at_the_earlier(backend: Backend, world: World, rows: Rows) -> None:
    all_rows = rows.all()
    pairs = [(all_rows[-2], all_rows[-1]), (all_rows[3], all_rows[-3])]
    same_stream = [r for r in all_rows if r["stream"] == world.lang_ma]
    pairs.append((same_stream[1], same_stream[2]))
    for a, b in pairs:
        with rows.damaged(a["id"]), rows.damaged(b["id"]):
            rows.set(a["id"], topic=b["topic"], state=b["state"])
            rows.set(b["id"], topic=a["topic"], state=a["state"])
            report = _audit(backend, world)
        assert not report.intact
        assert report.findings[0].notification_id == min(a["id"], b["id"])


def test_damage_to_the_log_tables_is_a_finding_at_that_leaf(backend: Backend, world: World, rows: Rows) -> None:
    """The sealed leaves are evidence too: a leaf hash changed (to another hash, or to bytes that are not
    a hash at all) is named at its leaf and breaks the checkpoints' roots; it never crashes the audit."""
    leaves = world.ledger.sealer.store.select_leaves(0, 10_000)  # type: ignore[union-attr]
    victim = leaves[len(leaves) // 2]
    for damaged in (_flip(victim.hash, 7), victim.hash[:31], b""):
        rows.store.execute("UPDATE dantin_leaves SET hash = ? WHERE leaf_index = ?", (damaged, victim.index))
        try:
            report = _audit(backend, world)
        finally:
            rows.store.execute("UPDATE dantin_leaves SET hash = ? WHERE leaf_index = ?", (victim.hash, victim.index))
        codes = {f.code for f in report.findings}
        assert not report.intact and "leaf_mismatch" in codes, (damaged, codes)
        first = next(f for f in report.findings if f.code == "leaf_mismatch")
        assert (first.position, first.stream, first.version) == (victim.index, victim.stream, victim.version)
    assert _audit(backend, world).intact


def test_a_deleted_leaf_is_found_and_no_leaf_is_read_twice(
    backend: Backend, world: World, rows: Rows, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Leaves are read a page at a time from the index after the last one read: a gap (a leaf
    deleted) shifts nothing into the next page twice, on any page size."""
    import ledger.audit as audit_module

    store = world.ledger.sealer.store  # type: ignore[union-attr]
    leaves = store.select_leaves(0, 10_000)
    victim = leaves[3]
    store.execute("DELETE FROM dantin_leaves WHERE leaf_index = ?", (victim.index,))
    for page in (1, 2, 5, 10_000):
        read, misread, unreadable = audit_module._stored_leaves(store, page)
        assert [leaf[0] for leaf in read] == [leaf.index for leaf in leaves if leaf is not victim]
        assert not misread and not unreadable
        assert iter_leaves(store, page) == [leaf for leaf in leaves if leaf is not victim]  # (proofs, bundles)
    stored_leaves = audit_module._stored_leaves
    monkeypatch.setattr(audit_module, "_stored_leaves", lambda seal: stored_leaves(seal, 2))  # the audit, on pages of 2
    report = _audit(backend, world)
    codes = [f.code for f in report.findings]
    assert "log_damaged" in codes and report.sealed == len(leaves) - 1


#: Values of another type than the column's, which SQLite keeps (only an INTEGER PRIMARY KEY
#: refuses them): per table, column and value. PostgreSQL refuses them all.
_RETYPED = [
    ("events", "originator_version", "abc"), ("events", "originator_version", 2.5),
    ("events", "originator_version", None), ("events", "originator_version", b"\x02"),
    ("events", "originator_version", b"\x00"),
    ("events", "originator_id", b"\x00\xff"), ("events", "topic", b"dantin:Stream.Appended"),
    ("events", "topic", None), ("events", "state", "text"), ("events", "state", 12), ("events", "state", None),
    ("leaves", "notification_id", "x"), ("leaves", "stream", b"\x01"), ("leaves", "version", 2.5),
    ("leaves", "hash", "abc"), ("leaves", "hash", 7),
    ("checkpoints", "root", "zz"), ("checkpoints", "note", b"\x01"), ("checkpoints", "root", 3),
]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # PostgreSQL refuses them
@pytest.mark.parametrize(("table", "column", "value"), _RETYPED)
def test_a_value_of_the_wrong_type_is_a_finding_not_a_crash(
    backend: Backend, world: World, rows: Rows, table: str, column: str, value: Any
) -> None:
    # The middle event of a stream of several (so the rows after it in its stream are judged too).
    village = [r for r in rows.all() if r["stream"] == world.lang_ma]
    victim = village[len(village) // 2]
    where = {
        "events": f"UPDATE stored_events SET {column} = ? WHERE rowid = ?",
        "leaves": f"UPDATE dantin_leaves SET {column} = ? WHERE notification_id = ?",
        "checkpoints": f"UPDATE dantin_checkpoints SET {column} = ? WHERE size = "
                       "(SELECT MAX(size) FROM dantin_checkpoints) AND ? > 0",
    }[table]
    rows.store.execute(where, (value, victim["id"]))
    report = _audit(backend, world)
    assert not report.intact
    # What `dantin verify --json` prints and keeps (last_verify) is JSON, each finding's version a number.
    assert all(type(f["version"]) is int for f in json.loads(json.dumps(report.to_dict()))["findings"])
    first = report.findings[0]
    if table == "checkpoints":
        assert first.code == "bad_checkpoint"
    else:
        assert first.notification_id in (victim["id"], -1), report.to_dict()["first_finding"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # PostgreSQL refuses such text
@pytest.mark.parametrize(("damage", "code", "position"), [
    ("UPDATE dantin_leaves SET stream = CAST(X'FF41' AS TEXT) WHERE leaf_index = 5", "log_damaged", 5),
    ("UPDATE dantin_checkpoints SET note = CAST(X'FF41' AS TEXT) WHERE size = "
     "(SELECT MAX(size) FROM dantin_checkpoints)", "bad_checkpoint", 0),
    ("UPDATE stored_events SET originator_id = CAST(X'FF41' AS TEXT) WHERE rowid = 6", "undecodable", 5),
])
def test_text_the_driver_cannot_decode_is_a_finding_not_a_crash(
    backend: Backend, world: World, rows: Rows, damage: str, code: str, position: int
) -> None:
    """The leaf that cannot be read is named, read again a leaf at a time; the log's rows up to it are read."""
    rows.store.execute(damage)
    report = _audit(backend, world)
    assert not report.intact
    first = report.findings[0]
    assert (first.code, first.position) == (code, position), report.to_dict()["first_finding"]
    json.dumps(report.to_dict())


def test_a_checkpoint_of_negative_size_is_found_and_the_genuine_ones_still_hold(
    backend: Backend, world: World, rows: Rows
) -> None:
    """The checkpoints' key is an integer, so a hand can make one negative: that row is a
    finding, and the genuine checkpoints after it are still checked against the right roots."""
    if backend.database:
        rows.store.execute("INSERT INTO dantin_checkpoints (size, root, note) "
                           "SELECT -3, root, note FROM dantin_checkpoints ORDER BY size LIMIT 1")
    else:
        rows.store.execute("INSERT INTO dantin_checkpoints SELECT -3, root, note FROM dantin_checkpoints "
                           "ORDER BY size LIMIT 1")
    report = _audit(backend, world)
    codes = [f.code for f in report.findings]
    assert codes and set(codes) == {"bad_checkpoint"}, report.to_dict()
    assert report.checkpoints >= 2


def test_a_version_true_stored_by_an_older_release_is_one_finding(
        backend: Backend, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Until 2026-12 ingest took ``"v":true`` (``Literal[1]`` equals it); the schema says 1.
    A ledger holding such a row still replays, and ``verify`` names that row alone: the
    stream's next event, linked to it, is sound."""
    cell = world.keys[world.cell]
    profile = world.sign(world.cell, "person.profiled", world.lang_ma,
                         {"person": "p9", "name": "Đinh Thị Chín", "born": "1975-02-01"})
    payload = payload_of(profile)
    stored_true = resigned(payload[:-len(b"1}")] + b"true}", cell)
    later = world.sign(world.cell, "person.profiled", world.lang_ma,
                       {"person": "p9", "name": "Đinh Thị Chín", "born": "1975-02-02"})
    with monkeypatch.context() as old_release:
        old_release.setattr(authority, "_V_ONE", b"}")
        [receipt] = world.accept(stored_true)
    world.accept(later)  # judged today: a sound event after the old one
    assert world.version("person:p9") == 2

    report = _audit(backend, world)
    assert [(f.code, f.notification_id) for f in report.findings] == [("malformed", receipt.notification_id)]
    [finding] = report.findings
    assert "áp dụng từ 2026-12-05" in finding.message_vi and "phải là số nguyên 1" in finding.message_vi
    assert report.signatures_checked == report.entries  # its signature was checked all the same
    reopened = backend.open()
    assert reopened.get_stream("person:p9") is not None
    assert reopened.get_stream("person:p9").version == 2  # type: ignore[union-attr]
    [again] = world.submit([stored_true])  # sent again: the replay it is, not its form
    assert isinstance(again, Refused) and again.code == "replay"


def test_a_hidden_character_stored_by_an_older_release_is_one_finding(
        backend: Backend, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Until 2026-12 names could hold bidirectional overrides and other invisible characters.
    A ledger holding one still replays; ``verify`` names that row alone (the stream's next
    event is sound), and the page shows the character instead of obeying it."""
    spoofed = resigned(payload_of(world.sign(world.cell, "person.profiled", world.lang_ma, {
        "person": "p9", "name": "Đinh Thị Chín", "born": "1975-02-01"})).replace("Chín".encode(), "\u202eníhC".encode()),
        world.keys[world.cell])
    later = world.sign(world.cell, "person.profiled", world.lang_ma,
                       {"person": "p9", "name": "Đinh Thị Chín", "born": "1975-02-02"})
    with monkeypatch.context() as old_release:
        old_release.setattr(checks, "UNSAFE_LINE_RE", re.compile("(?!)"))
        [receipt] = world.accept(spoofed)
    world.accept(later)
    assert world.version("person:p9") == 2

    report = _audit(backend, world)
    assert [(f.code, f.notification_id) for f in report.findings] == [("malformed", receipt.notification_id)]
    assert "U+202E" in report.findings[0].message_vi and "áp dụng từ 2026-12-05" in report.findings[0].message_vi
    assert report.signatures_checked == report.entries
    [again] = world.submit([spoofed])
    assert isinstance(again, Refused) and again.code == "replay"


def test_another_villages_profile_stored_by_an_older_release_is_one_finding(
        backend: Backend, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Until 2026-12 any cell could profile any person again (ids are global). A ledger holding
    such a row still replays; ``verify`` names that row alone, as breaking a rule that applies
    from 2026-12-05, and the sound profile after it is not reported."""
    world.accept(world.sign(world.cell, "person.profiled", world.lang_ma,
                            {"person": "p9", "name": "Đinh Thị Chín", "born": "1975-02-01"}))
    other_cell = second_village(world)
    other_village = LANG_KHAC
    younger = world.sign(other_cell, "person.profiled", other_village, {"person": "p9", "born": "1995-02-01"})
    with monkeypatch.context() as old_release:
        old_release.setattr(authority, "_check_custody", lambda *_: None)
        [receipt] = world.accept(younger)
    world.accept(world.sign(world.cell, "person.profiled", world.lang_ma, {"person": "p9", "born": "1975-02-01"},
                            date="2022-03-21"))
    assert world.version("person:p9") == 3

    report = _audit(backend, world)
    assert [(f.code, f.notification_id) for f in report.findings] == [("outside_jurisdiction", receipt.notification_id)]
    [finding] = report.findings
    assert "áp dụng từ 2026-12-05" in finding.message_vi and "'p9'" in finding.message_vi, finding.message_vi
    [again] = world.submit([younger])
    assert isinstance(again, Refused) and again.code == "replay"


def _stored_unjudged(world: World, monkeypatch: pytest.MonkeyPatch, envelope: dict[str, Any]) -> None:
    """Store ``envelope`` as a writer that judges nothing would (a hand on the database)."""
    def lax(env: Any, view: Any, **_: Any) -> str:
        st = env.statement
        return stream_of(st.type, st.place, st.body, st.facts)

    with monkeypatch.context() as unjudged:
        unjudged.setattr(application, "admit", lax)
        world.accept(envelope)


@pytest.mark.parametrize("version", [b"1", b"true"])
def test_a_version_true_does_not_hide_what_else_is_wrong(
        backend: Backend, world: World, monkeypatch: pytest.MonkeyPatch, version: bytes) -> None:
    """A row outside its signer's jurisdiction is reported as such, ``v`` true or not: writing
    ``true`` earns no milder finding."""
    outside = world.sign(world.cell, "person.profiled", world.sontinh,
                         {"person": "p9", "name": "Đinh Thị Chín", "born": "1975-02-01"})
    _stored_unjudged(world, monkeypatch, resigned(payload_of(outside)[:-len(b"1}")] + version + b"}",
                                                  world.keys[world.cell]))
    report = _audit(backend, world)
    assert [f.code for f in report.findings] == ["outside_jurisdiction"]
