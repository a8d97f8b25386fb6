"""`dantin demo` runs Ba Tơ's 2022 term in every village, and points at villages worth a look; the
commands it suggests work, and `dantin import` refuses a dossier that would reuse a person id."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from cli.main import app


def dantin(*args: str | Path, code: int = 0) -> Result:
    result = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "250"})
    assert "Traceback" not in result.output
    assert result.exit_code == code, result.output
    return result


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    directory = tmp_path_factory.mktemp("demo") / "ledger"
    return directory, " ".join(dantin("demo", directory).output.split())


def test_the_demo_holds_a_term_in_every_village_and_points_at_two(demo: tuple[Path, str]) -> None:
    directory, said = demo
    found = re.search(r"hồ sơ của 61 thôn/tổ dân phố \((\d+) sự kiện\); xét hôm nay: (\d+) tuân thủ .*?, "
                      r"(\d+) có vi phạm", said)
    assert found, said
    events, compliant, violations = map(int, found.groups())
    assert events > 61 * 15 and compliant + violations == 61 and 0.8 <= compliant / 61 <= 0.9
    suggested = re.findall(r"dantin (verdict|leadership) \S+ (\S+)(?: --as-of (\S+))?", said)
    assert [s[0] for s in suggested] == ["verdict", "leadership", "verdict", "leadership"]
    (_, good, _), (_, _, day), (_, bad, _), _ = suggested
    verdict: dict[str, Any] = json.loads(dantin("verdict", directory, good, "--json").stdout)
    assert (verdict["verdict"], verdict["same_person"]) == ("compliant", "secretary")
    offices = json.loads(dantin("leadership", directory, good, "--as-of", day, "--json").stdout)["offices"]
    assert offices["head"] == offices["secretary"] == verdict["leadership"]["head"]
    assert json.loads(dantin("verdict", directory, bad, "--json").stdout)["verdict"] == "violations"


def test_import_refuses_a_dossier_that_reuses_someone_elses_person_id(demo: tuple[Path, str], tmp_path: Path) -> None:
    directory, _ = demo
    village = "qng.bato.badien.lang-ma"
    head = json.loads(dantin("verdict", directory, village, "--json").stdout)["leadership"]["head"]
    stats = json.loads(dantin("stats", directory, "--json").stdout)
    known = json.loads(dantin("leadership", directory, village, "--as-of", "2022-12-31", "--json").stdout)
    name = known["names"][head]

    def dossier(person: dict[str, Any]) -> Path:
        path = tmp_path / f"{len(list(tmp_path.iterdir()))}.json"
        path.write_text(json.dumps({
            "dossier": 1,
            "village": {"id": "qng.bato.badien.lang-reu", "name": "Thôn Làng Rêu", "kind": "thon",
                        "commune": "Xã Ba Điền", "district": "Huyện Ba Tơ", "province": "Quảng Ngãi"},
            "people": [{"id": head, "residence": "qng.bato.badien.lang-reu", **person}],
            "events": [{"id": "e1", "type": "personnel.nominated", "date": "2025-03-01", "by": "cell", "person": head}],
        }, ensure_ascii=False), encoding="utf-8")
        return path

    other = dossier({"name": "Đinh Văn Khác", "born": "1990-01-01"})
    refused = dantin("import", other, "--ledger", directory, "--keys", directory / "keys", code=1)
    text = " ".join(refused.output.split())
    assert "(person_conflict)" in text and f"Mã người '{head}' đã có trong sổ cái là '{name}'" in text
    assert "hồ sơ này ghi 'Đinh Văn Khác', sinh ngày 01/01/1990" in text
    assert json.loads(dantin("stats", directory, "--json").stdout)["entries"] == stats["entries"]

    same = dossier({"name": name})  # the same person, moved to the next village: welcome
    dantin("import", same, "--ledger", directory, "--keys", directory / "keys")
    assert json.loads(dantin("stats", directory, "--json").stdout)["entries"] == stats["entries"] + 2


def test_import_moves_a_person_from_another_commune_through_the_commune_that_keeps_the_record(
        demo: tuple[Path, str], tmp_path: Path) -> None:
    """Ba Điền keeps the record of its villages' people: a dossier of Ba Bích naming one of them (the
    same name) is a move. With Ba Điền's key at hand, its committee states the move first and Ba
    Bích's profile follows; without it the profile is refused, saying who keeps the record."""
    import shutil

    from ledger import home

    directory, _ = demo
    moved_to = "qng.bato.babich.dong-tien"

    def dossier(village: str, person: str, name: str) -> Path:
        path = tmp_path / f"{person}.json"
        path.write_text(json.dumps({
            "dossier": 1,
            "village": {"id": moved_to, "name": "Thôn Đồng Tiên", "kind": "thon", "commune": "Xã Ba Bích",
                        "district": "Huyện Ba Tơ", "province": "Quảng Ngãi"},
            "people": [{"id": person, "name": name, "residence": moved_to}],
            "events": [{"id": "e1", "type": "front.head_chosen", "date": "2025-04-01", "by": "village_front",
                        "person": person}],
        }, ensure_ascii=False), encoding="utf-8")
        return path

    def head_of(village: str) -> tuple[str, str]:
        verdict = json.loads(dantin("verdict", directory, village, "--json").stdout)
        head = verdict["leadership"]["head"]
        names = json.loads(dantin("leadership", directory, village, "--as-of", "2022-12-31", "--json").stdout)["names"]
        return head, names[head]

    def kept(person: str) -> tuple[str | None, str | None]:
        ledger = home.open_ledger(directory, read_only=True)
        try:
            state = ledger.get_stream(f"person:{person}").state  # type: ignore[union-attr]
            return state.registrar, state.residence
        finally:
            ledger.close()

    def entries() -> int:
        return int(json.loads(dantin("stats", directory, "--json").stdout)["entries"])

    person, name = head_of("qng.bato.badien.lang-tuong")
    # A residence nobody registered: the profile is refused, and so nobody is moved.
    before, origin, nowhere = entries(), kept(person), dossier(moved_to, person, name)
    nowhere.write_text(nowhere.read_text(encoding="utf-8").replace(f'"residence": "{moved_to}"',
                                                                   '"residence": "qng.bato.babich.khong-co"'))
    refused = json.loads(dantin("import", nowhere, "--ledger", directory, "--keys", directory / "keys", "--json",
                                code=1).stdout)[0]
    assert [(e["kind"], e["status"], e["code"]) for e in refused["entries"] if e["kind"] != "event"] == [
        ("person", "refused", "unknown_place")]
    assert kept(person) == origin == ("qng.bato.badien.lang-tuong",) * 2 and entries() == before + 1  # the event

    moved = dantin("import", dossier(moved_to, person, name), "--ledger", directory, "--keys", directory / "keys")
    text = " ".join(moved.output.split())
    assert f"người {person} (chuyển từ qng.bato.badien.lang-tuong) person.profiled → đã ghi" in text, text
    assert kept(person) == ("qng.bato.badien.lang-tuong", moved_to)
    # Imported again: nothing new, the move included.
    again = json.loads(dantin("import", dossier(moved_to, person, name), "--ledger", directory, "--keys",
                              directory / "keys", "--json").stdout)[0]
    assert [(e["kind"], e["status"]) for e in again["entries"]] == [("person", "present"), ("event", "present")]
    assert [e["moved_from"] for e in json.loads(dantin(
        "import", dossier(moved_to, person, name), "--ledger", directory, "--keys", directory / "keys",
        "--json").stdout)[0]["entries"]] == [None, None]

    keys = tmp_path / "keys"  # Ba Bích's operator: no key of Ba Điền's committee
    shutil.copytree(directory / "keys", keys, ignore=shutil.ignore_patterns("qng.bato.badien__*"))
    other, other_name = head_of("qng.bato.badien.lang-reu")
    refused = dantin("import", dossier(moved_to, other, other_name), "--ledger", directory, "--keys", keys, code=1)
    said = " ".join(refused.output.split())
    assert "(outside_jurisdiction)" in said and "'qng.bato.badien.lang-reu'" in said and "nơi cư trú mới" in said
    assert "Không tự ghi được việc chuyển đến: Thiếu tệp khóa" in said and "qng.bato.badien__" in said, said
    assert dantin("verify", directory).exit_code == 0


