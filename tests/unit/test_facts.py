"""Every event type's facts: what each accepts, what it refuses, and whom it names.

The shapes are judged where ingest judges them — ``parse_envelope`` on a really signed
envelope — so a refusal here is the ``malformed`` a submitter gets, with the field path
in its Vietnamese message. The last scenario stores one real event of every type in a
ledger (SQLite and PostgreSQL), after refusing each with an undeclared person in every
place a person can be named.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from ledger.application import Receipt
from ledger.catalogue import EVENT_TYPES, person_ref_paths, person_refs, signers_on
from ledger.envelope import parse_envelope, seal
from ledger.errors import Refused
from ledger.signing import SigningKey
from schemas.facts import FACTS_MODELS

KEY = SigningKey.generate()
OTHER = SigningKey.generate()
CELL = "qng.bato.badien.lang-ma/cell"
LANG_MA = "qng.bato.badien.lang-ma"
HASH = "4da3ccb5ce74ec9b5055ac8470f5870df9fcd97e00538b265617f680761478fe"

#: A valid example of every type's facts (the people are p1, p2, p3).
EXAMPLES: dict[str, dict[str, Any]] = {
    "place.registered": {"id": "qng.bato.badien.lang-moi", "name": "Thôn Làng Mới", "kind": "thon"},
    "body.enrolled": {"id": "qng.bato.badien/front", "kind": "commune_front", "name": "Ban Thường trực UBMTTQ xã",
                      "jurisdiction": "qng.bato.badien", "keys": [{"public": OTHER.public.b64}]},
    "key.rotated": {"body": CELL, "key": {"public": OTHER.public.b64, "valid_from": "2022-01-01T00:00:00Z"}},
    "key.revoked": {"body": CELL, "key": OTHER.public.key_id, "reason": "Lộ khóa"},
    "person.profiled": {"person": "p9", "name": "Đinh Văn A", "born": "1975-02-01", "residence": LANG_MA,
                        "party": {"status": "full", "since": "2001-05-19"}, "education": "thcs", "theory": "so_cap"},
    "personnel.nominated": {"person": "p1"},
    "waiver.granted": {"person": "p1", "criteria": ["education", "theory"], "reason": "Vùng đặc biệt khó khăn",
                       "deadline": "2024-12-31"},
    "election.ordered": {"election_date": "2022-05-15", "decision": "45/QĐ-UBND"},
    "candidates.drafted": {"candidates": ["p1", "p2"]},
    "candidates.agreed": {"candidates": ["p1"]},
    "candidates.finalised": {"candidates": ["p1", "p2"]},
    "election.team_formed": {"members": ["p3", "p2"], "leader": "p3", "decision": "52/QĐ-UBND"},
    "election.notice_posted": {"where": "Nhà văn hóa thôn", "how": "Niêm yết, loa truyền thanh"},
    "election.counted": {"electorate": "households", "electorate_total": 310, "attending": 216,
                         "ballots_issued": 216, "ballots_returned": 216, "valid": 210, "invalid": 6,
                         "votes": {"p1": 170, "p2": 40}, "method": "secret_ballot", "received": "2022-05-16",
                         "witnesses": ["Đinh Văn Rớt"], "elected": "p1"},
    "election.recognised": {"person": "p1", "decision": "61/QĐ-UBND", "term_years": "2.5"},
    "election.rerun_ordered": {"reason": "Không ai quá nửa số hộ", "new_date": "2022-05-29"},
    "head.acting_appointed": {"person": "p2", "until": "2022-06-30"},
    "head.removal_recognised": {"person": "p1", "cause": "recalled", "petition_share": "0.52",
                                "requested": "2023-02-01"},
    "front.head_chosen": {"person": "p3"},
    "congress.held": {"full_members": 12, "probationary_members": 1, "summoned": 12,
                      "excluded": {"transferred": 1, "absent_approved": 0}, "present": 11},
    "congress.counted": {"office": "committee", "round": 1, "seats": 3, "votes": {"p1": 10, "p2": 9, "p3": 2},
                         "separate": True, "secret": True, "ballots_full": 11, "ballots_probationary": 0,
                         "elected": ["p1", "p2"]},
    "congress.reported": {},
    "congress.approved": {"decision": "88-QĐ/ĐU", "secretary": "p1", "deputy": "p2", "committee": ["p1", "p2"]},
    "congress.annulled": {"decision": "89-QĐ/ĐU", "reason": "Bầu bí thư không bằng phiếu riêng"},
    "congress.appointed": {"office": "secretary", "person": "p1", "decision": "90-QĐ/ĐU"},
    "training.completed": {"person": "p1", "course": "pre_election"},
    "front.observation": {"about": [HASH, LANG_MA], "finding": "Kiểm phiếu công khai", "severity": "info"},
    "inspection.finding": {"about": [LANG_MA], "finding": "Đúng quy trình", "conclusion": "Không vi phạm"},
    "correction.recorded": {"corrects": HASH, "reason": "Cộng nhầm", "facts": {"valid": 211, "votes": {"p2": 41}}},
    "attendance.planned": {"member": "p3", "level": "district", "year": 2022, "cells": [LANG_MA]},
    "attendance.recorded": {"member": "p3", "level": "district", "meeting_date": "2022-07-05", "cell": LANG_MA},
    "attendance.reported": {"attendance": HASH, "report_date": "2022-07-06"},
}

#: Where each type names people (``ledger.catalogue.person_ref_paths``).
PERSON_PATHS: dict[str, list[str]] = {
    "personnel.nominated": ["person"],
    "waiver.granted": ["person"],
    "candidates.drafted": ["candidates[0]", "candidates[1]"],
    "candidates.agreed": ["candidates[0]"],
    "candidates.finalised": ["candidates[0]", "candidates[1]"],
    "election.team_formed": ["leader", "members[0]", "members[1]"],
    "election.counted": ["elected", "votes.p1", "votes.p2"],
    "election.recognised": ["person"],
    "head.acting_appointed": ["person"],
    "head.removal_recognised": ["person"],
    "front.head_chosen": ["person"],
    "congress.counted": ["elected[0]", "elected[1]", "votes.p1", "votes.p2", "votes.p3"],
    "congress.approved": ["secretary", "deputy", "committee[0]", "committee[1]"],
    "congress.appointed": ["person"],
    "training.completed": ["person"],
    "correction.recorded": ["facts.votes.p2"],
    "attendance.planned": ["member"],
    "attendance.recorded": ["member"],
}


def envelope(event_type: str, facts: Any) -> dict[str, Any]:
    return seal(KEY, CELL, {"type": event_type, "place": LANG_MA, "date": "2022-05-15", "facts": facts})


def refused(event_type: str, facts: Any) -> Refused:
    with pytest.raises(Refused) as caught:
        parse_envelope(envelope(event_type, facts))
    assert caught.value.code == "malformed"
    return caught.value


def model_refuses(event_type: str, facts: Any) -> str:
    """The path of the first error (for values seal itself refuses, like floats)."""
    with pytest.raises(ValidationError) as caught:
        FACTS_MODELS[event_type].model_validate(facts)
    return ".".join(str(p) for p in caught.value.errors()[0]["loc"])


def with_value(facts: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``facts`` with ``a.b`` set to ``value``."""
    out = copy.deepcopy(facts)
    *parents, last = path.split(".")
    target = out
    for name in parents:
        target = target[name]
    target[last] = value
    return out


