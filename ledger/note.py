"""Signed notes, checkpoints and witness cosignatures.

- https://c2sp.org/signed-note — note format, key IDs, vkeys (Ed25519, type 0x01)
- https://c2sp.org/tlog-checkpoint — the checkpoint body signed by a log
- https://c2sp.org/tlog-cosignature — cosignature/v1 (type 0x04): a witness
  signs ``cosignature/v1\\ntime <ts>\\n`` + checkpoint body, as 8-byte timestamp || sig

Signer key strings follow golang.org/x/mod/sumdb/note:
``PRIVATE+KEY+<name>+<hex key ID>+<base64(type || seed)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, Protocol, Self, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from ledger.errors import CryptoError

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 100
KEY_SIZE = 32
HASH_SIZE = 32
SIGNATURE_SIZE = 64
COSIGNATURE_SIZE = 8 + SIGNATURE_SIZE
_KEY_ID_SIZE = 4
_CHECKPOINT_LINES = 3
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_SIG_PREFIX = "\u2014 "  # em dash, space
_HEX8 = re.compile(r"[0-9a-f]{8}")
_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
_K = TypeVar("_K", bound="_Verifier | _Signer")


class NoteError(CryptoError):
    """A signed note or checkpoint is malformed or not signed by a trusted key."""

    code = "bad_note"
    title_vi = "Ghi chú đã ký không hợp lệ"


def _fail(message_vi: str, detail: str) -> NoteError:
    return NoteError(message_vi, detail=detail)


def _b64decode(text: str) -> bytes:
    """Strict, canonical standard base64 (RFC 4648 §4)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _fail("Dữ liệu base64 không hợp lệ.", "invalid base64") from None
    if base64.b64encode(raw).decode() != text:
        raise _fail("Dữ liệu base64 không ở dạng chuẩn.", "non-canonical base64")
    return raw


def _check_name(name: str) -> None:
    if not name or "+" in name or _CONTROL.search(name) or any(c.isspace() for c in name):
        raise _fail("Tên khóa không hợp lệ.", f"invalid key name {name!r}")


def key_id(name: str, sigtype: int, public_key: bytes) -> int:
    """``SHA-256(name || 0x0A || type || public key)[:4]`` as a big-endian uint32."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([sigtype]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _parse_key(key: str, sigtype: int) -> tuple[str, int, bytes]:
    """``<name>+<hex key ID>+<base64(type || key)>`` to (name, key ID, key)."""
    name, _, rest = key.partition("+")
    hex_id, _, key64 = rest.partition("+")
    if not _HEX8.fullmatch(hex_id):
        raise _fail("Chuỗi khóa không hợp lệ.", "malformed key string")
    raw = _b64decode(key64)
    if raw[:1] != bytes([sigtype]):
        raise _fail("Chuỗi khóa không đúng loại chữ ký.", "wrong key type byte")
    return name, int(hex_id, 16), raw[1:]


def _same_id(kid: int, key: _K) -> _K:
    if key.key_id != kid:
        raise _fail("Mã khóa không khớp với khóa.", "key ID mismatch")
    return key


class _Verifier:
    sigtype: ClassVar[int]

    def __init__(self, name: str, public_key: bytes) -> None:
        _check_name(name)
        if len(public_key) != KEY_SIZE:
            raise _fail("Khóa công khai Ed25519 phải dài 32 byte.", "bad public key length")
        self.name = name
        self.public_key = bytes(public_key)
        self.key_id = key_id(name, self.sigtype, self.public_key)
        self._key = Ed25519PublicKey.from_public_bytes(self.public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> Self:
        """Parse ``<name>+<hex key ID>+<base64(type || public key)>``."""
        name, kid, public_key = _parse_key(vkey, cls.sigtype)
        return _same_id(kid, cls(name, public_key))

    def vkey(self) -> str:
        key64 = base64.b64encode(bytes([self.sigtype]) + self.public_key).decode()
        return f"{self.name}+{self.key_id:08x}+{key64}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vkey()!r})"

    def _ed25519(self, message: bytes, signature: bytes) -> bool:
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def timestamp(self, signature: bytes) -> int | None:
        """The cosignature time, or None for plain note signatures."""
        return None


class NoteVerifier(_Verifier):
    """Verifies Ed25519 note signatures (type 0x01), e.g. a log's checkpoint key."""

    sigtype = ED25519

    def verify(self, text: bytes, signature: bytes) -> bool:
        return len(signature) == SIGNATURE_SIZE and self._ed25519(text, signature)


