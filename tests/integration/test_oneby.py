"""One-by-one ingest's shortcuts keep the log exact.

- The sealer trusts its in-memory tree only while the log head is the row it last sealed
  (``Sealer.seal``'s ``head``): writers that alternate on one ledger, batches and single
  submissions mixed, leave dense leaves, each hashed from its row, exactly the nodes a
  from-scratch build completes, and receipts whose proofs verify.
- The seal's statement on PostgreSQL lists a few rows and unnests many
  (``storage.postgres_ledger.SMALL``): both forms store the same rows.
- ``Stream.open``/``append`` make the very events the library's ``_create``/``trigger_event``
  make (fields, topic, stored bytes), and ``Opened.mutate`` the same stream.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import Backend, World

import storage.postgres_ledger
import storage.sqlite_ledger
from ledger import home
from ledger.application import Ledger, ReadOnly, Receipt
from ledger.audit import audit
from ledger.authority import GENESIS
from ledger.envelope import parse_envelope
from ledger.merkle import CompactRange, Node, verify_inclusion
from ledger.sealer import iter_leaves, state_leaf_hash
from ledger.signing import b64encode
from ledger.stream import Stream, _just_parsed
from storage.postgres_ledger import SMALL


def _profile(world: World, person: str, **facts: Any) -> dict[str, Any]:
    return world.sign(world.cell, "person.profiled", world.lang_ma, {"person": person, "name": "Đinh Văn A", **facts})


def _check_log(world: World, backend: Backend, receipts: list[Receipt], ledgers: list[Ledger]) -> None:
    ledger = world.ledger
    assert ledger.sealer is not None
    store = ledger.sealer.store
    rows = ledger.recorder.select_notifications(start=1, limit=100_000)
    leaves = iter_leaves(store)
    assert [leaf.index for leaf in leaves] == list(range(len(rows)))
    for row, leaf in zip(rows, leaves, strict=True):
        assert (leaf.notification_id, leaf.stream, leaf.version, leaf.hash) == (
            row.id, row.originator_id, row.originator_version, state_leaf_hash(row.state))
    rng, built = CompactRange(), set[Node]()
    for leaf in leaves:
        built.update(n for n in rng.append(leaf.hash) if n.level > 0)
    assert set(store.select_nodes(0, 1_000_000)) == built
    root = rng.root()
    for other in ledgers:
        assert other.sealer is not None
        assert other.sealer.root(len(leaves)) == root
    for r in receipts:
        leaf = leaves[r.index]
        assert (leaf.hash.hex(), leaf.stream, leaf.version, leaf.notification_id) == (
            r.hash, r.stream, r.version, r.notification_id)
        verify_inclusion(leaf.hash, r.index, len(leaves), ledger.inclusion_proof(r.index, len(leaves)), root)
    report = audit(ledger.recorder, seal=store, log=home.log_verifier(backend.directory), workers=1)
    assert report.intact, report.to_dict()


def test_alternating_writers_keep_the_tree_exact(world: World, backend: Backend) -> None:
    other = backend.open()
    receipts: list[Receipt] = []
    n = 0

    def one(ledger: Ledger) -> None:
        nonlocal n
        [r] = ledger.submit([_profile(world, f"p{n}")])
        assert isinstance(r, Receipt), r
        receipts.append(r)
        n += 1

    for turn in range(6):
        for _ in range(turn % 3 + 1):  # runs of one, two and three submissions by each writer
            one(world.ledger)
        for _ in range(2 - turn % 3):
            one(other)
    batch = [_profile(world, f"p{n + i}") for i in range(SMALL * 2 + 1)]  # unnested on PostgreSQL
    results = other.submit(batch)
    assert all(isinstance(r, Receipt) for r in results), results
    receipts += [r for r in results if isinstance(r, Receipt)]
    n += len(batch)
    for _ in range(3):
        one(world.ledger)
    world.ledger.publish_checkpoint()
    one(world.ledger)
    one(other)
    _check_log(world, backend, receipts, [world.ledger, other])


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # PostgreSQL reads the size with the head, always
def test_the_size_is_read_again_only_when_the_head_is_not_the_last_row_sealed(
    world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = {"n": 0}
    real = storage.sqlite_ledger._Txn.sealed_size

    def counted(self: storage.sqlite_ledger._Txn) -> int:
        reads["n"] += 1
        return real(self)

    monkeypatch.setattr(storage.sqlite_ledger._Txn, "sealed_size", counted)
    other = backend.open()
    receipts: list[Receipt] = []

    def submit(ledger: Ledger, person: str) -> int:
        before = reads["n"]
        [r] = ledger.submit([_profile(world, person)])
        assert isinstance(r, Receipt), r
        receipts.append(r)
        return reads["n"] - before

    assert submit(world.ledger, "a1") == 0  # the world was sealed by this writer: its tree is current
    assert submit(world.ledger, "a2") == 0
    assert submit(other, "b1") == 1  # opened before a1 and a2 were sealed
    assert submit(other, "b2") == 0
    assert submit(world.ledger, "a3") == 1  # b1 and b2 moved the head: judged again, the size read
    world.ledger.publish_checkpoint()
    assert submit(world.ledger, "a4") == 1  # published at a head the sealer does not know
    assert submit(world.ledger, "a5") == 0
    _check_log(world, backend, receipts, [world.ledger, other])


def test_a_seal_rolled_back_after_its_leaves_leaves_the_tree_as_stored(
    world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seal fails after writing its leaves and nodes: the transaction rolls back, and the
    sealer must not go on from the tree it built for that batch."""
    txn = storage.sqlite_ledger._Txn if backend.name == "sqlite" else storage.postgres_ledger._Txn
    receipts = world.accept(_profile(world, "p1"))

    insert_nodes = txn.insert_nodes

    def broken(self: object, nodes: object) -> None:
        insert_nodes(self, nodes)  # type: ignore[arg-type]
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(txn, "insert_nodes", broken)
    with pytest.raises(RuntimeError):
        world.submit([_profile(world, "p2")])
    monkeypatch.undo()
    receipts += world.accept(_profile(world, "p3"))
    receipts += world.accept(_profile(world, "p4"), _profile(world, "p5"))
    receipts += world.accept(_profile(world, "p2"))
    _check_log(world, backend, receipts, [world.ledger])


