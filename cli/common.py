"""What every command shares: errors in Vietnamese with stable codes, never a traceback."""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import orjson
import typer
from pydantic import ValidationError
from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderHook, RenderResult
from rich.markup import escape
from rich.segment import Segment
from rich.text import Text

from ledger.errors import DantinError
from ledger.signing import SigningKey
from schemas._checks import is_iso_day, visible, visible_json
from schemas._messages import message_vi, path_of


class _Visible:
    """A renderable as rich renders it, with each control or invisible character a stored string
    holds (a ledger older than the rule that refuses them may keep some: a right-to-left override
    makes a name read as another, an escape sequence drives the terminal) shown by its code point,
    ``⟨U+202E⟩``. rich's own styles and cursor moves are control segments, left alone."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self.inner, options):
            yield segment if segment.control else Segment(visible(segment.text), segment.style)


class _ShowHidden(RenderHook):
    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [_Visible(r) for r in renderables]


class _Console(Console):
    """rich's console, showing stored strings' hidden characters by their code point: each string
    (a table's cell too) before it is laid out, so columns keep their width; and, through the
    render hook, whatever else is printed (a ``Text`` built elsewhere)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.push_render_hook(_ShowHidden())

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(visible(text), **kwargs)


err = _Console(stderr=True)
out = _Console()

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FINDING, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # Ctrl-C

#: The arguments and options most commands share.
DirArg = Annotated[Path, typer.Argument(metavar="THƯ_MỤC", help="Thư mục sổ cái.")]
VillageArg = Annotated[str, typer.Argument(metavar="THÔN", help="Mã thôn/tổ dân phố, ví dụ qng.bato.badien.lang-ma.")]
DatabaseOpt = Annotated[
    str | None,
    typer.Option("--database", help="postgresql://… (mặc định: như lúc init, hoặc biến DANTIN_DATABASE)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")]


def fail(message_vi: str, code: str = "usage", exit_code: int = EXIT_USAGE) -> NoReturn:
    """Say ``message_vi`` (plain text: a path or an id a person typed may hold ``[`` and ``]``,
    which rich would read as markup) with its stable ``code``, and exit."""
    err.print(f"[bold red]Lỗi[/] ({escape(code)}): ", end="", highlight=False)
    err.print(message_vi, markup=False, highlight=False, soft_wrap=True)  # a path in it stays whole
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
        except (typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:  # Ctrl-C: said, and 128 + SIGINT as a shell expects (Typer would exit 130 silently)
            err.print("\nĐã hủy.", highlight=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except DantinError as exc:
            fail(exc.message_vi, exc.code, EXIT_INTERNAL if exc.defect else EXIT_USAGE)
        except OSError as exc:
            os_failure(exc)
        except Exception as exc:
            if os.environ.get("DANTIN_DEBUG"):
                raise
            from ledger.outage import is_damage, is_outage, reason_vi

            if is_outage(exc):  # the environment's fault, said as such, not an internal one
                fail(f"Không kết nối hoặc không đọc được cơ sở dữ liệu: {reason_vi(exc)}.", "store_unavailable")
            if is_damage(exc):
                fail("Cơ sở dữ liệu của sổ cái bị hỏng (tệp không phải cơ sở dữ liệu, hoặc dữ liệu hỏng). "
                     "Chạy 'dantin verify' để biết chỗ hỏng; dùng một bản sao lành.", "store_damaged", EXIT_FINDING)
            fail(f"Lỗi nội bộ ({type(exc).__name__}). Đặt DANTIN_DEBUG=1 để xem chi tiết.",
                 "internal", EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


#: What the operating system said, in Vietnamese (its own words follow the machine's locale).
_OS_ERRORS_VI = {
    errno.ENOENT: "không có tệp hoặc thư mục này",
    errno.EACCES: "không có quyền truy cập",
    errno.EPERM: "không được phép",
    errno.EISDIR: "đây là thư mục, không phải tệp",
    errno.ENOTDIR: "một phần của đường dẫn không phải thư mục",
    errno.EEXIST: "đã có tệp này",
    errno.ENOSPC: "đĩa đã đầy",
    errno.EFBIG: "tệp vượt quá kích thước cho phép",
    errno.EDQUOT: "đã hết hạn mức đĩa",
    errno.EROFS: "ổ đĩa chỉ đọc",
    errno.ENAMETOOLONG: "tên tệp quá dài",
    errno.ELOOP: "đường dẫn có liên kết vòng",
    errno.EMFILE: "mở quá nhiều tệp cùng lúc",
    errno.EIO: "lỗi đọc/ghi thiết bị",
    errno.ECONNREFUSED: "máy chủ từ chối kết nối",
    errno.EADDRINUSE: "cổng này đang được một chương trình khác dùng",
    errno.EADDRNOTAVAIL: "địa chỉ này không thuộc máy này",
    errno.ETIMEDOUT: "hết thời gian chờ",
    errno.EHOSTUNREACH: "không tới được máy chủ",
    errno.ENETUNREACH: "không tới được mạng",
}


def write_output(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write ``data`` to ``path`` whole or not at all: into a file beside it, renamed over it once
    written and synced, so a full disk or a Ctrl-C leaves ``path`` as it was (an earlier bundle
    kept, not half of a new one). ``private``: readable by its owner only. A link or what is not a
    regular file (``/dev/stdout``, a pipe) is written through as it is. An error names ``path``."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        with path.open("wb") as fh:
            fh.write(data)
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o666)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None


def parse_day(value: str, option: str = "--as-of") -> date:
    """A day as a person types it for ``option``: exactly YYYY-MM-DD, a real date (not Python's other
    ISO forms, ``20220101`` or ``2022-W01-1``, which the message would not explain)."""
    if not is_iso_day(value):
        fail(f"{option} '{value}' không phải một ngày dạng YYYY-MM-DD.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} '{value}' không phải một ngày có thật (dạng YYYY-MM-DD).")


def os_failure(exc: OSError) -> NoReturn:
    """A file, the database or the standard output could not be read or written: say so and exit
    (``guarded``; the quick path of ``dantin check`` says it alike)."""
    where = f" '{exc.filename}'" if exc.filename else ""
    fail(f"Không đọc/ghi được tệp hoặc cơ sở dữ liệu{where}: {os_error_vi(exc)}.", "io")


def os_error_vi(exc: OSError) -> str:
    """An operating system error, said in Vietnamese (its number when it is not one we name)."""
    said = _OS_ERRORS_VI.get(exc.errno) if exc.errno is not None else None
    if said is not None:
        return said
    return f"lỗi hệ thống (errno {exc.errno})" if exc.errno is not None else "lỗi hệ thống"


def malformed(exc: ValidationError, prefix: str = "") -> NoReturn:
    """What a person gave (an event to sign, a body to enrol) is not well formed: say where and
    why, in Vietnamese (``prefix``: the path of the document within its file, as ``[1]``)."""
    errors = exc.errors()
    more = f" (và {len(errors) - 1} lỗi khác)" if len(errors) > 1 else ""
    fail(f"Dữ liệu không hợp lệ tại {path_of(errors[0]['loc'], prefix)}: {message_vi(errors[0])}{more}.", "malformed")


def database_option(value: str | None) -> str | None:
    return value or os.environ.get("DANTIN_DATABASE") or None


def passphrase_from(env_var: str | None) -> bytes | None:
    if not env_var:
        return None
    value = os.environ.get(env_var)
    if value is None:
        fail(f"Biến môi trường '{env_var}' (mật khẩu khóa) chưa được đặt.")
    return usable_passphrase(value.encode("utf-8"), f"Mật khẩu khóa (biến môi trường '{env_var}')")


#: The longest passphrase a PEM key file can be encrypted with (OpenSSL's, through ``cryptography``).
MAX_PASSPHRASE = 1023


def usable_passphrase(passphrase: bytes, what_vi: str = "Mật khẩu khóa") -> bytes:
    """Refuse a passphrase no key can be encrypted with: an empty one (the key would be written
    in the clear, though encryption was asked for) or one longer than ``MAX_PASSPHRASE`` bytes."""
    if not passphrase:
        fail(f"{what_vi} trống: khóa sẽ không được mã hóa.")
    if len(passphrase) > MAX_PASSPHRASE:
        fail(f"{what_vi} dài quá {MAX_PASSPHRASE} byte.")
    return passphrase


def load_key(path: Path, passphrase_env: str | None) -> SigningKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        fail(f"Không có tệp khóa '{path}'.", "io")
    except IsADirectoryError:
        fail(f"'{path}' là thư mục, không phải tệp khóa.", "io")
    except PermissionError:
        fail(f"Không có quyền đọc tệp khóa '{path}'.", "io")
    except OSError as exc:
        fail(f"Không đọc được tệp khóa '{path}': {os_error_vi(exc)}.", "io")
    passphrase = passphrase_from(passphrase_env)
    if passphrase is None and b"ENCRYPTED" in data:
        if not sys.stdin.isatty():
            fail("Tệp khóa được mã hóa: dùng --passphrase-env TÊN_BIẾN.")
        passphrase = typer.prompt("Mật khẩu khóa", hide_input=True).encode("utf-8")
    return SigningKey.from_pem(data, passphrase)


def print_json(value: Any) -> None:
    # (a stored string's hidden characters escaped, \u202e: the same JSON, safe on a terminal)
    sys.stdout.write(visible_json(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8")) + "\n")


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
    else:
        docs = value if isinstance(value, list) else [value]
    if not docs:
        fail(f"{path}: tệp không có mục nào (trống, hoặc một mảng JSON rỗng).", "malformed")
    return docs
