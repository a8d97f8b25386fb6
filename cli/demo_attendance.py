"""A year (2022) of upper-level members at Ba Tơ's residential cell meetings, for the demo ledger.

``run_year`` profiles the members first (ids ``qng.bato.m001`` …), then generates — seeded, so
the same on every machine — the district standing committee's yearly plans and quarterly
attendances, each commune party committee's members attending village cells monthly, one
commune official per commune attending another village's cell monthly, and the reports that
follow each attendance. Most of it keeps the rules; a realistic minority does not: a missed
quarter or month here and there, late and missing reports, a district member with no plan,
a commune official who sometimes attends only their own cell. The lines go through
``cli.attendance_import`` as ``dantin import FILE.jsonl`` would sign them; running it again
stores nothing new.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cli.attendance_import import JsonlImporter
from cli.synth import seeded, vietnamese_name
from ledger import home
from ledger.application import Ledger
from ledger.errors import DantinError
from ledger.rules.attendance import level_data

DATA = Path(__file__).parent / "data" / "bato.json"
DEMO_SEED = 2022
YEAR = 2022
DISTRICT_MEMBERS = 13
COMMUNE_MEMBERS = 4
#: The realistic minority: about one member in four is lax, and only they lapse, at these rates.
LAX = 0.25
MISS_QUARTER, MISS_MONTH, LATE, NO_REPORT, OWN_CELL_ONLY = 0.3, 0.12, 0.2, 0.08, 0.25


class DemoAttendanceError(DantinError):
    code = "demo_attendance"
    title_vi = "Không nhập được năm dự sinh hoạt mẫu"


@dataclass
class YearSummary:
    directory: Path
    members: dict[str, int] = field(default_factory=dict)
    events: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        who = ", ".join(f"{n} {label}" for label, n in (
            ("ủy viên Ban Thường vụ Huyện ủy", self.members.get("district", 0)),
            ("đảng ủy viên xã", self.members.get("commune", 0)),
            ("cán bộ xã là đảng viên", self.members.get("commune_official", 0))))
        judged = ", ".join(f"{n} {label}" for key, label in (("compliant", "đúng quy định"),
                                                              ("violations", "có vi phạm"),
                                                              ("incomplete", "chưa đủ hồ sơ"))
                           if (n := self.verdicts.get(key, 0)))
        d = self.directory
        return (f"Dự sinh hoạt chi bộ khu dân cư năm {YEAR}: {who} ({self.events} sự kiện đã ký); xét hôm nay: "
                f"{judged}.\nXem:\n"
                f"  dantin attendance {d} --year {YEAR}\n"
                f"  dantin attendance {d} --year {YEAR} --level district --details")


class _Year:
    """The lines of one year, in the JSON Lines format of docs/attendance.md."""

    def __init__(self, data: dict[str, Any], seed: int) -> None:
        self.data, self.seed = data, seed
        self.district = str(data["district"]["id"])
        self.villages = {f"{self.district}.{c['slug']}": [f"{self.district}.{c['slug']}.{v[0]}" for v in c["villages"]]
                         for c in data["communes"]}
        self.lines: list[dict[str, Any]] = []
        self.members: dict[str, int] = {}
        self._n = 0

    def person(self, rng: random.Random, residence: str, level: str) -> str:
        self._n += 1
        pid = f"{self.district}.m{self._n:03d}"
        commune = residence.rsplit(".", 1)[0]
        female = rng.random() < 0.3
        born = date(rng.randint(1966, 1988), rng.randint(1, 12), rng.randint(1, 28))
        self.lines.append({"type": "person.profiled", "date": f"{YEAR}-01-03", "by": f"{commune}/commune_committee",
                           "person": pid, "name": vietnamese_name(rng, female=female, hre=rng.random() < 0.7),
                           "born": born.isoformat(), "residence": residence,
                           "party": {"status": "full", "since": date(born.year + 25, 3, 3).isoformat()}})
        self.members[level] = self.members.get(level, 0) + 1
        return pid

    def plan(self, pid: str, level: str, body: str, cells: list[str]) -> None:
        self.lines.append({"type": "attendance.planned", "date": f"{YEAR}-01-{10 + self._n % 15:02d}", "by": body,
                           "member": pid, "level": level, "year": YEAR, "cells": sorted(cells)})

    def attend(self, rng: random.Random, pid: str, level: str, body: str, cell: str, first: date, last: date,
               lax: bool) -> None:
        day = first + timedelta(days=rng.randint(0, (last - first).days))
        ref = f"a{len(self.lines) + 1}"
        self.lines.append({"id": ref, "type": "attendance.recorded", "by": f"{cell}/cell", "member": pid,
                           "level": level, "meeting_date": day.isoformat(), "cell": cell})
        window, draw = int(level_data(level)["report_days"]), rng.random()
        if lax and draw < NO_REPORT:
            return
        delay = rng.randint(window + 1, window + 6) if lax and draw < NO_REPORT + LATE else rng.randint(0, window)
        self.lines.append({"type": "attendance.reported", "by": body, "attendance": ref,
                           "report_date": (day + timedelta(days=delay)).isoformat()})

    def build(self) -> list[dict[str, Any]]:
        rng = seeded(self.seed, "attendance", YEAR)
        standing = f"{self.district}/district_standing"
        every = [v for vs in self.villages.values() for v in vs]
        town = self.villages.get(f"{self.district}.thitran") or every
        no_plan = rng.randrange(DISTRICT_MEMBERS)
        for i in range(DISTRICT_MEMBERS):
            pid = self.person(rng, rng.choice(town), "district")
            lax = rng.random() < LAX
            cells = rng.sample(every, rng.randint(4, 6))
            if i != no_plan:
                self.plan(pid, "district", standing, cells)
            for quarter in range(4):
                if lax and rng.random() < MISS_QUARTER:
                    continue
                first = date(YEAR, 3 * quarter + 1, 1)
                last = date(YEAR, 3 * quarter + 3, 28)
                for _ in range(1 + (rng.random() < 0.2)):
                    self.attend(rng, pid, "district", standing, rng.choice(cells), first, last, lax)
        for commune, villages in self.villages.items():
            party = f"{commune}/commune_party"
            for _ in range(COMMUNE_MEMBERS):
                pid = self.person(rng, rng.choice(villages), "commune")
                lax = rng.random() < LAX
                self.plan(pid, "commune", party, villages)
                for month in range(1, 13):
                    if not (lax and rng.random() < MISS_MONTH):
                        self.attend(rng, pid, "commune", party, rng.choice(villages), date(YEAR, month, 1),
                                    date(YEAR, month, 28), lax)
            if len(villages) < 2:
                continue
            own = rng.choice(villages)
            pid = self.person(rng, own, "commune_official")
            lax = rng.random() < LAX
            others = [v for v in villages if v != own]
            for month in range(1, 13):
                cell = own if lax and rng.random() < OWN_CELL_ONLY else rng.choice(others)
                if not (lax and rng.random() < MISS_MONTH):
                    self.attend(rng, pid, "commune_official", party, cell, date(YEAR, month, 1),
                                date(YEAR, month, 28), lax)
        return self.lines


def year_lines(seed: int = DEMO_SEED) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The demo year's JSON Lines (as dicts) and how many members of each level they profile."""
    year = _Year(json.loads(DATA.read_text(encoding="utf-8")), seed)
    return year.build(), year.members


def run_year(directory: Path, database: str | None, keys_dir: Path, seed: int = DEMO_SEED, *,
             ledger: Ledger | None = None, today: date | None = None) -> YearSummary:
    """Profile the members, sign and import the year; ``ledger``: an open one to use (else opened here)."""
    from projections.attendance import AttendanceViews

    lines, members = year_lines(seed)
    own = ledger is None
    ledger = ledger or home.open_ledger(directory, database)
    try:
        report = JsonlImporter(ledger, keys_dir).run_docs(lines, f"demo-attendance-{YEAR}")
        if report.status != "ok":
            first = report.problems[:1] or [line.to_dict() for line in report.lines if line.code][:1]
            raise DemoAttendanceError(f"Năm dự sinh hoạt mẫu không nhập được ({report.status}).",
                                      detail=json.dumps(first, ensure_ascii=False)[:2000])
        views = AttendanceViews(ledger)
        views.catch_up()
        found = views.report(YEAR, today or date.today(), under="qng.bato")
    finally:
        if own:
            ledger.close()
    summary = YearSummary(directory, members, events=report.count("accepted", "present"))
    for m in found["members"]:
        summary.verdicts[m["verdict"]] = summary.verdicts.get(m["verdict"], 0) + 1
    return summary
