"""Facts of the party cell's congress and of training (EVENTS.md, RULES.md §4).

Counts are whole numbers checked strictly; probationary members' ballots are recorded
(``ballots_probationary``) so that C-ELIGIBLE can judge a vote that should not have
been counted — the ledger records the breach, it does not refuse it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from schemas._base import Count, Decision, Facts, Ordinal, People, ProcessFacts, Text
from schemas.ids import PersonId

Office = Literal["committee", "secretary", "deputy"]
Course = Literal["party_work", "mass_mobilisation", "state_management", "role_head", "role_secretary", "pre_election"]


class Excluded(Facts):
    """Full members not counted toward the majority (RULES.md C-WINNER), by cause.

    A cause left out counts as 0.
    """

    transferred: Count = 0
    exempt_absent: Count = Field(default=0, description="Exempted from activities and absent.")
    suspended: Count = Field(default=0, description="Suspended, prosecuted or detained.")
    absent_approved: Count = Field(default=0, description="Absent throughout with an approved reason.")


class CongressHeld(ProcessFacts):
    """The cell congress. The event date is the congress day."""

    full_members: Count
    probationary_members: Count
    summoned: Count = Field(description="Full members summoned.")
    excluded: Excluded = Field(default_factory=Excluded)
    present: Count


class CongressCounted(ProcessFacts):
    """One ballot of the congress: one office, one round."""

    office: Office
    round: Ordinal
    seats: Ordinal
    votes: dict[PersonId, Count] = Field(description="Person id → votes.")
    separate: StrictBool = Field(description="The office had a ballot of its own.")
    secret: StrictBool = Field(description="The ballot was secret.")
    ballots_full: Count = Field(description="Ballots counted from full members.")
    ballots_probationary: Count = Field(description="Ballots counted from probationary members.")
    elected: People | None = Field(default=None, description="Addition: whom the minutes declare elected.")


class CongressReported(ProcessFacts):
    """The cell reports the result upward; the event date is the report's date."""


class CongressApproved(ProcessFacts):
    """The commune party committee approves (chuẩn y) the result."""

    decision: Decision
    secretary: PersonId | None = None
    deputy: PersonId | None = None
    committee: People = Field(default_factory=list, description="The chi ủy (empty where the cell has none).")


class CongressAnnulled(ProcessFacts):
    decision: Decision
    reason: Text


class CongressAppointed(ProcessFacts):
    """The higher committee appoints an office holder (C-ROUNDS)."""

    office: Office
    person: PersonId
    decision: Decision


class TrainingCompleted(ProcessFacts):
    person: PersonId
    course: Course


CONGRESS_MODELS: dict[str, type[Facts]] = {
    "congress.held": CongressHeld,
    "congress.counted": CongressCounted,
    "congress.reported": CongressReported,
    "congress.approved": CongressApproved,
    "congress.annulled": CongressAnnulled,
    "congress.appointed": CongressAppointed,
    "training.completed": TrainingCompleted,
}
