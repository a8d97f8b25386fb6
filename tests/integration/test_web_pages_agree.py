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
