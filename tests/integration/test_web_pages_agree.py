"""The village page answers the question its address asks as the API answers it (from a review of the pages).

In process, as test_views_isolation does: the app over a small ledger, its pages asked for HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from conftest import Backend, World
from test_views import enrol_village_bodies, story
from test_views_isolation import _failing_for

import projections.views as views_module
from ledger.rules.text import VERDICT_VI

HTML = {"accept": "text/html"}
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _client(world: World, backend: Backend) -> Iterator[Any]:
    from starlette.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiSettings

    backend.close()
    with TestClient(create_app(ApiSettings(directory=backend.directory))) as client:
        yield client


@pytest.fixture
def client(world: World, backend: Backend) -> Iterator[Any]:
    enrol_village_bodies(world)
    world.accept(*story(world))
    yield from _client(world, backend)


def _checks(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr id="check-\d+" data-rule="([^"]+)" data-status="([^"]+)"', page)


@sqlite_only
def test_the_village_page_on_a_past_day_shows_the_verdict_judged_on_that_day(world: World, client: Any) -> None:
    """An inspector opening /villages/X?as_of=2022-05-17 (before the head's recognition) saw the leadership of
    that day beside the verdict judged today: another conclusion, other checks, than the API's for that day."""
    day = date(2022, 5, 17)
    then = client.get(f"/v1/villages/{world.lang_ma}/verdict", params={"as_of": day.isoformat()}).json()
    now = client.get(f"/v1/villages/{world.lang_ma}/verdict").json()
    assert [(c["rule"], c["status"]) for c in then["checks"]] != [(c["rule"], c["status"]) for c in now["checks"]]
    page = client.get(f"/villages/{world.lang_ma}", params={"as_of": day.isoformat()}, headers=HTML)
    assert page.status_code == 200
    assert f'<h2 id="h-verdict">Kết luận: {VERDICT_VI[then["verdict"]]}</h2>' in page.text
    assert "<dt>Xét ngày</dt><dd>17/05/2022</dd>" in page.text
    assert _checks(page.text) == [(c["rule"], c["status"]) for c in then["checks"]]
    today = client.get(f"/villages/{world.lang_ma}", headers=HTML)
    assert _checks(today.text) == [(c["rule"], c["status"]) for c in now["checks"]]


@sqlite_only
def test_a_village_whose_verdict_fails_still_shows_who_leads_it(
        world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """The judge failing on one village (its verdict ``unavailable``) made its whole page a 500 problem page:
    a citizen asking who is village head saw nothing, though /v1/villages/{id}/leadership answers."""
    enrol_village_bodies(world)
    world.accept(*story(world))
    monkeypatch.setattr(views_module, "judge", _failing_for(world.lang_ma, views_module.judge))
    for client in _client(world, backend):
        lead = client.get(f"/v1/villages/{world.lang_ma}/leadership", params={"as_of": "2022-08-01"}).json()
        assert lead["names"][lead["offices"]["head"]] == "Đinh Văn A"
        page = client.get(f"/villages/{world.lang_ma}", params={"as_of": "2022-08-01"}, headers=HTML)
        assert page.status_code == 500  # as the API's verdict of it
        assert 'id="verdict-unavailable"' in page.text and "Không tính được kết luận" in page.text
        head = re.search(r'<tr data-office="head">\s*<th scope="row">Trưởng thôn</th>\s*<td>([^<]*)', page.text)
        assert head is not None and head.group(1).strip() == "Đinh Văn A"
        assert 'id="timeline"' in page.text and 'id="checks"' not in page.text
        assert '<html lang="vi">' in page.text


@sqlite_only
def test_the_front_page_links_only_to_events_the_village_page_shows(world: World, backend: Backend) -> None:
    """A Front observation about a person's profile (stated about the village, so among its record's events)
    linked to /villages/X#e-<profile>: the village page never shows a profile, the link led nowhere."""
    from test_bundle import FRONT
    from test_bundle import story as bundle_story

    bundle_story(world)
    receipts = world.accept(
        world.sign(world.cell, "person.profiled", world.lang_ma, {"person": "p1", "born": "1975-03-01"},
                   date="2022-03-25"),
        world.sign(world.cell, "personnel.nominated", world.lang_ma, {"person": "p2"}, date="2022-03-26"))
    profiled, nominated = receipts[0].hash, receipts[1].hash
    world.accept(world.sign(FRONT, "front.observation", world.lang_ma, {
        "about": [profiled, nominated], "finding": "Lý lịch và giới thiệu", "severity": "warning"}, date="2022-04-20"))
    for client in _client(world, backend):
        front = client.get(f"/front/{world.badien}", headers=HTML).text
        village = client.get(f"/villages/{world.lang_ma}", headers=HTML).text
        assert f'href="/villages/{world.lang_ma}#e-{nominated}"' in front and f'id="e-{nominated}"' in village
        assert f'id="e-{profiled}"' not in village  # a profile is not shown publicly…
        assert f"#e-{profiled}" not in front  # …so nothing links to it
        assert f"<code>{profiled[:16]}</code>" in front


@sqlite_only
def test_a_day_of_an_early_year_is_written_with_four_digits(world: World, client: Any) -> None:
    """?as_of=0001-01-01 (a valid date) showed «Lãnh đạo thôn ngày 01/01/1»: strftime's %Y drops the zeros."""
    page = client.get(f"/villages/{world.lang_ma}", params={"as_of": "0001-01-01"}, headers=HTML).text
    assert "Lãnh đạo thôn ngày 01/01/0001" in page and "<dt>Xét ngày</dt><dd>01/01/0001</dd>" in page


@sqlite_only
@pytest.mark.parametrize("spelled", ["20220515", "2022-W20-7", "2022-05-15T00:00"])
def test_a_day_the_api_refuses_is_refused_by_the_page_too(world: World, client: Any, spelled: str) -> None:
    """/v1/villages/{id}/verdict?as_of=20220515 is a 400; the page showed that day's leadership and verdict."""
    assert client.get(f"/v1/villages/{world.lang_ma}/verdict", params={"as_of": spelled}).status_code == 400
    page = client.get(f"/villages/{world.lang_ma}", params={"as_of": spelled}, headers=HTML)
    assert page.status_code == 400 and 'id="as_of_error"' in page.text and "Lãnh đạo thôn ngày 15/05/2022" not in page.text


@sqlite_only
def test_a_profile_correction_s_reason_is_not_shown_on_the_public_page(world: World, backend: Backend) -> None:
    """The commune committee corrects p1's birth year, stated about the village; its reason quotes both
    years. The village page's timeline showed "Đính chính: <reason>", a birth date on a public page."""
    enrol_village_bodies(world)
    world.accept(*story(world))
    assert world.ledger.sealer is not None
    profile = next(leaf.hash.hex() for leaf in world.ledger.sealer.store.leaves_of("person:p1") if leaf.version == 1)
    nomination = next(leaf.hash.hex() for leaf in world.ledger.sealer.store.leaves_of(world.lang_ma)
                      if leaf.version == 3)
    world.accept(
        world.sign(world.committee, "correction.recorded", world.lang_ma,
                   {"corrects": profile, "reason": "Ghi nhầm năm sinh 1957, đúng là 1975",
                    "facts": {"born": "1975-02-02"}},
                   date="2022-04-01"),
        world.sign(world.cell, "correction.recorded", world.lang_ma,
                   {"corrects": nomination, "reason": "Ghi nhầm ngày họp chi bộ", "facts": {"date": "2022-03-19"}},
                   date="2022-04-02"))
    for client in _client(world, backend):
        page = client.get(f"/villages/{world.lang_ma}", headers=HTML)
        assert page.status_code == 200
        assert "1957" not in page.text and "Đính chính hồ sơ cá nhân" in page.text
        assert "Đính chính: Ghi nhầm ngày họp chi bộ" in page.text  # (another event's correction: said as before)


@sqlite_only
def test_the_front_page_shows_observations_as_corrected(world: World, backend: Backend) -> None:
    """The Front corrects two of its observations, one about Làng Mạ and one about the commune as a whole (the
    one event stated about a commune that a page reads, so the one whose correction the ledger takes there:
    ledger.correction.READ_ABOVE_VILLAGE). The Front's page listed both as first recorded; it now lists them as
    corrected, said so."""
    from test_bundle import FRONT
    from test_bundle import story as bundle_story

    bundle_story(world)
    about_village, about_commune = world.accept(
        world.sign(FRONT, "front.observation", world.lang_ma, {
            "about": [world.lang_ma], "finding": "Họp dân vắng nhiều hộ", "severity": "info"}, date="2022-04-20"),
        world.sign(FRONT, "front.observation", world.badien, {
            "about": [world.badien], "finding": "Niêm yết danh sách chậm", "severity": "info"}, date="2022-04-21"))
    world.accept(
        world.sign(FRONT, "correction.recorded", world.lang_ma, {
            "corrects": about_village.hash, "reason": "Ghi nhầm", "facts": {"finding": "Họp dân đủ số hộ"}},
            date="2022-04-22"),
        world.sign(FRONT, "correction.recorded", world.badien, {
            "corrects": about_commune.hash, "reason": "Ghi nhầm mức độ", "facts": {"severity": "breach"}},
            date="2022-04-22"))
    for client in _client(world, backend):
        front = client.get(f"/front/{world.badien}", headers=HTML).text
        rows = re.findall(r'<tr data-severity="([^"]+)">(.*?)</tr>', front, re.S)
        assert [(severity, "(đã đính chính)" in row) for severity, row in rows] == [("info", True), ("breach", True)]
        assert "Họp dân đủ số hộ" in front and "Họp dân vắng nhiều hộ" not in front
        assert "Niêm yết danh sách chậm" in front


@sqlite_only
def test_attendance_is_judged_on_the_server_s_today_as_every_other_page(world: World, backend: Backend) -> None:
    """The server's today is its views' (``Views.today``: the village pages, the dashboard, the API's verdicts);
    /v1/attendance and /attendance without an as-of date took the system clock's instead, so a server whose
    clock is injected (as here, pinned to 30/09/2022) judged attendance on another day than everything else."""
    pinned = date(2022, 9, 30)
    for client in _client(world, backend):
        client.app.state.services.views.views.today = lambda: pinned
        assert client.get(f"/villages/{world.lang_ma}", headers=HTML).text.count("30/09/2022") > 0
        found = client.get("/v1/attendance").json()
        assert (found["as_of"], found["year"]) == ("2022-09-30", 2022)
        page = client.get("/attendance", headers=HTML).text
        assert "xét ngày 30/09/2022" in page and "năm 2022</h1>" in page
