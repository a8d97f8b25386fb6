"""Parsing and sealing signed envelopes (schemas/envelope.py gives the wire shape).

Parsing is strict: the payload must be the RFC 8785 form of its own JSON (so one fact
has one byte string, and a replay is byte-identical), must hold no floats, and must name
the key that signed it. Anything else is refused as ``malformed``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any, NamedTuple, get_args

import orjson
from pydantic import BaseModel, ValidationError

from ledger.catalogue import EVENT_TYPES
from ledger.errors import CryptoError, Refused
from ledger.signing import (
    PAYLOAD_TYPE,
    NotCanonicalizable,
    SigningKey,
    _orjson_is_jcs,
    b64decode_strict,
    b64encode,
    canonical_json,
    find_float,
    is_canonical,
    pae,
)
from schemas._checks import KEY_ID_RE, first_unsafe_text, unsafe_text_vi
from schemas._messages import message_vi
from schemas.envelope import EnvelopeWire, SignatureWire, Statement, UnsignedEvent
from schemas.facts import FACTS_MODELS


class Envelope(NamedTuple):
    """A parsed envelope: the bytes as received, and what they say.

    Immutable, and a tuple: built once per envelope on every path (ingest, ``verify``), where
    a frozen dataclass's keyword construction cost twice as much (1.7 against 0.9 µs).
    """

    payload: bytes
    keyid: str
    sig: bytes
    statement: Statement
    #: The typed facts, for the types that have a model (schemas/facts.py).
    facts: BaseModel | None
    #: SHA-256 of the payload, in hex: hashed once (authority asks for it twice per event).
    payload_hash: str

    def preimage(self) -> bytes:
        """``pae(PAYLOAD_TYPE, payload)``, its fixed head made once (``tests/unit/test_envelope.py``)."""
        return b"%s%d %s" % (_PAE_HEAD, len(self.payload), self.payload)

    def wire(self) -> dict[str, Any]:
        return {
            "payloadType": PAYLOAD_TYPE,
            "payload": b64encode(self.payload),
            "signatures": [{"keyid": self.keyid, "sig": b64encode(self.sig)}],
        }


#: What every pre-image begins with: the DSSE tag and the payload type, with its length.
_PAE_HEAD = pae(PAYLOAD_TYPE, b"")[: -len(b"0 ")]


def _malformed(message_vi: str, detail: str) -> Refused:
    return Refused("malformed", message_vi, detail=detail)


def _first_error(exc: ValidationError) -> tuple[str, str]:
    """Where the model's first error is and what it is: in Vietnamese (the message), and in
    pydantic's English (the ``detail`` programs read)."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "(gốc)"
    return f"{where}: {message_vi(err)}", f"{where}: {err['msg']}"




def parse_envelope(data: bytes | str | Mapping[str, Any]) -> Envelope:
    """Parse and check an envelope's form (not its signature or authority)."""
    return parse_payload(*open_envelope(data))


def as_envelope_input(value: Any) -> Any:
    """A value parsed from JSON, as an envelope to submit: an object as it is, anything else as
    the JSON it was parsed from. ``open_envelope`` reads a ``str`` as JSON text: a JSON string
    holding an envelope's text (a body encoded twice) must not pass for the envelope."""
    return value if isinstance(value, Mapping) else orjson.dumps(value)


def open_envelope(data: bytes | str | Mapping[str, Any]) -> tuple[bytes, str, bytes]:
    """The wire envelope's (payload, keyid, signature), its form checked; the payload not parsed yet.

    What a signature check needs, before the larger part of ``parse_envelope``'s work (the
    statement's checks): the writer hands it to a worker here, ahead of that.
    """
    if isinstance(data, (bytes, str)):
        try:
            data = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise _malformed("Phong bì không phải JSON hợp lệ.", f"not JSON: {exc}") from None
    if not isinstance(data, Mapping):
        raise _malformed("Phong bì phải là một đối tượng JSON.", "envelope is not an object")
    fields = _plain_wire(data)
    if fields is None:
        try:
            wire = EnvelopeWire.model_validate(data)
        except ValidationError as exc:
            where, detail = _first_error(exc)
            raise _malformed(f"Phong bì sai cấu trúc tại {where}.", detail) from None
        fields = wire.payload, wire.signatures[0].keyid, wire.signatures[0].sig
    payload_b64, keyid, sig_b64 = fields
    try:
        payload = b64decode_strict(payload_b64)
        sig = b64decode_strict(sig_b64)
    except CryptoError as exc:
        raise _malformed("Nội dung hoặc chữ ký không phải base64 chuẩn.", exc.detail) from None
    if len(sig) != 64:
        raise _malformed("Chữ ký Ed25519 phải dài 64 byte.", f"signature is {len(sig)} bytes")
    return payload, keyid, sig


