"""Reading the ledger's views: leadership on any day, verdicts, office holders, rebuilds."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from cli.common import (
    EXIT_FINDING,
    DatabaseOpt,
    DirArg,
    JsonOpt,
    VillageArg,
    database_option,
    err,
    fail,
    guarded,
    need_writable,
    out,
    parse_day,
    print_json,
)
from ledger import home
from projections.leadership import OFFICE_VI, OFFICES

if TYPE_CHECKING:
    from ledger.application import Ledger
    from projections.store import ViewStore

AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Ngày cần xem (YYYY-MM-DD; mặc định hôm nay).")]
RecordedOpt = Annotated[bool, typer.Option("--as-recorded", help="Theo số liệu ghi ban đầu, bỏ qua đính chính.")]


def _day(value: str | None) -> date | None:
    return None if value is None else parse_day(value)


def open_for_views(directory: Path, database: str | None) -> tuple[Ledger, ViewStore | None]:
    """The ledger, and where a views command keeps its tables: beside the log (None), or, for a
    copy in a folder that cannot be written, in this process's memory (said on stderr)."""
    from projections.store import ViewStore

    database = database_option(database)
    read_only = not home.writable(directory, database)
    ledger = home.open_ledger(directory, database, read_only=read_only)
    if not read_only:
        return ledger, None
    err.print("Sổ cái nằm ở nơi chỉ đọc: bảng tra cứu được dựng tạm trong bộ nhớ (không lưu lại).", highlight=False)
    return ledger, ViewStore.in_memory()


@contextmanager
def _views(directory: Path, database: str | None) -> Any:
    from projections.views import Views

    ledger, store = open_for_views(directory, database)
    try:
        views = Views(ledger, store=store)
        with Progress(TextColumn("Cập nhật bảng tra cứu"), BarColumn(), MofNCompleteColumn(), console=err,
                      transient=True, disable=not err.is_terminal) as bar:
            task = bar.add_task("views", total=None)
            views.catch_up(lambda done, total: bar.update(task, completed=done, total=total))
        yield views
    finally:
        ledger.close()


def _unknown(village: str) -> None:
    fail(f"Không có thôn/tổ dân phố '{village}' trong sổ cái.", "unknown_place", EXIT_FINDING)


@guarded
def leadership(directory: DirArg, village: VillageArg, as_of: AsOfOpt = None, as_recorded: RecordedOpt = False,
               database: DatabaseOpt = None, json_out: JsonOpt = False) -> None:
    """Ai giữ chức vụ nào ở thôn vào một ngày (mặc định hôm nay)."""
    with _views(directory, database) as views:
        found = views.leadership(village, _day(as_of), as_recorded=as_recorded)
    if found is None:
        _unknown(village)
        return
    if json_out:
        print_json(found)
        return
    names = found["names"]
    out.print(f"[bold]{escape(found['name'])}[/] ({village}) — ngày "
              f"{date.fromisoformat(found['as_of']).strftime('%d/%m/%Y')}", highlight=False)
    table = Table(show_header=True, header_style="bold")
    table.add_column("Chức vụ")
    table.add_column("Người giữ")
    for office, label in OFFICE_VI.items():
        value = found["offices"].get(office)
        people = value if isinstance(value, list) else [value] if value else []
        table.add_row(label, escape(", ".join(f"{names.get(p, p)} ({p})" for p in people)) or "—")
    out.print(table)


@guarded
def verdict(directory: DirArg, village: VillageArg, as_of: AsOfOpt = None, as_recorded: RecordedOpt = False,
            database: DatabaseOpt = None, json_out: JsonOpt = False) -> None:
    """Kết luận tuân thủ quy trình của một thôn (theo EVENTS.md §Verdict)."""
    from cli.check import show

    with _views(directory, database) as views:
        found = views.verdict(village, _day(as_of), as_recorded=as_recorded)
        record = views.record(village) if found is not None else None
    if found is None or record is None:
        _unknown(village)
        return
    if json_out:
        print_json(found)
    else:  # people read log positions and short hashes; the JSON keeps the full entry hashes
        index = {e.id: e.index for e in record.events}
        short = {**found, "checks": [{**c, "events": [f"#{index.get(i)} {i[:10]}…" if len(i) == 64 else i
                                                       for i in c["events"]]} for c in found["checks"]]}
        show(short, record)


