"""Compile the dossier's pydantic models into ``schemas/_quick_spec.py``, data for ``schemas.quick``.

    python -m schemas.quick_gen            # rewrite schemas/_quick_spec.py
    python -m schemas.quick_gen --check    # exit 1 when it is out of step with the models

The compiler reads each model's pydantic-core schema and understands only the handful of
forms the contracts use; anything else (a new kind of constraint, a validator it does not
know) stops it with an error, so the quick path can never silently check less than the
models do. A model validator written out by hand in ``schemas.quick`` is named here with a
digest of its source: changing it puts the spec out of step until the quick copy is
reviewed (tests/unit/test_cli_startup.py keeps the spec in step).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from schemas import _checks
from schemas.dossier import DOSSIER_TYPES, DossierPerson, DossierVillage, event_model
from schemas.facts import AUTHORITY_MODELS, FACTS_MODELS
from schemas.ids import IsoDate

TARGET = Path(__file__).resolve().parent / "_quick_spec.py"

#: Functions the quick path calls itself: the very same objects (``schemas._checks``).
SHARED: dict[str, Callable[..., Any]] = {
    "iso_date": _checks._iso_date,
    "utc_time": _checks._utc_time,
    "aware": _checks._aware,
    "unique": _checks.unique,
    "decimal": _checks._decimal,
}
#: Model validators the quick path holds a copy of (``schemas.quick.MODEL_CHECKS``), by qualified name.
COPIED: dict[str, str] = {
    "schemas.process.ElectionCounted._ballots_of_a_secret_ballot": "secret_ballot",
}
_COMPARE = {"less_than_or_equal_validator": "le", "greater_than_or_equal_validator": "ge",
            "less_than_validator": "lt", "greater_than_validator": "gt"}


class Unsupported(Exception):
    """A form of the models that the quick path does not know."""


def _plain(value: Any, where: str) -> Any:
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if json.loads(json.dumps(value)) != value or (value is not None and not isinstance(
            value, bool | int | str | list | dict)):
        raise Unsupported(f"{where}: default {value!r} is not plain JSON")
    return value


def _keys(schema: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = set(schema) - allowed - {"type", "metadata", "ref"}
    if extra:
        raise Unsupported(f"{where}: {schema['type']} with {sorted(extra)}")


class _Compiler:
    def __init__(self) -> None:
        self.models: dict[str, dict[str, Any]] = {}
        self.sources: dict[str, str] = {}

    def function(self, fn: Any, where: str) -> list[Any]:
        pydantic_check = isinstance(fn, functools.partial) and fn.func.__module__ == "pydantic._internal._validators"
        if pydantic_check and fn.func.__name__ in _COMPARE and not fn.args and len(fn.keywords) == 1:
            (key, bound), = fn.keywords.items()
            op = _COMPARE[fn.func.__name__]
            if key != op or type(bound) is not int:
                raise Unsupported(f"{where}: comparison {fn!r}")
            return ["cmp", op, bound]
        for name, shared in SHARED.items():
            if fn is shared:
                return ["fn", name]
        qualified = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"
        if qualified in COPIED:
            name = COPIED[qualified]
            self.sources[name] = hashlib.sha256(inspect.getsource(fn).encode()).hexdigest()[:16]
            return ["fn", name]
        raise Unsupported(f"{where}: validator {qualified}")

    def node(self, s: Mapping[str, Any], where: str) -> list[Any]:
        kind = s["type"]
        if kind == "str":
            _keys(s, {"pattern", "min_length", "max_length", "strict"}, where)
            return ["str", s.get("pattern"), s.get("min_length"), s.get("max_length")]
        if kind == "int":
            _keys(s, {"ge", "le", "gt", "lt", "strict"}, where)
            return ["int", s.get("ge"), s.get("le"), s.get("gt"), s.get("lt")]
        if kind == "bool":
            _keys(s, {"strict"}, where)
            return ["bool"]
        if kind in ("date", "datetime", "decimal", "any"):
            _keys(s, set(), where)
            return [kind]
        if kind == "literal":
            _keys(s, {"expected"}, where)
            return ["lit", [_plain(v, where) for v in s["expected"]]]
        if kind == "nullable":
            _keys(s, {"schema"}, where)
            return ["null", self.node(s["schema"], where)]
        if kind == "list":
            _keys(s, {"items_schema", "min_length", "max_length", "strict"}, where)
            return ["list", self.node(s["items_schema"], where + "[]"), s.get("min_length"), s.get("max_length")]
        if kind == "dict":
            _keys(s, {"keys_schema", "values_schema", "min_length", "max_length", "strict"}, where)
            return ["dict", self.node(s.get("keys_schema", {"type": "any"}), where + "{key}"),
                    self.node(s.get("values_schema", {"type": "any"}), where + "{}"),
                    s.get("min_length"), s.get("max_length")]
        if kind in ("function-before", "function-after"):
            _keys(s, {"function", "schema"}, where)
            if s["function"].get("type") != "no-info" or set(s["function"]) != {"type", "function"}:
                raise Unsupported(f"{where}: {kind} with {s['function']!r}")
            if kind == "function-after" and s["schema"]["type"] == "model":
                model = self.node(s["schema"], where)
                fn = self.function(s["function"]["function"], where)
                if fn[0] != "fn":
                    raise Unsupported(f"{where}: model validator {fn!r}")
                if fn[1] not in self.models[model[1]]["after"]:
                    self.models[model[1]]["after"].append(fn[1])
                return model
            fn = self.function(s["function"]["function"], where)
            return ["before" if kind == "function-before" else "after", fn, self.node(s["schema"], where)]
        if kind == "model":
            return self.model(s, where)
        raise Unsupported(f"{where}: {kind}")

    def model(self, s: Mapping[str, Any], where: str) -> list[Any]:
        _keys(s, {"cls", "config", "custom_init", "root_model", "schema"}, where)
        cls = s["cls"]
        name = f"{cls.__module__}.{cls.__qualname__}"
        config = s.get("config", {})
        if s["custom_init"] or s["root_model"] or set(config) - {"title", "extra_fields_behavior"} \
                or config.get("extra_fields_behavior") != "forbid":
            raise Unsupported(f"{where}: model {name} with {config!r}")
        if name in self.models:
            return ["model", name]
        entry: dict[str, Any] = {"fields": [], "after": []}
        self.models[name] = entry
        fields = s["schema"]
        _keys(fields, {"computed_fields", "fields", "model_name"}, where)
        if fields.get("computed_fields"):
            raise Unsupported(f"{where}: computed fields of {name}")
        for field_name, f in fields["fields"].items():
            at = f"{name}.{field_name}"
            if f["type"] != "model-field":
                raise Unsupported(f"{at}: {f['type']}")
            _keys(f, {"schema"}, at)
            inner = f["schema"]
            if inner["type"] == "default":
                _keys(inner, {"default", "default_factory", "default_factory_takes_data", "schema"}, at)
                if "default_factory" in inner:
                    if inner.get("default_factory_takes_data"):
                        raise Unsupported(f"{at}: default factory taking data")
                    default = _plain(inner["default_factory"](), at)
                else:
                    default = _plain(inner["default"], at)
                entry["fields"].append([field_name, self.node(inner["schema"], at), False, default])
            else:
                entry["fields"].append([field_name, self.node(inner, at), True, None])
        return ["model", name]


def spec() -> dict[str, Any]:
    """The quick path's data: every model a dossier is checked against, compiled."""
    c = _Compiler()
    from pydantic import TypeAdapter

    date_schema: Any = TypeAdapter(IsoDate).core_schema
    out: dict[str, Any] = {
        "types": sorted(FACTS_MODELS),
        "authority": sorted(AUTHORITY_MODELS),
        "village": c.node(DossierVillage.__pydantic_core_schema__, "village"),
        "person": c.node(DossierPerson.__pydantic_core_schema__, "person"),
        "date": c.node(date_schema, "date"),
        "events": {t: c.node(event_model(t).__pydantic_core_schema__, t) for t in DOSSIER_TYPES},
        "facts": {t: c.node(FACTS_MODELS[t].__pydantic_core_schema__, t) for t in DOSSIER_TYPES},
    }
    out["models"] = dict(sorted(c.models.items()))
    out["sources"] = dict(sorted(c.sources.items()))
    return out


