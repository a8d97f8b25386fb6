"""A dossier, read as ``dantin check`` and ``dantin import`` read it: what loads, and how a
file that is not a dossier is explained — what is wrong, and where.

The sample is ``tests/data/dossier-lang-ma.json``: Thôn Làng Mạ's 2022 process, from the
cell's nomination through the election, the congress, a correction and an inspection.
"""

from __future__ import annotations

import copy
import json
import unicodedata
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ledger.errors import DantinError
from schemas._dossier_core import json_error_vi
from schemas.dossier import DOSSIER_TYPES, DossierError, event_model, load_dossier
from schemas.facts import FACTS_MODELS
from schemas.process import ElectionCounted

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "dossier-lang-ma.json"
RAW = SAMPLE.read_bytes()
DOC: dict[str, Any] = json.loads(RAW)
#: Positions in the sample.
NOMINATED, COUNTED, OBSERVED, CORRECTED, HELD = 0, 9, 10, 11, 13


def has_vietnamese_diacritics(text: str) -> bool:
    marks = {"\u0300", "\u0301", "\u0302", "\u0303", "\u0306", "\u0309", "\u031b", "\u0323"}
    return "đ" in text.lower() or any(ch in marks for ch in unicodedata.normalize("NFD", text))


def dumped(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=1).encode()


def problems_of(raw: bytes) -> DossierError:
    with pytest.raises(DossierError) as caught:
        load_dossier(raw)
    error = caught.value
    assert isinstance(error, DantinError)
    assert error.code == "invalid_dossier"
    assert has_vietnamese_diacritics(error.message_vi), error.message_vi
    return error


# -- what loads -----------------------------------------------------------------------------


def test_the_sample_loads_with_the_interface_check_reads() -> None:
    dossier = load_dossier(RAW)
    assert dossier.village.id == "qng.bato.badien.lang-ma"
    assert (dossier.village.name, dossier.village.kind, dossier.village.commune) == (
        "Thôn Làng Mạ", "thon", "Xã Ba Điền")
    assert [p.id for p in dossier.people] == ["p1", "p2", "p3", "p4", "p5", "p6"]
    assert dossier.people[0].party is not None and dossier.people[0].party.status == "full"
    assert len(dossier.events) == len(DOC["events"]) == 21
    count = dossier.events[COUNTED]
    assert (count.id, count.type, count.date, count.by, count.index) == (
        "e10", "election.counted", date(2022, 5, 15), "election_team", COUNTED)
    raw = DOC["events"][COUNTED]
    assert count.facts == {k: v for k, v in raw.items() if k not in ("id", "type", "date", "by")}
    assert count.facts["received"] == "2022-05-16"  # facts exactly as written
    assert isinstance(count.typed, ElectionCounted) and count.typed.votes == {"p1": 170, "p2": 40}
    assert dossier.event("e13") is dossier.events[12]
    assert dossier.first_date == date(2022, 3, 20)


def test_a_persons_first_profile_is_person_profiled_facts() -> None:
    p1 = load_dossier(RAW).people[0]
    facts = p1.profile_facts()
    assert facts == {"person": "p1", "name": "Đinh Văn Hùng", "born": "1975-02-01",
                     "residence": "qng.bato.badien.lang-ma", "party": {"status": "full", "since": "2001-05-19"},
                     "education": "thcs", "theory": "so_cap"}
    FACTS_MODELS["person.profiled"].model_validate(facts)


def test_the_sample_states_most_types_and_every_type_can_be_stated() -> None:
    stated = {e["type"] for e in DOC["events"]}
    assert len(stated) >= 19
    assert stated <= set(DOSSIER_TYPES)
    assert not {"place.registered", "body.enrolled", "key.rotated", "key.revoked"} & set(DOSSIER_TYPES)
    for event_type in DOSSIER_TYPES:
        assert {"id", "type", "date", "by"} <= set(event_model(event_type).model_fields)


def test_a_later_profile_and_a_show_of_hands_load() -> None:
    doc = copy.deepcopy(DOC)
    doc["events"].append({"id": "e22", "type": "person.profiled", "date": "2022-09-01", "by": "cell",
                          "person": "p5", "party": {"status": "full", "since": "2022-09-01"}})
    count = {k: v for k, v in doc["events"][COUNTED].items()
             if k not in ("ballots_issued", "ballots_returned", "valid", "invalid")}
    doc["events"][COUNTED] = count | {"method": "show_of_hands"}
    assert load_dossier(dumped(doc)).events[-1].facts["party"]["status"] == "full"


# -- what does not, and where ---------------------------------------------------------------

Change = Callable[[dict[str, Any]], None]


def _event(i: int, **changes: Any) -> Change:
    def change(doc: dict[str, Any]) -> None:
        doc["events"][i].update(changes)
    return change


