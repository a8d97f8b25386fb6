"""Every refusal, as a story: who tried to sign what, why the ledger said no, and that it
stored nothing. Each scenario runs on SQLite and on PostgreSQL (conftest ``backend``).

The world (conftest): province ``qng`` with district ``qng.bato`` → commune
``qng.bato.badien`` → village ``qng.bato.badien.lang-ma``, and district ``qng.sontinh``;
bodies ``qng.bato/standing`` (district_standing), ``qng.bato/inspection`` (inspection),
``qng.bato.badien/committee`` (commune_committee) and ``qng.bato.badien.lang-ma/cell``
(the village's party cell), each enrolled by the root ``qng/root``.
"""

from __future__ import annotations

import base64
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

import ledger.application as application
from ledger.application import Receipt
from ledger.envelope import seal
from ledger.errors import REFUSALS, Refused
from ledger.signing import PAYLOAD_TYPE, SigningKey, b64encode, canonical_json, pae

Envelope = dict[str, Any]
PROFILE_P1 = {"person": "p1", "name": "Đinh Văn A", "born": "1975-02-01"}

# Combining marks that NFD leaves from Vietnamese letters: grave, acute, circumflex,
# tilde, breve, hook above, horn, dot below.
_VI_MARKS = {"\u0300", "\u0301", "\u0302", "\u0303", "\u0306", "\u0309", "\u031b", "\u0323"}


def has_vietnamese_diacritics(text: str) -> bool:
    return "đ" in text.lower() or any(ch in _VI_MARKS for ch in unicodedata.normalize("NFD", text))


def resigned(payload: bytes, key: SigningKey) -> Envelope:
    """An envelope of exactly ``payload``, genuinely signed by ``key``."""
    sig = key.sign(pae(PAYLOAD_TYPE, payload))
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": b64encode(payload),
        "signatures": [{"keyid": key.public.key_id, "sig": b64encode(sig)}],
    }


def payload_of(envelope: Envelope) -> bytes:
    return base64.b64decode(envelope["payload"])


def snapshot(world: Any, stream: str) -> tuple[int, int | None, str | None]:
    """The log's position, and the stream's version and head: all a refusal must not move."""
    found = world.ledger.get_stream(stream)
    return world.position(), None if found is None else found.version, (
        None if found is None else found.state.head
    )


def assert_refused(world: Any, envelope: Envelope, code: str, *, stream: str) -> Refused:
    before = snapshot(world, stream)
    [result] = world.submit([envelope])
    assert isinstance(result, Refused), f"expected {code}, got {result}"
    assert result.code == code, (result.code, result.message_vi, result.detail)
    assert result.title_vi == REFUSALS[code]
    assert result.message_vi.strip()
    assert has_vietnamese_diacritics(result.message_vi), result.message_vi
    assert snapshot(world, stream) == before, "a refused envelope changed the ledger"
    return result


def profile_p1(world: Any) -> None:
    world.accept(world.sign(world.cell, "person.profiled", world.lang_ma, PROFILE_P1))


def nominate_p1(world: Any, **kwargs: Any) -> Envelope:
    envelope: Envelope = world.sign(world.cell, "personnel.nominated", world.lang_ma, {"person": "p1"}, **kwargs)
    return envelope


# -- the scenarios: each returns the envelope to refuse and the stream it aims at -----

Scenario = Callable[[Any], tuple[Envelope, str]]


def malformed_float_in_facts(world: Any) -> tuple[Envelope, str]:
    """The cell signs, with its real key, a count holding a decimal number."""
    payload = payload_of(nominate_p1(world)).replace(b'"person":"p1"', b'"person":"p1","share":0.5')
    return resigned(payload, world.keys[world.cell]), world.lang_ma


def malformed_jurisdiction_not_place(world: Any) -> tuple[Envelope, str]:
    """The root enrols a body whose jurisdiction is not the place the statement names."""
    front = world.enrolment(world.root, "qng.bato.badien/front", "commune_front", "Mặt trận xã Ba Điền",
                            world.badien, SigningKey.generate())
    stmt = orjson.loads(payload_of(front))
    stmt["place"] = world.bato
    return resigned(canonical_json(stmt), world.keys[world.root]), "qng.bato.badien/front"


def malformed_version_true(world: Any) -> tuple[Envelope, str]:
    """The cell signs, with its real key, a statement of version ``true``: canonical JSON, and
    equal to 1 in Python, but the published schema says the integer 1. Nothing else is wrong."""
    profile_p1(world)
    payload = payload_of(nominate_p1(world))
    assert payload.endswith(b'"v":1}')
    return resigned(payload[:-len(b"1}")] + b"true}", world.keys[world.cell]), world.lang_ma


def malformed_name_right_to_left_override(world: Any) -> tuple[Envelope, str]:
    """The cell profiles a person whose name holds a right-to-left override: on a page it reads
    as another name than the one signed ("Trojan Source")."""
    stmt = orjson.loads(payload_of(world.sign(world.cell, "person.profiled", world.lang_ma, PROFILE_P1)))
    stmt["facts"]["name"] = "Đinh Văn \u202eA nêyugN"  # (``seal`` itself refuses to sign it)
    return resigned(canonical_json(stmt), world.keys[world.cell]), "person:p1"


