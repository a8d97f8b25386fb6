"""The log on the command line: key, checkpoints, proofs, witnesses and bundles, as a reader uses them.

Every proof the CLI prints is checked here with ``ledger.merkle`` and ``ledger.note`` alone,
against the checkpoint it prints and the key ``dantin log-key`` prints.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger.note import NoteVerifier, open_checkpoint

ROOT = Path(__file__).resolve().parents[2]
DANTIN = [sys.executable, "-m", "cli"]
DATA = json.loads((ROOT / "cli" / "data" / "bato.json").read_text(encoding="utf-8"))
COMMUNE = f"{DATA['district']['id']}.{DATA['communes'][0]['slug']}"
VILLAGE = f"{COMMUNE}.{DATA['communes'][0]['villages'][0][0]}"
INSPECTION = "qng.bato/inspection"
FRONT = f"{COMMUNE}/commune_front"


def run(*args: str | Path, check: int | None = 0) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*DANTIN, *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "COLUMNS": "200"}, timeout=300)
    if check is not None:
        assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    return proc


def run_json(*args: str | Path, check: int = 0) -> Any:
    return json.loads(run(*args, "--json", check=check).stdout)


def b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def key_of(directory: Path, body: str) -> Path:
    return directory / "keys" / (body.replace("/", "__") + ".pem")


def state_of(directory: Path, body: str) -> Path:
    return directory / "witnesses" / (body.replace("/", "__") + ".json")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo") / "ledger"
    run("demo", directory)
    return directory


@pytest.fixture(scope="module")
def log(demo: Path) -> NoteVerifier:
    vkey = run("log-key", demo).stdout.strip()
    assert vkey.startswith("dantin.qng/log+")
    return NoteVerifier.from_vkey(vkey)


def copy_with_event(demo: Path, tmp_path: Path, name: str, person: str) -> Path:
    """A copy of the demo ledger (same log key) with one more event, signed by a village cell."""
    ledger = tmp_path / name
    shutil.copytree(demo, ledger)
    event = tmp_path / f"{name}-event.json"
    event.write_text(json.dumps({"type": "person.profiled", "place": VILLAGE, "date": "2022-03-01",
                                 "facts": {"person": person, "name": "Đinh Văn A"}}), encoding="utf-8")
    envelope = tmp_path / f"{name}-envelope.json"
    run("sign", event, "--key", key_of(ledger, f"{VILLAGE}/cell"), "--body", f"{VILLAGE}/cell", "-o", envelope)
    run("submit", ledger, envelope)
    return ledger


def test_the_demo_ends_with_a_checkpoint_its_witnesses_cosigned(demo: Path, log: NoteVerifier) -> None:
    note = run("checkpoint", demo).stdout
    checkpoint, opened = open_checkpoint(note, log)
    assert {s.name for s in opened.unverified} == {INSPECTION, FRONT}
    shown = run_json("checkpoint", demo)
    assert set(shown) == {"size", "root", "note", "witnesses", "witnessed"}
    assert shown["witnessed"] and shown["size"] == checkpoint.size and b64(shown["root"]) == checkpoint.root_hash
    assert run("checkpoint", demo, "--witnessed").stdout == note
    status = run_json("witness", "status", demo)
    assert status["witnessed_checkpoint"] == status["latest_checkpoint"] == status["log_size"] == checkpoint.size
    assert status["witnessed_by"] == sorted([INSPECTION, FRONT]) and status["unmet"] == []


def test_an_inclusion_proof_verifies_on_its_own(demo: Path, log: NoteVerifier) -> None:
    proof = run_json("proof", demo, "--index", "5")
    assert set(proof) == {"leaf_index", "tree_size", "leaf_hash", "entry", "proof", "checkpoint"}
    entry = b64(proof["entry"])
    assert leaf_hash(entry) == b64(proof["leaf_hash"])  # the entry is exactly the bytes hashed into the leaf
    assert set(json.loads(entry)) == {"payload", "payloadType", "prev", "received", "signatures"}
    checkpoint, _ = open_checkpoint(proof["checkpoint"], log)
    assert checkpoint.size == proof["tree_size"] and proof["leaf_index"] == 5
    verify_inclusion(leaf_hash(entry), 5, checkpoint.size, [b64(h) for h in proof["proof"]], checkpoint.root_hash)
    # The same at an explicitly named, published size. At a past size never published, the log key signs
    # that size's tree head (deterministic: the very note the sealer signed then); beyond the log: refused.
    again = run_json("proof", demo, "--index", "5", "--size", str(checkpoint.size))
    assert again == proof
    past = run_json("proof", demo, "--index", "5", "--size", "7")
    small, _ = open_checkpoint(past["checkpoint"], log)
    assert small.size == 7
    verify_inclusion(leaf_hash(entry), 5, 7, [b64(h) for h in past["proof"]], small.root_hash)
    refused = run("proof", demo, "--index", "5", "--size", "999999", "--json", check=2)
    assert "Lỗi" in refused.stderr and "Traceback" not in refused.stderr


def test_proof_usage_errors_exit_2_in_vietnamese(demo: Path) -> None:
    assert "--index" in run("proof", demo, check=2).stderr
    run("proof", demo, "--index", "1", "--consistency", "1", "2", check=2)
    assert "ngoài" in run("proof", demo, "--index", "100000", check=2).stderr.lower()


def test_consistency_proof_and_witnessing_a_grown_log(demo: Path, log: NoteVerifier, tmp_path: Path) -> None:
    old = run_json("checkpoint", demo)["size"]
    ledger = copy_with_event(demo, tmp_path, "grown", "nguoi-moi")
    new = run_json("checkpoint", ledger)["size"]
    assert new == old + 1
    proof = run_json("proof", ledger, "--consistency", str(old), str(new))
    assert set(proof) == {"old_size", "new_size", "proof", "old_checkpoint", "new_checkpoint"}
    before, _ = open_checkpoint(proof["old_checkpoint"], log)
    after, _ = open_checkpoint(proof["new_checkpoint"], log)
    verify_consistency(old, new, [b64(h) for h in proof["proof"]], before.root_hash, after.root_hash)

    status = run_json("witness", "status", ledger)
    assert (status["witnessed_checkpoint"], status["latest_checkpoint"]) == (old, new)
    cosigned = run_json("witness", "cosign", ledger, "--key", key_of(ledger, INSPECTION),
                        "--state", state_of(ledger, INSPECTION))
    assert (cosigned["size"], cosigned["witness"], cosigned["witnessed_size"]) == (new, INSPECTION, old)
    run("witness", "cosign", ledger, "--key", key_of(ledger, FRONT), "--state", state_of(ledger, FRONT))
    assert run_json("witness", "status", ledger)["witnessed_checkpoint"] == new
    state = json.loads(state_of(ledger, FRONT).read_text())
    assert state["name"] == FRONT and state["logs"]["dantin.qng/log"]["size"] == new


def test_a_witness_refuses_a_fork_of_the_log_with_exit_1(demo: Path, tmp_path: Path) -> None:
    left = copy_with_event(demo, tmp_path, "left", "nguoi-trai")
    right = copy_with_event(demo, tmp_path, "right", "nguoi-phai")  # the same log key, another history
    state = tmp_path / "inspection-state.json"
    shutil.copy(state_of(demo, INSPECTION), state)
    run("witness", "cosign", left, "--key", key_of(demo, INSPECTION), "--state", state)
    refused = run("witness", "cosign", right, "--key", key_of(demo, INSPECTION), "--state", state, check=1)
    assert "witness_inconsistent" in refused.stderr and "rẽ nhánh" in refused.stderr
    # A non-witness body is a usage mistake, not a finding.
    cell = f"{VILLAGE}/cell"
    refused = run("witness", "cosign", left, "--key", key_of(demo, cell), "--state", tmp_path / "c.json", check=2)
    assert "unknown_witness" in refused.stderr


def test_bundle_and_verify_bundle(demo: Path, log: NoteVerifier, tmp_path: Path) -> None:
    bundle = tmp_path / "village.bundle.json"
    made = run("bundle", demo, VILLAGE, "-o", bundle)
    assert "Đã ghi gói hồ sơ" in made.stdout
    proved = run("verify-bundle", bundle)
    assert "Đã chứng minh" in proved.stdout and "Khóa nhật ký lấy từ chính gói" in proved.stdout
    report = run_json("verify-bundle", bundle, "--log-key", log.vkey())
    assert report["verified"] and report["village"] == VILLAGE and report["sources"]["log_key"] == "given"
    assert {w["body"] for w in report["witnesses"]} == {INSPECTION, FRONT}
    assert set(report) >= {"checkpoint", "entries", "proved", "not_proved", "verdict", "sources"}
    assert report["complete_streams"] >= 3  # the village, its signers, its people: the log's signed count

    # Held up to the full ledger: the same tree, every stream as long.
    held = run("verify-bundle", bundle, "--ledger", demo)
    assert "Đối chiếu với sổ cái" in held.stdout, held.stdout
    assert run_json("verify-bundle", bundle, "--ledger", demo)["ledger"]["agrees"] is True
    from ledger.signing import canonical_json

    # A bundle naming another rules engine, its verdict another: it verifies (held up to the ledger too);
    # the verdict shown is the one derived here, the bundle's own beside it, not proved.
    doc = json.loads(bundle.read_bytes())
    checks = [{**doc["verdict"]["checks"][0], "status": "waived"}, *doc["verdict"]["checks"][1:]]
    statuses = {c["status"] for c in checks}
    theirs = {**doc["verdict"], "checks": checks,
              "verdict": "violations" if "fail" in statuses else "incomplete" if "pending" in statuses else "compliant"}
    elsewhere = tmp_path / "elsewhere.bundle.json"
    elsewhere.write_bytes(canonical_json({**doc, "engine": "sha256:" + "ab" * 32, "verdict": theirs}))
    shown = run_json("verify-bundle", elsewhere, "--ledger", demo)
    assert shown["verified"] and shown["ledger"]["agrees"] is True and shown["verdict"] == doc["verdict"]
    assert shown["bundled_verdict"] == theirs and shown["verdict_differs"], shown
    said = " ".join(run("verify-bundle", elsewhere).stdout.split())
    proved, not_proved = said.split("Chưa chứng minh được")
    assert "do phiên bản này dựng lại" in proved and f"{checks[0]['rule']}: waived →" in not_proved, said
    assert "không có chữ ký" in not_proved, said
    # A log that signed a count short of the truth: offline it holds; the full ledger shows the lie.
    lying = tmp_path / "lying.bundle.json"
    lying.write_bytes(_short_by_one(bundle.read_bytes(), demo))
    run("verify-bundle", lying)
    said = run("verify-bundle", lying, "--ledger", demo, check=1)
    assert "ledger_mismatch" in said.stderr and "bằng chứng nhật ký nói sai" in " ".join(said.stderr.split())
    failed_json = run_json("verify-bundle", lying, "--ledger", demo, check=1)
    assert failed_json["verified"] is False and failed_json["error"]["code"] == "ledger_mismatch"

    other = tmp_path / "other"  # another ledger: the same origin, another log key
    run("init", other)
    wrong = run("log-key", other).stdout.strip()
    failed = run_json("verify-bundle", bundle, "--log-key", wrong, check=1)
    assert failed == {"verified": False, "error": failed["error"]} and failed["error"]["where"] == "log_key"

    data = bytearray(bundle.read_bytes())
    at = data.index(b'"payload":"') + 40
    data[at] ^= 0x01
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(bytes(data))
    failed_run = run("verify-bundle", tampered, check=1)
    assert "entries[" in failed_run.stderr and "bad_proof" in failed_run.stderr

    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(json.loads(bundle.read_bytes()), indent=2, ensure_ascii=False), encoding="utf-8")
    assert "RFC 8785" in run("verify-bundle", pretty, check=2).stderr
    (tmp_path / "not.json").write_text("không phải JSON", encoding="utf-8")
    run("verify-bundle", tmp_path / "not.json", check=2)
    run("verify-bundle", tmp_path / "missing.json", check=2)
    assert "không phải thôn" in run("bundle", demo, COMMUNE, "-o", tmp_path / "c.json", check=2).stderr


def _short_by_one(data: bytes, directory: Path) -> bytes:
    """The bundle without the village's last event, its stream heads signed anew by the log's own
    key to match (a lying log), and without the verdict that event changes."""
    from ledger import home
    from ledger.bundle import heads_text, read_heads
    from ledger.catalogue import stream_of
    from ledger.entry import entry_bytes
    from ledger.note import sign_note
    from ledger.signing import canonical_json

    doc = json.loads(data)

    def stream(item: dict[str, Any]) -> str:
        st = json.loads(base64.b64decode(item["entry"]["payload"]))
        return str(stream_of(st["type"], st["place"], st["body"], st["facts"]))

    village = [i for i, item in enumerate(doc["entries"]) if stream(item) == VILLAGE]
    entries = [e for i, e in enumerate(doc["entries"]) if i != village[-1]]
    last = entries[max(i for i, item in enumerate(entries) if stream(item) == VILLAGE)]["entry"]
    signer = home.log_signer(directory)
    checkpoint, _ = open_checkpoint(doc["checkpoint"], signer.verifier())
    heads = read_heads(doc["heads"], signer.verifier(), checkpoint)
    sig = last["signatures"][0]
    heads[VILLAGE] = (heads[VILLAGE][0] - 1, leaf_hash(entry_bytes(last["payload"], sig["keyid"], sig["sig"],
                                                                   last["prev"], last["received"])))
    return canonical_json({**doc, "entries": entries, "verdict": None,
                           "heads": sign_note(heads_text(checkpoint, heads), [signer])})


def test_witness_serve_and_push_over_http(demo: Path, log: NoteVerifier, tmp_path: Path) -> None:
    """The inspection commission runs its witness as a service (C2SP tlog-witness) with the state
    it already keeps; the ledger's operator pushes each new checkpoint to it."""
    from serving import start_dantin, stop

    ledger = copy_with_event(demo, tmp_path, "pushed", "p-push")
    state = state_of(ledger, INSPECTION)
    pinned = json.loads(state.read_text(encoding="utf-8"))["logs"][log.name]["size"]
    process, url = start_dantin(["witness", "serve", "--key", str(key_of(ledger, INSPECTION)), "--state", str(state),
                                 "--port", "0"], tmp_path / "witness.log")  # the log it trusts: pinned in its state
    try:
        pushed = run("witness", "push", ledger, url)
        size = json.loads(state.read_text(encoding="utf-8"))["logs"][log.name]["size"]
        assert size > pinned and f"{INSPECTION} đã ký xác nhận checkpoint cỡ {size}" in pushed.stdout
        again = run_json("witness", "push", ledger, url)  # nothing new: the same checkpoint, cosigned again
        assert again["results"] == [{"url": url, "ok": True, "size": size, "witnesses": [INSPECTION]}]
        status = run_json("witness", "status", ledger)
        assert status["latest_checkpoint"] == size and INSPECTION in status["latest_witnesses"], status
        # Another ledger of the same origin under another log key: refused (403), said in Vietnamese.
        other = tmp_path / "other"
        run("init", other)
        refused = run("witness", "push", other, url, "http://127.0.0.1:9/", check=1)
        said = " ".join(refused.stderr.split())
        assert "(witness_refused)" in said and "HTTP 403, bad_checkpoint" not in said and "HTTP 403" in said
        assert "bad_checkpoint: Checkpoint không có chữ ký hợp lệ" in said, said
        assert "(witness_unreachable)" in said and "Không liên lạc được nhân chứng http://127.0.0.1:9/: không kết nối " \
            "được." in said, said
    finally:
        assert stop(process) == 0
    # Told to trust another key for the log it pinned: it does not start.
    wrong = run("witness", "serve", "--key", key_of(ledger, INSPECTION), "--state", state, "--log-key",
                run("log-key", other).stdout.strip(), "--port", "0", check=2)
    assert "khóa khác" in wrong.stderr


