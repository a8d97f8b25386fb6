"""``dantin fetch``: a GET to ``dantin serve``, signed (RFC 9421) with a body's key — restricted reads for people.

The request is signed exactly as the server checks it (``api.readers``): ``api.httpsig.sign_request`` covers
``@method``, ``@target-uri``, ``@authority`` and the ``Dantin-Body`` field, with ``created`` = now, ``expires``
60 s later, a fresh random ``nonce`` and the body's ledger key id. Signing happens after the key is loaded
(a passphrase prompt may take a while), immediately before the request is sent.

Redirects are not followed: the signature covers the target, so it could not open another address, and a
signed request has no business going to a host the inspector did not name. Only the standard library
(``urllib``) talks HTTP here, so the command needs nothing beyond dantin's runtime dependencies.

Exit codes: 0 the server answered 2xx; 1 it answered with a problem (RFC 9457) or another error status, or it
could not be reached; 2 a usage error (the URL, a missing or unreadable key file, a wrong passphrase).
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn
from urllib.parse import quote, urlsplit, urlunsplit

import orjson
import typer
from rich.markup import escape

from cli.common import EXIT_FINDING, EXIT_OK, err, fail, guarded, load_key, os_error_vi, write_output
from ledger.signing import SigningKey
from schemas._checks import visible_json

PROBLEM_JSON = "application/problem+json"
USER_AGENT = "dantin-fetch/1"
#: Above this, the clock of this machine and the server's differ enough to mention it (seconds).
_SKEW_WORTH_SAYING = 5


@dataclass(frozen=True)
class Answer:
    """What the server sent back: the status, its fields and the body's bytes."""

    status: int
    reason: str
    headers: Message
    body: bytes

    @property
    def media_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises HTTPError with the 3xx status, answered below


@guarded
def fetch(
    url: Annotated[str, typer.Argument(
        metavar="ĐỊA_CHỈ", help="Địa chỉ đầy đủ, ví dụ http://127.0.0.1:8000/v1/villages/qng.bato.badien.lang-ma/history.")],
    key: Annotated[Path | None, typer.Option(
        "--key", help="Tệp khóa riêng của cơ quan đọc (PEM PKCS#8). Bỏ cùng --body để gửi yêu cầu không ký.")] = None,
    body: Annotated[str | None, typer.Option("--body", help="Mã cơ quan đọc, ví dụ qng.bato/inspection.")] = None,
    passphrase_env: Annotated[str | None, typer.Option(
        "--passphrase-env", help="Tên biến môi trường chứa mật khẩu tệp khóa.")] = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Ghi nội dung trả về vào tệp, nguyên văn từng byte (chỉ chủ tệp đọc được).")] = None,
    json_out: Annotated[bool, typer.Option(
        "--json", help="Cho chương trình: in nguyên văn nội dung trả về, kể cả tài liệu lỗi problem+json.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Số giây chờ máy chủ.")] = 30,
) -> None:
    """Đọc một địa chỉ của API (GET), ký bằng khóa của cơ quan (RFC 9421): lịch sử đầy đủ, gói hồ sơ của thôn."""
    target = _target(url)
    if (key is None) != (body is None):
        fail("Cần cả --key và --body để ký yêu cầu (hoặc bỏ cả hai để gửi yêu cầu không ký).")
    headers = {"User-Agent": USER_AGENT, "Accept": f"application/json, {PROBLEM_JSON};q=0.9, */*;q=0.1"}
    if key is not None and body is not None:
        headers |= _signed(target, load_key(key, passphrase_env), body)
    answer = _send(target, headers, timeout)
    if not 200 <= answer.status < 300:
        _refused(answer, target, signed=key is not None, json_out=json_out)
    if output is not None:
        _save(output, answer.body)
        err.print(f"Đã ghi {len(answer.body)} byte vào {escape(str(output))} (HTTP {answer.status}, "
                  f"{escape(answer.media_type or 'không rõ kiểu')}).", highlight=False)
    else:
        _write_stdout(render(answer.body, answer.media_type, pretty=not json_out and sys.stdout.isatty()))
    raise typer.Exit(EXIT_OK)