def malformed_signer_name_control(world: Any) -> tuple[Envelope, str]:
    """The cell signs a nomination whose signer's name holds a NUL, which a terminal or a page cuts at."""
    profile_p1(world)
    stmt = orjson.loads(payload_of(nominate_p1(world)))
    stmt["signer"] = {"name": "Đinh Văn Bí\u0000 thư"}
    return resigned(canonical_json(stmt), world.keys[world.cell]), world.lang_ma


def signed_in_future_clock_on_local_time(world: Any) -> tuple[Envelope, str]:
    """The cell's laptop keeps Vietnam's time (UTC+7) but writes it as UTC: its signing time is
    seven hours ahead, and a key's ``valid_from`` is judged on that time."""
    profile_p1(world)
    return nominate_p1(world, signed_at=datetime.now(UTC) + timedelta(hours=7)), world.lang_ma


def bad_signature_other_message(world: Any) -> tuple[Envelope, str]:
    """The cell's real key, but the signature is over another message."""
    profile_p1(world)
    envelope = nominate_p1(world)
    other = world.keys[world.cell].sign(pae(PAYLOAD_TYPE, b'{"v":1}'))
    envelope["signatures"][0]["sig"] = b64encode(other)
    return envelope, world.lang_ma


def bad_signature_other_key(world: Any) -> tuple[Envelope, str]:
    """A stranger signs the cell's statement and labels it with the cell's key id."""
    profile_p1(world)
    envelope = nominate_p1(world)
    stranger = SigningKey.generate()
    envelope["signatures"][0]["sig"] = b64encode(stranger.sign(pae(PAYLOAD_TYPE, payload_of(envelope))))
    return envelope, world.lang_ma


def unknown_key_not_the_bodys(world: Any) -> tuple[Envelope, str]:
    """Someone with a key of their own signs in the cell's name."""
    profile_p1(world)
    return nominate_p1(world, key=SigningKey.generate()), world.lang_ma


def unknown_key_body_never_enrolled(world: Any) -> tuple[Envelope, str]:
    """A village front that was never enrolled drafts a candidate list."""
    front = "qng.bato.badien.lang-ma/front"
    envelope = world.sign(front, "candidates.drafted", world.lang_ma, {"candidates": []},
                          key=SigningKey.generate())
    return envelope, world.lang_ma


def key_revoked_by_the_body_itself(world: Any) -> tuple[Envelope, str]:
    """The cell revokes its own key (a lost phone), then something is signed with it."""
    profile_p1(world)
    world.accept(world.sign(world.cell, "key.revoked", world.lang_ma, {
        "body": world.cell, "key": world.keys[world.cell].public.key_id, "reason": "Mất điện thoại ký",
    }))
    return nominate_p1(world), world.lang_ma


def key_revoked_by_the_enrolling_ancestor(world: Any) -> tuple[Envelope, str]:
    """The root, which enrolled the cell, revokes the cell's key."""
    profile_p1(world)
    world.accept(world.sign(world.root, "key.revoked", world.lang_ma, {
        "body": world.cell, "key": world.keys[world.cell].public.key_id, "reason": "Bí thư chuyển công tác",
    }))
    return nominate_p1(world), world.lang_ma


def key_not_yet_valid(world: Any) -> tuple[Envelope, str]:
    """The cell adds a key valid from 2030, and signs with it today."""
    profile_p1(world)
    future = SigningKey.generate()
    world.accept(world.sign(world.cell, "key.rotated", world.lang_ma, {
        "body": world.cell, "key": {"public": future.public.b64, "valid_from": "2030-01-01T00:00:00Z"},
    }))
    return nominate_p1(world, key=future), world.lang_ma


def kind_not_allowed_inspection_nominates(world: Any) -> tuple[Envelope, str]:
    """The district inspection committee, whose area holds the village, nominates a head."""
    profile_p1(world)
    envelope = world.sign(world.inspection, "personnel.nominated", world.lang_ma, {"person": "p1"})
    return envelope, world.lang_ma


def kind_not_allowed_cell_enrols(world: Any) -> tuple[Envelope, str]:
    """The cell tries to enrol a body of its own."""
    envelope = world.enrolment(world.cell, "qng.bato.badien.lang-ma/front", "village_front",
                               "Ban công tác Mặt trận thôn Làng Mạ", world.lang_ma, SigningKey.generate())
    return envelope, "qng.bato.badien.lang-ma/front"


def kind_not_allowed_revoking_a_stranger(world: Any) -> tuple[Envelope, str]:
    """The district standing committee may enrol, but did not enrol the cell: it may not revoke its key."""
    envelope = world.sign(world.standing, "key.revoked", world.lang_ma, {
        "body": world.cell, "key": world.keys[world.cell].public.key_id, "reason": "Không rõ",
    })
    return envelope, world.cell