def test_serve_pushes_each_new_checkpoint_to_its_witnesses(demo: Path, log: NoteVerifier, tmp_path: Path) -> None:
    """``dantin serve --witness URL``: the server reaches out to the witness service with the new
    checkpoint (and the proof from the one it last cosigned); the cosignature is stored and served."""
    import time

    import httpx
    from serving import start_dantin, stop

    ledger = copy_with_event(demo, tmp_path, "served", "p-served")
    witness, witness_url = start_dantin(["witness", "serve", "--key", str(key_of(ledger, INSPECTION)), "--state",
                                         str(state_of(ledger, INSPECTION)), "--port", "0"], tmp_path / "witness.log")
    try:
        server, url = start_dantin(["serve", str(ledger), "--port", "0", "--witness", witness_url,
                                    "--witness-interval", "0.2"], tmp_path / "server.log")
        try:
            deadline, note = time.monotonic() + 30, ""
            while time.monotonic() < deadline:
                note = httpx.get(url + "/v1/log/checkpoint", timeout=10).text
                if f"\u2014 {INSPECTION} " in note:
                    break
                time.sleep(0.2)
            checkpoint, opened = open_checkpoint(note, log)
            assert any(s.name == INSPECTION for s in opened.unverified), note  # its cosignature, stored
            assert checkpoint.size == run_json("stats", ledger)["entries"]
        finally:
            assert stop(server) == 0
    finally:
        assert stop(witness) == 0
    pushed = [json.loads(line) for line in (tmp_path / "server.log").read_text(encoding="utf-8").splitlines()
              if line.startswith("{") and '"witness_push"' in line]
    assert pushed and pushed[0]["ok"] is True and pushed[0]["witnesses"] == [INSPECTION], pushed
    refused = run("serve", ledger, "--read-only", "--witness", witness_url, "--port", "0", check=2)
    assert "--witness" in refused.stderr
