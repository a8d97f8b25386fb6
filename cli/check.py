"""``dantin check DOSSIER``: judge one village's dossier against the rules; write nothing.

Exit 0 whenever the dossier could be judged, whatever the verdict; 2 when the file is
not a valid dossier (the message names each problem and where it is). Imports stay
inside the command so that registering it costs ``dantin`` nothing.

``dantin check`` usually does not come here: ``cli.main`` first tries ``cli.quick``, the
same command for a valid dossier without Typer, rich or pydantic, and comes here for
everything else (an invalid dossier, a bad option, ``--help``), which it says as before.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from cli.common import EXIT_USAGE, err, guarded, parse_day, print_json

if TYPE_CHECKING:
    from ledger.rules.record import VillageRecord


def _as_of(value: str | None) -> date:
    if value is None:
        return date.today()
    return parse_day(value)


@guarded
def check(
    dossier: Annotated[Path, typer.Argument(metavar="HỒ_SƠ", help="Tệp hồ sơ của một thôn (JSON).")],
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
            err.print(f"[bold red]Lỗi[/] ({exc.code}): {escape(str(dossier))}: hồ sơ không hợp lệ.", highlight=False)
            for problem in exc.problems[:20]:
                err.print(f"  • {problem.text_vi()}", highlight=False, markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    record = record_from_dossier(loaded)
    verdict = judge(record, day, as_recorded=as_recorded)
    try:
        if json_out:
            print_json(verdict)
        else:
            show(verdict, record)
        sys.stdout.flush()
    except BrokenPipeError:  # as click and the quick path do: a reader that went away (`| head`) is no error
        sys.stdout = None  # nothing more to flush at exit
        raise typer.Exit(1) from None


def show(verdict: dict[str, Any], record: VillageRecord) -> None:
    """The verdict as a person reads it: a heading, the offices, then one row per check (cli/plain.py)."""
    from cli.plain import show as show_plain

    show_plain(verdict, record)
