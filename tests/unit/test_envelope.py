"""Parsing signed envelopes is strict: one fact has one byte string, or it is ``malformed``.

Every case below is a really signed envelope (or really broken bytes) that
``parse_envelope`` must refuse before authority is even considered.
"""

from __future__ import annotations

import base64
import json
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from ledger.envelope import Envelope, parse_envelope, seal
from ledger.errors import REFUSALS, Refused
from ledger.signing import PAYLOAD_TYPE, SigningKey, b64encode, canonical_json, pae
from schemas.facts import BodyEnrolled

KEY = SigningKey.generate()
OTHER = SigningKey.generate()
CELL = "qng.bato.badien.lang-ma/cell"
LANG_MA = "qng.bato.badien.lang-ma"


def statement(**changes: Any) -> dict[str, Any]:
    """A well-formed statement by the village cell, with ``changes`` applied."""
    base: dict[str, Any] = {
        "v": 1,
        "type": "personnel.nominated",
        "place": LANG_MA,
        "date": "2022-03-20",
        "body": CELL,
        "key": KEY.public.key_id,
        "signed_at": "2022-03-20T08:00:00Z",
        "facts": {"person": "p1"},
    }
    base.update(changes)
    return base


def enrolment_facts() -> dict[str, Any]:
    return {
        "id": "qng.bato.badien/front",
        "kind": "commune_front",
        "name": "Ban Thường trực UBMTTQ xã Ba Điền",
        "jurisdiction": "qng.bato.badien",
        "keys": [{"public": OTHER.public.b64}],
    }


def wrap(payload: bytes, *, key: SigningKey = KEY, keyid: str | None = None) -> dict[str, Any]:
    """A DSSE envelope of exactly these payload bytes, really signed by ``key``."""
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": b64encode(payload),
        "signatures": [
            {"keyid": keyid or key.public.key_id, "sig": b64encode(key.sign(pae(PAYLOAD_TYPE, payload)))}
        ],
    }


