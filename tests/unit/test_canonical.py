"""The orjson fast path of ``canonical_json`` is RFC 8785 wherever it is taken."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.signing import NotCanonicalizable, _orjson_is_jcs, canonical_json, is_canonical

SAFE = 2**53 - 1
scalars = st.none() | st.booleans() | st.integers(-SAFE, SAFE) | st.text()
keys = st.text(min_size=0, max_size=12)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=5),
    max_leaves=30,
)


@given(json_values)
@settings(max_examples=600, deadline=None)
def test_canonical_json_equals_the_reference_implementation(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@given(st.dictionaries(st.text(alphabet=st.characters(min_codepoint=0x80, blacklist_categories=("Cs",)), min_size=1), st.integers(-SAFE, SAFE),
                       min_size=1))
def test_non_ascii_keys_take_the_reference_path(value: dict[str, int]) -> None:
    assert not _orjson_is_jcs(value)
    assert canonical_json(value) == rfc8785.dumps(value)


def test_values_orjson_would_write_differently_take_the_reference_path() -> None:
    assert not _orjson_is_jcs({"a": 1.5})
    assert not _orjson_is_jcs({"a": [SAFE + 1]})
    assert not _orjson_is_jcs({"\ue000": 1, "\U0001f600": 2})  # UTF-16 order differs from code point order
    assert canonical_json({"\ue000": 1, "\U0001f600": 2}) == rfc8785.dumps({"\ue000": 1, "\U0001f600": 2})
    assert canonical_json({"b": "\u2028\x7f\x1f", "a": [True, None]}) == rfc8785.dumps(
        {"b": "\u2028\x7f\x1f", "a": [True, None]})


def test_lone_surrogates_are_not_canonicalizable() -> None:
    with pytest.raises(NotCanonicalizable):
        canonical_json({"\ud800": 0})


@given(json_values)
@settings(max_examples=400, deadline=None)
def test_is_canonical_accepts_exactly_the_rfc_8785_bytes(value: Any) -> None:
    canonical = rfc8785.dumps(value)
    assert is_canonical(canonical, orjson.loads(canonical))
    for other in (json.dumps(value).encode(), json.dumps(value, ensure_ascii=False, indent=1).encode(),
                  orjson.dumps(value)):
        assert is_canonical(other, orjson.loads(other)) == (other == canonical)


def test_suspect_payloads_take_the_careful_path() -> None:
    assert not is_canonical(b'{"a":1.5}', {"a": 1.5})  # floats are never canonical here
    assert not is_canonical(b'{"a":1e3}', {"a": 1000.0})
    with pytest.raises(NotCanonicalizable):
        is_canonical(b'{"a":9007199254740993}', {"a": 9007199254740993})
    value = {"\ue000": 1, "\U0001f600": 2}
    assert is_canonical(rfc8785.dumps(value), value)
    assert not is_canonical(orjson.dumps(value, option=orjson.OPT_SORT_KEYS), value)
