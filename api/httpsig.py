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

import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from api.sfv import InnerList, Item, Params, malformed, parse_dictionary, serialize_bare, serialize_inner_list
from api.sigerrors import SignatureError
from ledger.signing import BadSignature, PublicKey, SigningKey

#: What a dantin client covers (RFC 9421 §7.2.1: cover the target and the method).
DEFAULT_COVERED: tuple[str, ...] = ("@method", "@target-uri", "@authority", "dantin-body")
#: RFC 9421 §5.1: the signature a server asks for when a request lacks an acceptable one.
ACCEPT_SIGNATURE = 'sig1=("@method" "@target-uri" "@authority" "dantin-body");created;expires;nonce;alg="ed25519"'


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
            "Signature": f"{label}={serialize_bare(signature)}"}


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


def read_signatures(signature_input: str, signature: str) -> list[SignedRequest]:
    """§4.1/§4.2: every label of ``Signature-Input`` with a matching ``Signature`` member, in order (§4.3: a
    request may carry several signatures, a proxy's beside the client's; the verifier picks, §3.2)."""
    inputs, signatures = parse_dictionary(signature_input), parse_dictionary(signature)
    found: list[SignedRequest] = []
    for label, inner in inputs.items():
        sig = signatures.get(label)
        if sig is None:
            continue
        if not isinstance(inner, InnerList) or not isinstance(sig, Item) or not isinstance(sig.value, bytes):
            raise malformed(f"label {label}: wrong member types")
        covered = tuple(i.value for i in inner.items if isinstance(i.value, str))
        found.append(SignedRequest(label, covered, dict(inner.params), sig.value, inner))
    if not found:
        raise malformed("no label present in both Signature-Input and Signature")
    return found


def read_signature(signature_input: str, signature: str) -> SignedRequest:
    """The first of ``read_signatures``."""
    return read_signatures(signature_input, signature)[0]


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