def _vote(person: str, value: Any) -> Change:
    def change(doc: dict[str, Any]) -> None:
        doc["events"][COUNTED]["votes"][person] = value
    return change


def _append(event: dict[str, Any]) -> Change:
    def change(doc: dict[str, Any]) -> None:
        doc["events"].append(event)
    return change


def _set(key: str, value: Any) -> Change:
    def change(doc: dict[str, Any]) -> None:
        doc[key] = value
    return change


def _person(i: int, **changes: Any) -> Change:
    def change(doc: dict[str, Any]) -> None:
        doc["people"][i].update(changes)
    return change


#: (story, change to the sample, the path named, the event named, a fragment of the message)
PROBLEMS: list[tuple[str, Change, str, str | None, str]] = [
    ("unknown event type", _event(NOMINATED, type="election.cancelled"), "events[0].type", "e1",
     "không có trong danh mục"),
    ("authority type", _event(NOMINATED, type="body.enrolled"), "events[0].type", "e1", "thẩm quyền"),
    ("type missing", lambda d: d["events"][NOMINATED].pop("type"), "events[0].type", "e1", "thiếu trường"),
    ("count with a decimal", _vote("p1", 1.5), "events[9].votes.p1", "e10", "số nguyên"),
    ("count written 12.0", _event(COUNTED, valid=210.0), "events[9].valid", "e10", "số nguyên"),
    ("count as a string", _event(COUNTED, attending="216"), "events[9].attending", "e10", "số nguyên"),
    ("count as a boolean", _event(HELD, present=True), "events[13].present", "e14", "số nguyên"),
    ("negative count", _event(HELD, summoned=-1), "events[13].summoned", "e14", "không được nhỏ hơn 0"),
    ("undeclared person voted for", _vote("p7", 3), "events[9].votes.p7", "e10", "'p7' chưa được khai báo"),
    ("undeclared nominee", _event(NOMINATED, person="p9"), "events[0].person", "e1", "'p9' chưa được khai báo"),
    ("undeclared committee member", _event(17, committee=["p1", "p8"]), "events[17].committee[1]", "e18",
     "'p8' chưa được khai báo"),
    ("undeclared attendee", _event(18, member="p0"), "events[18].member", "e19", "'p0' chưa được khai báo"),
    ("duplicate event id", _event(COUNTED, id="e1"), "events[9].id", "e1", "trùng"),
    ("signer kind not allowed", _event(COUNTED, by="cell"), "events[9].by", "e10",
     "'cell' không được ký 'election.counted' (chỉ: election_team)"),
    ("signer kind unknown", _event(NOMINATED, by="chi_bo"), "events[0].by", "e1", "'chi_bo' không được ký"),
    ("date not ISO", _event(COUNTED, date="15/05/2022"), "events[9].date", "e10", "YYYY-MM-DD"),
    ("date not in the calendar", _event(COUNTED, date="2022-02-30"), "events[9].date", "e10", "không có thật"),
    ("fact date not ISO", _event(COUNTED, received="2022-5-16"), "events[9].received", "e10", "YYYY-MM-DD"),
    ("unknown enum value", _event(COUNTED, electorate="people"), "events[9].electorate", "e10", "chỉ nhận"),
    ("unknown field", _event(NOMINATED, nominee="p1"), "events[0].nominee", "e1", "không có trong định dạng"),
    ("observation about a later event", _event(OBSERVED, about=["e13"]), "events[10].about[0]", "e11",
     "phải đứng trước"),
    ("observation about nothing known", _event(OBSERVED, about=["e99"]), "events[10].about[0]", "e11",
     "không phải sự kiện trong hồ sơ"),
    ("correction of an unknown event", _event(CORRECTED, corrects="e99"), "events[11].corrects", "e12",
     "không phải sự kiện trong hồ sơ"),
    ("correction by another body", _event(CORRECTED, by="commune_committee"), "events[11].by", "e12",
     "chỉ cơ quan đã ghi sự kiện 'e10'"),
    ("corrected count not whole", _event(CORRECTED, facts={"valid": "211"}), "events[11].facts.valid", "e12",
     "số nguyên"),
    ("corrected field unknown", _event(CORRECTED, facts={"hop_le": 211}), "events[11].facts.hop_le", "e12",
     "không có trong định dạng"),
    ("corrected date not ISO", _event(CORRECTED, facts={"date": "16/5"}), "events[11].facts.date", "e12",
     "YYYY-MM-DD"),
    ("corrected person undeclared", _event(CORRECTED, facts={"votes": {"p1": 170, "p7": 1}}),
     "events[11].facts.votes.p7", "e12", "'p7' chưa được khai báo"),
    ("attendance report of a non-attendance", _event(19, attendance="e18"), "events[19].attendance", "e20",
     "không phải attendance.recorded"),
    ("secret ballot without its figures", lambda d: d["events"][COUNTED].pop("valid"), "events[9].valid", "e10",
     "bầu kín"),
    ("event not an object", _append(["e22"]), "events[21]", None, "đối tượng JSON"),
    ("event without id", _append({"type": "congress.reported", "date": "2022-06-22", "by": "cell"}),
     "events[21].id", None, "thiếu trường"),
    ("village kind", lambda d: d["village"].update(kind="xa"), "village.kind", None, "chỉ nhận"),
    ("village id", lambda d: d["village"].update(id="Làng Mạ"), "village.id", None, "sai định dạng"),
    ("format version", _set("dossier", 2), "dossier", None, "phải là 1"),
    ("unknown top-level field", _set("signer", "x"), "signer", None, "không có trong định dạng hồ sơ"),
    ("people not a list", _set("people", {"p1": {}}), "people", None, "danh sách"),
    ("duplicate person", lambda d: d["people"].append({"id": "p1"}), "people[6].id", None, "đã được khai báo"),
    ("person education", _person(0, education="phd"), "people[0].education", None, "chỉ nhận"),
    ("person born not ISO", _person(1, born="12/07/1982"), "people[1].born", None, "YYYY-MM-DD"),
]