def without(facts: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in facts.items() if k != name}


# -- one model and one example per type ----------------------------------------------


def test_every_type_in_the_catalogue_has_a_model_and_an_example() -> None:
    assert set(FACTS_MODELS) == set(EVENT_TYPES) == set(EXAMPLES)


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_a_valid_example_is_accepted_and_typed(event_type: str) -> None:
    env = parse_envelope(envelope(event_type, EXAMPLES[event_type]))
    assert isinstance(env.facts, FACTS_MODELS[event_type])
    assert env.statement.facts == EXAMPLES[event_type]


REQUIRED = [(t, name) for t, model in sorted(FACTS_MODELS.items())
            for name, info in model.model_fields.items() if info.is_required()]


def test_every_type_but_the_report_has_required_facts() -> None:
    assert {t for t, _ in REQUIRED} == set(FACTS_MODELS) - {"congress.reported"}


@pytest.mark.parametrize(("event_type", "name"), REQUIRED, ids=[f"{t}-{n}" for t, n in REQUIRED])
def test_a_missing_required_field_is_refused_naming_it(event_type: str, name: str) -> None:
    refusal = refused(event_type, without(EXAMPLES[event_type], name))
    assert refusal.detail.startswith(f"facts.{name}:"), refusal.detail
    assert f"facts.{name}" in refusal.message_vi and "Dữ kiện sai cấu trúc" in refusal.message_vi


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_an_unknown_field_is_refused(event_type: str) -> None:
    refusal = refused(event_type, EXAMPLES[event_type] | {"nguoi_ky": "p1"})
    assert refusal.detail.startswith("facts.nguoi_ky:")


