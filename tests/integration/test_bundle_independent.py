"""docs/bundle.md is enough to verify a bundle: docs/examples/verify_bundle_independent.py, written
from the documentation alone (no code of dantin's), run as its own process on dantin's bundles.

A good bundle verifies (exit 0); each tampered copy is refused by it with the same outcome as
``dantin verify-bundle`` (1: a check failed; 2: not a bundle), which ``verify_bundle`` gives here
in-process. The bundle's bytes do not depend on the store, so SQLite alone.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Backend, World
from test_bundle import BEFORE, FRONT, bundle_of, format_1, story, witness_all

from ledger import home
from ledger.bundle import BundleFailed, NotABundle, verify_bundle
from ledger.note import NoteSigner, sign_note
from ledger.signing import canonical_json

VERIFIER = Path(__file__).resolve().parents[2] / "docs" / "examples" / "verify_bundle_independent.py"
SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def independent(tmp_path: Path, data: bytes, log_key: str | None = None) -> subprocess.CompletedProcess[str]:
    path = tmp_path / f"b-{hashlib.sha256(data).hexdigest()[:12]}.json"
    path.write_bytes(data)
    argv = [sys.executable, str(VERIFIER), str(path), *(["--log-key", log_key] if log_key else [])]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


def dantin(data: bytes, log_key: str | None = None) -> tuple[int, str]:
    """``dantin verify-bundle``'s exit status (cli/log.py: NotABundle 2, BundleFailed 1) and failure code."""
    try:
        verify_bundle(data, log_key=log_key)
    except NotABundle:
        return 2, ""
    except BundleFailed as exc:
        return 1, exc.code
    return 0, ""


def agree(tmp_path: Path, data: bytes, want: int, log_key: str | None = None) -> str:
    """Both verifiers give ``want`` (and, on a failed check, the same code); returns the independent one's output."""
    ran = independent(tmp_path, data, log_key)
    said = ran.stdout + ran.stderr
    status, code = dantin(data, log_key)
    assert (ran.returncode, status) == (want, want), said
    assert said.startswith(f"FAIL {code}:" if code else "FAIL" if want else "OK"), (code, said)
    return said


def statement(item: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(base64.b64decode(item["entry"]["payload"])))


def stream(item: dict[str, Any]) -> str:
    st = statement(item)
    t, facts = st["type"], st["facts"]
    if t in ("place.registered", "body.enrolled"):
        return str(facts["id"])
    if t in ("key.rotated", "key.revoked"):
        return str(facts["body"])
    return "person:" + facts["person"] if t == "person.profiled" else str(st["place"])


def without_last(doc: dict[str, Any], of: str) -> dict[str, Any]:
    last = max(n for n, item in enumerate(doc["entries"]) if stream(item) == of)
    return {**doc, "entries": [e for n, e in enumerate(doc["entries"]) if n != last]}


@pytest.fixture
def doc(world: World, backend: Backend, tmp_path: Path) -> dict[str, Any]:
    """Làng Mạ's bundle: its story holds a rotation of the cell's key (key.rotated)."""
    story(world)
    witness_all(world, backend, tmp_path)
    return dict(json.loads(bundle_of(world, backend).data))


def log_key_of(backend: Backend) -> str:
    return home.log_verifier(backend.directory).vkey()


@SQLITE
def test_a_good_bundle_verifies_with_and_without_the_log_key(doc: dict[str, Any], backend: Backend,
                                                             tmp_path: Path) -> None:
    assert any(statement(e)["type"] == "key.rotated" for e in doc["entries"])
    said = agree(tmp_path, canonical_json(doc), 0)
    assert said.startswith("OK") and "no --log-key" in said
    assert "no --log-key" not in agree(tmp_path, canonical_json(doc), 0, log_key_of(backend))


def _flip_payload(d: dict[str, Any]) -> dict[str, Any]:
    entries = json.loads(json.dumps(d["entries"]))
    payload = entries[-1]["entry"]["payload"]
    entries[-1]["entry"]["payload"] = payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:]
    return {**d, "entries": entries}


def _alter_proof(d: dict[str, Any]) -> dict[str, Any]:
    entries = json.loads(json.dumps(d["entries"]))
    item = next(e for e in entries if e["proof"])
    node = bytearray(base64.b64decode(item["proof"][0]))
    node[0] ^= 1
    item["proof"][0] = base64.b64encode(bytes(node)).decode()
    return {**d, "entries": entries}


def _checkpoint_line(d: dict[str, Any], at: int, change: Callable[[str], str]) -> dict[str, Any]:
    lines = d["checkpoint"].split("\n")
    lines[at] = change(lines[at])
    return {**d, "checkpoint": "\n".join(lines)}


def _drop_cosignature(d: dict[str, Any]) -> dict[str, Any]:
    note = d["checkpoint"]
    return {**d, "checkpoint": note[: note.rstrip("\n").rfind("\n") + 1]}  # the last line: a witness's


def _alter_heads_line(d: dict[str, Any]) -> dict[str, Any]:
    lines = d["heads"].split("\n")
    line = lines[4].split(" ")
    lines[4] = " ".join([line[0], str(int(line[1]) + 1), line[2]])
    return {**d, "heads": "\n".join(lines)}


def _reorder(d: dict[str, Any]) -> dict[str, Any]:
    entries = list(d["entries"])
    entries[-1], entries[-2] = entries[-2], entries[-1]
    return {**d, "entries": entries}


