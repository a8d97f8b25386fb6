"""HTTP Message Signatures (RFC 9421) with Ed25519: the signature base, signing and verifying.

Only the part of the RFC a signed read needs, each step cited:

- §2.2 derived components of a request: ``@method``, ``@target-uri``, ``@authority``,
  ``@scheme``, ``@request-target``, ``@path``, ``@query``; §2.1 HTTP fields by lower-cased
  name, field lines trimmed and joined with ``", "``. Component parameters (``;sf``, ``;bs``,
  ``;req``, ``;name``…) are not supported and refused.
- §2.3 signature parameters, serialised as an RFC 8941 Inner List with Parameters.
- §2.5 the signature base: one ``"<component>": <value>`` line per covered component, then the
  ``"@signature-params"`` line, joined by LF with no trailing LF.
- §3.3.6 ``ed25519``: an RFC 8032 Ed25519 signature over the signature base's bytes.
- §4.1/§4.2 the ``Signature-Input`` and ``Signature`` fields: RFC 8941 Dictionaries keyed by label.

The RFC's own Ed25519 example (Appendix B.2.6) is a test (tests/api/test_api_httpsig.py).
Policy — which components must be covered, the time window, nonces, whose key — is the
caller's (``api.readers``): this module says only whether bytes were signed by a key.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ledger.errors import DantinError
from ledger.signing import BadSignature, PublicKey, SigningKey

#: What a dantin client covers (RFC 9421 §7.2.1: cover the target and the method).
DEFAULT_COVERED: tuple[str, ...] = ("@method", "@target-uri", "@authority", "dantin-body")
#: RFC 9421 §5.1: the signature a server asks for when a request lacks an acceptable one.
ACCEPT_SIGNATURE = 'sig1=("@method" "@target-uri" "@authority" "dantin-body");created;expires;nonce;alg="ed25519"'


class SignatureError(DantinError):
    """A request signature that is missing, unreadable, stale or wrong (answered 401)."""

    title_vi = "Chữ ký yêu cầu không hợp lệ"

    def __init__(self, code: str, message_vi: str, *, detail: str = "") -> None:
        super().__init__(message_vi, detail=detail or code, code=code)


def _malformed(detail: str) -> SignatureError:
    return SignatureError("signature_malformed", "Trường Signature-Input hoặc Signature không đúng cú pháp "
                          "RFC 9421 / RFC 8941.", detail=detail)


# -- RFC 8941 Structured Field Values: the subset RFC 9421 uses ---------------------------------


@dataclass(frozen=True)
class Token:
    value: str


BareItem = int | str | bytes | bool | Token
Params = dict[str, BareItem]


@dataclass(frozen=True)
class Item:
    value: BareItem
    params: Params = field(default_factory=dict)


@dataclass(frozen=True)
class InnerList:
    items: tuple[Item, ...]
    params: Params = field(default_factory=dict)


_KEY_FIRST = re.compile(r"[a-z*]")
_KEY_CHAR = re.compile(r"[a-z0-9_\-.*]")
_TCHAR = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z:/]")


class _Parser:
    """RFC 8941 §4.2 parsing, by the algorithm's own steps."""

    def __init__(self, text: str) -> None:
        if not text.isascii():
            raise _malformed("non-ASCII structured field")
        self.s, self.i = text, 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def take(self, char: str) -> None:
        if self.peek() != char:
            raise _malformed(f"expected {char!r} at {self.i}")
        self.i += 1

    def skip(self, chars: str) -> None:
        while self.peek() and self.peek() in chars:
            self.i += 1

    def dictionary(self) -> dict[str, Item | InnerList]:  # §4.2.2
        out: dict[str, Item | InnerList] = {}
        self.skip(" ")
        while self.peek():
            key = self.key()
            if self.peek() == "=":
                self.i += 1
                out[key] = self.member()
            else:
                out[key] = Item(True, self.params())
            self.skip(" \t")
            if not self.peek():
                break
            self.take(",")
            self.skip(" \t")
            if not self.peek():
                raise _malformed("trailing comma")
        return out

    def member(self) -> Item | InnerList:  # §4.2.1.1
        if self.peek() == "(":
            return self.inner_list()
        return Item(self.bare_item(), self.params())

    def inner_list(self) -> InnerList:  # §4.2.1.2
        self.take("(")
        items: list[Item] = []
        while True:
            self.skip(" ")
            if self.peek() == ")":
                self.i += 1
                return InnerList(tuple(items), self.params())
            items.append(Item(self.bare_item(), self.params()))
            if self.peek() not in (" ", ")"):
                raise _malformed("inner list members must be separated by spaces")

    def params(self) -> Params:  # §4.2.3.2
        out: Params = {}
        while self.peek() == ";":
            self.i += 1
            self.skip(" ")
            key = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.i += 1
                value = self.bare_item()
            out[key] = value
        return out

    def key(self) -> str:  # §4.2.3.3
        start = self.i
        if not _KEY_FIRST.fullmatch(self.peek()):
            raise _malformed(f"bad key at {self.i}")
        while self.peek() and _KEY_CHAR.fullmatch(self.peek()):
            self.i += 1
        return self.s[start:self.i]

    def bare_item(self) -> BareItem:  # §4.2.3.1
        c = self.peek()
        if c == "-" or c.isdigit():
            return self.integer()
        if c == '"':
            return self.string()
        if c == ":":
            return self.byte_sequence()
        if c == "?":
            self.i += 1
            flag = self.peek()
            if flag not in ("0", "1"):
                raise _malformed("bad boolean")
            self.i += 1
            return flag == "1"
        if c == "*" or c.isalpha():
            start = self.i
            self.i += 1
            while self.peek() and _TCHAR.fullmatch(self.peek()):
                self.i += 1
            return Token(self.s[start:self.i])
        raise _malformed(f"unexpected {c!r} at {self.i}")

    def integer(self) -> int:  # §4.2.4 (decimals are not used by RFC 9421: refused)
        match = re.compile(r"-?[0-9]{1,15}").match(self.s, self.i)
        if match is None or self.s[match.end():match.end() + 1] == ".":
            raise _malformed(f"bad integer at {self.i}")
        self.i = match.end()
        return int(match.group())

    def string(self) -> str:  # §4.2.5
        self.take('"')
        out: list[str] = []
        while True:
            c = self.peek()
            if not c:
                raise _malformed("unterminated string")
            self.i += 1
            if c == "\\":
                nxt = self.peek()
                if nxt not in ('"', "\\"):
                    raise _malformed("bad escape")
                out.append(nxt)
                self.i += 1
            elif c == '"':
                return "".join(out)
            elif not " " <= c <= "~":
                raise _malformed("control character in string")
            else:
                out.append(c)

    def byte_sequence(self) -> bytes:  # §4.2.7
        self.take(":")
        end = self.s.find(":", self.i)
        if end < 0:
            raise _malformed("unterminated byte sequence")
        text, self.i = self.s[self.i:end], end + 1
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise _malformed("bad base64 in byte sequence") from None


