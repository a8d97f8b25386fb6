"""The quick paths of ``dantin verify`` answer exactly as the careful ones.

- ``ledger.audit_rows._plain_row`` gives what ``strict_row`` and ``b64decode_strict`` give,
  for the rows it accepts, and ``check_row`` answers as the careful path on damaged rows;
- ``_canonical_stamp`` never calls a timestamp canonical that ``datetime`` would not write so.
"""

from __future__ import annotations

import base64
import random
from datetime import datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ledger.audit_rows
from ledger.audit_rows import _canonical_stamp, _plain_row, check_row, strict_row
from ledger.errors import CryptoError
from ledger.signing import SigningKey, b64decode_strict

KEY = SigningKey.generate()

GOOD: dict[str, Any] = {
    "v": 1, "type": "person.profiled", "place": "qng.bato.bavinh", "date": "2022-01-10",
    "body": "qng.bato.bavinh/cell", "key": KEY.public.key_id, "signed_at": "2026-12-04T17:27:16Z",
    "facts": {"person": "p1", "name": "Huỳnh Thanh Thảo", "born": "1980-01-01"},
}


# -- rows ----------------------------------------------------------------------------

def _state_bytes(payload: bytes, *, stamp: str = "2022-03-20T01:02:03.000004+00:00", opened: bool = True,
                 sig: str | None = None, prev: str = "0" * 64, keyid: str | None = None) -> bytes:
    state: dict[str, Any] = {
        "timestamp": {"_type_": "datetime_iso", "_data_": stamp},
        "payload": base64.b64encode(payload).decode(), "keyid": KEY.public.key_id if keyid is None else keyid,
        "sig": base64.b64encode(KEY.sign(payload)).decode() if sig is None else sig, "prev": prev,
    }
    if opened:
        state["originator_topic"] = "dantin:Stream"
    return orjson.dumps(state)


def _careful_row(topic: str, state: bytes) -> Any:
    try:
        fields = strict_row(topic, state)
        return ("ok", *fields, b64decode_strict(fields[0]), b64decode_strict(fields[2]))
    except (ValueError, TypeError, KeyError, CryptoError, UnicodeError):
        return "refused"


def _check_plain(topic: str, state: bytes) -> None:
    plain = _plain_row(topic, state)
    if plain is not None:
        assert ("ok", *plain) == _careful_row(topic, state), (topic, state)


def _row_outcome(topic: str, state: bytes, monkeypatch: pytest.MonkeyPatch, quick: bool) -> Any:
    with monkeypatch.context() as m:
        if not quick:
            m.setattr(ledger.audit_rows, "_plain_row", lambda topic, state: None)
        return check_row(topic, state)


def test_rows_answer_as_the_careful_path(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(11)
    payload = orjson.dumps(GOOD, option=orjson.OPT_SORT_KEYS)
    states = [
        _state_bytes(payload), _state_bytes(payload, opened=False),
        _state_bytes(payload, stamp="2022-03-20T01:02:03+00:00"),
        _state_bytes(payload, stamp="2022-03-20T01:02:03.000000+00:00"),
        _state_bytes(payload, stamp="2022-02-30T01:02:03+00:00"),
        _state_bytes(payload, stamp="2022-03-20T01:02:03Z"),
        _state_bytes(payload, stamp="2022-03-20T01:02:03.5+00:00"),
        _state_bytes(payload, stamp="2022-03-20T01:02:03.000004+01:00"),
        _state_bytes(payload, stamp="2022-03-20T01:02:03.000004"),
        _state_bytes(payload, sig="AA=="), _state_bytes(payload, sig="AR=="),
        _state_bytes(payload, prev="x\"y"), _state_bytes(payload, prev="x\\y"), _state_bytes(payload, prev="é"),
        _state_bytes(payload, keyid="\x01"), _state_bytes(payload, keyid="a/b"),
        # fields that read as the row's own separators, empty ones, DEL (not printable)
        _state_bytes(payload, keyid='","sig":"'), _state_bytes(payload, prev='"}'), _state_bytes(payload, keyid=""),
        _state_bytes(payload, prev=""), _state_bytes(payload, prev="a\x7fb"), _state_bytes(payload, sig=""),
    ]
    for state in list(states[:2]):
        for _ in range(150):
            i = rng.randrange(len(state))
            states.append(state[:i] + bytes([state[i] ^ rng.choice((1, 2, 4, 8, 16, 32, 64, 128))]) + state[i + 1:])
            states.append(state[:i] + state[i + 1:])
        states.append(state.replace(b'","', b'", "', 1))
        states.append(state + b" ")
        states.append(state.replace(b'"payload"', b'"payload2"'))
    for state in states:
        for topic in ("dantin:Stream.Opened", "dantin:Stream.Appended", "other"):
            _check_plain(topic, state)
            _check_plain(topic, bytearray(state))  # type: ignore[arg-type]
            assert _row_outcome(topic, state, monkeypatch, True) == _row_outcome(topic, state, monkeypatch, False)


@given(st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,7})?(\+00:00|Z|\+01:00)?\Z")
       | st.text(max_size=40))
@settings(max_examples=500, deadline=None)
def test_canonical_stamps(stamp: str) -> None:
    if _canonical_stamp(stamp):
        assert datetime.fromisoformat(stamp).isoformat() == stamp
