"""Witnesses over real ledgers: they cosign one growing history and refuse a split view.

A split view is a log showing different histories to different readers. Here the
"server" runs two ledgers under ONE log key and origin (the fork has its own events from
the start: genesis entries carry their receipt time, so two ledgers never share bytes) and
shows each to the same witness. The witness, holding the checkpoint it last cosigned,
refuses the fork even though the fork's checkpoint and consistency proof are both
genuinely produced by the log's key and storage. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from conftest import PG_ADMIN_URL, Backend, World, _require_postgres, build_world

from ledger import home
from ledger.note import Checkpoint, CosignatureSigner, NoteSigner, NoteVerifier, open_checkpoint, sign_note
from ledger.signing import SigningKey
from ledger.witness import (
    DEFAULT_POLICY,
    Policy,
    WitnessError,
    add_cosignature,
    cosign,
    cosigned,
    read_witness_file,
    witness_ledger,
    witnessed_checkpoint,
)

FRONT = "qng.bato.badien/front"
NOW = 1_700_000_000


def enrol_front(world: World, body: str = FRONT) -> None:
    key = SigningKey.generate()
    world.accept(world.enrolment(world.standing, body, "commune_front", "Ban Thường trực UBMTTQ xã Ba Điền",
                                 world.badien, key))
    world.keys[body] = key


def grow(world: World, tag: str, n: int = 3) -> None:
    world.accept(*[world.sign(world.cell, "person.profiled", world.lang_ma,
                              {"person": f"{tag}{i}", "name": f"Đinh Văn {tag}{i}"}) for i in range(n)])
    world.ledger.publish_checkpoint()


def log_of(backend: Backend) -> NoteVerifier:
    return home.log_verifier(backend.directory)


def run_witness(world: World, backend: Backend, body: str, tmp_path: Path, now: int = NOW) -> int:
    state = tmp_path / "witnesses" / f"{body.replace('/', '__')}.json"
    return witness_ledger(world.ledger, world.keys[body], body, state, log_of(backend), now=now).size


def state_path(tmp_path: Path, body: str) -> Path:
    return tmp_path / "witnesses" / f"{body.replace('/', '__')}.json"


@pytest.fixture
def fork(backend: Backend, tmp_path: Path) -> Iterator[Backend]:
    """A second ledger location of the same kind (a directory, or a PostgreSQL schema)."""
    if backend.database is None:
        other = Backend("sqlite", tmp_path / "fork", None)
        yield other
        other.close()
        return
    _require_postgres()
    schema = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    other = Backend("postgres", tmp_path / "fork", f"{PG_ADMIN_URL}?schema={schema}")
    try:
        yield other
    finally:
        other.close()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_witnesses_cosign_a_growing_log_and_the_policy_says_when_it_is_witnessed(
    world: World, backend: Backend, tmp_path: Path
) -> None:
    enrol_front(world)
    world.ledger.publish_checkpoint()
    first = world.ledger.log_size()
    assert run_witness(world, backend, world.inspection, tmp_path) == first
    assert witnessed_checkpoint(world.ledger) is None  # the inspection commission alone is not enough
    assert run_witness(world, backend, FRONT, tmp_path) == first
    found = witnessed_checkpoint(world.ledger)
    assert found is not None and found.size == first
    assert found.witnesses == {world.inspection: "inspection", FRONT: "commune_front"}
    cosigners = [CosignatureSigner.from_private_bytes(b, world.keys[b].seed()).verifier()
                 for b in (world.inspection, FRONT)]
    _, opened = open_checkpoint(found.note, log_of(backend), cosigners=cosigners)
    assert len(opened.verified) == 3 and not opened.unverified

    grow(world, "a")
    second = world.ledger.log_size()
    assert run_witness(world, backend, world.inspection, tmp_path, NOW + 60) == second  # a consistent extension
    assert read_witness_file(state_path(tmp_path, world.inspection)).logs["dantin.qng/log"].size == second
    assert witnessed_checkpoint(world.ledger).size == first  # type: ignore[union-attr]  # the Front has not yet
    assert run_witness(world, backend, FRONT, tmp_path, NOW + 60) == second
    assert witnessed_checkpoint(world.ledger).size == second  # type: ignore[union-attr]
    stored = world.ledger.recorder.select_cosignatures()  # type: ignore[attr-defined]
    assert [(r.size, r.witness) for r in stored] == [(first, FRONT), (first, world.inspection),
                                                    (second, FRONT), (second, world.inspection)]


def test_split_view_a_witness_refuses_a_fork_shown_under_the_same_log_key(
    world: World, backend: Backend, fork: Backend, tmp_path: Path
) -> None:
    grow(world, "a")
    seen = run_witness(world, backend, world.inspection, tmp_path)
    path = state_path(tmp_path, world.inspection)
    state = read_witness_file(path).logs["dantin.qng/log"]

    forked = build_world(fork)  # the operator's second database, other events from the start
    seed = SigningKey.from_pem((backend.directory / home.LOG_KEY).read_bytes()).seed()
    forked.ledger.attach_log_key("dantin.qng/log", seed)  # ... signed with the same log key
    grow(forked, "b", n=seen)  # and longer than what the witness saw
    row = forked.ledger.checkpoint()
    assert row is not None and row.size > seen
    log = log_of(backend)
    open_checkpoint(row.note, log)  # a genuine checkpoint of the log key: only the witness can tell
    proof = forked.ledger.consistency_proof(seen, row.size)  # the fork's own, honest proof
    signer = CosignatureSigner.from_private_bytes(world.inspection, world.keys[world.inspection].seed())
    with pytest.raises(WitnessError) as refused:
        cosign(state, row.note, proof, log, NOW, signer=signer)
    assert refused.value.code == "witness_inconsistent" and "rẽ nhánh" in refused.value.message_vi
    with pytest.raises(WitnessError) as refused:  # nor the fork's checkpoint at the very same size
        cosign(state, _signed_at(forked, seen), [], log, NOW, signer=signer)
    assert refused.value.code == "witness_inconsistent"
    assert read_witness_file(path).logs["dantin.qng/log"] == state  # nothing changed by the refusals

    grow(world, "c")  # the real log goes on, consistently: still cosigned
    assert run_witness(world, backend, world.inspection, tmp_path) == world.ledger.log_size()


def _signed_at(world: World, size: int) -> str:
    """A checkpoint of the first ``size`` leaves, signed by the ledger's log key."""
    assert world.ledger.sealer is not None and world.ledger.sealer.signer is not None
    root = world.ledger.sealer.root(size)
    return sign_note(Checkpoint("dantin.qng/log", size, root).format(), [world.ledger.sealer.signer])


