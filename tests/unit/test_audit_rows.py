"""The per-row checks of ``dantin verify`` (``ledger.audit_rows``) answer as the reference does.

The fast paths they share with ingest (``signing.is_canonical``, ``signing.b64decode_strict``)
must give the careful path's answer exactly, refusals word for word; the Merkle roots of the
log check must be RFC 9162's.
"""

from __future__ import annotations

import base64
import random
from typing import Any

import orjson
import pytest

import ledger.envelope
from ledger.audit_rows import Bad, check_row
from ledger.audit_sig import verify_jobs
from ledger.envelope import Envelope, parse_payload, seal
from ledger.errors import CryptoError, Refused
from ledger.merkle import CompactRange, leaf_hash, root_from_leaves
from ledger.signing import SigningKey, _b64decode_reference, b64decode_strict, canonical_json, find_float

KEY = SigningKey.generate()
BODY = "qng.bato.badien.lang-ma/cell"
PLACE = "qng.bato.badien.lang-ma"


def _payload(event: dict[str, Any]) -> bytes:
    return b64decode_strict(seal(KEY, BODY, event)["payload"])


PAYLOADS = [
    _payload({"type": "person.profiled", "place": PLACE, "date": "2022-01-10",
              "facts": {"person": "p1", "name": "Đinh Văn A", "born": "1975-02-01"}}),
    _payload({"type": "place.registered", "place": PLACE, "date": "2022-01-10",
              "facts": {"id": PLACE, "name": "Thôn Làng Mạ", "kind": "thon"}}),
    _payload({"type": "body.enrolled", "place": PLACE, "date": "2022-01-10",
              "facts": {"id": BODY, "kind": "cell", "name": "Chi bộ", "jurisdiction": PLACE,
                        "keys": [{"public": KEY.public.b64, "valid_from": "2022-01-01T00:00:00Z"}]}}),
    _payload({"type": "key.rotated", "place": PLACE, "date": "2022-01-10",
              "facts": {"body": BODY, "key": {"public": KEY.public.b64}, "retire": KEY.public.key_id}}),
    _payload({"type": "candidates.agreed", "place": PLACE, "date": "2022-01-10",
              "facts": {"candidates": ["p1", "p2"]}}),
    _payload({"type": "congress.reported", "place": PLACE, "date": "2022-01-10", "facts": {},
              "signer": {"name": "Đinh Văn B", "title": "Bí thư"}}),
]


def _outcome(parse: Any, payload: bytes, keyid: str, sig: bytes) -> Any:
    try:
        env = parse(payload, keyid, sig)
    except Refused as exc:
        return ("refused", exc.code, exc.message_vi, exc.detail)
    assert isinstance(env, Envelope)
    facts = None if env.facts is None else (type(env.facts), env.facts.model_dump(),
                                             env.facts.model_fields_set)
    return ("ok", env.payload, env.keyid, env.sig, env.statement.model_dump(),
            env.statement.model_fields_set, facts)


def _variants(payload: bytes, rng: random.Random) -> list[bytes]:
    obj = orjson.loads(payload)
    out = [payload]
    # Byte damage anywhere.
    for offset in rng.sample(range(len(payload)), min(len(payload), 40)):
        out.append(payload[:offset] + bytes([payload[offset] ^ rng.choice((1, 2, 4, 32, 64, 128))])
                   + payload[offset + 1:])
    # What the canonical check is about: floats, big integers, key order, spacing, escapes,
    # non-ASCII keys, characters whose UTF-16 order differs.
    for extra in ({"n": 1.5}, {"n": 1.0}, {"n": 2**53}, {"n": 2**53 - 1}, {"n": -(2**60)},
                  {"é": "x"}, {"\ue000": "x", "\U0001f600": "y"}, {"s": "\ue000\U0001f600"},
                  {"s": "a\u001fb\"c\\"}, {"s": "</script>"}):
        facts = {**obj["facts"], **extra}
        changed = {**obj, "facts": facts}
        out.append(orjson.dumps(changed, option=orjson.OPT_SORT_KEYS))
        out.append(orjson.dumps(changed))
    out.append(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2))
    out.append(payload.replace(b'"v":1', b'"v":1.0'))
    out.append(payload.replace(b'"v":1', b'"v":true'))
    out.append(payload.replace(b'"v":1', b'"v":1e0'))
    out.append(orjson.dumps({**obj, "type": "no.such.type"}, option=orjson.OPT_SORT_KEYS))
    out.append(orjson.dumps({**obj, "extra": 1}, option=orjson.OPT_SORT_KEYS))
    out.append(orjson.dumps([obj], option=orjson.OPT_SORT_KEYS))
    out.append(b'{"a":18446744073709551616}')
    return out


