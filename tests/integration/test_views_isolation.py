"""One village the judge fails on must not stop the views, nor any other village's answers.

The judge is pure code over a village's record; a defect in it (a rule meeting a record it was
not written for) raised out of ``Views.catch_up``, and every read — the API's, the web pages',
the command line's — catches up first: one village's record made the whole ledger unreadable.
Here the defect is played by a judge that raises for one village; the other village, its
leadership, the listing, the pages and the command line go on, and the failing village is
said to be unavailable, with a stable code, in Vietnamese, and computed again once the code
is mended.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import Backend, World
from test_views import DAY, FRONT, enrol_village_bodies, story
from typer.testing import CliRunner

import projections.views as views_module
from cli.common import EXIT_INTERNAL
from ledger.rules import VillageRecord
from projections.views import UNAVAILABLE, Views, VillageUnavailable

#: A second village of the commune: registered, nothing else (its verdict: incomplete).
BA_LANG = "qng.bato.badien.ba-lang"


def _two_villages(world: World) -> None:
    enrol_village_bodies(world)
    world.accept(world.sign(world.root, "place.registered", BA_LANG,
                            {"id": BA_LANG, "name": "Thôn Ba Làng", "kind": "thon"}, date="2022-01-10"))
    world.accept(*story(world))


def _failing_for(village: str, real: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(record: VillageRecord, *args: Any, **kwargs: Any) -> Any:
        if record.village.id == village:
            raise ZeroDivisionError("a rule divided by a count of zero")
        return real(record, *args, **kwargs)
    return wrapped


def _tenures_failing_on_recognition(real: Callable[..., Any]) -> Callable[..., Any]:
    """``tenures`` raising for the events of a village whose head was recognised (Làng Mạ's story)."""
    def tenures(events: Any) -> Any:
        if any(e.type == "election.recognised" for e in events):
            raise KeyError("office")
        return real(events)
    return tenures


def test_a_judge_failing_on_one_village_leaves_the_others_and_its_leadership(
        world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    _two_villages(world)
    monkeypatch.setattr(views_module, "judge", _failing_for(world.lang_ma, views_module.judge))
    views = Views(world.ledger, today=lambda: DAY)
    assert views.catch_up() == world.position()  # (raised ZeroDivisionError before)

    listed = {r["village"]: r["verdict"] for r in views.villages()}
    assert listed[world.lang_ma] == UNAVAILABLE and listed[BA_LANG] == "incomplete"
    assert views.verdict(BA_LANG)["verdict"] == "incomplete"
    with pytest.raises(VillageUnavailable) as caught:
        views.verdict(world.lang_ma)
    error = caught.value
    assert error.code == "village_unavailable" and error.parts == ["verdict"]
    assert "kết luận" in error.message_vi and world.lang_ma in error.message_vi
    assert "ZeroDivisionError" in error.detail and "test_views_isolation.py" in error.detail
    with pytest.raises(VillageUnavailable):  # another day is judged on the spot: the same failure, the same error
        views.verdict(world.lang_ma, date(2022, 8, 1))
    # Its tenures were computed apart from its verdict: who holds office is still answered.
    assert views.leadership(world.lang_ma, date(2022, 8, 1))["offices"]["head"] == "p1"
    assert list(views.failures()) == [world.lang_ma]

    # The code mended (the next release): its digest differs, the views are rebuilt, the failure gone.
    monkeypatch.undo()
    monkeypatch.setattr(views_module, "judged_by_digest", lambda: "mended")
    views.catch_up()
    assert views.verdict(world.lang_ma)["verdict"] in ("violations", "incomplete", "compliant")
    assert views.failures() == {}


def test_a_failure_is_kept_by_a_rebuild_and_cleared_by_the_village_s_next_event(
        world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    _two_villages(world)
    views = Views(world.ledger, today=lambda: DAY)
    with monkeypatch.context() as broken:
        broken.setattr(views_module, "judge", _failing_for(world.lang_ma, views_module.judge))
        views.rebuild(workers=1)
        assert list(views.failures()) == [world.lang_ma]
        with pytest.raises(VillageUnavailable):
            views.verdict(world.lang_ma)
        assert views.verdict(BA_LANG)["verdict"] == "incomplete"
    # Mended without a digest change (a hand-made fix): the village's next event recomputes its rows.
    world.accept(world.sign(FRONT, "front.head_chosen", world.lang_ma, {"person": "p2"},
                            date="2023-08-01"))
    views.catch_up()
    assert views.failures() == {} and views.verdict(world.lang_ma)["verdict"] != UNAVAILABLE


def test_a_record_that_cannot_be_read_or_tenures_that_fail_are_said_so(
        world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    _two_villages(world)
    monkeypatch.setattr(views_module, "tenures", _tenures_failing_on_recognition(views_module.tenures))
    views = Views(world.ledger, today=lambda: DAY)
    views.catch_up()
    with pytest.raises(VillageUnavailable) as caught:
        views.leadership(world.lang_ma)
    assert caught.value.parts == ["leadership"] and "người giữ chức vụ" in caught.value.message_vi
    assert views.verdict(world.lang_ma)["verdict"] in ("violations", "incomplete", "compliant")  # judged apart
    assert views.leadership(BA_LANG)["offices"]["head"] is None
    assert all(r["village"] != world.lang_ma for r in views.officeholders("", None, date(2022, 8, 1)))
    monkeypatch.undo()

    real_build = views_module.build_record

    def build_record(village: str, *args: Any) -> Any:
        if village == world.lang_ma:
            raise ValueError("a stored fact the reader cannot read")
        return real_build(village, *args)

    monkeypatch.setattr(views_module, "build_record", build_record)  # (both readers', rebuild and catch-up)
    monkeypatch.setattr(views_module, "judged_by_digest", lambda: "another release")
    views.catch_up()
    for ask in (views.verdict, views.leadership, views.record):
        with pytest.raises(VillageUnavailable) as caught:
            ask(world.lang_ma)
        assert caught.value.parts == ["record"] and "hồ sơ" in caught.value.message_vi
    assert views.verdict(BA_LANG)["verdict"] == "incomplete"


def test_a_village_whose_record_failed_is_recomputed_when_a_person_it_names_is_profiled_again(
        world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """The record of Làng Mạ fails on p1's profile (played by a reader that raises while p1 has one profile
    only). A failed record kept no people rows, so the views did not know that Làng Mạ names p1: the commune's
    new profile of p1, stored in p1's stream, left the village failed until its own next event or a release.
    The failed village now keeps the people its own events name, by a rebuild and by a catch-up alike, and
    the new profile recomputes it."""
    _two_villages(world)
    real_build = views_module.build_record

    def build_record(village: str, *args: Any) -> Any:
        built = real_build(village, *args)
        if built is not None and len(built[0].profiles.get("p1", ())) == 1:
            raise ValueError("a profile the reader cannot read")
        return built

    monkeypatch.setattr(views_module, "build_record", build_record)
    views = Views(world.ledger, today=lambda: DAY)

    def named() -> set[str]:
        with views.store.transaction(write=False) as c:
            return {r["person"] for r in c.all("SELECT person FROM dantin_view_people WHERE village = ?",
                                               (world.lang_ma,))}

    views.rebuild(workers=1)
    assert views.failures()[world.lang_ma].parts == ["record"]
    assert {"p1", "p2", "p3"} <= named()  # (none before)
    world.accept(world.sign(FRONT, "front.head_chosen", world.lang_ma, {"person": "p2"}, date="2023-08-01"))
    views.catch_up()  # its own event: recomputed, failing again, by a catch-up
    assert list(views.failures()) == [world.lang_ma] and "p1" in named()

    world.accept(world.sign(world.committee, "person.profiled", world.lang_ma,
                            {"person": "p1", "education": "thpt"}, date="2022-03-02"))
    views.catch_up()
    assert views.failures() == {}
    assert views.verdict(world.lang_ma, DAY)["verdict"] in ("violations", "incomplete", "compliant")
    assert views.leadership(world.lang_ma, date(2022, 8, 1))["offices"]["head"] == "p1"


#: The faces are the same over either store; the store's part is tested above on both.
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@sqlite_only
def test_http_and_pages_answer_for_the_others_and_a_typed_500_for_the_failing_village(
        world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiSettings

    _two_villages(world)
    monkeypatch.setattr(views_module, "judge", _failing_for(world.lang_ma, views_module.judge))
    backend.close()
    with TestClient(create_app(ApiSettings(directory=backend.directory))) as client:
        other = client.get(f"/v1/villages/{BA_LANG}/verdict")
        assert other.status_code == 200 and other.json()["verdict"] == "incomplete"
        failing = client.get(f"/v1/villages/{world.lang_ma}/verdict")
        assert failing.status_code == 500 and failing.headers["content-type"].startswith("application/problem+json")
        problem = failing.json()
        assert problem["code"] == "village_unavailable" and "kết luận" in problem["detail"]
        assert "Traceback" not in failing.text
        lead = client.get(f"/v1/villages/{world.lang_ma}/leadership", params={"as_of": "2022-08-01"})
        assert lead.status_code == 200 and lead.json()["offices"]["head"] == "p1"
        html = {"accept": "text/html"}
        page = client.get("/", headers=html)
        assert page.status_code == 200 and "Không tính được kết luận của 1 thôn" in page.text  # (no fault of the request)
        assert 'id="dashboard-notices"' in page.text and 'id="dashboard-errors"' not in page.text
        assert "không tính được (lỗi chương trình)" in page.text and "Thôn Ba Làng" in page.text
        village = client.get(f"/villages/{world.lang_ma}", headers=html)
        assert village.status_code == 500 and "Không tính được kết luận" in village.text
        front = client.get(f"/front/{world.badien}", headers=html)
        assert front.status_code == 200 and 'id="front-unavailable"' in front.text and "Thôn Làng Mạ" in front.text


@sqlite_only
def test_the_command_line_says_it_in_vietnamese_and_exits_as_an_internal_error(
        world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from cli.app import app

    _two_villages(world)
    backend.close()
    monkeypatch.setattr(views_module, "judge", _failing_for(world.lang_ma, views_module.judge))
    runner = CliRunner()
    failing = runner.invoke(app, ["verdict", str(backend.directory), world.lang_ma])
    assert failing.exit_code == EXIT_INTERNAL, failing.output
    assert "village_unavailable" in failing.output and "Không tính được kết luận" in failing.output
    assert "Traceback" not in failing.output
    other = runner.invoke(app, ["verdict", str(backend.directory), BA_LANG, "--json"])
    assert other.exit_code == 0, other.output


@sqlite_only
def test_the_dashboard_leaves_out_of_its_figures_a_village_whose_tenures_failed(
        world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its verdict computed, its tenures not: the figures (which compute tenures the same way) leave it out."""
    from starlette.testclient import TestClient

    import api.web.figures as figures
    from api.app import create_app
    from api.settings import ApiSettings

    _two_villages(world)
    backend.close()
    tenures = _tenures_failing_on_recognition(views_module.tenures)
    monkeypatch.setattr(views_module, "tenures", tenures)
    monkeypatch.setattr(figures, "tenures", tenures)
    with TestClient(create_app(ApiSettings(directory=backend.directory))) as client:
        page = client.get("/", headers={"accept": "text/html"})
        assert page.status_code == 200 and "Thôn Làng Mạ" in page.text and "Thôn Ba Làng" in page.text


@sqlite_only
def test_rebuild_builds_the_rest_and_names_the_villages_it_could_not_compute(
        world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.app import app

    _two_villages(world)
    backend.close()
    monkeypatch.setattr(views_module, "judge", _failing_for(world.lang_ma, views_module.judge))
    done = CliRunner().invoke(app, ["rebuild", str(backend.directory)])
    assert done.exit_code == 0, done.output
    assert "Đã dựng lại bảng tra cứu" in done.output and "không tính được thông tin của 1 thôn" in done.output
    assert world.lang_ma in done.output and "ZeroDivisionError" in done.output and BA_LANG not in done.output
    assert "không tính được kết luận (ZeroDivisionError" in done.output and "failed" not in done.output


def test_a_store_error_while_reading_a_village_is_no_village_s_defect(
        world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store out of reach while a village's events are read stops the catch-up (said as an outage by
    every face), instead of being stored as that village's failure and said as a defect of the judge."""
    import sqlite3

    from eventsourcing.persistence import OperationalError

    _two_villages(world)
    views = Views(world.ledger, today=lambda: DAY)
    views.catch_up()
    world.accept(world.sign(FRONT, "front.head_chosen", world.lang_ma, {"person": "p2"}, date="2023-08-01"))

    def entries(self: Any, stream_id: str) -> Any:
        try:
            raise sqlite3.OperationalError("disk I/O error")
        except sqlite3.OperationalError as exc:
            raise OperationalError(str(exc)) from exc

    monkeypatch.setattr(views_module.LedgerReader, "entries", entries)
    with pytest.raises(OperationalError):
        views.catch_up()
    with pytest.raises(OperationalError):
        views.record(world.lang_ma)
    monkeypatch.undo()
    assert views.failures() == {} and views.catch_up() == world.position()


def test_a_village_said_unavailable_without_its_failure_kept_is_judged_again(
        world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """The verdict column says ``unavailable`` but no ``failed:`` row says why (written apart by hand, or
    by a keeper stopped between the two): the verdict is judged again on the spot, not read as ``{}``."""
    _two_villages(world)
    views = Views(world.ledger, today=lambda: DAY)
    with monkeypatch.context() as broken:
        broken.setattr(views_module, "judge", _failing_for(world.lang_ma, views_module.judge))
        views.catch_up()
    with views.store.transaction() as c:
        c.execute("DELETE FROM dantin_view_meta WHERE name = ?", (views_module.FAILED_PREFIX + world.lang_ma,))
    assert views.verdict(world.lang_ma)["verdict"] in ("violations", "incomplete", "compliant")
