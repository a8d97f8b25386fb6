"""A village's stream holds every term; a verdict judges the term in progress on its date.

Built from the Ba Tơ example of a compliant 2022 term (docs/examples/01-bato-compliant.json),
followed by the same process for the next term, 131 weeks later (a Sunday again), its cell
congress not held yet.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ledger.rules import judge, record_from_dossier
from ledger.rules.record import ProfileUpdate, RecordedEvent, VillageRecord
from ledger.rules.timeline import build
from ledger.rules.verdict import known
from schemas.dossier import load_dossier

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "01-bato-compliant.json"
LATER = timedelta(weeks=131)
ELECTION_TYPES = ("personnel.nominated", "election.ordered", "candidates.drafted", "candidates.agreed",
                  "candidates.finalised", "election.team_formed", "election.notice_posted", "election.counted",
                  "election.recognised")


def _first_term() -> VillageRecord:
    return record_from_dossier(load_dossier(EXAMPLE.read_bytes()))


def _again(event: RecordedEvent, shift: timedelta) -> RecordedEvent:
    facts: dict[str, Any] = dict(event.facts)
    for key in ("election_date", "received"):
        if key in facts:
            facts[key] = (date.fromisoformat(facts[key]) + shift).isoformat()
    return replace(event, id=f"t2{event.id}", date=event.date + shift, facts=facts)


def _two_terms(shift: timedelta = LATER, between: tuple[RecordedEvent, ...] = ()) -> VillageRecord:
    first = _first_term()
    second = [_again(e, shift) for e in first.events if e.type in ELECTION_TYPES]
    return replace(first, events=[*first.events, *between, *second])


def test_the_verdict_judges_the_term_in_progress_not_the_last_terms_congress() -> None:
    record = _two_terms()
    out = judge(record, date(2025, 1, 10))

    judged = {i for c in out["checks"] for i in c["events"]}
    assert judged and all(i.startswith("t2") for i in judged), judged  # nothing of 2022 judged again
    assert out["rulesets"][:2] == ["vn-2023", "party-2024"]  # chosen by this term's dates
    status = {c["rule"]: c["status"] for c in out["checks"]}
    # The congress of this term is not held yet: pending, not failed against the 2022 congress.
    assert status["P-ORDER"] == status["P-TERM"] == status["P-LEAD-TIME"] == "pending"
    assert status["C-STRUCTURE"] == "pending" and status["E-WINNER"] == "pass"
    # Who holds office is as recorded over every term: the secretary elected in 2022 still is.
    assert out["leadership"]["secretary"] == "dinh-van-hung"


def test_before_the_next_term_begins_the_verdict_is_the_first_terms() -> None:
    record = _two_terms()
    day = date(2024, 6, 1)  # after the 2022 congress, before the next term's nomination
    assert judge(record, day) == judge(_first_term(), day)


def test_the_next_terms_congress_is_timed_from_the_last_terms() -> None:
    record = _two_terms()
    congress = next(e for e in _first_term().events if e.type == "congress.held")
    held = _again(congress, LATER)
    out = judge(replace(record, events=[*record.events, held]), date(2025, 3, 1))
    [term] = [c for c in out["checks"] if c["rule"] == "C-TERM"]
    assert term["status"] == "pass" and term["events"] == [congress.id, held.id]


def test_a_by_election_after_a_removal_stays_in_the_term() -> None:
    first = _first_term()
    removal = RecordedEvent("r1", "head.removal_recognised", date(2023, 3, 1), "commune_committee",
                            {"person": "dinh-van-hung", "cause": "resigned"})
    record = _two_terms(shift=timedelta(weeks=50), between=(removal,))  # a vote ten months on, after a removal
    ctx = build(record, date(2023, 12, 31))
    assert ctx.events[0] is record.events[0] and len(ctx.events) == len(record.events)
    # Nor does a second vote without a removal open a term before 18 months have passed.
    soon = _two_terms(shift=timedelta(weeks=60))
    assert len(build(soon, date(2024, 1, 1)).events) == len(soon.events)
    assert len(build(_two_terms(), date(2025, 1, 1)).events) < len(_two_terms().events)
    assert first.events[0].id == "e1"


def test_a_congress_held_for_the_next_term_before_its_election_is_judged_in_that_term() -> None:
    """The pilot's order breached in the next term: the cell congress before the village's vote.
    It is this term's congress (P-ORDER fails), not a late one of the last term's."""
    record = _two_terms()
    nominated = next(e for e in record.events if e.id == "t2e1")
    congress = next(e for e in _first_term().events if e.type == "congress.held")
    early = replace(congress, id="t2early", date=nominated.date - timedelta(days=10))  # before anything else
    out = judge(replace(record, events=[*record.events, early]), date(2025, 1, 10))
    [order] = [c for c in out["checks"] if c["rule"] == "P-ORDER"]
    assert order["status"] == "fail" and "t2early" in order["events"]


def test_the_next_terms_nomination_before_its_election_is_ordered_is_not_judged_in_the_last_term() -> None:
    """Between the cell's nomination for the next term and the commune's order, the last term's
    verdict must not take that nomination for its own (P-NOMINEE, P-LEAD-TIME failed it)."""
    record = _two_terms()
    nominated = next(e for e in record.events if e.id == "t2e1")
    other = replace(record, events=[replace(e, facts={"person": "pham-van-tuan"}) if e is nominated else e
                                    for e in record.events])
    for day in (nominated.date, nominated.date + timedelta(days=30)):
        for each in (record, other):
            out = judge(each, day)
            status = {c["rule"]: c["status"] for c in out["checks"]}
            assert status["P-LEAD-TIME"] != "fail" and status["P-NOMINEE"] != "fail", out["checks"]
            judged = {i for c in out["checks"] for i in c["events"]}
            assert "t2e1" not in judged and out == judge(_first_term(), day), judged  # held for the next term


def test_the_last_terms_head_is_not_judged_against_this_terms_nominee() -> None:
    """Before this term's vote is recognised, the head still in office is the last term's: not this
    term's head, so no deviation from this term's nominee (P-SAME-PERSON), nor P-TERM's recognition."""
    record = _two_terms()
    other = replace(record, events=[replace(e, facts={"person": "pham-van-tuan"}) if e.id == "t2e1" else e
                                    for e in record.events])
    for each in (record, other):
        out = judge(each, date(2024, 11, 18))  # the day after this term's vote, before its recognition
        checks = {c["rule"]: c for c in out["checks"]}
        assert checks["P-SAME-PERSON"]["status"] == "pending", checks["P-SAME-PERSON"]
        assert "e9" not in checks["P-SAME-PERSON"]["events"] and "e9" not in checks["P-TERM"]["events"]
        assert out["leadership"]["head"] == "dinh-van-hung"  # as recorded: still in office


