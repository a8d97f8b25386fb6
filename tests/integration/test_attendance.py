"""Attendance at residential cell meetings, from real signed events through the kept projection and the JSONL import."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import Backend, World

from cli.attendance_import import JsonlImporter
from cli.importer import key_file, read_key
from ledger import home
from ledger.errors import Refused
from ledger.signing import SigningKey
from projections.attendance import AttendanceViews

PARTY = "qng.bato.badien/commune_party"
LANG_VIEN = "qng.bato.badien.lang-vien"
VIEN_CELL = "qng.bato.badien.lang-vien/cell"
M1, M2 = "qng.bato.m001", "qng.bato.m002"
AFTER = date(2023, 1, 15)


def setup(world: World) -> None:
    """A second village with its cell, the commune party committee, and two members profiled."""
    world.accept(world.sign(world.root, "place.registered", LANG_VIEN,
                            {"id": LANG_VIEN, "name": "Thôn Làng Viên", "kind": "thon"}, date="2022-01-10"))
    for body, kind, name, place in ((PARTY, "commune_party", "Đảng ủy xã Ba Điền", world.badien),
                                    (VIEN_CELL, "cell", "Chi bộ thôn Làng Viên", LANG_VIEN)):
        key = SigningKey.generate()
        world.accept(world.enrolment(world.root, body, kind, name, place, key))
        world.keys[body] = key
    world.accept(*(world.sign(world.committee, "person.profiled", world.lang_ma,
                              {"person": p, "name": n, "residence": world.lang_ma}, date="2022-01-03")
                   for p, n in ((M1, "Đinh Văn Tơ"), (M2, "Phạm Thị Lan"))))


def recorded(world: World, cell_body: str, cell: str, member: str, level: str, day: str) -> dict[str, Any]:
    return world.sign(cell_body, "attendance.recorded", cell,
                      {"member": member, "level": level, "meeting_date": day, "cell": cell}, date=day)


def reported(world: World, body: str, place: str, attendance: str, day: str) -> dict[str, Any]:
    return world.sign(body, "attendance.reported", place, {"attendance": attendance, "report_date": day}, date=day)


def story(world: World) -> dict[str, str]:
    """A district member: a plan, three quarters of four attended (no Q2), reports on day 3, day 4 and none.
    A commune official: January at their own cell (does not count), February elsewhere, reported next day."""
    setup(world)
    plan, a1, a2, a3, o1, o2 = world.accept(
        world.sign(world.standing, "attendance.planned", world.bato,
                   {"member": M1, "level": "district", "year": 2022, "cells": [world.lang_ma, LANG_VIEN]},
                   date="2022-01-10"),
        recorded(world, world.cell, world.lang_ma, M1, "district", "2022-02-05"),
        recorded(world, VIEN_CELL, LANG_VIEN, M1, "district", "2022-08-05"),
        recorded(world, world.cell, world.lang_ma, M1, "district", "2022-11-05"),
        recorded(world, world.cell, world.lang_ma, M2, "commune_official", "2022-01-12"),
        recorded(world, VIEN_CELL, LANG_VIEN, M2, "commune_official", "2022-02-12"),
    )
    r1, r2, r3 = world.accept(reported(world, world.standing, world.bato, a1.hash, "2022-02-08"),
                              reported(world, world.standing, world.bato, a2.hash, "2022-08-09"),
                              reported(world, PARTY, world.badien, o2.hash, "2022-02-13"))
    return {"plan": plan.hash, "a1": a1.hash, "a2": a2.hash, "a3": a3.hash, "o1": o1.hash, "o2": o2.hash,
            "r1": r1.hash, "r2": r2.hash, "r3": r3.hash}


def member(found: dict[str, Any], member_id: str) -> dict[str, Any]:
    [m] = [m for m in found["members"] if m["member"] == member_id]
    return m


def figures(m: dict[str, Any], rule: str, *keys: str) -> dict[str, Any]:
    return {k: m["rules"][rule][k] for k in keys}


def test_the_projection_judges_real_signed_attendance(world: World) -> None:
    h = story(world)
    views = AttendanceViews(world.ledger)
    assert views.catch_up() == world.position()
    found = views.report(2022, AFTER)
    district = member(found, M1)
    assert (district["name"], district["level"], district["place"], district["body"]) == \
        ("Đinh Văn Tơ", "district", world.bato, world.standing)
    assert district["verdict"] == "violations"
    assert figures(district, "A-FREQUENCY", "required", "covered", "missed") == \
        {"required": 4, "covered": 3, "missed": 1}
    assert figures(district, "A-REPORT", "on_time", "late", "missing") == {"on_time": 1, "late": 1, "missing": 1}
    assert district["rules"]["A-PLAN"]["status"] == "pass"
    late = [c for c in district["checks"] if c["rule"] == "A-REPORT" and c["status"] == "fail"]
    assert [c["events"] for c in late] == [[h["a2"], h["r2"]], [h["a3"]]]
    official = member(found, M2)
    assert (official["place"], official["own_cell"]) == (world.badien, world.lang_ma)
    assert figures(official, "A-FREQUENCY", "covered", "missed", "own_cell") == {"covered": 1, "missed": 11,
                                                                                "own_cell": 1}
    january = next(c for c in official["checks"] if c["rule"] == "A-FREQUENCY")
    assert january["status"] == "fail" and january["events"][0] == h["o1"]
    assert figures(official, "A-REPORT", "judged", "on_time") == {"judged": 1, "on_time": 1}
    rollups = {(r["place"], r["level"]): r for r in found["rollups"]}
    assert set(rollups) == {("qng", "district"), ("qng", "commune_official"), (world.bato, "district"),
                            (world.bato, "commune_official"), (world.badien, "commune_official")}
    bato = rollups[(world.bato, "district")]
    assert (bato["name"], bato["members"], bato["A-FREQUENCY"]["missed"], bato["A-REPORT"]["late"],
            bato["A-PLAN"]) == ("Huyện Ba Tơ", 1, 1, 1, {"required": 1, "filed": 1, "missing": 0, "pending": 0})


def test_as_of_a_date_during_the_year_later_records_are_not_known(world: World) -> None:
    story(world)
    views = AttendanceViews(world.ledger)
    views.catch_up()
    district = member(views.report(2022, date(2022, 8, 7)), M1)
    assert [c["status"] for c in district["checks"] if c["rule"] == "A-FREQUENCY"] == \
        ["pass", "fail", "pass", "pending"]
    assert figures(district, "A-REPORT", "judged", "on_time", "pending") == {"judged": 2, "on_time": 1, "pending": 1}
    assert district["verdict"] == "violations"


def test_a_member_who_moves_is_judged_at_each_meeting_by_where_they_lived_then(world: World) -> None:
    """A commune official living in Làng Mạ attends Làng Viên's cell monthly, moves to Làng Viên on 1/7 and
    from then on attends Làng Mạ's. Judged after the year, the January–June meetings were counted as
    held at their own cell (the residence at the end of the year): six months "missed"."""
    setup(world)
    before = [recorded(world, VIEN_CELL, LANG_VIEN, M2, "commune_official", f"2022-{m:02d}-10") for m in range(1, 7)]
    move = world.sign(world.committee, "person.profiled", world.lang_ma, {"person": M2, "residence": LANG_VIEN},
                      date="2022-07-01")
    after = [recorded(world, world.cell, world.lang_ma, M2, "commune_official", f"2022-{m:02d}-10")
             for m in range(7, 13)]
    world.accept(*before, move, *after)
    views = AttendanceViews(world.ledger)
    views.catch_up()
    for day, own_cell in ((date(2022, 6, 30), world.lang_ma), (AFTER, LANG_VIEN)):
        official = member(views.report(2022, day), M2)
        assert official["own_cell"] == own_cell
        assert figures(official, "A-FREQUENCY", "missed", "own_cell") == {"missed": 0, "own_cell": 0}
    assert figures(official, "A-FREQUENCY", "covered", "attendances") == {"covered": 12, "attendances": 12}
    # A meeting at the cell they lived in on its day still does not count.
    world.accept(recorded(world, VIEN_CELL, LANG_VIEN, M2, "commune_official", "2022-08-20"))
    views.catch_up()
    official = member(views.report(2022, AFTER), M2)
    assert figures(official, "A-FREQUENCY", "covered", "own_cell") == {"covered": 12, "own_cell": 1}
    [august] = [c for c in official["checks"] if c["rule"] == "A-FREQUENCY" and "08/2022" in c["detail_vi"]]
    assert f"chi bộ nơi cư trú ({LANG_VIEN}) không được tính" in august["detail_vi"]


def test_place_and_level_filters(world: World) -> None:
    story(world)
    views = AttendanceViews(world.ledger)
    views.catch_up()
    assert [m["member"] for m in views.report(2022, AFTER, under=world.badien)["members"]] == [M2]
    assert [m["member"] for m in views.report(2022, AFTER, level="district")["members"]] == [M1]
    assert views.report(2022, AFTER, under=world.sontinh)["members"] == []
    assert views.report(2021, AFTER)["members"] == []
    assert views.place_known(world.badien) and not views.place_known("qng.bato.khong-co")
    # A place's id is matched as itself: "_" and "%" are no wildcards (as for office holders).
    for pattern in ("qng.bato.badie_", "qng.bato.%", "qng.bato.b%"):
        assert views.report(2022, AFTER, under=pattern)["members"] == [], pattern


def test_catch_up_resumes_after_a_restart_and_equals_a_replay(world: World, backend: Backend) -> None:
    setup(world)
    views = AttendanceViews(world.ledger)
    first = views.catch_up()
    story_rest(world)
    again = AttendanceViews(backend.open())  # a restart: a new process on the same tables
    assert again.position() == first
    assert again.catch_up() == world.position() > first
    kept = again.report(2022, AFTER)
    assert again.rebuild() == world.position()
    assert again.report(2022, AFTER) == kept
    assert member(kept, M1)["rules"]["A-REPORT"]["on_time"] == 1


def story_rest(world: World) -> None:
    [a1] = world.accept(recorded(world, world.cell, world.lang_ma, M1, "district", "2022-02-05"))
    world.accept(reported(world, world.standing, world.bato, a1.hash, "2022-02-08"))


def test_a_correction_of_a_report_date_is_seen_as_corrected(world: World) -> None:
    h = story(world)
    views = AttendanceViews(world.ledger)
    views.catch_up()
    [fix] = world.accept(world.sign(world.standing, "correction.recorded", world.bato, {
        "corrects": h["r2"], "reason": "Nhầm ngày trên sổ", "facts": {"report_date": "2022-08-08"}},
        date="2022-08-20"))
    views.catch_up()
    district = member(views.report(2022, AFTER), M1)
    assert figures(district, "A-REPORT", "on_time", "late") == {"on_time": 2, "late": 0}
    [august] = [c for c in district["checks"] if c["rule"] == "A-REPORT" and h["a2"] in c["events"]]
    assert august["status"] == "pass" and august["events"] == [h["a2"], h["r2"], fix.hash]
    views.rebuild()
    assert member(views.report(2022, AFTER), M1) == district


def _stored_as_before(world: World, envelope: dict[str, Any], code: str) -> None:
    """Refused since 2026-12-06 (``ledger.correction``) with ``code``: stored as a release before it did."""
    import ledger.authority as authority

    [refused] = world.submit([envelope])
    assert isinstance(refused, Refused) and refused.code == code, refused
    with pytest.MonkeyPatch.context() as old_release:
        old_release.setattr(authority, "_check_correction", lambda *_: None)
        world.accept(envelope)


def test_a_correction_by_another_body_than_the_reports_is_not_applied(world: World) -> None:
    """EVENTS.md: a body corrects its own earlier events. The inspection commission may sign a
    correction (of its own events), but not move the standing committee's report date: refused
    (``not_own_event``), and one an earlier release stored is not applied."""
    h = story(world)
    views = AttendanceViews(world.ledger)
    views.catch_up()
    before = member(views.report(2022, AFTER), M1)
    _stored_as_before(world, world.sign(world.inspection, "correction.recorded", world.bato, {
        "corrects": h["r2"], "reason": "Nhầm ngày trên sổ", "facts": {"report_date": "2022-08-08"}},
        date="2022-08-20"), "not_own_event")
    views.catch_up()
    assert member(views.report(2022, AFTER), M1) == before
    views.rebuild()
    assert member(views.report(2022, AFTER), M1) == before


def test_a_correction_leaving_facts_an_attendance_cannot_hold_is_not_applied(world: World) -> None:
    """The cell corrects its own record with a level no attendance has: refused (``malformed``); one an
    earlier release stored (its form is a correction's) the report must neither apply nor fail on (as
    the verdict views)."""
    h = story(world)
    views = AttendanceViews(world.ledger)
    views.catch_up()
    before = views.report(2022, AFTER)
    _stored_as_before(world, world.sign(world.cell, "correction.recorded", world.lang_ma, {
        "corrects": h["a1"], "reason": "Nhầm cấp", "facts": {"level": "thôn"}}, date="2022-08-20"), "malformed")
    views.catch_up()
    assert views.report(2022, AFTER) == before
    views.rebuild()
    assert views.report(2022, AFTER) == before


def test_rows_stored_by_a_release_judging_otherwise_are_rebuilt(world: World, monkeypatch: Any) -> None:
    """As the verdict views (README: "a release that judges otherwise rebuilds them"): here the rows
    an earlier release kept, one with another body's correction applied, are made up."""
    from projections import views as views_module

    h = story(world)
    views = AttendanceViews(world.ledger)
    views.catch_up()
    right = views.report(2022, AFTER)
    with views.store.transaction() as c:  # as an earlier release folded it
        c.execute("UPDATE dantin_view_att_reports SET report_date = '2022-08-06' WHERE id = ?", (h["r2"],))
    views.catch_up()
    assert views.report(2022, AFTER) != right  # the same code, the same head: nothing to do
    monkeypatch.setattr(views_module, "judged_by_digest", lambda: "another release")

    views.catch_up()

    assert views.report(2022, AFTER) == right


