"""``dantin witness serve`` speaks C2SP tlog-witness: its ``add-checkpoint``, status by status.

The log it witnesses first is not ours: the tessera testdata log of the shared vectors (its
checkpoints signed by transparency-dev's key, its consistency proofs computed from its tiles).
A witness that cosigns that log checkpoint by checkpoint, and refuses what the specification
says to refuse with the status it names, speaks the protocol, not our dialect of it.
"""

from __future__ import annotations

import base64
import re
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from test_tlog_fixture import ABOUT, FIXTURE, level0_hashes

from api.witness_app import create_witness_app
from ledger.merkle import consistency_proof_from_leaves, leaf_hash, root_from_leaves
from ledger.note import Checkpoint, CosignatureSigner, NoteSigner, NoteVerifier, open_checkpoint, sign_note
from ledger.signing import b64encode
from ledger.tlog_witness import TLOG_SIZE, AddCheckpointError, HttpWitness, request_body
from ledger.witness import TrustedLog, WitnessError, WitnessState, locked, read_witness_file, write_witness_file

TESSERA = NoteVerifier.from_vkey(ABOUT["verifier_key"])
LEAVES = level0_hashes(15)


def checkpoint(size: int) -> str:
    return (FIXTURE / f"checkpoint.{size}").read_text(encoding="utf-8")


def proof(old: int, new: int) -> list[bytes]:
    return consistency_proof_from_leaves(old, LEAVES[:new]) if 0 < old < new else []


@pytest.fixture
def signer() -> CosignatureSigner:
    return CosignatureSigner.generate("qng.bato/inspection")


@pytest.fixture
def witness(signer: CosignatureSigner, tmp_path: Path) -> HttpWitness:
    return HttpWitness.open(signer, tmp_path / "witness.json", [TESSERA])


@pytest.fixture
def client(witness: HttpWitness) -> TestClient:
    return TestClient(create_witness_app(witness), base_url="http://witness.example")


def post(client: TestClient, old: int, nodes: list[bytes], note: str) -> object:
    return client.post("/add-checkpoint", content=request_body(old, nodes, note))


def test_a_foreign_log_is_cosigned_checkpoint_by_checkpoint(client: TestClient, signer: CosignatureSigner,
                                                            witness: HttpWitness) -> None:
    old = 0
    for size in range(1, 16):
        response = client.post("/add-checkpoint", content=request_body(old, proof(old, size), checkpoint(size)))
        assert response.status_code == 200, (size, response.text)
        [line] = response.text.splitlines(keepends=True)
        # The answer is a tlog-cosignature/v1 line of this witness over that very checkpoint.
        _, opened = open_checkpoint(checkpoint(size) + line, TESSERA, cosigners=[signer.verifier()])
        assert opened.signed_by(signer.verifier()) and opened.signed_by(TESSERA)
        state = read_witness_file(witness.state_path)
        assert state.name == signer.name and state.logs[TESSERA.name].size == size  # on disk before the answer
        old = size
    # The same checkpoint again: cosigned again, with no proof.
    assert post(client, 15, [], checkpoint(15)).status_code == 200  # type: ignore[attr-defined]


def test_an_old_size_other_than_the_last_cosigned_is_409_with_that_size(client: TestClient) -> None:
    assert post(client, 0, [], checkpoint(7)).status_code == 200  # type: ignore[attr-defined]
    for old in (0, 3, 8):
        response = client.post("/add-checkpoint", content=request_body(old, proof(old, 9), checkpoint(9)))
        assert response.status_code == 409
        assert response.headers["content-type"] == TLOG_SIZE and response.text == "7\n"
    assert client.post("/add-checkpoint", content=request_body(7, proof(7, 9), checkpoint(9))).status_code == 200