def test_c_term_times_this_terms_congress_from_the_last_terms_only() -> None:
    """Three terms: the third term's verdict judges C-TERM once, from the second term's congress;
    the first term's congress is two terms back, and earlier terms are not judged again."""
    first = _first_term()
    events = [*first.events]
    for k in (1, 2):
        events += [replace(_again(e, LATER * k), id=f"t{k + 1}{e.id}") for e in first.events]
    out = judge(replace(first, events=events), date(2027, 12, 1))
    judged = {i for c in out["checks"] for i in c["events"]}
    assert judged and all(i.startswith("t3") or i == "t2e10" for i in judged), judged
    assert [c["events"] for c in out["checks"] if c["rule"] == "C-TERM"] == [["t2e10", "t3e10"]]


def test_an_appointment_to_the_last_terms_cell_leadership_is_not_this_terms_congress() -> None:
    """The commune party appoints a deputy to the cell elected in 2022 after this term began, before
    this term's congress: it follows the last term's congress (leadership), it is no congress of
    this term held before the head's recognition (P-ORDER, C-STRUCTURE, C-REPORT failed it)."""
    record = _two_terms()
    appointed = RecordedEvent("a1", "congress.appointed", date(2024, 11, 1), "commune_party",
                              {"office": "deputy", "person": "pham-van-bay", "decision": "9-QĐ/ĐU"})
    day = date(2024, 12, 1)
    out = judge(replace(record, events=[*record.events, appointed]), day)
    assert {c["rule"]: c["status"] for c in out["checks"]} == {c["rule"]: c["status"] for c in judge(record, day)["checks"]}
    assert out["leadership"]["deputy"] == "pham-van-bay"


