"""Keys, canonical JSON and envelope signatures.

- Ed25519 per RFC 8032, through pyca/cryptography (OpenSSL). The Wycheproof vectors
  (tests/unit/test_signing_vectors.py) pin that malleable and non-canonical
  signatures are rejected.
- Canonical JSON per RFC 8785 (JCS), through the ``rfc8785`` package. Signed payloads
  carry no floats (refused at parse time), so the number-formatting corner of JCS never
  decides a signature.
- The signed pre-image is DSSE's Pre-Authentication Encoding (PAE,
  https://github.com/secure-systems-lab/dsse/blob/master/protocol.md):
  ``"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body``. The type tag separates our
  signatures from any other use of the same key.

Only this module and ``ledger.note`` import ``cryptography``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from typing import Any

import orjson
import pybase64
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ledger.errors import CryptoError

PAYLOAD_TYPE = "application/vnd.dantin.event+json; version=1"


class BadSignature(CryptoError):
    code = "bad_signature"
    title_vi = "Chữ ký không hợp lệ"


class BadKey(CryptoError):
    code = "bad_key"
    title_vi = "Khóa không hợp lệ"


class NotCanonicalizable(ValueError):
    """A value RFC 8785 cannot represent (e.g. an integer beyond ±(2**53 − 1))."""


_MAX_SAFE_INTEGER = 2**53 - 1


def _orjson_is_jcs(value: Any) -> bool:
    """Whether sorted-key ``orjson`` output is exactly RFC 8785 for ``value``.

    It is when the value holds no floats (§3.2.2.3 number formatting is where the two
    differ), only I-JSON-safe integers, and only ASCII object keys (§3.2.3 sorts by
    UTF-16 code units, orjson by code points: they agree on ASCII). String escaping is
    the same (ECMAScript JSON.stringify). ``tests/unit/test_canonical.py`` checks both
    paths agree on generated values; everything else takes the reference implementation.
    (The walk tests exact types first, JSON's own: the scalars of a dict are judged
    without going through the stack; any other type takes the ``isinstance`` tests.)
    """
    stack = [value]
    pop, push = stack.pop, stack.append
    while stack:
        v = pop()
        if type(v) is dict:
            for k, x in v.items():
                if not (type(k) is str and k.isascii()):
                    if not (isinstance(k, str) and k.isascii()):
                        return False
                t = type(x)
                if t is str or x is None or t is bool:
                    continue
                if t is int and -_MAX_SAFE_INTEGER <= x <= _MAX_SAFE_INTEGER:
                    continue
                push(x)
            continue
        if isinstance(v, str) or v is None or isinstance(v, bool):
            continue
        if isinstance(v, dict):
            for k, x in v.items():
                if not (isinstance(k, str) and k.isascii()):
                    return False
                push(x)
        elif isinstance(v, list):
            stack.extend(v)
        elif type(v) is int:
            if not -_MAX_SAFE_INTEGER <= v <= _MAX_SAFE_INTEGER:
                return False
        else:
            return False
    return True


def is_canonical(payload: bytes, value: Any) -> bool:
    """Whether ``payload`` is the RFC 8785 form of ``value`` (its own parse), floats refused.

    Fast path: a value whose sorted compact ``orjson`` form is its RFC 8785 form
    (``_orjson_is_jcs``: no floats, I-JSON-safe integers, ASCII keys) compares that form;
    any other value takes the reference. (A byte-pattern prefilter used before this matched
    every payload — a hex key id holds a digit before an ``e`` — and cost a second walk;
    regular expressions for floats or non-ASCII keys cost more than the walk.)
    """
    if _orjson_is_jcs(value):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS) == payload
    if find_float(value) is not None:
        return False
    return canonical_json(value) == payload


def find_float(value: Any, path: str = "") -> str | None:
    """Where ``value`` holds a float (a dotted path, "(gốc)" for the root), or None."""
    if isinstance(value, float):
        return path or "(gốc)"
    if isinstance(value, dict):
        for k, v in value.items():
            found = find_float(v, f"{path}.{k}" if path else str(k))
            if found:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = find_float(v, f"{path}[{i}]")
            if found:
                return found
    return None


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical form of a JSON value (fast path through orjson where it is exact)."""
    if _orjson_is_jcs(value):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeError) as exc:  # UnicodeError: lone surrogates
        raise NotCanonicalizable(str(exc)) from None


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 Pre-Authentication Encoding."""
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


#: RFC 4648 §3.5: the last character before padding carries bits the padding leaves unused,
#: which a canonical encoder sets to zero: these are the characters whose unused bits are zero
#: (four unused bits before ``==``, two before ``=``).
_ZERO_BITS_BEFORE_2 = frozenset("AQgw")
_ZERO_BITS_BEFORE_1 = frozenset("AEIMQUYcgkosw048")


def b64decode_canonical(text: str) -> bytes | None:
    """The bytes of ``text`` if it is standard base64 exactly as encoders write it, else None.

    A length that is a multiple of four and ``a2b_base64``'s strict mode refuse every
    character outside the alphabet, missing, misplaced or excess padding and anything after
    it; what they let through spells the bytes, canonically when the unused bits of the last
    character are zero (§3.5). So the bytes need not be encoded again to compare
    (``tests/unit/test_signing_vectors.py`` holds this equal to encoding back, on every
    short string and on mutated ones).
    """
    if len(text) % 4:  # strict mode lets padding follow a whole group ("AAAA=")
        return None
    try:
        # pybase64's validating decoder refuses what ``binascii.a2b_base64(strict_mode=True)`` refuses
        # (held equal in tests/unit/test_signing_vectors.py), in a third of its time (0.35 against
        # 0.84 µs for a 368-character payload): every row ``verify`` reads, every envelope received.
        raw = pybase64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):  # (a non-ASCII str is a ValueError)
        return None
    if text[-1:] == "=":
        if text[-2] == "=":
            return raw if text[-3] in _ZERO_BITS_BEFORE_2 else None
        return raw if text[-2] in _ZERO_BITS_BEFORE_1 else None
    return raw


def b64decode_strict(text: str) -> bytes:
    """Standard base64 with padding, refusing any other spelling of the same bytes.

    The canonical spellings are decoded at once (``b64decode_canonical``); anything else
    (an error, another spelling) is left to the reference below, which says why.
    """
    raw = b64decode_canonical(text) if type(text) is str else None
    return raw if raw is not None else _b64decode_reference(text)


def _b64decode_reference(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CryptoError("Chuỗi base64 không hợp lệ.", detail=f"bad base64: {exc}") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise CryptoError("Chuỗi base64 không ở dạng chuẩn.", detail="non-canonical base64")
    return raw


def key_id(public_raw: bytes) -> str:
    """A body key's id: the first 16 bytes of SHA-256 of the raw public key, in hex."""
    return hashlib.sha256(public_raw).hexdigest()[:32]


