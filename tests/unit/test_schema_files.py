"""The published JSON Schema files are the models, exported: regenerate in memory, compare.

When this fails, run ``python -m schemas.export`` and commit ``schemas/json/``.
"""

from __future__ import annotations

import json

import pytest

from ledger.catalogue import EVENT_TYPES
from schemas.export import DIRECTORY, ID_BASE, main, render, schemas

EXPECTED = schemas()


def test_one_file_per_facts_type_plus_the_wire_contracts() -> None:
    assert set(EXPECTED) == {f"facts.{t}.json" for t in EVENT_TYPES} | {
        "envelope.json", "statement.json", "unsigned-event.json", "dossier.json"}


def test_no_file_is_stale_missing_or_left_over() -> None:
    on_disk = {p.name for p in DIRECTORY.glob("*.json")}
    assert on_disk == set(EXPECTED), "run: python -m schemas.export"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_file_matches_its_model(name: str) -> None:
    text = (DIRECTORY / name).read_text(encoding="utf-8")
    assert text == render(EXPECTED[name]), f"schemas/json/{name} is out of step: run python -m schemas.export"
    schema = json.loads(text)
    assert schema["$id"] == ID_BASE + name.removesuffix(".json")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"]


def test_the_export_is_stable() -> None:
    assert {n: render(s) for n, s in schemas().items()} == {n: render(s) for n, s in EXPECTED.items()}
    assert main(["--check"]) == 0


def test_counts_are_integers_in_the_published_schema() -> None:
    counted = json.loads((DIRECTORY / "facts.election.counted.json").read_text(encoding="utf-8"))
    assert counted["properties"]["electorate_total"] == {
        "maximum": 2**53 - 1, "minimum": 0, "title": "Electorate Total", "type": "integer"}
    [votes] = counted["properties"]["votes"]["patternProperties"].values()
    assert votes["type"] == "integer"
    assert counted["additionalProperties"] is False


def test_the_dossier_schema_tells_events_apart_by_type() -> None:
    dossier = json.loads((DIRECTORY / "dossier.json").read_text(encoding="utf-8"))
    items = dossier["properties"]["events"]["items"]
    assert items["discriminator"]["propertyName"] == "type"
    nominated = dossier["$defs"]["Dossier_personnel_nominated"]
    assert set(nominated["required"]) == {"id", "type", "date", "by", "person"}
    assert nominated["properties"]["by"]["const"] == "cell"
    counted = dossier["$defs"]["Dossier_election_counted"]
    assert counted["properties"]["by"]["const"] == "election_team"
