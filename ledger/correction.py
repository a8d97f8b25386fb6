"""A correction and the event it corrects (EVENTS.md ``correction.recorded``): one merge, and the door.

**One merge.** A correction's corrected facts are its nested ``facts`` object (the form its schema,
``schemas.oversight.CorrectionRecorded``, takes; ``docs/contract-formats.md``), or, in a record from
elsewhere that wrote them so, its own facts beside ``corrects`` and ``reason``;
they replace the original's of the same name, and a ``date`` among
them corrects the original's date (``merge``). The verdict engine's "as corrected"
(``ledger.rules.record.corrected``, also the attendance view's) and the ledger's door (``judge``)
both call ``merge`` and ``misfit``, so what the door lets in is exactly what the judge applies.

**The door (from 2026-12-06).** Until then the ledger stored any correction of the right form, and
the judge silently left out those it cannot apply: the submitter had a receipt for a correction
that never took effect. Now ``ledger.authority.admit`` refuses, nothing stored:

- ``unknown_event``: ``corrects`` names no event of the ledger as it stood (a dossier id, a typo);
- ``not_own_event``: the event was signed by another body (EVENTS.md: a body corrects its own);
- ``malformed``: it corrects a correction (correct the original) or a registration, an enrolment or a
  key's rotation or revocation (nothing reads those as corrected), it is stated about another place
  than its original (no village's record would read it: only an attendance event's correction is
  applied wherever it is stated, by the attendance view), or its original is stated about a place that is
  no village (a commune, a district: nothing reads the corrections stated there, a Front's observation
  about a commune excepted, which the Front's page of the commune shows as corrected:
  ``READ_ABOVE_VILLAGE``), its ``date`` is not a day
  (YYYY-MM-DD, as every date of a statement), or the original's facts, corrected, no longer fit
  the original type's model (a count that is no number).

It is a dated rule (``Refused.rule_since``): a row stored before it is a dated finding of
``dantin verify``, and a bundle witnessed before that day takes it as the ledger then did.

**Where the door finds the original.** The statement names it by entry hash alone, and it may sit
in another stream than the correction's (which is its ``place``'s): a profile in the person's
stream, an attendance report in its body's. So the door asks the view for any earlier event by
hash (``View.earlier``), and each path answers from what it already holds:

- ingest (``ledger.application``): the batch's own accepted events, else the store: first the
  correction's own stream (its rows by the events table's key, their leaves by row: where nearly
  every correction's original is), else the leaves table read through for the hash. There is no
  index on a leaf's hash, and none is added: it would cost every commit of every event a page
  (session 7 dropped one for that, ``docs/design/performance.md``) for a read only corrections
  make. Measured on a synthetic ledger of 292,128 events (10,000 villages; this 2-core machine):
  the own-stream read 0.04 ms; the read through, for a profile's or an attendance report's
  correction, 12-18 ms on SQLite (17 ms for a hash the ledger does not hold), and a scan of as
  many leaves 25 ms on PostgreSQL; a province's ledger is a tenth of that. Other types never ask.
- ``dantin verify`` (``ledger.audit``): a dict of every folded row's leaf hash (the very bytes
  object the log check keeps) to its notification id, and a correction's original read again
  by that id. On the same ledger, without a correction: 455 -> 466 MB at most in use (+2.5 %),
  one dict entry a row. Keeping each row's facts or payload instead would have held the whole
  ledger's statements in memory (~+25 %, ~390 bytes a row) for the rare correction.
- a bundle (``ledger.bundle``): its replayed events by hash. ``make_bundle`` adds the stream of
  each bundled correction's original (whole for a body's or a person's, up to it for another
  place's), so a bundle can always judge the rule.

Pure and light: ``dantin check``'s quick path (no pydantic) imports the merge; pydantic and the
facts' models are imported only when facts are checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, NamedTuple, TypeGuard

from ledger.errors import Refused
from schemas._checks import is_iso_day

#: Keys of a ``correction.recorded`` event that are not corrected facts.
CORRECTION_KEYS = frozenset({"corrects", "reason", "facts"})
#: The day from which the ledger refuses a correction that would not take effect (``judge``).
SINCE = "2026-12-06"
_TYPE = "correction.recorded"


def as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


class Merged(NamedTuple):
    """The original's facts with the corrected ones over them, and the corrected date."""

    facts: dict[str, Any]
    #: The corrected date; None when the correction states none, or states one that is no date.
    date: date | None
    #: Whether the corrected facts name a ``date`` at all (``date`` None then: it is no date).
    dated: bool