def test_a_free_note_is_allowed_on_process_facts() -> None:
    parse_envelope(envelope("personnel.nominated", {"person": "p1", "note": "Theo biên bản số 3"}))


# -- counts are whole numbers, strictly --------------------------------------------------

COUNTS = [
    ("election.counted", "electorate_total"), ("election.counted", "attending"),
    ("election.counted", "ballots_issued"), ("election.counted", "ballots_returned"),
    ("election.counted", "valid"), ("election.counted", "invalid"), ("election.counted", "votes.p1"),
    ("congress.held", "full_members"), ("congress.held", "probationary_members"), ("congress.held", "summoned"),
    ("congress.held", "present"), ("congress.held", "excluded.transferred"),
    ("congress.counted", "round"), ("congress.counted", "seats"), ("congress.counted", "votes.p1"),
    ("congress.counted", "ballots_full"), ("congress.counted", "ballots_probationary"),
    ("attendance.planned", "year"),
]


@pytest.mark.parametrize(("event_type", "path"), COUNTS)
@pytest.mark.parametrize("value", ["12", True, False, -1, None, [12]], ids=repr)
def test_a_count_that_is_not_a_whole_number_is_refused(event_type: str, path: str, value: Any) -> None:
    refusal = refused(event_type, with_value(EXAMPLES[event_type], path, value))
    assert refusal.detail.startswith(f"facts.{path}:"), refusal.detail


@pytest.mark.parametrize(("event_type", "path"), COUNTS)
@pytest.mark.parametrize("value", [1.5, 12.0])
def test_a_decimal_count_is_refused(event_type: str, path: str, value: float) -> None:
    # Ingest refuses any float before the model sees it (ledger.envelope); the model
    # refuses it too, for dossiers.
    with pytest.raises(Refused, match="thập phân"):
        envelope(event_type, with_value(EXAMPLES[event_type], path, value))
    assert model_refuses(event_type, with_value(EXAMPLES[event_type], path, value)) == path


def test_round_and_seats_start_at_one() -> None:
    for name in ("round", "seats"):
        assert refused("congress.counted", EXAMPLES["congress.counted"] | {name: 0}).detail.startswith(f"facts.{name}")


# -- enumerations, exactly as EVENTS.md spells them -----------------------------------------

ENUMS = [
    ("election.counted", "electorate", "people", ["households", "voters"]),
    ("election.counted", "method", "raise_hands", ["show_of_hands", "secret_ballot"]),
    ("congress.counted", "office", "chairman", ["committee", "secretary", "deputy"]),
    ("congress.appointed", "office", "Secretary", ["committee", "secretary", "deputy"]),
    ("head.removal_recognised", "cause", "died", ["resigned", "recalled"]),
    ("training.completed", "course", "cooking",
     ["party_work", "mass_mobilisation", "state_management", "role_head", "role_secretary", "pre_election"]),
    ("person.profiled", "education", "phd", ["none", "tieu_hoc", "thcs", "thpt", "trung_cap", "cao_dang", "dai_hoc"]),
    ("person.profiled", "theory", "tien_si", ["none", "so_cap", "trung_cap", "cao_cap"]),
    ("person.profiled", "party.status", "member", ["full", "probationary", "none"]),
    ("front.observation", "severity", "critical", ["info", "warning", "breach"]),
    ("attendance.recorded", "level", "national", ["commune", "district", "province", "commune_official"]),
    ("attendance.planned", "level", "ward", ["commune", "district", "province", "commune_official"]),
]


@pytest.mark.parametrize(("event_type", "path", "bad", "good"), ENUMS, ids=[f"{e[0]}-{e[1]}" for e in ENUMS])
def test_enumerations_take_exactly_their_values(event_type: str, path: str, bad: str, good: list[str]) -> None:
    assert refused(event_type, with_value(EXAMPLES[event_type], path, bad)).detail.startswith(f"facts.{path}:")
    for value in good:
        parse_envelope(envelope(event_type, with_value(EXAMPLES[event_type], path, value)))


