"""Ba Tơ's 2022–2025 term in every village of the demo: generated dossiers, signed and imported.

``run_term`` generates one dossier per village of ``cli/data/bato.json`` with
``cli.synth.generate_term`` — seeded, so the demo is the same on every machine — and
imports them all through ``cli.importer.Importer`` with the demo's keys, as
``dantin import`` would. About five villages in six follow the process; the others break
one rule each (``cli.synth.BREACHES``: every breach once, in different communes) and one
breaks two. The summary names a village to look at of each kind.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from cli.common import err
from cli.importer import Importer, Report
from cli.synth import BREACHES, COMPLIANT, EXCLUSIVE, Scenario, VillageInfo, dossier_bytes, generate_term, seeded
from ledger import home
from ledger.application import Ledger
from ledger.errors import DantinError
from ledger.rules import judge, record_from_dossier
from schemas.dossier import Dossier, load_dossier

DATA = Path(__file__).parent / "data" / "bato.json"
DEMO_SEED = 2022
#: The leadership worth looking at: after the congresses of June and July 2022 are approved.
LOOK_ON = date(2022, 8, 1)


class DemoTermError(DantinError):
    code = "demo_term"
    title_vi = "Không nhập được nhiệm kỳ mẫu"


@dataclass
class TermSummary:
    directory: Path
    villages: int = 0
    events: int = 0
    #: Village id → its verdict judged today ("compliant", "violations", "incomplete").
    verdicts: dict[str, str] = field(default_factory=dict)
    deviations: int = 0
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    #: (village, the day to look at its leadership): one compliant, one with violations.
    compliant: tuple[str, date] | None = None
    violating: tuple[str, date] | None = None

    def count(self, verdict: str) -> int:
        return sum(1 for v in self.verdicts.values() if v == verdict)

    def __str__(self) -> str:
        lines = [f"Nhiệm kỳ 2022–2025: đã sinh và ký hồ sơ của {self.villages} thôn/tổ dân phố "
                 f"({self.events} sự kiện); xét hôm nay: {self.count('compliant')} tuân thủ (trong đó "
                 f"{self.deviations} lệch mô hình thí điểm nhưng hợp pháp), {self.count('violations')} có vi phạm, "
                 f"{self.count('incomplete')} chưa đủ hồ sơ."]
        d = self.directory
        for label, chosen in (("một thôn đúng quy trình", self.compliant), ("một thôn có vi phạm", self.violating)):
            if chosen is None:
                continue
            village, day = chosen
            scenario = self.scenarios[village]
            lines.append(f"Xem {label}" + ("" if scenario.compliant else f" ({scenario.text_vi()})") + ":")
            lines.append(f"  dantin verdict {d} {village}")
            lines.append(f"  dantin leadership {d} {village} --as-of {day.isoformat()}")
        return "\n".join(lines)


def demo_villages() -> list[VillageInfo]:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    district = data["district"]
    return [VillageInfo(f"{district['id']}.{c['slug']}.{slug}", name, kind, c["name"], district["name"])
            for c in data["communes"] for slug, name, kind in c["villages"]]


def assign_scenarios(villages: list[VillageInfo], rng: random.Random) -> dict[str, Scenario]:
    """Every breach once, each in a village of a different commune, plus one village with two."""
    by_commune: dict[str, list[VillageInfo]] = {}
    for v in villages:
        by_commune.setdefault(v.id.rsplit(".", 1)[0], []).append(v)
    communes = sorted(by_commune)
    rng.shuffle(communes)
    flags = sorted(BREACHES)
    rng.shuffle(flags)
    pairs = [(a, b) for a in sorted(BREACHES) for b in sorted(BREACHES)
             if a < b and not any(g <= {a, b} for g in EXCLUSIVE)]
    plans = [Scenario.of(f) for f in flags] + [Scenario.of(*rng.choice(pairs))]
    chosen = {v.id: COMPLIANT for v in villages}
    for commune, scenario in zip(communes, plans, strict=False):
        chosen[rng.choice(by_commune[commune]).id] = scenario
    return chosen


def run_term(directory: Path, database: str | None, keys_dir: Path, seed: int = DEMO_SEED, *,
             ledger: Ledger | None = None, today: date | None = None) -> TermSummary:
    """Generate and import one term per demo village; ``ledger``: an open one to use (else opened here)."""
    villages = demo_villages()
    scenarios = assign_scenarios(villages, seeded(seed, "scenarios"))
    dossiers: list[tuple[str, Dossier]] = []
    for v in villages:
        doc = generate_term(v, seeded(seed, v.id), scenarios[v.id])
        dossiers.append((v.id, load_dossier(dossier_bytes(doc))))
    own = ledger is None
    ledger = ledger or home.open_ledger(directory, database)
    try:
        reports = _import(Importer(ledger, keys_dir, None), dossiers)
    finally:
        if own:
            ledger.close()
    refused = [r for r in reports if r.status != "ok"]
    if refused:
        raise DemoTermError(f"{len(refused)} hồ sơ mẫu không nhập được, đầu tiên là của '{refused[0].village}'.",
                            detail=json.dumps(refused[0].to_dict(), ensure_ascii=False)[:2000])
    summary = TermSummary(directory, villages=len(villages), scenarios=scenarios,
                          events=sum(r.count("accepted") + r.count("present") for r in reports))
    _judge(summary, dossiers, today or date.today())
    return summary


def _import(importer: Importer, dossiers: list[tuple[str, Dossier]]) -> list[Report]:
    reports: list[Report] = []
    with Progress(TextColumn("Nhập hồ sơ nhiệm kỳ 2022–2025"), BarColumn(), MofNCompleteColumn(), console=err,
                  transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("term", total=len(dossiers))
        for report in importer.run_many(dossiers, batch=500):
            reports.append(report)
            bar.advance(task)
    return reports


def _judge(summary: TermSummary, dossiers: list[tuple[str, Dossier]], today: date) -> None:
    """What ``dantin verdict`` says today of each village (the dossier's check agrees with the ledger)."""
    for village, dossier in dossiers:
        verdict: dict[str, Any] = judge(record_from_dossier(dossier), today)
        summary.verdicts[village] = verdict["verdict"]
        deviation = any(c["status"] == "deviation" for c in verdict["checks"])
        summary.deviations += verdict["verdict"] == "compliant" and deviation
        approved = [e.date for e in dossier.events if e.type == "congress.approved"]
        day = max(LOOK_ON, approved[-1]) if approved else LOOK_ON
        scenario = summary.scenarios[village]
        if summary.compliant is None and scenario.compliant and verdict["same_person"] == "secretary":
            summary.compliant = (village, day)
        if summary.violating is None and verdict["verdict"] == "violations" and len(scenario.breaches) == 1:
            summary.violating = (village, day)
