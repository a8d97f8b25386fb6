"""``ledger.audit._pages`` reads a bounded stretch of the log and says where it stopped.

An audit reads the rows there were as it began (``stop``), then, after the log, on from where
it stopped (``_Cursor``): a row read, or reported unreadable, by the first read is not read or
reported again by the second, wherever the bound falls.
"""

from __future__ import annotations

from typing import Any

import pytest

from ledger.audit import AuditReport, _Cursor, _pages


class _Recorder:
    """Rows 1..n; a page holding an unreadable one fails, and is read again an id at a time."""

    def __init__(self, n: int, unreadable: set[int]) -> None:
        self.n, self.unreadable = n, unreadable

    def select_log_rows(self, start: int, limit: int) -> list[tuple[Any, ...]]:
        ids = list(range(start, self.n + 1))[:limit]
        if self.unreadable & set(ids):
            raise ValueError("could not decode a value")  # damage, not an outage
        return [(i, f"s{i}", 1, "t", b"{}") for i in ids]

    def select_log_ids(self, start: int, limit: int) -> list[int]:
        return list(range(start, self.n + 1))[:limit]


@pytest.mark.parametrize("bad", [None, 4, 5, 6, 7])
@pytest.mark.parametrize("stop", [3, 5, 8])
def test_two_bounded_reads_see_each_row_once(bad: int | None, stop: int) -> None:
    recorder = _Recorder(10, {bad} if bad else set())
    report, cursor, rows = AuditReport(), _Cursor(), {}
    first = [r[0] for page in _pages(recorder, report, 4, rows=rows, cursor=cursor, stop=stop)  # type: ignore[arg-type]
             for r in page]
    assert cursor.next == stop + 1
    assert first == [i for i in range(1, stop + 1) if i != bad]
    later = [r[0] for page in _pages(recorder, report, 4, rows=rows, start=cursor.next,  # type: ignore[arg-type]
                                     read_ahead=False, stop=10) for r in page]
    assert sorted(first + later) == [i for i in range(1, 11) if i != bad]
    reported = [f.notification_id for f in report.findings]
    assert reported == ([bad] if bad else [])  # once, by whichever read met it
