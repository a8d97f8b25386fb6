"""The plain-Python checks behind the contracts' annotated types, importable without pydantic.

``schemas.ids`` and ``schemas._base`` wrap these very functions in pydantic validators;
``schemas.quick`` (the quick path of ``dantin check``) calls them directly, so both judge a
value by the same code.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeVar

_SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
PLACE_RE = re.compile(rf"^{_SLUG}(?:\.{_SLUG})*$")
BODY_RE = re.compile(rf"^{_SLUG}(?:\.{_SLUG})*/[a-z0-9]+(?:[-_][a-z0-9]+)*$")
PERSON_RE = re.compile(r"^[a-z0-9][a-z0-9._:-]{0,127}$")
KEY_ID_RE = re.compile(r"^[0-9a-f]{32}$")
EVENT_TYPE_RE = re.compile(r"^[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*$")

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z$")

#: The largest integer RFC 8785 (I-JSON) represents exactly: 2^53 − 1.
MAX_SAFE_INT = 2**53 - 1

HASH_RE = re.compile(r"^[0-9a-f]{64}$")
#: A dossier's own event id (``e1``, ``bau-cu-2022``); at most 63 characters, so it can
#: never be mistaken for an event hash.
DOSSIER_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$")

_DECIMAL_RE = re.compile(r"^(?:0|[1-9][0-9]{0,8})(?:\.[0-9]{1,6})?$")


#: Strings already judged good, and what they gave (dates and times are immutable): events
#: share their dates, and a batch its signing times. Each holds at most ``_SEEN`` entries.
_DATES: dict[str, date] = {}
_TIMES: dict[str, datetime] = {}
_SEEN = 4096
_T = TypeVar("_T")


def _iso_date(value: object) -> object:
    if type(value) is str:
        seen = _DATES.get(value)
        if seen is not None:
            return seen
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return _remember(_DATES, value, date.fromisoformat(value))


def _utc_time(value: object) -> object:
    if type(value) is str:
        seen = _TIMES.get(value)
        if seen is not None:
            return seen
    if not isinstance(value, str) or not _TIME_RE.match(value):
        raise ValueError("expected a UTC time as YYYY-MM-DDTHH:MM:SSZ")
    return _remember(_TIMES, value, datetime.fromisoformat(value.replace("Z", "+00:00")))


def _remember(seen: dict[str, _T], value: str, result: _T) -> _T:
    """Keep what an exact ``str`` gave (not a subclass: its equality could differ)."""
    if type(value) is str:
        if len(seen) >= _SEEN:
            seen.clear()
        seen[value] = result
    return result


def _aware(value: datetime) -> datetime:
    return value.astimezone(UTC)


def unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    for item in items:
        if item in seen:
            raise ValueError(f"duplicate item {item!r}")
        seen.add(item)
    return items


def _decimal(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SAFE_INT:
        return Decimal(value)
    if isinstance(value, str) and _DECIMAL_RE.match(value):
        return Decimal(value)
    raise ValueError("expected a whole number or a decimal written as a string, e.g. \"2.5\"")


def place_contains(outer: str, inner: str) -> bool:
    """True when place ``inner`` is ``outer`` or lies below it (dot-segment prefix)."""
    return inner == outer or inner.startswith(outer + ".")
