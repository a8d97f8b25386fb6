"""``dantin import``: a village's paper records go into the ledger, each signed by the body
that states it — and a second import of the same file adds nothing.

Run in-process through the real command (typer's runner) on SQLite and on PostgreSQL:
first into a ledger laid out as ``dantin demo`` lays out Ba Tơ (bodies named
``<place>/<kind>``, keys under ``DIR/keys``) but holding only commune Ba Điền, then into
the conftest world, whose bodies are named otherwise.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner, Result

from cli.demo import key_file
from cli.main import app
from ledger import home
from ledger.application import Receipt
from ledger.entry import entry_hash
from ledger.envelope import seal
from ledger.signing import SigningKey
from schemas.dossier import load_dossier

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "dossier-lang-ma.json"
LANG_MA = "qng.bato.badien.lang-ma"

#: Which demo body states what, by the kind a dossier names.
DEMO_BODY = {
    "cell": f"{LANG_MA}/cell", "village_front": f"{LANG_MA}/village_front",
    "election_team": f"{LANG_MA}/election_team", "commune_committee": "qng.bato.badien/commune_committee",
    "commune_front": "qng.bato.badien/commune_front", "commune_party": "qng.bato.badien/commune_party",
    "training_center": "qng.bato/training_center", "inspection": "qng.bato/inspection",
}


def dantin(*args: str | Path) -> Result:
    result = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "250"})
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result


def text(result: Result) -> str:
    return " ".join(result.output.split())


def import_json(backend: Any, *args: str | Path, keys: Path, code: int = 0) -> list[dict[str, Any]]:
    db = ["--database", backend.database] if backend.database else []
    result = dantin("import", *args, "--ledger", backend.directory, "--keys", keys, *db, "--json")
    assert result.exit_code == code, result.output
    reports: list[dict[str, Any]] = json.loads(result.stdout)
    return reports


def stored(ledger: Any, stream: str) -> dict[str, dict[str, Any]]:
    """Entry hash → the signed statement, for every event of a stream."""
    out = {}
    for event in ledger.repository.event_store.get(stream):
        out[entry_hash(event.entry())] = orjson.loads(base64.b64decode(event.payload))
    return out


def demo_style(backend: Any) -> Any:
    """Ba Tơ as ``dantin demo`` builds it, cut down to commune Ba Điền: same ids, same key files."""
    root = SigningKey.generate()
    ledger = backend.init(root)
    keys = backend.directory / "keys"
    home.write_private(key_file(keys, "qng/root"), root.to_pem())

    def signed(type_: str, place: str, facts: dict[str, Any]) -> dict[str, Any]:
        return seal(root, "qng/root", {"type": type_, "place": place, "date": "2022-01-10", "facts": facts})

    places = [("qng.bato", "Huyện Ba Tơ", "district"), ("qng.bato.badien", "Xã Ba Điền", "commune"),
              (LANG_MA, "Thôn Làng Mạ", "thon"), ("qng.bato.badien.lang-reu", "Thôn Làng Rêu", "thon")]
    batch = [signed("place.registered", p, {"id": p, "name": n, "kind": k}) for p, n, k in places]
    for kind, body in {**DEMO_BODY, "district_standing": "qng.bato/district_standing"}.items():
        key = SigningKey.generate()
        home.write_private(key_file(keys, body), key.to_pem())
        place = body.split("/")[0]
        batch.append(signed("body.enrolled", place, {"id": body, "kind": kind, "name": f"{kind} {place}",
                                                     "jurisdiction": place, "keys": [{"public": key.public.b64}]}))
    assert all(isinstance(r, Receipt) for r in ledger.submit(batch))
    return ledger


# -- into a demo-style ledger -----------------------------------------------------------------


def test_a_dossier_is_signed_by_the_bodies_that_state_it_and_a_second_import_adds_nothing(backend: Any) -> None:
    ledger = demo_style(backend)
    keys = backend.directory / "keys"
    dossier = load_dossier(SAMPLE.read_bytes())
    before = ledger.recorder.max_notification_id()

    [report] = import_json(backend, SAMPLE, keys=keys)

    assert (report["status"], report["accepted"], report["present"], report["refused"]) == ("ok", 27, 0, 0)
    assert ledger.recorder.max_notification_id() == before + 27
    entries = {e["id"]: e for e in report["entries"]}
    village = stored(ledger, LANG_MA)
    for person in dossier.people:
        entry = entries[person.id]
        assert (entry["kind"], entry["status"], entry["stream"]) == ("person", "accepted", f"person:{person.id}")
        statement = stored(ledger, entry["stream"])[entry["hash"]]
        assert statement["body"] == "qng.bato.badien/commune_committee"
        assert (statement["type"], statement["place"], statement["date"]) == ("person.profiled", LANG_MA, "2022-03-20")
        assert statement["facts"] == person.profile_facts()
    hashes = {e.id: entries[e.id]["hash"] for e in dossier.events}
    translated = {"e11": {"about": [hashes["e10"]]}, "e12": {"corrects": hashes["e10"]},
                  "e20": {"attendance": hashes["e19"]}, "e21": {"about": [LANG_MA, hashes["e13"]]}}
    for event in dossier.events:
        entry = entries[event.id]
        assert entry["status"] == "accepted" and entry["log_index"] > before, entry
        statement = (village if entry["stream"] == LANG_MA else stored(ledger, entry["stream"]))[entry["hash"]]
        assert statement["body"] == DEMO_BODY[event.by], event.id
        assert (statement["type"], statement["place"], statement["date"]) == (
            event.type, LANG_MA, event.date.isoformat())
        assert statement["signed_at"] == f"{event.date.isoformat()}T00:00:00Z"
        assert statement["facts"] == event.facts | translated.get(event.id, {}), event.id

    again = dantin("import", SAMPLE, "--ledger", backend.directory, "--keys", keys,
                   *(["--database", backend.database] if backend.database else []))
    assert again.exit_code == 0, again.output
    assert "0 đã ghi, 27 đã có trong sổ cái, 0 bị từ chối" in text(again)
    assert "e10 election.counted → đã có trong sổ cái" in text(again)
    assert ledger.recorder.max_notification_id() == before + 27
    [second] = import_json(backend, SAMPLE, keys=keys)
    assert {e["status"] for e in second["entries"]} == {"present"}
    assert {e["id"]: e["hash"] for e in second["entries"]} == {e["id"]: e["hash"] for e in report["entries"]}

    db = ["--database", backend.database] if backend.database else []
    verified = dantin("verify", backend.directory, "--json", "--workers", "1", *db)
    assert verified.exit_code == 0 and json.loads(verified.stdout)["intact"], verified.output


# -- into the conftest world: bodies named otherwise, and what is refused ---------------------


def write_keys(world: Any, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for body, key in world.keys.items():
        (directory / (body.replace("/", "__") + ".pem")).write_bytes(key.to_pem())
    return directory


def dossier_file(path: Path, events: list[dict[str, Any]], *, village: str = LANG_MA,
                 people: list[dict[str, Any]] | None = None) -> Path:
    doc = {
        "dossier": 1,
        "village": {"id": village, "name": "Thôn Làng Mạ", "kind": "thon", "commune": "Xã Ba Điền",
                    "district": "Huyện Ba Tơ", "province": "Quảng Ngãi"},
        "people": people if people is not None else [
            {"id": "p1", "name": "Đinh Văn A", "born": "1975-02-01", "residence": LANG_MA,
             "party": {"status": "full", "since": "2001-05-19"}, "education": "thcs", "theory": "none"},
            {"id": "p2", "name": "Phạm Thị B", "residence": LANG_MA},
        ],
        "events": events,
    }
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


NOMINATION = {"id": "e1", "type": "personnel.nominated", "date": "2022-03-20", "by": "cell", "person": "p1"}
WAIVER = {"id": "e2", "type": "waiver.granted", "date": "2022-03-25", "by": "district_standing", "person": "p1",
          "criteria": ["theory"], "reason": "Thôn đặc biệt khó khăn", "deadline": "2024-12-31"}
ORDER = {"id": "e3", "type": "election.ordered", "date": "2022-04-11", "by": "commune_committee",
         "election_date": "2022-05-15", "decision": "45/QĐ-UBND"}
AGREED = {"id": "e4", "type": "candidates.agreed", "date": "2022-04-18", "by": "cell", "candidates": ["p1", "p2"]}


def test_the_body_acting_for_the_village_is_found_whatever_its_id(world: Any, backend: Any, tmp_path: Path) -> None:
    keys = write_keys(world, tmp_path / "keys")
    path = dossier_file(tmp_path / "d.json", [NOMINATION, WAIVER, ORDER, AGREED])
    before = world.position()
    [report] = import_json(backend, path, keys=keys)
    assert (report["accepted"], report["status"]) == (6, "ok")
    signers = {}
    for entry in report["entries"]:
        statement = stored(world.ledger, entry["stream"])[entry["hash"]]
        signers[entry["id"]] = statement["body"]
    assert signers == {"p1": world.committee, "p2": world.committee, "e1": world.cell, "e2": world.standing,
                       "e3": world.committee, "e4": world.cell}
    assert world.position() == before + 6


def test_what_cannot_be_imported_is_refused_and_says_why(world: Any, backend: Any, tmp_path: Path) -> None:
    keys = write_keys(world, tmp_path / "keys")
    start = world.position()

    unregistered = dossier_file(tmp_path / "moi.json", [NOMINATION], village="qng.bato.badien.lang-moi")
    [report] = import_json(backend, unregistered, keys=keys, code=1)
    assert report["problems"][0]["code"] == "unknown_place"
    assert "chưa được đăng ký" in report["problems"][0]["message"]

    no_team = dossier_file(tmp_path / "team.json", [NOMINATION, {
        "id": "e9", "type": "election.counted", "date": "2022-05-15", "by": "election_team",
        "electorate": "households", "electorate_total": 310, "attending": 216, "votes": {"p1": 200},
        "method": "show_of_hands"}])
    [report] = import_json(backend, no_team, keys=keys, code=1)
    assert [p["code"] for p in report["problems"]] == ["no_body"]
    assert "không có cơ quan loại 'election_team'" in report["problems"][0]["message"]
    assert world.position() == start, "a dossier refused as a whole stored something"

    cell_key = keys / (world.cell.replace("/", "__") + ".pem")
    cell_key.rename(tmp_path / "cell.pem")
    [report] = import_json(backend, dossier_file(tmp_path / "d.json", [NOMINATION]), keys=keys, code=1)
    assert report["problems"][0]["code"] == "missing_key" and "Thiếu tệp khóa" in report["problems"][0]["message"]
    (tmp_path / "cell.pem").rename(cell_key)
    assert world.position() == start

    # One person lives in a village nobody registered: that profile, what names that person,
    # and the correction of what was refused do not go in; the rest does. Exit 1.
    people = [{"id": "p1", "name": "Đinh Văn A", "residence": LANG_MA},
              {"id": "p2", "name": "Phạm Thị B", "residence": "qng.bato.badien.lang-moi"}]
    correction = {"id": "e5", "type": "correction.recorded", "date": "2022-04-19", "by": "cell", "corrects": "e4",
                  "reason": "Ghi nhầm danh sách", "facts": {"candidates": ["p1"]}}
    partial = dossier_file(tmp_path / "partial.json", [NOMINATION, AGREED, correction], people=people)
    [report] = import_json(backend, partial, keys=keys, code=1)
    outcome = {e["id"]: (e["status"], e["code"]) for e in report["entries"]}
    assert outcome == {"p1": ("accepted", None), "p2": ("refused", "unknown_place"), "e1": ("accepted", None),
                       "e4": ("refused", "unknown_person"), "e5": ("skipped", "unresolved_reference")}
    assert "(e4)" in report["entries"][-1]["message"]
    assert world.position() == start + 2

    # An invalid dossier beside a valid one: the valid one goes in, the exit code is 2.
    broken = dossier_file(tmp_path / "broken.json", [NOMINATION | {"by": "commune_front"}])
    valid = dossier_file(tmp_path / "valid.json", [ORDER], people=[])
    db = ["--database", backend.database] if backend.database else []
    result = dantin("import", broken, valid, "--ledger", backend.directory, "--keys", keys, *db)
    assert result.exit_code == 2, result.output
    assert "tại events[0].by (sự kiện 'e1'): loại cơ quan 'commune_front' không được ký" in text(result)
    assert "valid.json — qng.bato.badien.lang-ma: 1 đã ghi" in text(result)
    assert world.position() == start + 3


@pytest.mark.parametrize(("args", "message"), [
    (["--ledger", "{tmp}/nowhere", "--keys", "{tmp}"], "không phải thư mục sổ cái"),
    (["--ledger", "{tmp}", "--keys", "{tmp}/nokeys"], "không phải thư mục khóa"),
])
def test_usage_errors_exit_2_in_vietnamese(tmp_path: Path, args: list[str], message: str) -> None:
    path = dossier_file(tmp_path / "d.json", [NOMINATION])
    result = dantin("import", path, *(a.format(tmp=tmp_path) for a in args))
    assert result.exit_code == 2
    assert message in text(result)


def test_encrypted_and_clear_key_files_side_by_side(world: Any, backend: Any, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A province's key folder holds some keys encrypted, some in the clear. With --passphrase-env every clear
    key was refused ("cần mật khẩu (hoặc tệp không cần mật khẩu)"); without it, the first encrypted key
    stopped the whole command (exit 2, no report) after the dossiers before it were stored."""
    keys = write_keys(world, tmp_path / "keys")
    home.write_private(keys / (world.standing.replace("/", "__") + ".pem"),
                       world.keys[world.standing].to_pem(b"mat-khau"))
    first = dossier_file(tmp_path / "a.json", [ORDER], people=[])
    second = dossier_file(tmp_path / "b.json", [NOMINATION, WAIVER])
    start = world.position()

    reports = import_json(backend, first, second, keys=keys, code=1)

    assert [(r["status"], r["accepted"]) for r in reports] == [("ok", 1), ("refused", 0)]
    assert [p["code"] for p in reports[1]["problems"]] == ["bad_key"]
    assert "--passphrase-env" in reports[1]["problems"][0]["message"]
    assert world.position() == start + 1

    monkeypatch.setenv("KHOA", "mat-khau")
    reports = import_json(backend, first, second, "--passphrase-env", "KHOA", keys=keys)
    assert [(r["status"], r["accepted"], r["present"]) for r in reports] == [("ok", 0, 1), ("ok", 4, 0)]
    assert world.position() == start + 5


