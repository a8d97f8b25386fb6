"""Who may read restricted data: a request signed (RFC 9421) by an enrolled body's key.

The request names its body in the ``Dantin-Body`` field and covers that field with the
signature, together with ``@method``, the target (``@target-uri``, or ``@path`` and
``@query``) and ``@authority``; ``keyid`` is the ledger key id of one of the body's keys.
Naming the body makes the key look-up one stream read (the ledger has no index from key
id to body) and removes any doubt when two bodies hold the same key.

Replay protection (RFC 9421 §7.2.2): ``created`` within ``window`` seconds of now,
``expires`` in the future and at most ``window`` after ``created``, and a ``nonce`` not seen
from that key while an earlier signature carrying it is unexpired. The nonces are kept in
the ledger's database (``LedgerNonces``), so every server process on one ledger refuses a
request another has answered; ``NonceCache`` keeps them in memory for a ledger whose
storage has no such table.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from api.httpsig import RequestParts, SignedRequest, normalise_authority, read_signatures, verify_signature
from api.problems import Forbidden
from api.sigerrors import SignatureError
from ledger.application import Ledger
from ledger.authority import BodyState
from schemas.ids import BODY_RE, place_contains

#: Body kinds entitled to read full envelopes and personal profiles, within their jurisdiction.
READ_KINDS = frozenset({"inspection", "commune_front", "commune_party", "district_standing", "root"})
BODY_FIELD = "dantin-body"
_MAX_NONCE = 256
#: Signatures of one request checked at most (each costs an Ed25519 verification).
_MAX_SIGNATURES = 4


@dataclass(frozen=True)
class Reader:
    """An authenticated reader: the body and the key that signed the request."""

    body: BodyState
    keyid: str

    def require_place(self, place: str) -> None:
        """Raise ``Forbidden`` unless this body may read ``place``'s restricted data."""
        if self.body.kind not in READ_KINDS:
            raise Forbidden(f"Cơ quan loại '{self.body.kind}' không có quyền đọc hồ sơ đầy đủ (chỉ: "
                            f"{', '.join(sorted(READ_KINDS))}).", code="read_not_allowed",
                            detail=f"kind {self.body.kind} has no read rights")
        if not place_contains(self.body.jurisdiction, place):
            raise Forbidden(f"Địa bàn '{place}' nằm ngoài thẩm quyền '{self.body.jurisdiction}' của "
                            f"'{self.body.id}'.", code="read_outside_jurisdiction",
                            detail="place outside the reader's jurisdiction")


class NonceStore(Protocol):
    def claim(self, keyid: str, nonce: str, until: float, now: float) -> bool: ...


class NonceCache:
    """(key id, nonce) pairs seen within the window, forgotten once their signature has expired."""

    def __init__(self, max_entries: int = 1_000_000) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._max = max_entries

    def claim(self, keyid: str, nonce: str, until: float, now: float) -> bool:
        """Record the nonce; False when it was already used."""
        with self._lock:
            if len(self._seen) >= self._max // 2:
                self._seen = {k: t for k, t in self._seen.items() if t > now}
            if (keyid, nonce) in self._seen and self._seen[(keyid, nonce)] > now:
                return False
            if len(self._seen) >= self._max:
                raise SignatureError("signature_replayed", "Máy chủ đang quá tải yêu cầu ký; hãy thử lại sau.",
                                     detail="nonce cache full")
            self._seen[(keyid, nonce)] = until
            return True


class LedgerNonces:
    """The nonces in the ledger's own database (its recorder's ``claim_nonce``), shared by processes."""

    def __init__(self, claim: Callable[[str, str, float, float], bool]) -> None:
        self._claim = claim

    def claim(self, keyid: str, nonce: str, until: float, now: float) -> bool:
        """Record the nonce; False when it was already used."""
        return self._claim(keyid, nonce, until, now)


def nonce_store(ledger: Ledger) -> NonceStore:
    """The ledger's shared nonce table when its storage has one, else an in-memory cache."""
    claim = getattr(ledger.recorder, "claim_nonce", None)
    return LedgerNonces(claim) if claim is not None else NonceCache()


def _fail(code: str, message_vi: str, detail: str) -> SignatureError:
    return SignatureError(code, message_vi, detail=detail)


