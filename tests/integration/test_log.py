"""The log as a reader uses it: proofs are lookups of stored nodes, and agree with RFC 9162.

Every proof the ledger serves is compared with the reference recursion straight from the
RFC (``merkle.*_from_leaves``) and verified against signed checkpoints, on SQLite and
PostgreSQL. The seal is part of the event transaction: if sealing fails, nothing is stored.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from conftest import Backend, World

from ledger import home, merkle
from ledger.errors import DantinError
from ledger.note import open_checkpoint
from ledger.sealer import frontier_coords, iter_leaves, state_leaf_hash


def _profiles(world: World, start: int, count: int) -> list[dict[str, Any]]:
    return [
        world.sign(world.committee, "person.profiled", world.lang_ma,
                   {"person": f"p{start + i}", "name": f"Người {start + i}"})
        for i in range(count)
    ]


def _grow(world: World, sizes: list[int]) -> None:
    start = 0
    for size in sizes:
        world.accept(*_profiles(world, start, size))
        start += size


def _leaf_hashes(world: World) -> list[bytes]:
    assert world.ledger.sealer is not None
    return [leaf.hash for leaf in iter_leaves(world.ledger.sealer.store)]


def test_proofs_match_the_rfc_recursion_and_verify_against_checkpoints(world: World) -> None:
    _grow(world, [1, 2, 3, 7, 16, 1, 1, 30])
    ledger = world.ledger
    leaves = _leaf_hashes(world)
    size = ledger.log_size()
    assert size == len(leaves) == world.position()
    rng = random.Random(7)
    for n in sorted({1, 2, 3, size, *rng.sample(range(1, size + 1), 12)}):
        for i in sorted({0, n - 1, *rng.sample(range(n), min(n, 4))}):
            proof = ledger.inclusion_proof(i, n)
            assert proof == merkle.inclusion_proof_from_leaves(i, leaves[:n])
            merkle.verify_inclusion(leaves[i], i, n, proof, merkle.root_from_leaves(leaves[:n]))
        for m in sorted({1, n, *rng.sample(range(1, n + 1), min(n, 4))}):
            assert ledger.consistency_proof(m, n) == merkle.consistency_proof_from_leaves(m, leaves[:n])


def test_every_published_checkpoint_is_signed_and_consistent_with_the_latest(world: World, backend: Backend) -> None:
    _grow(world, [5, 5, 5])
    ledger = world.ledger
    latest = ledger.publish_checkpoint()
    assert latest is not None and latest.size == ledger.log_size()
    log = home.log_verifier(backend.directory)
    rows = ledger.checkpoints()
    assert rows and rows[-1] == latest
    for row in rows:
        checkpoint, _ = open_checkpoint(row.note, log)
        assert (checkpoint.size, checkpoint.root_hash) == (row.size, row.root)
        merkle.verify_consistency(row.size, latest.size, ledger.consistency_proof(row.size, latest.size),
                                  row.root, latest.root)


def test_entry_bytes_hash_to_their_leaf_and_receipts_name_their_leaf(world: World) -> None:
    receipts = world.accept(*_profiles(world, 0, 4))
    for receipt in receipts:
        leaf = world.ledger.leaf(receipt.index)
        assert (leaf.stream, leaf.version, leaf.notification_id) == (
            receipt.stream, receipt.version, receipt.notification_id)
        assert leaf.hash.hex() == receipt.hash
        assert merkle.leaf_hash(world.ledger.entry(receipt.index)) == leaf.hash
    assert [r.index for r in receipts] == list(range(receipts[0].index, receipts[0].index + 4))


def test_out_of_range_requests_are_typed_errors(world: World) -> None:
    size = world.ledger.log_size()
    for call in (lambda: world.ledger.inclusion_proof(size, size),
                 lambda: world.ledger.inclusion_proof(0, size + 1),
                 lambda: world.ledger.consistency_proof(0, size),
                 lambda: world.ledger.consistency_proof(2, 1),
                 lambda: world.ledger.leaf(size)):
        with pytest.raises(DantinError) as caught:
            call()
        assert caught.value.code == "out_of_range"


def test_a_failed_seal_stores_nothing_and_the_ledger_carries_on(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = world.ledger
    assert ledger.sealer is not None

    def rows() -> int:
        return len(ledger.recorder.select_notifications(start=1, limit=10_000))

    before = (rows(), ledger.log_size())

    def broken(*_: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ledger.sealer, "seal", broken)
    with pytest.raises(RuntimeError):
        world.submit(_profiles(world, 0, 3))
    assert (rows(), ledger.log_size()) == before
    monkeypatch.undo()
    world.accept(*_profiles(world, 0, 3))
    assert ledger.log_size() == before[1] + 3 == rows()  # notification ids may skip: leaves do not


def test_close_publishes_a_checkpoint_that_covers_every_acknowledged_event(world: World, backend: Backend) -> None:
    for i in range(5):  # one by one, faster than the publishing interval
        world.accept(*_profiles(world, i, 1))
    size = world.ledger.log_size()
    backend.close()
    reopened = backend.open()
    latest = reopened.checkpoint()
    assert latest is not None and latest.size == size


def test_a_ledger_whose_nodes_are_lost_gets_them_back_from_its_leaves(world: World, backend: Backend) -> None:
    _grow(world, [9, 4])
    leaves = _leaf_hashes(world)
    assert world.ledger.sealer is not None
    world.ledger.sealer.store.execute("DELETE FROM dantin_nodes")
    backend.close()
    ledger = backend.open()
    n = len(leaves)
    assert ledger.inclusion_proof(3, n) == merkle.inclusion_proof_from_leaves(3, leaves)
    assert ledger.sealer is not None
    assert ledger.sealer.root(n) == merkle.root_from_leaves(leaves)
    world.ledger = ledger
    world.accept(*_profiles(world, 100, 2))  # and it continues from the rebuilt frontier
    leaves = _leaf_hashes(world)
    assert ledger.sealer.root(len(leaves)) == merkle.root_from_leaves(leaves)


def test_leaves_are_the_stored_rows_in_notification_order(world: World) -> None:
    _grow(world, [3, 1, 6])
    rows = world.ledger.recorder.select_notifications(start=1, limit=10_000)
    leaves = _leaf_hashes(world)
    assert [state_leaf_hash(r.state) for r in rows] == leaves
    assert frontier_coords(13) == [(3, 0), (2, 2), (0, 12)]


def test_a_replayed_envelope_gets_its_original_receipt(world: World) -> None:
    envelopes = _profiles(world, 0, 3)
    receipts = world.accept(*envelopes)
    [again] = world.submit([envelopes[1]])
    assert getattr(again, "code", None) == "replay"
    assert world.ledger.receipt_of(envelopes[1]) == receipts[1]
    assert world.ledger.receipt_of(_profiles(world, 50, 1)[0]) is None  # never submitted


def test_a_checkpoint_of_any_past_size_is_the_one_signed_then(world: World) -> None:
    ledger = world.ledger
    assert ledger.sealer is not None
    signed = []
    for i in range(4):  # one by one, faster than the publishing interval: most are signed, not stored
        world.accept(*_profiles(world, 10 * i, 2))
        assert ledger.sealer.latest is not None
        signed.append(ledger.sealer.latest)
    for row in signed:
        assert ledger.signed_checkpoint(row.size) == row  # Ed25519 is deterministic: the same note, byte for byte
    assert ledger.signed_checkpoint(ledger.log_size() + 1) is None


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_proofs_carry_on_when_the_server_drops_the_read_connection(world: World, backend: Backend) -> None:
    """PostgreSQL proofs use the recorder's own connection (no pool checkout); if the server drops
    it, one read may fail with a typed storage error, and the next one reconnects."""
    import psycopg
    from conftest import PG_ADMIN_URL
    from eventsourcing.persistence import PersistenceError

    _grow(world, [9])
    leaves = _leaf_hashes(world)
    ledger = world.ledger
    n = len(leaves)
    assert ledger.inclusion_proof(3, n) == merkle.inclusion_proof_from_leaves(3, leaves)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        reader = ledger.recorder._reader  # type: ignore[attr-defined]
        assert reader is not None and not reader.closed
        admin.execute("SELECT pg_terminate_backend(%s)", (reader.info.backend_pid,))
    failures = 0
    for _ in range(3):
        try:
            assert ledger.inclusion_proof(n - 2, n) == merkle.inclusion_proof_from_leaves(n - 2, leaves)
        except PersistenceError:
            failures += 1
    assert failures <= 1
    assert ledger.consistency_proof(4, n) == merkle.consistency_proof_from_leaves(4, leaves)


def test_the_newest_leafs_proof_comes_from_memory_and_is_the_rfcs(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A receipt asks for the proof of the leaf just sealed, in the tree ending with it: the sealer
    keeps it (the frontier before that leaf) instead of reading nodes back."""
    ledger = world.ledger
    assert ledger.sealer is not None
    receipts = []
    for i in range(9):  # one by one, then a batch: every tree size from here on has a different shape
        receipts.extend(world.accept(*_profiles(world, i, 1)))
    receipts.extend(world.accept(*_profiles(world, 100, 5)))
    leaves = _leaf_hashes(world)
    reads = {"n": 0}
    real = ledger.sealer.store.seal_transaction

    def counted(*, write: bool) -> Any:
        reads["n"] += not write
        return real(write=write)

    monkeypatch.setattr(ledger.sealer.store, "seal_transaction", counted)
    last = receipts[-1]
    assert ledger.inclusion_proof(last.index, last.index + 1) == merkle.inclusion_proof_from_leaves(
        last.index, leaves[:last.index + 1])
    assert reads["n"] == 0
    for r in receipts[:-1]:  # older leaves, and the newest in a larger tree, are read from the store
        n = r.index + 1
        assert ledger.inclusion_proof(r.index, n) == merkle.inclusion_proof_from_leaves(r.index, leaves[:n])
    assert reads["n"] == len(receipts) - 1
