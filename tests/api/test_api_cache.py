"""The public village reads answer from memory while the log stands still, and never older than the log.

``api.village_views.VillageViews`` keeps, per log position, each village's leadership card and
the JSON answers. These tests hold it to ``projections.views.Views`` — the same bytes as the
model would serialise ``Views.leadership`` / ``Views.verdict`` — on every day that matters, and
check that an accepted envelope (in process, or over HTTP) shows in the very next read.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
from apihelp import PARTY, PERSON, extend_world, start_server, stop
from conftest import Backend, World

from api.models import LeadershipPublic, VerdictPublic
from api.responses import model_response
from api.village_views import MISSING, VillageViews, public_verdict

DAYS = [date(2021, 1, 1), date(2022, 5, 17), date(2022, 5, 18), date(2022, 6, 30), date(2022, 7, 1),
        date(2022, 8, 1), date(2027, 5, 18), date(2030, 1, 1)]


def _events(world: World) -> list[tuple[str, str, str, dict[str, object]]]:
    return [
        (world.committee, "election.recognised", "2022-05-18", {"person": PERSON, "decision": "12/QĐ-UBND"}),
        (PARTY, "congress.approved", "2022-07-01", {"decision": "45-QĐ/ĐU", "secretary": PERSON, "committee": []}),
    ]


def _expected_leadership(views: VillageViews, village: str, day: date, as_recorded: bool) -> bytes | None:
    found = views.fresh().leadership(village, day, as_recorded=as_recorded)
    return None if found is None else bytes(model_response(LeadershipPublic.model_validate(found)).body)


def _expected_verdict(views: VillageViews, village: str, day: date, as_recorded: bool) -> bytes | None:
    found = views.fresh().verdict(village, day, as_recorded=as_recorded)
    return None if found is None else bytes(model_response(VerdictPublic.model_validate(public_verdict(found))).body)


def _check_all(views: VillageViews, villages: list[str]) -> None:
    for village in villages:
        for as_recorded in (False, True):
            for day in DAYS:
                head = views.head()
                assert views.leadership(head, village, day, as_recorded) == \
                    _expected_leadership(views, village, day, as_recorded), (village, day, as_recorded)
                assert views.leadership_cached(head, village, day, as_recorded) == \
                    views.leadership(head, village, day, as_recorded)
            for day in (DAYS[5], views.today()):
                head = views.head()
                assert views.verdict(head, village, day, as_recorded) == \
                    _expected_verdict(views, village, day, as_recorded), (village, day, as_recorded)


def test_cached_answers_are_the_views_answers_and_follow_the_log(world: World) -> None:
    extend_world(world)
    views = VillageViews(world.ledger)
    villages = [world.lang_ma, world.badien, "qng.bato.khong-co"]  # a village, a commune, nothing
    _check_all(views, villages)
    head = views.head()
    before = views.leadership(head, world.lang_ma, date(2022, 8, 1), False)
    assert before is not None and b'"head":null' in before
    for body, type_, day, facts in _events(world):
        world.accept(world.sign(body, type_, world.lang_ma, facts, date=day))
        assert views.leadership_cached(views.head(), world.lang_ma, date(2022, 8, 1), False) is MISSING
        _check_all(views, villages)  # each answer again, against the views caught up with the new head
    after = views.leadership(views.head(), world.lang_ma, date(2022, 8, 1), False)
    assert after is not None and f'"head":"{PERSON}"'.encode() in after and f'"secretary":"{PERSON}"'.encode() in after


def test_a_receipt_shows_in_the_next_read_over_http(backend: Backend, world: World, tmp_path: Path) -> None:
    extend_world(world)
    backend.close()  # the server is the only writer
    process, url = start_server(backend, tmp_path / "server.log")
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            lead = f"/v1/villages/{world.lang_ma}/leadership"
            verdict = f"/v1/villages/{world.lang_ma}/verdict"
            day = {"as_of": "2022-08-01"}
            assert client.get(lead, params=day).json()["offices"]["head"] is None
            first = client.get(verdict, params=day).json()
            assert first["leadership"]["head"] is None
            for expected, (body, type_, when, facts) in zip(("head", "secretary"), _events(world), strict=True):
                posted = client.post("/v1/events", json=world.sign(body, type_, world.lang_ma, facts, date=when))
                assert posted.status_code == 201, posted.text
                answer = client.get(lead, params=day)
                assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
                assert answer.json()["offices"][expected] == PERSON
                assert client.get(verdict, params=day).json()["leadership"][expected] == PERSON
            assert client.get(lead, params={"as_of": "2022-05-17"}).json()["offices"]["head"] is None
    finally:
        assert stop(process) == 0