def _has_leaf_index(backend: Backend, ledger: Ledger) -> bool:
    """Whether the ``(stream, version)`` index of older ledgers' leaves exists."""
    if backend.database is None:
        import sqlite3
        with sqlite3.connect(backend.directory / "ledger.sqlite") as conn:
            return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'dantin_leaves_event'").fetchone() is not None
    import psycopg
    with psycopg.connect(backend.database.split("?")[0]) as conn:
        schema = backend.database.split("schema=")[1]
        return conn.execute("SELECT 1 FROM pg_indexes WHERE schemaname = %s AND indexname = 'dantin_leaves_event'",
                            (schema,)).fetchone() is not None


def test_leaves_are_found_by_stream_without_an_index_of_their_own_and_resealed_after_the_last_leaf(
    world: World, backend: Backend
) -> None:
    """A commit writes no ``(stream, version)`` index of leaves and no tracking row (a page each
    on SQLite): a stream's leaves are found through the events table's key, and the sealer
    resumes after the last leaf's row. A ledger made with the old index loses it on open."""
    receipts = world.accept(_profile(world, "p1"), _profile(world, "p2"))
    again = _profile(world, "p1", born="1990-01-01")
    receipts += world.accept(again)
    receipts += world.accept(_profile(world, "p1", born="1991-01-01"), _profile(world, "p3"))
    ledger = world.ledger
    assert ledger.sealer is not None
    store = ledger.sealer.store
    assert not _has_leaf_index(backend, ledger)
    leaves = iter_leaves(store)
    p1 = [leaf for leaf in leaves if leaf.stream == "person:p1"]
    assert [leaf.version for leaf in p1] == [1, 2, 3]
    assert store.leaves_of("person:p1") == p1
    assert store.leaf_of("person:p1", 2) == p1[1]
    assert store.leaf_of("person:p1", 4) is None and store.leaves_of("person:nobody") == []
    assert ledger.receipt_of(again) == receipts[2]  # a replay's receipt is found the same way
    for r in receipts:
        leaf = store.leaf_of(r.stream, r.version)
        assert leaf is not None and (leaf.index, leaf.hash.hex()) == (r.index, r.hash)

    # An older ledger: the index exists. Opening drops it, and nothing else changes.
    store.execute("CREATE INDEX dantin_leaves_event ON dantin_leaves (stream, version)")
    assert _has_leaf_index(backend, ledger)
    # The last leaf is lost (as if its row had been appended by a writer that could not seal):
    # the next writer to open seals that row again, to the very same leaf.
    last = leaves[-1]
    store.execute("DELETE FROM dantin_leaves WHERE leaf_index = ?", (last.index,))
    reopened = backend.open()
    assert not _has_leaf_index(backend, reopened)
    assert iter_leaves(store) == leaves
    receipts += [r for r in reopened.submit([_profile(world, "p4")]) if isinstance(r, Receipt)]
    assert len(receipts) == 6
    _check_log(world, backend, receipts, [ledger, reopened])