def _swapped(event: RecordedEvent, a: str, b: str) -> RecordedEvent:
    """``event`` with the person ids ``a`` and ``b`` swapped in its facts (lists, vote keys, values)."""
    def swap(value: Any) -> Any:
        if isinstance(value, str):
            return b if value == a else a if value == b else value
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, dict):
            return {swap(k): swap(v) for k, v in value.items()}
        return value
    return replace(event, facts={k: swap(v) for k, v in event.facts.items()})


def _next_nominee(record: VillageRecord, person: str) -> VillageRecord:
    """The next term's process with ``person`` in Đinh Văn Hùng's place (and Hùng in theirs)."""
    return replace(record, events=[_swapped(e, "dinh-van-hung", person) if e.id.startswith("t2") else e
                                   for e in record.events])


def test_a_removal_shortly_before_the_regular_election_does_not_merge_the_terms() -> None:
    """The head resigns two months before the regular election, 2.5 years on (before or after the cell
    nominates someone else for the next term): that election opens the next term, it is no by-election
    of the 2022 term (which judged the 2022 election with the 2024 congress, and so on)."""
    day = date(2025, 1, 10)
    plain = _next_nominee(_two_terms(), "dinh-thi-lan")
    for on in (date(2024, 9, 1), date(2024, 10, 1)):  # before the nomination of 2024-09-12; after it
        removal = RecordedEvent("r1", "head.removal_recognised", on, "commune_committee",
                                {"person": "dinh-van-hung", "cause": "resigned"})
        record = _next_nominee(_two_terms(between=(removal,)), "dinh-thi-lan")
        ctx = build(record, day)
        assert ctx.events[0].id in ("r1", "t2e1") and ctx.main is not None and ctx.main.count is not None
        assert ctx.main.count.id == "t2e8"
        out = judge(record, day)
        judged = {i for c in out["checks"] for i in c["events"]}
        assert judged and all(i.startswith("t2") or i == "r1" for i in judged), judged
        checks = {c["rule"]: c for c in out["checks"]}
        assert checks["E-WINNER"]["status"] == "pass" and checks["P-NOMINEE"]["status"] == "pass"
        # Before the term's first event (the nomination) or in the term, the removal is judged in it:
        # the vote of 17/11/2024 is its new election, 77 days after 1/9 (60 at most), 47 after 1/10.
        assert checks["E-REMOVAL"]["status"] == ("fail" if on < date(2024, 9, 12) else "pass")
        assert checks["E-REMOVAL"]["events"] == ["r1", "t2e8"]
        # Apart from the removal (judged where it falls), the term is judged as without it.
        assert [c for c in out["checks"] if c["rule"] != "E-REMOVAL"] == \
               [c for c in judge(plain, day)["checks"] if c["rule"] != "E-REMOVAL"]


def test_a_by_election_late_in_the_term_after_a_removal_stays_in_the_term() -> None:
    """A removal twenty months on, and its by-election a month later: within the term (not due yet)."""
    removal = RecordedEvent("r1", "head.removal_recognised", date(2023, 12, 1), "commune_committee",
                            {"person": "dinh-van-hung", "cause": "resigned"})
    record = _two_terms(shift=timedelta(weeks=89), between=(removal,))  # the vote on 2024-01-28
    for day in (date(2023, 12, 20), date(2024, 3, 1)):
        assert len(build(known(record, day), day).events) == len(known(record, day).events), day


