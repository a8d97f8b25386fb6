"""dantin's output as an outside tool reads it: the dossier and verdict formats of the shared
contract (docs/contracts/EVENTS.md §Dossier, §Verdict; RULES.md §2–§7), checked by
``docs/examples/check_contract_formats.py`` — a checker written from the contract alone, not
from dantin's code.

Over the example dossiers and their verdicts, the contract's own example dossier, generated
demo terms judged on several dates (as corrected and as recorded), and the demo ledger's
verdicts read through the views (``dantin verdict --json``) and the HTTP API. Any ``error``
fails; a ``gap`` (the contract silent or inconsistent, dantin's choice documented in
docs/contract-formats.md) is allowed, and only of the kinds listed there.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.demo_term import DEMO_SEED, assign_scenarios, demo_villages
from cli.main import app
from cli.synth import dossier_bytes, generate_term, seeded
from ledger.rules import judge, record_from_dossier
from schemas.dossier import load_dossier

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "docs" / "examples"
DOSSIERS = sorted(p for p in EXAMPLES.glob("[0-9][0-9]-*.json") if not p.name.endswith(".verdict.json"))
BATO_DAYS = [date(2022, 3, 1), date(2022, 5, 1), date(2022, 5, 16), date(2022, 6, 15), date(2022, 12, 31)]
DUCPHO_DAYS = [date(2025, 2, 1), date(2025, 3, 17), date(2025, 5, 10), date(2025, 12, 31)]
#: The gaps docs/contract-formats.md documents (by the start of their message).
KNOWN_GAPS = ("a decimal written as a string", "election.counted without", "congress.held without 'excluded'",
              "congress.approved without")


def _load_checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_contract_formats", EXAMPLES / "check_contract_formats.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


C = _load_checker()


def assert_conforms(problems: list[Any]) -> None:
    errors = [str(p) for p in problems if p.level == "error"]
    assert not errors, "\n".join(errors[:20])
    unknown = [str(p) for p in problems if p.level == "gap" and not any(
        p.message.split(": ", 1)[-1].startswith(g) or p.message.startswith(g) for g in KNOWN_GAPS)]
    assert not unknown, "\n".join(unknown[:20])


def _days(doc: dict[str, Any]) -> list[date]:
    return DUCPHO_DAYS if ".ducpho." in doc["village"]["id"] else BATO_DAYS


@pytest.mark.parametrize("path", DOSSIERS, ids=lambda p: p.stem)
def test_an_example_dossier_and_its_verdicts_conform(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert_conforms(C.check_dossier(doc, path.name))
    for verdict_file in sorted(EXAMPLES.glob(path.stem + ".*verdict.json")):
        verdict = json.loads(verdict_file.read_text(encoding="utf-8"))
        assert_conforms(C.check_verdict(verdict, verdict_file.name, dossier=doc))
    record = record_from_dossier(load_dossier(path.read_bytes()))
    for day in _days(doc):
        for as_recorded in (False, True):
            verdict = judge(record, day, as_recorded=as_recorded)
            assert_conforms(C.check_verdict(verdict, f"{path.stem}@{day}", dossier=doc, as_of=day.isoformat()))


def test_the_contracts_own_example_dossier_is_judged_in_the_verdict_format() -> None:
    text = (REPO / "docs" / "contracts" / "EVENTS.md").read_text(encoding="utf-8")
    raw = re.findall(r"```json\n(.*?)```", text, re.S)[0]
    doc = json.loads(raw)
    assert_conforms(C.check_dossier(doc, "EVENTS.md"))
    verdict = judge(record_from_dossier(load_dossier(raw.encode())), date(2022, 12, 31))
    assert_conforms(C.check_verdict(verdict, "EVENTS.md", dossier=doc, as_of="2022-12-31"))


def test_generated_demo_terms_conform_on_every_day() -> None:
    villages = demo_villages()
    scenarios = assign_scenarios(villages, seeded(DEMO_SEED, "scenarios"))
    chosen = [v for v in villages if scenarios[v.id].breaches] + [v for v in villages if not scenarios[v.id].breaches][:6]
    for v in chosen:
        raw = dossier_bytes(generate_term(v, seeded(DEMO_SEED, v.id), scenarios[v.id]))
        doc = json.loads(raw)
        assert_conforms(C.check_dossier(doc, v.id))
        record = record_from_dossier(load_dossier(raw))
        for day in BATO_DAYS:
            for as_recorded in (False, True):
                verdict = judge(record, day, as_recorded=as_recorded)
                assert_conforms(C.check_verdict(verdict, f"{v.id}@{day}", dossier=doc, as_of=day.isoformat()))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo") / "ledger"
    result = CliRunner().invoke(app, ["demo", str(directory)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return directory


def test_the_demo_ledgers_verdicts_conform_through_the_cli_and_the_api(demo: Path) -> None:
    from starlette.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiSettings

    villages = [v.id for v in demo_villages()][::4]
    runner = CliRunner()
    for village in villages[:4]:  # the command line, as a program reads it
        result = runner.invoke(app, ["verdict", str(demo), village, "--as-of", "2022-12-31", "--json"],
                               env={"COLUMNS": "250"})
        assert result.exit_code == 0, result.output
        assert_conforms(C.check_verdict(json.loads(result.stdout), f"cli {village}"))
    with TestClient(create_app(ApiSettings(directory=demo))) as client:
        for village in villages:
            for day in ("2022-05-01", "2022-05-16", "2022-12-31"):
                for as_recorded in ("false", "true"):
                    response = client.get(f"/v1/villages/{village}/verdict",
                                          params={"as_of": day, "as_recorded": as_recorded})
                    assert response.status_code == 200, response.text
                    assert_conforms(C.check_verdict(response.json(), f"api {village}@{day}"))


def test_the_checker_sees_a_departure() -> None:
    """The checker is not vacuous: each tampering of a conforming verdict is an error."""
    doc = json.loads((EXAMPLES / "13-ducpho-waiver-and-committee-only.json").read_text(encoding="utf-8"))
    good = json.loads((EXAMPLES / "13-ducpho-waiver-and-committee-only.verdict.json").read_text(encoding="utf-8"))

    def errors(change: Any) -> list[str]:
        verdict = json.loads(json.dumps(good))
        change(verdict)
        return [p.message for p in C.check_verdict(verdict, dossier=doc) if p.level == "error"]

    def status(rule: str, value: str) -> Any:
        return lambda v: next(c for c in v["checks"] if c["rule"] == rule).update(status=value)

    assert errors(lambda v: None) == []
    assert errors(lambda v: v.update(verdict="violations"))  # RULES §7: no check fails
    assert errors(lambda v: v["checks"].pop(0))  # EVENTS §Verdict: every rule of every applied set
    assert errors(status("E-PLAN", "failed"))  # RULES §7 statuses
    assert errors(lambda v: v["checks"][0].update(status="fail", events=[]))  # a fail names its events
    assert errors(status("P-SAME-PERSON", "pass"))  # committee is not accepted in Đức Phổ
    assert errors(lambda v: v["checks"][1].update(detail_vi="Decision not recorded before the deadline"))
    assert errors(lambda v: v.update(rulesets=["vn-2008", "party-2024", "qn-ducpho-2025"]))  # RULES §2 by date
    assert errors(lambda v: v["checks"][0].update(events=["e99"]))  # a dossier's own ids
    assert errors(lambda v: v["leadership"].update(head=None))  # the head as recorded