TAMPERED: dict[str, tuple[Callable[[dict[str, Any]], dict[str, Any]], int]] = {
    "payload_byte": (_flip_payload, 1),
    "village_last_entry_dropped": (lambda d: without_last(d, d["village"]), 1),
    "genesis_dropped": (lambda d: {**d, "entries": d["entries"][1:]}, 1),
    "proof_node": (_alter_proof, 1),
    "checkpoint_size": (lambda d: _checkpoint_line(d, 1, lambda s: str(int(s) + 1)), 1),
    "checkpoint_root": (lambda d: _checkpoint_line(d, 2, lambda s: ("B" if s[0] == "A" else "A") + s[1:]), 1),
    "cosignature_dropped": (_drop_cosignature, 1),
    "heads_line": (_alter_heads_line, 1),
    "entries_reordered": (_reorder, 2),
    "verdict_flipped": (lambda d: {**d, "verdict": {**d["verdict"], "village": d["village"] + "x"}}, 1),
    # Another engine named (the field is not signed) does not make any JSON a verdict of this bundle.
    "verdict_of_another_village_another_engine": (lambda d: {**d, "engine": "sha256:" + "ab" * 32, "verdict": {
        **d["verdict"], "village": d["village"] + "x"}}, 1),
    "verdict_not_following_another_engine": (lambda d: {**d, "engine": "sha256:" + "ab" * 32, "verdict": {
        **d["verdict"], "verdict": "compliant" if d["verdict"]["verdict"] != "compliant" else "violations"}}, 1),
    "verdict_of_another_village_stripped_to_format_2": (lambda d: {
        **{k: v for k, v in d.items() if k != "engine"}, "bundle": 2,
        "verdict": {**d["verdict"], "village": d["village"] + "x"}}, 1),
    "stripped_to_format_1": (format_1, 1),  # witnessed today, since format 2: no_heads
    "reformatted": (lambda d: d, 2),  # see the test: pretty-printed, not canonical
}


@SQLITE
@pytest.mark.parametrize("how", sorted(TAMPERED))
def test_a_tampered_bundle_is_refused_as_dantin_refuses_it(how: str, doc: dict[str, Any], backend: Backend,
                                                           tmp_path: Path) -> None:
    tamper, want = TAMPERED[how]
    data = canonical_json(tamper(doc))
    if how == "reformatted":
        data = json.dumps(doc, indent=1, ensure_ascii=False).encode()
    assert data != canonical_json(doc)
    assert agree(tmp_path, data, want).startswith("FAIL")
    assert agree(tmp_path, data, want, log_key_of(backend)).startswith("FAIL")


@SQLITE
def test_a_swapped_log_key_fails_only_against_the_published_one(doc: dict[str, Any], world: World,
                                                                 backend: Backend, tmp_path: Path) -> None:
    """docs/bundle.md step 2: the witnesses cosign the checkpoint's body, not the log's key, so anyone
    holding the bundle can re-sign it, and stream heads that cut the village's stream short, with a key of
    their own. Without --log-key both verifiers accept it (and say the heads prove nothing); with it, both refuse."""
    log = home.log_signer(backend.directory)
    cut = without_last(doc, world.lang_ma) | {"verdict": None}
    last = max((e for e in cut["entries"] if stream(e) == world.lang_ma), key=lambda e: e["index"])
    head = base64.b64encode(hashlib.sha256(b"\0" + canonical_json(last["entry"])).digest()).decode()
    heads = doc["heads"][: doc["heads"].index("\n\n") + 1].split("\n")
    heads = [f"{world.lang_ma} {int(h.split(' ')[1]) - 1} {head}" if h.startswith(world.lang_ma + " ") else h
             for h in heads]
    forger = NoteSigner.generate(log.name)
    body, signatures = doc["checkpoint"].split("\n\n", 1)
    cosignatures = "".join(line + "\n" for line in signatures.splitlines() if not line.startswith(f"— {log.name} "))
    forged = canonical_json(cut | {"log_key": forger.verifier().vkey(),
                                   "checkpoint": sign_note(body + "\n", [forger]) + cosignatures,
                                   "heads": sign_note("\n".join(heads), [forger])})
    assert "no --log-key" in agree(tmp_path, forged, 0)
    assert "log_key_mismatch" in agree(tmp_path, forged, 1, log_key_of(backend))
    # A --log-key that is no verifier key at all: usage, exit 2 for both.
    agree(tmp_path, canonical_json(doc), 2, "dantin.qng/log+00000000+AAAA")


@SQLITE
def test_a_rotated_and_revoked_key_is_followed_and_its_stream_not_cut(world: World, backend: Backend,
                                                                      tmp_path: Path) -> None:
    """The cell rotates its key (story) and later revokes the new one: the bundle verifies; without the
    revocation, the last entry of the cell's stream, both verifiers find the stream cut short."""
    story(world)
    world.accept(world.sign(world.cell, "key.revoked", world.lang_ma, {
        "body": world.cell, "key": world.keys[world.cell].public.key_id, "reason": "Lộ khóa"}, date="2022-04-20"))
    witness_all(world, backend, tmp_path)
    doc = json.loads(bundle_of(world, backend).data)
    types = [statement(e)["type"] for e in doc["entries"] if stream(e) == world.cell]
    assert types == ["body.enrolled", "key.rotated", "key.revoked"]
    agree(tmp_path, canonical_json(doc), 0, log_key_of(backend))
    assert "stream_incomplete" in agree(tmp_path, canonical_json(without_last(doc, world.cell)), 1)
    # Both witnesses' streams are in it too (every cosigner's stream is given whole).
    assert {world.inspection, FRONT} <= {stream(e) for e in doc["entries"]}


@SQLITE
def test_a_format_1_bundle_witnessed_before_format_2_still_verifies(world: World, backend: Backend,
                                                                    tmp_path: Path) -> None:
    story(world)
    witness_all(world, backend, tmp_path, now=BEFORE)
    old = canonical_json(format_1(json.loads(bundle_of(world, backend).data)))
    assert "format 1 has no stream heads" in agree(tmp_path, old, 0)
