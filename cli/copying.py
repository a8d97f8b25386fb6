"""``dantin copy SRC DEST``: a snapshot of a ledger for an auditor (``storage.copying``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from cli.common import DatabaseOpt, DirArg, JsonOpt, database_option, err, guarded, out, print_json
from storage.copying import copy_ledger


@guarded
def copy_ledger_cmd(
    directory: DirArg,
    destination: Annotated[Path, typer.Argument(metavar="BẢN_SAO", help="Thư mục mới cho bản sao.")],
    database: DatabaseOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Chép sổ cái thành một thư mục SQLite mới để kiểm độc lập, không kèm khóa riêng của nhật ký.

    Một lần đọc nhất quán (SQLite hoặc PostgreSQL, kể cả đang ghi): sự kiện, cây Merkle, checkpoint, nhân chứng."""
    with Progress(
        TextColumn("Đang chép"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err, transient=True, disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task("copy", total=None)
        report = copy_ledger(directory, destination, database_option(database),
                             progress=lambda done, total: bar.update(task, completed=done, total=total))
    if json_out:
        print_json(report.to_dict())
        return
    out.print(f"Đã chép sổ cái vào {escape(str(destination))}: {report.rows['stored_events']} sự kiện, "
              f"{report.rows['dantin_leaves']} lá Merkle, {report.rows['dantin_checkpoints']} checkpoint "
              f"(mới nhất: cỡ {report.log_size}), {report.rows['dantin_cosignatures']} chữ ký nhân chứng. "
              "Không có khóa riêng của nhật ký trong bản sao.", highlight=False, soft_wrap=True)
    out.print("Kiểm bản sao bằng khóa nhật ký đã công bố (không tin tệp trong bản sao):", highlight=False)
    out.print(f"  dantin verify {escape(str(destination))} --log-key '{report.vkey}'", highlight=False, soft_wrap=True)
