"""POST /v1/events over a real server: receipts with proofs, replays, every refusal, batches, size limits."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from apihelp import TEAM, VILLAGE_FRONT, Served, check_receipt, fresh, problem_of, profile

from ledger.signing import SigningKey


def test_one_envelope_gets_a_receipt_with_a_verifiable_proof(served: Served) -> None:
    person = fresh()
    response = served.post_events(profile(served.world, person))
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["stream"] == f"person:{person}" and receipt["version"] == 1
    assert receipt["type"] == "person.profiled"
    check_receipt(served, receipt)

pytest_plugins = ["apiserver"]  # the `served` fixture


def test_replay_answers_409_with_the_original_receipt(served: Served) -> None:
    envelope = profile(served.world, fresh())
    first = served.post_events(envelope).json()
    body = problem_of(served.post_events(envelope), 409, "replay")
    original = body["receipt"]
    assert {k: original[k] for k in ("stream", "version", "index", "hash", "notification_id")} == \
        {k: first[k] for k in ("stream", "version", "index", "hash", "notification_id")}
    check_receipt(served, original)


def _refusals(served: Served) -> Iterator[tuple[str, dict[str, Any]]]:
    w = served.world
    tampered = profile(w, fresh())
    sig = bytearray(base64.b64decode(tampered["signatures"][0]["sig"]))
    sig[0] ^= 1
    tampered["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    yield "bad_signature", tampered
    yield "unknown_key", w.sign(w.cell, "personnel.nominated", w.lang_ma, {"person": "p-nguyen-van-a"},
                                key=SigningKey.generate())
    yield "key_revoked", w.sign(VILLAGE_FRONT, "front.head_chosen", w.lang_ma, {"person": "p-nguyen-van-a"},
                                key=served.extra_keys["revoked"])
    future = served.extra_keys["future"]
    yield "key_not_yet_valid", w.sign(TEAM, "key.revoked", w.lang_ma,
                                      {"body": TEAM, "key": future.public.key_id, "reason": "Thử."}, key=future)
    yield "kind_not_allowed", w.sign(w.cell, "election.ordered", w.lang_ma, {"election_date": "2022-05-15",
                                                                              "decision": "12/QĐ-UBND"})
    yield "outside_jurisdiction", w.sign(w.cell, "person.profiled", w.sontinh, {"person": fresh(), "name": "X"})
    yield "unknown_place", w.sign(w.committee, "person.profiled", w.badien + ".khong-co",
                                  {"person": fresh(), "name": "X"})
    yield "unknown_person", w.sign(w.cell, "personnel.nominated", w.lang_ma, {"person": fresh("ghost")})
    yield "already_exists", w.sign(w.root, "place.registered", w.bato, {"id": w.bato, "name": "Huyện Ba Tơ",
                                                                       "kind": "district"})
    person = fresh()
    profiled = served.post_events(profile(w, person)).json()["hash"]  # the commune committee's
    yield "unknown_event", w.sign(w.cell, "correction.recorded", w.lang_ma, {
        "corrects": "ab" * 32, "reason": "Nhầm", "facts": {"name": "Y"}})
    yield "not_own_event", w.sign(w.cell, "correction.recorded", w.lang_ma, {
        "corrects": profiled, "reason": "Nhầm", "facts": {"name": "Y"}})
    yield "malformed", {"payloadType": "application/vnd.dantin.event+json; version=1", "payload": "!!",
                        "signatures": [{"keyid": "0" * 32, "sig": "AA=="}]}


def test_every_refusal_is_a_422_problem_and_stores_nothing(served: Served) -> None:
    size = served.client.get("/readyz").json()["log_size"]
    for code, envelope in _refusals(served):
        problem_of(served.post_events(envelope), 422, code)
    # Replays and refusals added nothing (other tests on this server may have: compare our own stream).
    assert served.client.get("/readyz").json()["log_size"] >= size


def test_malformed_json_and_unsigned_events_are_refusals(served: Served) -> None:
    problem_of(served.client.post("/v1/events", content=b"{not json"), 400, "malformed")
    problem_of(served.client.post("/v1/events", content=b"\xff\xfe"), 400, "malformed")
    problem_of(served.client.post("/v1/events", content=b""), 400, "malformed")
    unsigned = {"type": "person.profiled", "place": served.world.lang_ma, "date": "2022-03-20",
                "facts": {"person": fresh(), "name": "X"}}
    assert "dantin sign" in problem_of(served.post_events(unsigned), 422, "malformed")["detail"]
    for doc in (42, "text", None, [], {"envelopes": []}, {"envelopes": "x"}, {"payload": "AA=="}):
        problem_of(served.client.post("/v1/events", content=json.dumps(doc)), 422, "malformed")


def test_batches_all_accepted_mixed_and_as_array(served: Served) -> None:
    w = served.world
    a, b = profile(w, fresh()), profile(w, fresh())
    response = served.post_events({"envelopes": [a, b]})
    assert response.status_code == 201
    body = response.json()
    assert body["accepted"] == 2 and body["refused"] == 0
    assert [r["status"] for r in body["results"]] == [201, 201]
    for item in body["results"]:
        check_receipt(served, item["receipt"])
    c = profile(w, fresh())
    bad = w.sign(w.cell, "election.ordered", w.lang_ma, {"election_date": "2022-05-15", "decision": "1"})
    mixed = served.post_events([a, c, bad, "nonsense"])  # a bare JSON array is a batch too
    assert mixed.status_code == 200
    body = mixed.json()
    assert (body["accepted"], body["refused"]) == (1, 3)
    statuses = [r["status"] for r in body["results"]]
    assert statuses == [409, 201, 422, 422]
    replay, accepted, refused, garbage = body["results"]
    assert replay["receipt"]["hash"] == response.json()["results"][0]["receipt"]["hash"]
    assert replay["problem"]["code"] == "replay"
    check_receipt(served, accepted["receipt"])
    assert refused["problem"]["code"] == "kind_not_allowed" and refused["receipt"] is None
    assert garbage["problem"]["code"] == "malformed"


def test_oversized_bodies_get_413_while_reading(served: Served) -> None:
    big = b'{"envelopes": [' + b" " * (1024 * 1024) + b"]}"
    problem_of(served.client.post("/v1/events", content=big), 413, "body_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies as the bytes arrive
        yield b'{"envelopes": ['
        for _ in range(300):
            yield b" " * 4096

    problem_of(served.client.post("/v1/events", content=chunks()), 413, "body_too_large")
    assert served.client.get("/healthz").status_code == 200


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_are_problems(served: Served, method: str) -> None:
    problem_of(served.client.request(method, "/v1/events"), 405, "method_not_allowed")


def _wire(payload: bytes) -> dict[str, Any]:
    return {"payloadType": "application/vnd.dantin.event+json; version=1",
            "payload": base64.b64encode(payload).decode(),
            "signatures": [{"keyid": "0" * 32, "sig": base64.b64encode(bytes(64)).decode()}]}


@pytest.mark.parametrize("depth", [260, 1000])
def test_a_payload_nested_too_deep_is_malformed_not_a_server_error(served: Served, depth: int) -> None:
    """No key needed to send it: it once answered 500 (orjson writes no deeper than 254 levels)."""
    deep = b'{"a":' + b"[" * depth + b"1" + b"]" * depth + b"}"
    body = problem_of(served.post_events(_wire(deep)), 422, "malformed")
    assert "lồng nhau quá nhiều cấp" in body["detail"]
    good = profile(served.world, fresh())
    batch = served.client.post("/v1/events", json={"envelopes": [good, _wire(deep)]})
    assert batch.status_code == 200, batch.text  # the good one beside it is stored
    assert [item["status"] for item in batch.json()["results"]] == [201, 422]


def test_an_envelope_encoded_twice_is_not_an_envelope(served: Served) -> None:
    envelope = profile(served.world, fresh())
    twice = json.dumps(json.dumps(envelope))
    body = problem_of(served.client.post("/v1/events", content=twice,
                                         headers={"Content-Type": "application/json"}), 422, "malformed")
    assert "phải là một đối tượng JSON" in body["detail"]
    assert served.post_events(envelope).status_code == 201  # so it was never stored
    body = problem_of(served.client.post("/v1/events", content='"hi"', headers={"Content-Type": "application/json"}),
                      422, "malformed")
    assert "phải là một đối tượng JSON" in body["detail"]