# -- the JSON Lines import --------------------------------------------------------------------


def write_keys(world: World, directory: Path) -> Path:
    for body, key in world.keys.items():
        home.write_private(key_file(directory, body), key.to_pem())
    return directory


def jsonl(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


def lines(world: World) -> list[dict[str, Any]]:
    return [
        {"type": "person.profiled", "date": "2022-01-03", "by": world.committee, "person": M1, "name": "Đinh Văn Tơ",
         "residence": world.lang_ma},
        {"type": "attendance.planned", "date": "2022-01-10", "by": world.standing, "member": M1, "level": "district",
         "year": 2022, "cells": [world.lang_ma]},
        {"id": "q1", "type": "attendance.recorded", "by": world.cell, "member": M1, "level": "district",
         "meeting_date": "2022-02-05", "cell": world.lang_ma},
        {"type": "attendance.reported", "by": world.standing, "attendance": "q1", "report_date": "2022-02-09"},
        {"id": "q2", "type": "attendance.recorded", "by": world.cell, "member": M1, "level": "district",
         "meeting_date": "2022-05-05", "cell": world.lang_ma, "note": "Biên bản số 5"},
        {"type": "attendance.reported", "by": world.standing, "attendance": "q2", "report_date": "2022-05-06"},
    ]


def test_jsonl_import_signs_each_line_and_a_second_import_stores_nothing(world: World, tmp_path: Path) -> None:
    keys = write_keys(world, tmp_path / "keys")
    path = jsonl(tmp_path / "attendance.jsonl", lines(world))
    report = JsonlImporter(world.ledger, keys).run(path)
    assert report.status == "ok" and report.count("accepted") == 6
    head = world.position()
    again = JsonlImporter(world.ledger, keys).run(path)
    assert again.status == "ok" and again.count("present") == 6 and world.position() == head
    assert [line.hash for line in again.lines] == [line.hash for line in report.lines]
    # The same lines saved with Vietnamese letters decomposed (other bytes, the same text): the same lines.
    import unicodedata
    decomposed = jsonl(tmp_path / "decomposed.jsonl", [
        {k: unicodedata.normalize("NFD", v) if isinstance(v, str) else v for k, v in line.items()}
        for line in lines(world)])
    assert decomposed.read_bytes() != path.read_bytes()
    third = JsonlImporter(world.ledger, keys).run(decomposed)
    assert third.count("present") == 6 and world.position() == head
    views = AttendanceViews(world.ledger)
    views.catch_up()
    district = member(views.report(2022, AFTER), M1)
    assert figures(district, "A-REPORT", "on_time", "late") == {"on_time": 1, "late": 1}
    q1 = report.lines[2].hash
    [late] = [c for c in district["checks"] if c["rule"] == "A-REPORT" and c["status"] == "fail"]
    assert late["events"] == [q1, report.lines[3].hash]
    stored = [e for e in views.report(2022, AFTER)["members"][0]["checks"] if e["rule"] == "A-PLAN"]
    assert stored[0]["events"] == [report.lines[1].hash]


def test_jsonl_import_refers_to_stored_events_by_hash(world: World, tmp_path: Path) -> None:
    setup(world)
    [a1] = world.accept(recorded(world, world.cell, world.lang_ma, M1, "district", "2022-02-05"))
    keys = write_keys(world, tmp_path / "keys")
    path = jsonl(tmp_path / "r.jsonl", [{"type": "attendance.reported", "by": world.standing, "attendance": a1.hash,
                                         "report_date": "2022-02-06"}])
    report = JsonlImporter(world.ledger, keys).run(path)
    assert report.status == "ok"
    assert report.lines[0].stream == world.standing  # reports live in the reporting body's stream


def test_an_invalid_jsonl_file_imports_nothing(world: World, tmp_path: Path) -> None:
    keys = write_keys(world, tmp_path / "keys")
    bad = lines(world)
    bad[2]["level"] = "ward"
    bad[3]["attendance"] = "q9"
    path = jsonl(tmp_path / "bad.jsonl", bad)
    path.write_text(path.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    head = world.position()
    report = JsonlImporter(world.ledger, keys).run(path)
    assert report.status == "invalid" and world.position() == head
    assert [(p["line"], p["path"]) for p in report.problems] == [(7, "(dòng)"), (3, "level"), (4, "attendance")]


def test_a_date_not_spelled_yyyy_mm_dd_is_a_problem_of_the_file(world: World, tmp_path: Path) -> None:
    """Python reads 20220110 and 2022-W02-1 as days, the ledger does not: such a line was signed and the
    import stopped on an internal error (exit 3), after the batches before it were stored."""
    keys = write_keys(world, tmp_path / "keys")
    bad = lines(world)
    bad[1]["date"] = "2022-W02-1"
    bad[2]["meeting_date"] = "20220205"
    bad[3]["date"] = "2022-02-09T00:00:00"
    head = world.position()
    report = JsonlImporter(world.ledger, keys).run(jsonl(tmp_path / "dates.jsonl", bad))
    assert report.status == "invalid" and world.position() == head
    assert [(p["line"], p["path"]) for p in report.problems] == [(2, "date"), (3, "meeting_date"), (4, "date")]


def test_a_refused_line_and_the_lines_that_name_it(world: World, tmp_path: Path) -> None:
    keys = write_keys(world, tmp_path / "keys")
    key_file(keys, world.cell).unlink()
    report = JsonlImporter(world.ledger, keys).run(jsonl(tmp_path / "a.jsonl", lines(world)))
    assert report.status == "refused"
    assert [(line.status, line.code) for line in report.lines] == [
        ("accepted", None), ("accepted", None), ("skipped", "missing_key"), ("skipped", "unresolved_reference"),
        ("skipped", "missing_key"), ("skipped", "unresolved_reference")]


def test_an_encrypted_key_without_its_passphrase_refuses_its_lines_once(world: World, tmp_path: Path,
                                                                         monkeypatch: Any) -> None:
    """Without --passphrase-env (and no terminal to ask at) an encrypted key stopped the import halfway
    (exit 2, the batches before stored, no report); with it, every key in the clear was refused."""
    import cli.attendance_import as module

    keys = write_keys(world, tmp_path / "keys")
    home.write_private(key_file(keys, world.standing), world.keys[world.standing].to_pem(b"mat-khau"))
    tried: list[Path] = []
    monkeypatch.setattr(module, "read_key", lambda path, env: tried.append(path) or read_key(path, env))
    path = jsonl(tmp_path / "a.jsonl", lines(world))
    report = JsonlImporter(world.ledger, keys).run(path)
    assert [(line.status, line.code) for line in report.lines] == [
        ("accepted", None), ("skipped", "bad_key"), ("accepted", None), ("skipped", "bad_key"),
        ("accepted", None), ("skipped", "bad_key")]
    assert "--passphrase-env" in str(report.lines[1].message_vi)
    assert tried.count(key_file(keys, world.standing)) == 1
    monkeypatch.setenv("KHOA", "mat-khau")
    again = JsonlImporter(world.ledger, keys, "KHOA").run(path)
    assert [line.status for line in again.lines] == ["present", "accepted", "present", "accepted", "present",
                                                     "accepted"]


def test_a_large_file_says_how_far_its_import_has_gone(world: World, tmp_path: Path, monkeypatch: Any) -> None:
    """A province's year is tens of thousands of lines: the import ran for minutes with nothing on screen."""
    import cli.attendance_import as module

    monkeypatch.setattr(module, "BATCH", 2)
    keys = write_keys(world, tmp_path / "keys")
    seen: list[tuple[int, int]] = []
    report = JsonlImporter(world.ledger, keys).run(jsonl(tmp_path / "a.jsonl", lines(world)),
                                                   lambda done, total: seen.append((done, total)))
    assert report.status == "ok"
    assert seen == [(0, 6), (2, 6), (4, 6), (6, 6)]  # the reports go after the lines they name
