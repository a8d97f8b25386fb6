"""A correction takes effect, or the ledger refuses it (``ledger.correction``, from 2026-12-06).

The election team of Làng Mạ corrects its own count: accepted, and the verdict "as corrected"
judges the corrected figures. A correction that could not take effect — of no event of the
ledger, of another body's, leaving facts the original's type cannot hold, with a date that is
no day — is refused with nothing stored (every code: ``test_refusals``). Rows of that kind that an
earlier release stored still replay: ``dantin verify`` names each as breaking the rule of
2026-12-06, and the views leave them unapplied, as before. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from conftest import Backend, World
from test_import import dantin
from test_refusals import assert_refused
from test_tamper import _audit
from test_views import DAY, TEAM, enrol_village_bodies, story

import ledger.authority as authority
import ledger.correction as correction
from ledger.application import Receipt
from ledger.correction import SINCE
from ledger.errors import Refused
from ledger.rules.record import corrected
from projections.views import Views


def _counted(world: World) -> Receipt:
    enrol_village_bodies(world)
    receipts = world.accept(*story(world))
    return next(r for r in receipts if r.type == "election.counted")


def _fix(world: World, body: str, target: str, facts: dict[str, Any], **kw: Any) -> dict[str, Any]:
    envelope: dict[str, Any] = world.sign(body, "correction.recorded", world.lang_ma, {
        "corrects": target, "reason": "Chép nhầm biên bản", "facts": facts}, date="2022-05-16", **kw)
    return envelope


#: Within the term of the count (the story's head resigns in 2023).
TERM_DAY = date(2022, 12, 31)


def _winner(views: Views, world: World, **kw: Any) -> str:
    verdict = views.verdict(world.lang_ma, TERM_DAY, **kw)
    assert verdict is not None
    return next(str(c["status"]) for c in verdict["checks"] if c["rule"] == "E-WINNER")


def test_a_body_corrects_its_own_count_and_the_verdict_judges_the_corrected_figures(world: World) -> None:
    """p1 had 200 of 310 households as recorded; the team finds it was 150: no majority of the
    electorate, so the recognition fails E-WINNER as corrected, and passes as recorded."""
    count = _counted(world)
    views = Views(world.ledger, today=lambda: DAY)
    views.catch_up()
    assert _winner(views, world) == "pass"

    [fix] = world.accept(_fix(world, TEAM, count.hash, {"votes": {"p1": 150}, "valid": 210}))

    views.catch_up()
    assert fix.type == "correction.recorded" and fix.stream == world.lang_ma
    assert _winner(views, world) == "fail"
    assert _winner(views, world, as_recorded=True) == "pass"
    verdict = views.verdict(world.lang_ma, TERM_DAY)
    assert verdict is not None
    [winner] = [c for c in verdict["checks"] if c["rule"] == "E-WINNER"]
    assert fix.hash in winner["events"]  # the check names the correction beside the count


def test_corrections_in_a_batch_are_judged_one_by_one(world: World) -> None:
    """A batch of the team's correction of its count and the commune's of the same count: the
    second alone is refused, the first stored."""
    count = _counted(world)
    position = world.position()
    results = world.submit([_fix(world, TEAM, count.hash, {"invalid": 6}),
                            _fix(world, world.committee, count.hash, {"invalid": 7})])
    assert isinstance(results[0], Receipt) and isinstance(results[1], Refused)
    assert results[1].code == "not_own_event"
    assert world.position() == position + 1


def test_the_batch_view_finds_an_event_the_batch_accepted_before_the_store_has_it(world: World) -> None:
    """A batch is judged against the ledger as the batch leaves it so far: an event accepted earlier in
    the batch is an earlier event too (a client cannot name one, its hash holding the moment of
    arrival; the view does not depend on that)."""
    from ledger.application import _BatchView
    from ledger.envelope import parse_envelope

    enrol_village_bodies(world)
    envelope = story(world)[0]
    asked: list[str] = []

    def in_store(entry_hash: str, near: str) -> None:
        asked.append(entry_hash)

    view = _BatchView(world.ledger._cache, {}, in_store)
    view.accepted("ab" * 32, parse_envelope(envelope))
    found = view.earlier("ab" * 32, world.lang_ma)
    assert found is not None and (found.body, found.type) == (world.committee, "person.profiled")
    assert asked == []  # not looked for in the store
    assert view.earlier("cd" * 32, world.lang_ma) is None and asked == ["cd" * 32]


@pytest.mark.parametrize("case", ["unknown_event", "not_own_event", "malformed_facts", "malformed_date"])
def test_each_refusal_stores_nothing_and_is_dated(world: World, case: str) -> None:
    count = _counted(world)
    cases: dict[str, tuple[str, str, dict[str, Any]]] = {
        "unknown_event": ("ab" * 32, TEAM, {"invalid": 6}),
        "not_own_event": (count.hash, world.committee, {"invalid": 6}),
        "malformed_facts": (count.hash, TEAM, {"votes": "nhiều"}),
        "malformed_date": (count.hash, TEAM, {"date": "ngày 15/5"}),
    }
    target, body, facts = cases[case]
    code = case.removesuffix("_facts").removesuffix("_date")
    refusal = assert_refused(world, _fix(world, body, target, facts), code, stream=world.lang_ma)
    assert refusal.rule_since == SINCE == "2026-12-06"


def _stored_as_before(world: World, monkeypatch: pytest.MonkeyPatch, envelope: dict[str, Any]) -> Receipt:
    """Store ``envelope`` as a release before 2026-12-06 did: judged by every other rule."""
    with monkeypatch.context() as old_release:
        old_release.setattr(authority, "_check_correction", lambda *_: None)
        [receipt] = world.accept(envelope)
    assert isinstance(receipt, Receipt)
    return receipt


def test_verify_names_each_correction_stored_before_the_rule_with_its_day(
        world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """Four corrections an earlier release stored: each is one finding, of the rule of 2026-12-06
    (not "should have been refused"), the stream's next event is sound, and the audit's replay goes
    on; the views keep leaving them unapplied; each, sent again, is a replay."""
    count = _counted(world)
    views = Views(world.ledger, today=lambda: DAY)
    views.catch_up()
    before = views.verdict(world.lang_ma, DAY)
    bad = {
        "unknown_event": _fix(world, TEAM, "cd" * 32, {"invalid": 6}),
        "not_own_event": _fix(world, world.committee, count.hash, {"votes": {"p1": 20}}),
        "malformed": _fix(world, TEAM, count.hash, {"votes": "nhiều"}),
        "malformed ": _fix(world, TEAM, count.hash, {"date": "2022-02-30"}),
    }
    stored = {code: _stored_as_before(world, monkeypatch, envelope) for code, envelope in bad.items()}
    world.accept(world.sign(world.cell, "congress.reported", world.lang_ma, {}, date="2022-07-02"))

    report = _audit(backend, world)

    assert [(f.code, f.notification_id) for f in report.findings] == [
        (code.strip(), receipt.notification_id) for code, receipt in stored.items()]
    for finding in report.findings:
        assert f"áp dụng từ {SINCE}" in finding.message_vi and "lẽ ra đã bị từ chối" not in finding.message_vi
    assert report.signatures_checked == report.entries
    db = ["--database", backend.database] if backend.database else []
    verified = dantin("verify", backend.directory, "--json", "--workers", "1", *db)  # the command: exit 1
    assert verified.exit_code == 1, verified.output
    said = json.loads(verified.stdout)
    assert said["findings_total"] == 4 and said["first_finding"]["code"] == "unknown_event"
    assert f"áp dụng từ {SINCE}" in said["first_finding"]["message"]
    views.catch_up()
    after = views.verdict(world.lang_ma, DAY)
    assert before is not None and after is not None
    assert [(c["rule"], c["status"]) for c in after["checks"]] == [(c["rule"], c["status"]) for c in before["checks"]]
    for envelope in bad.values():
        [again] = world.submit([envelope])
        assert isinstance(again, Refused) and again.code == "replay"


def test_verify_of_a_sound_correction_finds_nothing(world: World, backend: Backend) -> None:
    """The audit finds each correction's original again (read back by its row): a sound one is no finding,
    nor is the correction of a profile, whose original is in the person's stream."""
    count = _counted(world)
    world.accept(_fix(world, TEAM, count.hash, {"votes": {"p1": 190}}))
    [profile] = world.accept(world.sign(world.cell, "person.profiled", world.lang_ma,
                                        {"person": "p7", "name": "Đinh Văn Bảy", "born": "1980-01-01"}))
    world.accept(_fix(world, world.cell, profile.hash, {"born": "1980-01-02"}))
    report = _audit(backend, world)
    assert report.intact, [f.to_dict() for f in report.findings]


