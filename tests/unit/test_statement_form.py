"""``parse_payload`` judges a statement's form after its structure, with the same verdicts.

``ledger.envelope._statement_is_jcs`` checks the RFC 8785 form of a payload the statement
model has accepted by walking only its ``facts``; when it is not sure, the whole check
(``_require_canonical``) decides. Before, the form was checked first, on every payload.
Each payload here is parsed by today's ``parse_payload`` and by ``_parse_form_first``, that
earlier order kept here as the reference: the same statement, or the same refusal, word for
word. And the short check never says "canonical" of bytes the reference does not.
"""

from __future__ import annotations

import json
from hashlib import sha256
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import ledger.envelope as envelope
from ledger.envelope import _statement_is_jcs, parse_payload
from ledger.errors import Refused
from ledger.signing import NotCanonicalizable, canonical_json, find_float, is_canonical

KEYID = "0123456789abcdef0123456789abcdef"
BASE: dict[str, Any] = {
    "v": 1, "type": "person.profiled", "place": "qng.bato.bavinh", "date": "2022-01-10",
    "body": "qng.bato.bavinh/cell", "key": KEYID, "signed_at": "2022-01-10T08:00:00Z",
    "facts": {"person": "p1", "name": "Huỳnh Thanh Thảo", "born": "1980-01-01"},
}
#: An event whose facts hold counts and a map of them: numbers the model takes, up to 2^53 − 1.
COUNTED: dict[str, Any] = {
    **BASE, "type": "election.counted", "body": "qng.bato.bavinh/election_team",
    "facts": {"electorate": "households", "electorate_total": 120, "attending": 97, "method": "show_of_hands",
              "votes": {"p1": 90, "p2": 7}, "note": "Biên bản số 3"},
}
SAFE = 2**53 - 1


