"""``schemas.quick`` (the quick path of ``dantin check``) never accepts what the models refuse.

Differential: every example and generated term, then a few thousand mutations of them (a
field given a wrong value, dropped, or joined by an unknown one). Whenever the quick loader
accepts a file, ``load_dossier`` must accept it too and give the same record (the judge's
input); whenever ``load_dossier`` refuses a file, the quick loader must have said None. The
quick loader may still say None for a valid file (then the models judge it): only the
examples and generated terms must take the quick path.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest

from cli.demo_term import demo_villages
from cli.synth import BREACHES, COMPLIANT, Scenario, dossier_bytes, generate_term, seeded
from ledger.rules import record_from_dossier
from schemas.dossier import DossierError, load_dossier
from schemas.quick import quick_load

EXAMPLES = sorted(p for p in (Path(__file__).resolve().parents[2] / "docs" / "examples").glob("*.json")
                  if not p.name.endswith(".verdict.json"))
BAD_VALUES: list[Any] = [None, "", "x", "X Y", "e1", "p1", 1.5, 2.0, True, False, -1, 0, 1, 3, 2**60, [], {},
                         ["p1", "p1"], ["p1"], {"p1": 1}, {"p1": -1}, {"P 1": 1}, "2022-02-30", "2022-5-1",
                         "2022-05-15", "2022-05-15\n", "abc\n", "ạ", "0.52", "1.5", "2", "１２", "show_of_hands",
                         "secret_ballot", "full", "cell", "thon", "a" * 5000, {"status": "full"}]


def _terms() -> list[bytes]:
    scenarios = [COMPLIANT, *(Scenario.of(flag) for flag in sorted(BREACHES))]
    villages = demo_villages()[::7][:len(scenarios)]
    return [dossier_bytes(generate_term(v, seeded(3, v.id), s)) for v, s in zip(villages, scenarios, strict=False)]


VALID = [p.read_bytes() for p in EXAMPLES] + _terms()


def _agree(raw: bytes) -> bool:
    """Quick and full agree on ``raw``; True when the quick path took it."""
    quick = quick_load(raw)
    try:
        full = load_dossier(raw)
    except DossierError:
        assert quick is None, raw.decode()
        return False
    if quick is not None:
        assert record_from_dossier(quick) == record_from_dossier(full), raw.decode()
        assert [dict(p) for p in quick.people] == [p.model_dump(exclude_none=True) for p in full.people]
        assert dict(quick.village) == full.village.model_dump(exclude_none=True)
    return quick is not None


@pytest.mark.parametrize("index", range(len(VALID)))
def test_every_example_and_generated_term_takes_the_quick_path(index: int) -> None:
    assert _agree(VALID[index])


def _mutants(rng: random.Random, doc: dict[str, Any], count: int) -> list[dict[str, Any]]:
    spots: list[tuple[Any, Any]] = [(doc, k) for k in doc]
    spots += [(doc["village"], k) for k in doc["village"]]
    for person in doc["people"]:
        spots += [(person, k) for k in person]
        if isinstance(person.get("party"), dict):
            spots += [(person["party"], k) for k in person["party"]]
    for event in doc["events"]:
        spots += [(event, k) for k in event]
        spots += [(value, k) for value in event.values() if isinstance(value, dict) for k in value]
    out = []
    for _ in range(count):
        mutant = copy.deepcopy(doc)
        for _ in range(rng.choice((1, 1, 1, 2))):
            holder, key = rng.choice(spots)
            target = _follow(mutant, _path_to(doc, holder))
            if not isinstance(target, dict):
                continue  # an earlier mutation replaced the holder
            what = rng.random()
            if what < 0.1:
                target.pop(key, None)
            elif what < 0.15:
                target["zz_" + str(key)] = 1
            else:
                target[key] = copy.deepcopy(rng.choice(BAD_VALUES))
        out.append(mutant)
    return out


def _path_to(doc: Any, holder: Any, path: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
    if doc is holder:
        return path
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for k, v in items:
        found = _path_to(v, holder, (*path, k))
        if found is not None:
            return found
    return None


def _follow(doc: Any, path: tuple[Any, ...] | None) -> Any:
    assert path is not None
    for k in path:
        try:
            doc = doc[k]
        except (KeyError, IndexError, TypeError):
            return None
    return doc


@pytest.mark.parametrize("index", range(len(VALID)))
def test_a_mutated_dossier_is_never_taken_by_the_quick_path_when_the_models_refuse_it(index: int) -> None:
    rng = seeded("quick", index)
    doc = json.loads(VALID[index])
    taken = sum(_agree(json.dumps(m, ensure_ascii=False).encode()) for m in _mutants(rng, doc, 150))
    assert taken < 150  # most mutants are invalid; those the quick path took agreed with the models


def test_duplicate_keys_floats_and_unknown_references_leave_the_quick_path() -> None:
    text = EXAMPLES[0].read_text(encoding="utf-8")
    doc = json.loads(text)
    floated = copy.deepcopy(doc)
    floated["events"][7]["attending"] = 118.0
    unknown = copy.deepcopy(doc)
    unknown["events"][0]["person"] = "nobody"
    for raw in (text.replace('"dossier": 1', '"dossier": 1, "dossier": 1', 1).encode(),
                json.dumps(floated).encode(), json.dumps(unknown).encode(), b"{", b"[]", "\ufeff{}".encode()):
        assert quick_load(raw) is None
        with pytest.raises(DossierError):
            load_dossier(raw)
