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
import re
from datetime import date, datetime
from typing import Any, NamedTuple

import orjson

from ledger.entry import entry_bytes, entry_hash
from ledger.envelope import Envelope, parse_payload
from ledger.errors import CryptoError, Refused
from ledger.signing import b64decode_canonical, b64decode_strict

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


#: The row as the library writes it, around its fields (``_plain_row``).
_HEAD = '{"timestamp":{"_type_":"datetime_iso","_data_":"'
_AFTER_STAMP = '"},"payload":"'
_HEAD_LEN, _AFTER_STAMP_LEN = len(_HEAD), len(_AFTER_STAMP)
#: Printable ASCII but ``"`` and ``\\``: what orjson writes as is (it escapes those two and
#: control characters only).
_PLAIN = r'([\x20\x21\x23-\x5b\x5d-\x7e]*)'
_AFTER_PAYLOAD = r'","keyid":"%s","sig":"%s","prev":"%s"' % (_PLAIN, _PLAIN, _PLAIN)
_TAIL = {OPENED: re.compile(_AFTER_PAYLOAD + r',"originator_topic":"dantin:Stream"\}'),
         APPENDED: re.compile(_AFTER_PAYLOAD + r'\}')}
#: A timestamp as ``datetime.isoformat`` writes a UTC instant (a fraction of all zeros it omits).
_UTC_STAMP = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
                        r"(?:\.(?!000000)[0-9]{6})?\+00:00")
#: Date strings seen in timestamps -> whether a real date, written as ``date.isoformat`` writes it.
_DATES: dict[str, bool] = {}


def _canonical_stamp(received: str) -> bool:
    """Whether ``datetime.fromisoformat(received).isoformat() == received``, for the usual
    stamps; False means "not sure" (then ``strict_row`` judges)."""
    m = _UTC_STAMP.fullmatch(received)
    if m is None:
        return False
    day = m.group(1)
    good = _DATES.get(day)
    if good is None:
        try:
            good = date.fromisoformat(day).isoformat() == day
        except ValueError:
            good = False
        if len(_DATES) > 4096:
            _DATES.clear()
        _DATES[day] = good
    return good


def _plain_row(topic: str, state: bytes) -> tuple[str, str, str, str, str, bytes, bytes] | None:
    """What ``strict_row`` and the two ``b64decode_strict`` calls of ``check_row`` return, for a
    row they all accept as surely as they would; None whenever not sure.

    A row written exactly as the library writes it (``_HEAD``, ``_TAIL``), every field a
    string of plain characters (a canonical timestamp, standard base64, ``_PLAIN``), decodes
    to those very strings and is written back byte for byte: so every check of
    ``strict_row`` holds. (Its regular expressions never scan the payload, the bulk of a
    row: base64 decoding checks its characters.)
    """
    tail = _TAIL.get(topic)
    if tail is None or type(state) is not bytes or not state.isascii():
        return None
    s = state.decode("ascii")
    if not s.startswith(_HEAD):
        return None
    end = s.find('"', _HEAD_LEN)
    if end < 0 or not s.startswith(_AFTER_STAMP, end):
        return None
    received = s[_HEAD_LEN:end]
    start = end + _AFTER_STAMP_LEN
    end = s.find('"', start)
    if end < 0:
        return None
    m = tail.fullmatch(s, end)
    if m is None or not _canonical_stamp(received):
        return None
    payload_b64 = s[start:end]
    keyid, sig_b64, prev = m.groups()
    payload, sig = b64decode_canonical(payload_b64), b64decode_canonical(sig_b64)
    if payload is None or sig is None:
        return None
    return payload_b64, keyid, sig_b64, prev, received, payload, sig


def check_row(topic: str, state: bytes) -> Checked:
    try:
        plain = _plain_row(topic, state)
        if plain is None:
            payload_b64, keyid, sig_b64, prev, received = strict_row(topic, state)
            payload, sig = b64decode_strict(payload_b64), b64decode_strict(sig_b64)
        else:
            payload_b64, keyid, sig_b64, prev, received, payload, sig = plain
        env = parse_payload(payload, keyid, sig)
        entry = entry_bytes(payload_b64, keyid, sig_b64, prev, received)
    except (ValueError, TypeError, KeyError, CryptoError, UnicodeError) as exc:
        return Bad("undecodable", "Bản ghi hỏng, không đọc được nội dung.", str(exc)[:200])
    except Refused as exc:
        return Bad("malformed", f"Nội dung đã lưu không hợp lệ: {exc.message_vi}", exc.detail)
    return env, prev, entry_hash(entry)