def _cosigned_message(timestamp: int, text: bytes) -> bytes:
    return b"cosignature/v1\ntime %d\n" % timestamp + text


class CosignatureVerifier(_Verifier):
    """Verifies a witness's timestamped cosignature/v1 signatures (type 0x04)."""

    sigtype = COSIGNATURE_V1

    def verify(self, text: bytes, signature: bytes) -> bool:
        ts = self.timestamp(signature)
        return ts is not None and self._ed25519(_cosigned_message(ts, text), signature[8:])

    def timestamp(self, signature: bytes) -> int | None:
        ts = int.from_bytes(signature[:8], "big")
        return ts if len(signature) == COSIGNATURE_SIZE and ts < 2**63 else None


class _Signer:
    sigtype: ClassVar[int]

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_name(name)
        self.name = name
        self._key = private_key
        self.public_key = private_key.public_key().public_bytes_raw()
        self.key_id = key_id(name, self.sigtype, self.public_key)

    @classmethod
    def generate(cls, name: str) -> Self:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_private_bytes(cls, name: str, seed: bytes) -> Self:
        if len(seed) != KEY_SIZE:
            raise _fail("Khóa bí mật Ed25519 phải dài 32 byte.", "bad seed length")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_skey(cls, skey: str) -> Self:
        """Parse ``PRIVATE+KEY+<name>+<hex key ID>+<base64(type || seed)>``."""
        if not skey.startswith("PRIVATE+KEY+"):
            raise _fail("Chuỗi khóa ký không hợp lệ.", "malformed signer key")
        name, kid, seed = _parse_key(skey.removeprefix("PRIVATE+KEY+"), cls.sigtype)
        return _same_id(kid, cls.from_private_bytes(name, seed))

    def skey(self) -> str:
        seed = self._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        key64 = base64.b64encode(bytes([self.sigtype]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{key64}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, key_id={self.key_id:08x})"


class NoteSigner(_Signer):
    sigtype = ED25519

    def sign(self, text: bytes) -> bytes:
        return self._key.sign(text)

    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.name, self.public_key)


class CosignatureSigner(_Signer):
    sigtype = COSIGNATURE_V1

    def sign(self, text: bytes, *, timestamp: int | None = None) -> bytes:
        ts = int(time.time()) if timestamp is None else timestamp
        if not 0 <= ts < 2**63:
            raise ValueError("cosignature timestamp out of range")
        return ts.to_bytes(8, "big") + self._key.sign(_cosigned_message(ts, text))

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.name, self.public_key)


Verifier = NoteVerifier | CosignatureVerifier


class Signer(Protocol):
    name: str
    key_id: int

    def sign(self, text: bytes) -> bytes: ...


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: int
    signature: bytes
    #: cosignature/v1 time (POSIX seconds), None for plain signatures.
    timestamp: int | None = None


@dataclass(frozen=True)
class Note:
    text: str
    #: Signatures that verified under a known key, one per key.
    verified: tuple[NoteSignature, ...]
    #: Signatures from unknown keys, ignored (signed-note §Signatures).
    unverified: tuple[NoteSignature, ...]

    def signed_by(self, verifier: Verifier) -> bool:
        return any((s.name, s.key_id) == (verifier.name, verifier.key_id) for s in self.verified)


def _check_text(text: str) -> bytes:
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:
        raise _fail("Ghi chú không phải UTF-8 hợp lệ.", "note is not valid UTF-8") from None
    if _CONTROL.search(text):
        raise _fail("Ghi chú chứa ký tự điều khiển.", "note contains control characters")
    return raw


def signature_line(text: str, signer: Signer) -> str:
    """One ``— <name> base64(key ID || sig)`` line over ``text`` (e.g. a cosignature)."""
    raw = _check_text(text)
    if not text.endswith("\n"):
        raise _fail("Nội dung ghi chú phải kết thúc bằng dòng mới.", "text lacks final newline")
    _check_name(signer.name)
    sig = signer.key_id.to_bytes(4, "big") + signer.sign(raw)
    return f"{_SIG_PREFIX}{signer.name} {base64.b64encode(sig).decode()}\n"


