"""A ledger older than the rule that refuses hidden characters in signed text may hold some:
what each face does with such a row, and how the importer meets ``signed_in_future``.

(From a review of the change: each of these failed before its fix.) The older release is
played by switching the text rule off while the row is stored, as ``test_tamper`` does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import Backend, World
from test_bundle import FRONT, bundle_of, story, witness_all
from test_refusals import PROFILE_P1, resigned

import ledger.application as application
import schemas._checks as checks
from ledger.bundle import BundleFailed
from ledger.errors import Refused
from ledger.signing import canonical_json

RLO = "\u202e"
#: "Đinh Văn A" spoofed: a soft hyphen, which a page or a terminal does not show, in the name.
SPOOFED_P1 = "Đinh Văn\u00ad A"


@contextmanager
def _as_older_release(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """What a release before 1e5864d did: text is not judged (as test_tamper does it)."""
    with monkeypatch.context() as old:
        old.setattr(checks, "UNSAFE_LINE_RE", re.compile("(?!)"))
        old.setattr(checks, "UNSAFE_TEXT_RE", re.compile("(?!)"))
        yield


def _legacy_story(world: World, monkeypatch: pytest.MonkeyPatch, name: str = SPOOFED_P1) -> None:
    """test_bundle's story, then p1's name changed to ``name``, stored by an older release."""
    story(world)
    with _as_older_release(monkeypatch):
        world.accept(world.sign(world.cell, "person.profiled", world.lang_ma, {"person": "p1", "name": name},
                                date="2022-04-11"))


# -- 1. Bundles judge every row by today's rules of form, as tools checking the published schemas do --


def test_a_bundle_holding_a_legacy_hidden_character_fails_and_says_why(
        world: World, backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _legacy_story(world, monkeypatch)
    witness_all(world, backend, tmp_path)
    with pytest.raises(BundleFailed) as caught:
        bundle_of(world, backend)
    assert caught.value.code == "malformed" and "U+00AD" in caught.value.message_vi


# -- 2. The web pages: Markup built in Python skips the finalize ------------------------------------


def _client(world: World, backend: Backend) -> Any:
    from starlette.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiSettings
    backend.close()
    return TestClient(create_app(ApiSettings(directory=backend.directory)))


def test_the_village_page_never_shows_a_stored_name_s_hidden_character_raw(
        world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """db5e61f neutralises plain strings only (``type(value) is str``); a check's detail names
    people (``ctx.who``) and goes through ``linkify``, which returns ``Markup``: shown raw."""
    from ledger.signing import SigningKey
    _legacy_story(world, monkeypatch, name=f"Đinh Văn {RLO}A nêyugN")
    front, key = f"{world.lang_ma}/village_front", SigningKey.generate()
    world.accept(world.enrolment(world.root, front, "village_front", "Ban công tác Mặt trận thôn Làng Mạ",
                                 world.lang_ma, key))
    world.keys[front] = key
    world.accept(world.sign(front, "candidates.drafted", world.lang_ma, {"candidates": ["p1", "p2"]},
                            date="2022-04-05"),
                 world.sign(front, "candidates.finalised", world.lang_ma, {"candidates": ["p1", "p2"]},
                            date="2022-04-12"))
    with _client(world, backend) as client:
        page = client.get(f"/villages/{world.lang_ma}", params={"as_of": "2022-05-01"},
                          headers={"accept": "text/html"}).text
    assert "⟨U+202E⟩" in page  # where the template prints the name itself
    assert RLO not in page, page[max(0, page.index(RLO) - 300):page.index(RLO) + 80]


def test_the_front_page_never_shows_a_finding_s_hidden_character_raw(
        world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Front observation's finding (free text) also goes through ``linkify``."""
    story(world)
    with _as_older_release(monkeypatch):
        world.accept(world.sign(FRONT, "front.observation", world.lang_ma, {
            "about": [world.lang_ma], "finding": f"Danh sách cử tri {RLO}ớht gnôhk", "severity": "warning"},
            date="2022-04-20"))
    with _client(world, backend) as client:
        page = client.get(f"/front/{world.badien}", headers={"accept": "text/html"}).text
    assert "Danh sách cử tri" in page
    assert RLO not in page


# -- 3. The refusal (and the audit's finding) echo the hidden character itself ----------------------