def test_a_witness_refuses_to_go_back_to_a_smaller_checkpoint(world: World, backend: Backend, tmp_path: Path) -> None:
    world.ledger.publish_checkpoint()
    older = world.ledger.checkpoint()
    grow(world, "a")
    newer = run_witness(world, backend, world.inspection, tmp_path)
    assert older is not None and older.size < newer
    state = read_witness_file(state_path(tmp_path, world.inspection)).logs["dantin.qng/log"]
    signer = CosignatureSigner.from_private_bytes(world.inspection, world.keys[world.inspection].seed())
    with pytest.raises(WitnessError) as refused:
        cosign(state, older.note, [], log_of(backend), NOW, signer=signer)
    assert refused.value.code == "witness_rollback"


def witness_status_of(world: World) -> list[object]:
    """The cosignatures the ledger holds."""
    store = world.ledger.sealer.store  # type: ignore[union-attr]
    return list(store.select_cosignatures())  # type: ignore[attr-defined]


def test_the_ledger_stores_only_cosignatures_of_enrolled_witnesses_keys(world: World, backend: Backend) -> None:
    enrol_front(world)
    row = world.ledger.publish_checkpoint()
    assert row is not None
    log = log_of(backend)

    def line(body: str, key: SigningKey) -> str:
        return cosign(None, row.note, [], log, NOW, signer=CosignatureSigner.from_private_bytes(body, key.seed())).line

    def refusal(text: str, **kw: object) -> str:
        with pytest.raises(WitnessError) as refused:
            add_cosignature(world.ledger, text, **kw)  # type: ignore[arg-type]
        return refused.value.code

    assert refusal(line(world.cell, world.keys[world.cell])) == "unknown_witness"  # a cell is not a witness
    assert refusal(line(world.inspection, SigningKey.generate())) == "bad_cosignature"  # not its enrolled key
    assert refusal(line("qng.bato/nobody", SigningKey.generate())) == "unknown_witness"
    assert refusal(line(world.inspection, world.keys[world.inspection]), size=row.size + 7) == "bad_checkpoint"
    good = line(world.inspection, world.keys[world.inspection])
    assert refusal(good.replace(good[-20:-10], "A" * 10)) in {"bad_cosignature"}
    # A note refused for one of its lines stores none of them, not the good ones before it.
    assert refusal(row.note + good + line(world.cell, world.keys[world.cell])) == "unknown_witness"
    assert witness_status_of(world) == []
    # A whole note carrying cosignatures is accepted as well as a single line.
    stored = add_cosignature(world.ledger, row.note + good + line(FRONT, world.keys[FRONT]))
    assert {r.witness for r in stored} == {world.inspection, FRONT}
    assert witnessed_checkpoint(world.ledger).size == row.size  # type: ignore[union-attr]