def test_excluded_causes_are_the_four_of_the_rule() -> None:
    held = EXAMPLES["congress.held"]
    for cause in ("transferred", "exempt_absent", "suspended", "absent_approved"):
        parse_envelope(envelope("congress.held", held | {"excluded": {cause: 2}}))
    assert refused("congress.held", held | {"excluded": {"sick": 1}}).detail.startswith("facts.excluded.sick:")


def test_waiver_criteria_are_education_or_theory_only() -> None:
    waiver = EXAMPLES["waiver.granted"]
    for criteria in (["age"], ["party"], [], "education", ["theory", "theory"]):
        refused("waiver.granted", waiver | {"criteria": criteria})


# -- other shapes ---------------------------------------------------------------------------

WRONG = [
    ("candidates.agreed", "candidates", "p1"),
    ("candidates.agreed", "candidates", ["p1", "p1"]),
    ("candidates.drafted", "candidates", ["P1"]),
    ("election.counted", "votes", [["p1", 170]]),
    ("election.counted", "votes", {"Đinh Văn A": 3}),
    ("election.counted", "received", "16/05/2022"),
    ("election.counted", "household_ballots", "yes"),
    ("election.ordered", "election_date", "2022-02-30"),
    ("election.ordered", "decision", ""),
    ("election.recognised", "term_years", "2,5"),
    ("head.removal_recognised", "petition_share", "1.5"),
    ("congress.counted", "separate", "true"),
    ("congress.counted", "secret", 1),
    ("congress.approved", "committee", None),
    ("front.observation", "about", []),
    ("front.observation", "about", ["Thôn Làng Mạ"]),
    ("correction.recorded", "corrects", "ABC DEF"),
    ("correction.recorded", "facts", {}),
    ("attendance.reported", "attendance", "e" * 70),
    ("attendance.recorded", "cell", "Làng Mạ"),
    ("personnel.nominated", "person", 7),
]


@pytest.mark.parametrize(("event_type", "name", "value"), WRONG, ids=[f"{t}-{n}-{v!r}" for t, n, v in WRONG])
def test_a_value_of_the_wrong_shape_is_refused(event_type: str, name: str, value: Any) -> None:
    refusal = refused(event_type, EXAMPLES[event_type] | {name: value})
    assert refusal.detail.startswith(f"facts.{name}"), refusal.detail


def test_a_secret_ballot_carries_its_ballot_figures_a_show_of_hands_need_not() -> None:
    count = without(without(EXAMPLES["election.counted"], "ballots_issued"), "valid")
    refusal = refused("election.counted", count)
    assert refusal.detail == "facts.ballots_issued: a secret ballot's minutes need ballots_issued"
    parse_envelope(envelope("election.counted", count | {"method": "show_of_hands"}))


def test_fractions_are_decimal_strings() -> None:
    for term in ("2.5", 5, "5"):
        env = parse_envelope(envelope("election.recognised", EXAMPLES["election.recognised"] | {"term_years": term}))
        assert isinstance(env.facts, BaseModel)
    assert model_refuses("election.recognised", EXAMPLES["election.recognised"] | {"term_years": 2.5}) == "term_years"


def test_an_approval_may_name_no_secretary_deputy_or_committee() -> None:
    parse_envelope(envelope("congress.approved", {"decision": "1-QĐ/ĐU", "secretary": "p1", "deputy": None,
                                                  "committee": []}))
    parse_envelope(envelope("congress.approved", {"decision": "1-QĐ/ĐU"}))


def test_about_and_corrects_take_hashes_dossier_ids_and_places() -> None:
    parse_envelope(envelope("front.observation", EXAMPLES["front.observation"] | {"about": ["e10", HASH, LANG_MA]}))
    parse_envelope(envelope("correction.recorded", EXAMPLES["correction.recorded"] | {"corrects": "e10"}))


# -- whom the facts name ----------------------------------------------------------------------


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_person_references_are_found_wherever_a_type_names_people(event_type: str) -> None:
    paths = [path for path, _ in person_ref_paths(event_type, EXAMPLES[event_type])]
    assert sorted(paths) == sorted(PERSON_PATHS.get(event_type, []))
    assert list(person_refs(event_type, EXAMPLES[event_type])) == [
        p for _, p in person_ref_paths(event_type, EXAMPLES[event_type])]


