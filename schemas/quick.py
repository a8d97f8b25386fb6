"""A valid dossier, loaded without pydantic: the quick path of ``dantin check``.

``quick_load(raw)`` returns what ``dantin check`` needs of a dossier when the file is valid,
and None whenever it is not sure: then the caller loads it with ``schemas.dossier`` (the
models themselves), which names every problem. It judges the file with
``schemas._dossier_core.check`` (the same code as ``load_dossier``) and, for each part, with
plain checks compiled from the very models (``schemas/_quick_spec.py``, made by
``python -m schemas.quick_gen``). Each check is at least as strict as the model's: a string
with a pattern must be ASCII on one line, numbers and booleans must be JSON's own, a model
refuses unknown fields. So a file this accepts, the models accept, with the same values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from schemas import _checks
from schemas._dossier_core import DossierError, DossierEvent, check


class NotQuick(Exception):
    """The quick path is not sure; load the file with the models."""


class Record(dict[str, Any]):
    """A model's values, as ``model_dump(exclude_none=True)`` gives them, also by attribute."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _secret_ballot(values: Mapping[str, Any]) -> None:
    """``schemas.process.ElectionCounted._ballots_of_a_secret_ballot``, as a plain check."""
    lacking = [n for n in ("ballots_issued", "ballots_returned", "valid", "invalid") if values.get(n) is None]
    if values["method"] == "secret_ballot" and lacking:
        raise NotQuick


#: Model validators, copied by hand (schemas.quick_gen.COPIED names each with its source digest).
MODEL_CHECKS: dict[str, Callable[[Mapping[str, Any]], None]] = {"secret_ballot": _secret_ballot}
FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "iso_date": _checks._iso_date,
    "utc_time": _checks._utc_time,
    "aware": _checks._aware,
    "unique": _checks.unique,
    "decimal": _checks._decimal,
}
_EXACT = {"date": date, "datetime": datetime, "decimal": Decimal}


class _Spec:
    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self.models: Mapping[str, Any] = spec["models"]

    def value(self, node: list[Any], v: Any) -> Any:
        kind = node[0]
        if kind == "str":
            _, pattern, least, most = node
            if type(v) is not str or (least is not None and len(v) < least) or (most is not None and len(v) > most):
                raise NotQuick
            if pattern is not None and (not v.isascii() or "\n" in v or not re.search(pattern, v)):
                raise NotQuick
            return v
        if kind == "int":
            _, ge, le, gt, lt = node
            if type(v) is not int or (ge is not None and v < ge) or (le is not None and v > le) \
                    or (gt is not None and v <= gt) or (lt is not None and v >= lt):
                raise NotQuick
            return v
        if kind == "bool":
            if type(v) is not bool:
                raise NotQuick
            return v
        if kind == "lit":
            if not any(type(v) is type(e) and v == e for e in node[1]):
                raise NotQuick
            return v
        if kind == "null":
            return None if v is None else self.value(node[1], v)
        if kind == "list":
            _, items, least, most = node
            if type(v) is not list or (least is not None and len(v) < least) or (most is not None and len(v) > most):
                raise NotQuick
            return [self.value(items, item) for item in v]
        if kind == "dict":
            _, keys, values, least, most = node
            if type(v) is not dict or (least is not None and len(v) < least) or (most is not None and len(v) > most):
                raise NotQuick
            return {self.value(keys, k): self.value(values, item) for k, item in v.items()}
        if kind == "model":
            return self.model(node[1], v)
        if kind == "before":
            return self.value(node[2], self.function(node[1], v))
        if kind == "after":
            return self.function(node[1], self.value(node[2], v))
        if kind == "any":
            return v
        if kind in _EXACT:
            if type(v) is not _EXACT[kind]:
                raise NotQuick
            return v
        raise NotQuick  # a form this version does not know: let the models judge

    def function(self, fn: list[Any], v: Any) -> Any:
        try:
            if fn[0] == "fn":
                return FUNCTIONS[fn[1]](v)
            _, op, bound = fn
            ok = {"le": v <= bound, "ge": v >= bound, "lt": v < bound, "gt": v > bound}[op]
        except Exception:  # noqa: BLE001 - whatever the check raises, the models decide
            raise NotQuick from None
        if not ok:
            raise NotQuick
        return v

    def model(self, name: str, v: Any) -> Record:
        entry = self.models[name]
        if type(v) is not dict:
            raise NotQuick
        fields = entry["fields"]
        if len(v) > len(fields) or not v.keys() <= {f[0] for f in fields}:
            raise NotQuick
        values: dict[str, Any] = {}
        for field_name, node, required, default in fields:
            if field_name in v:
                values[field_name] = self.value(node, v[field_name])
            elif required:
                raise NotQuick
            else:
                values[field_name] = _copy(default)
        for after in entry["after"]:
            MODEL_CHECKS[after](values)
        return Record((k, x) for k, x in values.items() if x is not None)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(x) for k, x in value.items()}
    if isinstance(value, list):
        return [_copy(x) for x in value]
    return value


class _QuickChecks:
    """The checks of :func:`schemas._dossier_core.check`, from the compiled spec."""

    invalid: tuple[type[Exception], ...] = ()

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.s = _Spec(spec)
        self.types = frozenset(spec["types"])
        self.authority = frozenset(spec["authority"])

    def village(self, value: Any) -> Any:
        return self.s.value(self.s.spec["village"], value)

    def person(self, value: Any) -> Any:
        return self.s.value(self.s.spec["person"], value)

    def event(self, event_type: str, value: Any) -> Any:
        self.s.value(self.s.spec["events"][event_type], value)
        return None

    def facts(self, event_type: str, value: Any) -> Any:
        return self.s.value(self.s.spec["facts"][event_type], value)

    def date(self, value: Any) -> Any:
        return self.s.value(self.s.spec["date"], value)


class QuickDossier:
    """What ``record_from_dossier`` reads of a dossier: village, people, events."""

    __slots__ = ("events", "people", "village")

    def __init__(self, village: Record, people: list[Record], events: list[DossierEvent]) -> None:
        self.village = village
        self.people = people
        self.events = events


def quick_load(raw: bytes) -> QuickDossier | None:
    """The dossier, when the file is valid and the quick checks are sure of it; else None."""
    import json

    from schemas._quick_spec import SPEC_JSON

    try:
        village, people, events = check(raw, _QuickChecks(json.loads(SPEC_JSON)))
    except (NotQuick, DossierError):
        return None
    return QuickDossier(village, people, events)
