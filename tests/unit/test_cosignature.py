"""A witness cosigns only one history: C2SP tlog-cosignature lines, consistency, rollback, policy, state file."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.authority import BodyState, KeyState
from ledger.merkle import consistency_proof_from_leaves, leaf_hash, root_from_leaves
from ledger.note import (
    COSIGNATURE_V1,
    Checkpoint,
    CosignatureSigner,
    CosignatureVerifier,
    NoteSigner,
    key_id,
    open_checkpoint,
    sign_note,
)
from ledger.signing import SigningKey
from ledger.witness import (
    DEFAULT_POLICY,
    Group,
    Policy,
    WitnessError,
    WitnessFile,
    WitnessState,
    check_cosignature,
    cosign,
    parse_cosignature,
    read_witness_file,
    write_witness_file,
)

ORIGIN = "dantin.example/log"
WITNESS = "qng.bato/inspection"
NOW = 1_700_000_000


def leaves(n: int, fork_at: int | None = None) -> list[bytes]:
    """``n`` leaf hashes; from ``fork_at`` on, a different history."""
    return [leaf_hash(f"entry {i}{'-fork' if fork_at is not None and i >= fork_at else ''}".encode())
            for i in range(n)]


@pytest.fixture(scope="module")
def log() -> NoteSigner:
    return NoteSigner.generate(ORIGIN)


@pytest.fixture(scope="module")
def witness() -> CosignatureSigner:
    return CosignatureSigner.generate(WITNESS)


def note(log: NoteSigner, tree: list[bytes], origin: str = ORIGIN) -> str:
    return sign_note(Checkpoint(origin, len(tree), root_from_leaves(tree)).format(), [log])


def state_at(log: NoteSigner, tree: list[bytes]) -> WitnessState:
    return WitnessState(ORIGIN, len(tree), root_from_leaves(tree), log.verifier().vkey())


@contextlib.contextmanager
def refused(code: str) -> Iterator[None]:
    """A ``WitnessError`` with ``code`` and a Vietnamese message must be raised inside."""
    with pytest.raises(WitnessError) as info:
        yield
    assert info.value.code == code, (info.value.code, info.value.message_vi)
    assert any(ord(c) > 127 for c in info.value.message_vi), info.value.message_vi  # Vietnamese, with diacritics


def test_first_checkpoint_is_cosigned_with_a_c2sp_cosignature_line(log: NoteSigner, witness: CosignatureSigner) -> None:
    tree = leaves(5)
    result = cosign(None, note(log, tree), [], log.verifier(), NOW, signer=witness)
    assert result.state == replace(state_at(log, tree), time=NOW)  # the time it signed, kept in its state
    assert result.line.startswith(f"\u2014 {WITNESS} ") and result.line.endswith("\n")
    raw = base64.b64decode(result.line.split(" ")[2])
    assert len(raw) == 4 + 8 + 64  # key ID ‖ timestamp ‖ Ed25519 signature
    assert int.from_bytes(raw[:4], "big") == key_id(WITNESS, COSIGNATURE_V1, witness.public_key)
    assert int.from_bytes(raw[4:12], "big") == NOW
    # The signed message is "cosignature/v1\ntime <t>\n" + the checkpoint body: an independent check.
    body = Checkpoint(ORIGIN, 5, root_from_leaves(tree)).format()
    Ed25519PublicKey.from_public_bytes(witness.public_key).verify(
        raw[12:], f"cosignature/v1\ntime {NOW}\n{body}".encode())
    checkpoint, opened = open_checkpoint(note(log, tree) + result.line, log.verifier(), cosigners=[witness.verifier()])
    assert checkpoint.size == 5
    assert [(s.name, s.timestamp) for s in opened.verified] == [(ORIGIN, None), (WITNESS, NOW)]


def test_a_consistent_extension_is_cosigned(log: NoteSigner, witness: CosignatureSigner) -> None:
    old, new = leaves(5), leaves(13)
    proof = consistency_proof_from_leaves(5, new)
    result = cosign(state_at(log, old), note(log, new), proof, log.verifier(), NOW + 60, signer=witness)
    assert result.state == replace(state_at(log, new), time=NOW + 60)


def test_the_same_checkpoint_again_is_cosigned_again(log: NoteSigner, witness: CosignatureSigner) -> None:
    tree = leaves(7)
    assert cosign(state_at(log, tree), note(log, tree), [], log.verifier(), NOW, signer=witness).state.size == 7


def test_split_view_a_fork_with_a_valid_proof_of_its_own_is_refused(
    log: NoteSigner, witness: CosignatureSigner
) -> None:
    seen = leaves(8)
    fork = leaves(12, fork_at=6)  # the same log key, another history from leaf 6
    proof = consistency_proof_from_leaves(8, fork)  # honest for the fork, but not from what the witness saw
    with refused("witness_inconsistent"):
        cosign(state_at(log, seen), note(log, fork), proof, log.verifier(), NOW, signer=witness)


def test_the_same_size_with_another_root_is_refused(log: NoteSigner, witness: CosignatureSigner) -> None:
    with refused("witness_inconsistent"):
        cosign(state_at(log, leaves(8)), note(log, leaves(8, fork_at=7)), [], log.verifier(), NOW, signer=witness)


def test_a_smaller_tree_is_refused_as_rollback(log: NoteSigner, witness: CosignatureSigner) -> None:
    with refused("witness_rollback"):
        cosign(state_at(log, leaves(9)), note(log, leaves(4)), [], log.verifier(), NOW, signer=witness)


@pytest.mark.parametrize("damage", ["flip", "drop", "extra", "empty"])
def test_a_damaged_consistency_proof_is_refused(log: NoteSigner, witness: CosignatureSigner, damage: str) -> None:
    new = leaves(13)
    proof = consistency_proof_from_leaves(5, new)
    if damage == "flip":
        proof[0] = bytes([proof[0][0] ^ 1]) + proof[0][1:]
    elif damage == "drop":
        proof = proof[:-1]
    elif damage == "extra":
        proof = [*proof, bytes(32)]
    else:
        proof = []
    with refused("witness_inconsistent"):
        cosign(state_at(log, leaves(5)), note(log, new), proof, log.verifier(), NOW, signer=witness)


def test_a_checkpoint_not_signed_by_the_pinned_log_key_is_refused(log: NoteSigner, witness: CosignatureSigner) -> None:
    impostor = NoteSigner.generate(ORIGIN)
    with refused("bad_checkpoint"):
        cosign(None, note(impostor, leaves(3)), [], log.verifier(), NOW, signer=witness)
    with refused("bad_checkpoint"):  # signed by the log, but for another origin
        cosign(None, note(log, leaves(3), origin="other.example/log"), [], log.verifier(), NOW, signer=witness)
    with refused("bad_checkpoint"):  # the witness pinned another key for this origin
        cosign(state_at(impostor, leaves(3)), note(log, leaves(3)), [], log.verifier(), NOW, signer=witness)


# -- the witness's state file ------------------------------------------------------------------


def test_state_file_round_trips_and_is_replaced_atomically(tmp_path: Path, log: NoteSigner) -> None:
    path = tmp_path / "w" / "state.json"
    assert read_witness_file(path) == WitnessFile()  # a new witness has cosigned nothing
    state = state_at(log, leaves(6))
    write_witness_file(path, WitnessFile(WITNESS, {ORIGIN: state}))
    assert read_witness_file(path) == WitnessFile(WITNESS, {ORIGIN: state})
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]  # no temporary file left behind
    data = json.loads(path.read_text())
    assert data["logs"][ORIGIN]["size"] == 6 and data["name"] == WITNESS


@pytest.mark.parametrize("content", ["{", '{"witness_state": 2, "name": null, "logs": {}}',
                                     '{"witness_state": 1, "name": null, "logs": {"x": {"size": 1}}}'])
def test_a_damaged_state_file_stops_the_witness(tmp_path: Path, content: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(content)
    with refused("witness_state"):
        read_witness_file(path)


# -- cosignature lines and the witness body's keys -------------------------------------------------


def body(key: SigningKey, kind: str = "inspection", *, revoked: bool = False,
         valid_from: datetime | None = None) -> BodyState:
    return BodyState(WITNESS, kind, "Ủy ban Kiểm tra", "qng.bato", "qng/root",
                     {key.public.key_id: KeyState(key.public, valid_from, revoked)})


def test_a_cosignature_checks_against_the_witness_bodys_current_key(log: NoteSigner) -> None:
    key = SigningKey.generate()
    signer = CosignatureSigner.from_private_bytes(WITNESS, key.seed())
    tree = leaves(4)
    text = Checkpoint(ORIGIN, 4, root_from_leaves(tree)).format()
    line = cosign(None, note(log, tree), [], log.verifier(), NOW, signer=signer).line
    cosig = parse_cosignature(line)
    assert (cosig.witness, cosig.timestamp, cosig.line) == (WITNESS, NOW, line)
    check_cosignature(text, cosig, body(key), DEFAULT_POLICY)
    with refused("bad_cosignature"):
        check_cosignature(text.replace("\n4\n", "\n5\n"), cosig, body(key), DEFAULT_POLICY)
    with refused("bad_cosignature"):
        check_cosignature(text, cosig, body(key, revoked=True), DEFAULT_POLICY)
    with refused("bad_cosignature"):
        check_cosignature(text, cosig, body(key, valid_from=datetime.fromtimestamp(NOW + 1, UTC)), DEFAULT_POLICY)
    with refused("bad_cosignature"):
        check_cosignature(text, cosig, body(SigningKey.generate()), DEFAULT_POLICY)
    with refused("unknown_witness"):
        check_cosignature(text, cosig, body(key, kind="cell"), DEFAULT_POLICY)
    with refused("unknown_witness"):
        check_cosignature(text, cosig, None, DEFAULT_POLICY)


@pytest.mark.parametrize("line", [
    "qng.bato/inspection AAAA\n",
    "\u2014 qng.bato/inspection not-base64!\n",
    "\u2014 qng.bato/inspection " + base64.b64encode(bytes(72)).decode() + "\n",  # a plain Ed25519 signature
    "\u2014 a b\n\u2014 c d\n",
])
def test_malformed_cosignature_lines_are_refused(line: str) -> None:
    with refused("bad_cosignature"):
        parse_cosignature(line)


def test_cosignature_verifier_agrees_with_the_line_format(witness: CosignatureSigner, log: NoteSigner) -> None:
    tree = leaves(3)
    line = cosign(None, note(log, tree), [], log.verifier(), NOW, signer=witness).line
    verifier = CosignatureVerifier.from_vkey(witness.verifier().vkey())
    cosig = parse_cosignature(line)
    assert verifier.key_id == cosig.key_id
    assert verifier.verify(Checkpoint(ORIGIN, 3, root_from_leaves(tree)).format().encode(), cosig.signature)


# -- the policy ---------------------------------------------------------------------------------------


def test_default_policy_needs_the_inspection_commission_and_a_commune_front() -> None:
    policy = DEFAULT_POLICY
    assert policy.unmet({}) == list(policy.groups)
    assert policy.unmet({"qng.bato/inspection": "inspection"}) == [Group(1, kinds=("commune_front",))]
    assert not policy.unmet({"qng.bato/inspection": "inspection", "qng.bato.badien/front": "commune_front"})
    with refused("not_witnessed"):
        policy.require({"qng.bato.badien/front": "commune_front", "qng.bato.babich/front": "commune_front"})
    assert not policy.may_witness("qng.bato/standing", "district_standing")


def test_policy_k_of_n_over_named_bodies_and_kinds() -> None:
    policy = Policy.from_json({"groups": [{"bodies": ["a.b/x", "a.c/x", "a.d/x"], "need": 2},
                                          {"kinds": ["commune_front"], "need": 1}],
                               "witness_kinds": ["commune_front"]})
    assert policy.may_witness("a.b/x", "cell")  # named bodies may witness whatever their kind
    assert policy.unmet({"a.b/x": "cell", "q.r/f": "commune_front"}) == [policy.groups[0]]
    assert not policy.unmet({"a.b/x": "cell", "a.d/x": "cell", "q.r/f": "commune_front"})
    assert Policy.from_json(policy.to_json(), exact=True) == policy


@pytest.mark.parametrize("value", [
    {"groups": []},
    {"groups": [{"kinds": ["inspection"], "need": 0}]},
    {"groups": [{"kinds": ["inspection"], "need": True}]},
    {"groups": [{"kinds": ["inspectiom"], "need": 1}]},
    {"groups": [{"need": 1}]},
    {"groups": [{"kinds": ["inspection"], "need": 1, "extra": 1}]},
    {"groups": [{"kinds": ["inspection", "commune_front"], "need": 1}]},  # unsorted
    {"groups": [{"kinds": ["inspection"], "need": 1}], "witness_kinds": ["x"]},
    ["inspection"],
])
def test_malformed_policies_are_refused(value: object) -> None:
    with refused("bad_policy"):
        Policy.from_json(value)


def test_default_policy_round_trips_through_json_as_ledger_json_holds_it() -> None:
    text = json.dumps(DEFAULT_POLICY.to_json(), sort_keys=True)
    assert Policy.from_json(json.loads(text), exact=True) == DEFAULT_POLICY