def parse_dictionary(text: str) -> dict[str, Item | InnerList]:
    return _Parser(text).dictionary()


def _serialize_bare(value: BareItem) -> str:  # RFC 8941 §4.1.3.1
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Token):
        return value.value
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _serialize_params(params: Params) -> str:  # §4.1.1.2
    return "".join(f";{k}" if v is True else f";{k}={_serialize_bare(v)}" for k, v in params.items())


def serialize_inner_list(inner: InnerList) -> str:  # §4.1.1.1
    members = " ".join(_serialize_bare(i.value) + _serialize_params(i.params) for i in inner.items)
    return f"({members}){_serialize_params(inner.params)}"


# -- RFC 9421: the parts of a request, component values, the signature base ----------------------


@dataclass(frozen=True)
class RequestParts:
    """A request as a signer and a verifier both see it."""

    method: str
    scheme: str
    authority: str  # §2.2.3: lower-cased host, with the port only when it is not the scheme's default
    path: str  # the absolute path as sent (percent-encoding kept)
    query: str  # without the leading "?"; "" when there is none
    fields: Mapping[str, Sequence[str]]  # lower-cased field name → its field lines' values


def normalise_authority(scheme: str, host: str) -> str:
    host = host.strip().lower()
    default = {"http": ":80", "https": ":443"}.get(scheme.lower())
    return host.removesuffix(default) if default else host


def parts_of(method: str, url: str, fields: Mapping[str, str] | None = None) -> RequestParts:
    """The parts of a request to ``url`` (what a client signs)."""
    split = urlsplit(url)
    scheme = split.scheme.lower()
    lines = {k.lower(): [v] for k, v in (fields or {}).items()}
    return RequestParts(method.upper(), scheme, normalise_authority(scheme, split.netloc), split.path or "/",
                        split.query, lines)