def test_a_by_election_in_a_five_year_term_stays_in_it_where_a_two_and_a_half_year_term_s_would_not() -> None:
    """The law lets a province choose 5-year terms (the recognition's ``term_years``). A removal and
    its by-election 2.5 years into such a term fill the office within it; with the usual 2.5 years
    (stated or not), the same vote is the next term's."""
    removal = RecordedEvent("r1", "head.removal_recognised", date(2024, 9, 1), "commune_committee",
                            {"person": "dinh-van-hung", "cause": "resigned"})
    day = date(2025, 1, 10)
    for term, stays in (("5", True), ("2.5", False), (None, False), ("nhiều", False)):
        record = _two_terms(between=(removal,))
        first = next(e for e in record.events if e.type == "election.recognised")
        facts = {**first.facts, "term_years": term} if term is not None else first.facts
        record = replace(record, events=[replace(e, facts=facts) if e is first else e for e in record.events])
        judged = build(known(record, day), day)
        assert (len(judged.events) == len(known(record, day).events)) is stays, term


def test_a_by_election_after_a_death_and_an_acting_head_stays_in_the_term() -> None:
    """No removal is recorded for a head who died: the commune appoints an acting head, and the
    by-election 20 months into the term fills the office for the rest of the term; it opens no term."""
    acting = RecordedEvent("a1", "head.acting_appointed", date(2023, 11, 1), "commune_committee",
                           {"person": "dinh-thi-lan", "until": "2024-02-15"})
    record = _two_terms(shift=timedelta(weeks=89), between=(acting,))  # nominated 2023-11-23, vote 2024-01-28
    for day in (date(2023, 12, 1), date(2024, 1, 10), date(2024, 3, 1)):
        assert len(build(known(record, day), day).events) == len(known(record, day).events), day
    # Without the acting head (no sign of a vacancy) the same vote 20 months on opens a term, as before.
    assert len(build(_two_terms(shift=timedelta(weeks=89)), date(2024, 3, 1)).events) < len(record.events) - 1


def test_a_waiver_granted_before_the_next_terms_nomination_is_that_terms() -> None:
    """The district grants the next term's nominee (below the theory standard) a waiver ten days
    before the cell nominates him: it is that term's waiver (P-CRITERIA waived, P-WAIVER valid), not
    a stray waiver of the 2022 term (which failed it as granted after its election day)."""
    record = _next_nominee(_two_terms(), "dinh-van-ro")  # theory "none": below so_cap
    waiver = RecordedEvent("w1", "waiver.granted", date(2024, 9, 2), "district_standing",
                           {"person": "dinh-van-ro", "criteria": ["theory"], "reason": "vùng khó khăn",
                            "deadline": "2026-12-31"})
    with_waiver = replace(record, events=[*record.events, waiver])
    out = judge(with_waiver, date(2025, 1, 10))
    checks = {c["rule"]: c for c in out["checks"]}
    assert checks["P-CRITERIA"]["status"] == "waived" and "w1" in checks["P-CRITERIA"]["events"]
    assert [c["status"] for c in out["checks"] if c["rule"] == "P-WAIVER"] == ["waived"]
    assert checks["P-LEAD-TIME"]["status"] != "fail", checks["P-LEAD-TIME"]
    # Between the waiver and the nomination the 2022 term is judged without a stray waiver (held for the next).
    between = judge(with_waiver, date(2024, 9, 5))
    assert "fail" not in {c["status"] for c in between["checks"] if c["rule"] == "P-WAIVER"}, between["checks"]
    judged = {i for c in between["checks"] for i in c["events"]}
    assert "w1" not in judged and between == judge(_first_term(), date(2024, 9, 5)), judged


