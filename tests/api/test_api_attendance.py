"""GET /v1/attendance over a real server: real signed attendance events in, the projection's figures out."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from apihelp import Served

from ledger import home
from ledger.application import Ledger
from ledger.storage import persistence_env
from projections.attendance import AttendanceViews

pytest_plugins = ["apiserver"]  # served

MEMBER = "qng.bato.att-m001"
AS_OF = date(2023, 1, 15)
_posted: set[str] = set()


def _accepted(served: Served, envelope: dict[str, Any]) -> str:
    answer = served.post_events(envelope)
    assert answer.status_code in (200, 201), answer.text
    return str(answer.json()["hash"])


def attendance_story(served: Served) -> None:
    """Once per server: a district member's plan, three quarters attended (none in Q2), one report late, one missing."""
    if served.name in _posted:
        return
    w = served.world
    _accepted(served, w.sign(w.committee, "person.profiled", w.lang_ma,
                             {"person": MEMBER, "name": "Đinh Văn Tơ", "residence": w.lang_ma}, date="2022-01-03"))
    _accepted(served, w.sign(w.standing, "attendance.planned", w.bato,
                             {"member": MEMBER, "level": "district", "year": 2022, "cells": [w.lang_ma]},
                             date="2022-01-10"))
    seen = [_accepted(served, w.sign(w.cell, "attendance.recorded", w.lang_ma,
                                     {"member": MEMBER, "level": "district", "meeting_date": day, "cell": w.lang_ma},
                                     date=day))
            for day in ("2022-02-05", "2022-08-05", "2022-11-05")]
    for attendance, day in ((seen[0], "2022-02-08"), (seen[1], "2022-08-15")):
        _accepted(served, w.sign(w.standing, "attendance.reported", w.bato,
                                 {"attendance": attendance, "report_date": day}, date=day))
    _posted.add(served.name)


def projection_report(served: Served, **arguments: Any) -> dict[str, Any]:
    """``AttendanceViews.report`` in the test process, on the server's ledger (no log key: publishes nothing)."""
    ledger = Ledger(env=persistence_env(served.directory, home.read_settings(served.directory).database))
    try:
        views = AttendanceViews(ledger)
        views.catch_up()
        return views.report(2022, AS_OF, **arguments)
    finally:
        ledger.close()


@pytest.mark.parametrize("arguments", [{}, {"under": "qng.bato"}, {"level": "district"},
                                       {"under": "qng.bato.badien", "level": "commune"}])
def test_the_figures_are_the_projections(served: Served, arguments: dict[str, Any]) -> None:
    attendance_story(served)
    query = {"year": 2022, "as_of": AS_OF.isoformat()}
    if "under" in arguments:
        query["place"] = arguments["under"]
    if "level" in arguments:
        query["level"] = arguments["level"]
    answer = served.client.get("/v1/attendance", params=query)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json() == projection_report(served, **arguments)


def test_a_member_is_judged_and_shows_nothing_private(served: Served) -> None:
    attendance_story(served)
    found = served.client.get("/v1/attendance", params={"year": 2022, "as_of": AS_OF.isoformat()}).json()
    [m] = [m for m in found["members"] if m["member"] == MEMBER]
    assert (m["name"], m["level"], m["verdict"]) == ("Đinh Văn Tơ", "district", "violations")
    assert {k: m["rules"]["A-FREQUENCY"][k] for k in ("required", "covered", "missed")} == {
        "required": 4, "covered": 3, "missed": 1}
    assert {k: m["rules"]["A-REPORT"][k] for k in ("judged", "on_time", "late", "missing")} == {
        "judged": 3, "on_time": 1, "late": 1, "missing": 1}
    assert m["rules"]["A-PLAN"]["filed"] == 1
    assert any(r["place"] == "qng.bato" and r["level"] == "district" for r in found["rollups"])
    text = str(found)
    for private in ("born", "birth", "party", "ethnic", "education"):
        assert private not in text, private


@pytest.mark.parametrize(("query", "status"), [
    ({"year": 1999}, 400), ({"year": "abc"}, 400), ({"level": "village"}, 400), ({"as_of": "2022-02-30"}, 400),
    ({"place": "x" * 201}, 400), ({"place": "qng.bato.khong-co"}, 404), ({"place": "qng.bato"}, 200), ({}, 200),
])
def test_bad_arguments_are_problems_never_5xx(served: Served, query: dict[str, Any], status: int) -> None:
    answer = served.client.get("/v1/attendance", params=query)
    assert answer.status_code == status, answer.text
    if status != 200:
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["status"] == status


def test_the_openapi_document_describes_it(served: Served) -> None:
    doc = served.client.get("/openapi.json").json()
    get = doc["paths"]["/v1/attendance"]["get"]
    assert {"400", "404"} <= set(get["responses"])
    assert doc["components"]["schemas"]["AttendancePublic"]["examples"]


def test_the_page_keeps_the_as_of_date_asked_for(served: Served) -> None:
    """With records of 2023 too, /attendance?as_of=2022-09-30 showed 2023 (the latest year on record) judged on
    30/09/2022 — nothing known yet — and its filter form had no as-of date: filtering judged on today."""
    attendance_story(served)
    w = served.world
    if served.name + "-2023" not in _posted:
        _accepted(served, w.sign(w.cell, "attendance.recorded", w.lang_ma,
                                 {"member": MEMBER, "level": "district", "meeting_date": "2023-02-05",
                                  "cell": w.lang_ma}, date="2023-02-05"))
        _posted.add(served.name + "-2023")
    page = served.client.get("/attendance", params={"as_of": "2022-09-30"})
    assert page.status_code == 200, page.text
    assert "năm 2022</h1>" in page.text
    assert 'name="as_of" type="date" value="2022-09-30"' in page.text
    assert f'data-member="{MEMBER}" data-level="district" data-verdict="violations"' in page.text
    # A bad year beside a good date: the date is still the one judged and linked.
    page = served.client.get("/attendance", params={"as_of": "2022-09-30", "year": "abc", "level": "district"})
    assert page.status_code == 400 and "as_of=2022-09-30" in page.text
    assert served.client.get("/attendance", params={"as_of": "20220930"}).status_code == 400