def test_a_correction_of_a_profile_is_found_in_the_persons_stream(world: World) -> None:
    """The correction sits in the village's stream, its original in the person's: found all the same
    (the store read through by hash), and judged: the date of birth must stay a day."""
    [profile] = world.accept(world.sign(world.cell, "person.profiled", world.lang_ma,
                                        {"person": "p7", "name": "Đinh Văn Bảy", "born": "1980-01-01"}))
    assert profile.stream == "person:p7"
    assert_refused(world, _fix(world, world.cell, profile.hash, {"born": "01/02/1980"}), "malformed",
                   stream=world.lang_ma)
    [fix] = world.accept(_fix(world, world.cell, profile.hash, {"born": "1980-02-01"}))
    assert fix.stream == world.lang_ma


def test_a_correction_placed_elsewhere_than_its_original_is_refused(world: World) -> None:
    """The commune's committee recognised p1 in Làng Mạ; its correction stated about the commune (its own
    jurisdiction) sits in the commune's stream, which no village's record reads: it never took effect (the
    verdict unchanged), though the ledger gave a receipt for it. Refused now; the same correction stated
    about Làng Mạ is taken and applied."""
    enrol_village_bodies(world)
    receipts = world.accept(*story(world))
    recognition = next(r for r in receipts if r.type == "election.recognised")
    elsewhere = world.sign(world.committee, "correction.recorded", world.badien, {
        "corrects": recognition.hash, "reason": "Ghi nhầm số quyết định", "facts": {"decision": "13/QĐ-UBND"}},
        date="2022-05-20")
    refusal = assert_refused(world, elsewhere, "malformed", stream=world.badien)
    assert world.lang_ma in refusal.message_vi and refusal.rule_since == SINCE
    [fix] = world.accept(world.sign(world.committee, "correction.recorded", world.lang_ma, {
        "corrects": recognition.hash, "reason": "Ghi nhầm số quyết định", "facts": {"decision": "13/QĐ-UBND"}},
        date="2022-05-20"))
    views = Views(world.ledger, today=lambda: DAY)
    views.catch_up()
    record = views.record(world.lang_ma)
    assert record is not None
    [applied] = [e for e in corrected(record.events) if e.id == recognition.hash]
    assert applied.corrected_by == (fix.hash,) and applied.facts["decision"] == "13/QĐ-UBND"


