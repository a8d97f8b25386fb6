"""Facts of the village-head process (EVENTS.md, "The personnel process of one village").

Nomination, waiver, the election from order to recognition, acting heads and removals.
Field names are EVENTS.md's; a field not named there is marked as this project's
addition. Lists of people may be empty: the ledger records what happened, and the
verdict judges it (RULES.md §7) — only malformed facts are refused.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictBool, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from schemas._base import Count, DecimalText, Decision, Facts, Label, People, ProcessFacts, Text, unique
from schemas.ids import IsoDate, PersonId


class PersonnelNominated(ProcessFacts):
    """The cell picks a party member for village head (and, later, secretary): "ý Đảng"."""

    person: PersonId


class WaiverGranted(ProcessFacts):
    """A district (or town) standing committee excuses an education or theory shortfall."""

    person: PersonId
    criteria: Annotated[list[Literal["education", "theory"]], AfterValidator(unique)] = Field(
        min_length=1, max_length=2, description="The criteria waived."
    )
    reason: Text
    deadline: IsoDate = Field(description="Date by which the person must meet the criteria.")
    decision: Decision | None = Field(default=None, description="Addition: the waiver's number.")


class ElectionOrdered(ProcessFacts):
    """The commune chairman's decision to hold the election; the plan is part of it."""

    election_date: IsoDate
    decision: Decision


class CandidatesDrafted(ProcessFacts):
    """The Ban CTMT's draft list after consultation."""

    candidates: People = Field(description="Person ids, in the list's order.")


class CandidatesAgreed(ProcessFacts):
    """The candidates the cell (or its committee) agrees to introduce."""

    candidates: People = Field(description="Person ids, in the list's order.")


class CandidatesFinalised(ProcessFacts):
    """The official candidate list."""

    candidates: People = Field(description="Person ids, in the list's order.")


class ElectionTeamFormed(ProcessFacts):
    members: People = Field(description="The team's members (person ids).")
    leader: PersonId
    decision: Decision


class ElectionNoticePosted(ProcessFacts):
    where: Label
    how: Label


class ElectionCounted(ProcessFacts):
    """The election team's count minutes. The event date is election day.

    A secret ballot's minutes carry the four ballot figures; a show of hands has no
    ballots, so there they may be left out.
    """

    electorate: Literal["households", "voters"]
    electorate_total: Count
    attending: Count
    ballots_issued: Count | None = None
    ballots_returned: Count | None = None
    valid: Count | None = None
    invalid: Count | None = None
    votes: dict[PersonId, Count] = Field(description="Person id → votes; floor nominees included.")
    method: Literal["show_of_hands", "secret_ballot"]
    household_ballots: StrictBool | None = Field(
        default=None,
        description="True for the no-quorum fallback (RULES.md Q2): ballots carried to each household, "
        "counted as an election.counted of its own.",
    )
    witnesses: list[Label] | None = Field(
        default=None, max_length=50, description="Names of those who witnessed the count, as written."
    )
    received: IsoDate | None = Field(default=None, description="Date the commune received the result.")
    elected: PersonId | None = Field(default=None, description="Addition: whom the minutes declare elected.")

    @model_validator(mode="after")
    def _ballots_of_a_secret_ballot(self) -> ElectionCounted:
        lacking = [n for n in _BALLOT_FIGURES if getattr(self, n) is None]
        if self.method == "secret_ballot" and lacking:
            # One error per missing figure, at the figure's own path (facts.valid…).
            raise ValidationError.from_exception_data(type(self).__name__, [
                InitErrorDetails(type=PydanticCustomError("secret_ballot_figure",
                                                          "a secret ballot's minutes need {name}", {"name": n}),
                                 loc=(n,), input=None)
                for n in lacking
            ])
        return self


_BALLOT_FIGURES = ("ballots_issued", "ballots_returned", "valid", "invalid")


class ElectionRecognised(ProcessFacts):
    """The commune recognises the elected head; the head holds office from this decision."""

    person: PersonId
    decision: Decision
    term_years: DecimalText | None = Field(default=None, description='Term length, e.g. "2.5".')


class ElectionRerunOrdered(ProcessFacts):
    reason: Text
    new_date: IsoDate
    decision: Decision | None = Field(default=None, description="Addition: the order's number.")


class HeadActingAppointed(ProcessFacts):
    person: PersonId
    until: IsoDate
    decision: Decision | None = Field(default=None, description="Addition: the appointment's number.")


class HeadRemovalRecognised(ProcessFacts):
    person: PersonId
    cause: Literal["resigned", "recalled"]
    petition_share: DecimalText | None = Field(
        default=None, le=1, description='Share of households petitioning for recall, e.g. "0.52".'
    )
    requested: IsoDate | None = Field(
        default=None, description="Addition: date the resignation or the recall proposal was made."
    )
    decision: Decision | None = Field(default=None, description="Addition: the decision's number.")


class FrontHeadChosen(ProcessFacts):
    """The head of the village's Ban CTMT."""

    person: PersonId


PROCESS_MODELS: dict[str, type[Facts]] = {
    "personnel.nominated": PersonnelNominated,
    "waiver.granted": WaiverGranted,
    "election.ordered": ElectionOrdered,
    "candidates.drafted": CandidatesDrafted,
    "candidates.agreed": CandidatesAgreed,
    "candidates.finalised": CandidatesFinalised,
    "election.team_formed": ElectionTeamFormed,
    "election.notice_posted": ElectionNoticePosted,
    "election.counted": ElectionCounted,
    "election.recognised": ElectionRecognised,
    "election.rerun_ordered": ElectionRerunOrdered,
    "head.acting_appointed": HeadActingAppointed,
    "head.removal_recognised": HeadRemovalRecognised,
    "front.head_chosen": FrontHeadChosen,
}
