"""The term generator (cli/synth.py): every scenario is a valid dossier of a realistic Ba Tơ term, the
compliant one passes every rule, each breach flag breaks the rule it names, and a seed fixes it all."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest

from cli.demo_term import assign_scenarios, demo_villages
from cli.synth import (
    BREACHES,
    COMPLIANT,
    ELECTION_DAY,
    Scenario,
    VillageInfo,
    dossier_bytes,
    generate_term,
    province_villages,
    random_scenario,
    seeded,
)
from ledger.rules import judge, record_from_dossier
from ledger.rules.calendar import add_months, add_working_days
from schemas.dossier import load_dossier

THON = VillageInfo("qng.bato.badien.lang-ma", "Thôn Làng Mạ", "thon", "Xã Ba Điền", "Huyện Ba Tơ")
TDP = VillageInfo("qng.bato.thitran.tdp-2", "Tổ dân phố 2", "tdp", "Thị trấn Ba Tơ", "Huyện Ba Tơ")
LATER = date(2026, 1, 1)  # every deadline of the 2022–2025 term has passed
SEEDS = range(12)
PAIRS = [Scenario.of(a, b) for a, b in itertools.combinations(sorted(BREACHES), 2)
         if {a, b} != {"missing_waiver", "late_waiver"}]


def term(scenario: Scenario = COMPLIANT, seed: int = 0, village: VillageInfo = THON) -> dict[str, Any]:
    return generate_term(village, seeded(seed, village.id), scenario)


def verdict(doc: dict[str, Any], as_of: date = LATER) -> dict[str, Any]:
    return judge(record_from_dossier(load_dossier(dossier_bytes(doc))), as_of)


def statuses(result: dict[str, Any], rule: str) -> set[str]:
    return {c["status"] for c in result["checks"] if c["rule"] == rule}


def events(doc: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [e for e in doc["events"] if e["type"] == type_]


def day(event: dict[str, Any], key: str = "date") -> date:
    return date.fromisoformat(event[key])


@pytest.mark.parametrize("scenario", [COMPLIANT, *(Scenario.of(f) for f in sorted(BREACHES)), *PAIRS], ids=str)
def test_every_scenario_is_a_valid_dossier(scenario: Scenario) -> None:
    for seed, village in itertools.product(range(4), (THON, TDP)):
        dossier = load_dossier(dossier_bytes(term(scenario, seed, village)))  # raises DossierError if not
        assert dossier.village.id == village.id


def test_the_compliant_term_passes_every_rule() -> None:
    for seed, village in itertools.product(SEEDS, (THON, TDP)):
        result = verdict(term(COMPLIANT, seed, village))
        broken = [(c["rule"], c["status"], c["detail"]) for c in result["checks"]
                  if c["status"] not in ("pass", "not_applicable", "waived")]
        assert (result["verdict"], broken) == ("compliant", []), (seed, village.id)
        assert result["rulesets"] == ["vn-2008", "party-2014", "qn-bato-2022"]
        assert result["same_person"] in ("secretary", "deputy")


@pytest.mark.parametrize(("flag", "rule", "status"), [(f, *BREACHES[f]) for f in sorted(BREACHES)],
                         ids=[f"{f}-{BREACHES[f][0]}" for f in sorted(BREACHES)])
def test_each_breach_flag_breaks_the_rule_it_names(flag: str, rule: str, status: str) -> None:
    for seed in SEEDS:
        result = verdict(term(Scenario.of(flag), seed))
        assert status in statuses(result, rule), (seed, [c for c in result["checks"] if c["rule"] == rule])
        assert result["verdict"] == ("violations" if status == "fail" else "compliant")


@pytest.mark.parametrize("scenario", PAIRS, ids=str)
def test_breach_flags_combine(scenario: Scenario) -> None:
    result = verdict(term(scenario, 3))
    for flag in scenario.breaches:
        rule, status = BREACHES[flag]
        assert status in statuses(result, rule), flag


def test_only_the_named_rules_break() -> None:
    """Beside its own rule, a flag breaks only what the rules say must follow from it."""
    follows = {"missing_waiver": {"P-CRITERIA", "P-LEAD-TIME"},  # the shortfall stands unexcused
               "missing_approval": {"P-SAME-PERSON"}}  # pending while the result is not approved
    for flag, (rule, _status) in BREACHES.items():
        for seed in SEEDS:
            result = verdict(term(Scenario.of(flag), seed))
            off = {c["rule"] for c in result["checks"] if c["status"] not in ("pass", "not_applicable", "waived")}
            assert off == {rule} | follows.get(flag, set()), (flag, seed)


def test_a_missing_approval_is_pending_until_its_deadline_then_fails() -> None:
    doc = term(Scenario.of("missing_approval"), 5)
    report = day(events(doc, "congress.reported")[0])
    due = add_working_days(report, 15).end
    assert statuses(verdict(doc, due), "C-APPROVE") == {"pending"}
    assert statuses(verdict(doc, due + timedelta(days=1)), "C-APPROVE") == {"fail"}
    assert verdict(doc, due)["verdict"] == "incomplete"


def test_the_same_seed_gives_the_same_dossier_and_another_seed_another() -> None:
    for scenario in (COMPLIANT, Scenario.of("tie", "late_recognition")):
        assert dossier_bytes(term(scenario, 42)) == dossier_bytes(term(scenario, 42))
        assert term(scenario, 42) != term(scenario, 43)
    assert [str(random_scenario(seeded(1, i))) for i in range(50)] == \
        [str(random_scenario(seeded(1, i))) for i in range(50)]


def test_a_term_looks_like_ba_to_in_2022() -> None:
    for seed in SEEDS:
        doc = term(COMPLIANT, seed)
        people = {p["id"]: p for p in doc["people"]}
        assert all(pid.startswith(f"{THON.id}.p") for pid in people)  # unique across villages
        # Vietnamese names, written with their diacritics: "Đinh Văn Ngó", "Phạm Thị Hiên", "Nguyễn Minh Tú".
        assert all(len(p["name"].split()) == 3 and not p["name"].isascii() for p in people.values())
        assert len({p["name"] for p in people.values()}) == len(people)
        [nominated] = events(doc, "personnel.nominated")
        [ordered] = events(doc, "election.ordered")
        [count] = events(doc, "election.counted")
        [recognised] = events(doc, "election.recognised")
        [held] = events(doc, "congress.held")
        assert day(count) == ELECTION_DAY and ELECTION_DAY.weekday() == 6
        assert day(nominated) <= add_months(ELECTION_DAY, -1)
        assert (ELECTION_DAY - day(ordered)).days >= 20
        assert 150 <= count["electorate_total"] <= 450 and count["attending"] * 2 > count["electorate_total"]
        assert day(recognised) <= add_working_days(ELECTION_DAY, 5).end
        assert date(2022, 6, 1) <= day(held) <= date(2022, 8, 31)
        offices = [c["office"] for c in events(doc, "congress.counted")]
        assert offices[:1] == (["committee"] if held["full_members"] >= 9 else ["secretary"])
        nominee = people[nominated["person"]]
        assert nominee["party"]["status"] == "full" and recognised["person"] == nominee["id"]
        [team] = events(doc, "election.team_formed")
        [front] = events(doc, "front.head_chosen")
        assert team["leader"] == front["person"] and team["leader"] in team["members"]
        assert [e["id"] for e in doc["events"]] == [f"e{i}" for i in range(1, len(doc["events"]) + 1)]
        assert [e["date"] for e in doc["events"]] == sorted(e["date"] for e in doc["events"])


def test_scenario_flags_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown"):
        Scenario.of("late")
    with pytest.raises(ValueError, match="cannot combine"):
        Scenario.of("missing_waiver", "late_waiver")
    assert str(COMPLIANT) == "compliant" and COMPLIANT.compliant
    assert str(Scenario.of("tie", "late_recognition")) == "late_recognition+tie"


def test_about_one_village_in_six_breaks_a_rule() -> None:
    drawn = [random_scenario(seeded(9, i)) for i in range(2000)]
    share = sum(not s.compliant for s in drawn) / len(drawn)
    assert 0.13 < share < 0.21
    assert {f for s in drawn for f in s.breaches} == set(BREACHES)


def test_the_demo_spreads_every_breach_over_different_communes() -> None:
    villages = demo_villages()
    chosen = assign_scenarios(villages, seeded(2022, "scenarios"))
    breaking = {v: s for v, s in chosen.items() if not s.compliant}
    assert len(villages) == 61 and 0.80 <= 1 - len(breaking) / len(villages) <= 0.85
    assert {f for s in breaking.values() for f in s.breaches} == set(BREACHES)
    communes = [v.rsplit(".", 1)[0] for v in breaking]
    assert len(set(communes)) == len(communes)


def test_a_province_has_ten_villages_to_a_commune_and_twenty_communes_to_a_district() -> None:
    villages = province_villages(450, seeded(1, "places"))
    assert villages[0].id == "qng.d01.c01.v01" and villages[-1].id == "qng.d03.c05.v10"
    assert len({v.id for v in villages}) == 450
    assert villages[206].id == "qng.d02.c01.v07" and villages[206].district == "Huyện mẫu 02"