def sign_note(text: str, signers: Iterable[Signer]) -> str:
    """``text``, a blank line, and one signature line per signer."""
    lines = [signature_line(text, s) for s in signers]
    if not lines:
        raise ValueError("a signed note needs at least one signer")
    return text + "\n" + "".join(lines)


def open_note(note: str | bytes, verifiers: Iterable[Verifier]) -> Note:
    """Parse and verify a signed note; raise NoteError unless a known key verified it."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise _fail("Ghi chú không phải UTF-8 hợp lệ.", "note is not valid UTF-8") from None
    _check_text(note)
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n") or len(note) == split + 2:
        raise _fail("Ghi chú thiếu phần chữ ký.", "no signature block")
    text, block = note[: split + 1], note[split + 2 :]
    message = text.encode()
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise _fail("Ghi chú có quá nhiều chữ ký.", "too many signatures")
    known = {(v.name, v.key_id): v for v in verifiers}
    verified: dict[tuple[str, int], NoteSignature] = {}
    unverified: list[NoteSignature] = []
    for line in lines:
        if not line.startswith(_SIG_PREFIX):
            raise _fail("Dòng chữ ký sai định dạng.", f"malformed signature line {line!r}")
        name, _, sig64 = line.removeprefix(_SIG_PREFIX).partition(" ")
        _check_name(name)
        raw = _b64decode(sig64)
        if len(raw) <= _KEY_ID_SIZE:
            raise _fail("Chữ ký quá ngắn.", "signature too short")
        kid, sig = int.from_bytes(raw[:_KEY_ID_SIZE], "big"), raw[_KEY_ID_SIZE:]
        verifier = known.get((name, kid))
        if verifier is None:
            unverified.append(NoteSignature(name, kid, sig))
            continue
        if not verifier.verify(message, sig):
            raise _fail("Chữ ký của khóa đã biết không hợp lệ.", f"bad signature by {name}")
        verified.setdefault((name, kid), NoteSignature(name, kid, sig, verifier.timestamp(sig)))
    if not verified:
        raise _fail("Không có chữ ký hợp lệ nào của khóa tin cậy.", "no trusted signature")
    return Note(text, tuple(verified.values()), tuple(unverified))


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint body: origin, tree size, root hash, extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        lines = (self.origin, *self.extensions)
        if any(not line or "\n" in line for line in lines) or not 0 <= self.size < 2**64:
            raise _fail("Checkpoint sai định dạng.", "empty line or size out of range")
        if len(self.root_hash) != HASH_SIZE:
            raise _fail("Checkpoint sai định dạng.", "root hash is not 32 bytes")

    def format(self) -> str:
        root64 = base64.b64encode(self.root_hash).decode()
        lines = (self.origin, str(self.size), root64, *self.extensions)
        return "".join(f"{line}\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        _check_text(text)
        lines = text.removesuffix("\n").split("\n")
        if not text.endswith("\n") or len(lines) < _CHECKPOINT_LINES:
            raise _fail("Checkpoint sai định dạng.", "checkpoint needs 3 lines")
        origin, size, root64, *extensions = lines
        if not _SIZE.fullmatch(size):
            raise _fail("Checkpoint sai định dạng.", f"bad tree size {size!r}")
        return cls(origin, int(size), _b64decode(root64), tuple(extensions))


def open_checkpoint(
    note: str | bytes,
    log: NoteVerifier,
    *,
    origin: str | None = None,
    cosigners: Iterable[CosignatureVerifier] = (),
) -> tuple[Checkpoint, Note]:
    """Open a checkpoint the ``log`` key signed, whose origin is ``origin`` (default: key name).

    Cosignatures by ``cosigners`` are verified too and listed in ``Note.verified``.
    """
    opened = open_note(note, [log, *cosigners])
    if not opened.signed_by(log):
        raise _fail("Checkpoint không có chữ ký của nhật ký.", f"not signed by {log.name}")
    checkpoint = Checkpoint.parse(opened.text)
    if checkpoint.origin != (log.name if origin is None else origin):
        raise _fail("Checkpoint thuộc về nhật ký khác.", f"origin {checkpoint.origin!r}")
    return checkpoint, opened
