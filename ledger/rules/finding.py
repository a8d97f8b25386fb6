"""What a rule function returns: one finding per occurrence it judges (RULES.md §7)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.rules.record import RecordedEvent
from ledger.rules.text import d_en, d_vi
from ledger.rules.timeline import Context

STATUSES = ("pass", "fail", "waived", "deviation", "pending", "not_applicable")


@dataclass(frozen=True)
class Finding:
    status: str
    events: tuple[str, ...]
    detail: str
    detail_vi: str

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")


#: A rule: the context and the rule's entry in its set (numbers, confidence) → its findings.
Rule = Callable[[Context, Mapping[str, Any]], list[Finding]]


def refs(*events: RecordedEvent | None) -> tuple[str, ...]:
    """The ids a finding names, in order, without repeats."""
    seen: dict[str, None] = {}
    for event in events:
        if event is not None:
            seen[event.id] = None
            if event.corrected_by:
                seen.update(dict.fromkeys(event.corrected_by))
    return tuple(seen)


def ok(events: tuple[str, ...], en: str, vi: str) -> Finding:
    return Finding("pass", events, en, vi)


def bad(events: tuple[str, ...], en: str, vi: str) -> Finding:
    return Finding("fail", events, en, vi)


def na(en: str, vi: str) -> Finding:
    return Finding("not_applicable", (), en, vi)


def wait(events: tuple[str, ...], en: str, vi: str) -> Finding:
    return Finding("pending", events, en, vi)


def missing(ctx: Context, deadline: date | None, events: tuple[str, ...], what: str, what_vi: str) -> Finding:
    """Evidence not recorded: ``pending`` up to and on its deadline, ``fail`` ("no record") after it."""
    if deadline is None:
        return wait(events, f"{what}: not recorded yet", f"{what_vi}: chưa có trong hồ sơ")
    if ctx.as_of <= deadline:
        return wait(events, f"{what}: not recorded yet (due by {d_en(deadline)})",
                    f"{what_vi}: chưa có trong hồ sơ (hạn {d_vi(deadline)})")
    return bad(events, f"{what}: no record by the deadline {d_en(deadline)}",
               f"{what_vi}: không có trong hồ sơ, đã quá hạn {d_vi(deadline)}")
