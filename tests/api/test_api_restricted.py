"""Restricted reads (RFC 9421 signed requests), witness cosignatures and bundles, over a real server."""

from __future__ import annotations

import time

from apihelp import BORN, FRONT, PARTY, PERSON, SONTINH_INSPECTION, Served, problem_of

from api.httpsig import sign_request
from ledger.bundle import verify_bundle
from ledger.note import CosignatureSigner
from ledger.signing import SigningKey
from ledger.witness import cosign

pytest_plugins = ["apiserver"]  # the `served` fixture


def history(served: Served) -> str:
    return f"/v1/villages/{served.world.lang_ma}/history"


def test_entitled_readers_get_envelopes_and_profiles(served: Served) -> None:
    w = served.world
    for body in (w.inspection, FRONT, PARTY, w.standing, w.root):
        response = served.signed_get(history(served), body)
        assert response.status_code == 200, (body, response.text)
        assert response.headers["cache-control"] == "no-store"
    found = response.json()
    assert found["reader"]["body"] == w.root and found["village"]["id"] == w.lang_ma
    nominated = [e for e in found["events"] if e["statement"]["type"] == "personnel.nominated"]
    assert nominated and nominated[0]["statement"]["facts"]["person"] == PERSON
    envelope = nominated[0]["envelope"]
    assert set(envelope) == {"payloadType", "payload", "signatures"} and nominated[0]["index"] is not None
    people = {p["id"]: p for p in found["people"]}
    assert people[PERSON]["profile"]["born"] == BORN
    assert people[PERSON]["profile"]["party"]["status"] == "full"
    assert people[PERSON]["entries"][0]["envelope"]["signatures"][0]["keyid"] == w.keys[w.committee].public.key_id


def test_unsigned_and_badly_signed_requests_get_401(served: Served) -> None:
    w = served.world
    response = served.client.get(history(served))
    problem_of(response, 401, "signature_missing")
    assert "@target-uri" in response.headers["accept-signature"]
    wrong_key = served.signed_get(history(served), w.inspection, key=SigningKey.generate(),
                                  keyid=w.keys[w.inspection].public.key_id)
    problem_of(wrong_key, 401, "signature_invalid")
    problem_of(served.signed_get(history(served), w.inspection, key=SigningKey.generate()), 401,
               "signature_unknown_key")
    problem_of(served.signed_get(history(served), "qng.bato/khong-co", key=SigningKey.generate()), 401,
               "signature_unknown_key")
    garbled = served.client.get(history(served), headers={"Signature-Input": "sig1=(", "Signature": "sig1=:AA==:",
                                                          "Dantin-Body": w.inspection})
    problem_of(garbled, 401, "signature_malformed")
    # A signature for another path does not open this one.
    url = served.url + f"/v1/villages/{w.sontinh}/history"
    fields = {"Dantin-Body": w.inspection}
    moved = served.client.get(history(served), headers={**fields, **sign_request(w.keys[w.inspection], "GET", url,
                                                                                   fields)})
    problem_of(moved, 401, "signature_invalid")


def test_expired_and_replayed_signatures_get_401(served: Served) -> None:
    w = served.world
    stale = served.signed_get(history(served), w.inspection, created=int(time.time()) - 3600)
    problem_of(stale, 401, "signature_expired")
    fields = {"Dantin-Body": w.inspection}
    headers = {**fields, **sign_request(w.keys[w.inspection], "GET", served.url + history(served), fields)}
    assert served.client.get(history(served), headers=headers).status_code == 200
    problem_of(served.client.get(history(served), headers=headers), 401, "signature_replayed")


def test_readers_without_rights_or_outside_their_jurisdiction_get_403(served: Served) -> None:
    w = served.world
    problem_of(served.signed_get(history(served), SONTINH_INSPECTION), 403, "read_outside_jurisdiction")
    problem_of(served.signed_get(history(served), w.cell), 403, "read_not_allowed")
    problem_of(served.signed_get(history(served), w.committee), 403, "read_not_allowed")
    problem_of(served.signed_get(f"/v1/villages/{w.badien}/history", w.inspection), 404, "not_found")  # a commune


