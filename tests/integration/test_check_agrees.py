"""`check` and the ledger agree: a dossier judged on paper gives the verdict the ledger gives once
the dossier is signed, imported and read back from the stored entries.

For every example dossier (docs/examples/) and for generated terms (cli/synth.py: compliant and
every breach), on SQLite and PostgreSQL: ``judge(record_from_dossier(dossier))`` against
``Views(ledger).verdict(village)`` — same verdict, same_person, rule sets and digest, same
leadership, and the same checks once the ledger's event ids (entry hashes) are mapped back to
the dossier's ids with what the importer reports. Both views (as corrected, as recorded) where
the dossier corrects anything.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import Backend

from cli.demo_term import demo_villages
from cli.importer import Importer, key_file
from cli.synth import BREACHES, COMPLIANT, Scenario, dossier_bytes, generate_term, seeded
from ledger import home
from ledger.application import Ledger, Receipt
from ledger.envelope import seal
from ledger.rules import judge, record_from_dossier
from ledger.signing import SigningKey
from projections.views import Views
from schemas.dossier import Dossier, load_dossier

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "docs" / "examples"
EXAMPLES = sorted(p for p in EXAMPLES_DIR.glob("*.json") if not p.name.endswith(".verdict.json"))
#: Where each body kind sits: district, commune or village (EVENTS.md's signer table).
LEVEL = {"district_standing": 2, "training_center": 2, "inspection": 2, "commune_committee": 3,
         "commune_front": 3, "commune_party": 3, "village_front": 4, "election_team": 4, "cell": 4}
HASH = re.compile(r"\b[0-9a-f]{64}\b")


def ledger_for(backend: Backend, dossiers: list[Dossier]) -> tuple[Ledger, Path]:
    """A ledger holding the dossiers' villages, their communes and districts, and every body that
    signs for them (plus the commune committee, which signs people's profiles); keys in DIR/keys."""
    root = SigningKey.generate()
    ledger = backend.init(root)
    keys = backend.directory / "keys"

    def signed(signer: SigningKey, body: str, type_: str, place: str, facts: dict[str, Any]) -> dict[str, Any]:
        return seal(signer, body, {"type": type_, "place": place, "date": "2022-01-10", "facts": facts})

    places: dict[str, tuple[str, str]] = {}
    bodies: set[tuple[str, str]] = set()
    for d in dossiers:
        v = d.village
        parts = v.id.split(".")
        places.setdefault(".".join(parts[:2]), (v.district, "district"))
        places.setdefault(".".join(parts[:3]), (v.commune, "commune"))
        places[v.id] = (v.name, v.kind)
        for kind in {e.by for e in d.events} | {"commune_committee"}:
            bodies.add((".".join(parts[:LEVEL[kind]]), kind))
    batch = [signed(root, "qng/root", "place.registered", p, {"id": p, "name": name, "kind": kind})
             for p, (name, kind) in sorted(places.items(), key=lambda item: item[0].count("."))]
    for place, kind in sorted(bodies):
        key = SigningKey.generate()
        body = f"{place}/{kind}"
        home.write_private(key_file(keys, body), key.to_pem())
        batch.append(signed(root, "qng/root", "body.enrolled", place, {
            "id": body, "kind": kind, "name": f"{kind} {place}", "jurisdiction": place,
            "keys": [{"public": key.public.b64}]}))
    assert all(isinstance(r, Receipt) for r in ledger.submit(batch))
    return ledger, keys


def import_all(ledger: Ledger, keys: Path, dossiers: list[Dossier]) -> dict[str, str]:
    """Import every dossier; return ledger event id (entry hash) → dossier event id."""
    back: dict[str, str] = {}
    for report in Importer(ledger, keys, None).run_many((d.village.id, d) for d in dossiers):
        assert report.status == "ok", report.to_dict()
        back.update({line.hash: line.ref for line in report.lines if not line.person and line.hash})
    return back


def in_dossier_ids(value: Any, back: dict[str, str]) -> Any:
    """The ledger's verdict with every entry hash replaced by the dossier id it came from."""
    if isinstance(value, str):
        return HASH.sub(lambda m: back.get(m.group(0), m.group(0)), value)
    if isinstance(value, list):
        return [in_dossier_ids(v, back) for v in value]
    if isinstance(value, dict):
        return {k: in_dossier_ids(v, back) for k, v in value.items()}
    return value


def assert_agree(paper: dict[str, Any], stored: dict[str, Any] | None, back: dict[str, str]) -> None:
    assert stored is not None
    mapped = in_dossier_ids(stored, back)
    for key in ("village", "as_of", "view", "verdict", "same_person", "rulesets", "ruleset_digest", "leadership"):
        assert mapped[key] == paper[key], (key, mapped[key], paper[key])
    assert [c["rule"] for c in mapped["checks"]] == [c["rule"] for c in paper["checks"]]
    for ours, theirs in zip(mapped["checks"], paper["checks"], strict=True):
        assert ours == theirs, json.dumps({"ledger": ours, "check": theirs}, ensure_ascii=False, indent=1)


def compare(backend: Backend, cases: list[tuple[str, Dossier, list[date]]]) -> None:
    """Import every dossier into one ledger, then compare each on each of its days."""
    dossiers = [d for _, d, _ in cases]
    ledger, keys = ledger_for(backend, dossiers)
    back = import_all(ledger, keys, dossiers)
    views = Views(ledger, today=lambda: cases[0][2][0])  # the kept verdicts; other days are judged on the spot
    views.catch_up()
    for name, dossier, days in cases:
        corrections = any(e.type == "correction.recorded" for e in dossier.events)
        for as_of in days:
            for as_recorded in (False, True) if corrections else (False,):  # else both views are one
                paper = judge(record_from_dossier(dossier), as_of, as_recorded=as_recorded)
                stored = views.verdict(dossier.village.id, as_of, as_recorded=as_recorded)
                try:
                    assert_agree(paper, stored, back)
                except AssertionError as exc:
                    raise AssertionError(f"{name}, as of {as_of}, as_recorded={as_recorded}: {exc}") from None


def example_day(example: Path) -> date:
    expected = example.with_name(example.stem + ".verdict.json")
    if not expected.exists():
        return date(2026, 1, 1)
    return date.fromisoformat(json.loads(expected.read_text(encoding="utf-8"))["as_of"])


@pytest.mark.skipif(not EXAMPLES, reason=f"no example dossiers under {EXAMPLES_DIR} yet (another engineer adds "
                                         "them): nothing to compare")
def test_every_example_dossier_is_judged_alike_on_paper_and_in_the_ledger(backend: Backend) -> None:
    cases = [(p.name, load_dossier(p.read_bytes()), [example_day(p)]) for p in EXAMPLES]
    # One ledger holds them all, as the province's would: ids must not collide across examples.
    villages = [d.village.id for _, d, _ in cases]
    people = [p.id for _, d, _ in cases for p in d.people]
    assert len(set(villages)) == len(villages) and len(set(people)) == len(people), \
        "docs/examples/ dossiers share one ledger here: give each its own village id and person ids"
    compare(backend, cases)


def test_generated_terms_are_judged_alike_on_paper_and_in_the_ledger(backend: Backend) -> None:
    scenarios = [COMPLIANT, *(Scenario.of(flag) for flag in sorted(BREACHES)),
                 Scenario.of("late_recognition", "no_quorum_half"), Scenario.of("tie", "missing_approval")]
    villages = demo_villages()[::5][:len(scenarios)]
    # Mid-term (the congress still to come in most villages) and long after every deadline.
    compare(backend, [(str(s), load_dossier(dossier_bytes(generate_term(v, seeded(7, v.id), s))),
                       [date(2022, 6, 20), date(2026, 1, 1)]) for v, s in zip(villages, scenarios, strict=True)])


def test_a_corrected_profile_is_judged_alike_on_paper_and_in_the_ledger(backend: Backend) -> None:
    village = demo_villages()[0]
    terms = (generate_term(village, seeded(seed, village.id), COMPLIANT) for seed in range(100))
    doc = next(t for t in terms if any(e["type"] == "person.profiled" for e in t["events"]))  # a waiver met
    certificate = next(e for e in doc["events"] if e["type"] == "person.profiled")
    # The cell finds the certificate was recorded under the wrong date: it came after the waiver's deadline.
    doc["events"].append({"id": "fix", "type": "correction.recorded", "date": "2025-01-10", "by": "cell",
                          "corrects": certificate["id"], "reason": "Ghi nhầm ngày cấp chứng chỉ",
                          "facts": {"date": "2025-01-05"}})
    dossier = load_dossier(dossier_bytes(doc))
    if judge(record_from_dossier(dossier), date(2026, 1, 1))["verdict"] != "violations":  # P-WAIVER: unmet
        pytest.fail("the corrected dossier should break P-WAIVER on paper")  # not the expected AssertionError
    compare(backend, [("corrected profile", dossier, [date(2026, 1, 1)])])
