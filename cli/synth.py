"""Synthetic terms: one village's 2022–2025 "Dân tin – Đảng cử" term as a dossier, and a
province-scale ledger of them for benchmarks (``dantin synth``).

``generate_term(village, rng, scenario)`` is pure: the same village, seed and scenario
give the same dossier (EVENTS.md §Dossier, valid for ``load_dossier``). A term follows the
Ba Tơ plan (Kế hoạch 57-KH/HU) in order: the cell nominates (≥ 1 month before election
day and ≥ 2 before the congress), the commune orders the election (≥ 20 days before),
the Ban CTMT drafts → the cell agrees → the Ban CTMT finalises the list (≥ 15 days
before), the team led by the Ban CTMT head is formed (≥ 10 days) and the notice posted
(≥ 7 days); the households vote on Sunday 15/5/2022; the commune recognises the head
within 5 working days; then (June–August) the cell congress elects chi ủy (cells of 9 or
more full members), secretary and deputy on separate secret ballots, reports within 7
working days and is approved within 15.

A ``Scenario`` is a set of breach flags (``BREACHES``), each breaking one rule on purpose,
so that they combine. Person ids embed the village id (``<village id>.p01``): a ledger
holds one person stream per id, so ids must never repeat across villages.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli.common import EXIT_FINDING, database_option, err, fail, guarded, out
from cli.importer import Importer, Report, key_file
from ledger import home
from ledger.application import Ledger
from ledger.envelope import seal
from ledger.errors import Refused
from ledger.rules.calendar import add_working_days
from ledger.rules.text import num
from ledger.signing import SigningKey
from schemas.dossier import Dossier, load_dossier

ELECTION_DAY = date(2022, 5, 15)  # P-ONE-DAY: Ba Tơ's single election Sunday

#: Breach flag → (the rule it breaks, the status that rule then gives).
BREACHES: dict[str, tuple[str, str]] = {
    "late_recognition": ("E-RECOGNISE", "fail"),
    "missing_waiver": ("P-WAIVER", "fail"),
    "late_waiver": ("P-LEAD-TIME", "fail"),
    "congress_before_recognition": ("P-ORDER", "fail"),
    "floor_nominee_wins": ("P-SAME-PERSON", "deviation"),
    "probationary_vote": ("C-ELIGIBLE", "fail"),
    "no_quorum_half": ("E-QUORUM", "fail"),
    "tie": ("C-WINNER", "fail"),
    "head_not_member": ("P-SAME-PERSON", "deviation"),
    "missing_approval": ("C-APPROVE", "fail"),  # pending until 15 working days after the report
}
#: Flags that cannot hold together (a waiver cannot be both missing and late).
EXCLUSIVE = (frozenset({"missing_waiver", "late_waiver"}),)

BREACHES_VI = {
    "late_recognition": "công nhận trưởng thôn quá 5 ngày làm việc",
    "missing_waiver": "thiếu tiêu chuẩn mà không có quyết định miễn",
    "late_waiver": "quyết định miễn ban hành chưa đủ 1 tháng trước ngày bầu",
    "congress_before_recognition": "đại hội chi bộ trước khi công nhận trưởng thôn",
    "floor_nominee_wins": "người được đề cử tại hội nghị trúng cử",
    "probationary_vote": "tính phiếu của đảng viên dự bị",
    "no_quorum_half": "đúng một nửa số hộ dự họp, phải bầu lại",
    "tie": "bằng phiếu ở suất chi ủy cuối vẫn tuyên bố trúng cử",
    "head_not_member": "trưởng thôn không phải đảng viên",
    "missing_approval": "chưa có quyết định chuẩn y",
}


@dataclass(frozen=True)
class Scenario:
    breaches: frozenset[str] = frozenset()

    @classmethod
    def of(cls, *names: str) -> Scenario:
        unknown = sorted(set(names) - set(BREACHES))
        if unknown:
            raise ValueError(f"unknown breach flag(s): {', '.join(unknown)}")
        chosen = frozenset(names)
        for group in EXCLUSIVE:
            if group <= chosen:
                raise ValueError(f"flags cannot combine: {', '.join(sorted(group))}")
        return cls(chosen)

    @property
    def compliant(self) -> bool:
        return not self.breaches

    def __contains__(self, name: object) -> bool:
        return name in self.breaches

    def __str__(self) -> str:
        return "+".join(sorted(self.breaches)) or "compliant"

    def text_vi(self) -> str:
        return "; ".join(BREACHES_VI[b] for b in sorted(self.breaches)) or "đúng quy trình"


COMPLIANT = Scenario()


def seeded(*parts: object) -> random.Random:
    """A generator seeded by ``parts`` (same parts, same draws on every machine and Python run)."""
    return random.Random(":".join(map(str, parts)))  # noqa: S311 - reproducible synthetic data, not secrets


def random_scenario(rng: random.Random, breach_share: float = 0.17) -> Scenario:
    """Compliant with probability 1 − ``breach_share``; else one breach, sometimes two."""
    if rng.random() >= breach_share:
        return COMPLIANT
    flags = {rng.choice(sorted(BREACHES))}
    if rng.random() < 0.2:
        flags.add(rng.choice(sorted(BREACHES)))
    if any(group <= flags for group in EXCLUSIVE):
        flags = {min(flags)}
    return Scenario.of(*flags)


@dataclass(frozen=True)
class VillageInfo:
    id: str
    name: str
    kind: str  # thon / tdp
    commune: str
    district: str
    province: str = "Quảng Ngãi"

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "commune": self.commune,
                "district": self.district, "province": self.province}


# -- names --------------------------------------------------------------------------------

# Ba Tơ is largely Hrê: family names Đinh, Phạm, Huỳnh, Hồ, Võ, Nguyễn; given names of one
# syllable after Văn / Thị. Kinh names are more common in the townlet's residential groups.
HRE_FAMILY = (("Đinh", 45), ("Phạm", 22), ("Huỳnh", 10), ("Hồ", 9), ("Võ", 7), ("Nguyễn", 7))
HRE_MALE = ("Ngó", "Rô", "Xoa", "Brêu", "Đưng", "Pên", "Ớt", "Bích", "Tiêm", "Đen", "Rét", "Vin", "Mau", "Lanh",
            "Nhiên", "Chương", "Tới", "Giáp", "Hoanh", "Khế", "Mười", "Ria", "Rin", "Sang", "Tơ", "Vơ", "Đốt",
            "Lất", "Mốt", "Ních", "Pó", "Rau", "Toan", "Xiết", "Bay", "Nhớ", "Liêm", "Hôn", "Dũng", "Ho")
HRE_FEMALE = ("Hiên", "Bơ", "Nga", "Rim", "Xiêm", "Lý", "Mai", "Ngân", "Pấu", "Rơ", "Rí", "Tươi", "Xuân", "Hoa",
              "Mỹ", "Nhung", "Đường", "Thiêm", "Rin", "Dỏ", "Lép", "Vân", "Hương", "Nhàn")
KINH_FAMILY = (("Nguyễn", 30), ("Trần", 10), ("Lê", 10), ("Phạm", 9), ("Huỳnh", 8), ("Võ", 8), ("Đặng", 5),
               ("Bùi", 5), ("Đỗ", 4), ("Hồ", 4), ("Ngô", 3), ("Dương", 2), ("Trương", 2))
KINH_MALE_MIDDLE = ("Văn", "Văn", "Văn", "Minh", "Ngọc", "Đức", "Thanh", "Quốc", "Hữu", "Công")
KINH_MALE = ("Hùng", "Tuấn", "Dũng", "Minh", "Hải", "Nam", "Sơn", "Bình", "Cường", "Hoàng", "Long", "Phúc",
             "Quang", "Tâm", "Thắng", "Trung", "Vinh", "Khoa", "Lộc", "Tài", "Hiếu", "Phong", "Thành", "Tú")
KINH_FEMALE_MIDDLE = ("Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim")
KINH_FEMALE = ("Hoa", "Lan", "Mai", "Thu", "Hương", "Hạnh", "Nga", "Yến", "Hiền", "Trang", "Linh", "Phương",
               "Dung", "Hà", "Loan", "Tuyết", "Oanh", "Sương")

def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([name for name, _ in table], weights=[w for _, w in table])[0]


def vietnamese_name(rng: random.Random, *, female: bool, hre: bool) -> str:
    if hre:
        given = rng.choice(HRE_FEMALE if female else HRE_MALE)
        return f"{_weighted(rng, HRE_FAMILY)} {'Thị' if female else 'Văn'} {given}"
    middle = rng.choice(KINH_FEMALE_MIDDLE if female else KINH_MALE_MIDDLE)
    return f"{_weighted(rng, KINH_FAMILY)} {middle} {rng.choice(KINH_FEMALE if female else KINH_MALE)}"


# -- one term -----------------------------------------------------------------------------


def _day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _working(start: date, n: int) -> date:
    return add_working_days(start, n).end


@dataclass
class _Term:
    village: VillageInfo
    rng: random.Random
    scenario: Scenario
    people: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    names: set[str] = field(default_factory=set)

    # -- people -------------------------------------------------------------------------

    def person(self, *, age: tuple[int, int], party: str, education: tuple[str, ...] = ("thcs", "thpt"),
               theory: str | None = None, female: bool | None = None) -> str:
        rng = self.rng
        female = rng.random() < 0.3 if female is None else female
        hre = rng.random() < (0.85 if self.village.kind == "thon" else 0.35)
        name = vietnamese_name(rng, female=female, hre=hre)
        while name in self.names:
            name = vietnamese_name(rng, female=female, hre=hre)
        self.names.add(name)
        years = rng.randint(*age)
        born = ELECTION_DAY - timedelta(days=365 * years + rng.randint(30, 330))
        pid = f"{self.village.id}.p{len(self.people) + 1:02d}"
        entry: dict[str, Any] = {"id": pid, "name": name, "born": born.isoformat(), "residence": self.village.id}
        if party == "full":
            since = _day(rng, date(born.year + 20, 1, 1), min(date(born.year + 40, 12, 31), date(2020, 12, 31)))
            entry["party"] = {"status": "full", "since": since.isoformat()}
        elif party == "probationary":
            entry["party"] = {"status": "probationary", "since": _day(rng, date(2021, 6, 1), date(2022, 1, 31))
                              .isoformat()}
        else:
            entry["party"] = {"status": "none"}
        entry["education"] = rng.choice(education)
        entry["theory"] = theory or ("so_cap" if party == "full" else "none")
        self.people.append(entry)
        return pid

    def profile(self, pid: str) -> dict[str, Any]:
        return next(p for p in self.people if p["id"] == pid)

    def full_member(self, pid: str) -> bool:
        return bool(self.profile(pid)["party"]["status"] == "full")

    # -- events -------------------------------------------------------------------------

    def event(self, type_: str, day: date, by: str, **facts: Any) -> None:
        self.events.append({"type": type_, "date": day.isoformat(), "by": by, **facts})

    def decision(self, suffix: str) -> str:
        return f"{self.rng.randint(12, 160)}/{suffix}"

    # -- the term -----------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        rng, sc = self.rng, self.scenario
        shortfall = "missing_waiver" in sc or "late_waiver" in sc or rng.random() < 0.12
        short_in = rng.choice(("theory", "theory", "education")) if shortfall else None
        nominee = self.person(age=(30, 56), party="full",
                              education=("tieu_hoc",) if short_in == "education" else ("thcs", "thcs", "thpt"),
                              theory="none" if short_in == "theory" else "so_cap")
        two = "head_not_member" in sc or rng.random() < 0.8
        second = self.person(age=(26, 60), party="none" if "head_not_member" in sc or rng.random() < 0.6 else "full",
                             education=("thcs", "thpt")) if two else None
        front_head = self.person(age=(35, 66), party="full" if rng.random() < 0.9 else "none",
                                 education=("tieu_hoc", "thcs", "thpt"))
        team = [front_head] + [self.person(age=(24, 64), party="full" if rng.random() < 0.5 else "none",
                                           education=("tieu_hoc", "thcs", "thpt")) for _ in range(rng.randint(2, 3))]
        floor = self.person(age=(30, 60), party="none" if "head_not_member" in sc else "full",
                            education=("thcs", "thpt")) if "floor_nominee_wins" in sc else None

        self.event("front.head_chosen", _day(rng, date(2022, 1, 10), date(2022, 2, 18)), "village_front",
                   person=front_head)
        nominated = _day(rng, date(2022, 2, 14), date(2022, 3, 4))
        self.event("personnel.nominated", nominated, "cell", person=nominee)
        if short_in and "missing_waiver" not in sc:
            granted = _day(rng, date(2022, 4, 18), date(2022, 5, 10)) if "late_waiver" in sc else \
                nominated + timedelta(days=rng.randint(4, 10))
            deadline = rng.choice((date(2023, 12, 31), date(2024, 6, 30), date(2024, 10, 31)))
            reason = ("Người có uy tín trong cộng đồng, đang học bổ túc trung học cơ sở" if short_in == "education"
                      else "Người có uy tín trong cộng đồng, sẽ học sơ cấp lý luận chính trị trong nhiệm kỳ")
            self.event("waiver.granted", granted, "district_standing", person=nominee, criteria=[short_in],
                       reason=reason, deadline=deadline.isoformat(), decision=self.decision("QĐ-HU"))
            met = _day(rng, date(2022, 10, 1), deadline - timedelta(days=30))
            course = "party_work" if short_in == "theory" else "state_management"
            self.event("training.completed", met, "training_center", person=nominee, course=course)
            self.event("person.profiled", met, "cell", person=nominee,
                       **({"theory": "so_cap"} if short_in == "theory" else {"education": "thcs"}))
        if rng.random() < 0.6:
            self.event("training.completed", _day(rng, date(2022, 4, 4), date(2022, 4, 29)), "training_center",
                       person=nominee, course="pre_election")

        listed = [nominee] + ([second] if second else [])
        head = floor or (second if "head_not_member" in sc and second else nominee)
        last_count, recognised = self.election(listed, head, team)
        self.congress(nominee, head, last_count, recognised)
        self.events.sort(key=lambda e: e["date"])  # stable: same-day events keep their order
        events = [{"id": f"e{i}", **e} for i, e in enumerate(self.events, 1)]
        return {"dossier": 1, "village": self.village.to_json(), "people": self.people, "events": events}

    def election(self, listed: list[str], head: str, team: list[str]) -> tuple[date, date]:
        """From the order to the recognition; returns (the last count's day, the recognition's day)."""
        rng, sc = self.rng, self.scenario
        ordered = _day(rng, date(2022, 4, 4), date(2022, 4, 20))
        self.event("election.ordered", ordered, "commune_committee", election_date=ELECTION_DAY.isoformat(),
                   decision=self.decision("QĐ-UBND"))
        drafted = ordered + timedelta(days=rng.randint(1, 3))
        agreed = drafted + timedelta(days=rng.randint(1, 3))
        final = agreed + timedelta(days=rng.randint(1, 3))
        self.event("candidates.drafted", drafted, "village_front", candidates=listed)
        self.event("candidates.agreed", agreed, "cell", candidates=listed[:1])
        self.event("candidates.finalised", final, "village_front", candidates=listed)
        team_day = _day(rng, ordered + timedelta(days=2), date(2022, 5, 5))
        self.event("election.team_formed", team_day, "commune_committee", members=team, leader=team[0],
                   decision=self.decision("QĐ-UBND"))
        self.event("election.notice_posted", _day(rng, team_day, date(2022, 5, 8)), "commune_committee",
                   where=rng.choice(("Nhà văn hóa thôn", "Nhà sinh hoạt cộng đồng", "Nhà rông của thôn")),
                   how=rng.choice(("niêm yết và loa truyền thanh", "niêm yết và thông báo tại các nhóm hộ")))
        households = rng.randint(150, 450)
        day = ELECTION_DAY
        if "no_quorum_half" in sc:
            households += households % 2
            self.count(day, households, listed, None, attending=households // 2)
            rerun = _working(day, rng.randint(1, 3))
            day = day + timedelta(days=rng.choice((7, 14)))  # a Sunday, within 15 days (vn-2008)
            self.event("election.rerun_ordered", rerun, "commune_committee", new_date=day.isoformat(),
                       reason="Hội nghị ngày 15/5 chỉ có đúng một nửa số hộ tham dự, không đủ quá nửa",
                       decision=self.decision("QĐ-UBND"))
        self.count(day, households, listed, head)
        early = 3 if "congress_before_recognition" in sc else 1
        late = "late_recognition" in sc
        # Late: 7+ working days after the count, so late even counted from the receipt the day after.
        recognised = _working(day, rng.randint(7, 12) if late else rng.randint(early, 4))
        self.event("election.recognised", recognised, "commune_committee", person=head,
                   decision=self.decision("QĐ-UBND"), term_years="2.5")
        if rng.random() < 0.4:
            self.event("training.completed", recognised + timedelta(days=rng.randint(20, 120)), "training_center",
                       person=head, course="role_head")
        return day, recognised

    def count(self, day: date, households: int, listed: list[str], winner: str | None,
              attending: int | None = None) -> None:
        rng = self.rng
        attending = attending or round(households * rng.uniform(0.72, 0.93))
        facts: dict[str, Any] = {"electorate": "households", "electorate_total": households, "attending": attending}
        method = "secret_ballot" if rng.random() < 0.9 else "show_of_hands"
        valid = attending
        if method == "secret_ballot":
            returned = attending - rng.randint(0, 2)
            invalid = rng.randint(0, min(6, returned // 30))
            valid = returned - invalid
            facts.update(ballots_issued=attending, ballots_returned=returned, valid=valid, invalid=invalid)
        candidates = list(dict.fromkeys([*([winner] if winner else []), *listed]))
        votes: dict[str, int] = {}
        left = valid
        if winner is not None:
            reserve = 1 if len(candidates) > 1 else 0
            votes[winner] = rng.randint(max(households // 2 + 1, int(valid * 0.6)), valid - reserve)
            left -= votes[winner]
        for other in candidates:
            if other not in votes:
                votes[other] = rng.randint(left // 3, left) if winner is None and not votes else rng.randint(0, left)
                left -= votes[other]
        facts.update(votes=votes, method=method)
        if rng.random() < 0.5:  # the minutes reach the commune the next day
            facts["received"] = (day + timedelta(days=1)).isoformat()
        self.event("election.counted", day, "election_team", **facts)

    def congress(self, nominee: str, head: str, last_count: date, recognised: date) -> None:
        rng, sc = self.rng, self.scenario
        if "congress_before_recognition" in sc:
            day = _day(rng, last_count + timedelta(days=1), recognised - timedelta(days=1))
        else:
            day = _day(rng, max(date(2022, 6, 1), recognised + timedelta(days=7)), date(2022, 8, 20))
        committee_cell = "tie" in sc or rng.random() < 0.7
        full = rng.randint(9, 24) if committee_cell else rng.randint(4, 8)
        probationary = rng.randint(1 if "probationary_vote" in sc else 0, 2)
        excluded = {"absent_approved": rng.randint(0, min(2, (full - 1) // 4))}
        if full >= 6 and rng.random() < 0.15:
            excluded["exempt_absent"] = 1
        if full >= 9 and rng.random() < 0.05:
            excluded["transferred"] = 1
        denom = full - sum(excluded.values())
        present = denom - (1 if rng.random() < 0.1 else 0)  # one absent without an approved reason
        self.event("congress.held", day, "cell", full_members=full, probationary_members=probationary,
                   summoned=full, excluded=excluded, present=present)
        # The cell's leaders: the nominee (secretary, or deputy in a minority of cells), others from the
        # party members already named (the Ban CTMT head, team members), then new members.
        has_deputy = committee_cell or rng.random() < 0.5
        as_deputy = has_deputy and rng.random() < 0.08
        pool = [p["id"] for p in self.people if self.full_member(p["id"]) and p["id"] not in (nominee, head)]
        rng.shuffle(pool)
        seats = (3 if full < 15 else 5) if committee_cell else 0
        while len(pool) < max(seats, 2) + 1:
            pool.append(self.person(age=(28, 68), party="full", education=("thcs", "thpt")))
        other_leader = pool[0]
        secretary, deputy = (other_leader, nominee) if as_deputy else (nominee, other_leader)
        ballots, committee = present, []
        if committee_cell:
            committee = [secretary, deputy, *pool[1:seats - 1]]
            loser = pool[seats - 1]
            high = sorted((rng.randint(denom // 2 + 2, ballots) for _ in committee), reverse=True)
            votes = dict(zip(committee, high, strict=True))
            facts: dict[str, Any] = {}
            if "tie" in sc:
                # The last seat: two candidates tie; the minutes declare one of them elected anyway.
                tied = max(denom // 2 + 1, min(high) - 1)
                votes[committee[-1]] = tied
                votes[loser] = tied
                facts["elected"] = list(committee)
            else:
                votes[loser] = rng.randint(1, denom // 2)
            self.event("congress.counted", day, "cell", office="committee", round=1, seats=seats, votes=votes,
                       separate=True, secret=True, ballots_full=ballots, ballots_probationary=0, **facts)
        extra = rng.randint(1, probationary) if "probationary_vote" in sc else 0
        self.ballot(day, "secretary", secretary, pool[1] if len(pool) > 1 else deputy, denom, ballots, extra)
        if has_deputy:
            self.ballot(day, "deputy", deputy, pool[-1], denom, ballots, 0)
        report = _working(day, rng.randint(1, 5))
        self.event("congress.reported", report, "cell")
        if "missing_approval" not in sc:
            approved = _working(report, rng.randint(3, 12))
            offices = {"secretary": secretary, **({"deputy": deputy} if has_deputy else {}), "committee": committee}
            self.event("congress.approved", approved, "commune_party", decision=f"{rng.randint(40, 260)}-QĐ/ĐU",
                       **offices)
            if rng.random() < 0.3:
                self.event("training.completed", approved + timedelta(days=rng.randint(10, 100)), "training_center",
                           person=secretary, course="role_secretary")

    def ballot(self, day: date, office: str, winner: str, runner: str, denom: int, ballots: int,
               probationary: int) -> None:
        rng = self.rng
        won = rng.randint(denom // 2 + 1, ballots)
        votes = {winner: won + probationary}
        if runner != winner and ballots - won > 0:
            votes[runner] = rng.randint(1, ballots - won)
        self.event("congress.counted", day, "cell", office=office, round=1, seats=1, votes=votes, separate=True,
                   secret=True, ballots_full=ballots, ballots_probationary=probationary)


def generate_term(village: VillageInfo, rng: random.Random, scenario: Scenario = COMPLIANT) -> dict[str, Any]:
    """One term of ``village`` as a dossier (a JSON-ready dict); deterministic in ``rng``'s state."""
    return _Term(village, rng, scenario).build()


