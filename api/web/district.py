"""The district dashboard and the Front's page of a commune: many villages at once, from the views."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from api.places import VILLAGE_KINDS, PlaceIndex
from api.village_views import public_verdict
from api.web.labels import SEVERITY_VI, UNAVAILABLE_VI, body_kind_vi
from api.web.state import WebState
from api.web.village import linkify
from ledger.correction import COMMUNE_KINDS
from ledger.rules.record import RecordedEvent, as_date, corrected
from ledger.rules.text import SAME_PERSON_VI, STATUS_VI, VERDICT_VI
from projections.views import UNAVAILABLE, LedgerReader, VillageUnavailable

VERDICTS = ("compliant", "incomplete", "violations")
OUTCOMES = ("secretary", "deputy", "committee", "outside", "non_member", "none")
STEPS = (("candidates.drafted", "Ban CTMT lập danh sách dự kiến"),
         ("candidates.agreed", "Chi bộ thống nhất giới thiệu"),
         ("candidates.finalised", "Ban CTMT chốt danh sách chính thức"),
         ("election.team_formed", "Thành lập tổ bầu cử"))


def _parent(place: str) -> str:
    return place.rpartition(".")[0]


#: A village's verdict as the dashboard says it (a verdict the views could not compute included).
_VERDICT_SHOWN = {**VERDICT_VI, UNAVAILABLE: UNAVAILABLE_VI}


def _name(places: PlaceIndex, place: str) -> str:
    found = places.get(place)
    return found.name if found is not None else place


def dashboard(state: WebState, commune: str | None, verdict: str | None) -> dict[str, Any] | None:
    """The dashboard of every village, or of one commune's; None for a commune the ledger does not have."""
    views = state.fresh()
    places = state.services.places
    everything = views.villages("")
    communes = sorted({_parent(r["village"]) for r in everything})
    if commune is not None and commune not in communes:
        found = places.get(commune)
        if found is None or found.kind not in COMMUNE_KINDS:
            return None  # not "everything": the page would answer a question nobody asked
        communes = sorted([*communes, commune])  # registered, no village yet: an empty commune, said as such
    districts = sorted({_parent(c) for c in communes})
    multi = len(districts) > 1
    commune_options = [(c, _name(places, c) + (f" — {_name(places, _parent(c))}" if multi else "")) for c in communes]
    errors = [] if verdict is None or verdict in VERDICTS else [
        f"Kết luận «{verdict}» không có (chỉ có: {', '.join(VERDICT_VI[v] for v in VERDICTS)}); "
        "đang hiển thị mọi kết luận."]
    verdict = verdict if verdict in VERDICTS else None
    scope_rows = [r for r in everything if commune is None or _parent(r["village"]) == commune]
    if commune is not None:
        scope = _name(places, commune)
    elif len(districts) == 1:
        scope = _name(places, districts[0])
    else:
        scope = "Toàn bộ sổ cái"
    shown = [r for r in scope_rows if verdict is None or r["verdict"] == verdict]
    day = views.today()
    notices: list[str] = []  # what the server could not do (not the request's fault: no 400)
    broken = views.failures()  # (a village whose tenures failed has a verdict, but no figures either)
    failed = [r for r in scope_rows if r["verdict"] == UNAVAILABLE]
    if failed:  # said above the figures (which leave them out), with where to look
        notices = [f"Không tính được kết luận của {len(failed)} thôn, tổ dân phố "
                  f"({', '.join(r['name'] for r in failed[:5])}{', …' if len(failed) > 5 else ''}): chương trình "
                  "đánh giá gặp lỗi với hồ sơ của các thôn này. Sổ cái không bị ảnh hưởng; hãy báo người vận hành."]
    by_verdict = Counter(r["verdict"] for r in scope_rows)
    by_outcome = Counter(r["same_person"] for r in scope_rows)
    rows = [{**r, "commune": _parent(r["village"]), "commune_name": _name(places, _parent(r["village"])),
             "verdict_vi": _VERDICT_SHOWN.get(r["verdict"], r["verdict"]),
             "same_person_vi": SAME_PERSON_VI.get(r["same_person"], r["same_person"])} for r in shown]
    return {
        "scope": scope, "total": len(scope_rows), "rows": rows, "day": day,
        "verdicts": [(v, VERDICT_VI[v], by_verdict.get(v, 0)) for v in VERDICTS],
        "outcomes": [(o, SAME_PERSON_VI[o], by_outcome.get(o, 0)) for o in OUTCOMES],
        "figures": state.figures(commune or "", [r for r in scope_rows if r["village"] not in broken], day),
        "communes": commune_options, "commune": commune, "verdict": verdict, "errors": errors,
        "notices": notices,
    }


