"""ledger.signing speaks the standards: RFC 8785 (JCS), RFC 8032 (Ed25519) and DSSE's PAE.

The vectors are published data from independent implementations
(/work/shared/vectors/README.md): cyberphone/json-canonicalization for JCS and
C2SP/wycheproof for Ed25519, including the malleable and non-canonical signatures a
verifier must reject.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from conftest import VECTORS as SHARED_VECTORS
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from ledger.entry import entry_bytes
from ledger.errors import CryptoError
from ledger.signing import (
    PAYLOAD_TYPE,
    BadKey,
    BadSignature,
    PublicKey,
    SigningKey,
    b64decode_canonical,
    b64decode_strict,
    b64encode,
    canonical_json,
    key_id,
    pae,
)

VECTORS = SHARED_VECTORS
JCS = VECTORS / "jcs"
JCS_NAMES = sorted(p.stem for p in (JCS / "input").glob("*.json"))
WYCHEPROOF = VECTORS / "ed25519" / "wycheproof_ed25519_test.json"


def test_the_vectors_are_there() -> None:
    """An empty folder must not make every parametrised test below vanish silently."""
    assert {"arrays", "french", "structures", "unicode", "values", "weird"} <= set(JCS_NAMES)
    assert WYCHEPROOF.is_file()


# -- RFC 8785 -------------------------------------------------------------------


@pytest.mark.parametrize("name", JCS_NAMES)
def test_jcs_vector_canonicalises_to_its_published_output(name: str) -> None:
    value = json.loads((JCS / "input" / f"{name}.json").read_text(encoding="utf-8"))
    expected = (JCS / "output" / f"{name}.json").read_bytes()
    assert canonical_json(value) == expected


@pytest.mark.parametrize("name", JCS_NAMES)
def test_jcs_vector_matches_its_published_hex(name: str) -> None:
    value = json.loads((JCS / "input" / f"{name}.json").read_text(encoding="utf-8"))
    expected = bytes.fromhex((JCS / "outhex" / f"{name}.txt").read_text())
    assert canonical_json(value) == expected


def test_jcs_sorts_keys_by_utf16_code_units_not_code_points() -> None:
    # U+1F602 is D83D DE02 in UTF-16, so it sorts before U+FB33 although its code point
    # is larger: the trap of any "sorted keys" JSON dumper (vectors README).
    assert canonical_json({"\ufb33": 1, "\U0001f602": 2}) == '{"😂":2,"דּ":1}'.encode()


# -- Ed25519, Wycheproof ------------------------------------------------------------


def _wycheproof_cases() -> list[Any]:
    data = json.loads(WYCHEPROOF.read_text(encoding="utf-8"))
    cases = []
    for group in data["testGroups"]:
        pk = group["publicKey"]["pk"]
        for test in group["tests"]:
            label = f"tc{test['tcId']}-{test['result']}"
            if test["comment"]:
                label += "-" + test["comment"].replace(" ", "_")
            cases.append(pytest.param(pk, test["msg"], test["sig"], test["result"], id=label))
    return cases


WYCHEPROOF_CASES = _wycheproof_cases()


def test_wycheproof_has_valid_and_invalid_cases() -> None:
    results = [case.values[3] for case in WYCHEPROOF_CASES]
    assert results.count("valid") > 50
    assert results.count("invalid") > 50
    assert set(results) == {"valid", "invalid"}


@pytest.mark.parametrize(("pk", "msg", "sig", "result"), WYCHEPROOF_CASES)
def test_wycheproof_vector(pk: str, msg: str, sig: str, result: str) -> None:
    if result == "valid":
        public = PublicKey.from_raw(bytes.fromhex(pk))
        assert public.verify(bytes.fromhex(sig), bytes.fromhex(msg)) is None
    else:
        with pytest.raises((BadSignature, BadKey)):
            PublicKey.from_raw(bytes.fromhex(pk)).verify(bytes.fromhex(sig), bytes.fromhex(msg))


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_a_public_key_that_is_not_32_bytes_is_a_bad_key(size: int) -> None:
    with pytest.raises(BadKey) as caught:
        PublicKey.from_raw(b"\x01" * size)
    assert caught.value.code == "bad_key"


def test_a_signature_verifies_only_for_its_own_message_and_key() -> None:
    key, other = SigningKey.generate(), SigningKey.generate()
    message = pae(PAYLOAD_TYPE, b'{"v":1}')
    signature = key.sign(message)
    assert key.public.verify(signature, message) is None
    with pytest.raises(BadSignature):
        key.public.verify(signature, message + b" ")
    with pytest.raises(BadSignature):
        other.public.verify(signature, message)
    tampered = bytes([signature[0] ^ 1]) + signature[1:]
    with pytest.raises(BadSignature):
        key.public.verify(tampered, message)


def test_key_id_is_the_first_16_bytes_of_sha256_of_the_raw_public_key() -> None:
    # RFC 8032 §7.1 TEST 1: the secret key 9d61b1… has public key d75a98…
    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    pem = _pem_of_seed(seed)
    key = SigningKey.from_pem(pem)
    assert key.public.raw.hex() == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    assert key.public.key_id == key_id(key.public.raw)
    assert key.public.key_id == "21fe31dfa154a261626bf854046fd227"
    # …and signs the empty message as the RFC says.
    assert key.sign(b"").hex() == (
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )


def _pem_of_seed(seed: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(seed).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


# -- DSSE PAE ---------------------------------------------------------------------


def test_pae_matches_the_dsse_protocol_example() -> None:
    # secure-systems-lab/dsse protocol.md, "Test vectors".
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_pae_counts_bytes_not_characters() -> None:
    assert pae("loại", "Làng Mạ".encode()) == "DSSEv1 6 loại 10 Làng Mạ".encode()


def test_pae_of_our_payload_type() -> None:
    assert pae(PAYLOAD_TYPE, b"{}") == (
        b"DSSEv1 44 application/vnd.dantin.event+json; version=1 2 {}"
    )


# -- keys at rest -----------------------------------------------------------------


def test_plain_pem_round_trip_keeps_the_key() -> None:
    key = SigningKey.generate()
    pem = key.to_pem()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = SigningKey.from_pem(pem)
    assert loaded.public.raw == key.public.raw
    assert loaded.seed() == key.seed()
    assert key.public.verify(loaded.sign(b"thu"), b"thu") is None


def test_encrypted_pem_round_trip_needs_the_passphrase() -> None:
    key = SigningKey.generate()
    pem = key.to_pem(b"mat-khau-tinh")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert key.seed() not in pem
    assert base64.b64encode(key.seed()) not in pem
    assert SigningKey.from_pem(pem, b"mat-khau-tinh").public.raw == key.public.raw


def test_encrypted_pem_with_a_wrong_passphrase_is_a_bad_key() -> None:
    pem = SigningKey.generate().to_pem(b"mat-khau-tinh")
    with pytest.raises(BadKey) as caught:
        SigningKey.from_pem(pem, b"mat-khau-sai")
    assert caught.value.message_vi  # a person reads why


def test_encrypted_pem_without_a_passphrase_is_a_bad_key() -> None:
    with pytest.raises(BadKey):
        SigningKey.from_pem(SigningKey.generate().to_pem(b"mat-khau-tinh"))


def test_plain_pem_given_a_passphrase_is_a_bad_key() -> None:
    with pytest.raises(BadKey):
        SigningKey.from_pem(SigningKey.generate().to_pem(), b"mat-khau-tinh")


def test_a_pem_that_is_not_a_key_is_a_bad_key() -> None:
    with pytest.raises(BadKey):
        SigningKey.from_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")


def test_a_pem_of_another_algorithm_is_a_bad_key() -> None:
    p256 = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(BadKey):
        SigningKey.from_pem(p256)


def test_repr_of_a_signing_key_shows_no_private_material() -> None:
    key = SigningKey.generate()
    seed = key.seed()
    shown = f"{key!r} {key!s}"
    assert key.public.key_id in repr(key)
    for spelling in (seed.hex(), b64encode(seed), repr(seed), seed.hex().upper()):
        assert spelling not in shown
    assert seed.hex()[:16] not in shown


# -- log entry bytes ----------------------------------------------------------------


def _b64(size: int | None = None) -> st.SearchStrategy[str]:
    raw = st.binary(min_size=size or 0, max_size=size or 300)
    return raw.map(lambda b: base64.b64encode(b).decode("ascii"))


def _hex(size: int) -> st.SearchStrategy[str]:
    return st.binary(min_size=size, max_size=size).map(bytes.hex)


_RECEIVED = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=7))]))


@given(payload=_b64(), keyid=_hex(16), sig=_b64(64), prev=_hex(32), received=_RECEIVED)
def test_entry_bytes_are_the_jcs_form_of_the_entry(
    payload: str, keyid: str, sig: str, prev: str, received: datetime
) -> None:
    # ledger.stream stores ``received`` as the event timestamp's isoformat().
    entry = {
        "payload": payload,
        "payloadType": PAYLOAD_TYPE,
        "prev": prev,
        "received": received.isoformat(),
        "signatures": [{"keyid": keyid, "sig": sig}],
    }
    assert entry_bytes(payload, keyid, sig, prev, received.isoformat()) == canonical_json(entry)


# -- canonical base64 (RFC 4648) ------------------------------------------------------

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _canonical_by_encoding_back(text: str) -> bytes | None:
    """The definition: decodes, and the bytes encode back to ``text`` exactly."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        return None
    return raw if base64.b64encode(raw).decode("ascii") == text else None


