"""What every command shares: errors in Vietnamese with stable codes, never a traceback."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from typer.models import CommandFunctionType

from ledger.errors import DantinError
from ledger.signing import SigningKey

err = Console(stderr=True)
out = Console()

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FINDING, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

#: The usage line's placeholders (click's own: ``[OPTIONS]``, ``COMMAND [ARGS]...``); click's and
#: Typer's messages themselves are translated by gettext (``cli.vi``).
OPTIONS_METAVAR = "[TÙY CHỌN]"
COMMAND_METAVAR = "LỆNH [ĐỐI SỐ]..."


class Typer(typer.Typer):
    """``typer.Typer`` whose usage lines name their parts in Vietnamese."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", OPTIONS_METAVAR)
        kwargs.setdefault("subcommand_metavar", COMMAND_METAVAR)
        super().__init__(**kwargs)

    def command(
        self, name: str | None = None, **kwargs: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        kwargs.setdefault("options_metavar", OPTIONS_METAVAR)
        return super().command(name, **kwargs)


#: The arguments and options most commands share.
DirArg = Annotated[Path, typer.Argument(metavar="THƯ_MỤC", help="Thư mục sổ cái.")]
VillageArg = Annotated[str, typer.Argument(metavar="THÔN", help="Mã thôn/tổ dân phố, ví dụ qng.bato.badien.lang-ma.")]
DatabaseOpt = Annotated[
    str | None,
    typer.Option("--database", help="postgresql://… (mặc định: như lúc init, hoặc biến DANTIN_DATABASE)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")]


def fail(message_vi: str, code: str = "usage", exit_code: int = EXIT_USAGE) -> NoReturn:
    err.print(f"[bold red]Lỗi[/] ({code}): {message_vi}", highlight=False)
    raise typer.Exit(exit_code)


def need_writable(directory: Path, database: str | None, why_vi: str, instead_vi: str) -> None:
    """Refuse a command that must write the ledger's database when its folder cannot be written:
    ``why_vi`` what it writes, ``instead_vi`` what works on a read-only copy instead."""
    from ledger import home

    if not home.writable(directory, database_option(database)):
        fail(f"Sổ cái '{directory}' nằm ở nơi chỉ đọc, mà {why_vi}. {instead_vi}", "ledger_dir")


def guarded(fn: F) -> F:
    """Turn our errors into a message and an exit code; hide tracebacks from people."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except DantinError as exc:
            fail(exc.message_vi, exc.code)
        except OSError as exc:
            fail(f"Không đọc/ghi được tệp hoặc cơ sở dữ liệu: {exc.strerror or exc}", "io")
        except Exception as exc:
            if os.environ.get("DANTIN_DEBUG"):
                raise
            from ledger.outage import is_outage

            if is_outage(exc):  # the environment's fault, said as such, not an internal one
                fail("Không kết nối hoặc không đọc được cơ sở dữ liệu (máy chủ không chạy, sai địa chỉ, "
                     f"hết thời gian chờ hoặc tệp bị khóa): {str(exc)[:200]}", "store_unavailable")
            fail(f"Lỗi nội bộ ({type(exc).__name__}). Đặt DANTIN_DEBUG=1 để xem chi tiết.",
                 "internal", EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


def database_option(value: str | None) -> str | None:
    return value or os.environ.get("DANTIN_DATABASE") or None


def passphrase_from(env_var: str | None) -> bytes | None:
    if not env_var:
        return None
    value = os.environ.get(env_var)
    if value is None:
        fail(f"Biến môi trường '{env_var}' (mật khẩu khóa) chưa được đặt.")
    return value.encode("utf-8")


def load_key(path: Path, passphrase_env: str | None) -> SigningKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        fail(f"Không có tệp khóa '{escape(str(path))}'.", "io")
    except IsADirectoryError:
        fail(f"'{escape(str(path))}' là thư mục, không phải tệp khóa.", "io")
    except PermissionError:
        fail(f"Không có quyền đọc tệp khóa '{escape(str(path))}'.", "io")
    except OSError as exc:
        fail(f"Không đọc được tệp khóa '{escape(str(path))}': {escape(exc.strerror or str(exc))}.", "io")
    passphrase = passphrase_from(passphrase_env)
    if passphrase is None and b"ENCRYPTED" in data:
        if not sys.stdin.isatty():
            fail("Tệp khóa được mã hóa: dùng --passphrase-env TÊN_BIẾN.")
        passphrase = typer.prompt("Mật khẩu khóa", hide_input=True).encode("utf-8")
    return SigningKey.from_pem(data, passphrase)


def print_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n")


def read_json_documents(path: Path) -> list[Any]:
    """A file holding one JSON value, a JSON array of them, or JSON Lines."""
    text = path.read_bytes()
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        docs = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    docs.append(orjson.loads(line))
                except orjson.JSONDecodeError:
                    fail(f"{path}: dòng {number} không phải JSON hợp lệ.", "malformed")
        return docs
    return value if isinstance(value, list) else [value]