class PublicKey:
    """An Ed25519 verification key."""

    __slots__ = ("_key", "key_id", "raw")

    def __init__(self, key: Ed25519PublicKey) -> None:
        self._key = key
        self.raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = key_id(self.raw)

    @classmethod
    def from_raw(cls, raw: bytes) -> PublicKey:
        try:
            return cls(Ed25519PublicKey.from_public_bytes(raw))
        except ValueError:
            raise BadKey("Khóa công khai không hợp lệ.", detail="not a 32-byte Ed25519 key") from None

    @classmethod
    def from_b64(cls, text: str) -> PublicKey:
        return cls.from_raw(b64decode_strict(text))

    @property
    def b64(self) -> str:
        return b64encode(self.raw)

    def __deepcopy__(self, memo: dict[int, object]) -> PublicKey:
        return self  # immutable; the repository cache deep-copies aggregates

    def verify(self, signature: bytes, message: bytes) -> None:
        """Return nothing when ``signature`` is valid for ``message``; raise otherwise."""
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            raise BadSignature(
                "Chữ ký không khớp với nội dung và khóa.", detail="Ed25519 verification failed"
            ) from None


#: Loaded public keys, by raw bytes: a ledger has few signers, and a worker checks their
#: signatures a chunk (for single submissions, one) at a time. Emptied when full.
_KEYS: dict[bytes, Ed25519PublicKey] = {}
_KEYS_MAX = 4096


def verify_batch(items: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """(raw public key, message, signature) → whether it verifies; for worker processes."""
    keys = _KEYS
    out = []
    for public, message, sig in items:
        try:
            key = keys.get(public)
            if key is None:
                if len(keys) >= _KEYS_MAX:
                    keys.clear()
                key = Ed25519PublicKey.from_public_bytes(public)
                keys[public] = key  # (only a key that loaded: a bad one raises above)
            key.verify(sig, message)
            out.append(True)
        except (InvalidSignature, ValueError):
            out.append(False)
    return out


class SigningKey:
    """An Ed25519 private key. Its repr never shows key material."""

    __slots__ = ("_key", "public")

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.public = PublicKey(key.public_key())

    def __repr__(self) -> str:
        return f"SigningKey(key_id={self.public.key_id!r})"

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, data: bytes, passphrase: bytes | None = None) -> SigningKey:
        """Load a PKCS#8 PEM private key, encrypted or not."""
        try:
            key = serialization.load_pem_private_key(data, password=passphrase)
        except TypeError:
            raise BadKey(
                "Tệp khóa được mã hóa: cần mật khẩu (hoặc tệp không cần mật khẩu).",
                detail="passphrase required or not expected",
            ) from None
        except ValueError:
            raise BadKey(
                "Không đọc được tệp khóa: sai mật khẩu hoặc tệp hỏng.",
                detail="cannot load PEM private key",
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise BadKey("Tệp khóa không phải khóa Ed25519.", detail="not an Ed25519 key")
        return cls(key)

    def to_pem(self, passphrase: bytes | None = None) -> bytes:
        """PKCS#8 PEM, encrypted with the best available scheme when a passphrase is given."""
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase)
            if passphrase
            else serialization.NoEncryption()
        )
        return self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )

    def seed(self) -> bytes:
        """The raw 32-byte seed, for formats that need it (C2SP signer keys)."""
        return self._key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)