@dataclass
class FrontVillage:
    village: str
    name: str
    election_day: date | None
    steps: list[tuple[str, list[tuple[str, date, int | None]]]]  # (label, [(event id, date, log index)])
    checks: list[dict[str, Any]] = field(default_factory=list)


def _observation(e: RecordedEvent, where: str, where_name: str) -> dict[str, Any]:
    """A Front observation as the page lists it: as corrected, with the corrections that made it so."""
    return {"day": e.date, "where": where, "where_name": where_name, "facts": e.facts, "id": e.id, "index": e.index,
            "corrected_by": e.corrected_by}


def front_page(state: WebState, commune: str) -> dict[str, Any] | None:
    places = state.services.places
    place = places.get(commune)
    if place is None or place.kind not in COMMUNE_KINDS:
        return None  # (a registered commune without a village yet has a page: its observations, no village)
    children = sorted(c for c in place.children if (p := places.get(c)) is not None and p.kind in VILLAGE_KINDS)
    views = state.fresh()
    villages: list[FrontVillage] = []
    observed: list[dict[str, Any]] = []
    where: dict[str, tuple[str, int | None]] = {}
    unavailable: list[str] = []
    for village in children:
        try:
            record, found = views.record(village), views.verdict(village)
        except VillageUnavailable:  # said on the page; the commune's other villages are shown
            unavailable.append(_name(places, village))
            continue
        verdict = public_verdict(found) if found is not None else None
        if record is None or verdict is None:
            continue
        # (a profile stated about the village is among its record's events, not on its page: no link to it)
        where.update({e.id: (village, e.index) for e in record.events if e.type != "person.profiled"})
        ordered = [e for e in record.events if e.type == "election.ordered"]
        counted = [e for e in record.events if e.type == "election.counted"]
        election = as_date(ordered[-1].facts.get("election_date")) if ordered else None
        election = election or (counted[0].date if counted else None)
        steps = [(label, [(e.id, e.date, e.index) for e in record.events if e.type == kind]) for kind, label in STEPS]
        checks = [{**c, "status_vi": STATUS_VI.get(c["status"], c["status"])}
                  for c in verdict["checks"] if c["rule"] in ("E-LIST", "E-TEAM")]
        villages.append(FrontVillage(village, record.village.name, election, steps, checks))
        observed += [_observation(e, village, record.village.name) for e in corrected(record.events)
                     if e.type == "front.observation"]
    reader = LedgerReader(state.ledger)
    # Observations about the commune as a whole, as corrected by the corrections stated about the commune (the
    # only events above a village that a page reads, and so whose corrections the ledger takes:
    # ledger.correction.READ_ABOVE_VILLAGE).
    own = [RecordedEvent(e.id, e.type, e.date, "", dict(e.facts), e.index, body=str(e.statement.get("body")))
           for e in reader.entries(commune) if e.type in ("front.observation", "correction.recorded")]
    observed += [_observation(e, commune, place.name) for e in corrected(own) if e.type == "front.observation"]
    for o in observed:
        about = o["facts"].get("about") or []
        o["severity_vi"] = SEVERITY_VI.get(str(o["facts"].get("severity")), str(o["facts"].get("severity")))
        o["about"] = [(str(a), where.get(str(a))) for a in about]
        o["finding"] = linkify(str(o["facts"].get("finding", "")), {})
    observed.sort(key=lambda o: (o["day"], o["index"] if o["index"] is not None else -1))
    return {"commune": commune, "name": place.name, "district": _parent(commune),
            "district_name": _name(places, _parent(commune)), "villages": villages, "observations": observed,
            "front_kind_vi": body_kind_vi("commune_front"), "day": views.today(), "unavailable": unavailable}
