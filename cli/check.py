"""``dantin check DOSSIER``: judge one village's dossier against the rules; write nothing.

Exit 0 whenever the dossier could be judged, whatever the verdict; 2 when the file is
not a valid dossier (the message names each problem and where it is). Imports stay
inside the command so that registering it costs ``dantin`` nothing.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import EXIT_USAGE, err, fail, guarded, out, print_json

if TYPE_CHECKING:
    from ledger.rules.record import VillageRecord

STATUS_STYLE = {"pass": "green", "fail": "bold red", "waived": "cyan", "deviation": "yellow",
                "pending": "magenta", "not_applicable": "dim"}


def _as_of(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--as-of '{value}' không phải một ngày dạng YYYY-MM-DD.")


@guarded
def check(
    dossier: Annotated[Path, typer.Argument(help="Tệp hồ sơ của một thôn (JSON).")],
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Xét tại ngày này (YYYY-MM-DD; mặc định hôm nay).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="In kết luận dạng JSON.")] = False,
    as_recorded: Annotated[bool, typer.Option(
        "--as-recorded", help="Xét theo số liệu ghi ban đầu, bỏ qua các đính chính.")] = False,
) -> None:
    """Xét một hồ sơ thôn theo các bộ quy tắc; không ghi gì. Mã thoát 0 khi xét được, 2 khi hồ sơ không hợp lệ."""
    from ledger.rules import judge, record_from_dossier
    from schemas.dossier import DossierError, load_dossier

    day = _as_of(as_of)
    try:
        loaded = load_dossier(dossier.read_bytes())
    except DossierError as exc:
        if json_out:
            print_json({"error": exc.code, "problems": [p.to_dict() for p in exc.problems]})
        else:
            err.print(f"[bold red]Lỗi[/] ({exc.code}): {dossier}: hồ sơ không hợp lệ.", highlight=False)
            for problem in exc.problems[:20]:
                err.print(f"  • {problem.text_vi()}", highlight=False, markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    record = record_from_dossier(loaded)
    verdict = judge(record, day, as_recorded=as_recorded)
    if json_out:
        print_json(verdict)
    else:
        show(verdict, record)


def show(verdict: dict[str, Any], record: VillageRecord) -> None:
    """The verdict as a person reads it: a heading, the offices, then one row per check."""
    from rich.markup import escape
    from rich.table import Table

    from ledger.rules.text import SAME_PERSON_VI, STATUS_VI, VERDICT_VI

    def who(person: str | None) -> str:
        if not person:
            return "—"
        name = record.name(person)
        return escape(f"{name} ({person})" if name != person else person)

    lead = verdict["leadership"]
    colour = {"violations": "bold red", "incomplete": "magenta", "compliant": "bold green"}[verdict["verdict"]]
    view = "theo số liệu ghi ban đầu" if verdict["view"] == "as_recorded" else "đã tính các đính chính"
    out.print(f"[bold]{escape(record.village.name or record.village.id)}[/] ({record.village.id}) — xét tại ngày "
              f"{date.fromisoformat(verdict['as_of']).strftime('%d/%m/%Y')}, {view}", highlight=False)
    out.print(f"Bộ quy tắc: {', '.join(verdict['rulesets'])}  ({verdict['ruleset_digest'][:19]}…)", highlight=False)
    out.print(f"Kết luận: [{colour}]{VERDICT_VI[verdict['verdict']]}[/]", highlight=False)
    out.print(f"Trưởng thôn: {who(lead['head'])}; bí thư: {who(lead['secretary'])}; phó bí thư: "
              f"{who(lead['deputy'])}; chi ủy: {', '.join(who(p) for p in lead['committee']) or '—'}",
              highlight=False)
    out.print(f"Ý Đảng – lòng Dân: {SAME_PERSON_VI[verdict['same_person']]}", highlight=False)
    table = Table(show_header=True, header_style="bold", show_lines=False)
    table.add_column("Quy tắc", no_wrap=True)
    table.add_column("Bộ", no_wrap=True)
    table.add_column("Kết quả", no_wrap=True)
    table.add_column("Sự kiện")
    table.add_column("Chi tiết")
    for c in verdict["checks"]:
        style = STATUS_STYLE[c["status"]]
        table.add_row(c["rule"], c["ruleset"], f"[{style}]{STATUS_VI[c['status']]}[/]",
                      escape(", ".join(c["events"])), escape(c["detail_vi"]))
    out.print(table)
    counts: dict[str, int] = {}
    for c in verdict["checks"]:
        counts[c["status"]] = counts.get(c["status"], 0) + 1
    out.print("Tổng: " + ", ".join(f"{n} {STATUS_VI[s]}" for s, n in counts.items()), highlight=False)