def _careful_is_canonical(payload: bytes, value: Any) -> bool:
    """``is_canonical`` without its fast path: floats refused, then the full RFC 8785 form."""
    return find_float(value) is None and canonical_json(value) == payload


@pytest.mark.parametrize("index", range(len(PAYLOADS)))
def test_the_canonical_fast_path_answers_as_the_careful_path(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(index)
    sig = bytes(64)
    cases = [(payload, keyid) for payload in _variants(PAYLOADS[index], rng) for keyid in (KEY.public.key_id, "0" * 32)]
    fast = [_outcome(parse_payload, payload, keyid, sig) for payload, keyid in cases]
    monkeypatch.setattr(ledger.envelope, "is_canonical", _careful_is_canonical)
    careful = [_outcome(parse_payload, payload, keyid, sig) for payload, keyid in cases]
    for case, a, b in zip(cases, fast, careful, strict=True):
        assert a == b, case


def _b64_outcome(decode: Any, text: str) -> Any:
    try:
        return ("ok", decode(text))
    except CryptoError as exc:
        return ("error", type(exc), exc.message_vi, exc.detail)


def test_fast_base64_answers_as_the_reference_decoder() -> None:
    rng = random.Random(7)
    texts = ["", "=", "==", "A", "AA", "AA=", "AA==", "AAA=", "AB==", "AQ==", "AR==", "AAAA",
             "AA==AA==", " AAAA", "AAAA\n", "A\nAAA", "-_-_", "+/+/", "Zm9v", "Zm9", "Zm9=",
             "Zm8=", "Zm9vYg==", "Zm9vYh==", "Zm9vYg=", "Zm9vYg===", "é===", "Zm9v\x00"]
    for _ in range(300):
        raw = rng.randbytes(rng.randrange(0, 70))
        text = base64.b64encode(raw).decode()
        texts.append(text)
        if text:
            i = rng.randrange(len(text))
            texts.append(text[:i] + rng.choice("A/+=-_ \n.") + text[i + 1:])
            texts.append(text[:i] + text[i + 1:])
    for text in texts:
        assert _b64_outcome(b64decode_strict, text) == _b64_outcome(_b64decode_reference, text), text


def _row(payload: bytes, prev: str = "0" * 64) -> tuple[str, bytes]:
    sig = KEY.sign(b"unused")
    state = {"timestamp": {"_type_": "datetime_iso", "_data_": "2022-03-20T01:02:03.000004+00:00"},
             "payload": base64.b64encode(payload).decode(), "keyid": KEY.public.key_id,
             "sig": base64.b64encode(sig).decode(), "prev": prev}
    return "dantin:Stream.Appended", orjson.dumps(state)


def test_rows_decode_or_say_why() -> None:
    good = [check_row(*_row(p)) for p in PAYLOADS]
    for payload, checked in zip(PAYLOADS, good, strict=True):
        assert not isinstance(checked, Bad)
        env, prev, leaf = checked
        assert env == parse_payload(payload, KEY.public.key_id, env.sig) and prev == "0" * 64 and len(leaf) == 64
    assert check_row("dantin:Stream.Appended", b"{}") == Bad(
        "undecodable", "Bản ghi hỏng, không đọc được nội dung.", "row fields differ from a stored entry's")
    assert check_row("nope", b"") == Bad("undecodable", "Bản ghi hỏng, không đọc được nội dung.",
                                         "unknown topic 'nope'")
    topic, state = _row(PAYLOADS[0].replace(b'"v":1', b'"v":2'))
    bad = check_row(topic, state)
    assert isinstance(bad, Bad) and bad.code == "malformed"
    # The signature of "unused" holds for no payload.
    jobs = [(i, KEY.public.raw, env.preimage(), env.sig) for i, (env, _p, _l) in enumerate(good)]  # type: ignore[misc]
    jobs.append((99, KEY.public.raw, b"unused", KEY.sign(b"unused")))
    assert verify_jobs(jobs) == list(range(len(PAYLOADS)))


def test_roots_are_rfc9162_roots() -> None:
    leaves = [leaf_hash(bytes([i])) for i in range(70)]
    frontier = CompactRange()  # roots only, as the audit uses it
    assert frontier.root() == root_from_leaves([])
    for i, leaf in enumerate(leaves):
        frontier.extend([leaf])
        assert frontier.size == i + 1
        assert frontier.root() == root_from_leaves(leaves[:i + 1])
