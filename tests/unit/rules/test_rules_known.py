"""The verdict reads the record as it stood on its day (``ledger.rules.verdict.known``), events by their
corrected dates: a case the officeholders model found (tests/integration/test_officeholders_model.py)."""

from __future__ import annotations

from datetime import date
from typing import Any


def test_the_verdict_reads_events_by_their_corrected_dates() -> None:
    """``known`` took the events dated by the as-of day, then corrected them: a recognition whose date a
    correction moved later still counted before it (the verdict's ``leadership.head`` on a day nobody was head),
    and one mistyped a year ahead, corrected since, was not counted at all."""
    from ledger.rules import Place, RecordedEvent, VillageRecord
    from ledger.rules.verdict import judge

    def head_on(original: str, corrected_to: str, stated: str, day: str) -> Any:
        record = VillageRecord(Place("qng.bato.badien.lang-ma"), [
            RecordedEvent("e1", "election.recognised", date.fromisoformat(original), "commune_committee",
                          {"person": "p1", "decision": "12/QĐ-UBND"}, index=1),
            RecordedEvent("e2", "correction.recorded", date.fromisoformat(stated), "commune_committee",
                          {"corrects": "e1", "reason": "Ghi nhầm ngày", "facts": {"date": corrected_to}}, index=2)])
        return judge(record, date.fromisoformat(day))["leadership"]["head"]

    assert head_on("2022-05-08", "2022-08-05", "2022-05-10", "2022-06-01") is None
    assert head_on("2022-05-08", "2022-08-05", "2022-05-10", "2022-08-05") == "p1"
    assert head_on("2023-05-18", "2022-05-18", "2022-06-01", "2022-07-01") == "p1"
    assert head_on("2023-05-18", "2022-05-18", "2022-06-01", "2022-05-31") is None  # the correction not yet made