# -- through a real ledger ------------------------------------------------------------------------

#: Bodies the conftest world lacks, enrolled by the root for this scenario.
EXTRA_BODIES = (
    ("qng.bato.badien.lang-ma/front", "village_front", "Ban công tác Mặt trận thôn Làng Mạ", LANG_MA),
    ("qng.bato.badien.lang-ma/team", "election_team", "Tổ bầu cử thôn Làng Mạ", LANG_MA),
    ("qng.bato.badien/front", "commune_front", "Ban Thường trực UBMTTQ xã Ba Điền", "qng.bato.badien"),
    ("qng.bato.badien/party", "commune_party", "Đảng ủy xã Ba Điền", "qng.bato.badien"),
    ("qng.bato/training", "training_center", "Trung tâm Chính trị huyện Ba Tơ", "qng.bato"),
)


def _signer(world: Any, event_type: str) -> str:
    kinds = {kind: body for body, kind, _, _ in EXTRA_BODIES} | {
        "cell": world.cell, "commune_committee": world.committee, "district_standing": world.standing,
        "inspection": world.inspection}
    # A kind entitled on the day the world signs (2022-03-20): not yet the commune party's waiver (RULES.md Q3).
    return next(kinds[k] for k in signers_on(event_type, date(2022, 3, 20)) if k in kinds)


def _replace_ref(facts: dict[str, Any], path: str, person: str) -> dict[str, Any]:
    """``facts`` with the person named at ``path`` (``votes.p1``, ``committee[1]``) replaced."""
    out = copy.deepcopy(facts)
    *parents, last = path.split(".")
    target = out
    for name in parents:
        target = target[name]
    if last.endswith("]"):
        name, index = last[:-1].split("[")
        target[name][int(index)] = person
    elif parents and parents[-1] == "votes":  # a key of the votes mapping
        target[person] = target.pop(last)
    else:
        target[last] = person
    return out


def test_every_type_is_stored_and_an_undeclared_person_anywhere_is_refused(world: Any) -> None:
    for body, kind, name, jurisdiction in EXTRA_BODIES:
        key = SigningKey.generate()
        world.accept(world.enrolment(world.root, body, kind, name, jurisdiction, key))
        world.keys[body] = key
    world.accept(*(world.sign(world.cell, "person.profiled", LANG_MA, {"person": p, "name": f"Người {p}"})
                   for p in ("p1", "p2", "p3")))
    # Last, a correction: of the count stored above, by its own signer (an event of the ledger, the
    # signer's own: ``ledger.correction``), whose example facts are a count's.
    process = [t for t in sorted(EXAMPLES) if t not in
               ("place.registered", "body.enrolled", "key.rotated", "key.revoked", "correction.recorded")]
    stored: dict[str, str] = {}
    for event_type in [*process, "correction.recorded"]:
        body, facts = _signer(world, event_type), EXAMPLES[event_type]
        if event_type == "correction.recorded":
            body, facts = _signer(world, "election.counted"), facts | {"corrects": stored["election.counted"]}
        for path in PERSON_PATHS.get(event_type, []):
            stranger = _replace_ref(facts, path, "p-none")
            assert "p-none" in list(person_refs(event_type, stranger)), (event_type, path)
            position = world.position()
            [result] = world.submit([world.sign(body, event_type, LANG_MA, stranger)])
            assert isinstance(result, Refused), (event_type, path)
            assert (result.code, result.detail) == ("unknown_person", "person p-none unknown"), (event_type, path)
            assert world.position() == position, "a refused envelope was stored"
        [receipt] = world.accept(world.sign(body, event_type, LANG_MA, facts))
        assert isinstance(receipt, Receipt) and receipt.type == event_type
        stored[event_type] = receipt.hash


def test_the_schemas_body_kinds_are_the_catalogues() -> None:
    """``schemas.facts.BodyKind`` (a Literal, for pydantic and the JSON Schema files) and
    ``ledger.catalogue.BODY_KINDS`` (the signer table's rows) name the same kinds, in order."""
    from typing import get_args

    from ledger.catalogue import BODY_KINDS, SIGNERS
    from schemas.facts import BodyKind

    assert get_args(BodyKind) == BODY_KINDS
    assert set().union(*SIGNERS.values()) == set(BODY_KINDS)