def signed(stmt: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return wrap(canonical_json(stmt), **kwargs)


def has_vietnamese_diacritics(text: str) -> bool:
    return any(ch in "đĐ" or unicodedata.normalize("NFD", ch) != ch for ch in text)


def refused(data: Any) -> Refused:
    """Parse ``data``, which must be refused as malformed with a Vietnamese message."""
    with pytest.raises(Refused) as caught:
        parse_envelope(data)
    refusal = caught.value
    assert refusal.code == "malformed", (refusal.code, refusal.detail)
    assert refusal.title_vi == REFUSALS["malformed"]
    assert refusal.message_vi.strip()
    assert has_vietnamese_diacritics(refusal.message_vi), refusal.message_vi
    return refusal


# -- the control: the same builders produce envelopes that parse ----------------------


def test_a_well_formed_envelope_parses() -> None:
    env = parse_envelope(signed(statement()))
    assert env.statement.type == "personnel.nominated"
    assert env.statement.key == env.keyid == KEY.public.key_id
    assert env.payload == canonical_json(statement())
    assert KEY.public.verify(env.sig, env.preimage()) is None


@pytest.mark.parametrize("size", [0, 1, 9, 10, 99, 100, 330, 1_000_000])
def test_the_pre_image_is_the_dsse_encoding_of_the_payload(size: int) -> None:
    env = parse_envelope(signed(statement()))._replace(payload=b"x" * size)
    assert env.preimage() == pae(PAYLOAD_TYPE, b"x" * size)
    assert env.preimage() == b"DSSEv1 %d %s %d %s" % (len(PAYLOAD_TYPE), PAYLOAD_TYPE.encode(), size, b"x" * size)


def test_a_well_formed_envelope_parses_from_json_bytes_and_text() -> None:
    wire = signed(statement())
    assert parse_envelope(orjson.dumps(wire)).payload == parse_envelope(json.dumps(wire)).payload


# -- the envelope itself ------------------------------------------------------------


@pytest.mark.parametrize("text", [b"", b"{", b"{'payload': 1}", b"\xff\xfe", "not json at all"])
def test_not_json(text: bytes | str) -> None:
    refused(text)


@pytest.mark.parametrize("text", [b"[]", b'"envelope"', b"42", b"null", b"true"])
def test_not_an_object(text: bytes) -> None:
    refused(text)


def test_a_python_list_is_not_an_object() -> None:
    refused([signed(statement())])


def test_an_extra_field_in_the_envelope() -> None:
    refused(signed(statement()) | {"comment": "thêm"})


def test_an_extra_field_in_the_signature() -> None:
    wire = signed(statement())
    wire["signatures"][0]["public"] = KEY.public.b64
    refused(wire)


@pytest.mark.parametrize("missing", ["payloadType", "payload", "signatures"])
def test_a_missing_envelope_field(missing: str) -> None:
    wire = signed(statement())
    del wire[missing]
    refused(wire)


def test_another_payload_type() -> None:
    refused(signed(statement()) | {"payloadType": "application/vnd.in-toto+json"})


def test_two_signatures() -> None:
    wire = signed(statement())
    second = signed(statement(), key=OTHER)["signatures"][0]
    wire["signatures"].append(second)
    refused(wire)


def test_no_signature() -> None:
    refused(signed(statement()) | {"signatures": []})


@pytest.mark.parametrize("keyid", ["ABCDEF" * 5 + "AB", "abc", "0" * 34])
def test_a_keyid_that_is_not_32_lowercase_hex(keyid: str) -> None:
    refused(signed(statement(key=keyid), keyid=keyid))


@pytest.mark.parametrize("bad", ["!!!!", "aGVsbG8=\x00", "a", "aGVsbG8gd29ybGQ=="])
def test_bad_base64_payload(bad: str) -> None:
    refused(signed(statement()) | {"payload": bad})


def test_bad_base64_signature() -> None:
    wire = signed(statement())
    wire["signatures"][0]["sig"] = "not*base64*at*all"
    refused(wire)


B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _non_canonical_spellings(raw: bytes) -> list[str]:
    """Other spellings that lenient decoders read as the same ``raw`` bytes."""
    text = base64.b64encode(raw).decode()
    assert text.endswith("=="), "pick a length ≡ 1 (mod 3) so every trick applies"
    urlsafe = base64.urlsafe_b64encode(raw).decode()
    # The character before "==" carries 2 bits of data and 4 unused bits; set one.
    low_bit = B64_ALPHABET[B64_ALPHABET.index(text[-3]) | 1]
    spellings = [
        text.rstrip("="),  # padding dropped
        text[:40] + "\n" + text[40:],  # MIME line break
        text + "\n",
        text[:-3] + low_bit + "==",
    ]
    assert base64.b64decode(spellings[-1]) == raw
    if urlsafe != text:
        spellings.append(urlsafe)  # the URL-safe alphabet
    return spellings


def test_non_canonical_base64_of_the_signature() -> None:
    wire = signed(statement())
    sig = base64.b64decode(wire["signatures"][0]["sig"])
    assert len(sig) == 64
    for spelling in _non_canonical_spellings(sig):
        broken = json.loads(json.dumps(wire))
        broken["signatures"][0]["sig"] = spelling
        assert "base64" in refused(broken).detail


def test_non_canonical_base64_of_the_payload() -> None:
    payloads = [canonical_json(statement(facts={"person": "p1", "note": "x" * n})) for n in range(3)]
    payload = next(p for p in payloads if len(p) % 3 == 1)
    wire = wrap(payload)
    parse_envelope(wire)  # the canonical spelling of the same bytes is fine
    for spelling in _non_canonical_spellings(payload):
        assert "base64" in refused(wire | {"payload": spelling}).detail


@pytest.mark.parametrize("size", [0, 32, 63, 65])
def test_a_signature_that_is_not_64_bytes(size: int) -> None:
    wire = signed(statement())
    wire["signatures"][0]["sig"] = b64encode(b"\x07" * size)
    refusal = refused(wire)
    assert str(size) in refusal.detail


# -- the payload must be its own RFC 8785 form --------------------------------------


def test_payload_with_spaces() -> None:
    payload = json.dumps(statement(), sort_keys=True, ensure_ascii=False).encode()
    assert b": " in payload
    refused(wrap(payload))


def test_payload_with_unsorted_keys() -> None:
    payload = json.dumps(statement(), separators=(",", ":"), ensure_ascii=False).encode()
    assert payload != canonical_json(statement())
    refused(wrap(payload))


def test_payload_with_a_duplicate_key() -> None:
    canonical = canonical_json(statement())
    payload = canonical.replace(b'"date":"2022-03-20"', b'"date":"2022-03-19","date":"2022-03-20"')
    assert payload != canonical
    refused(wrap(payload))


def test_payload_with_an_escaped_letter() -> None:
    stmt = statement(facts={"person": "p1", "note": "Làng Mạ"})
    payload = canonical_json(stmt).replace("à".encode(), b"\\u00e0")
    assert orjson.loads(payload) == stmt
    refused(wrap(payload))


def test_payload_with_a_trailing_newline() -> None:
    refused(wrap(canonical_json(statement()) + b"\n"))


@pytest.mark.parametrize("payload", [b"not json", b"[1,2]", b'"statement"', b"\xff"])
def test_payload_that_is_not_a_json_object(payload: bytes) -> None:
    refused(wrap(payload))


@pytest.mark.parametrize(
    ("spelling", "where"),
    [
        (b'"facts":{"person":"p1","share":0.5}', "facts.share"),
        (b'"facts":{"person":"p1","share":1.0}', "facts.share"),  # integral, still a float
        (b'"facts":{"person":"p1","share":1e2}', "facts.share"),
        (b'"facts":{"a":[1,{"b":[2.5]}],"person":"p1"}', "facts.a[1].b[0]"),
    ],
)
def test_a_float_in_the_facts(spelling: bytes, where: str) -> None:
    payload = canonical_json(statement()).replace(b'"facts":{"person":"p1"}', spelling)
    refusal = refused(wrap(payload))
    assert refusal.detail == f"float at {where}"


def test_a_float_outside_the_facts() -> None:
    payload = canonical_json(statement()).replace(b'"v":1', b'"v":1.0')
    refusal = refused(wrap(payload))
    assert refusal.detail == "float at v"


@pytest.mark.parametrize("number", [b"9007199254740992", b"-1152921504606846976"])
def test_an_integer_beyond_the_json_safe_range(number: bytes) -> None:
    # RFC 8785 §3.2.2.3 (I-JSON): integers must be exact as IEEE 754 doubles.
    payload = canonical_json(statement()).replace(b'"person":"p1"', b'"n":' + number + b',"person":"p1"')
    refused(wrap(payload))


# -- the statement --------------------------------------------------------------------


@pytest.mark.parametrize("event_type", ["election.cancelled", "person.deleted", "Personnel.Nominated", "x"])
def test_an_unknown_event_type(event_type: str) -> None:
    refused(signed(statement(type=event_type)))


def test_statement_key_is_not_the_signature_keyid() -> None:
    # Signed by KEY and labelled KEY in the envelope, but the statement names OTHER.
    refusal = refused(signed(statement(key=OTHER.public.key_id)))
    assert "keyid" in refusal.detail


def test_signature_keyid_is_not_the_statement_key() -> None:
    refused(signed(statement(), keyid=OTHER.public.key_id))


@pytest.mark.parametrize(
    "date", ["2022-3-20", "20/03/2022", "2022-02-30", "2022-03-20T00:00:00Z", "22-03-20", "", 20220320]
)
def test_a_badly_spelled_date(date: Any) -> None:
    refusal = refused(signed(statement(date=date)))
    assert refusal.detail.startswith("date")


@pytest.mark.parametrize(
    "signed_at", ["2022-03-20T08:00:00+07:00", "2022-03-20 08:00:00Z", "2022-03-20T08:00Z", "2022-03-20"]
)
def test_a_badly_spelled_signing_time(signed_at: str) -> None:
    refused(signed(statement(signed_at=signed_at)))


@pytest.mark.parametrize("missing", ["v", "type", "place", "date", "body", "key", "signed_at", "facts"])
def test_a_statement_missing_a_field(missing: str) -> None:
    stmt = statement()
    del stmt[missing]
    refused(signed(stmt))


def test_an_extra_field_in_the_statement() -> None:
    refused(signed(statement(note="thêm")))


@pytest.mark.parametrize(
    ("field", "value"),
    [("v", 2), ("place", "Quang Ngai"), ("body", "cell"), ("facts", ["p1"])],
)
def test_a_statement_field_of_the_wrong_shape(field: str, value: Any) -> None:
    refused(signed(statement(**{field: value})))


@pytest.mark.parametrize("missing", ["id", "kind", "name", "jurisdiction", "keys"])
def test_body_enrolled_facts_missing_a_field(missing: str) -> None:
    facts = enrolment_facts()
    del facts[missing]
    stmt = statement(type="body.enrolled", place="qng.bato.badien", facts=facts)
    refusal = refused(signed(stmt))
    assert refusal.detail.startswith(f"facts.{missing}:"), refusal.detail


@pytest.mark.parametrize(
    ("field", "value"),
    [("kind", "village_chief"), ("keys", []), ("name", ""), ("id", "front"), ("extra", 1)],
)
def test_body_enrolled_facts_of_the_wrong_shape(field: str, value: Any) -> None:
    facts = enrolment_facts() | {field: value}
    refused(signed(statement(type="body.enrolled", place="qng.bato.badien", facts=facts)))


def test_well_formed_body_enrolled_facts_are_typed() -> None:
    stmt = statement(type="body.enrolled", place="qng.bato.badien", facts=enrolment_facts())
    env = parse_envelope(signed(stmt))
    assert isinstance(env.facts, BodyEnrolled)
    assert env.facts.keys[0].public == OTHER.public.b64


# -- seal -----------------------------------------------------------------------------

NOMINATION = {"type": "personnel.nominated", "place": LANG_MA, "date": "2022-03-20", "facts": {"person": "p1"}}


@pytest.mark.parametrize(
    "facts",
    [{"person": "p1", "share": 0.5}, {"person": "p1", "share": 2.0}, {"votes": {"p1": [1, 2.5]}}],
)
def test_seal_refuses_floats(facts: dict[str, Any]) -> None:
    with pytest.raises(Refused) as caught:
        seal(KEY, CELL, NOMINATION | {"facts": facts})
    assert caught.value.code == "malformed"
    assert has_vietnamese_diacritics(caught.value.message_vi)


@pytest.mark.parametrize(("event", "where"), [
    (NOMINATION | {"facts": {"person": "p1", "note": "ghi chú\u200b"}}, "facts.note"),
    (NOMINATION | {"signer": {"name": "Đinh Văn \u202eA"}}, "signer.name"),
])
def test_seal_refuses_hidden_characters_before_signing(event: dict[str, Any], where: str) -> None:
    with pytest.raises(Refused) as caught:
        seal(KEY, CELL, event)
    assert caught.value.code == "malformed"
    assert where in caught.value.message_vi and has_vietnamese_diacritics(caught.value.message_vi)


def test_seal_refuses_integers_beyond_the_json_safe_range() -> None:
    with pytest.raises(Refused) as caught:
        seal(KEY, CELL, NOMINATION | {"facts": {"person": "p1", "n": 2**53}})
    assert caught.value.code == "malformed"


def test_sealed_envelope_round_trips_through_parse() -> None:
    at = datetime(2022, 3, 20, 1, 2, 3, tzinfo=UTC)
    event = NOMINATION | {"signer": {"name": "Đinh Văn B", "title": "Bí thư chi bộ"}}
    wire = seal(KEY, CELL, event, signed_at=at)
    for form in (wire, orjson.dumps(wire), json.dumps(wire, ensure_ascii=False)):
        env = parse_envelope(form)
        assert isinstance(env, Envelope)
        assert env.wire() == wire
        st = env.statement
        assert (st.type, st.place, st.date.isoformat(), st.body) == (
            "personnel.nominated", LANG_MA, "2022-03-20", CELL,
        )
        assert st.key == env.keyid == KEY.public.key_id
        assert st.signed_at == at and st.signed_at.utcoffset() == timedelta(0) and st.signed_at.tzinfo is UTC
        assert st.facts == {"person": "p1"}
        assert st.signer is not None
        assert st.signer.name == "Đinh Văn B"
        assert KEY.public.verify(env.sig, env.preimage()) is None
    payload = base64.b64decode(wire["payload"])
    assert canonical_json(orjson.loads(payload)) == payload
    assert b'"signed_at":"2022-03-20T01:02:03Z"' in payload
    assert "Đinh Văn B".encode() in payload  # raw UTF-8, as RFC 8785 writes it


def test_sealing_twice_at_the_same_instant_gives_the_same_bytes() -> None:
    at = datetime(2022, 3, 20, 8, 0, tzinfo=UTC)
    assert seal(KEY, CELL, NOMINATION, signed_at=at) == seal(KEY, CELL, NOMINATION, signed_at=at)