WAIVER_P1 = {"person": "p1", "criteria": ["education"], "reason": "Vùng khó khăn", "deadline": "2024-01-01"}


def outside_jurisdiction_other_district(world: Any) -> tuple[Envelope, str]:
    """Ba Tơ's standing committee grants a waiver in Sơn Tịnh."""
    envelope = world.sign(world.standing, "waiver.granted", world.sontinh, WAIVER_P1)
    return envelope, world.sontinh


def outside_jurisdiction_above(world: Any) -> tuple[Envelope, str]:
    """The village cell profiles someone at commune level."""
    return world.sign(world.cell, "person.profiled", world.badien, {"person": "p2"}), "person:p2"


def outside_jurisdiction_name_prefix(world: Any) -> tuple[Envelope, str]:
    """``qng.batoxa`` starts with ``qng.bato`` but is not below it."""
    envelope = world.sign(world.standing, "waiver.granted", "qng.batoxa", WAIVER_P1)
    return envelope, "qng.batoxa"


LANG_KHAC = "qng.bato.badien.lang-khac"
CELL_KHAC = "qng.bato.badien.lang-khac/cell"


def second_village(world: Any) -> str:
    """Another village of Ba Điền, with a cell of its own (enrolled by the root); its cell's id."""
    world.accept(world.sign(world.root, "place.registered", LANG_KHAC,
                            {"id": LANG_KHAC, "name": "Thôn Làng Khác", "kind": "thon"}, date="2022-01-10"))
    key = SigningKey.generate()
    world.accept(world.enrolment(world.root, CELL_KHAC, "cell", "Chi bộ thôn Làng Khác", LANG_KHAC, key))
    world.keys[CELL_KHAC] = key
    return CELL_KHAC


def outside_jurisdiction_another_villages_person(world: Any) -> tuple[Envelope, str]:
    """Làng Mạ's cell profiled p1; the cell of another village of the commune makes p1 younger
    (ids are global: without the rule it could rewrite another village's nominee)."""
    profile_p1(world)
    other = second_village(world)
    return world.sign(other, "person.profiled", LANG_KHAC, {"person": "p1", "born": "1990-01-01"}), "person:p1"


def replay(world: Any) -> tuple[Envelope, str]:
    """The cell's profile of p1 is accepted, then sent again byte for byte."""
    envelope = world.sign(world.cell, "person.profiled", world.lang_ma, PROFILE_P1)
    world.accept(envelope)
    return envelope, "person:p1"


def unknown_place_village(world: Any) -> tuple[Envelope, str]:
    """The commune committee profiles a person in a village nobody registered."""
    envelope = world.sign(world.committee, "person.profiled", "qng.bato.badien.lang-moi", {"person": "p3"})
    return envelope, "person:p3"


def unknown_place_parent(world: Any) -> tuple[Envelope, str]:
    """The root registers a commune of a district that was never registered."""
    envelope = world.sign(world.root, "place.registered", "qng.tunghia.xa", {
        "id": "qng.tunghia.xa", "name": "Xã Tư Nghĩa", "kind": "commune",
    })
    return envelope, "qng.tunghia.xa"


def unknown_place_residence(world: Any) -> tuple[Envelope, str]:
    """The cell profiles p1 as living in an unregistered village."""
    facts = PROFILE_P1 | {"residence": "qng.bato.badien.lang-moi"}
    return world.sign(world.cell, "person.profiled", world.lang_ma, facts), "person:p1"


def unknown_person_nominated(world: Any) -> tuple[Envelope, str]:
    """The cell nominates someone it never profiled."""
    return world.sign(world.cell, "personnel.nominated", world.lang_ma, {"person": "p-none"}), world.lang_ma


def unknown_person_among_candidates(world: Any) -> tuple[Envelope, str]:
    """The cell agrees a list with one profiled and one unknown candidate."""
    profile_p1(world)
    envelope = world.sign(world.cell, "candidates.agreed", world.lang_ma, {"candidates": ["p1", "p-none"]})
    return envelope, world.lang_ma


def already_exists_place(world: Any) -> tuple[Envelope, str]:
    """The root registers Ba Tơ a second time, under another name."""
    envelope = world.sign(world.root, "place.registered", world.bato, {
        "id": world.bato, "name": "Huyện Ba Tơ (mới)", "kind": "district",
    })
    return envelope, world.bato


def already_exists_body(world: Any) -> tuple[Envelope, str]:
    """The root enrols the village cell again, with a new key."""
    envelope = world.enrolment(world.root, world.cell, "cell", "Chi bộ thôn Làng Mạ", world.lang_ma,
                               SigningKey.generate())
    return envelope, world.cell


def already_exists_key_twice(world: Any) -> tuple[Envelope, str]:
    """The root enrols a front whose key list names the same key twice."""
    key = SigningKey.generate()
    envelope = world.sign(world.root, "body.enrolled", world.badien, {
        "id": "qng.bato.badien/front", "kind": "commune_front", "name": "Mặt trận xã Ba Điền",
        "jurisdiction": world.badien, "keys": [{"public": key.public.b64}, {"public": key.public.b64}],
    })
    return envelope, "qng.bato.badien/front"


