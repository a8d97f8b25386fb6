"""``dantin serve``: the HTTP API (api/) over one ledger, with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import DirArg, database_option, err, fail, guarded, os_error_vi
from ledger import home


@guarded
def serve(
    directory: DirArg,
    host: Annotated[str, typer.Option("--host", help="Địa chỉ lắng nghe.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Cổng lắng nghe.", min=0, max=65535)] = 8000,
    database: Annotated[
        str | None, typer.Option("--database", help="postgresql://… (mặc định: như lúc init, hoặc DANTIN_DATABASE).")
    ] = None,
    max_body_bytes: Annotated[
        int, typer.Option("--max-body-bytes", help="Kích thước tối đa của nội dung gửi lên (byte).", min=1024)
    ] = 1024 * 1024,
    log_level: Annotated[str, typer.Option("--log-level", help="debug, info, warning, error, critical.")] = "info",
    read_only: Annotated[bool, typer.Option(
        "--read-only", help="Chỉ cho xem: không ghi gì vào sổ cái (tự bật khi sổ cái ở nơi chỉ đọc).")] = False,
    witnesses: Annotated[list[str] | None, typer.Option(
        "--witness", metavar="URL", help="Dịch vụ nhân chứng (C2SP tlog-witness) được gửi mỗi checkpoint mới; lặp "
        "lại được.")] = None,
    witness_interval: Annotated[float, typer.Option(
        "--witness-interval", help="Mỗi bao nhiêu giây gửi checkpoint tới nhân chứng.", min=0.1)] = 10.0,
    authorities: Annotated[list[str] | None, typer.Option(
        "--authority", metavar="TÊN[:CỔNG]", help="Tên máy mà người dùng gọi tới máy chủ này (như trong địa chỉ "
        "https://TÊN/…); yêu cầu ký gửi tới tên khác bị từ chối (signature_wrong_authority), để yêu cầu ký gửi "
        "tới máy chủ khác giữ cùng sổ cái (một bản sao) không dùng lại được ở đây. Lặp lại được; không có: nhận "
        "mọi tên.")] = None,
) -> None:
    """Chạy API HTTP của sổ cái (một tiến trình, một sổ cái; nhật ký JSON ra stderr)."""
    import uvicorn

    from api.app import create_app
    from api.logs import configure
    from api.settings import ApiSettings

    if log_level.lower() not in LOG_LEVELS:
        fail(f"--log-level '{log_level}' không có; dùng một trong: {', '.join(LOG_LEVELS)}.")
    home.read_settings(directory)  # a missing or broken ledger directory is a Vietnamese message, before binding
    _can_listen(host, port)
    if not read_only and not home.writable(directory, database_option(database)):
        # An inspector's copy on a medium nobody may write: served for reading, as the read commands read it.
        read_only = True
    for url in witnesses or ():
        _witness_url(url)
    names = tuple(_authority(a) for a in authorities or ())
    if read_only and witnesses:
        fail("Bản sao chỉ đọc không công bố checkpoint hay lưu chữ ký nhân chứng: bỏ --witness hoặc --read-only.")
    if read_only:
        err.print("Bản sao chỉ đọc: máy chủ chỉ cho xem (không nhận sự kiện hay chữ ký nhân chứng, trả 403 "
                  "read_only); bảng tra cứu được dựng trong bộ nhớ, không ghi gì vào sổ cái.", highlight=False)
    # Opened once here: a database that holds no ledger, is damaged or is out of reach is said in
    # Vietnamese with its code (cli.common.guarded), not as a traceback in the server's log.
    home.open_ledger(directory, database_option(database), read_only=read_only).close()
    settings = ApiSettings(directory=directory, database=database_option(database), max_body_bytes=max_body_bytes,
                           read_only=read_only, witnesses=tuple(witnesses or ()), witness_interval_s=witness_interval,
                           authorities=names)
    configure(log_level)
    # One worker: the ledger serialises writes in-process and the RFC 9421 nonce cache is in memory.
    # httptools and uvloop (uvicorn[standard]) when installed: about half the CPU of h11 and asyncio per request.
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False,
                log_level=log_level.lower(), server_header=False, http=_protocol(),
                loop=_fastest("uvloop", "asyncio"))


LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def _can_listen(host: str, port: int) -> None:
    """Say in Vietnamese why the server could not listen (an unknown host, a port in use), before
    uvicorn would, in English, in its log."""
    import socket

    try:
        family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError):
        fail(f"Không tìm thấy địa chỉ '{host}' để lắng nghe.")
    try:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind(address)
    except OSError as exc:
        fail(f"Không lắng nghe được ở {host}:{port}: {os_error_vi(exc)}.", "io")


def _protocol() -> type:
    """uvicorn's HTTP protocol, httptools' when installed (else h11's), answering a request it cannot
    parse in problem+json and Vietnamese (``api.badhttp``) rather than in English plain text."""
    from api import badhttp

    return badhttp.HttpTools if _fastest("httptools", "h11") == "httptools" and badhttp.HttpTools else badhttp.H11


def _fastest(module: str, fallback: str) -> str:
    """``module`` when it can be imported, else uvicorn's pure-Python ``fallback``."""
    import importlib.util

    return module if importlib.util.find_spec(module) is not None else fallback


def _authority(name: str) -> str:
    """A ``--authority``: a host name or address, with a port or not, as the Host field carries it (lower
    case, the port as clients write it: ``host:`` is ``host``, ``host:08443`` is ``host:8443``); nothing else
    (a scheme, a path or port 0 would never match a request: every signed read refused)."""
    from urllib.parse import urlsplit

    text = name.strip().lower()
    try:
        parts = urlsplit(f"//{text}")
        port = parts.port
        fine = bool(text) and bool(parts.hostname) and parts.netloc == text and port != 0 and "@" not in text
    except ValueError:  # (a port that is no number, an unclosed [)
        fine, port = False, None
    if not fine:
        fail(f"--authority '{name}' không phải tên máy chủ: cần dạng tên-máy hoặc tên-máy:cổng, như trong địa chỉ "
             "https://tên-máy:cổng/ mà người dùng gọi (không có https:// hay đường dẫn).")
    host = text[:text.rfind(":")] if port is not None or text.endswith(":") else text  # ("[::1]" keeps its colons)
    return host if port is None else f"{host}:{port}"


def _witness_url(url: str) -> None:
    """Refuse a ``--witness`` that is no http(s) address (a typo would be retried in the log for ever)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        fine = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 0) >= 0
    except ValueError:  # (an unclosed [ of an IPv6 address, a port that is no number)
        fine = False
    if not fine:
        fail(f"--witness '{url}' không phải địa chỉ của một nhân chứng: cần dạng http://máy-chủ:cổng/ "
             "(hoặc https://…).")
