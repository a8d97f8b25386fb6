"""A loaded dossier maps into the judge's record with the dossier's own ids and facts."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ledger.rules import judge, record_from_dossier
from ledger.rules.record import RecordedEvent, corrected
from schemas.dossier import load_dossier

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


def test_record_from_dossier_keeps_ids_dates_facts_and_first_profiles() -> None:
    dossier = load_dossier((EXAMPLES / "01-bato-compliant.json").read_bytes())
    record = record_from_dossier(dossier)
    assert record.village.id == "qng.bato.badien.lang-ma" and record.village.district == "qng.bato"
    assert record.village.name == "Thôn Làng Mạ" and record.village.kind == "thon"
    first = record.events[0]
    assert (first.id, first.type, first.date, first.by, dict(first.facts), first.index) == (
        "e1", "personnel.nominated", date(2022, 3, 10), "cell", {"person": "dinh-van-hung"}, 0)
    assert record.name("dinh-van-hung") == "Đinh Văn Hùng"
    assert record.profile("dinh-van-hung")["party"]["status"] == "full"


def test_profile_updates_in_a_dossier_take_effect_from_their_date() -> None:
    raw = json.loads((EXAMPLES / "03-bato-missing-waiver.json").read_text(encoding="utf-8"))
    raw["events"].insert(1, {"id": "p1", "type": "person.profiled", "date": "2022-04-01", "by": "commune_committee",
                             "person": "dinh-van-pho", "education": "thcs"})
    record = record_from_dossier(load_dossier(json.dumps(raw, ensure_ascii=False).encode()))
    assert record.profile("dinh-van-pho", date(2022, 3, 31))["education"] == "tieu_hoc"
    assert record.profile("dinh-van-pho", date(2022, 4, 1))["education"] == "thcs"
    statuses = {c["rule"]: c["status"] for c in judge(record, date(2022, 12, 31))["checks"]}
    assert statuses["P-CRITERIA"] == "pass" and statuses["P-WAIVER"] == "not_applicable"


def test_a_dossier_correction_with_nested_facts_is_applied() -> None:
    record = record_from_dossier(load_dossier((EXAMPLES / "09-bato-corrected-count.json").read_bytes()))
    corrected = judge(record, date(2022, 12, 31))
    recorded = judge(record, date(2022, 12, 31), as_recorded=True)
    assert corrected["verdict"] == "compliant" and recorded["verdict"] == "violations"


def test_a_correction_by_another_kind_of_body_is_not_applied() -> None:
    """EVENTS.md: a body records ``correction.recorded`` for its own earlier event. A dossier refuses
    one by another body kind; the ledger stores what it is sent, so the judge must not let the village's
    cell rewrite the election team's count (the ledger's verdict would then differ from the dossier's)."""
    record = record_from_dossier(load_dossier((EXAMPLES / "09-bato-corrected-count.json").read_bytes()))
    events = [replace(e, by="cell") if e.type == "correction.recorded" else e for e in record.events]
    forged = replace(record, events=events)
    verdict = judge(forged, date(2022, 12, 31))
    assert verdict["checks"] == judge(forged, date(2022, 12, 31), as_recorded=True)["checks"]
    assert verdict["verdict"] == "violations"


@pytest.mark.parametrize("change", [{"votes": "nhiều"}, {"valid": "210"}, {"excluded": 3}, {"votes": {"p1": 1.5}},
                                    {"method": "giơ tay"},
                                    # a date that is none (a dossier refuses it): not the rest of it applied alone
                                    {"votes": {"dinh-van-tien": 101, "pham-van-giau": 20}, "date": "17/05/2022"},
                                    {"votes": {"dinh-van-tien": 101, "pham-van-giau": 20}, "date": 20220517}])
def test_a_correction_leaving_facts_the_type_cannot_hold_is_not_applied(change: dict[str, Any]) -> None:
    """A dossier refuses such a correction (exit 2); the ledger stores what a body signs, and its
    verdict must be judged all the same, on the facts as recorded, not fail on a count that is text."""
    record = record_from_dossier(load_dossier((EXAMPLES / "09-bato-corrected-count.json").read_bytes()))
    # As the ledger's record has them: each event with its signer's id (a dossier's are checked on loading).
    signed = [replace(e, body=f"qng.bato.bacung.thon-3/{e.by}") for e in record.events]
    events = [replace(e, facts={**e.facts, "facts": change}) if e.type == "correction.recorded" else e
              for e in signed]
    forged = replace(record, events=events)
    verdict = judge(forged, date(2022, 12, 31))
    assert verdict["checks"] == judge(forged, date(2022, 12, 31), as_recorded=True)["checks"]


def test_in_the_ledger_a_correction_must_come_from_the_very_body_not_only_its_kind() -> None:
    """Two inspection commissions (district and province) are one kind: in the ledger, where events
    carry their signer's id, one may not correct the other's finding. A dossier names kinds only."""
    finding = RecordedEvent("f1", "inspection.finding", date(2022, 6, 1), "inspection",
                            {"about": ["qng.bato.badien.lang-ma"], "finding": "Thiếu biên bản", "conclusion": "Nhắc nhở"},
                            body="qng.bato/inspection")

    def fix(body: str) -> RecordedEvent:
        return RecordedEvent("c1", "correction.recorded", date(2022, 6, 2), "inspection",
                             {"corrects": "f1", "reason": "Sửa", "facts": {"finding": "Đủ biên bản"}}, body=body)

    assert corrected([finding, fix("qng/inspection")])[0] == finding
    assert corrected([finding, fix("qng.bato/inspection")])[0].facts["finding"] == "Đủ biên bản"
    undated = replace(finding, body="")  # a dossier's: judged by kind
    assert corrected([undated, fix("")])[0].facts["finding"] == "Đủ biên bản"