def _nomination_of_p1(world: Any) -> Receipt:
    """The cell profiles p1 and nominates p1: the event the correction scenarios correct."""
    profile_p1(world)
    [nominated] = world.accept(nominate_p1(world))
    return nominated  # type: ignore[no-any-return]


def correct(world: Any, body: str, target: str, facts: dict[str, Any], place: str | None = None) -> Envelope:
    """``body``'s correction of the event whose entry hash (or dossier id) is ``target``."""
    envelope: Envelope = world.sign(body, "correction.recorded", place or world.lang_ma, {
        "corrects": target, "reason": "Ghi nhầm khi chép biên bản", "facts": facts}, date="2022-03-25")
    return envelope


def unknown_event_wrong_hash(world: Any) -> tuple[Envelope, str]:
    """The cell corrects its nomination, naming it by a hash one digit off (a typo): no event of the ledger."""
    nominated = _nomination_of_p1(world)
    typo = ("0" if nominated.hash[0] != "0" else "1") + nominated.hash[1:]
    return correct(world, world.cell, typo, {"person": "p1"}), world.lang_ma


def unknown_event_dossier_id(world: Any) -> tuple[Envelope, str]:
    """The cell corrects "e4", its dossier's id of the nomination: the ledger knows events by hash only."""
    _nomination_of_p1(world)
    return correct(world, world.cell, "e4", {"person": "p1"}), world.lang_ma


def not_own_event_the_communes_correction_of_the_cells(world: Any) -> tuple[Envelope, str]:
    """The commune committee (whose jurisdiction holds the village) corrects the cell's nomination."""
    nominated = _nomination_of_p1(world)
    return correct(world, world.committee, nominated.hash, {"person": "p1"}), world.lang_ma


def not_own_event_another_villages_cell(world: Any) -> tuple[Envelope, str]:
    """Another village's cell, a body of the same kind, files in its own village a correction of
    Làng Mạ's nomination (found in another stream than the correction's)."""
    nominated = _nomination_of_p1(world)
    other = second_village(world)
    return correct(world, other, nominated.hash, {"person": "p1"}, place=LANG_KHAC), LANG_KHAC


def malformed_correction_of_a_correction(world: Any) -> tuple[Envelope, str]:
    """The cell corrects its own correction instead of the nomination it corrected."""
    nominated = _nomination_of_p1(world)
    [fix] = world.accept(correct(world, world.cell, nominated.hash, {"date": "2022-03-21"}))
    return correct(world, world.cell, fix.hash, {"date": "2022-03-22"}), world.lang_ma


def malformed_corrected_facts_the_type_cannot_hold(world: Any) -> tuple[Envelope, str]:
    """The cell corrects its candidate list to a single string: no list of candidates."""
    profile_p1(world)
    [agreed] = world.accept(world.sign(world.cell, "candidates.agreed", world.lang_ma, {"candidates": ["p1"]}))
    return correct(world, world.cell, agreed.hash, {"candidates": "p1"}), world.lang_ma


def malformed_corrected_date_not_a_day(world: Any) -> tuple[Envelope, str]:
    """The cell corrects its nomination's date, written day first."""
    nominated = _nomination_of_p1(world)
    return correct(world, world.cell, nominated.hash, {"date": "21/03/2022"}), world.lang_ma


def malformed_corrected_date_no_such_day(world: Any) -> tuple[Envelope, str]:
    """The cell corrects its nomination's date to the 30th of February."""
    nominated = _nomination_of_p1(world)
    return correct(world, world.cell, nominated.hash, {"date": "2022-02-30"}), world.lang_ma