def test_a_refusal_names_an_unsafe_key_without_holding_it(world: World) -> None:
    """A correction's ``facts`` takes any key. The refusal names the key by its path, and the
    path is the key itself: the message a person reads (``dantin submit`` prints it through
    rich, which passes ESC and bidi controls to the terminal) holds the very characters refused."""
    [profiled] = world.accept(world.sign(world.cell, "person.profiled", world.lang_ma, PROFILE_P1))
    statement = {"v": 1, "type": "correction.recorded", "place": world.lang_ma, "date": "2022-03-21",
                 "body": world.cell, "key": world.keys[world.cell].public.key_id,
                 "signed_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "facts": {"corrects": profiled.hash, "reason": "Nhầm tên",
                           "facts": {"name\x1b[2J\x1b]0;OK\x07": "Đinh Văn A"}}}
    [refusal] = world.submit([resigned(canonical_json(statement), world.keys[world.cell])])
    assert isinstance(refusal, Refused) and refusal.code == "malformed", refusal
    assert "U+001B" in refusal.message_vi
    assert checks.UNSAFE_LINE_RE.search(refusal.message_vi) is None, repr(refusal.message_vi)


# -- 4. The CLI shows stored names as they are --------------------------------------------------------


def test_dantin_leadership_shows_a_stored_name_s_bidi_control_by_its_code(
        world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pages show ⟨U+202E⟩; the CLI's read commands print the stored name through rich,
    which writes the override to the terminal, where it reverses what follows."""
    from test_import import dantin
    _legacy_story(world, monkeypatch, name=f"Đinh Văn {RLO}A nêyugN")
    world.accept(world.sign(world.committee, "election.recognised", world.lang_ma,
                            {"person": "p1", "decision": "15/QĐ-UBND"}, date="2022-05-20"))
    backend.close()
    out = dantin("leadership", backend.directory, world.lang_ma, "--as-of", "2022-06-01").output
    assert "nêyugN" in out, out
    assert RLO not in out, out


# -- 5. signed_in_future and the importer's own signing times -----------------------------------------


def test_a_dossier_fact_dated_today_waits_for_seven_in_the_vietnamese_morning(
        backend: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``dantin import`` signs at the fact's date, 00:00 UTC (deterministic, so that a second import
    is a replay): 07:00 in Vietnam. Before then, a fact dated today is refused before it is signed,
    with that reason, not as a clock to fix; the rest of the dossier is imported."""
    from test_import import SAMPLE, demo_style, import_json
    demo_style(backend)
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))
    last = max(e["date"] for e in doc["events"])
    morning = datetime.fromisoformat(last).replace(tzinfo=UTC) - timedelta(minutes=30)  # 06:30 in Vietnam
    monkeypatch.setattr(application, "utc_now", lambda: morning)
    dossier = tmp_path / "d.json"
    dossier.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    [report] = import_json(backend, dossier, keys=backend.directory / "keys", code=1)
    today = {e["id"] for e in doc["events"] if e["date"] == last}
    refused = {e["id"]: e for e in report["entries"] if e["status"] not in ("accepted", "present")}
    assert today <= set(refused), refused.keys()
    for entry in (refused[i] for i in today):
        assert entry["code"] == "signed_in_future" and "chỉ nhập được từ 07:00" in entry["message"], entry
    assert all(e["status"] == "accepted" for e in report["entries"] if e["id"] not in refused)


def test_the_signed_in_future_message_does_not_say_ten_minutes_for_a_refusal(world: World) -> None:
    """11 minutes less a few seconds ahead: refused (more than 10), and told it is "0 giờ 10 phút"
    ahead, i.e. within the tolerance it was refused for."""
    from test_refusals import nominate_p1, profile_p1
    profile_p1(world)
    ahead = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10, seconds=50)
    [refusal] = world.submit([nominate_p1(world, signed_at=ahead)])
    assert isinstance(refusal, Refused) and refusal.code == "signed_in_future"
    assert "0 giờ 10 phút" not in refusal.message_vi, refusal.message_vi




def test_the_importer_refuses_a_key_not_valid_yet_before_signing() -> None:
    """It signs with a key that became valid later at the key's start: before that start the
    ledger would refuse it as signed ahead of its clock; the importer says why instead."""
    from cli.importer import signed_at
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    with pytest.raises(Refused) as caught:
        signed_at("2022-03-20", start)
    assert caught.value.code == "signed_in_future" and "chỉ có hiệu lực từ" in caught.value.message_vi
    assert signed_at("2022-03-20", None) == datetime(2022, 3, 20, tzinfo=UTC)