def _parse_form_first(payload: bytes, keyid: str, sig: bytes) -> envelope.Envelope:
    """``parse_payload`` as it was (8e34dec): the RFC 8785 form judged first, on the whole value."""
    try:
        obj = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise envelope._malformed("Nội dung ký không phải JSON hợp lệ.", f"payload not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise envelope._malformed("Nội dung ký phải là một đối tượng JSON.", "payload is not an object")
    try:
        canonical = is_canonical(payload, obj)
    except NotCanonicalizable:
        canonical = False
    if not canonical:
        where = find_float(obj)
        if where:
            raise envelope._malformed(f"Nội dung ký có số thập phân tại {where}; chỉ được dùng số nguyên.",
                               f"float at {where}")
        try:
            canonical_json(obj)
        except NotCanonicalizable as exc:
            raise envelope._malformed("Nội dung ký có số nguyên vượt giới hạn ±(2^53 − 1) của JSON.", str(exc)) from None
        raise envelope._malformed("Nội dung ký không ở dạng JSON chuẩn hóa (RFC 8785).", "payload is not RFC 8785 canonical")
    try:
        statement = envelope._validate_statement(obj)
    except ValidationError as exc:
        where, detail = envelope._first_error(exc)
        raise envelope._malformed(f"Nội dung ký sai cấu trúc tại {where}.", detail) from None
    if statement.type not in envelope.EVENT_TYPES:
        raise envelope._malformed(f"Loại sự kiện '{statement.type}' không có trong danh mục.",
                           f"unknown event type {statement.type}")
    if statement.key != keyid:
        raise envelope._malformed("Mã khóa trong nội dung khác mã khóa của chữ ký.", "statement.key != signatures[0].keyid")
    facts = None
    validate_facts = envelope._VALIDATE_FACTS.get(statement.type)
    if validate_facts is not None:
        try:
            facts = validate_facts(statement.facts)
        except ValidationError as exc:
            where, detail = envelope._first_error(exc)
            raise envelope._malformed(f"Dữ kiện sai cấu trúc tại facts.{where}.", f"facts.{detail}") from None
    return envelope.Envelope(payload, keyid, sig, statement, facts, sha256(payload).hexdigest())


def _outcome(parse: Any, payload: bytes) -> Any:
    try:
        env = parse(payload, KEYID, b"\0" * 64)
    except Refused as exc:
        return ("refused", exc.code, exc.message_vi, exc.detail)
    return ("ok", env.statement.model_dump(), env.facts.model_dump() if env.facts else None, env.payload_hash)


def _same(payload: bytes) -> Any:
    now = _outcome(parse_payload, payload)
    assert now == _outcome(_parse_form_first, payload), payload
    return now


def _jcs(value: Any) -> bytes:
    return rfc8785.dumps(value)


_DROP = object()


def _with(base: dict[str, Any] = BASE, **changes: Any) -> dict[str, Any]:
    out = dict(base)
    for k, v in changes.items():
        if v is _DROP:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def _counted(**facts: Any) -> dict[str, Any]:
    return _with(COUNTED, facts={**COUNTED["facts"], **facts})


def _sorted(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


CASES: list[tuple[str, bytes, str]] = [
    ("canonical", _jcs(BASE), "ok"),
    ("with a signer", _jcs(_with(signer={"name": "Đinh Văn Nam", "title": "Bí thư"})), "ok"),
    ("a signer of null title", _jcs(_with(signer={"name": "A", "title": None})), "ok"),
    ("counts", _jcs(COUNTED), "ok"),
    ("the largest count JSON holds exactly", _jcs(_counted(electorate_total=SAFE, votes={"p1": SAFE})), "ok"),
    ("a count beyond it", _sorted(_counted(votes={"p1": SAFE + 1})), "malformed"),
    ("a count as a float", _sorted(_counted(attending=97.0)), "malformed"),
    ("a count as true", _sorted(_counted(attending=True)), "malformed"),
    # (orjson reads an integer of 2^64 or more as a float: both orders say "float")
    ("a count far beyond 2^64", _jcs(COUNTED).replace(b'"attending":97', b'"attending":%d' % 2**70), "malformed"),
    ("votes keyed out of order", json.dumps(_counted(votes={"p2": 7, "p1": 90}), ensure_ascii=False,
                                            separators=(",", ":")).encode(), "malformed"),
    ("keys unsorted", json.dumps(BASE, ensure_ascii=False, separators=(",", ":")).encode(), "malformed"),
    ("spaces", json.dumps(BASE, ensure_ascii=False, sort_keys=True).encode(), "malformed"),
    ("escaped letters", json.dumps(BASE, sort_keys=True, separators=(",", ":")).encode(), "malformed"),
    ("a duplicated key", _jcs(BASE)[:-1] + b',"v":1}', "malformed"),
    ("v as a float", _sorted(_with(v=1.0)), "malformed"),
    # Read as before (``Literal[1]`` takes true, as 1): a row stored so by an earlier release
    # still replays. The judgement refuses it (``ledger.authority._V_ONE``: test_refusals,
    # test_tamper). The order of the checks does not change it.
    ("v as true", _sorted(_with(v=True)), "ok"),
    ("v as 2", _jcs(_with(v=2)), "malformed"),
    ("v missing", _jcs(_with(v=_DROP)), "malformed"),
    ("a float in facts", _sorted(_with(facts={**BASE["facts"], "x": 1.5})), "malformed"),
    ("a float deep in facts", _sorted(_with(facts={**BASE["facts"], "x": [{"y": 2.0}]})), "malformed"),
    ("an integer beyond 2^53", _sorted(_with(facts={**BASE["facts"], "x": SAFE + 1})), "malformed"),
    ("an unknown fact", _jcs(_with(facts={**BASE["facts"], "x": -SAFE})), "malformed"),
    ("non-ASCII keys in facts", _jcs(_with(facts={**BASE["facts"], "\ue000": 1, "\U0001f600": 2})), "malformed"),
    ("those keys in code point order", _sorted(_with(facts={**BASE["facts"], "\ue000": 1, "\U0001f600": 2})),
     "malformed"),
    ("a missing field, canonical", _jcs(_with(body=_DROP)), "malformed"),
    ("a missing field, not canonical", json.dumps(_with(body=_DROP)).encode(), "malformed"),
    ("a missing field and a float", _sorted(_with(body=_DROP, v=1.5)), "malformed"),
    ("an extra field", _jcs(_with(extra="x")), "malformed"),
    ("a number where a string goes", _jcs(_with(place=5)), "malformed"),
    ("a date as a number", _jcs(_with(date=20220110)), "malformed"),
    ("facts not an object", _jcs(_with(facts=[1, 2])), "malformed"),
    ("a signer not an object", _jcs(_with(signer="A")), "malformed"),
    ("an unknown type", _jcs(_with(type="person.flown")), "malformed"),
    ("another key", _jcs(_with(key="f" * 32)), "malformed"),
    ("not an object", b"[1,2]", "malformed"),
    ("not JSON", b"{", "malformed"),
]


@pytest.mark.parametrize(("name", "payload", "verdict"), CASES, ids=[c[0] for c in CASES])
def test_each_payload_is_judged_as_when_the_form_came_first(name: str, payload: bytes, verdict: str) -> None:
    outcome = _same(payload)
    assert (outcome[0] if outcome[0] == "ok" else outcome[1]) == verdict, outcome


def test_a_count_far_beyond_2_64_is_read_as_a_float_either_way() -> None:
    outcome = _same(_jcs(COUNTED).replace(b'"attending":97', b'"attending":%d' % 2**70))
    assert outcome[3] == "float at facts.attending"


def test_the_form_is_judged_before_the_structure() -> None:
    both = _sorted(_with(body=_DROP, facts={**BASE["facts"], "x": 0.5}))
    outcome = _same(both)
    assert outcome[:2] == ("refused", "malformed") and outcome[3] == "float at facts.x"


def test_plain_canonical_statements_take_the_short_check() -> None:
    # Else the short check would be dead weight: this is the log's every row.
    for statement in (BASE, COUNTED, _with(signer={"name": "Đinh Văn Nam"})):
        assert _statement_is_jcs(_jcs(statement), orjson.loads(_jcs(statement)))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)
COUNT = st.integers(min_value=-3, max_value=2**60) | st.sampled_from([SAFE, SAFE + 1, 0.0, 5.0, True, False, None])
SPELLINGS = {
    "jcs": lambda value: rfc8785.dumps(value),
    "orjson": _sorted,
    "json": lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(),
}


def _judged_alike(statement: dict[str, Any], spelling: str) -> None:
    try:
        payload = SPELLINGS[spelling](statement)
    except (rfc8785.CanonicalizationError, orjson.JSONEncodeError, UnicodeError, ValueError, TypeError):
        return  # not writable that way
    obj = orjson.loads(payload)
    if isinstance(obj, dict) and _statement_is_jcs(payload, obj):
        assert is_canonical(payload, obj)
    _same(payload)


@settings(max_examples=300, deadline=None)
@given(extra=st.dictionaries(st.text(max_size=4), JSON, max_size=3), v=st.sampled_from([1, 1.0, True, 2]),
       spelling=st.sampled_from(list(SPELLINGS)))
def test_any_facts_are_judged_as_when_the_form_came_first(extra: dict[str, Any], v: Any, spelling: str) -> None:
    _judged_alike(_with(v=v, facts={**BASE["facts"], **extra}), spelling)


@settings(max_examples=300, deadline=None)
@given(total=COUNT, votes=st.dictionaries(st.sampled_from(["p1", "p2", "p3", "Ü", "p-4"]), COUNT, max_size=3),
       note=st.text(max_size=5) | st.none(), spelling=st.sampled_from(list(SPELLINGS)))
def test_counts_the_model_takes_are_judged_as_when_the_form_came_first(
    total: Any, votes: dict[str, Any], note: str | None, spelling: str
) -> None:
    _judged_alike(_counted(electorate_total=total, votes=votes, note=note), spelling)