# -- the request -------------------------------------------------------------------------------


#: An answer's status, said in Vietnamese (the server's own reason phrase is English).
HTTP_STATUS_VI = {400: "yêu cầu sai", 401: "chưa xác thực", 403: "không được phép", 404: "không tìm thấy",
                  405: "phương thức không được phép", 408: "hết thời gian chờ", 413: "nội dung quá lớn",
                  429: "quá nhiều yêu cầu", 500: "lỗi máy chủ", 502: "cổng trung gian lỗi",
                  503: "máy chủ tạm thời không phục vụ", 504: "cổng trung gian hết thời gian chờ"}


def _target(url: str) -> str:
    """The URL to sign and to send, the same string for both: http(s), a host, an absolute ASCII path."""
    try:
        split = urlsplit(url.strip())
    except ValueError:  # (an unclosed IPv6 bracket, say)
        fail(f"Địa chỉ '{url}' không hợp lệ: cần dạng http://máy-chủ:cổng/v1/… (hoặc https://…).")
    if split.scheme.lower() not in ("http", "https") or not split.netloc:
        fail(f"Địa chỉ '{url}' không hợp lệ: cần dạng http://máy-chủ:cổng/v1/… (hoặc https://…).")
    if "@" in split.netloc or not split.netloc.isascii():
        fail(f"Địa chỉ '{url}' không hợp lệ: tên máy chủ phải là ASCII, không kèm tên/mật khẩu.")
    try:
        split.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        fail(f"Địa chỉ '{url}' có số cổng không hợp lệ.")
    path = quote(split.path or "/", safe="/%:@!$&'()*+,;=~")
    query = quote(split.query, safe="/%:@!$&'()*+,;=?~")
    return urlunsplit((split.scheme.lower(), split.netloc, path, query, ""))


def _signed(target: str, key: SigningKey, body: str) -> dict[str, str]:
    """``Dantin-Body`` and the RFC 9421 fields over it, signed now with a fresh nonce."""
    from api.httpsig import sign_request  # the server's own signer; imported late (it is not needed unsigned)
    from schemas.ids import BODY_RE

    if not BODY_RE.match(body):
        fail(f"'{body}' không phải mã cơ quan (ví dụ qng.bato/inspection).")
    fields = {"Dantin-Body": body}
    return fields | sign_request(key, "GET", target, fields)


def _send(target: str, headers: dict[str, str], timeout: float) -> Answer:
    request = urllib.request.Request(target, headers=headers, method="GET")  # noqa: S310 - scheme checked
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        try:
            with opener.open(request, timeout=timeout) as response:
                return Answer(response.status, response.reason, response.headers, response.read())
        except urllib.error.HTTPError as exc:  # an answer all the same: a problem, a redirect, a proxy's error
            with exc:
                return Answer(exc.code, str(exc.reason), exc.headers, exc.read())
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        _unreachable(target, exc, timeout)


def _unreachable(target: str, exc: BaseException, timeout: float) -> NoReturn:
    host = urlsplit(target).netloc
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, ConnectionRefusedError):
        why = "máy chủ từ chối kết nối (dantin serve chưa chạy, hoặc sai cổng?)"
    elif isinstance(reason, socket.gaierror):
        why = "không tìm thấy máy chủ với tên này"
    elif isinstance(reason, TimeoutError):
        why = f"máy chủ không trả lời trong {timeout:g} giây"
    elif isinstance(reason, ssl.SSLError):
        why = f"lỗi TLS (chứng chỉ?): {getattr(reason, 'reason', None) or type(reason).__name__}"
    elif isinstance(reason, ConnectionError | http.client.HTTPException):
        why = "kết nối bị ngắt trước khi máy chủ trả lời xong"
    elif isinstance(reason, OSError) and reason.errno is not None:
        why = f"lỗi mạng: {os_error_vi(reason)}"
    else:
        why = f"lỗi mạng ({type(reason).__name__})"
    fail(f"Không kết nối được tới {host}: {why}.", "network", EXIT_FINDING)