def test_what_the_specification_refuses_gets_its_status(client: TestClient) -> None:
    assert post(client, 0, [], checkpoint(5)).status_code == 200  # type: ignore[attr-defined]

    def status(body: bytes) -> tuple[int, str]:
        response = client.post("/add-checkpoint", content=body)
        code = response.json()["code"] if response.headers["content-type"].startswith("application/problem") else ""
        assert not code or any(ord(c) > 127 for c in response.json()["detail"])  # said in Vietnamese
        return response.status_code, code

    # A proof that does not lead from 5 to 9 (it leads from 4).
    assert status(request_body(5, proof(4, 9), checkpoint(9))) == (422, "bad_proof")
    assert status(request_body(5, [], checkpoint(9))) == (422, "bad_proof")
    # A log the witness was not told to trust.
    stranger = NoteSigner.generate("example.org/another-log")
    note = sign_note(Checkpoint(stranger.name, 3, root_from_leaves(LEAVES[:3])).format(), [stranger])
    assert status(request_body(0, [], note)) == (404, "unknown_log")
    # The trusted origin, signed by another key of the same name.
    impostor = NoteSigner.generate(TESSERA.name)
    forged = sign_note(Checkpoint(TESSERA.name, 9, root_from_leaves(LEAVES[:9])).format(), [impostor])
    assert status(request_body(5, proof(5, 9), forged)) == (403, "bad_checkpoint")
    # Not in the protocol's form.
    assert status(request_body(10, [], checkpoint(9))) == (400, "malformed")  # old above the checkpoint
    assert status(b"old 5\n" + checkpoint(9).encode())[0] == 400  # no empty line
    assert status(b"old 05\n\n" + checkpoint(9).encode()) == (400, "malformed")  # a leading zero
    assert status(b"old 5\nnot-base64\n\n" + checkpoint(9).encode()) == (400, "malformed")
    assert status(request_body(5, [b"\0" * 32] * 64, checkpoint(9))) == (400, "malformed")  # over 63 lines
    assert status(b"\xff\xfe") == (400, "malformed")
    assert status(b"old 5\n\n\n" + checkpoint(9).encode()) == (400, "malformed")  # two blank lines (was 404 '')
    assert status(request_body(5, proof(5, 9), checkpoint(9)).rstrip(b"\n")) == (400, "malformed")  # (was 403)
    assert status(b"x" * (70 * 1024))[0] == 413
    # After every refusal the witness is where it was.
    response = client.post("/add-checkpoint", content=request_body(0, [], checkpoint(9)))
    assert response.status_code == 409 and response.text == "5\n"


def test_the_same_size_with_another_root_is_a_fork_409(tmp_path: Path, signer: CosignatureSigner) -> None:
    log = NoteSigner.generate("example.org/log")
    leaves = [leaf_hash(bytes([i])) for i in range(8)]
    forked = [*leaves[:5], leaf_hash(b"khac"), *leaves[6:]]

    def note(hashes: list[bytes], size: int) -> str:
        return sign_note(Checkpoint(log.name, size, root_from_leaves(hashes[:size])).format(), [log])

    client = TestClient(create_witness_app(HttpWitness.open(signer, tmp_path / "w.json", [log.verifier()])))
    assert client.post("/add-checkpoint", content=request_body(0, [], note(leaves, 8))).status_code == 200
    fork = client.post("/add-checkpoint", content=request_body(8, [], note(forked, 8)))
    assert fork.status_code == 409 and fork.json()["code"] == "witness_inconsistent"
    # And a fork that grows: no consistency proof from the witnessed tree leads to it.
    longer = [*forked, leaf_hash(b"9")]
    grown = client.post("/add-checkpoint", content=request_body(
        8, consistency_proof_from_leaves(8, longer), note(longer, 9)))
    assert grown.status_code == 422 and grown.json()["code"] == "bad_proof"