#: (refusal code, scenario, a fragment of the English detail that names the reason)
SCENARIOS: list[tuple[str, Scenario, str]] = [
    ("malformed", malformed_float_in_facts, "float at facts.share"),
    ("malformed", malformed_jurisdiction_not_place, "facts.jurisdiction != place"),
    ("malformed", malformed_version_true, "v: true"),
    ("malformed", malformed_name_right_to_left_override, "U+202E"),
    ("malformed", malformed_signer_name_control, "U+0000"),
    ("signed_in_future", signed_in_future_clock_on_local_time, "ahead of the server's clock"),
    ("bad_signature", bad_signature_other_message, "Ed25519 verification failed"),
    ("bad_signature", bad_signature_other_key, "Ed25519 verification failed"),
    ("unknown_key", unknown_key_not_the_bodys, "not a key of"),
    ("unknown_key", unknown_key_body_never_enrolled, "unknown body"),
    ("key_revoked", key_revoked_by_the_body_itself, "key revoked"),
    ("key_revoked", key_revoked_by_the_enrolling_ancestor, "key revoked"),
    ("key_not_yet_valid", key_not_yet_valid, "valid_from"),
    ("kind_not_allowed", kind_not_allowed_inspection_nominates, "inspection may not sign personnel.nominated"),
    ("kind_not_allowed", kind_not_allowed_cell_enrols, "cell may not sign body.enrolled"),
    ("kind_not_allowed", kind_not_allowed_revoking_a_stranger, "not self or enrolling ancestor"),
    ("outside_jurisdiction", outside_jurisdiction_other_district, "outside jurisdiction"),
    ("outside_jurisdiction", outside_jurisdiction_above, "outside jurisdiction"),
    ("outside_jurisdiction", outside_jurisdiction_name_prefix, "outside jurisdiction"),
    ("outside_jurisdiction", outside_jurisdiction_another_villages_person,
     "person p1 is kept at qng.bato.badien.lang-ma, outside qng.bato.badien.lang-khac/cell's jurisdiction"),
    ("replay", replay, "already in person:p1"),
    ("unknown_place", unknown_place_village, "place qng.bato.badien.lang-moi unknown"),
    ("unknown_place", unknown_place_parent, "parent qng.tunghia unknown"),
    ("unknown_place", unknown_place_residence, "residence unknown"),
    ("unknown_person", unknown_person_nominated, "person p-none unknown"),
    ("unknown_person", unknown_person_among_candidates, "person p-none unknown"),
    ("already_exists", already_exists_place, "place exists"),
    ("already_exists", already_exists_body, "body exists"),
    ("already_exists", already_exists_key_twice, "duplicate key"),
    ("unknown_event", unknown_event_wrong_hash, "is no event of the ledger"),
    ("unknown_event", unknown_event_dossier_id, "corrected event e4 is no event of the ledger"),
    ("not_own_event", not_own_event_the_communes_correction_of_the_cells,
     "was signed by qng.bato.badien.lang-ma/cell, not qng.bato.badien/committee"),
    ("not_own_event", not_own_event_another_villages_cell,
     "was signed by qng.bato.badien.lang-ma/cell, not qng.bato.badien.lang-khac/cell"),
    ("malformed", malformed_correction_of_a_correction, "is a correction"),
    ("malformed", malformed_corrected_facts_the_type_cannot_hold,
     "corrected facts do not fit candidates.agreed: candidates"),
    ("malformed", malformed_corrected_date_not_a_day, "facts.facts.date: '21/03/2022' is not a date"),
    ("malformed", malformed_corrected_date_no_such_day, "facts.facts.date: '2022-02-30' is not a date"),
]


def test_every_refusal_code_has_a_scenario() -> None:
    assert {code for code, _, _ in SCENARIOS} == set(REFUSALS)


@pytest.mark.parametrize(
    ("code", "scenario", "reason"), [pytest.param(code, fn, why, id=fn.__name__) for code, fn, why in SCENARIOS]
)
def test_refused_and_nothing_stored(world: Any, code: str, scenario: Scenario, reason: str) -> None:
    envelope, stream = scenario(world)
    refusal = assert_refused(world, envelope, code, stream=stream)
    assert reason in refusal.detail  # refused for this scenario's reason, not another of the same code


def test_a_refusal_is_not_stored_even_when_read_by_a_fresh_process(world: Any, backend: Any) -> None:
    profile_p1(world)
    assert_refused(world, nominate_p1(world, key=SigningKey.generate()), "unknown_key", stream=world.lang_ma)
    position = world.position()
    reopened = backend.open()
    assert reopened.recorder.max_notification_id() == position
    assert reopened.get_stream(world.lang_ma).version == world.version(world.lang_ma)


# -- the same envelopes, signed properly, are accepted ----------------------------------


def test_a_person_once_profiled_can_be_nominated(world: Any) -> None:
    position = world.position()
    [profiled] = world.accept(world.sign(world.cell, "person.profiled", world.lang_ma, PROFILE_P1))
    assert (profiled.stream, profiled.version, profiled.type) == ("person:p1", 1, "person.profiled")
    [nominated] = world.accept(nominate_p1(world))
    assert (nominated.stream, nominated.type) == (world.lang_ma, "personnel.nominated")
    assert nominated.version == 2  # after the village's registration
    assert [profiled.notification_id, nominated.notification_id] == [position + 1, position + 2]
    assert world.position() == position + 2


def test_another_villages_person_is_refused_in_vietnamese_naming_who_keeps_the_record(world: Any) -> None:
    envelope, stream = outside_jurisdiction_another_villages_person(world)
    refusal = assert_refused(world, envelope, "outside_jurisdiction", stream=stream)
    assert "'p1'" in refusal.message_vi and f"'{world.lang_ma}'" in refusal.message_vi, refusal.message_vi
    assert f"'{LANG_KHAC}'" in refusal.message_vi
    assert refusal.rule_since == "2026-12-05"  # a row stored before the rule is worded so by verify


