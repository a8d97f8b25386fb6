"""The per-row checks of ``dantin verify``: what one stored row says, on its own.

``check_row`` takes a row as stored (topic and state bytes) and returns either a finding
(the row does not decode, or its payload is malformed) or what the sequential authority
replay in ``ledger.audit`` needs of it: the parsed envelope, its ``prev`` link and its
entry (leaf) hash.

Every check is the one ingest makes (``parse_payload``, ``b64decode_strict``), so a finding
says word for word what a refusal would have said.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NamedTuple

import orjson

from ledger.entry import entry_bytes, entry_hash
from ledger.envelope import Envelope, parse_payload
from ledger.errors import CryptoError, Refused
from ledger.signing import b64decode_strict

OPENED = "dantin:Stream.Opened"
APPENDED = "dantin:Stream.Appended"

_ROW_KEYS = {OPENED: ["timestamp", "payload", "keyid", "sig", "prev", "originator_topic"],
             APPENDED: ["timestamp", "payload", "keyid", "sig", "prev"]}


class Bad(NamedTuple):
    """A row that does not decode (``undecodable``), or whose payload is ``malformed``."""

    code: str
    message: str
    detail: str


#: A row that decodes: its envelope, its ``prev`` link and its entry hash (hex).
Checked = Bad | tuple[Envelope, str, str]


def strict_row(topic: str, state: bytes) -> tuple[str, str, str, str, str]:
    """The entry fields of a row, refusing any byte the library would not have written."""
    keys = _ROW_KEYS.get(topic)
    if keys is None:
        raise ValueError(f"unknown topic {topic!r}")
    fields = orjson.loads(state)
    if not isinstance(fields, dict) or list(fields) != keys:
        raise ValueError("row fields differ from a stored entry's")
    if topic == OPENED and fields["originator_topic"] != "dantin:Stream":
        raise ValueError("wrong originator topic")
    stamp = fields["timestamp"]
    if not (isinstance(stamp, dict) and list(stamp) == ["_type_", "_data_"]
            and stamp["_type_"] == "datetime_iso" and isinstance(stamp["_data_"], str)):
        raise ValueError("bad timestamp")
    received: str = stamp["_data_"]
    if datetime.fromisoformat(received).isoformat() != received:
        raise ValueError("non-canonical timestamp")
    payload, keyid, sig, prev = fields["payload"], fields["keyid"], fields["sig"], fields["prev"]
    if not (isinstance(payload, str) and payload.isascii() and isinstance(keyid, str) and keyid.isascii()
            and isinstance(sig, str) and sig.isascii() and isinstance(prev, str) and prev.isascii()):
        raise TypeError("entry fields must be ASCII strings")
    raw = bytes(state)
    # For ASCII rows orjson writes exactly what the library's json encoder writes, faster.
    if not (raw.isascii() and orjson.dumps(fields) == raw) and _encode_like_library(fields) != raw:
        raise ValueError("row bytes are not as the library writes them")
    return payload, keyid, sig, prev, received


def _encode_like_library(state: dict[str, Any]) -> bytes:
    # eventsourcing's JSONTranscoder: compact separators, UTF-8, insertion order.
    return json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def check_row(topic: str, state: bytes) -> Checked:
    try:
        payload_b64, keyid, sig_b64, prev, received = strict_row(topic, state)
        env = parse_payload(b64decode_strict(payload_b64), keyid, b64decode_strict(sig_b64))
        entry = entry_bytes(payload_b64, keyid, sig_b64, prev, received)
    except (ValueError, TypeError, KeyError, CryptoError, UnicodeError) as exc:
        return Bad("undecodable", "Bản ghi hỏng, không đọc được nội dung.", str(exc)[:200])
    except Refused as exc:
        return Bad("malformed", f"Nội dung đã lưu không hợp lệ: {exc.message_vi}", exc.detail)
    return env, prev, entry_hash(entry)