def _decomposed(value: Any) -> Any:
    import unicodedata

    if isinstance(value, str):
        return unicodedata.normalize("NFD", value)
    if isinstance(value, dict):
        return {k: _decomposed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decomposed(v) for v in value]
    return value


def test_a_dossier_saved_again_with_decomposed_letters_is_the_same_dossier(backend: Any, tmp_path: Path) -> None:
    """Vietnamese typed or saved in the decomposed form ("Unicode tổ hợp": a letter, then its marks) is
    the same text in other bytes. Imported again so, every event with a name in it was stored a second
    time (a second nomination, count and recognition in the village's record); signed in NFC, it is
    the same dossier, and what is stored reads as the precomposed text."""
    ledger = demo_style(backend)
    keys = backend.directory / "keys"
    decomposed = tmp_path / "decomposed.json"
    doc = _decomposed(json.loads(SAMPLE.read_text(encoding="utf-8")))
    decomposed.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert decomposed.read_bytes() != SAMPLE.read_bytes()
    before = ledger.recorder.max_notification_id()

    [first] = import_json(backend, decomposed, keys=keys)
    assert (first["accepted"], first["present"]) == (27, 0)
    [again] = import_json(backend, SAMPLE, keys=keys)
    assert (again["accepted"], again["present"], again["refused"]) == (0, 27, 0)
    assert ledger.recorder.max_notification_id() == before + 27
    person = next(e for e in first["entries"] if e["kind"] == "person")
    name = stored(ledger, person["stream"])[person["hash"]]["facts"]["name"]
    assert name == json.loads(SAMPLE.read_text(encoding="utf-8"))["people"][0]["name"] and any(ord(c) > 0x7f for c in name)