def component_value(parts: RequestParts, name: str) -> str:
    """§2.1 (fields) and §2.2 (derived components) for a request."""
    if name == "@method":  # §2.2.1
        return parts.method
    if name == "@target-uri":  # §2.2.2
        return f"{parts.scheme}://{parts.authority}{parts.path}" + (f"?{parts.query}" if parts.query else "")
    if name == "@authority":  # §2.2.3
        return parts.authority
    if name == "@scheme":  # §2.2.4
        return parts.scheme
    if name == "@request-target":  # §2.2.5
        return parts.path + (f"?{parts.query}" if parts.query else "")
    if name == "@path":  # §2.2.6
        return parts.path or "/"
    if name == "@query":  # §2.2.7: the leading "?" always, alone when there is no query
        return f"?{parts.query}"
    if name.startswith("@"):
        raise SignatureError("signature_malformed", f"Thành phần '{name}' không được hỗ trợ.",
                             detail=f"unsupported derived component {name}")
    lines = parts.fields.get(name)
    if not lines:
        raise SignatureError("signature_malformed", f"Chữ ký phủ trường '{name}' nhưng yêu cầu không có trường này.",
                             detail=f"covered field {name} absent")
    return ", ".join(line.strip() for line in lines)


def signature_base(parts: RequestParts, signature_params: InnerList) -> bytes:
    """§2.5: the bytes the signer signs and the verifier verifies."""
    lines: list[str] = []
    seen: set[str] = set()
    for item in signature_params.items:
        name = item.value
        if not isinstance(name, str) or item.params:
            raise SignatureError("signature_malformed", "Thành phần được ký phải là tên không kèm tham số.",
                                 detail="component identifiers must be plain strings")
        if name in seen or name == "@signature-params" or name != name.lower():
            raise SignatureError("signature_malformed", f"Thành phần '{name}' không hợp lệ hoặc bị lặp.",
                                 detail=f"bad or repeated component {name}")
        seen.add(name)
        value = component_value(parts, name)
        if not value.isascii() or "\n" in value or "\r" in value:
            raise SignatureError("signature_malformed", f"Giá trị của '{name}' không dùng được trong chữ ký.",
                                 detail=f"non-ASCII or multi-line value for {name}")
        lines.append(f'"{name}": {value}')
    lines.append(f'"@signature-params": {serialize_inner_list(signature_params)}')
    return "\n".join(lines).encode("ascii")


# -- signing (the client helper) and verifying -----------------------------------------------


def sign_request(
    key: SigningKey,
    method: str,
    url: str,
    fields: Mapping[str, str] | None = None,
    *,
    keyid: str | None = None,
    covered: Iterable[str] = DEFAULT_COVERED,
    created: int | None = None,
    expires_in: int = 60,
    nonce: str | None = None,
    label: str = "sig1",
) -> dict[str, str]:
    """The ``Signature-Input`` and ``Signature`` fields for a request (§3.1), to add to ``fields``."""
    created = int(time.time()) if created is None else created
    params: Params = {"created": created, "expires": created + expires_in,
                      "nonce": nonce or secrets.token_urlsafe(16),
                      "alg": "ed25519", "keyid": keyid or key.public.key_id}
    inner = InnerList(tuple(Item(c) for c in covered), params)
    signature = key.sign(signature_base(parts_of(method, url, fields), inner))
    return {"Signature-Input": f"{label}={serialize_inner_list(inner)}",
            "Signature": f"{label}={_serialize_bare(signature)}"}


@dataclass(frozen=True)
class SignedRequest:
    """One signature of a request, parsed (not yet verified)."""

    label: str
    covered: tuple[str, ...]
    params: Params
    signature: bytes
    inner: InnerList

    def param_int(self, name: str) -> int | None:
        value = self.params.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def param_str(self, name: str) -> str | None:
        value = self.params.get(name)
        return value if isinstance(value, str) else None


def read_signature(signature_input: str, signature: str) -> SignedRequest:
    """§4.1/§4.2: the first label of ``Signature-Input`` with a matching ``Signature`` member."""
    inputs, signatures = parse_dictionary(signature_input), parse_dictionary(signature)
    for label, inner in inputs.items():
        sig = signatures.get(label)
        if sig is None:
            continue
        if not isinstance(inner, InnerList) or not isinstance(sig, Item) or not isinstance(sig.value, bytes):
            raise _malformed(f"label {label}: wrong member types")
        covered = tuple(i.value for i in inner.items if isinstance(i.value, str))
        return SignedRequest(label, covered, dict(inner.params), sig.value, inner)
    raise _malformed("no label present in both Signature-Input and Signature")


def verify_signature(parts: RequestParts, signed: SignedRequest, public: PublicKey) -> None:
    """§3.2 steps 6–8 for ``ed25519``: return nothing when the signature verifies, raise otherwise."""
    alg = signed.params.get("alg")
    if alg is not None and alg != "ed25519":
        raise SignatureError("signature_malformed", "Chỉ chấp nhận thuật toán ed25519.", detail=f"alg {alg!r}")
    base = signature_base(parts, signed.inner)
    try:
        public.verify(signed.signature, base)
    except BadSignature:
        raise SignatureError("signature_invalid", "Chữ ký yêu cầu không khớp với khóa của cơ quan.",
                             detail="Ed25519 verification of the signature base failed") from None