def changes(fix: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """The corrected facts of a correction's facts ``fix``, and where they sit in them (for messages)."""
    nested = fix.get("facts")
    if isinstance(nested, Mapping):
        return dict(nested), "facts."
    return {k: v for k, v in fix.items() if k not in CORRECTION_KEYS}, ""


def merge(original: Mapping[str, Any], fix: Mapping[str, Any]) -> Merged:
    """The original's facts ``original`` as the correction whose facts are ``fix`` corrects them."""
    changed, _ = changes(fix)
    dated = "date" in changed
    day = as_date(changed.pop("date", None))
    return Merged({**original, **changed}, day, dated)


def misfit(event_type: str, facts: Mapping[str, Any]) -> Exception | None:
    """Why ``facts`` are not facts an event of ``event_type`` may hold (its model, as at ingest);
    None when they are. (pydantic is imported here, not above: see the module docstring.)"""
    from pydantic import ValidationError

    from schemas.facts import FACTS_MODELS

    model = FACTS_MODELS.get(event_type)
    if model is None:
        return None
    try:
        model.model_validate(facts)
    except (ValidationError, TypeError, ValueError) as exc:
        return exc
    return None


class Earlier(NamedTuple):
    """An event already in the ledger, as a correction of it is judged."""

    body: str  # the body that signed it
    type: str
    facts: Mapping[str, Any]
    place: str  # the place it is stated about

    @classmethod
    def of(cls, statement: Mapping[str, Any]) -> Earlier:
        """From a stored statement (its JSON)."""
        facts = statement.get("facts")
        return cls(str(statement.get("body")), str(statement.get("type")), facts if isinstance(facts, Mapping) else {},
                   str(statement.get("place")))


def is_entry_hash(value: object) -> TypeGuard[str]:
    """Whether ``value`` can name an event of the ledger: an entry hash, 64 lowercase hex digits."""
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


#: Types whose corrections take effect wherever they are stated: the attendance view applies them by
#: the original's id (``projections.attendance``). Any other's is read only with its original's
#: place's record (the village's stream, or a profile stated about that village).
ANY_PLACE = frozenset({"attendance.recorded", "attendance.planned", "attendance.reported"})
#: Types no view reads "as corrected" (a village's name is its registration's; a body's, its enrolment's).
NOT_CORRECTED = frozenset({"place.registered", "body.enrolled", "key.rotated", "key.revoked"})
#: Kinds of place that are villages (thôn, tổ dân phố): a village's record is its place's stream.
VILLAGE_KINDS = frozenset({"thon", "tdp"})
#: Kinds of place a village belongs to: xã, phường, thị trấn (``api.web.district.COMMUNE_KINDS``).
COMMUNE_KINDS = frozenset({"commune", "ward", "townlet"})
#: Above a village, the only events any view reads from a place's own stream, by the kinds of place read:
#: the Front's page of a commune shows the observations stated about the commune as a whole, as corrected
#: (``api.web.district.front_page``). Nothing reads any other event stated about a commune, a district or
#: the province (a commune-wide ``election.ordered``, a district's ``waiver.granted``: no village's record
#: holds them), nor, for a profile stated there, the correction (a profile's correction is read with the
#: events of the village it is stated about: ``ledger.village.build_record``).
READ_ABOVE_VILLAGE: Mapping[str, frozenset[str]] = {"front.observation": COMMUNE_KINDS}
#: Types read only with a village's record (its place's stream: ``ledger.village.build_record``): stated
#: about a commune, a district or the province they would reach no record and no view, so from ``SINCE``
#: they are refused there (``about_a_village``). The others: a body's and a place's own events, profiles
#: (the person's stream), attendance (the body's), the Front's observations (read about a commune too)
#: and corrections (judged by ``judge``).
VILLAGE_ONLY = frozenset({
    "candidates.agreed", "candidates.drafted", "candidates.finalised",
    "congress.annulled", "congress.appointed", "congress.approved", "congress.counted", "congress.held",
    "congress.reported", "election.counted", "election.notice_posted", "election.ordered", "election.recognised",
    "election.rerun_ordered", "election.team_formed", "front.head_chosen", "head.acting_appointed",
    "head.removal_recognised", "inspection.finding", "personnel.nominated", "training.completed", "waiver.granted",
})
#: Place kinds as a message says them.
_PLACE_KIND_VI = {"province": "tỉnh", "district": "huyện", "town": "thị xã", "commune": "xã", "ward": "phường",
                  "townlet": "thị trấn"}


def _kind_vi(place_kind: str | None) -> str:
    return _PLACE_KIND_VI.get(str(place_kind), "không phải thôn, tổ dân phố")


def about_a_village(event_type: str, place: str, place_kind: str | None) -> None:
    """Raise ``Refused`` (dated ``SINCE``) if an event of ``event_type`` (one of ``VILLAGE_ONLY``) is stated
    about ``place``, of kind ``place_kind``, which is no village: no record would ever read it."""
    if place_kind in VILLAGE_KINDS:
        return
    kind_vi = _kind_vi(place_kind)
    raise _dated("malformed", f"Sự kiện loại '{event_type}' phải ghi về một thôn, tổ dân phố, nhưng '{place}' là "
                 f"{kind_vi}: chỉ hồ sơ của từng thôn đọc loại sự kiện này, nên ghi về '{place}' nó sẽ không có "
                 "hiệu lực ở đâu cả. Hãy ghi một sự kiện cho mỗi thôn (place là mã của thôn).",
                 f"a {event_type} about {place} (a {place_kind}), which no village's record reads")


def judge(body: str, fix: Mapping[str, Any], original: Earlier | None, place: str, place_kind: str | None) -> None:
    """Raise ``Refused`` (dated ``SINCE``) unless the correction ``fix`` (its facts), signed by ``body``
    and stated about ``place`` (registered as a place of kind ``place_kind``), would take effect on
    ``original``, the event it names as the ledger found it (None: none)."""
    target = str(fix.get("corrects"))
    short = target[:16] + "…" if len(target) == 64 else target
    if original is None:
        raise _dated("unknown_event", f"Sự kiện được đính chính '{target}' không có trong sổ cái: 'corrects' phải "
                     "là mã băm của một sự kiện đã ghi trước đó (như trong biên nhận của nó).",
                     f"corrected event {target} is no event of the ledger")
    if original.body != body:
        raise _dated("not_own_event", f"Sự kiện '{short}' do '{original.body}' ký: chỉ cơ quan đã ký một sự kiện "
                     f"mới được đính chính nó, '{body}' không được.",
                     f"event {target} was signed by {original.body}, not {body}")
    if original.type == _TYPE:
        raise _dated("malformed", f"Sự kiện '{short}' là một đính chính; hãy đính chính sự kiện gốc.",
                     f"event {target} is a correction")
    if original.type in NOT_CORRECTED:
        raise _dated("malformed", f"Sự kiện '{short}' loại '{original.type}' không đính chính được bằng "
                     "correction.recorded: không bảng tra cứu nào áp dụng một đính chính như vậy.",
                     f"event {target} is a {original.type}, which nothing reads as corrected")
    if original.place != place and original.type not in ANY_PLACE:
        raise _dated("malformed", f"Sự kiện '{short}' được ghi về '{original.place}': đính chính của nó phải ghi về "
                     f"cùng nơi đó (place '{original.place}', không phải '{place}'), nếu không sẽ không được áp dụng.",
                     f"event {target} is about {original.place}, the correction about {place}")
    if (original.type not in ANY_PLACE and place_kind not in VILLAGE_KINDS
            and place_kind not in READ_ABOVE_VILLAGE.get(original.type, ())):
        kind_vi = _kind_vi(place_kind)
        hint = (" Để sửa lý lịch, hãy ghi một hồ sơ mới (person.profiled) nêu lại các trường đúng: nó có hiệu lực "
                "từ ngày ghi." if original.type == "person.profiled" else "")
        raise _dated("malformed", f"Sự kiện '{short}' loại '{original.type}' được ghi về '{original.place}' "
                     f"({kind_vi}), không phải về một thôn, tổ dân phố: không hồ sơ thôn nào và không bảng tra cứu "
                     f"nào đọc đính chính của nó, nên đính chính sẽ không được áp dụng.{hint}",
                     f"event {target} is a {original.type} about {original.place} (a {place_kind}), "
                     "whose corrections no view reads")
    changed, where = changes(fix)
    merged = merge(original.facts, fix)
    if merged.dated and (merged.date is None or not is_iso_day(changed["date"])):
        shown = str(changed["date"])[:40]
        raise _dated("malformed", f"Ngày đính chính tại facts.{where}date ('{shown}') không phải một ngày có thật "
                     "dạng YYYY-MM-DD.", f"facts.{where}date: {shown!r} is not a date")
    problem = misfit(original.type, merged.facts)
    if problem is not None:
        said, detail = _said(problem)
        raise _dated("malformed", f"Dữ kiện của sự kiện '{original.type}' sau khi đính chính không hợp lệ tại "
                     f"{said}.", f"corrected facts do not fit {original.type}: {detail}")


def _said(problem: Exception) -> tuple[str, str]:
    """Where and what the first error is: in Vietnamese, and in the model's English."""
    errors = getattr(problem, "errors", None)
    if callable(errors):
        from schemas._messages import message_vi, path_of

        first = errors()[0]
        where = path_of(first["loc"])
        return f"{where}: {message_vi(first)}", f"{where}: {first['msg']}"
    return f"(gốc): {problem}", str(problem)


def _dated(code: str, message_vi: str, detail: str) -> Refused:
    refusal = Refused(code, message_vi, detail=detail)
    refusal.rule_since = SINCE
    return refusal
