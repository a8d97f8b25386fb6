"""Write the wire contracts as JSON Schema files: ``python -m schemas.export``.

One file per event type's facts (``facts.<type>.json``), and the envelope, the signed
statement, the unsigned event ``dantin sign`` takes, and the dossier. Files are pretty,
with sorted keys and a final newline, so a change to a model is a readable diff;
``tests/unit/test_schema_files.py`` fails when they are out of step with the models.
``--check`` exits 1 (and writes nothing) when they are.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal, Union, cast

from pydantic import BaseModel, Field, TypeAdapter

from schemas.dossier import DOSSIER_TYPES, DossierPerson, DossierVillage, event_model
from schemas.envelope import EnvelopeWire, Statement, UnsignedEvent
from schemas.facts import FACTS_MODELS

DIRECTORY = Path(__file__).resolve().parent / "json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
ID_BASE = "urn:dantin:schema:v1:"


class DossierWire(BaseModel):
    """One village's process for one term, unsigned (EVENTS.md §Dossier)."""

    dossier: Literal[1]
    village: DossierVillage
    people: list[DossierPerson] = Field(description="Each person's first profile.")
    events: list[Any] = Field(description="Each event: id, type, date, by, and the type's facts inline.")


def _dossier_schema() -> dict[str, Any]:
    schema = DossierWire.model_json_schema()
    models = tuple(event_model(t) for t in DOSSIER_TYPES)
    # A union built from a runtime tuple: typing forms used as values, hence the casts.
    union = cast(Any, Union)[models]
    event: TypeAdapter[Any] = TypeAdapter(cast(Any, Annotated)[union, Field(discriminator="type")])
    events = event.json_schema(ref_template="#/$defs/{model}")
    schema.setdefault("$defs", {}).update(events.pop("$defs", {}))
    schema["properties"]["events"]["items"] = events
    return schema


def _named(name: str, title: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": DIALECT, "$id": ID_BASE + name, **schema, "title": title}


def schemas() -> dict[str, dict[str, Any]]:
    """File name → JSON Schema, for every contract."""
    out: dict[str, dict[str, Any]] = {
        "envelope.json": _named("envelope", "Phong bì đã ký (DSSE)", EnvelopeWire.model_json_schema()),
        "statement.json": _named("statement", "Nội dung được ký", Statement.model_json_schema()),
        "unsigned-event.json": _named("unsigned-event", "Sự kiện chưa ký", UnsignedEvent.model_json_schema()),
        "dossier.json": _named("dossier", "Hồ sơ một thôn", _dossier_schema()),
    }
    for event_type, model in sorted(FACTS_MODELS.items()):
        out[f"facts.{event_type}.json"] = _named(f"facts.{event_type}", f"facts: {event_type}",
                                                 model.model_json_schema())
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    wanted = {name: render(schema) for name, schema in schemas().items()}
    present = {p.name: p.read_text(encoding="utf-8") for p in DIRECTORY.glob("*.json")}
    if "--check" in args:
        stale = sorted(n for n in wanted.keys() | present.keys() if wanted.get(n) != present.get(n))
        for name in stale:
            print(f"out of step: schemas/json/{name}", file=sys.stderr)
        return 1 if stale else 0
    DIRECTORY.mkdir(exist_ok=True)
    for name in present.keys() - wanted.keys():
        (DIRECTORY / name).unlink()
    for name, text in wanted.items():
        if present.get(name) != text:
            (DIRECTORY / name).write_text(text, encoding="utf-8")
    print(f"{len(wanted)} JSON Schema files in {DIRECTORY}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
