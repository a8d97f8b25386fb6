"""Building blocks shared by every facts model (schemas/facts.py and the modules it gathers).

Facts are signed as RFC 8785 JSON with no floats (ARCHITECTURE.md), so every number is a
whole number, checked strictly: ``"12"``, ``12.0``, ``1.5`` and ``true`` are not counts.
Quantities that are not whole (a term of 2.5 years, a petition share of 0.52) are written
as decimal strings, which sign byte-exactly.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, WithJsonSchema

# The checks themselves live there, importable without pydantic (schemas.quick); named here as before.
from schemas._checks import _DECIMAL_RE, LINE_PATTERN, TEXT_PATTERN, _decimal
from schemas._checks import DOSSIER_ID_RE as DOSSIER_ID_RE
from schemas._checks import HASH_RE as HASH_RE
from schemas._checks import MAX_SAFE_INT as MAX_SAFE_INT
from schemas._checks import unique as unique
from schemas.ids import PLACE_RE, PersonId


class Facts(BaseModel):
    """Base of every facts model: unknown fields are refused, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


#: What a signed string may hold, published with the schemas (``schemas._checks``): no control
#: character, and no invisible format character such as a bidirectional override. The ledger
#: judges it (``ledger.authority``), not the models: rows stored before the rule still replay.
ONE_LINE = Field(json_schema_extra={"pattern": LINE_PATTERN})
FREE_TEXT = Field(json_schema_extra={"pattern": TEXT_PATTERN})

#: A name: of a person, a place, a body.
Name = Annotated[str, StringConstraints(min_length=1, max_length=200), ONE_LINE]
#: Free text a person wrote (a reason, a finding).
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000), FREE_TEXT]
#: A free remark.
Note = Annotated[str, StringConstraints(max_length=2000), FREE_TEXT]
#: A short label (where, how).
Label = Annotated[str, StringConstraints(min_length=1, max_length=500), ONE_LINE]
#: A decision's number and sign, e.g. ``"45/QĐ-UBND"``.
Decision = Annotated[str, StringConstraints(min_length=1, max_length=100), ONE_LINE]


class ProcessFacts(Facts):
    """Base of the personnel-process facts: each may carry a free remark."""

    note: Note | None = Field(
        default=None, description="Free remark (e.g. the paper record's reference); not judged."
    )


#: A number of people, ballots or votes: a whole number, 0 or more.
Count = Annotated[int, Field(strict=True, ge=0, le=MAX_SAFE_INT)]
#: A whole number, 1 or more (a ballot round, a number of seats).
Ordinal = Annotated[int, Field(strict=True, ge=1, le=MAX_SAFE_INT)]

#: A list of person ids, each at most once (a list may be empty: the verdict judges that).
People = Annotated[
    list[PersonId], Field(max_length=500, json_schema_extra={"uniqueItems": True}), AfterValidator(unique)
]

_HASH = HASH_RE.pattern[1:-1]
_DOSSIER_ID = DOSSIER_ID_RE.pattern[1:-1]
_PLACE = PLACE_RE.pattern[1:-1]

#: The hash of a ledger event (its entry hash, as receipts give it).
EventHash = Annotated[str, StringConstraints(pattern=HASH_RE.pattern)]
DossierId = Annotated[str, StringConstraints(pattern=DOSSIER_ID_RE.pattern)]
#: An earlier event: its ledger hash, or (in a dossier) its dossier id.
EventRef = Annotated[str, StringConstraints(pattern=rf"^(?:{_HASH}|{_DOSSIER_ID})$")]
#: What an observation or a finding is about: an event (hash or dossier id) or a place.
Subject = Annotated[str, StringConstraints(pattern=rf"^(?:{_HASH}|{_DOSSIER_ID}|{_PLACE})$", max_length=200)]

#: A non-negative quantity that need not be whole: an integer, or a decimal string.
DecimalText = Annotated[
    Decimal,
    BeforeValidator(_decimal),
    WithJsonSchema({
        "anyOf": [
            {"type": "integer", "minimum": 0, "maximum": MAX_SAFE_INT},
            {"type": "string", "pattern": _DECIMAL_RE.pattern},
        ],
        "description": "A whole number, or a decimal written as a string (signed facts hold no floats).",
    }),
]