def test_a_persons_record_is_kept_by_the_village_and_commune_and_moves_with_the_residence(world: Any) -> None:
    """The commune committee (above the village) updates p1, whatever the statement's place in
    the commune; Làng Mạ's cell moves p1 to Làng Khác, whose cell keeps p1 from then on beside
    Làng Mạ's (where p1 was first profiled)."""
    profile_p1(world)
    other = second_village(world)
    world.accept(world.sign(world.committee, "person.profiled", world.badien, {"person": "p1", "education": "thpt"}))
    world.accept(world.sign(world.committee, "person.profiled", world.lang_ma, {"person": "p1", "theory": "so_cap"}))
    world.accept(world.sign(world.committee, "person.profiled", LANG_KHAC, {"person": "p1", "theory": "trung_cap"}))
    assert_refused(world, world.sign(other, "person.profiled", LANG_KHAC, {"person": "p1", "education": "thcs"}),
                   "outside_jurisdiction", stream="person:p1")
    world.accept(world.sign(world.cell, "person.profiled", world.lang_ma, {"person": "p1", "residence": LANG_KHAC},
                            date="2022-03-21"))
    world.accept(world.sign(other, "person.profiled", LANG_KHAC, {"person": "p1", "education": "thcs"},
                            date="2022-03-22"))
    world.accept(world.sign(world.cell, "person.profiled", world.lang_ma, {"person": "p1", "education": "thpt"},
                            date="2022-03-23"))
    assert world.version("person:p1") == 7


def test_a_person_first_profiled_by_the_commune_is_kept_where_the_person_lives(world: Any) -> None:
    """The commune committee profiles p2 at commune level, living in Làng Mạ: Làng Mạ's cell
    may update p2, another village's cell may not."""
    other = second_village(world)
    world.accept(world.sign(world.committee, "person.profiled", world.badien,
                            {"person": "p2", "name": "Đinh Thị Hai", "born": "1980-01-01", "residence": world.lang_ma}))
    world.accept(world.sign(world.cell, "person.profiled", world.lang_ma, {"person": "p2", "education": "thcs"}))
    assert_refused(world, world.sign(other, "person.profiled", LANG_KHAC, {"person": "p2", "education": "thpt"}),
                   "outside_jurisdiction", stream="person:p2")