@guarded
def officeholders(
    directory: DirArg,
    place: Annotated[str, typer.Argument(
        metavar="ĐỊA_BÀN", help="Địa bàn: huyện, xã hoặc thôn (mặc định: tất cả).")] = "",
    office: Annotated[str | None, typer.Option(help="head, secretary, deputy, committee, front_head.")] = None,
    as_of: AsOfOpt = None, database: DatabaseOpt = None, json_out: JsonOpt = False,
    limit: Annotated[int, typer.Option(help="Số dòng tối đa.", min=1, max=1_000_000)] = 1000,
) -> None:
    """Những người giữ chức vụ ở các thôn của một địa bàn vào một ngày."""
    if office is not None and office not in OFFICES:  # (an acting head is listed as head, acting: as the API's)
        fail(f"Chức vụ '{office}' không có; dùng một trong: {', '.join(OFFICES)}.")
    with _views(directory, database) as views:
        rows = views.officeholders(place, office, _day(as_of), limit=limit)
        unknown = bool(place) and not rows and views.ledger.get_stream(place) is None
    if unknown:  # as verdict and leadership say it: not an empty answer about a place there is not
        fail(f"Không có địa bàn '{place}' trong sổ cái.", "unknown_place", EXIT_FINDING)
    if json_out:  # as the API's items (GET /v1/officeholders)
        from projections.views import public_officeholder

        print_json([public_officeholder(r) for r in rows])
        return
    table = Table(show_header=True, header_style="bold")
    for title in ("Thôn", "Chức vụ", "Người giữ", "Từ ngày"):
        table.add_column(title)
    for r in rows:
        label = OFFICE_VI["acting_head"] if r["office"] == "head" and r["acting"] else OFFICE_VI[r["office"]]
        table.add_row(r["village"], label, escape(f"{r['name']} ({r['person']})"),
                      date.fromisoformat(r["start_date"]).strftime("%d/%m/%Y"))
    out.print(table)


@guarded
def rebuild(directory: DirArg, database: DatabaseOpt = None) -> None:
    """Dựng lại các bảng tra cứu (chức vụ, kết luận) từ đầu bằng cách đọc lại toàn bộ nhật ký."""
    from projections.views import _PART_VI, Views

    need_writable(directory, database, "lệnh này lưu lại bảng tra cứu",
                  "Các lệnh tra cứu (leadership, verdict, officeholders, attendance) tự dựng bảng trong bộ nhớ "
                  "trên bản chỉ đọc.")
    ledger = home.open_ledger(directory, database_option(database))
    try:
        with Progress(TextColumn("Dựng lại"), BarColumn(), MofNCompleteColumn(), console=err,
                      disable=not err.is_terminal) as bar:
            task = bar.add_task("rebuild", total=None)
            views = Views(ledger)
            position = views.rebuild(lambda done, total: bar.update(task, completed=done, total=total))
            failures = views.failures()
    finally:
        ledger.close()
    out.print(f"Đã dựng lại bảng tra cứu tới vị trí {position} của nhật ký.")
    if failures:  # the rest is built; these are said so when asked (village_unavailable)
        err.print(f"[bold yellow]Chú ý[/]: không tính được thông tin của {len(failures)} thôn, tổ dân phố "
                  "(lỗi của chương trình đánh giá, không phải của sổ cái; hãy báo cho người phát triển):",
                  highlight=False)
        for village, failure in sorted(failures.items()):
            what = " và ".join(_PART_VI.get(p, p) for p in failure.parts) or "thông tin"
            err.print(f"  {village}: không tính được {what} ({failure.error})", markup=False, highlight=False,
                      soft_wrap=True)


def register(app: typer.Typer) -> None:
    for fn in (leadership, verdict, officeholders, rebuild):
        app.command(fn.__name__)(fn)