def test_a_ledger_opened_read_only_writes_nothing(world: World, backend: Backend) -> None:
    """What ``dantin verify`` opens: no table created or migrated, no row sealed, no checkpoint
    signed; writing is refused with a typed error. A writer opened later seals as usual."""
    world.accept(_profile(world, "p1"), _profile(world, "p2"))
    ledger = world.ledger
    assert ledger.sealer is not None
    store = ledger.sealer.store
    leaves = iter_leaves(store)
    store.execute("CREATE INDEX dantin_leaves_event ON dantin_leaves (stream, version)")
    store.execute("DELETE FROM dantin_leaves WHERE leaf_index = ?", (leaves[-1].index,))
    checkpoints = store.select_checkpoints()
    reader = home.open_ledger(backend.directory, backend.database, read_only=True)
    backend.opened.append(reader)
    assert reader.read_only and reader.sealer is not None
    assert iter_leaves(store) == leaves[:-1] and _has_leaf_index(backend, reader)
    with pytest.raises(ReadOnly) as refused:
        reader.submit([_profile(world, "p3")])
    assert refused.value.code == "read_only" and "chỉ để đọc" in refused.value.message_vi
    with pytest.raises(ReadOnly):
        reader.publish_checkpoint()
    report = audit(reader.recorder, seal=reader.sealer.store, log=home.log_verifier(backend.directory), workers=1)
    assert report.intact and report.unsealed == 1 and report.sealed == len(leaves) - 1
    reader.close()
    assert iter_leaves(store) == leaves[:-1] and store.select_checkpoints() == checkpoints
    writer = backend.open()
    assert iter_leaves(store) == leaves and not _has_leaf_index(backend, writer)


