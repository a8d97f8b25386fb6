"""Who may grant a pilot waiver after the district level was abolished (RULES.md Q3).

EVENTS.md's table has the district standing committee sign ``waiver.granted``; RULES.md Q3
adds that waivers granted from 2025-07-01, when district standing committees no longer
exist, are accepted from the commune party committee (and the rule-set data's ``grantors``
say so). Before this, the ledger and ``dantin check`` refused such a waiver outright
(``kind_not_allowed``, "invalid dossier"), so the Q3 choice recorded in the rule-set data was
unreachable. Before 2025-07-01 the commune party committee is still the wrong kind.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

from ledger.errors import Refused
from ledger.rules import judge, record_from_dossier
from ledger.signing import SigningKey
from schemas.dossier import DossierError, load_dossier

REPO = Path(__file__).resolve().parents[2]
DUCPHO = REPO / "docs/examples/13-ducpho-waiver-and-committee-only.json"
PARTY = "qng.bato.badien/party"
WAIVER = {"person": "p1", "criteria": ["education"], "reason": "Đang học bổ túc", "deadline": "2027-06-30"}


def _with_commune_party(world: Any) -> None:
    key = SigningKey.generate()
    world.accept(world.enrolment(world.root, PARTY, "commune_party", "Đảng ủy xã Ba Điền", world.badien, key))
    world.keys[PARTY] = key
    world.accept(world.sign(world.cell, "person.profiled", world.lang_ma, {"person": "p1", "name": "Đinh Văn A"}))


def test_the_ledger_takes_a_commune_party_waiver_from_2025_07_01(world: Any) -> None:
    _with_commune_party(world)
    [receipt] = world.accept(world.sign(PARTY, "waiver.granted", world.lang_ma, WAIVER, date="2025-07-01"))
    assert receipt is not None


def test_the_ledger_refuses_a_commune_party_waiver_before_2025_07_01(world: Any) -> None:
    _with_commune_party(world)
    [refused] = world.submit([world.sign(PARTY, "waiver.granted", world.lang_ma, WAIVER, date="2025-06-30")])
    assert isinstance(refused, Refused) and refused.code == "kind_not_allowed", refused
    assert "2025-06-30" in refused.message_vi


def _ducpho_with(waiver_by: str, day: str) -> bytes:
    doc = json.loads(DUCPHO.read_text(encoding="utf-8"))
    doc = copy.deepcopy(doc)
    doc["events"].append({"id": "w2", "type": "waiver.granted", "date": day, "by": waiver_by,
                          "person": "le-van-phuong", "criteria": ["theory"], "reason": "Đang học trung cấp",
                          "deadline": "2027-06-30"})
    return json.dumps(doc, ensure_ascii=False).encode()


def test_a_dossier_may_state_a_commune_party_waiver_from_2025_07_01() -> None:
    dossier = load_dossier(_ducpho_with("commune_party", "2025-08-01"))
    verdict = judge(record_from_dossier(dossier), date(2025, 12, 31))
    waivers = [c for c in verdict["checks"] if c["rule"] == "P-WAIVER"]
    assert [c["events"] for c in waivers] == [["e2"], ["w2"]]  # Đức Phổ: each reported as a deviation
    assert {c["status"] for c in waivers} == {"deviation"}


def test_a_dossier_may_not_state_one_before() -> None:
    try:
        load_dossier(_ducpho_with("commune_party", "2025-06-30"))
    except DossierError as exc:
        [problem] = exc.problems
        assert problem.path == "events[16].by" and "2025-06-30" in problem.message_vi, problem
    else:
        raise AssertionError("a commune party committee's waiver of 2025-06-30 was taken")