def test_racing_requests_from_one_state_are_cosigned_once(witness: HttpWitness) -> None:
    """The specification's rollback race: the old size checked and the new state recorded as one step."""
    witness.add_checkpoint(request_body(0, [], checkpoint(4)))
    outcomes: list[int] = []
    lock = threading.Lock()

    def send(size: int) -> None:
        try:
            witness.add_checkpoint(request_body(4, proof(4, size), checkpoint(size)))
            result = 200
        except AddCheckpointError as exc:
            result = exc.status
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=send, args=(size,)) for size in range(5, 16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [200] + [409] * 10
    assert read_witness_file(witness.state_path).logs[TESSERA.name].size > 4


def test_a_witness_keeps_its_pinned_log_key_and_its_name(tmp_path: Path, signer: CosignatureSigner) -> None:
    state = tmp_path / "w.json"
    HttpWitness.open(signer, state, [TESSERA]).add_checkpoint(request_body(0, [], checkpoint(3)))
    again = HttpWitness.open(signer, state, [])  # the pinned log is trusted without being named again
    with pytest.raises(AddCheckpointError) as conflict:
        again.add_checkpoint(request_body(0, [], checkpoint(6)))
    assert conflict.value.status == 409 and conflict.value.size == 3
    other_key = NoteSigner.generate(TESSERA.name).verifier()
    with pytest.raises(WitnessError, match="khóa khác"):
        HttpWitness.open(signer, state, [other_key])
    with pytest.raises(WitnessError, match=re.escape("nhân chứng 'qng.bato/inspection'")):
        HttpWitness.open(CosignatureSigner.generate("qng.bato.badien/front"), state, [TESSERA])
    with pytest.raises(WitnessError, match="--log-key"):
        HttpWitness.open(signer, tmp_path / "new.json", [])


def test_the_body_is_the_specifications_bytes() -> None:
    node = bytes(range(32))
    assert request_body(3, [node], "o\n1\nr\n\n— o x\n") == (
        b"old 3\n" + b64encode(node).encode() + b"\n\no\n1\nr\n\n\xe2\x80\x94 o x\n")


def test_a_body_without_a_checkpoint_is_400(client: TestClient) -> None:
    for body in (b"old 0\n\n", b"old 0\n\n\n", b"old 0\n\nexample.com/log/testdata\n"):
        response = client.post("/add-checkpoint", content=body)
        assert response.status_code == 400 and response.json()["code"] == "malformed", body


def test_its_own_state_changed_under_it_is_refused_with_the_right_status(witness: HttpWitness,
                                                                        client: TestClient) -> None:
    """The state file is shared with ``dantin witness cosign``: a key pinned there meanwhile for the
    log is 403 (no key it trusts signed), a state file it cannot read is 500, never a 422 (which the
    specification keeps for a consistency proof that fails)."""
    other = NoteSigner.generate(TESSERA.name).verifier()
    with locked(witness.state_path):
        state = read_witness_file(witness.state_path)
        write_witness_file(witness.state_path, replace(state, name=witness.signer.name, logs={
            TESSERA.name: WitnessState(TESSERA.name, 0, b"\0" * 32, other.vkey())}))
    response = client.post("/add-checkpoint", content=request_body(0, [], checkpoint(3)))
    assert response.status_code == 403 and response.json()["code"] == "bad_checkpoint"
    witness.state_path.write_text("{không phải JSON", encoding="utf-8")
    response = client.post("/add-checkpoint", content=request_body(0, [], checkpoint(3)))
    assert response.status_code == 500 and response.json()["code"] == "witness_state"


def test_signatures_of_keys_it_does_not_know_are_ignored_however_written(client: TestClient,
                                                                          signer: CosignatureSigner) -> None:
    """C2SP: a witness MUST ignore signatures from unknown keys. Another witness's line whose base64
    has nonzero padding bits (Go's ``note.Open`` reads it, as the log's own tools do) was a 403."""
    lenient = "A" * 90 + "B="  # 68 bytes of zeros for a lenient decoder, not canonical base64
    assert base64.b64decode(lenient) == bytes(68) and base64.b64encode(bytes(68)).decode() != lenient
    note = checkpoint(5) + f"— witness.example/w1 {lenient}\n— example.org/other {base64.b64encode(bytes(9)).decode()}\n"
    response = post(client, 0, [], note)
    assert response.status_code == 200, response.text  # type: ignore[attr-defined]
    _, opened = open_checkpoint(checkpoint(5) + response.text, TESSERA,  # type: ignore[attr-defined]
                                cosigners=[signer.verifier()])
    assert opened.signed_by(signer.verifier())
    # A line of the log's own key (its name and key ID) that fails is still refused.
    bad = base64.b64encode(TESSERA.key_id.to_bytes(4, "big") + bytes(64)).decode()
    forged = checkpoint(6) + f"— {TESSERA.name} {bad}\n"
    assert post(client, 5, proof(5, 6), forged).status_code == 403  # type: ignore[attr-defined]


def test_a_clock_stepped_back_does_not_date_a_larger_tree_before_a_smaller_one(
        witness: HttpWitness, signer: CosignatureSigner) -> None:
    """cosignature/v1: "as of the time, this is the largest tree the witness saw". After its clock
    stepped back, the witness signed size 9 dated before the size 5 it had already cosigned."""
    from ledger.witness import parse_cosignature

    first = parse_cosignature(witness.add_checkpoint(request_body(0, [], checkpoint(5)), now=1_800_000_000))
    later = parse_cosignature(witness.add_checkpoint(request_body(5, proof(5, 9), checkpoint(9)), now=1_799_999_000))
    assert later.timestamp >= first.timestamp == 1_800_000_000
    _, opened = open_checkpoint(checkpoint(9) + later.line, TESSERA, cosigners=[signer.verifier()])
    assert opened.signed_by(signer.verifier())
    assert read_witness_file(witness.state_path).logs[TESSERA.name].time == later.timestamp  # kept across restarts
    # A clock that goes on moving forward is what it signs.
    assert parse_cosignature(witness.add_checkpoint(request_body(9, [], checkpoint(9)),
                                                    now=1_800_000_100)).timestamp == 1_800_000_100


def test_a_log_whose_key_name_is_not_its_origin_is_known_by_its_origin(tmp_path: Path,
                                                                       signer: CosignatureSigner) -> None:
    """C2SP: a log is identified by its checkpoints' origin line, and a signature line names the key that made
    it (signed-note); the two need not be equal (sum.golang.org's key signs the origin 'go.sum database tree').
    The witness keyed each log by its key's name: this log's checkpoints were 404 unknown log, and, once told the
    origin, 403 (the origin was checked against the key's name). Configured as ORIGIN + key, it cosigns them,
    pins them under the origin, and still refuses another key of the same name, and the origin signed by a key
    trusted for another origin."""
    origin = "go.sum database tree"
    log = NoteSigner.generate("sum.golang.org")
    leaves = [leaf_hash(bytes([i])) for i in range(6)]

    def note(size: int, by: NoteSigner = log, of: str = origin) -> str:
        return sign_note(Checkpoint(of, size, root_from_leaves(leaves[:size])).format(), [by])

    state = tmp_path / "w.json"
    witness = HttpWitness.open(signer, state, [TrustedLog(origin, log.verifier()), TESSERA])
    assert sorted(witness.logs) == sorted([origin, TESSERA.name])
    line = witness.add_checkpoint(request_body(0, [], note(3)))
    _, opened = open_checkpoint(note(3) + line, log.verifier(), origin=origin, cosigners=[signer.verifier()])
    assert opened.signed_by(signer.verifier())
    assert read_witness_file(state).logs[origin].size == 3
    witness.add_checkpoint(request_body(3, consistency_proof_from_leaves(3, leaves[:6]), note(6)))
    # Opened again without naming it: the pinned origin keeps its key.
    again = HttpWitness.open(signer, state, [TESSERA])
    assert again.logs[origin].vkey() == log.verifier().vkey()
    impostor = NoteSigner.generate("sum.golang.org")
    for forged in (note(6, impostor), note(6, log, TESSERA.name)):
        with pytest.raises(AddCheckpointError) as refused:
            again.add_checkpoint(request_body(6, [], forged))
        assert refused.value.status == 403
    # Its key's name is no log's origin.
    with pytest.raises(AddCheckpointError) as unknown:
        again.add_checkpoint(request_body(0, [], note(3, log, log.name)))
    assert unknown.value.status == 404
    # On the command line: `--log-key 'ORIGIN VKEY'` (an origin may hold spaces; a vkey never does).
    parsed = TrustedLog.parse(f"{origin} {log.verifier().vkey()}")
    assert (parsed.origin, parsed.key.vkey()) == (origin, log.verifier().vkey())
    assert TrustedLog.parse(TESSERA.vkey()).origin == TESSERA.name
