"""Helpers of the HTTP tests: a real ``dantin serve`` process over a real signed ledger.

The ``served`` fixture (tests/api/apiserver.py) builds the conftest
world, adds what the API tests need — read-entitled bodies, a body with a revoked key and
one whose key is not valid yet, a profiled person and a nomination about them — closes the
test's own ledger, and starts ``python -m cli serve DIR --port 0`` (the port is read from the
server's JSON log, so there is no race for a free port). Tests talk HTTP only; the world's
private keys sign their envelopes and requests. Tests share the server, so each writes
under fresh ids.
"""

from __future__ import annotations

import base64
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from conftest import Backend, World
from serving import start_at as start_at
from serving import stop as stop

from api.httpsig import sign_request
from ledger import home
from ledger.merkle import verify_inclusion
from ledger.note import NoteVerifier, open_checkpoint
from ledger.signing import SigningKey

REPO = Path(__file__).resolve().parents[2]
FRONT = "qng.bato.badien/front"  # commune_front: may read, may witness
PARTY = "qng.bato.badien/party"  # commune_party: may read
SONTINH_INSPECTION = "qng.sontinh/inspection"  # may read, but only Sơn Tịnh
VILLAGE_FRONT = "qng.bato.badien.lang-ma/front"  # village_front: its first key is revoked
TEAM = "qng.bato.badien.lang-ma/team"  # election_team: its key is valid from 2100 only
PERSON = "p-nguyen-van-a"  # profiled with birth date and party membership, then nominated
BORN = "1975-02-01"


@dataclass
class Served:
    name: str
    url: str
    world: World
    directory: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    extra_keys: dict[str, SigningKey] = field(default_factory=dict)
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def post_events(self, doc: Any, **kwargs: Any) -> httpx.Response:
        return self.client.post("/v1/events", json=doc, **kwargs)

    def signed_get(self, path: str, body: str, key: SigningKey | None = None, **options: Any) -> httpx.Response:
        """GET ``path`` signed (RFC 9421) by ``body``'s key."""
        url = self.url + path
        fields = {"Dantin-Body": body}
        headers = sign_request(key or self.world.keys[body], "GET", url, fields, **options)
        return self.client.get(path, headers={**fields, **headers})

    def log_verifier(self) -> NoteVerifier:
        return home.log_verifier(self.directory)

    def log_lines(self) -> list[str]:
        # Split on "\n" only: a JSON line keeps U+0085, U+2028… of a path as they are (schemathesis sends them),
        # and str.splitlines() would cut the line there.
        return [line for line in self.log_path.read_text(encoding="utf-8").split("\n") if line]


PROBLEM = "application/problem+json"


def check_receipt(served: Served, receipt: dict[str, Any]) -> None:
    """The receipt's inclusion proof verifies against the root of the log-signed checkpoint it carries."""
    proof = receipt["inclusion"]
    assert proof is not None and proof["leaf_index"] == receipt["index"]
    checkpoint, _ = open_checkpoint(proof["checkpoint"], served.log_verifier())
    assert checkpoint.size == proof["tree_size"] > receipt["index"]
    leaf = base64.b64decode(proof["leaf_hash"])
    assert leaf.hex() == receipt["hash"] and base64.b64decode(receipt["hash_b64"]) == leaf
    verify_inclusion(leaf, receipt["index"], checkpoint.size, [base64.b64decode(h) for h in proof["proof"]],
                     checkpoint.root_hash)


def problem_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["status"] == status
    assert body["type"] == f"https://dantin.qng/problems/{code}"
    assert body["title"] and body["detail"] and "Traceback" not in response.text
    assert any(c in body["title"] + body["detail"] for c in "ăâđêôơưáàảãạếềệốồộớờợúùủũụíìỉĩịýỳỷỹỵ"), body  # Vietnamese
    return body


def fresh(prefix: str = "p") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def profile(world: World, person: str, **facts: Any) -> dict[str, Any]:
    return world.sign(world.committee, "person.profiled", world.lang_ma,
                      {"person": person, "name": "Đinh Văn Thử", **facts})


def extend_world(world: World) -> dict[str, SigningKey]:
    """Bodies and events the API tests need, on top of the conftest world."""
    keys: dict[str, SigningKey] = {}
    for body, kind, name, place, parent in (
        (FRONT, "commune_front", "Ban Thường trực UBMTTQ xã Ba Điền", world.badien, world.standing),
        (PARTY, "commune_party", "Đảng ủy xã Ba Điền", world.badien, world.standing),
        (SONTINH_INSPECTION, "inspection", "Ủy ban Kiểm tra Huyện ủy Sơn Tịnh", world.sontinh, world.root),
    ):
        key = SigningKey.generate()
        world.accept(world.enrolment(parent, body, kind, name, place, key))
        world.keys[body], world.jurisdiction[body] = key, place
    old, new = SigningKey.generate(), SigningKey.generate()
    world.accept(world.sign(world.standing, "body.enrolled", world.lang_ma, {
        "id": VILLAGE_FRONT, "kind": "village_front", "name": "Ban công tác Mặt trận thôn Làng Mạ",
        "jurisdiction": world.lang_ma, "keys": [{"public": old.public.b64}, {"public": new.public.b64}]},
        date="2022-01-10"))
    world.keys[VILLAGE_FRONT] = new
    world.accept(world.sign(VILLAGE_FRONT, "key.revoked", world.lang_ma,
                            {"body": VILLAGE_FRONT, "key": old.public.key_id, "reason": "Mất thiết bị ký."}))
    keys["revoked"] = old
    future = SigningKey.generate()
    world.accept(world.sign(world.standing, "body.enrolled", world.lang_ma, {
        "id": TEAM, "kind": "election_team", "name": "Tổ bầu cử thôn Làng Mạ", "jurisdiction": world.lang_ma,
        "keys": [{"public": future.public.b64, "valid_from": "2100-01-01T00:00:00Z"}]}, date="2022-01-10"))
    keys["future"] = future
    world.accept(
        profile(world, PERSON, name="Nguyễn Văn A", born=BORN, party={"status": "full", "since": "2001-05-19"}),
        world.sign(world.cell, "personnel.nominated", world.lang_ma, {"person": PERSON}),
    )
    return keys


def start_server(backend: Backend, log_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    """A server of its own on ``backend`` (for tests that stop it)."""
    return start_at(backend.directory, backend.database, log_path, *args)