def test_canonical_base64_on_every_short_string() -> None:
    # Every string of up to six characters over a few letters (zero or non-zero unused bits)
    # and "=": every placement of padding there is, whole groups followed by padding included.
    letters = "AQBw/="
    texts = [""]
    for _ in range(6):
        texts = [t + c for t in texts for c in letters]
        for prefix in ("", "QUJD"):
            for text in texts:
                assert b64decode_canonical(prefix + text) == _canonical_by_encoding_back(prefix + text), text


def test_canonical_base64_on_every_final_group() -> None:
    # Every last group of four over the alphabet and "=", after a canonical prefix: all the
    # padding and unused-bit cases there are (the prefix checks they are judged at the end).
    alphabet = _B64 + "=-_ \n"
    for prefix in ("", "QUJD"):
        for a in _B64:
            for b in _B64:
                for tail in ("==", "=", "A=", "w=", "4=", "=A", "AA", "-=", "= ", "==\n", "==="):
                    text = prefix + a + b + tail
                    assert b64decode_canonical(text) == _canonical_by_encoding_back(text), text
        for a, b, c in zip(alphabet, reversed(alphabet), alphabet[7:] + alphabet[:7], strict=True):
            text = prefix + a + b + c + "="
            assert b64decode_canonical(text) == _canonical_by_encoding_back(text), text


@given(st.binary(max_size=80), st.integers(min_value=0), st.sampled_from(_B64 + "=-_ \n.é"),
       st.sampled_from(["replace", "insert", "delete", "none"]))
def test_canonical_base64_as_the_definition(raw: bytes, at: int, char: str, how: str) -> None:
    text = base64.b64encode(raw).decode("ascii")
    i = at % (len(text) + 1)
    if how == "replace" and text:
        i %= len(text)
        text = text[:i] + char + text[i + 1:]
    elif how == "insert":
        text = text[:i] + char + text[i:]
    elif how == "delete" and text:
        i %= len(text)
        text = text[:i] + text[i + 1:]
    expected = _canonical_by_encoding_back(text)
    assert b64decode_canonical(text) == expected
    if expected is None:
        with pytest.raises(CryptoError):
            b64decode_strict(text)
    else:
        assert b64decode_strict(text) == expected
