"""Facts that look back at other facts: observations, findings, corrections, attendance.

An event is named by its ledger hash (the entry hash a receipt gives), or — in a
dossier — by its dossier id; ``dantin import`` translates dossier ids to hashes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from schemas._base import EventRef, Facts, ProcessFacts, Subject, Text
from schemas.ids import IsoDate, PersonId, PlaceId

Level = Literal["commune", "district", "province", "commune_official"]


class FrontObservation(ProcessFacts):
    """The commune Front's supervision: what it saw, and how serious it is.

    ``severity`` is ``info`` (noted, nothing wrong), ``warning`` (to put right) or
    ``breach`` (a rule was broken).
    """

    about: list[Subject] = Field(min_length=1, max_length=100, description="Event hashes, dossier ids or places.")
    finding: Text
    severity: Literal["info", "warning", "breach"]


class InspectionFinding(ProcessFacts):
    about: list[Subject] = Field(min_length=1, max_length=100, description="The village, or events.")
    finding: Text
    conclusion: Text


class CorrectionRecorded(ProcessFacts):
    """A body corrects its own earlier event; the original stays in the ledger.

    ``facts`` holds the corrected fields of the original event's facts, under their own
    names: each field named replaces the original's, the others stand (like a later
    profile); ``date`` among them corrects the original's date. Views show the event "as
    recorded" and "as corrected" (the original updated by ``facts``). The merged facts are
    checked against the original type's model, and ``date`` must be a day (YYYY-MM-DD); in
    the ledger (from 2026-12-06) ``corrects`` must be the entry hash of an earlier event
    signed by the same body, not itself a correction (nor a registration, an enrolment, a
    key's rotation or revocation, which nothing reads as corrected), and the correction is stated about
    the original's place (an attendance event's may be stated anywhere), a village (or, for a Front's
    observation, a commune): else the ledger refuses it (``unknown_event``, ``not_own_event``,
    ``malformed``).
    """

    corrects: EventRef
    reason: Text
    facts: dict[str, Any] = Field(min_length=1, description="The corrected fields, named as in the original.")


class AttendancePlanned(ProcessFacts):
    """A committee member's yearly plan of residential cell meetings to attend."""

    member: PersonId
    level: Level
    year: int = Field(strict=True, ge=2000, le=2100)
    cells: list[PlaceId] = Field(max_length=500, description="Villages whose cells the member plans to attend.")


class AttendanceRecorded(ProcessFacts):
    """The host cell records that a member attended its meeting."""

    member: PersonId
    level: Level
    meeting_date: IsoDate
    cell: PlaceId = Field(description="The host cell's village.")


class AttendanceReported(ProcessFacts):
    """The member's own body reports an attendance."""

    attendance: EventRef = Field(description="The attendance.recorded event.")
    report_date: IsoDate


OVERSIGHT_MODELS: dict[str, type[Facts]] = {
    "front.observation": FrontObservation,
    "inspection.finding": InspectionFinding,
    "correction.recorded": CorrectionRecorded,
    "attendance.planned": AttendancePlanned,
    "attendance.recorded": AttendanceRecorded,
    "attendance.reported": AttendanceReported,
}
