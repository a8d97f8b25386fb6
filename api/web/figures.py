"""The pilot's target figures over a district or commune (RULES.md §5, last paragraph): pure folds.

They are shares over villages, not per-village pass/fail, so they live beside the
verdicts rather than in them. Each figure is computed from the same records and views the
village pages show, on one day (the views' "today"); ``NOTES`` says how, and the dashboard
prints it as the figure's footnote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.rules import VillageRecord
from ledger.rules.verdict import known
from projections.leadership import holders, tenures

#: Ba Tơ's plan: pre-election training of the nominees done by 30/04/2022 (Kế hoạch 57-KH/HU).
PRE_ELECTION_BY = {"qng.bato": date(2022, 4, 30)}
ACCEPTED = ("secretary", "deputy", "committee")  # Ba Tơ's accepted same-person outcomes
MEMBER = ("full", "probationary")
WORKER_OFFICES = ("head", "acting_head", "secretary", "deputy", "front_head")


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    part: int
    whole: int
    note: str
    target: int = 100

    @property
    def percent(self) -> float | None:
        return None if self.whole == 0 else 100 * self.part / self.whole


NOTES = {
    "head_leads_cell": "Thôn có trưởng thôn được công nhận (kết luận hôm nay, cột «Ý Đảng – lòng Dân»); "
                       "tử số: trưởng thôn là bí thư, phó bí thư hoặc chi ủy viên (kết quả được chấp nhận ở Ba Tơ).",
    "head_is_secretary": "Cùng mẫu số; tử số: chỉ những thôn có trưởng thôn đồng thời là bí thư chi bộ.",
    "head_member": "Trưởng thôn đang giữ chức hôm nay (theo quyết định công nhận, đã tính đính chính); đảng viên "
                   "là người có lý lịch ghi nhận gần nhất là đảng viên chính thức hoặc dự bị.",
    "front_head_member": "Trưởng Ban công tác Mặt trận đang giữ chức hôm nay (sự kiện chọn trưởng Ban CTMT); "
                         "đảng viên như trên.",
    "cell_committee": "Chi bộ có ít nhất một đại hội được ghi nhận; tử số: chi bộ đang có chi ủy hôm nay "
                      "(chi ủy được chuẩn y hoặc chỉ định, chưa bị hủy).",
    "workers_trained": "Cán bộ thôn là người đang giữ chức trưởng thôn, bí thư, phó bí thư, chi ủy viên hoặc trưởng "
                       "Ban CTMT hôm nay (mỗi người tính một lần mỗi thôn); đã bồi dưỡng: có ít nhất một sự kiện "
                       "hoàn thành bồi dưỡng (Trung tâm Chính trị ký) đến hôm nay.",
    "pre_election": "Người được chi bộ giới thiệu ở các thôn huyện Ba Tơ; tử số: có sự kiện hoàn thành "
                    "«bồi dưỡng trước bầu cử» ghi ngày 30/04/2022 trở về trước (Kế hoạch 57-KH/HU).",
}


def _status(record: VillageRecord, person: str | None, day: date) -> str | None:
    if person is None:
        return None
    party = record.profile(person, day).get("party")
    return str(party.get("status")) if isinstance(party, Mapping) else None


def _trained(record: VillageRecord, day: date, course: str | None = None) -> set[str]:
    return {str(e.facts.get("person")) for e in record.events
            if e.type == "training.completed" and e.date <= day and (course is None or e.facts.get("course") == course)}


def pilot_figures(rows: Iterable[Mapping[str, Any]], records: Mapping[str, VillageRecord], day: date) -> list[Figure]:
    """The figures over the villages of ``rows`` (the views' rows: village, verdict, same_person)."""
    with_head = leads = secretary = 0
    heads = head_members = fronts = front_members = cells = with_committee = 0
    workers = trained = nominees = pre_trained = 0
    for row in rows:
        if row["same_person"] != "none":
            with_head += 1
            leads += row["same_person"] in ACCEPTED
            secretary += row["same_person"] == "secretary"
        record = records.get(row["village"])
        if record is None:
            continue
        events = list(known(record, day).events)  # as it stood that day, as the verdicts of the day read it
        offices = holders(tenures(events), day)
        if offices["head"] is not None:
            heads += 1
            head_members += _status(record, offices["head"], day) in MEMBER
        if offices["front_head"] is not None:
            fronts += 1
            front_members += _status(record, offices["front_head"], day) in MEMBER
        if any(e.type == "congress.held" for e in events):
            cells += 1
            with_committee += bool(offices["committee"])
        people = {p for o in WORKER_OFFICES if (p := offices[o])} | set(offices["committee"])
        done = _trained(record, day)
        workers += len(people)
        trained += len(people & done)
        by = PRE_ELECTION_BY.get(record.village.district)
        if by is not None:
            named = {str(e.facts.get("person")) for e in events if e.type == "personnel.nominated"}
            nominees += len(named)
            pre_trained += len(named & _trained(record, by, "pre_election"))
    return [
        Figure("head_leads_cell", "Trưởng thôn là bí thư, phó bí thư hoặc chi ủy viên", leads, with_head,
               NOTES["head_leads_cell"]),
        Figure("head_is_secretary", "Trưởng thôn đồng thời là bí thư chi bộ", secretary, with_head,
               NOTES["head_is_secretary"]),
        Figure("head_member", "Trưởng thôn là đảng viên", head_members, heads, NOTES["head_member"]),
        Figure("front_head_member", "Trưởng Ban công tác Mặt trận là đảng viên", front_members, fronts,
               NOTES["front_head_member"]),
        Figure("cell_committee", "Chi bộ có chi ủy", with_committee, cells, NOTES["cell_committee"]),
        Figure("workers_trained", "Cán bộ thôn đã được bồi dưỡng", trained, workers, NOTES["workers_trained"]),
        Figure("pre_election", "Người được giới thiệu đã bồi dưỡng trước bầu cử (trước 30/04/2022)", pre_trained,
               nominees, NOTES["pre_election"]),
    ]
