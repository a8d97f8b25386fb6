"""``dantin attendance``: upper-level members at residential cell meetings (RULES.md §6), per member and place."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from cli.common import EXIT_FINDING, DirArg, err, fail, guarded, out, parse_day, print_json
from cli.read import open_for_views
from ledger.rules.attendance import LEVEL_VI, LEVELS
from ledger.rules.text import STATUS_VI, VERDICT_VI, d_vi

LEVEL_SHORT = {"commune": "Cấp xã", "commune_official": "Cán bộ xã", "district": "Cấp huyện", "province": "Cấp tỉnh"}
COLOUR = {"fail": "red", "pending": "yellow", "pass": "green", "not_applicable": "dim",
          "violations": "red", "incomplete": "yellow", "compliant": "green"}
SHOWN_FAILS = 20


def _status(text: str, status: str) -> str:
    return f"[{COLOUR.get(status, 'default')}]{text}[/]"


def _judged_on(as_of: str | None) -> date:
    if as_of is None:
        return date.today()
    return parse_day(as_of)


@guarded
def attendance(
    directory: DirArg,
    year: Annotated[int | None, typer.Option("--year", help="Năm cần xét (mặc định: năm của ngày xét).")] = None,
    level: Annotated[str | None, typer.Option("--level", help=f"Chỉ xét một cấp: {', '.join(LEVELS)}.")] = None,
    place: Annotated[str, typer.Option("--place", help="Chỉ xét một địa bàn (huyện, xã), ví dụ qng.bato.")] = "",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Ngày xét (YYYY-MM-DD; mặc định hôm nay).")] = None,
    database: Annotated[str | None, typer.Option("--database", help="postgresql://… (mặc định: như lúc init).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")] = False,
    details: Annotated[bool, typer.Option("--details", help="In mọi kiểm tra của từng người.")] = False,
) -> None:
    """Cấp ủy viên dự sinh hoạt chi bộ khu dân cư: tần suất, báo cáo, kế hoạch năm (A-FREQUENCY, A-REPORT, A-PLAN,
    A-ROTATE). Mã thoát 0 khi xét được, dù có vi phạm."""
    from projections.attendance import AttendanceViews

    day = _judged_on(as_of)
    year = day.year if year is None else year
    if not 2000 <= year <= 2100:
        fail(f"--year {year} nằm ngoài khoảng 2000–2100.")
    if level is not None and level not in LEVELS:
        fail(f"Cấp '{level}' không có; dùng một trong: {', '.join(LEVELS)}.")
    ledger, store = open_for_views(directory, database)
    try:
        views = AttendanceViews(ledger, store=store)
        with Progress(TextColumn("Cập nhật bảng dự sinh hoạt"), BarColumn(), MofNCompleteColumn(), console=err,
                      transient=True, disable=not err.is_terminal) as bar:
            task = bar.add_task("attendance", total=None)
            views.catch_up(lambda done, total: bar.update(task, completed=done, total=total))
        if place and not views.place_known(place):
            fail(f"Không có địa bàn '{place}' trong sổ cái.", "unknown_place", EXIT_FINDING)
        found = views.report(year, day, under=place, level=level)
    finally:
        ledger.close()
    if json_out:
        print_json(found)
    else:
        show(found, details=details)


def show(found: dict[str, Any], *, details: bool = False) -> None:
    say = out.print
    scope = f" — {found['under']}" if found["under"] else ""
    level = f", {LEVEL_VI[found['level']]}" if found["level"] else ""
    say(f"[bold]Cấp ủy viên dự sinh hoạt chi bộ khu dân cư năm {found['year']}{escape(scope)}{level}[/] — xét ngày "
        f"{d_vi(date.fromisoformat(found['as_of']))} (bộ quy tắc {found['ruleset']} v{found['ruleset_version']})",
        highlight=False)
    members = found["members"]
    if not members:
        say("Không có cấp ủy viên nào có kế hoạch hoặc buổi dự sinh hoạt được ghi trong năm này.")
        return
    table = Table(show_header=True, header_style="bold", title="Theo từng người")
    for title in ("Người", "Cấp", "Địa bàn", "Kỳ đạt (A-FREQUENCY)", "Báo cáo (A-REPORT)", "Kế hoạch (A-PLAN)",
                  "Chi bộ đã đến (A-ROTATE)", "Kết luận"):
        table.add_column(title)
    for m in members:
        r = m["rules"]
        table.add_row(escape(f"{m['name']} ({m['member']})"), LEVEL_SHORT[m["level"]], m["place"] or "—",
                      _status(_frequency(r["A-FREQUENCY"]), r["A-FREQUENCY"]["status"]),
                      _status(_reports(r["A-REPORT"]), r["A-REPORT"]["status"]),
                      _status(_plan(r["A-PLAN"]), r["A-PLAN"]["status"]),
                      str(r["A-ROTATE"]["cells"]), _status(VERDICT_VI[m["verdict"]], m["verdict"]))
    say(table)
    say(_rollups(found["rollups"]))
    _checks(members, details)


def _frequency(f: dict[str, Any]) -> str:
    text = f"{f['covered']}/{f['required']} kỳ"
    return text + (f", {f['pending']} chờ" if f["pending"] else "")


def _reports(f: dict[str, Any]) -> str:
    if not f["judged"]:
        return "—"
    parts = [f"{f['on_time']}/{f['judged']} đúng hạn"]
    parts += [f"{f[k]} {label}" for k, label in (("late", "trễ"), ("missing", "thiếu"), ("pending", "chờ")) if f[k]]
    return ", ".join(parts)


def _plan(f: dict[str, Any]) -> str:
    if not f["required"]:
        return "không bắt buộc" + (f" (đã lập {f['filed']})" if f["filed"] else "")
    return f"đã lập ({f['filed']})" if f["filed"] else STATUS_VI[f["status"]]


def _rollups(rows: list[dict[str, Any]]) -> Table:
    table = Table(show_header=True, header_style="bold", title="Tổng hợp theo địa bàn")
    for title in ("Địa bàn", "Cấp", "Số người", "Kỳ đạt/phải dự", "Kỳ thiếu", "Kỳ chờ", "Báo cáo đúng hạn",
                  "Trễ", "Thiếu", "Kế hoạch đã lập/phải lập", "Người có vi phạm"):
        table.add_column(title, justify="left" if title in ("Địa bàn", "Cấp") else "right")
    for row in rows:
        f, rep, plan = row["A-FREQUENCY"], row["A-REPORT"], row["A-PLAN"]
        table.add_row(escape(f"{row['name']} ({row['place']})"), LEVEL_SHORT[row["level"]], str(row["members"]),
                      f"{f['covered']}/{f['required']}", str(f["missed"]), str(f["pending"]),
                      f"{rep['on_time']}/{rep['judged']}", str(rep["late"]), str(rep["missing"]),
                      f"{plan['filed']}/{plan['required']}" if plan["required"] else "—",
                      str(row["verdicts"]["violations"]))
    return table


def _checks(members: list[dict[str, Any]], details: bool) -> None:
    """Every check with ``--details``; else the first violations, each with its rule and events."""
    lines = [(m, c) for m in members for c in m["checks"] if details or c["status"] == "fail"]
    if not lines:
        return
    out.print("[bold]Chi tiết[/]" if details else "[bold]Vi phạm[/]", highlight=False)
    for m, c in lines if details else lines[:SHOWN_FAILS]:
        events = f" [dim](sự kiện {', '.join(e[:12] + '…' for e in c['events'])})[/]" if c["events"] else ""
        out.print(f"  • {escape(m['member'])} {c['rule']} {_status(STATUS_VI[c['status']], c['status'])}: "
                  f"{escape(c['detail_vi'])}{events}", highlight=False, soft_wrap=True)
    if not details and len(lines) > SHOWN_FAILS:
        out.print(f"  … và {len(lines) - SHOWN_FAILS} vi phạm khác (dùng --details hoặc --json để xem hết).",
                  highlight=False)


def register(app: typer.Typer) -> None:
    app.command("attendance")(attendance)
