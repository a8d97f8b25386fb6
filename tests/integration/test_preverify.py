"""A large batch's signatures are checked on other cores; the outcome is exactly serial judging."""

from __future__ import annotations

import copy
from typing import Any

from conftest import World

from ledger.errors import Refused
from ledger.preverify import MIN_BATCH


def _profiles(world: World, count: int) -> list[dict[str, Any]]:
    return [world.sign(world.cell, "person.profiled", world.lang_ma, {"person": f"p{i}", "name": f"Người {i}"})
            for i in range(count)]


def _codes(results: list[Any]) -> list[str]:
    return [r.code if isinstance(r, Refused) else "ok" for r in results]


def test_a_bad_signature_in_a_large_batch_is_refused_and_the_rest_accepted(world: World) -> None:
    batch = _profiles(world, MIN_BATCH + 36)
    bad = copy.deepcopy(batch[40])
    sig = bytearray(bad["signatures"][0]["sig"].encode())
    sig[5] = ord("A") if sig[5] != ord("A") else ord("B")
    bad["signatures"][0]["sig"] = sig.decode()
    batch[40] = bad
    # A good signature lifted onto another payload must not ride on the first one's check.
    lifted = copy.deepcopy(batch[70])
    lifted["signatures"][0]["sig"] = batch[10]["signatures"][0]["sig"]
    batch[70] = lifted
    results = world.submit(batch)
    codes = _codes(results)
    assert codes[40] == "bad_signature" and codes[70] == "bad_signature"
    assert codes.count("ok") == len(batch) - 2
    assert world.ledger.get_stream("person:p40") is None and world.ledger.get_stream("person:p70") is None
    assert world.ledger.get_stream("person:p71") is not None


def test_a_large_batch_that_enrols_its_own_signer_is_judged_in_order(world: World) -> None:
    from ledger.signing import SigningKey

    key = SigningKey.generate()
    team = "qng.bato.badien.lang-ma/election_team"
    enrol = world.enrolment(world.root, team, "election_team", "Tổ bầu cử Làng Mạ", world.lang_ma, key)
    world.keys[team] = key
    # The team signs before and after its enrolment within one large batch.
    before = world.sign(world.committee, "person.profiled", world.lang_ma, {"person": "c0"})
    counted = [world.sign(team, "person.profiled", world.lang_ma, {"person": f"x{i}"}) for i in range(3)]
    batch = [*counted[:1], enrol, *_profiles(world, MIN_BATCH), before, *counted[1:]]
    codes = _codes(world.submit(batch))
    assert codes[0] == "unknown_key"  # signed by a body not enrolled yet at that point
    assert codes[1:] == ["ok"] * (len(batch) - 3) + ["kind_not_allowed"] * 2


def test_a_busy_writer_checks_single_envelopes_on_a_worker_and_still_refuses_a_bad_one(world: World) -> None:
    from ledger.application import WARM_AFTER

    for i in range(WARM_AFTER + 1):
        world.accept(*_profiles_from(world, i))
    pool = world.ledger._preverifier.pool
    assert pool is not None, "a writer this busy checks signatures on a worker"
    sent = pool._next
    bad = _profiles_from(world, 500)[0]
    sig = bytearray(bad["signatures"][0]["sig"].encode())
    sig[5] = ord("A") if sig[5] != ord("A") else ord("B")
    bad["signatures"][0]["sig"] = sig.decode()
    lifted = _profiles_from(world, 501)[0]
    lifted["signatures"][0]["sig"] = _profiles_from(world, 502)[0]["signatures"][0]["sig"]
    position, leaves = world.position(), world.ledger.log_size()
    assert _codes(world.submit([bad])) == ["bad_signature"]
    assert _codes(world.submit([lifted])) == ["bad_signature"]
    assert pool._next > sent  # they went to the worker, whose refusal rolled the insert back
    assert world.position() == position
    assert world.ledger.get_stream("person:p500") is None and world.ledger.get_stream("person:p501") is None
    [ok] = world.accept(*_profiles_from(world, 503))  # and the writer goes on
    assert ok.index == leaves and world.ledger.log_size() == leaves + 1
    assert world.position() == ok.notification_id


def _profiles_from(world: World, i: int) -> list[dict[str, Any]]:
    return [world.sign(world.cell, "person.profiled", world.lang_ma, {"person": f"p{i}", "name": f"Người {i}"})]


