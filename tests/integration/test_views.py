"""The kept views answer who held which office on any day, and equal a replay from nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from conftest import Backend, World
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.errors import Refused
from ledger.signing import SigningKey
from projections import views as views_module
from projections.views import Views

PARTY = "qng.bato.badien/commune_party"
FRONT = "qng.bato.badien.lang-ma/village_front"
TEAM = "qng.bato.badien.lang-ma/election_team"
DAY = date(2026, 11, 22)


def enrol_village_bodies(world: World) -> None:
    for body, kind, name, place in ((PARTY, "commune_party", "Đảng ủy xã Ba Điền", world.badien),
                                    (FRONT, "village_front", "Ban công tác Mặt trận Làng Mạ", world.lang_ma),
                                    (TEAM, "election_team", "Tổ bầu cử Làng Mạ", world.lang_ma)):
        key = SigningKey.generate()
        world.accept(world.enrolment(world.root, body, kind, name, place, key))
        world.keys[body] = key


def event(world: World, body: str, type_: str, day: str, facts: dict[str, Any]) -> dict[str, Any]:
    return world.sign(body, type_, world.lang_ma, facts, date=day)


def story(world: World) -> list[dict[str, Any]]:
    people = [event(world, world.committee, "person.profiled", "2022-03-01",
                    {"person": p, "name": n, "born": "1975-02-01"})
              for p, n in (("p1", "Đinh Văn A"), ("p2", "Phạm Thị B"), ("p3", "Đinh Văn C"))]
    return [
        *people,
        event(world, FRONT, "front.head_chosen", "2022-03-05", {"person": "p2"}),
        event(world, world.cell, "personnel.nominated", "2022-03-20", {"person": "p1"}),
        event(world, TEAM, "election.counted", "2022-05-15", {
            "electorate": "households", "electorate_total": 310, "attending": 216, "ballots_issued": 216,
            "ballots_returned": 216, "valid": 210, "invalid": 6, "votes": {"p1": 200}, "method": "secret_ballot"}),
        event(world, world.committee, "election.recognised", "2022-05-18", {"person": "p1", "decision": "12/QĐ-UBND"}),
        event(world, world.cell, "congress.held", "2022-06-20", {
            "full_members": 8, "probationary_members": 1, "summoned": 8, "present": 8}),
        event(world, PARTY, "congress.approved", "2022-07-01", {
            "decision": "45-QĐ/ĐU", "secretary": "p1", "deputy": "p3", "committee": []}),
        event(world, world.committee, "head.removal_recognised", "2023-06-01", {"person": "p1", "cause": "resigned"}),
        event(world, world.committee, "election.recognised", "2023-07-10", {"person": "p3", "decision": "30/QĐ-UBND"}),
    ]


def test_leadership_on_any_day_with_names_and_corrections(world: World, backend: Backend) -> None:
    enrol_village_bodies(world)
    receipts = world.accept(*story(world))
    approval = receipts[8]
    assert approval.type == "congress.approved"
    world.accept(world.sign(PARTY, "correction.recorded", world.lang_ma, {
        "corrects": approval.hash, "reason": "Ghi nhầm phó bí thư", "facts": {"deputy": "p2"}}, date="2022-07-05"))
    views = Views(world.ledger, today=lambda: DAY)
    views.catch_up()

    def offices(day: date, **kw: Any) -> dict[str, Any]:
        found = views.leadership(world.lang_ma, day, **kw)
        assert found is not None
        return dict(found["offices"])

    assert offices(date(2022, 5, 17))["head"] is None  # office starts with the recognition decision
    assert offices(date(2022, 5, 18))["head"] == "p1"
    assert offices(date(2022, 5, 18))["front_head"] == "p2"
    on = offices(date(2022, 8, 1))
    assert (on["secretary"], on["deputy"]) == ("p1", "p2")  # as corrected
    assert offices(date(2022, 8, 1), as_recorded=True)["deputy"] == "p3"
    assert offices(date(2023, 6, 15))["head"] is None
    assert offices(date(2023, 8, 1))["head"] == "p3"
    found = views.leadership(world.lang_ma, date(2022, 8, 1))
    assert found is not None and found["names"]["p1"] == "Đinh Văn A"
    heads = views.officeholders("qng.bato", "head", date(2022, 8, 1))
    assert [(r["village"], r["person"], r["name"]) for r in heads] == [(world.lang_ma, "p1", "Đinh Văn A")]
    assert views.officeholders("qng.sontinh", "head", date(2022, 8, 1)) == []
    verdict = views.verdict(world.lang_ma)
    assert verdict is not None and verdict["village"] == world.lang_ma
    assert verdict["leadership"]["head"] == offices(DAY)["head"] == "p3"
    assert views.leadership("qng.bato.badien.khong-co") is None
    assert views.verdict("qng.bato.badien.khong-co") is None


def _rows(views: Views) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with views.store.transaction(write=False) as c:
        for table in ("dantin_view_villages", "dantin_view_tenures", "dantin_view_people"):
            out[table] = sorted(tuple(r.values()) for r in c.all(f"SELECT * FROM {table}"))
        out["position"] = [(c.position(),)]
    return out


def test_kept_views_survive_a_restart_and_equal_a_rebuild(world: World, backend: Backend) -> None:
    enrol_village_bodies(world)
    events = story(world)
    views = Views(world.ledger, today=lambda: DAY)
    for envelope in events[:6]:
        world.accept(envelope)
        views.catch_up()
    backend.close()
    world.ledger = backend.open()
    views = Views(world.ledger, today=lambda: DAY)  # resumes from its stored position
    world.accept(*events[6:])
    views.catch_up()
    kept = _rows(views)
    views.rebuild()
    assert _rows(views) == kept


def test_views_stored_by_a_release_judging_otherwise_are_rebuilt(world: World, backend: Backend,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """After an upgrade that changes a rule, a village whose stream did not change must not keep
    the verdict the old rules gave it (here, the old release's stored rows are made up)."""
    enrol_village_bodies(world)
    world.accept(*story(world))
    views = Views(world.ledger, today=lambda: DAY)
    views.catch_up()
    right = _rows(views)
    with views.store.transaction() as c:  # as an earlier release judged and stored it
        c.execute("UPDATE dantin_view_villages SET verdict = 'compliant', body = '{}' WHERE village = ?",
                  (world.lang_ma,))
    views.catch_up()
    assert _rows(views) != right  # the same code, the same head: nothing to do
    monkeypatch.setattr(views_module, "judged_by_digest", lambda: "another release")

    views.catch_up()

    assert _rows(views) == right
    with views.store.transaction(write=False) as c:
        assert c.meta("judged_by") == "another release"


def test_a_signed_correction_the_counts_type_cannot_hold_does_not_break_the_views(
        world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """The election team signs a "correction" of its count whose votes are text. The ledger refuses it
    since 2026-12-06 (``ledger.correction``); one a release before stored (its form is a correction's)
    must not break the views: every village's are still kept and judged, the correction unapplied."""
    import ledger.authority as authority

    enrol_village_bodies(world)
    receipts = world.accept(*story(world))
    count = next(r for r in receipts if r.type == "election.counted")
    views = Views(world.ledger, today=lambda: DAY)
    views.catch_up()
    before = views.verdict(world.lang_ma, DAY)
    text_votes = world.sign(TEAM, "correction.recorded", world.lang_ma, {
        "corrects": count.hash, "reason": "Chép lại", "facts": {"votes": "nhiều"}}, date="2022-05-16")
    [refused] = world.submit([text_votes])
    assert isinstance(refused, Refused) and refused.code == "malformed"
    with monkeypatch.context() as old_release:
        old_release.setattr(authority, "_check_correction", lambda *_: None)
        world.accept(text_votes)

    views.catch_up()

    after = views.verdict(world.lang_ma, DAY)
    assert before is not None and after is not None
    assert [(c["rule"], c["status"]) for c in after["checks"]] == [(c["rule"], c["status"]) for c in before["checks"]]


OFFICE_EVENTS = st.lists(st.tuples(st.sampled_from(["recognise", "remove", "approve", "annul", "appoint", "front"]),
                                   st.sampled_from(["p1", "p2", "p3"]), st.integers(0, 400), st.booleans()),
                         min_size=1, max_size=8)


@pytest.mark.slow
@given(steps=OFFICE_EVENTS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_property_incremental_views_equal_a_replay(world: World, steps: list[tuple[str, str, int, bool]]) -> None:
    if PARTY not in world.keys:
        enrol_village_bodies(world)
        world.accept(*story(world)[:3])
    views = Views(world.ledger, today=lambda: DAY)
    views.catch_up()
    for kind, person, offset, catch_up in steps:
        day = date.fromordinal(date(2022, 5, 1).toordinal() + offset).isoformat()
        facts: dict[str, Any]
        body, type_, facts = {
            "recognise": (world.committee, "election.recognised", {"person": person, "decision": f"{offset}/QĐ"}),
            "remove": (world.committee, "head.removal_recognised", {"person": person, "cause": "recalled"}),
            "approve": (PARTY, "congress.approved", {"decision": f"{offset}-QĐ", "secretary": person,
                                                       "committee": []}),
            "annul": (PARTY, "congress.annulled", {"decision": f"{offset}-QĐ", "reason": "Sai quy trình"}),
            "appoint": (PARTY, "congress.appointed", {"office": "deputy", "person": person,
                                                        "decision": f"{offset}-QĐ"}),
            "front": (FRONT, "front.head_chosen", {"person": person}),
        }[kind]
        results = world.submit([event(world, body, type_, day, facts)])
        assert not [r for r in results if getattr(r, "code", None) not in (None, "replay")], results
        if catch_up:
            views.catch_up()
    views.catch_up()
    kept = _rows(views)
    views.rebuild()
    assert _rows(views) == kept


def test_a_rebuild_judged_on_several_cores_equals_one_judged_on_one(world: World, monkeypatch: pytest.MonkeyPatch
                                                                      ) -> None:
    from projections import views as views_module

    enrol_village_bodies(world)
    world.accept(*story(world))
    views = Views(world.ledger, today=lambda: DAY)
    views.rebuild(workers=1)
    serial = _rows(views)
    monkeypatch.setattr(views_module, "PARALLEL_MIN", 0)
    monkeypatch.setattr(views_module, "_fork_safe", lambda: True)  # the test runner's own threads are idle
    views.rebuild(workers=2)
    assert _rows(views) == serial