def test_a_revoked_witness_key_no_longer_counts(world: World, backend: Backend, tmp_path: Path) -> None:
    enrol_front(world)
    world.ledger.publish_checkpoint()
    run_witness(world, backend, world.inspection, tmp_path)
    run_witness(world, backend, FRONT, tmp_path)
    assert witnessed_checkpoint(world.ledger) is not None
    front_key = world.keys[FRONT].public.key_id
    world.accept(world.sign(world.standing, "key.revoked", world.badien,
                            {"body": FRONT, "key": front_key, "reason": "Khóa bị lộ"}))
    assert witnessed_checkpoint(world.ledger) is None
    latest = world.ledger.checkpoint()
    assert latest is not None
    with pytest.raises(WitnessError) as refused:  # nor may it cosign again
        run_witness(world, backend, FRONT, tmp_path)
    assert refused.value.code == "unknown_witness"


def test_a_stricter_policy_needs_more_witnesses(world: World, backend: Backend, tmp_path: Path) -> None:
    enrol_front(world)
    enrol_front(world, "qng.bato/front")
    world.ledger.publish_checkpoint()
    two_fronts = Policy.from_json({"groups": [{"kinds": ["commune_front"], "need": 2}]})
    run_witness(world, backend, FRONT, tmp_path)
    assert witnessed_checkpoint(world.ledger, two_fronts) is None
    run_witness(world, backend, "qng.bato/front", tmp_path)
    found = witnessed_checkpoint(world.ledger, two_fronts)
    assert found is not None and set(found.witnesses) == {FRONT, "qng.bato/front"}
    assert witnessed_checkpoint(world.ledger, DEFAULT_POLICY) is None  # no inspection commission yet
    assert cosigned(world.ledger, world.ledger.checkpoint(), DEFAULT_POLICY).witnesses.keys() == {  # type: ignore[arg-type]
        FRONT, "qng.bato/front"}


def test_a_witness_keeps_to_its_own_state_file_and_refuses_what_it_may_not_sign(
    world: World, backend: Backend, tmp_path: Path
) -> None:
    enrol_front(world)
    world.ledger.publish_checkpoint()
    run_witness(world, backend, world.inspection, tmp_path)
    theirs = state_path(tmp_path, world.inspection)
    with pytest.raises(WitnessError) as refused:
        witness_ledger(world.ledger, world.keys[FRONT], FRONT, theirs, log_of(backend))
    assert refused.value.code == "witness_state"
    with pytest.raises(WitnessError) as refused:
        witness_ledger(world.ledger, world.keys[world.cell], world.cell, tmp_path / "cell.json", log_of(backend))
    assert refused.value.code == "unknown_witness"
    with pytest.raises(WitnessError) as refused:
        witness_ledger(world.ledger, SigningKey.generate(), FRONT, tmp_path / "f.json", log_of(backend))
    assert refused.value.code == "unknown_witness"
    # The log key is pinned at first use: a later run trusts the pinned key, not what it is handed.
    wrong = NoteSigner.from_private_bytes("dantin.qng/log", SigningKey.generate().seed()).verifier()
    assert witness_ledger(world.ledger, world.keys[world.inspection], world.inspection, theirs, wrong).size > 0


def test_a_ledger_older_than_cosignatures_read_only_has_none(world: World, backend: Backend) -> None:
    """``dantin checkpoint``, ``witness status`` and ``bundle`` open the ledger read only, so
    nothing creates a table a ledger made before cosignatures were kept lacks: it has none."""
    row = world.ledger.publish_checkpoint()
    assert row is not None and world.ledger.sealer is not None
    world.ledger.sealer.store.execute("DROP TABLE dantin_cosignatures")
    reader = home.open_ledger(backend.directory, backend.database, read_only=True)
    backend.opened.append(reader)
    assert reader.recorder.select_cosignatures() == []  # type: ignore[attr-defined]
    assert reader.recorder.select_cosignatures(row.size) == []  # type: ignore[attr-defined]
    assert witnessed_checkpoint(reader) is None  # no witness yet, no crash