def test_a_busy_writer_sends_a_single_signature_before_parsing_its_statement(world: Any, monkeypatch: Any) -> None:
    """Once its key id is known, a single envelope's signature goes to the worker as soon as the
    envelope is opened, ahead of the statement's checks; the worker's answer is used (nothing is
    verified inline), and an envelope refused after it was sent stores nothing."""
    import base64

    import ledger.application as application
    from ledger.application import WARM_AFTER
    from ledger.signing import PAYLOAD_TYPE, PublicKey, canonical_json, pae

    for i in range(WARM_AFTER + 1):
        world.accept(*_profiles_from(world, i))
    pool = world.ledger._preverifier.pool
    assert pool is not None
    sent_before_parse: list[bool] = []
    parse = application.parse_payload

    def watched_parse(payload: bytes, keyid: str, sig: bytes) -> Any:
        sent_before_parse.append(pool._next > tickets[-1])
        return parse(payload, keyid, sig)

    inline: list[bytes] = []
    verify = PublicKey.verify

    def watched_verify(self: PublicKey, sig: bytes, message: bytes) -> None:
        inline.append(sig)
        verify(self, sig, message)

    monkeypatch.setattr(application, "parse_payload", watched_parse)
    monkeypatch.setattr(PublicKey, "verify", watched_verify)
    tickets = [pool._next]
    for i in range(100, 105):
        world.accept(*_profiles_from(world, i))
        tickets.append(pool._next)
    assert sent_before_parse == [True] * 5
    assert inline == []  # every one vouched for by the worker, from the early send

    # A statement that is not canonical JSON, under a known key: sent early, then refused as malformed.
    good = _profiles_from(world, 600)[0]
    statement = base64.b64decode(good["payload"])
    payload = canonical_json(__import__("orjson").loads(statement)).replace(b'{"', b'{ "', 1)
    sig = world.keys[world.cell].sign(pae(PAYLOAD_TYPE, payload))
    odd = {**good, "payload": base64.b64encode(payload).decode(),
           "signatures": [{"keyid": good["signatures"][0]["keyid"], "sig": base64.b64encode(sig).decode()}]}
    position = world.position()
    assert _codes(world.submit([odd])) == ["malformed"]
    assert sent_before_parse[-1] is True and world.position() == position
    assert world.ledger.get_stream("person:p600") is None
    world.accept(good)  # the writer goes on, its answer for the refused one dropped
    assert world.ledger.get_stream("person:p600") is not None


def _corrupt(envelope: dict[str, Any]) -> dict[str, Any]:
    bad = copy.deepcopy(envelope)
    sig = bytearray(bad["signatures"][0]["sig"].encode())
    sig[5] = ord("A") if sig[5] != ord("A") else ord("B")
    bad["signatures"][0]["sig"] = sig.decode()
    return bad


def test_a_bad_signature_nothing_relied_on_does_not_make_the_batch_judged_again(world: Any, monkeypatch: Any) -> None:
    """A malformed envelope under a known key id has its signature sent before it is refused;
    that signature being bad changes no judgement, so the batch is judged once and stored."""
    import base64

    import orjson

    import ledger.application as application
    from ledger.signing import canonical_json

    world.accept(*_profiles_from(world, 900))  # the cell's key id is now known to the writer
    batch = _profiles(world, MIN_BATCH + 10)
    good = batch[10]
    payload = canonical_json(orjson.loads(base64.b64decode(good["payload"]))).replace(b'{"', b'{ "', 1)
    batch[10] = _corrupt({**good, "payload": base64.b64encode(payload).decode()})
    judged: list[int] = []
    judge = application.Ledger._judge

    def counted(self: Any, parsed: Any, vouched: Any) -> Any:
        judged.append(len(parsed))
        return judge(self, parsed, vouched)

    monkeypatch.setattr(application.Ledger, "_judge", counted)
    codes = _codes(world.submit(batch))
    assert codes[10] == "malformed" and codes.count("ok") == len(batch) - 1
    assert judged == [len(batch)]


def test_a_bad_signature_the_judgement_skipped_still_gives_serial_judgings_refusal(world: Any) -> None:
    """An envelope whose signer may not sign its type is refused for its bad signature first, as
    serial judging would, even when its (assumed good) signature was at first not verified."""
    from ledger.signing import SigningKey

    key = SigningKey.generate()
    team = "qng.bato.badien.lang-ma/election_team"
    world.accept(world.enrolment(world.root, team, "election_team", "Tổ bầu cử Làng Mạ", world.lang_ma, key))
    world.keys[team] = key
    assert _codes(world.submit([world.sign(team, "person.profiled", world.lang_ma, {"person": "t0"})])) == [
        "kind_not_allowed"]
    batch = _profiles(world, MIN_BATCH)
    batch.insert(5, _corrupt(world.sign(team, "person.profiled", world.lang_ma, {"person": "t1"})))
    batch.insert(9, world.sign(team, "person.profiled", world.lang_ma, {"person": "t2"}))
    codes = _codes(world.submit(batch))
    assert codes[5] == "bad_signature" and codes[9] == "kind_not_allowed"
    assert codes.count("ok") == MIN_BATCH