def test_a_correction_of_a_registration_is_refused(world: World) -> None:
    """No view reads a place's registration, a body's enrolment or a key's rotation "as corrected" (the
    village's name is its registration's): the root's correction of Làng Mạ's name was taken, with a
    receipt, and the name never changed. Refused now."""
    assert world.ledger.sealer is not None
    registered = world.ledger.sealer.store.leaf_of(world.lang_ma, 1)
    assert registered is not None
    fix = world.sign(world.root, "correction.recorded", world.lang_ma, {
        "corrects": registered.hash.hex(), "reason": "Sai tên thôn", "facts": {"name": "Thôn Làng Mạ Mới"}},
        date="2022-05-20")
    refusal = assert_refused(world, fix, "malformed", stream=world.lang_ma)
    assert "place.registered" in refusal.message_vi and refusal.rule_since == SINCE


def test_a_correction_of_an_event_about_the_commune_is_refused_unless_a_page_reads_it(
        world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commune's committee orders the election for the whole commune and profiles p8, both stated about
    the commune: no village's record holds them (a village's record is its own stream), so their corrections,
    stated about the commune as the door asks, took effect nowhere, though the ledger gave a receipt for each.
    Refused now (malformed, the rule of 2026-12-06); one an earlier release stored is a dated finding of
    ``dantin verify``. A Front's observation about the commune is the one event stated there that a page reads
    (the Front's page of the commune): its correction is taken (tests/integration/test_web_pages_agree.py)."""
    from test_bundle import FRONT
    from test_bundle import story as bundle_story

    bundle_story(world)
    with monkeypatch.context() as old_release:  # a commune-wide order, as an earlier release took it (refused
        old_release.setattr(correction, "about_a_village", lambda *_: None)  # since: test_refusals.py)
        [ordered] = world.accept(world.sign(world.committee, "election.ordered", world.badien,
                                            {"election_date": "2022-05-15", "decision": "12/QĐ-UBND"},
                                            date="2022-04-01"))
    profiled, observed = world.accept(
        world.sign(world.committee, "person.profiled", world.badien, {"person": "p8", "born": "1970-01-01"},
                   date="2022-04-01"),
        world.sign(FRONT, "front.observation", world.badien,
                   {"about": [world.badien], "finding": "Niêm yết chậm", "severity": "info"}, date="2022-04-02"))
    assert {ordered.stream, observed.stream} == {world.badien}

    def fix(body: str, target: str, facts: dict[str, Any]) -> dict[str, Any]:
        envelope: dict[str, Any] = world.sign(body, "correction.recorded", world.badien, {
            "corrects": target, "reason": "Ghi nhầm", "facts": facts}, date="2022-04-03")
        return envelope

    for target, facts in ((ordered, {"election_date": "2022-05-22"}), (profiled, {"born": "1971-01-01"})):
        refusal = assert_refused(world, fix(world.committee, target.hash, facts), "malformed", stream=world.badien)
        assert refusal.rule_since == SINCE and "không phải về một thôn, tổ dân phố" in refusal.message_vi
        assert world.badien in refusal.message_vi and "(xã)" in refusal.message_vi
    world.accept(fix(FRONT, observed.hash, {"severity": "warning"}))

    stored = _stored_as_before(world, monkeypatch, fix(world.committee, ordered.hash, {"decision": "13/QĐ-UBND"}))
    report = _audit(backend, world)
    assert [(f.code, f.notification_id) for f in report.findings] == [
        ("malformed", ordered.notification_id), ("malformed", stored.notification_id)]
    assert all(f"áp dụng từ {SINCE}" in f.message_vi for f in report.findings)
    assert "phải ghi về một thôn, tổ dân phố" in report.findings[0].message_vi