def render(value: dict[str, Any]) -> str:
    """A module holding the spec as JSON text, one model per line: compiling a large literal
    would cost the quick path more (sources are not byte-compiled ahead of time)."""

    def dumps(v: Any) -> str:
        return json.dumps(v, separators=(",", ":"))

    lines = []
    for key, v in value.items():
        if isinstance(v, dict) and v:
            inner = ",\n".join(f"{dumps(k)}:{dumps(x)}" for k, x in v.items())
            lines.append(f"{dumps(key)}:{{\n{inner}}}")
        else:
            lines.append(f"{dumps(key)}:{dumps(v)}")
    text = "{" + ",\n".join(lines) + "}"
    if "\'\'\'" in text or text.endswith("\\"):
        raise Unsupported("the spec cannot be written as a raw string")
    return ('"""Generated by ``python -m schemas.quick_gen`` from the models: do not edit."""\n\n'
            "# ruff: noqa: E501\n"
            f"SPEC_JSON = r\'\'\'{text}\'\'\'\n")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render(spec())
    present = TARGET.read_text(encoding="utf-8") if TARGET.exists() else None
    if "--check" in args:
        if present != text:
            print("out of step: schemas/_quick_spec.py (run python -m schemas.quick_gen)", file=sys.stderr)
            return 1
        return 0
    if present != text:
        TARGET.write_text(text, encoding="utf-8")
    print(f"{TARGET}: {len(text)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