def dossier_bytes(doc: dict[str, Any], *, indent: int | None = 1) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=indent).encode("utf-8")


# -- dantin synth: a province of generated villages ------------------------------------------

PROVINCE = "qng"
VILLAGES_PER_COMMUNE = 10
COMMUNES_PER_DISTRICT = 20
SETUP_DATE = "2022-01-10"
DISTRICT_BODIES = (("district_standing", "Ban Thường vụ Huyện ủy"), ("training_center", "Trung tâm Chính trị"),
                   ("inspection", "Ủy ban Kiểm tra Huyện ủy"))
COMMUNE_BODIES = (("commune_committee", "UBND"), ("commune_front", "Ban Thường trực UBMTTQ"),
                  ("commune_party", "Đảng ủy"))
VILLAGE_BODIES = (("village_front", "Ban công tác Mặt trận"), ("election_team", "Tổ bầu cử"), ("cell", "Chi bộ"))


def province_villages(count: int, rng: random.Random) -> list[VillageInfo]:
    """``count`` villages, 10 to a commune and 20 communes to a district: ``qng.d01.c03.v07``."""
    per_district = VILLAGES_PER_COMMUNE * COMMUNES_PER_DISTRICT
    width = max(2, len(str(-(-count // per_district))))
    out = []
    for i in range(count):
        d, c, v = i // per_district + 1, i % per_district // VILLAGES_PER_COMMUNE + 1, i % VILLAGES_PER_COMMUNE + 1
        kind = "tdp" if rng.random() < 0.1 else "thon"
        name = f"{'Tổ dân phố' if kind == 'tdp' else 'Thôn'} {v}"
        out.append(VillageInfo(f"{PROVINCE}.d{d:0{width}d}.c{c:02d}.v{v:02d}", name, kind,
                               f"Xã mẫu {c:02d} (huyện {d:0{width}d})", f"Huyện mẫu {d:0{width}d}"))
    return out


class _Province:
    """Registers the places and enrols the bodies of ``villages``, signing in large batches; each
    body's key is written to ``keys_dir`` by a background thread while the import goes on."""

    def __init__(self, ledger: Ledger, keys_dir: Path, root_key: SigningKey, batch: int,
                 progress: Callable[[int], None]) -> None:
        self.ledger, self.keys_dir, self.batch_size, self.progress = ledger, keys_dir, batch, progress
        self.keys: dict[str, SigningKey] = {f"{PROVINCE}/root": root_key}
        self.pending: list[dict[str, Any]] = []
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dantin-keys")
        self.writes: list[Future[None]] = []
        self.signed = 0

    def build(self, villages: list[VillageInfo]) -> None:
        root = f"{PROVINCE}/root"
        districts = list(dict.fromkeys(v.id.rsplit(".", 2)[0] for v in villages))
        communes = list(dict.fromkeys(v.id.rsplit(".", 1)[0] for v in villages))
        names = {v.id.rsplit(".", 2)[0]: v.district for v in villages} | \
            {v.id.rsplit(".", 1)[0]: v.commune for v in villages}
        for place in districts:
            self.sign(root, "place.registered", place, {"id": place, "name": names[place], "kind": "district"})
        for place in communes:
            self.sign(root, "place.registered", place, {"id": place, "name": names[place], "kind": "commune"})
        for v in villages:
            self.sign(root, "place.registered", v.id, {"id": v.id, "name": v.name, "kind": v.kind})
        self.flush()
        for place in districts:
            for kind, title in DISTRICT_BODIES:
                self.enrol(root, f"{place}/{kind}", kind, f"{title} {names[place].removeprefix('Huyện ')}", place)
        self.flush()
        for place in communes:
            standing = f"{place.rsplit('.', 1)[0]}/district_standing"
            for kind, title in COMMUNE_BODIES:
                self.enrol(standing, f"{place}/{kind}", kind, f"{title} {names[place]}", place)
        for v in villages:
            standing = f"{v.id.rsplit('.', 2)[0]}/district_standing"
            for kind, title in VILLAGE_BODIES:
                self.enrol(standing, f"{v.id}/{kind}", kind, f"{title} {v.name} ({v.commune})", v.id)
        self.flush()

    def sign(self, signer: str, type_: str, place: str, facts: dict[str, Any]) -> None:
        self.pending.append(seal(self.keys[signer], signer, {"type": type_, "place": place, "date": SETUP_DATE,
                                                             "facts": facts}))
        if len(self.pending) >= self.batch_size:
            self.flush()

    def enrol(self, parent: str, body: str, kind: str, name: str, jurisdiction: str) -> None:
        key = self.keys[body] = SigningKey.generate()
        self.writes.append(self.writer.submit(home.write_private, key_file(self.keys_dir, body), key.to_pem()))
        self.sign(parent, "body.enrolled", jurisdiction, {"id": body, "kind": kind, "name": name,
                                                          "jurisdiction": jurisdiction,
                                                          "keys": [{"public": key.public.b64}]})

    def flush(self) -> None:
        """Submit what is signed (the batch's order keeps each place and body after its parent)."""
        if not self.pending:
            return
        refused = [r for r in self.ledger.submit(self.pending) if isinstance(r, Refused)]
        if refused:
            raise refused[0]
        self.signed += len(self.pending)
        self.progress(len(self.pending))
        self.pending.clear()

    def close(self) -> None:
        """Wait until every key file is written (and raise the first failure)."""
        self.writer.shutdown(wait=True)
        for write in self.writes:
            write.result()


def _terms(villages: list[VillageInfo], seed: int) -> Iterator[tuple[str, Dossier]]:
    for v in villages:
        scenario = random_scenario(seeded(seed, "scenario", v.id))
        doc = generate_term(v, seeded(seed, v.id), scenario)
        yield v.id, load_dossier(dossier_bytes(doc, indent=None))


@guarded
def synth(
    directory: Annotated[Path, typer.Argument(metavar="THƯ_MỤC", help="Thư mục sổ cái mới.")],
    villages: Annotated[int, typer.Option("--villages", min=1, help="Số thôn (10 thôn/xã, 20 xã/huyện).")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Hạt giống ngẫu nhiên: cùng hạt giống, cùng sổ cái.")] = 1,
    database: Annotated[str | None, typer.Option("--database", help="postgresql://… (mặc định: SQLite trong DIR).")]
    = None,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Số sự kiện mỗi lần ghi.")] = 2000,
) -> None:
    """Dựng sổ cái tổng hợp quy mô tỉnh để đo hiệu năng: mỗi thôn một nhiệm kỳ 2022–2025 sinh ngẫu nhiên."""
    started = time.perf_counter()
    keys_dir = directory / "keys"
    root_key = SigningKey.generate()
    ledger = home.init(directory, root_key=root_key, database=database_option(database))
    home.write_private(key_file(keys_dir, f"{PROVINCE}/root"), root_key.to_pem())
    places = province_villages(villages, seeded(seed, "places"))
    accepted = refused = 0
    first_refusal: Report | None = None
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, disable=not err.is_terminal) as bar:
            # Places: village + commune + district; bodies: 3 per village, per commune, per district.
            setup = bar.add_task("Địa bàn và cơ quan", total=villages * 4 + -(-villages // 10) * 4)
            province = _Province(ledger, keys_dir, root_key, batch, lambda n: bar.advance(setup, n))
            province.build(places)
            bar.update(setup, total=province.signed, completed=province.signed)
            set_up = time.perf_counter()
            task = bar.add_task("Nhập hồ sơ nhiệm kỳ", total=villages)
            importer = Importer(ledger, keys_dir, None, keys=province.keys)
            for report in importer.run_many(_terms(places, seed), batch=batch):
                accepted += report.count("accepted") + report.count("present")
                if report.status != "ok":
                    refused += 1
                    first_refusal = first_refusal or report
                bar.advance(task)
            imported = time.perf_counter()
        province.close()
    finally:
        ledger.close()
    rate = accepted / max(imported - set_up, 1e-9)
    total = province.signed + accepted + 2
    def n(value: float) -> str:  # Vietnamese figures: 12.345 sự kiện, 0,3 giây
        if isinstance(value, int) or value >= 10:
            return num(round(value), vi=True)
        return f"{value:.1f}".replace(".", ",")

    out.print(f"Đã dựng sổ cái tổng hợp tại {escape(str(directory))}: {n(villages)} thôn, "
              f"{n(len(province.keys))} cơ quan có khóa riêng (trong {escape(str(keys_dir))}), "
              f"{n(total)} sự kiện đã ký.", highlight=False)
    out.print(f"Địa bàn và cơ quan: {n(province.signed)} sự kiện trong {n(set_up - started)} giây; hồ sơ nhiệm kỳ: "
              f"{n(accepted)} sự kiện trong {n(imported - set_up)} giây — {n(rate)} sự kiện/giây "
              f"(cả sinh hồ sơ, ký và ghi); tổng cộng {n(time.perf_counter() - started)} giây.", highlight=False)
    if first_refusal is not None:
        fail(f"{refused} hồ sơ không nhập được, đầu tiên là của '{first_refusal.village}': "
             f"{json.dumps(first_refusal.to_dict(), ensure_ascii=False)[:500]}", "refused", EXIT_FINDING)


__all__ = ["BREACHES", "COMPLIANT", "ELECTION_DAY", "Scenario", "VillageInfo", "dossier_bytes", "generate_term",
           "province_villages", "random_scenario", "seeded", "synth", "vietnamese_name"]
