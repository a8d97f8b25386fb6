"""``parse_payload`` judges a statement's form after its structure, with the same verdicts.

``ledger.envelope._statement_is_jcs`` checks the RFC 8785 form of a payload the statement
model has accepted by walking only its ``facts``; when it is not sure, the whole check
(``_require_canonical``) decides, as it did for every payload before. Each payload here is
parsed with the short check and with it turned off: the same statement, or the same refusal,
word for word. And the short check never says "canonical" of bytes the reference does not.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

import ledger.envelope
from ledger.envelope import _statement_is_jcs, parse_payload
from ledger.errors import Refused
from ledger.signing import is_canonical

KEYID = "0123456789abcdef0123456789abcdef"
BASE: dict[str, Any] = {
    "v": 1, "type": "person.profiled", "place": "qng.bato.bavinh", "date": "2022-01-10",
    "body": "qng.bato.bavinh/cell", "key": KEYID, "signed_at": "2022-01-10T08:00:00Z",
    "facts": {"person": "p1", "name": "Huỳnh Thanh Thảo", "born": "1980-01-01"},
}
SAFE = 2**53 - 1


def _outcome(payload: bytes, monkeypatch: pytest.MonkeyPatch, short: bool) -> Any:
    with monkeypatch.context() as m:
        if not short:
            m.setattr(ledger.envelope, "_statement_is_jcs", lambda payload, obj: False)
        try:
            env = parse_payload(payload, KEYID, b"\0" * 64)
        except Refused as exc:
            return ("refused", exc.code, exc.message_vi, exc.detail)
        return ("ok", env.statement.model_dump(), env.facts.model_dump() if env.facts else None, env.payload_hash)


def _same(payload: bytes, monkeypatch: pytest.MonkeyPatch) -> Any:
    short = _outcome(payload, monkeypatch, True)
    assert short == _outcome(payload, monkeypatch, False), payload
    return short


def _jcs(value: Any) -> bytes:
    return rfc8785.dumps(value)


def _with(**changes: Any) -> dict[str, Any]:
    out = dict(BASE)
    for k, v in changes.items():
        if v is _DROP:
            out.pop(k, None)
        else:
            out[k] = v
    return out


_DROP = object()

CASES: list[tuple[str, bytes, str]] = [
    ("canonical", _jcs(BASE), "ok"),
    ("with a signer", _jcs(_with(signer={"name": "Đinh Văn Nam", "title": "Bí thư"})), "ok"),
    ("a signer of null title", _jcs(_with(signer={"name": "A", "title": None})), "ok"),
    ("keys unsorted", json.dumps(BASE, ensure_ascii=False, separators=(",", ":")).encode(), "malformed"),
    ("spaces", json.dumps(BASE, ensure_ascii=False, sort_keys=True).encode(), "malformed"),
    ("escaped letters", json.dumps(BASE, sort_keys=True, separators=(",", ":")).encode(), "malformed"),
    ("v as a float", orjson.dumps(_with(v=1.0), option=orjson.OPT_SORT_KEYS), "malformed"),
    ("v as true", orjson.dumps(_with(v=True), option=orjson.OPT_SORT_KEYS), "malformed"),
    ("a float in facts", orjson.dumps(_with(facts={**BASE["facts"], "x": 1.5}), option=orjson.OPT_SORT_KEYS),
     "malformed"),
    ("a float deep in facts", orjson.dumps(_with(facts={**BASE["facts"], "x": [{"y": 2.0}]}),
                                           option=orjson.OPT_SORT_KEYS), "malformed"),
    ("an integer beyond 2^53", orjson.dumps(_with(facts={**BASE["facts"], "x": SAFE + 1}),
                                            option=orjson.OPT_SORT_KEYS), "malformed"),
    ("the largest safe integer", _jcs(_with(facts={**BASE["facts"], "x": -SAFE})), "malformed"),
    ("non-ASCII keys in facts", _jcs(_with(facts={**BASE["facts"], "\ue000": 1, "\U0001f600": 2})), "malformed"),
    ("those keys in code point order",
     orjson.dumps(_with(facts={**BASE["facts"], "\ue000": 1, "\U0001f600": 2}), option=orjson.OPT_SORT_KEYS),
     "malformed"),
    ("a missing field, canonical", _jcs(_with(body=_DROP)), "malformed"),
    ("a missing field, not canonical", json.dumps(_with(body=_DROP)).encode(), "malformed"),
    ("a missing field and a float", orjson.dumps(_with(body=_DROP, v=1.5), option=orjson.OPT_SORT_KEYS),
     "malformed"),
    ("an extra field", _jcs(_with(extra="x")), "malformed"),
    ("a number where a string goes", _jcs(_with(place=5)), "malformed"),
    ("a date as a number", _jcs(_with(date=20220110)), "malformed"),
    ("facts not an object", _jcs(_with(facts=[1, 2])), "malformed"),
    ("not an object", b"[1,2]", "malformed"),
    ("not JSON", b"{", "malformed"),
]


@pytest.mark.parametrize(("name", "payload", "verdict"), CASES, ids=[c[0] for c in CASES])
def test_each_payload_is_judged_as_by_the_whole_check(
    name: str, payload: bytes, verdict: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome = _same(payload, monkeypatch)
    assert (outcome[0] if outcome[0] == "ok" else outcome[1]) == verdict, outcome


def test_the_form_is_judged_before_the_structure(monkeypatch: pytest.MonkeyPatch) -> None:
    both = orjson.dumps(_with(body=_DROP, facts={**BASE["facts"], "x": 0.5}), option=orjson.OPT_SORT_KEYS)
    outcome = _same(both, monkeypatch)
    assert outcome[:2] == ("refused", "malformed") and outcome[3] == "float at facts.x"


def test_a_plain_canonical_statement_takes_the_short_check() -> None:
    # Else the short check would be dead weight: this is the log's every row.
    assert _statement_is_jcs(_jcs(BASE), orjson.loads(_jcs(BASE)))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(extra=st.dictionaries(st.text(max_size=4), JSON, max_size=3), v=st.sampled_from([1, 1.0, True]),
       spelling=st.sampled_from(["jcs", "orjson", "json"]))
def test_any_facts_are_judged_as_by_the_whole_check(extra: dict[str, Any], v: Any, spelling: str) -> None:
    statement = _with(v=v, facts={**BASE["facts"], **extra})
    try:
        payload = {
            "jcs": lambda: rfc8785.dumps(statement),
            "orjson": lambda: orjson.dumps(statement, option=orjson.OPT_SORT_KEYS),
            "json": lambda: json.dumps(statement, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(),
        }[spelling]()
    except (rfc8785.CanonicalizationError, orjson.JSONEncodeError, UnicodeError, ValueError):
        return  # not writable that way
    obj = orjson.loads(payload)
    if _statement_is_jcs(payload, obj):
        assert is_canonical(payload, obj)
    with pytest.MonkeyPatch.context() as mp:
        assert _outcome(payload, mp, True) == _outcome(payload, mp, False)