def authenticate(
    ledger: Ledger,
    parts: RequestParts,
    signature_input: str | None,
    signature: str | None,
    *,
    nonces: NonceStore,
    window: int,
    now: float | None = None,
    authorities: tuple[str, ...] = (),
) -> Reader:
    """Verify the request's signature and return who signed it; ``SignatureError`` (401) otherwise.

    ``authorities``: the names this server is reached by (``ApiSettings.authorities``); when given, a
    request addressed to another name (its Host field, which the signature covers as ``@authority``)
    is refused before any signature is checked: signed for another server, it is not for this one."""
    if not signature_input or not signature:
        raise _fail("signature_missing", "Dữ liệu này chỉ dành cho cơ quan có thẩm quyền: yêu cầu phải được ký "
                    "(RFC 9421: trường Signature-Input và Signature).", "no signature")
    if authorities and parts.authority not in {normalise_authority(parts.scheme, a) for a in authorities}:
        raise _fail("signature_wrong_authority",
                    f"Yêu cầu ký gửi tới máy chủ '{parts.authority}', nhưng máy chủ này chỉ nhận yêu cầu ký gửi tới "
                    f"{', '.join(repr(a) for a in authorities)}: hãy ký lại với địa chỉ của máy chủ này.",
                    f"@authority {parts.authority!r} not in {list(authorities)}")
    # §4.3: several signatures (a proxy's beside the client's): each is checked in full, in order, until one
    # passes; when none does, the first one's reason is the answer (the only one, for a single signature).
    first: SignatureError | None = None
    for signed in read_signatures(signature_input, signature)[:_MAX_SIGNATURES]:
        try:
            return _reader(ledger, parts, signed, nonces=nonces, window=window, now=now)
        except SignatureError as exc:
            first = first or exc
    assert first is not None
    raise first


def _reader(ledger: Ledger, parts: RequestParts, signed: SignedRequest, *, nonces: NonceStore, window: int,
            now: float | None) -> Reader:
    """One signature's checks: what it covers, its parameters and time window, the body's key, the signature
    itself, and last its nonce (claimed only by a signature that verified)."""
    covered = set(signed.covered)
    target = "@target-uri" in covered or {"@path", "@query"} <= covered or "@request-target" in covered
    if not ({"@method", "@authority", BODY_FIELD} <= covered and target):
        raise _fail("signature_malformed", "Chữ ký phải phủ @method, @authority, dantin-body và đích yêu cầu "
                    "(@target-uri, hoặc @path và @query).", f"covered {sorted(covered)}")
    created, expires = signed.param_int("created"), signed.param_int("expires")
    nonce, keyid = signed.param_str("nonce"), signed.param_str("keyid")
    if created is None or expires is None or not nonce or not keyid or len(nonce) > _MAX_NONCE:
        raise _fail("signature_malformed", "Chữ ký phải có các tham số created, expires, nonce và keyid.",
                    "missing signature parameters")
    now = time.time() if now is None else now
    if abs(now - created) > window or expires <= now or expires - created > window:
        raise _fail("signature_expired", f"Chữ ký đã hết hạn hoặc thời điểm ký lệch quá {window} giây so với máy "
                    "chủ.", f"created={created} expires={expires} now={int(now)}")
    body_id = ",".join(parts.fields.get(BODY_FIELD, ())).strip()
    if not BODY_RE.match(body_id):
        raise _fail("signature_malformed", "Trường Dantin-Body phải là mã một cơ quan.", "bad Dantin-Body")
    stream = ledger.get_stream(body_id)
    body = stream.state.body if stream is not None else None
    key = body.keys.get(keyid) if body is not None else None
    if body is None or key is None:
        raise _fail("signature_unknown_key", f"Khóa {keyid} không phải khóa của cơ quan '{body_id}' trong sổ cái.",
                    "unknown body or key")
    if key.revoked or (key.valid_from is not None and key.valid_from.timestamp() > now):
        raise _fail("signature_unknown_key", f"Khóa {keyid} của '{body_id}' đã bị thu hồi hoặc chưa có hiệu lực.",
                    "key revoked or not yet valid")
    verify_signature(parts, signed, key.public)
    if not nonces.claim(keyid, nonce, float(expires), now):
        raise _fail("signature_replayed", "Yêu cầu ký này đã được dùng (nonce lặp lại); hãy ký yêu cầu mới.",
                    "nonce replayed")
    return Reader(body, keyid)