# -- the answer --------------------------------------------------------------------------------


def _refused(answer: Answer, target: str, *, signed: bool, json_out: bool) -> NoReturn:
    """Say in Vietnamese why the server did not answer 2xx, and exit 1."""
    problem = _problem(answer)
    if json_out and answer.body:
        _write_stdout(answer.body)
    if 300 <= answer.status < 400:
        where = answer.headers.get("Location") or "?"
        fail(f"Máy chủ chuyển hướng (HTTP {answer.status}) tới {where}; yêu cầu ký không được gửi tiếp tới "
             "địa chỉ khác — hãy gọi thẳng địa chỉ đó.", f"http_{answer.status}", EXIT_FINDING)
    if problem is None:
        fail(f"Máy chủ trả lời HTTP {answer.status} ({HTTP_STATUS_VI.get(answer.status, 'lỗi')}), không kèm mô tả "
             "lỗi RFC 9457.",
             f"http_{answer.status}", EXIT_FINDING)
    code = str(problem.get("code") or f"http_{answer.status}")
    title, detail = str(problem.get("title") or ""), str(problem.get("detail") or "")
    err.print(f"[bold red]Lỗi[/] ({escape(code)}), HTTP {answer.status} — {escape(title)}: {escape(detail)}",
              highlight=False)
    hint = hint_for(code, answer, signed=signed)
    if hint:
        err.print(hint, highlight=False)
    raise typer.Exit(EXIT_FINDING)


def _problem(answer: Answer) -> dict[str, Any] | None:
    if answer.media_type not in (PROBLEM_JSON, "application/json"):
        return None
    try:
        found = orjson.loads(answer.body)
    except orjson.JSONDecodeError:
        return None
    return found if isinstance(found, dict) and ("title" in found or "detail" in found) else None


def hint_for(code: str, answer: Answer, *, signed: bool) -> str | None:
    if code == "signature_missing" and not signed:
        return "Gợi ý: ký yêu cầu bằng khóa của một cơ quan có quyền đọc: --key TỆP_KHÓA --body MÃ_CƠ_QUAN."
    if code == "signature_unknown_key":
        return ("Gợi ý: kiểm tra --body và tệp khóa — khóa phải là khóa còn hiệu lực của đúng cơ quan đó trong "
                "sổ cái.")
    if code == "signature_expired":
        skew = _clock_skew(answer)
        if skew is not None and abs(skew) > _SKEW_WORTH_SAYING:
            side = "chậm" if skew > 0 else "nhanh"
            return (f"Gợi ý: đồng hồ máy này {side} khoảng {abs(skew):.0f} giây so với máy chủ: hãy chỉnh giờ "
                    "rồi thử lại.")
    return None


def _clock_skew(answer: Answer) -> float | None:
    """Server time minus ours, from the answer's ``Date`` field (None when absent or unreadable)."""
    date = answer.headers.get("Date")
    if not date:
        return None
    try:
        return parsedate_to_datetime(date).timestamp() - time.time()
    except (TypeError, ValueError):
        return None


# -- output ------------------------------------------------------------------------------------


def render(body: bytes, media_type: str, *, pretty: bool) -> bytes:
    """The bytes to print: JSON indented for a person at a terminal, else exactly what the server sent."""
    if not pretty or not (media_type == "application/json" or media_type.endswith("+json")):
        return body
    try:
        # (for a person: a stored string's hidden characters escaped, \u202e; the same JSON)
        return visible_json(orjson.dumps(orjson.loads(body), option=orjson.OPT_INDENT_2).decode()).encode() + b"\n"
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return body


def _write_stdout(data: bytes) -> None:
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:  # a reader that went away (`| head`) is no error to report
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _save(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_output(path, data, private=True)  # owner-only: restricted reads hold birth dates and party membership
    except OSError as exc:
        fail(f"Không ghi được tệp '{path}': {os_error_vi(exc)}.", "io")