def test_the_seal_takes_the_leaf_hashes_judging_computed(
    world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer's insert hands the seal each entry's hash as judging computed it (the stream's
    head after it), instead of hashing the stored row again; they are the same bytes."""
    import ledger.sealer

    def not_again(state: bytes) -> bytes:
        raise AssertionError("the seal hashed a row the writer had hashed already")

    receipts = world.accept(_profile(world, "p0"))
    monkeypatch.setattr(ledger.sealer, "state_leaf_hash", not_again)
    receipts += world.accept(_profile(world, "p1"))
    receipts += world.accept(*[_profile(world, f"p{i}") for i in range(2, 80)], _profile(world, "p1", born="1990-01-01"))
    monkeypatch.undo()
    assert len(receipts) == 81
    _check_log(world, backend, receipts, [world.ledger])  # each leaf is its stored row's hash


def test_seal_rows_use_the_writers_hashes_only_one_per_row() -> None:
    from eventsourcing.persistence import StoredEvent

    from ledger.sealer import seal_rows

    stored = [StoredEvent("s", v, "t", b"{}") for v in (1, 2)]
    assert [r.leaf for r in seal_rows([7, 8], stored, [b"a" * 32, b"b" * 32])] == [b"a" * 32, b"b" * 32]
    assert [r.leaf for r in seal_rows([7, 8], stored, [b"a" * 32])] == [None, None]
    assert [r.leaf for r in seal_rows([7, 8], stored, None)] == [None, None]
    assert [(r.notification_id, r.version) for r in seal_rows([7, 8], stored, None)] == [(7, 1), (8, 2)]


# -- the stream's events are the library's ------------------------------------------------


STAMP = datetime(2022, 3, 20, 8, 30, tzinfo=UTC)


def test_opened_and_appended_events_are_the_librarys(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Stream.Event, "create_timestamp", staticmethod(lambda: STAMP))
    env1 = parse_envelope(_profile(world, "p1"))
    env2 = parse_envelope(_profile(world, "p1", born="1990-01-01"))
    ours = Stream.open("person:p1", env1)
    ours.append(env2)
    # (The library's way parses each payload again where ours reuses the envelope just parsed.)
    theirs = Stream._create(Stream.Opened, id="person:p1", payload=b64encode(env1.payload), keyid=env1.keyid,
                            sig=b64encode(env1.sig), prev=GENESIS)
    theirs.trigger_event(Stream.Appended, payload=b64encode(env2.payload), keyid=env2.keyid,
                         sig=b64encode(env2.sig), prev=theirs.state.head)
    mine, library = ours.collect_events(), theirs.collect_events()
    assert [type(e) for e in mine] == [type(e) for e in library] == [Stream.Opened, Stream.Appended]
    assert [vars(e) for e in mine] == [vars(e) for e in library]
    assert [list(vars(e)) for e in mine] == [list(vars(e)) for e in library]  # field order: the stored JSON's
    mapper = world.ledger.mapper
    stored = [mapper.to_stored_event(e) for e in mine]
    assert stored == [mapper.to_stored_event(e) for e in library]
    assert [s.topic for s in stored] == ["dantin:Stream.Opened", "dantin:Stream.Appended"]
    assert (ours.id, ours.version, ours.created_on, ours.modified_on, ours.state) == (
        theirs.id, theirs.version, theirs.created_on, theirs.modified_on, theirs.state)

    assert getattr(_just_parsed, "env", None) is None  # nothing handed over is left behind
    replayed: Any = None
    for s in stored:
        replayed = mapper.to_domain_event(s).mutate(replayed)
    assert isinstance(replayed, Stream)
    assert (replayed.id, replayed.version, replayed.created_on, replayed.modified_on, replayed.state) == (
        ours.id, ours.version, ours.created_on, ours.modified_on, ours.state)
    assert replayed.pending_events == []


def test_the_recorder_stores_each_row_exactly_as_given_in_order(backend: Backend) -> None:
    """The insert sends its rows as one binary array per column (PostgreSQL): every field comes
    back byte for byte, in the order given, with ids that follow it, including Vietnamese text,
    every byte value in a state, and a version beyond 32 bits."""
    from eventsourcing.persistence import StoredEvent

    ledger = backend.empty()
    rows = [
        StoredEvent("person:Đinh Văn Ánh", 1, "ledger.stream:Stream.Opened", "{\"tên\":\"Đinh Văn Ánh\"}".encode()),
        StoredEvent("place:qng.bato", 2**40, "ledger.stream:Stream.Event", bytes(range(256)) * 3),
        StoredEvent("b'\\x00\"quoted\"{,}'", 7, "t", b"\\x00 {\"a\":[1,2]} ' \" \\"),
        *(StoredEvent(f"s{i}", i + 1, "t", b"%d" % i) for i in range(SMALL + 5)),
    ]
    ids = ledger.recorder.insert_events(rows)
    assert ids is not None and list(ids) == sorted(ids) and len(set(ids)) == len(rows)
    stored = ledger.recorder.select_notifications(start=1, limit=len(rows) + 10)
    assert [n.id for n in stored] == list(ids)
    assert [(n.originator_id, n.originator_version, n.topic, bytes(n.state)) for n in stored] == [
        (r.originator_id, r.originator_version, r.topic, r.state) for r in rows]


def test_the_log_read_answers_exactly_as_the_librarys(backend: Backend) -> None:
    """PostgreSQL reads the log in binary, as plain tuples: the same notifications as the
    library's own query (values and types), for every way of asking."""
    from eventsourcing.persistence import StoredEvent

    ledger = backend.empty()
    rows = [StoredEvent(f"person:Người {i % 4}", i // 4 + 1, "ab"[i % 2], bytes(range(i % 256)) + b"\x00'\"\\")
            for i in range(40)]
    ledger.recorder.insert_events(rows)
    library = type(ledger.recorder).__mro__[1].select_notifications  # the library's recorder's own
    asks: list[dict[str, Any]] = [
        {"start": 1, "limit": 100}, {"start": 5, "limit": 7}, {"start": None, "limit": 3},
        {"start": 3, "limit": 100, "stop": 20}, {"start": 3, "limit": 100, "inclusive_of_start": False},
        {"start": 1, "limit": 100, "topics": ["a"]}, {"start": 2, "limit": 5, "stop": 30, "topics": ("b",)},
        {"start": 100, "limit": 10},
    ]
    for ask in asks:
        ours = ledger.recorder.select_notifications(**ask)
        theirs = library(ledger.recorder, **ask)
        assert [(n.id, n.originator_id, n.originator_version, n.topic, bytes(n.state)) for n in ours] == [
            (n.id, n.originator_id, n.originator_version, n.topic, bytes(n.state)) for n in theirs], ask
        assert all(type(n.state) is bytes and type(n.originator_id) is str for n in ours), ask


def test_sqlite_inserts_go_through_the_recorders_own_connection_and_close_with_the_ledger(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """One-by-one inserts skip the pool's check-out (storage.sqlite_ledger.insert_events) yet keep the
    library's transaction: a failed insert rolls back and is the library's IntegrityError; closing the
    ledger closes that connection too, so SQLite folds the WAL back and removes it."""
    from eventsourcing.persistence import IntegrityError

    from ledger.signing import SigningKey

    directory = tmp_path / "ledger"
    ledger = home.init(directory, root_key=SigningKey.generate())
    recorder = ledger.recorder
    assert isinstance(recorder, storage.sqlite_ledger.SQLiteLedgerRecorder)
    pool_checkouts: list[bool] = []
    real = recorder.datastore.pool.get_connection
    monkeypatch.setattr(recorder.datastore.pool, "get_connection",
                        lambda *a, **k: pool_checkouts.append(bool(k.get("is_writer"))) or real(*a, **k))
    stream = recorder.select_events(recorder.select_stream_ids()[0])
    head = recorder.max_notification_id()
    with pytest.raises(IntegrityError):  # the same stream and version again: refused by SQLite, rolled back
        recorder.insert_events([stream[0]])
    assert recorder.max_notification_id() == head
    assert True not in pool_checkouts  # no writer connection was checked out of the pool
    ledger.close()
    assert not (directory / "ledger.sqlite-wal").exists() and not (directory / "ledger.sqlite-shm").exists()