def test_same_person_is_none_until_this_terms_head_is_recognised() -> None:
    """The verdict's ``same_person`` is this term's outcome: ``none`` from the next term's opening (its
    election's order) until its head is recognised (not the last term's head's ``secretary``), as a
    single term's is."""
    record = _two_terms()
    for day in (date(2024, 6, 1), date(2024, 9, 12)):  # the 2022 term's (the next one's nominee not ordered yet)
        assert judge(record, day)["same_person"] == "secretary"
    for day in (date(2024, 10, 23), date(2024, 11, 18)):  # ordered; voted, not recognised yet
        out = judge(record, day)
        assert out["same_person"] == "none", day
        [same] = [c for c in out["checks"] if c["rule"] == "P-SAME-PERSON"]
        assert same["status"] == "pending" and "none" in same["detail"], same
    # Recognised again: still the secretary elected in 2022 (as recorded), until this term's congress.
    assert judge(record, date(2024, 11, 21))["same_person"] == "secretary"


def _ro_on_a_waiver(deadline: str, *, next_term_too: bool = True) -> VillageRecord:
    """Đinh Văn Rô (theory "none", below so_cap) heads the village and the cell from 2022 on a waiver
    of the theory standard due by ``deadline``; nominated again for the next term, or not."""
    record = _two_terms()
    record = replace(record, events=[_swapped(e, "dinh-van-hung", "dinh-van-ro")
                                     if next_term_too or not e.id.startswith("t2") else e for e in record.events])
    waiver = RecordedEvent("w1", "waiver.granted", date(2022, 3, 20), "district_standing",
                           {"person": "dinh-van-ro", "criteria": ["theory"], "reason": "vùng khó khăn",
                            "deadline": deadline})
    return replace(record, events=[*record.events, waiver])


def test_a_head_whose_waiver_lapses_with_the_term_is_judged_against_the_standard_again() -> None:
    """A waiver due by the end of the 2022 term lapses after the next term opened: its holder,
    nominated again, meets the standard or needs a waiver of this term (P-CRITERIA, P-WAIVER fail once
    the election has passed without one); and the lapsed waiver itself, which no verdict of the 2022
    term could judge past its deadline, is judged in this term as its own term would (P-WAIVER fails)."""
    record = _ro_on_a_waiver("2024-11-15")
    status = {c["rule"]: c["status"] for c in judge(record, date(2024, 9, 1))["checks"]}
    assert status["P-CRITERIA"] == status["P-WAIVER"] == "waived"  # the 2022 term, its waiver running
    out = judge(record, date(2025, 1, 10))
    checks = {c["rule"]: c for c in out["checks"]}
    assert checks["P-CRITERIA"]["status"] == "fail" and "w1" not in checks["P-CRITERIA"]["events"]
    lapsed, needed = [c for c in out["checks"] if c["rule"] == "P-WAIVER"]
    assert lapsed["status"] == "fail" and lapsed["events"] == ["w1"], lapsed
    assert lapsed["detail_vi"].startswith("Nhiệm kỳ trước (bầu cử ngày 15/05/2022): ") and "khi hết hạn 15/11/2024" in lapsed["detail_vi"], lapsed
    assert needed["status"] == "fail" and "w1" not in needed["events"], needed


