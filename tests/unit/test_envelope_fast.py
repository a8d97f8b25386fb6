"""``open_envelope``'s quick path answers exactly as the envelope model.

``ledger.envelope._plain_wire`` takes a wire envelope of plain JSON types without
``EnvelopeWire``; whatever it is not sure of goes to the model. Each case here is opened
with the quick path and with it turned off: the same (payload, key id, signature), or the
same refusal, word for word.
"""

from __future__ import annotations

import copy
import random
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ledger.envelope
from ledger.envelope import _plain_wire, open_envelope, seal
from ledger.errors import Refused
from ledger.signing import SigningKey

KEY = SigningKey.generate()
EVENT = {"type": "person.profiled", "place": "qng.bato.bavinh", "date": "2022-01-10",
         "facts": {"person": "p1", "name": "Huỳnh Thanh Thảo", "born": "1980-01-01"}}
GOOD = seal(KEY, "qng.bato.bavinh/cell", EVENT)


class _Str(str):
    """A str subclass: the model may take it, the quick path must not (its equality could differ)."""


def _outcome(data: Any, monkeypatch: pytest.MonkeyPatch, quick: bool) -> Any:
    with monkeypatch.context() as m:
        if not quick:
            m.setattr(ledger.envelope, "_plain_wire", lambda data: None)
        try:
            return ("ok", *open_envelope(data))
        except Refused as exc:
            return ("refused", exc.code, exc.message_vi, exc.detail)


def _same(data: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    quick = _outcome(data, monkeypatch, True)
    assert quick == _outcome(data, monkeypatch, False), data
    return quick


#: Values a field may be replaced with.
ODD: list[Any] = [
    None, 0, 1, True, 1.5, "", "x", [], {}, b"abc", _Str("abc"), ["a"], {"a": 1},
    "A" * 32, "0" * 31, "0" * 33, "0" * 32 + "\n", "٠" * 32, "ab" * 16, "AB" * 16,
    "A" * 128, "A" * 129, "QQ==", "QR==", "====", "AAAA" * 32, "AAAA" * 33,
]


def _mutants(rng: random.Random) -> list[Any]:
    out: list[Any] = [GOOD, dict(reversed(list(GOOD.items()))), MappingProxyType(GOOD), [GOOD], "x"]
    for field in ("payloadType", "payload", "signatures"):
        for odd in ODD:
            out.append({**GOOD, field: odd})
        drop = dict(GOOD)
        del drop[field]
        out.append(drop)
    out.append({**GOOD, "extra": 1})
    out.append({**GOOD, "payloadType": _Str(GOOD["payloadType"])})
    out.append({**GOOD, "payload": "A" * 1_000_000})
    out.append({**GOOD, "payload": "A" * 1_000_001})
    one = GOOD["signatures"][0]
    for field in ("keyid", "sig"):
        for odd in ODD:
            out.append({**GOOD, "signatures": [{**one, field: odd}]})
        out.append({**GOOD, "signatures": [{k: v for k, v in one.items() if k != field}]})
    out.append({**GOOD, "signatures": [{**one, "extra": 1}]})
    out.append({**GOOD, "signatures": [one, one]})
    out.append({**GOOD, "signatures": (one,)})
    out.append({**GOOD, "signatures": [MappingProxyType(one)]})
    for _ in range(300):  # a few changes at once
        data: Any = copy.deepcopy(GOOD)
        for _ in range(rng.randint(1, 3)):
            where = rng.choice(["top", "sig"])
            target = data if where == "top" else data["signatures"][0] if (
                isinstance(data.get("signatures"), list) and data["signatures"]
                and isinstance(data["signatures"][0], dict)) else data
            key = rng.choice([*target.keys(), "extra"])
            if rng.random() < 0.2:
                target.pop(key, None)
            else:
                target[key] = rng.choice(ODD)
        out.append(data)
    return out


def test_envelopes_open_as_the_model_opens_them(monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes = [_same(data, monkeypatch) for data in _mutants(random.Random(5))]
    assert outcomes[0][0] == "ok"
    assert sum(o[0] == "ok" for o in outcomes) >= 3 and sum(o[0] == "refused" for o in outcomes) > 100


def test_the_quick_path_takes_the_plain_envelope_and_nothing_it_is_unsure_of() -> None:
    one = GOOD["signatures"][0]
    assert _plain_wire(GOOD) == (GOOD["payload"], one["keyid"], one["sig"])
    assert _plain_wire(MappingProxyType(GOOD)) is None
    assert _plain_wire({**GOOD, "payloadType": _Str(GOOD["payloadType"])}) is None
    assert _plain_wire({**GOOD, "signatures": [{**one, "keyid": one["keyid"] + "\n"}]}) is None


@settings(max_examples=300, deadline=None)
@given(
    field=st.sampled_from(["payloadType", "payload", "keyid", "sig"]),
    value=st.one_of(st.text(max_size=140), st.binary(max_size=8), st.integers(), st.none(), st.booleans(),
                    st.lists(st.text(max_size=3), max_size=2)),
)
def test_any_value_in_any_field_opens_as_the_model_opens_it(field: str, value: Any) -> None:
    data: Any = copy.deepcopy(GOOD)
    if field in ("keyid", "sig"):
        data["signatures"][0][field] = value
    else:
        data[field] = value
    with pytest.MonkeyPatch.context() as monkeypatch:
        _same(data, monkeypatch)