def _max_length(model: type[BaseModel], name: str) -> int:
    return next(int(m.max_length) for m in model.model_fields[name].metadata if hasattr(m, "max_length"))


#: What ``_plain_wire`` checks, read off the models.
_WIRE_KEYS = frozenset(EnvelopeWire.model_fields)
_SIGNATURE_KEYS = frozenset(SignatureWire.model_fields)
(_WIRE_TYPE,) = get_args(EnvelopeWire.model_fields["payloadType"].annotation)  # the Literal's one value
_MAX_PAYLOAD = _max_length(EnvelopeWire, "payload")
_MAX_SIG = _max_length(SignatureWire, "sig")


def _plain_wire(data: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """``EnvelopeWire``'s (payload, keyid, sig) for an envelope of plain JSON types it surely
    accepts as is; None whenever not sure (then the model judges, and words any error).

    The model's checks, on exact types only: the three fields and no other, the payload type,
    the lengths, one signature of two fields, a key id of 32 lowercase hex digits. Half a
    one-by-one submission's opening went on the model (``tests/unit/test_envelope_fast.py``
    holds the two equal).
    """
    if type(data) is not dict or data.keys() != _WIRE_KEYS:
        return None
    payload, signatures, kind = data["payload"], data["signatures"], data["payloadType"]
    if type(kind) is not str or kind != _WIRE_TYPE or type(payload) is not str or len(payload) > _MAX_PAYLOAD:
        return None
    if type(signatures) is not list or len(signatures) != 1:
        return None
    one = signatures[0]
    if type(one) is not dict or one.keys() != _SIGNATURE_KEYS:
        return None
    keyid, sig = one["keyid"], one["sig"]
    if type(keyid) is not str or not KEY_ID_RE.fullmatch(keyid) or type(sig) is not str or len(sig) > _MAX_SIG:
        return None
    return payload, keyid, sig


#: The models' own validators, called as ``model_validate(obj)`` calls them with its defaults:
#: that wrapper passes six keyword arguments each time, a third of the statement's cost
#: (0.7 us of 2.9 per call, for the statement and again for the facts).
_validate_statement: Callable[[Any], Statement] = Statement.__pydantic_validator__.validate_python
_VALIDATE_FACTS: dict[str, Callable[[Any], BaseModel]] = {
    kind: model.__pydantic_validator__.validate_python for kind, model in FACTS_MODELS.items()
}


def _require_canonical(payload: bytes, obj: dict[str, Any]) -> None:
    """Refuse ``payload`` unless it is the RFC 8785 form of ``obj`` (its own parse), saying why:
    a float, an integer JSON cannot hold exactly, or another spelling of the same value."""
    try:
        if is_canonical(payload, obj):
            return
    except NotCanonicalizable:
        pass
    where = find_float(obj)
    if where:
        raise _malformed(
            f"Nội dung ký có số thập phân tại {where}; chỉ được dùng số nguyên.",
            f"float at {where}",
        )
    try:
        canonical_json(obj)
    except NotCanonicalizable as exc:
        raise _malformed("Nội dung ký có số nguyên vượt giới hạn ±(2^53 − 1) của JSON.", str(exc)) from None
    raise _malformed(
        "Nội dung ký không ở dạng JSON chuẩn hóa (RFC 8785).", "payload is not RFC 8785 canonical"
    )


def _statement_is_jcs(payload: bytes, obj: dict[str, Any]) -> bool:
    """``is_canonical(payload, obj)`` for a parse that ``Statement`` has just accepted, sure only
    when True (False: ask ``_require_canonical``).

    What ``signing._orjson_is_jcs`` walks the whole value for, the model has already settled
    outside ``facts``: its keys are the model's own field names (``extra="forbid"``), ASCII;
    its other values are strings (a JSON value it takes as ``str``, a date or a time is a
    string: ``schemas._checks``), a ``signer`` of strings or null, and ``v``, which must be the
    integer itself (``Literal[1]`` would also take 1.0 or true). So only ``facts`` is walked:
    a third of the walk, for the statements of the log (``tests/unit/test_statement_form.py``
    holds the two equal).
    """
    return (type(obj.get("v")) is int and _orjson_is_jcs(obj.get("facts"))
            and orjson.dumps(obj, option=orjson.OPT_SORT_KEYS) == payload)


def parse_payload(payload: bytes, keyid: str, sig: bytes) -> Envelope:
    try:
        obj = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise _malformed("Nội dung ký không phải JSON hợp lệ.", f"payload not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise _malformed("Nội dung ký phải là một đối tượng JSON.", "payload is not an object")
    try:  # (no cost until raised)
        # The form is judged before the structure (a payload wrong in both is refused for its form),
        # but checked after it: the model's checks leave less of the payload to walk.
        try:
            statement: Statement = _validate_statement(obj)
        except ValidationError as exc:
            _require_canonical(payload, obj)
            where, detail = _first_error(exc)
            raise _malformed(f"Nội dung ký sai cấu trúc tại {where}.", detail) from None
        if not _statement_is_jcs(payload, obj):
            _require_canonical(payload, obj)
        if statement.type not in EVENT_TYPES:
            raise _malformed(
                f"Loại sự kiện '{statement.type}' không có trong danh mục.",
                f"unknown event type {statement.type}",
            )
        if statement.key != keyid:
            raise _malformed(
                "Mã khóa trong nội dung khác mã khóa của chữ ký.", "statement.key != signatures[0].keyid"
            )
        facts: BaseModel | None = None
        validate_facts = _VALIDATE_FACTS.get(statement.type)
        if validate_facts is not None:
            try:
                facts = validate_facts(statement.facts)
            except ValidationError as exc:
                where, detail = _first_error(exc)
                raise _malformed(f"Dữ kiện sai cấu trúc tại facts.{where}.", f"facts.{detail}") from None
        return Envelope(payload, keyid, sig, statement, facts, sha256(payload).hexdigest())
    except (RecursionError, orjson.JSONEncodeError):  # nested deeper than orjson writes or Python walks
        raise _malformed("Nội dung ký lồng nhau quá nhiều cấp.", "payload nested too deeply") from None


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def format_utc(moment: datetime) -> str:
    text = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return text


def seal(
    key: SigningKey,
    body: str,
    event: UnsignedEvent | Mapping[str, Any],
    *,
    signed_at: datetime | None = None,
) -> dict[str, Any]:
    """Sign an event for ``body`` with ``key``; returns the wire envelope."""
    unsigned = event if isinstance(event, UnsignedEvent) else UnsignedEvent.model_validate(event)
    statement: dict[str, Any] = {
        "v": 1,
        "type": unsigned.type,
        "place": unsigned.place,
        "date": unsigned.date.isoformat(),
        "body": body,
        "key": key.public.key_id,
        "signed_at": format_utc(signed_at or utc_now()),
        "facts": unsigned.facts,
    }
    if unsigned.signer is not None:
        statement["signer"] = unsigned.signer.model_dump(exclude_none=True)
    where = find_float(statement)
    if where:
        raise _malformed(f"Có số thập phân tại {where}; chỉ được dùng số nguyên.", f"float at {where}")
    unsafe = first_unsafe_text(statement)
    if unsafe:  # what the ledger would refuse (ledger.authority), said before anything is signed
        raise _malformed(f"Nội dung sai tại {unsafe[0]}: {unsafe_text_vi(unsafe[1])}.",
                         f"unsafe character {unsafe[1]} at {unsafe[0]}")
    try:
        payload = canonical_json(statement)
    except NotCanonicalizable as exc:
        raise _malformed("Có số nguyên vượt giới hạn ±(2^53 − 1) của JSON.", str(exc)) from None
    sig = key.sign(pae(PAYLOAD_TYPE, payload))
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": b64encode(payload),
        "signatures": [{"keyid": key.public.key_id, "sig": b64encode(sig)}],
    }
