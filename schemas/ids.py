"""Identifier shapes shared by every contract."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, StringConstraints

_SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
PLACE_RE = re.compile(rf"^{_SLUG}(?:\.{_SLUG})*$")
BODY_RE = re.compile(rf"^{_SLUG}(?:\.{_SLUG})*/[a-z0-9]+(?:[-_][a-z0-9]+)*$")
PERSON_RE = re.compile(r"^[a-z0-9][a-z0-9._:-]{0,127}$")
KEY_ID_RE = re.compile(r"^[0-9a-f]{32}$")
EVENT_TYPE_RE = re.compile(r"^[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*$")

PlaceId = Annotated[str, StringConstraints(pattern=PLACE_RE.pattern, max_length=200)]
BodyId = Annotated[str, StringConstraints(pattern=BODY_RE.pattern, max_length=240)]
PersonId = Annotated[str, StringConstraints(pattern=PERSON_RE.pattern)]
KeyId = Annotated[str, StringConstraints(pattern=KEY_ID_RE.pattern)]
EventType = Annotated[str, StringConstraints(pattern=EVENT_TYPE_RE.pattern, max_length=64)]

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z$")


def _iso_date(value: object) -> object:
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return date.fromisoformat(value)


def _utc_time(value: object) -> object:
    if not isinstance(value, str) or not _TIME_RE.match(value):
        raise ValueError("expected a UTC time as YYYY-MM-DDTHH:MM:SSZ")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _aware(value: datetime) -> datetime:
    return value.astimezone(UTC)


#: A calendar date, spelled exactly ``YYYY-MM-DD``.
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
#: A UTC instant, spelled ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``.
UtcTime = Annotated[datetime, BeforeValidator(_utc_time), AfterValidator(_aware)]


def place_contains(outer: str, inner: str) -> bool:
    """True when place ``inner`` is ``outer`` or lies below it (dot-segment prefix)."""
    return inner == outer or inner.startswith(outer + ".")