def test_a_head_staying_in_office_into_the_next_term_on_the_last_terms_waiver_is_judged_by_p_waiver() -> None:
    """Rô is not nominated again: he stays head until the next term's head is recognised, and the
    cell's secretary until its congress, on the 2022 term's waiver. Its deadline passing in the next
    term (none of the 2022 term's verdicts reaches it) is judged there: waived until the deadline,
    failed after it unmet, passed if he met the standard in time."""
    record = _ro_on_a_waiver("2024-11-15", next_term_too=False)

    def waiver_checks(each: VillageRecord, day: date) -> list[dict[str, Any]]:
        return [c for c in judge(each, day)["checks"] if c["rule"] == "P-WAIVER" and "w1" in c["events"]]

    [running] = waiver_checks(record, date(2024, 10, 23))  # the next term ordered, the waiver running
    assert running["status"] == "waived", running
    for day in (date(2024, 11, 18), date(2025, 1, 10)):
        [lapsed] = waiver_checks(record, day)
        assert lapsed["status"] == "fail" and "chưa đạt chuẩn" in lapsed["detail_vi"], (day, lapsed)
        assert judge(record, day)["verdict"] == "violations"
    trained = replace(record, profiles={**record.profiles, "dinh-van-ro": [
        *record.profiles["dinh-van-ro"], ProfileUpdate(date(2024, 6, 1), {"theory": "so_cap"})]})
    [met] = waiver_checks(trained, date(2025, 1, 10))
    assert met["status"] == "pass", met
    # A waiver lapsed before the next term opened was judged by the 2022 term's verdicts; its holder,
    # still the cell's secretary (as recorded) in the next term, is found by P-WAIVER there as well.
    early = _ro_on_a_waiver("2024-06-30", next_term_too=False)
    [lapsed_in_term] = waiver_checks(early, date(2024, 8, 1))
    assert lapsed_in_term["status"] == "fail"
    [still] = waiver_checks(early, date(2025, 1, 10))
    assert still["status"] == "fail" and judge(early, date(2025, 1, 10))["leadership"]["secretary"] == "dinh-van-ro"


def test_the_next_terms_preparation_before_its_order_leaves_the_last_terms_verdict() -> None:
    """The cell's nomination (or a waiver) for the next term, 2.5 years on, with no election ordered yet:
    the question "did the process meet the rules" is still answered for the completed 2022 term, as
    the day before; the nomination is held for the next term, which opens with its election's order."""
    record = _two_terms()
    nominated = next(e for e in record.events if e.id == "t2e1")
    ordered = next(e for e in record.events if e.id == "t2e2")
    waiver = RecordedEvent("w1", "waiver.granted", nominated.date - timedelta(days=10), "district_standing",
                           {"person": "dinh-van-ro", "criteria": ["theory"], "reason": "vùng khó khăn",
                            "deadline": "2026-12-31"})
    with_waiver = replace(record, events=[*record.events, waiver])
    for day in (waiver.date, nominated.date, ordered.date - timedelta(days=1)):
        for each in (record, with_waiver):
            out = judge(each, day)
            assert out == judge(_first_term(), day), day
            assert out["verdict"] == "compliant" and out["same_person"] == "secretary"
    # Once ordered, the next term is judged, with the nomination (and the waiver) held for it.
    out = judge(with_waiver, ordered.date)
    judged = {i for c in out["checks"] for i in c["events"]}
    assert "t2e1" in judged and "w1" in judged and not judged & {"e1", "e8", "e10"}, judged


def test_a_removal_before_the_next_terms_first_event_is_judged_in_that_term() -> None:
    """The head resigns in August 2024, before anything of the next term is recorded, and no
    by-election follows: the next term's regular vote of 17/11/2024 is the new election E-REMOVAL asks
    for, 108 days on (60 at most). Once that term opens (its order), the removal is judged there; no
    verdict judged it before (the 2022 term's set, vn-2008, has no E-REMOVAL; the 2023 law's has)."""
    removal = RecordedEvent("r1", "head.removal_recognised", date(2024, 8, 1), "commune_committee",
                            {"person": "dinh-van-hung", "cause": "resigned"})
    record = _two_terms(between=(removal,))
    assert not [c for c in judge(record, date(2024, 9, 1))["checks"] if c["rule"] == "E-REMOVAL"]
    [ordered] = [c for c in judge(record, date(2024, 10, 23))["checks"] if c["rule"] == "E-REMOVAL"]
    assert ordered["status"] == "fail" and ordered["events"] == ["r1"], ordered  # no vote by 30/9/2024
    [voted] = [c for c in judge(record, date(2025, 1, 10))["checks"] if c["rule"] == "E-REMOVAL"]
    assert voted["status"] == "fail" and voted["events"] == ["r1", "t2e8"], voted
    assert "bầu mới ngày 17/11/2024, quá 60 ngày" in voted["detail_vi"], voted


