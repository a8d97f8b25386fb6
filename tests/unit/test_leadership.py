"""Tenures of the village offices (``projections.leadership``): cases a model written from EVENTS.md found
(tests/integration/test_officeholders_model.py); each failed before its fix."""

from __future__ import annotations

from datetime import date
from typing import Any


def _events(*steps: tuple[str, str, dict[str, Any]]) -> list[Any]:
    from ledger.rules import RecordedEvent

    return [RecordedEvent(f"e{i}", type_, date.fromisoformat(day), "", facts, index=i)
            for i, (type_, day, facts) in enumerate(steps)]


def _on(events: list[Any], day: str) -> dict[str, Any]:
    from projections.leadership import holders, tenures

    return holders(tenures(events), date.fromisoformat(day))


def test_the_head_appointed_acting_head_is_still_the_head() -> None:
    """An acting appointment ended its own person's recognised tenure: the village had no head (the verdict,
    EVENTS.md's "last recognised, less removals", still said p1), and none after the acting term ran out."""
    events = _events(("election.recognised", "2022-05-18", {"person": "p1"}),
                     ("head.acting_appointed", "2023-01-10", {"person": "p1", "until": "2023-03-01"}))
    assert (_on(events, "2023-02-01")["head"], _on(events, "2023-02-01")["acting_head"]) == ("p1", "p1")
    assert (_on(events, "2023-03-01")["head"], _on(events, "2023-03-01")["acting_head"]) == ("p1", None)


def test_an_acting_head_holds_until_a_head_is_recognised_removed_or_another_acting_head_appointed() -> None:
    """The acting term ran to its ``until`` whatever happened: beside the newly recognised head, after the acting
    head's own removal, and beside the next acting head (``officeholders`` listed both acting heads on a day)."""
    from projections.leadership import tenures

    recognised = _events(("head.acting_appointed", "2022-01-10", {"person": "p2", "until": "2022-12-31"}),
                         ("election.recognised", "2022-06-01", {"person": "p3"}))
    assert (_on(recognised, "2022-05-31")["acting_head"], _on(recognised, "2022-06-01")["acting_head"]) == ("p2", None)
    removed = _events(("head.acting_appointed", "2022-01-10", {"person": "p2", "until": "2022-12-31"}),
                      ("head.removal_recognised", "2022-03-01", {"person": "p2", "cause": "resigned"}))
    assert _on(removed, "2022-03-01")["acting_head"] is None
    replaced = _events(("head.acting_appointed", "2022-01-10", {"person": "p2", "until": "2022-12-31"}),
                       ("head.acting_appointed", "2022-03-01", {"person": "p4", "until": "2022-09-30"}))
    acting = [(t.person, t.start.isoformat(), t.end and t.end.isoformat()) for t in tenures(replaced) if t.acting]
    assert acting == [("p2", "2022-01-10", "2022-03-01"), ("p4", "2022-03-01", "2022-09-30")]
    extended = _events(("head.acting_appointed", "2022-01-10", {"person": "p2", "until": "2022-03-01"}),
                       ("head.acting_appointed", "2022-02-01", {"person": "p2", "until": "2022-06-01"}))
    assert [(t.start.isoformat(), t.end and t.end.isoformat()) for t in tenures(extended)] == [
        ("2022-01-10", "2022-06-01")]  # one unbroken tenure: `since` stays its first day


def test_a_committee_member_appointed_again_holds_on_unbroken() -> None:
    """Appointing a chi ủy member already in it restarted the tenure: ``officeholders`` said ``since`` the
    appointment, not since the congress that elected them."""
    from projections.leadership import tenures

    events = _events(("congress.approved", "2022-07-01", {"decision": "1", "committee": ["p1", "p2"]}),
                     ("congress.appointed", "2023-01-05", {"office": "committee", "person": "p1", "decision": "2"}))
    assert [(t.person, t.start.isoformat(), t.end) for t in tenures(events)] == [
        ("p1", "2022-07-01", None), ("p2", "2022-07-01", None)]
