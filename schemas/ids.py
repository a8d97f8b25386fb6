"""Identifier shapes shared by every contract."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BeforeValidator, StringConstraints

# The shapes and checks live there, importable without pydantic (schemas.quick); named here as before.
from schemas._checks import BODY_RE as BODY_RE
from schemas._checks import EVENT_TYPE_RE as EVENT_TYPE_RE
from schemas._checks import KEY_ID_RE as KEY_ID_RE
from schemas._checks import PERSON_RE as PERSON_RE
from schemas._checks import PLACE_RE as PLACE_RE
from schemas._checks import _iso_date, _utc_time
from schemas._checks import place_contains as place_contains

PlaceId = Annotated[str, StringConstraints(pattern=PLACE_RE.pattern, max_length=200)]
BodyId = Annotated[str, StringConstraints(pattern=BODY_RE.pattern, max_length=240)]
PersonId = Annotated[str, StringConstraints(pattern=PERSON_RE.pattern)]
KeyId = Annotated[str, StringConstraints(pattern=KEY_ID_RE.pattern)]
EventType = Annotated[str, StringConstraints(pattern=EVENT_TYPE_RE.pattern, max_length=64)]

#: A calendar date, spelled exactly ``YYYY-MM-DD``.
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
#: A UTC instant, spelled ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``: ``_utc_time`` takes nothing else, and
#: gives it aware, in UTC (so no validator after it converts it again).
UtcTime = Annotated[datetime, BeforeValidator(_utc_time)]