def test_dossiers_of_one_run_move_a_person_the_first_of_them_profiled(demo: tuple[Path, str]) -> None:
    """``run_many`` (as ``dantin demo`` and ``synth`` import): one dossier profiles px in Ba Điền, the
    next names px in Ba Bích. The move is judged against the first dossier's profile, stored first."""
    from cli.importer import Importer
    from ledger import home
    from schemas.dossier import load_dossier

    directory, _ = demo

    def one(village: str, commune: str) -> Any:
        return load_dossier(json.dumps({
            "dossier": 1, "village": {"id": village, "name": "Thôn", "kind": "thon", "commune": commune,
                                      "district": "Huyện Ba Tơ", "province": "Quảng Ngãi"},
            "people": [{"id": "px", "name": "Hồ Văn Mới", "born": "1980-01-01", "residence": village}],
            "events": [{"id": "e1", "type": "front.head_chosen", "date": "2025-04-01", "by": "village_front",
                        "person": "px"}]}, ensure_ascii=False).encode())

    ledger = home.open_ledger(directory)
    try:
        reports = list(Importer(ledger, directory / "keys", None).run_many(
            [("a", one("qng.bato.badien.lang-ma", "Xã Ba Điền")), ("b", one("qng.bato.babich.dong-vao", "Xã Ba Bích"))]))
        state = ledger.get_stream("person:px").state  # type: ignore[union-attr]
    finally:
        ledger.close()
    assert [(line.moved_from, line.status) for line in reports[1].lines if line.person] == [
        ("qng.bato.badien.lang-ma", "accepted"), (None, "accepted")]
    assert (state.registrar, state.residence) == ("qng.bato.badien.lang-ma", "qng.bato.babich.dong-vao")
