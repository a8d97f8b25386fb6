"""RFC 9421 signature bases and Ed25519 signatures, against the RFC's own example (Appendix B.2.6)."""

from __future__ import annotations

import base64

import pytest

from api.httpsig import RequestParts, parts_of, read_signature, sign_request, signature_base, verify_signature
from api.readers import NonceCache, authenticate
from api.sfv import InnerList, Item, Token, parse_dictionary, serialize_inner_list
from api.sigerrors import SignatureError
from ledger.signing import PublicKey, SigningKey

# RFC 9421 Appendix B.1.4, test-key-ed25519.
RFC_KEY = b"""-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
"""
RFC_PUBLIC = "JrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs="
# Appendix B.2.6: the test request's covered parts, its Signature-Input and Signature.
B26_INPUT = ('sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");'
             'created=1618884473;keyid="test-key-ed25519"')
B26_SIGNATURE = "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"
B26_BASE = (
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
    '"@method": POST\n'
    '"@path": /foo\n'
    '"@authority": example.com\n'
    '"content-type": application/json\n'
    '"content-length": 18\n'
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
B26_REQUEST = RequestParts(
    method="POST", scheme="https", authority="example.com", path="/foo", query="param=Value&Pet=dog",
    fields={"host": ["example.com"], "date": ["Tue, 20 Apr 2021 02:07:55 GMT"],
            "content-type": ["application/json"], "content-length": ["18"]},
)


def test_rfc9421_b26_signature_base_and_signature() -> None:
    signed = read_signature(B26_INPUT, B26_SIGNATURE)
    assert signed.label == "sig-b26"
    assert signature_base(B26_REQUEST, signed.inner).decode() == B26_BASE
    key = SigningKey.from_pem(RFC_KEY)
    assert key.public.b64 == RFC_PUBLIC
    # Ed25519 is deterministic: signing the base must give the RFC's signature byte for byte.
    assert key.sign(B26_BASE.encode()) == signed.signature
    verify_signature(B26_REQUEST, signed, PublicKey.from_b64(RFC_PUBLIC))


def test_rfc9421_b26_tampered_request_fails() -> None:
    signed = read_signature(B26_INPUT, B26_SIGNATURE)
    other = RequestParts(**{**B26_REQUEST.__dict__, "path": "/bar"})
    with pytest.raises(SignatureError) as caught:
        verify_signature(other, signed, PublicKey.from_b64(RFC_PUBLIC))
    assert caught.value.code == "signature_invalid"


def test_derived_components_of_a_request() -> None:
    parts = parts_of("get", "HTTPS://WWW.Example.com:443/path/x%20y?param=value&b", {"Dantin-Body": "qng/root"})
    inner = InnerList(tuple(Item(c) for c in ("@method", "@target-uri", "@authority", "@scheme", "@request-target",
                                               "@path", "@query", "dantin-body")), {"created": 1})
    assert signature_base(parts, inner).decode().splitlines()[:-1] == [
        '"@method": GET',
        '"@target-uri": https://www.example.com/path/x%20y?param=value&b',
        '"@authority": www.example.com',
        '"@scheme": https',
        '"@request-target": /path/x%20y?param=value&b',
        '"@path": /path/x%20y',
        '"@query": ?param=value&b',
        '"dantin-body": qng/root',
    ]
    assert signature_base(parts_of("GET", "http://h:8080/"), InnerList((Item("@query"),), {})).decode() \
        .startswith('"@query": ?\n')


def test_structured_fields_round_trip() -> None:
    text = 'sig1=("@method" "@target-uri");created=1;expires=61;nonce="a\\"b";alg="ed25519";keyid="k";x;t=tok'
    parsed = parse_dictionary(text)["sig1"]
    assert isinstance(parsed, InnerList)
    assert parsed.params == {"created": 1, "expires": 61, "nonce": 'a"b', "alg": "ed25519", "keyid": "k", "x": True,
                             "t": Token("tok")}
    assert "sig1=" + serialize_inner_list(parsed) == text
    assert parse_dictionary("a=:" + base64.b64encode(b"\x00\x01").decode() + ":, b")["a"] == Item(b"\x00\x01")
    # RFC 8941 §4.2.7: a Byte Sequence without its "=" padding is read all the same.
    assert parse_dictionary("a=:AAE:, b=:AAEC:")["a"] == Item(b"\x00\x01")


@pytest.mark.parametrize("bad", ["", "sig1=(", 'sig1=("a" "b"', "sig1=1.5", "SIG=1", "sig1=(\"x\"),", "a=:!!:",
                                 'sig1=("é")', "sig1=?2"])
def test_malformed_fields_are_refused(bad: str) -> None:
    with pytest.raises(SignatureError) as caught:
        read_signature(bad, "sig1=:AAAA:")
    assert caught.value.code == "signature_malformed"


def test_repeated_or_parameterised_components_are_refused() -> None:
    parts = parts_of("GET", "http://h/")
    for inner in (InnerList((Item("@method"), Item("@method")), {}), InnerList((Item("@query", {"name": "a"}),), {}),
                  InnerList((Item("@signature-params"),), {}), InnerList((Item("@status"),), {})):
        with pytest.raises(SignatureError):
            signature_base(parts, inner)


class _Ledger:
    """Just enough of a ledger for ``authenticate``: one body with one key."""

    def __init__(self, body: str, kind: str, jurisdiction: str, key: SigningKey) -> None:
        from ledger.authority import BodyState, KeyState, StreamState

        state = StreamState(body, "0" * 64, body=BodyState(body, kind, "x", jurisdiction, None,
                                                           {key.public.key_id: KeyState(key.public, None)}))
        self._streams = {body: type("S", (), {"state": state})()}

    def get_stream(self, stream_id: str) -> object:
        return self._streams.get(stream_id)


def _authenticate(headers: dict[str, str], ledger: object, nonces: NonceCache, now: float, method: str = "GET",
                  url: str = "http://127.0.0.1:8000/v1/villages/v/history") -> object:
    parts = parts_of(method, url, {"Dantin-Body": "qng.bato/inspection"})
    return authenticate(ledger, parts, headers.get("Signature-Input"), headers.get("Signature"),  # type: ignore[arg-type]
                        nonces=nonces, window=300, now=now)


def _inspection() -> tuple[SigningKey, object, str, int, dict[str, str], NonceCache]:
    """An inspection body's key and a ledger holding it; the URL, moment and fields its requests are signed for."""
    key = SigningKey.generate()
    return (key, _Ledger("qng.bato/inspection", "inspection", "qng.bato", key),
            "http://127.0.0.1:8000/v1/villages/v/history", 1_700_000_000, {"Dantin-Body": "qng.bato/inspection"},
            NonceCache())


def test_time_window_nonce_and_key_rules() -> None:
    key, ledger, url, now, fields, nonces = _inspection()

    def code(headers: dict[str, str], at: float = now, **kw: str) -> str:
        with pytest.raises(SignatureError) as caught:
            _authenticate(headers, ledger, nonces, at, **kw)
        return caught.value.code

    good = sign_request(key, "GET", url, fields, created=now, nonce="n1")
    assert _authenticate(good, ledger, nonces, now)
    assert code(good) == "signature_replayed"
    assert code(sign_request(key, "GET", url, fields, created=now - 301, nonce="n2")) == "signature_expired"
    assert code(sign_request(key, "GET", url, fields, created=now + 301, nonce="n3")) == "signature_expired"
    assert code(sign_request(key, "GET", url, fields, created=now - 100, expires_in=50, nonce="n4")) \
        == "signature_expired"
    assert code(sign_request(key, "GET", url, fields, created=now, expires_in=3600, nonce="n5")) == "signature_expired"
    assert code(sign_request(key, "GET", url, fields, created=now, nonce="n6"), method="DELETE") == "signature_invalid"
    assert code(sign_request(key, "GET", url, fields, created=now, covered=("@method", "@authority", "dantin-body"),
                             nonce="n7")) == "signature_malformed"
    assert code(sign_request(SigningKey.generate(), "GET", url, fields, created=now, nonce="n8")) \
        == "signature_unknown_key"
    assert code({}) == "signature_missing"
    # The nonce of a signature that failed is not burnt.
    assert _authenticate(sign_request(key, "GET", url, fields, created=now, nonce="n6"), ledger, nonces, now)


def test_each_signature_of_a_request_is_checked_until_one_passes() -> None:
    """§4.3: a request may carry a proxy's signature beside the client's, before it; the client's is found and
    checked in full, and a signature that passes no check opens nothing."""
    key, ledger, url, now, fields, nonces = _inspection()
    proxy = sign_request(SigningKey.generate(), "GET", url, fields, created=now, nonce="p", label="proxy",
                         covered=("@method", "@authority"))
    ours = sign_request(key, "GET", url, fields, created=now, nonce="n1")
    both = {name: f"{proxy[name]}, {ours[name]}" for name in ("Signature-Input", "Signature")}
    assert _authenticate(both, ledger, nonces, now)
    with pytest.raises(SignatureError) as caught:  # the same request again: the proxy's fails, ours is a replay
        _authenticate(both, ledger, nonces, now)
    assert caught.value.code == "signature_malformed"  # (the first signature's reason)
    forged = sign_request(SigningKey.generate(), "GET", url, fields, created=now, nonce="n2",
                          keyid=key.public.key_id, label="sig2")
    with pytest.raises(SignatureError) as caught:
        _authenticate({name: f"{proxy[name]}, {forged[name]}" for name in both}, ledger, nonces, now)
    assert caught.value.code == "signature_malformed"


def test_the_worked_example_of_docs_signed_reads_is_what_the_server_checks() -> None:
    """docs/signed-reads.md shows a request signed with the RFC's test key, and its signature base, so that a client
    can be written from the page alone: both are what the signer makes and the server verifies."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "signed-reads.md").read_text(encoding="utf-8")
    request = re.search(r"```http\n(.*?)\n```", text, re.S)
    base = re.search(r"```text\n(.*?)\n```", text, re.S)
    assert request and base
    lines = request.group(1).split("\n")
    fields = dict(line.split(": ", 1) for line in lines[1:])
    key = SigningKey.from_pem(RFC_KEY)
    url = f"http://{fields['Host']}{lines[0].split()[1]}"
    signed = read_signature(fields["Signature-Input"], fields["Signature"])
    parts = parts_of("GET", url, {"Dantin-Body": fields["Dantin-Body"]})
    assert signature_base(parts, signed.inner).decode() == base.group(1)
    assert sign_request(key, "GET", url, {"Dantin-Body": fields["Dantin-Body"]}, created=signed.params["created"],
                        nonce=signed.params["nonce"]) == {"Signature-Input": fields["Signature-Input"],
                                                          "Signature": fields["Signature"]}
    assert signed.params["keyid"] == key.public.key_id and f"`keyid` {key.public.key_id}" in text
    ledger = _Ledger(fields["Dantin-Body"], "inspection", "qng.bato", key)
    assert authenticate(ledger, parts, fields["Signature-Input"], fields["Signature"],  # type: ignore[arg-type]
                        nonces=NonceCache(), window=300, now=signed.params["created"])