@pytest.mark.parametrize(("story", "change", "path", "event", "fragment"), PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_a_problem_is_named_with_its_place(story: str, change: Change, path: str, event: str | None,
                                           fragment: str) -> None:
    doc = copy.deepcopy(DOC)
    change(doc)
    error = problems_of(dumped(doc))
    first = error.problems[0]
    assert (first.path, first.event) == (path, event), [p.text_vi() for p in error.problems]
    assert fragment in first.message_vi, first.message_vi
    assert path in error.message_vi and fragment in error.message_vi
    if event:
        assert f"(sự kiện '{event}')" in error.message_vi


@pytest.mark.parametrize(("raw", "where"), [
    (b'{"dossier": 1,\n "village": }', "dòng 2, cột 13"),
    (b'{"dossier": 1, "dossier": 1}', "(tệp)"),
    (b'{"dossier": NaN}', "(tệp)"),
    (b"\xff\xfe{}", "(tệp)"),
    (b"", "dòng 1, cột 1"),
    (b"[1, 2]", "(gốc)"),
    (b"[" * 100_000 + b"]" * 100_000, "(tệp)"),
])
def test_a_file_that_is_not_json_says_where(raw: bytes, where: str) -> None:
    error = problems_of(raw)
    assert error.problems[0].path == where
    assert where in error.message_vi


def test_every_problem_is_named_in_file_order() -> None:
    doc = copy.deepcopy(DOC)
    doc["events"][OBSERVED]["about"] = ["e99"]
    doc["events"][COUNTED]["votes"]["p7"] = 1.5
    doc["events"][NOMINATED]["person"] = "p9"
    doc["dossier"] = 2
    error = problems_of(dumped(doc))
    assert [p.path for p in error.problems] == [
        "dossier", "events[0].person", "events[9].votes.p7", "events[10].about[0]"]
    assert "(và 3 lỗi khác)" in error.message_vi
    assert error.problems[2].to_dict() == {"path": "events[9].votes.p7", "event": "e10",
                                           "message": error.problems[2].message_vi}


def test_a_reference_to_a_broken_event_is_not_reported_twice() -> None:
    doc = copy.deepcopy(DOC)
    doc["events"][COUNTED]["method"] = "vote"
    error = problems_of(dumped(doc))
    assert [p.path for p in error.problems] == ["events[9].method"]


def test_about_may_name_the_village_or_a_place_above_it_and_ledger_hashes() -> None:
    doc = copy.deepcopy(DOC)
    doc["events"][OBSERVED]["about"] = ["qng.bato.badien", "qng.bato.badien.lang-ma", "e10", "a" * 64]
    load_dossier(dumped(doc))
    doc["events"][OBSERVED]["about"] = ["qng.bato.badien.lang-reu"]
    assert problems_of(dumped(doc)).problems[0].path == "events[10].about[0]"


@pytest.mark.parametrize(("text", "said"), [
    ("", "thiếu một giá trị"),
    ('{"a" 1}', "thiếu dấu ':'"),
    ('{"a": "\\u12"}', "dấu \\u viết thoát"),
    ('{"a": "\\q"}', "dấu \\ viết thoát"),
    ('{"a": 1} x', "dữ liệu thừa"),
])
def test_json_errors_are_said_in_vietnamese(text: str, said: str) -> None:
    with pytest.raises(json.JSONDecodeError) as error:
        json.loads(text)
    assert said in json_error_vi(error.value) and "Expecting" not in json_error_vi(error.value)