def test_a_key_valid_from_a_future_instant_signs_from_that_instant_on(
        world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    profile_p1(world)
    future = SigningKey.generate()
    world.accept(world.sign(world.cell, "key.rotated", world.lang_ma, {
        "body": world.cell, "key": {"public": future.public.b64, "valid_from": "2030-01-01T00:00:00Z"},
    }))
    just_before = datetime(2029, 12, 31, 23, 59, 59, tzinfo=UTC)
    at = datetime(2030, 1, 1, tzinfo=UTC)
    # Today, a statement dated 2030 is refused at the door: the new key cannot be used early by
    # dating a statement ahead.
    assert_refused(world, nominate_p1(world, key=future, signed_at=at), "signed_in_future", stream=world.lang_ma)
    monkeypatch.setattr(application, "utc_now", lambda: at)  # the server's clock reaches 2030
    assert_refused(world, nominate_p1(world, key=future, signed_at=just_before), "key_not_yet_valid",
                   stream=world.lang_ma)
    world.accept(nominate_p1(world, key=future, signed_at=at))
    world.accept(nominate_p1(world))  # the old key was not retired


def test_a_body_with_a_revoked_key_is_given_a_new_one_by_its_enroller(world: Any) -> None:
    profile_p1(world)
    old = world.keys[world.cell]
    world.accept(world.sign(world.cell, "key.revoked", world.lang_ma, {
        "body": world.cell, "key": old.public.key_id, "reason": "Lộ khóa",
    }))
    fresh = SigningKey.generate()
    world.accept(world.sign(world.root, "key.rotated", world.lang_ma, {
        "body": world.cell, "key": {"public": fresh.public.b64},
    }))
    world.accept(nominate_p1(world, key=fresh))
    assert_refused(world, nominate_p1(world, key=old, date="2022-03-21"), "key_revoked", stream=world.lang_ma)


def test_unsafe_text_is_named_in_vietnamese_with_its_place(world: Any) -> None:
    envelope, stream = malformed_name_right_to_left_override(world)
    refusal = assert_refused(world, envelope, "malformed", stream=stream)
    assert "facts.name" in refusal.message_vi and "U+202E" in refusal.message_vi, refusal.message_vi
    assert "ký tự ẩn" in refusal.message_vi


@pytest.mark.parametrize("name", ["Đinh Văn A", "Đinh Văn A".encode().decode(), "Y Bơ Nưl",
                                  "Nguye\u0302\u0303n Va\u0306n A"])  # combining marks (NFD) are letters, not hidden text
def test_vietnamese_names_in_any_normal_form_are_accepted(world: Any, name: str) -> None:
    world.accept(world.sign(world.cell, "person.profiled", world.lang_ma, PROFILE_P1 | {"name": name}))


def test_free_text_keeps_its_lines_and_tabs(world: Any) -> None:
    profile_p1(world)
    world.accept(world.sign(world.cell, "key.revoked", world.lang_ma, {
        "body": world.cell, "key": world.keys[world.cell].public.key_id,
        "reason": "Lộ khóa:\r\n\t- máy tính bị mất;\n\t- đã báo Huyện ủy.",
    }))


def test_a_clock_a_few_minutes_fast_is_tolerated_and_the_refusal_says_by_how_much(world: Any) -> None:
    from ledger.application import SIGNED_AT_SKEW
    profile_p1(world)
    now = datetime.now(UTC)
    world.accept(nominate_p1(world, signed_at=now + SIGNED_AT_SKEW - timedelta(minutes=1)))
    refusal = assert_refused(world, nominate_p1(world, signed_at=now + timedelta(hours=7, minutes=3)),
                             "signed_in_future", stream=world.lang_ma)
    assert " 7 giờ 3 phút" in refusal.message_vi or " 7 giờ 4 phút" in refusal.message_vi, refusal.message_vi
    assert "giờ Việt Nam đã bị ghi như giờ UTC" in refusal.message_vi and "10 phút" in refusal.message_vi
    a_year_ahead = assert_refused(world, nominate_p1(world, signed_at=now + timedelta(days=400)), "signed_in_future",
                                  stream=world.lang_ma).message_vi
    assert "400 ngày" in a_year_ahead and "đồng hồ của máy ký đang chạy nhanh" in a_year_ahead
    just_over = assert_refused(world, nominate_p1(world, signed_at=now + timedelta(minutes=10, seconds=50)),
                               "signed_in_future", stream=world.lang_ma).message_vi
    assert " 11 phút, quá mức cho phép 10 phút" in just_over and "giờ Việt Nam" not in just_over, just_over


# -- replays ---------------------------------------------------------------------------


def test_replay_within_one_batch(world: Any) -> None:
    envelope = world.sign(world.cell, "person.profiled", world.lang_ma, PROFILE_P1)
    position = world.position()
    first, second = world.submit([envelope, envelope])
    assert isinstance(first, Receipt)
    assert isinstance(second, Refused)
    assert second.code == "replay"
    assert has_vietnamese_diacritics(second.message_vi)
    assert world.position() == position + 1
    assert world.version("person:p1") == 1


def test_replay_in_a_later_call(world: Any) -> None:
    envelope = world.sign(world.cell, "person.profiled", world.lang_ma, PROFILE_P1)
    [receipt] = world.accept(envelope)
    assert_refused(world, envelope, "replay", stream="person:p1")
    # The same bytes as JSON text are the same envelope.
    assert_refused(world, orjson.dumps(envelope), "replay", stream="person:p1")
    assert world.version("person:p1") == receipt.version == 1


def test_the_same_fact_signed_again_later_is_not_a_replay(world: Any) -> None:
    """Replay means byte-identical: a new signing time makes a new envelope."""
    profile_p1(world)
    world.accept(nominate_p1(world, signed_at=datetime(2022, 3, 20, 8, tzinfo=UTC)))
    world.accept(nominate_p1(world, signed_at=datetime(2022, 3, 20, 9, tzinfo=UTC)))


# -- batches ---------------------------------------------------------------------------


def test_a_batch_is_judged_in_order_and_stores_only_what_it_accepts(world: Any) -> None:
    """Enrol the commune front; an unknown nomination; the new front's first observation."""
    front, front_key = "qng.bato.badien/front", SigningKey.generate()
    enrol = world.enrolment(world.root, front, "commune_front", "Ban Thường trực UBMTTQ xã Ba Điền",
                            world.badien, front_key)
    bad = world.sign(world.cell, "personnel.nominated", world.lang_ma, {"person": "p-none"})
    observe = world.sign(front, "front.observation", world.badien,
                         {"about": [world.lang_ma], "finding": "Niêm yết đúng hạn", "severity": "info"},
                         key=front_key)
    position, village, commune = world.position(), world.version(world.lang_ma), world.version(world.badien)

    enrolled, refused, observed = world.submit([enrol, bad, observe])

    assert isinstance(enrolled, Receipt)
    assert (enrolled.stream, enrolled.version, enrolled.type) == (front, 1, "body.enrolled")
    assert isinstance(refused, Refused)
    assert refused.code == "unknown_person"
    assert isinstance(observed, Receipt)
    assert (observed.stream, observed.type) == (world.badien, "front.observation")
    assert observed.version == commune + 1
    assert {enrolled.notification_id, observed.notification_id} == {position + 1, position + 2}
    assert world.position() == position + 2
    assert world.version(world.lang_ma) == village  # the refused nomination left no trace
    assert world.version(front) == 1


def test_a_batch_is_logged_in_the_order_it_was_accepted(world: Any) -> None:
    """The log is replayed in order by the audit: a dependency must sit before what needs it."""
    front, front_key = "qng.bato.badien/front", SigningKey.generate()
    enrol = world.enrolment(world.root, front, "commune_front", "Mặt trận xã Ba Điền", world.badien, front_key)
    observe = world.sign(front, "front.observation", world.badien,
                         {"about": [world.lang_ma], "finding": "Đúng quy trình", "severity": "info"},
                         key=front_key)
    position = world.position()
    enrolled, observed = world.accept(enrol, observe)
    assert [enrolled.notification_id, observed.notification_id] == [position + 1, position + 2]


def test_in_a_batch_a_dependency_must_come_first(world: Any) -> None:
    front, front_key = "qng.bato.badien/front", SigningKey.generate()
    enrol = world.enrolment(world.root, front, "commune_front", "Mặt trận xã Ba Điền", world.badien, front_key)
    observe = world.sign(front, "front.observation", world.badien,
                         {"about": [world.lang_ma], "finding": "Đúng quy trình", "severity": "info"},
                         key=front_key)
    position = world.position()
    too_early, enrolled = world.submit([observe, enrol])
    assert isinstance(too_early, Refused)
    assert too_early.code == "unknown_key"
    assert isinstance(enrolled, Receipt)
    assert world.position() == position + 1


def test_a_batch_of_refusals_stores_nothing(world: Any) -> None:
    position = world.position()
    results = world.submit([
        world.sign(world.cell, "personnel.nominated", world.lang_ma, {"person": "p-none"}),
        world.sign(world.standing, "waiver.granted", world.sontinh, WAIVER_P1),
        b"{}",
    ])
    assert [r.code for r in results if isinstance(r, Refused)] == [
        "unknown_person", "outside_jurisdiction", "malformed",
    ]
    assert world.position() == position


# -- genesis ---------------------------------------------------------------------------


def _root_enrolment(key: SigningKey, *, body: str = "qng/root", facts_id: str | None = None,
                    kind: str = "root", signer: SigningKey | None = None) -> Envelope:
    """The genesis statement: a root body enrolling itself, self-signed."""
    return seal(signer or key, body, {
        "type": "body.enrolled", "place": "qng", "date": "2022-01-01",
        "facts": {"id": facts_id or body, "kind": kind, "name": "Ban tổ chức tỉnh", "jurisdiction": "qng",
                  "keys": [{"public": key.public.b64}]},
    })


def test_on_an_empty_ledger_only_the_roots_self_enrolment_comes_first(backend: Any) -> None:
    ledger = backend.empty()
    assert ledger.is_empty()
    root_key = SigningKey.generate()
    not_first = {
        "a cell enrolling itself": _root_enrolment(root_key, body="qng/cell", kind="cell"),
        "a root signing with a key it does not list": _root_enrolment(root_key, signer=SigningKey.generate()),
        "a root enrolled in another body's name": _root_enrolment(root_key, body="qng/other", facts_id="qng/root"),
        "a place before any body": seal(root_key, "qng/root", {
            "type": "place.registered", "place": "qng", "date": "2022-01-01",
            "facts": {"id": "qng", "name": "Tỉnh Quảng Ngãi", "kind": "province"},
        }),
    }
    for story, envelope in not_first.items():
        [result] = ledger.submit([envelope])
        assert isinstance(result, Refused), story
        assert result.code == "unknown_key", (story, result.code)
        assert has_vietnamese_diacritics(result.message_vi), story
        assert ledger.is_empty(), story
        assert ledger.get_stream("qng/root") is None

    cell_first, genesis = ledger.submit([not_first["a cell enrolling itself"], _root_enrolment(root_key)])
    assert isinstance(cell_first, Refused)
    assert cell_first.code == "unknown_key"
    assert isinstance(genesis, Receipt)
    assert (genesis.stream, genesis.version, genesis.notification_id) == ("qng/root", 1, 1)

    # Once there is a root, a second self-enrolled root is a stranger.
    [second_root] = ledger.submit([_root_enrolment(SigningKey.generate(), body="qng/root2")])
    assert isinstance(second_root, Refused)
    assert second_root.code == "unknown_key"
    assert ledger.recorder.max_notification_id() == 1


@pytest.mark.parametrize(("body", "type_", "place", "facts"), [
    ("committee", "election.ordered", "badien", {"election_date": "2022-05-15", "decision": "12/QĐ-UBND"}),
    ("committee", "head.acting_appointed", "badien", {"person": "p1", "until": "2022-06-30"}),
    ("standing", "waiver.granted", "bato",
     {"person": "p1", "criteria": ["theory"], "reason": "Đang học", "deadline": "2022-12-31"}),
    ("inspection", "inspection.finding", "bato", {"about": ["qng.bato.badien.lang-ma"],
                                                   "finding": "Đúng quy trình", "conclusion": "Không vi phạm"}),
])
def test_an_event_only_a_villages_record_reads_is_refused_about_a_commune_or_district(
        world: Any, body: str, type_: str, place: str, facts: dict[str, Any]) -> None:
    """A commune committee's one order for every village of the commune, a district's waiver stated about the
    district: each was taken with a receipt, and no village's record (its own stream) ever read it, so every
    village's verdict was judged as if it did not exist. Refused now (the rule of 2026-12-06), saying to state
    one for each village; stated about the village, the same event is taken."""
    from ledger.correction import SINCE

    profile_p1(world)
    about = getattr(world, place)
    refusal = assert_refused(world, world.sign(getattr(world, body), type_, about, facts), "malformed", stream=about)
    assert refusal.rule_since == SINCE
    said = " ".join(refusal.message_vi.split())
    assert f"'{about}' là {'xã' if place == 'badien' else 'huyện'}" in said and "mỗi thôn" in said, said
    world.accept(world.sign(getattr(world, body), type_, world.lang_ma, facts))