def test_a_by_election_within_sixty_days_of_a_removal_late_in_the_term_stays_in_it() -> None:
    """The head resigns 23 months into the 2.5-year term; the by-election E-REMOVAL asks for (within 60
    days) is held 24.5 months in, then the regular election 30 months in. The month count alone took the
    by-election for the next term's election (24 months on, after a vacancy) and the regular election
    for a second vote of that term; what the record says (a vote within E-REMOVAL's 60 days of a
    removal, before the term's end) makes it the by-election of the 2022 term."""
    by = timedelta(weeks=107)  # vote 2024-06-02, ordered 2024-05-08
    removal = RecordedEvent("r1", "head.removal_recognised", date(2024, 4, 10), "commune_committee",
                            {"person": "dinh-van-hung", "cause": "resigned"})
    by_election = [replace(_again(e, by), id=f"b{e.id}") for e in _first_term().events
                   if e.type in ELECTION_TYPES and e.type != "personnel.nominated"]
    nominated = RecordedEvent("be1", "personnel.nominated", date(2024, 4, 15), "cell", {"person": "dinh-thi-lan"})
    by_election = [_swapped(e, "dinh-van-hung", "dinh-thi-lan") for e in by_election]
    record = _two_terms(between=(removal, nominated, *by_election))
    day = date(2024, 7, 1)  # the by-election recognised, the regular one not begun
    ctx = build(known(record, day), day)
    assert ctx.events[0].id == "e1" and ctx.main is not None and ctx.main.count is not None
    assert ctx.main.count.id == "e8", ctx.main.count  # the 2022 term, its by-election within it
    out = judge(record, day)
    assert [c["events"][0] for c in out["checks"] if c["rule"] == "E-WINNER"] == ["e8", "be8"]
    assert out["rulesets"][0] == "vn-2008" and out["same_person"] == "deputy"  # Lan, the 2022 cell's deputy
    # The regular election of November 2024 opens the next term (the by-election is not its main vote).
    later = date(2025, 1, 10)
    ctx = build(known(record, later), later)
    assert ctx.main is not None and ctx.main.count is not None and ctx.main.count.id == "t2e8", ctx.main.count
    assert not any(e.id.startswith("b") or e.id == "r1" for e in ctx.events), [e.id for e in ctx.events]
    # So with an acting head appointed until the by-election (after a death, which no removal records).
    acting = RecordedEvent("a1", "head.acting_appointed", date(2024, 4, 10), "commune_committee",
                           {"person": "pham-van-bay", "until": "2024-06-30"})
    ctx = build(known(_two_terms(between=(acting, nominated, *by_election)), day), day)
    assert ctx.main is not None and ctx.main.count is not None and ctx.main.count.id == "e8"
    # A regular election a week before the 30 months, 50 days after a removal: the removal's 60 days end
    # after the term does, so the regular election is its new election, and opens the next term.
    late = replace(removal, date=date(2024, 9, 21))
    week = _two_terms(shift=timedelta(weeks=130), between=(late,))  # vote 2024-11-10
    ctx = build(known(week, later), later)
    assert ctx.main is not None and ctx.main.count is not None and ctx.main.count.id == "t2e8"
    # More than 60 days after the removal, the same vote 24.5 months in is the next term's, as before.
    early = replace(removal, date=date(2024, 3, 15))
    other = _two_terms(between=(early, replace(nominated, date=date(2024, 3, 20)), *by_election))
    ctx = build(known(other, day), day)
    assert ctx.main is not None and ctx.main.count is not None and ctx.main.count.id == "be8"