def test_cosignatures_and_the_village_bundle(served: Served) -> None:
    w = served.world
    note = served.client.get("/v1/log/checkpoint").text
    lines = []
    for body in (FRONT, w.inspection):
        signer = CosignatureSigner.from_private_bytes(body, w.keys[body].seed())
        lines.append(cosign(None, note, [], served.log_verifier(), int(time.time()), signer=signer).line)
    stored = served.client.post("/v1/log/cosignatures", content=lines[0])
    assert stored.status_code == 201, stored.text
    assert stored.json()[0]["witness"] == FRONT
    both = served.client.post("/v1/log/cosignatures", content=note + lines[1])  # a note carrying the line
    assert both.status_code == 201 and both.json()[0]["witness"] == w.inspection
    shown = served.client.get("/v1/log/checkpoint", params={"witnessed": True}).text
    assert lines[0] in shown and lines[1] in shown
    problem_of(served.client.post("/v1/log/cosignatures", content="— nobody AAAA"), 422, "bad_cosignature")
    problem_of(served.client.post("/v1/log/cosignatures", content=b"\xff"), 400, "invalid_request")
    cell = CosignatureSigner.from_private_bytes(w.cell, w.keys[w.cell].seed())
    not_witness = cosign(None, note, [], served.log_verifier(), int(time.time()), signer=cell).line
    problem_of(served.client.post("/v1/log/cosignatures", content=not_witness), 422, "unknown_witness")

    problem_of(served.client.get(f"/v1/bundles/villages/{w.lang_ma}"), 401, "signature_missing")
    problem_of(served.signed_get(f"/v1/bundles/villages/{w.lang_ma}", SONTINH_INSPECTION), 403,
               "read_outside_jurisdiction")
    response = served.signed_get(f"/v1/bundles/villages/{w.lang_ma}", w.inspection)
    assert response.status_code == 200, response.text
    report = verify_bundle(response.content, log_key=served.log_verifier().vkey())
    assert report.village == w.lang_ma and report.size == int(response.headers["x-dantin-checkpoint-size"])
    assert report.heads is not None and report.heads >= 3  # the server signs the stream heads with the log key


def test_head_is_checked_against_the_method_the_client_sent(served: Served) -> None:
    """The server answers HEAD as GET (api.middleware), but ``@method`` is what the client sent: a HEAD signed as
    HEAD is a good request, and a signature made for a GET does not open a HEAD."""
    w = served.world
    url, fields = served.url + history(served), {"Dantin-Body": w.inspection}
    head = served.client.head(history(served), headers={**fields, **sign_request(w.keys[w.inspection], "HEAD", url,
                                                                                  fields)})
    assert head.status_code == 200 and head.content == b"", head.headers
    as_get = served.client.head(history(served), headers={**fields, **sign_request(w.keys[w.inspection], "GET", url,
                                                                                    fields)})
    assert as_get.status_code == 401 and as_get.headers["content-type"] == "application/problem+json"


def test_signature_fields_in_several_field_lines_are_one_dictionary(served: Served) -> None:
    """RFC 9421 §4.1/§4.2 and RFC 8941 §4.2: Signature-Input and Signature are Dictionaries, and a Dictionary sent
    in several field lines is their values joined by commas (here a second signature, a proxy's, came in lines of
    its own, and the first Signature line is the proxy's)."""
    w = served.world
    url, fields = served.url + history(served), {"Dantin-Body": w.inspection}
    ours = sign_request(w.keys[w.inspection], "GET", url, fields)
    proxy = sign_request(SigningKey.generate(), "GET", url, fields, covered=("@method", "@authority"), label="proxy")
    headers = [("Dantin-Body", w.inspection), ("Signature-Input", ours["Signature-Input"]),
               ("Signature-Input", proxy["Signature-Input"]), ("Signature", proxy["Signature"]),
               ("Signature", ours["Signature"])]
    response = served.client.get(history(served), headers=headers)
    assert response.status_code == 200, response.text
