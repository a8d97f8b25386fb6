"""The ``dantin`` Typer application: every command, for ``cli.main`` to run when the quick path does not."""

from __future__ import annotations

import collections
import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from cli.attendance import register as register_attendance_commands
from cli.check import check
from cli.common import (
    EXIT_FINDING,
    EXIT_OK,
    DatabaseOpt,
    DirArg,
    JsonOpt,
    database_option,
    err,
    fail,
    guarded,
    load_key,
    malformed,
    out,
    passphrase_from,
    print_json,
    read_json_documents,
    usable_passphrase,
    write_output,
)
from cli.copying import copy_ledger_cmd
from cli.fetch import fetch
from cli.importer import import_dossiers
from cli.log import register as register_log_commands
from cli.read import register as register_read_commands
from cli.serve import serve
from cli.synth import synth
from cli.vi import Typer
from cli.vi import install as install_vietnamese
from ledger import home
from ledger.audit import iter_notifications
from ledger.catalogue import BODY_KINDS
from ledger.envelope import as_envelope_input, seal
from ledger.errors import Refused
from ledger.signing import SigningKey, b64decode_strict

install_vietnamese()  # before Typer formats help or an error (cli/vi.py)

app = Typer(
    name="dantin",
    help="Dân tin: sổ cái ký số cho công tác nhân sự thôn, tổ dân phố.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
keys_app = Typer(help="Tạo và xem khóa ký của cơ quan.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

PassEnvOpt = Annotated[
    str | None, typer.Option("--passphrase-env", help="Tên biến môi trường chứa mật khẩu tệp khóa.")
]


@app.command()
@guarded
def init(
    directory: DirArg,
    database: DatabaseOpt = None,
    origin: Annotated[str, typer.Option(help="Dòng origin của nhật ký (C2SP).")] = "dantin.qng/log",
    root_key_out: Annotated[
        Path | None, typer.Option(help="Nơi ghi khóa riêng của cơ quan gốc (mặc định DIR/keys/root.pem).")
    ] = None,
    passphrase_env: PassEnvOpt = None,
) -> None:
    """Tạo sổ cái mới: cơ quan gốc (tự ký) và khóa nhật ký."""
    home.require_new(directory)  # before the root's key is written for it
    key = SigningKey.generate()
    key_path = root_key_out or directory / "keys" / "root.pem"
    if key_path.exists():
        fail(f"Tệp '{key_path}' đã tồn tại; không ghi đè khóa.")
    # The root's key is written first, never over a file: a ledger is not left without it.
    home.write_private(key_path, key.to_pem(passphrase_from(passphrase_env)), new=True)
    try:
        ledger = home.init(directory, root_key=key, database=database_option(database), origin=origin)
    except BaseException:
        key_path.unlink(missing_ok=True)  # no ledger: its key would sign for nothing
        raise
    ledger.close()
    out.print(f"Đã tạo sổ cái tại [bold]{escape(str(directory))}[/] (cơ quan gốc qng/root).")
    out.print(f"Khóa riêng của cơ quan gốc: {escape(str(key_path))} — hãy chuyển nó khỏi máy chủ.")
    out.print(f"Mã khóa: {key.public.key_id}")


@keys_app.command("new")
@guarded
def keys_new(
    path: Annotated[Path, typer.Argument(metavar="TỆP_KHÓA", help="Tệp khóa riêng sẽ tạo (PEM PKCS#8).")],
    encrypt: Annotated[bool, typer.Option(help="Mã hóa tệp bằng mật khẩu.")] = False,
    passphrase_env: PassEnvOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Tạo một khóa Ed25519; in khóa công khai và mã khóa (không bao giờ in khóa riêng)."""
    if path.exists():
        fail(f"Tệp '{path}' đã tồn tại; không ghi đè khóa.")
    passphrase = passphrase_from(passphrase_env)
    if encrypt and passphrase is None:
        if not sys.stdin.isatty():
            fail("Không có cửa sổ lệnh để nhập mật khẩu: hãy đặt mật khẩu vào một biến môi trường "
                 "và dùng --passphrase-env.")
        passphrase = usable_passphrase(typer.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True).encode())
    key = SigningKey.generate()
    home.write_private(path, key.to_pem(passphrase), new=True)
    _print_public(key, json_out)


@keys_app.command("show")
@guarded
def keys_show(
    path: Annotated[Path, typer.Argument(metavar="TỆP_KHÓA", help="Tệp khóa riêng (PEM PKCS#8).")],
    passphrase_env: PassEnvOpt = None, json_out: JsonOpt = False,
) -> None:
    """In khóa công khai và mã khóa của một tệp khóa riêng."""
    _print_public(load_key(path, passphrase_env), json_out)


def _print_public(key: SigningKey, json_out: bool) -> None:
    if json_out:
        print_json({"key_id": key.public.key_id, "public": key.public.b64})
    else:
        out.print(f"Mã khóa:         {key.public.key_id}")
        out.print(f"Khóa công khai:  {key.public.b64}")


@app.command()
@guarded
def sign(
    event: Annotated[Path, typer.Argument(metavar="SỰ_KIỆN", help="Sự kiện chưa ký (JSON: type, place, date, facts).")],
    key: Annotated[Path, typer.Option("--key", help="Tệp khóa riêng của cơ quan ký.")],
    body: Annotated[str, typer.Option("--body", help="Mã cơ quan ký, ví dụ qng.bato.badien/cell.")],
    output: Annotated[Path | None, typer.Option("-o", "--output")] = None,
    passphrase_env: PassEnvOpt = None,
) -> None:
    """Ký một (hoặc nhiều) sự kiện, ghi ra phong bì đã ký."""
    signing_key = load_key(key, passphrase_env)
    docs = read_json_documents(event)
    envelopes = []
    for i, doc in enumerate(docs):
        try:
            envelopes.append(seal(signing_key, body, doc))
        except ValidationError as exc:
            malformed(exc, f"[{i}]" if len(docs) > 1 else "")
    data: Any = envelopes[0] if len(envelopes) == 1 else envelopes
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
    if output:
        write_output(output, text.encode("utf-8"))
    else:
        typer.echo(text, nl=False)


@app.command()
@guarded
def submit(
    directory: DirArg,
    envelopes: Annotated[list[Path], typer.Argument(
        metavar="PHONG_BÌ", help="Tệp phong bì đã ký (JSON, mảng JSON hoặc JSON Lines).")],
    database: DatabaseOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Nộp phong bì đã ký vào sổ cái. Mã thoát 1 nếu có phong bì bị từ chối."""
    docs = [as_envelope_input(doc) for path in envelopes for doc in read_json_documents(path)]
    ledger = home.open_ledger(directory, database_option(database))
    try:
        results = ledger.submit(docs)
    finally:
        ledger.close()
    refused = [r for r in results if isinstance(r, Refused)]
    if json_out:
        print_json([r.to_dict() | {"refused": True} if isinstance(r, Refused) else r.to_dict()
                    for r in results])
    else:
        for i, r in enumerate(results, 1):
            if isinstance(r, Refused):
                err.print(f"#{i} [red]bị từ chối[/] ({escape(r.code)}): {escape(r.message_vi)}", highlight=False)
            else:
                out.print(f"#{i} [green]đã ghi[/] {r.type} → {escape(r.stream)} v{r.version} "
                          f"(mã băm {r.hash[:16]}…, thứ tự {r.notification_id})", highlight=False)
    raise typer.Exit(EXIT_FINDING if refused else EXIT_OK)


@app.command()
@guarded
def enroll(
    directory: DirArg,
    key: Annotated[Path, typer.Option("--key", help="Khóa riêng của cơ quan cấp trên (người kết nạp).")],
    parent: Annotated[str, typer.Option("--parent", help="Mã cơ quan cấp trên.")],
    body_id: Annotated[str, typer.Option("--id", help="Mã cơ quan mới, ví dụ qng.bato.badien/cell.")],
    kind: Annotated[str, typer.Option("--kind", help=f"Loại: {', '.join(BODY_KINDS)}.")],
    name: Annotated[str, typer.Option("--name", help="Tên hiển thị (tiếng Việt).")],
    jurisdiction: Annotated[str, typer.Option("--jurisdiction", help="Địa bàn thẩm quyền.")],
    public: Annotated[str, typer.Option("--public", help="Khóa công khai (base64) của cơ quan mới.")],
    date: Annotated[str, typer.Option("--date", help="Ngày quyết định (YYYY-MM-DD).")] = "",
    database: DatabaseOpt = None,
    passphrase_env: PassEnvOpt = None,
) -> None:
    """Kết nạp một cơ quan mới (ký bởi cơ quan cấp trên) và nộp ngay."""
    from datetime import date as date_cls

    signing_key = load_key(key, passphrase_env)
    try:
        envelope = seal(signing_key, parent, {
            "type": "body.enrolled", "place": jurisdiction, "date": date or date_cls.today().isoformat(),
            "facts": {"id": body_id, "kind": kind, "name": name, "jurisdiction": jurisdiction,
                      "keys": [{"public": public}]},
        })
    except ValidationError as exc:
        malformed(exc)
    ledger = home.open_ledger(directory, database_option(database))
    try:
        receipt = ledger.submit_one(envelope)
    except Refused as refused:  # refused as ``submit`` refuses: a finding (exit 1), not a usage error
        fail(refused.message_vi, refused.code, EXIT_FINDING)
    finally:
        ledger.close()
    out.print(f"Đã kết nạp {body_id} ({kind}) — mã băm {receipt.hash[:16]}…", highlight=False)


@app.command()
@guarded
def stats(directory: DirArg, database: DatabaseOpt = None, json_out: JsonOpt = False) -> None:
    """Số liệu của sổ cái: số sự kiện theo loại, số chuỗi, cơ quan, địa bàn, người."""
    ledger = home.open_ledger(directory, database_option(database), read_only=True)  # counting changes nothing
    by_type: collections.Counter[str] = collections.Counter()
    streams: set[str] = set()
    entries = 0
    try:
        for n in iter_notifications(ledger.recorder):
            entries += 1
            streams.add(str(n.originator_id))
            try:
                state = orjson.loads(n.state)
                by_type[orjson.loads(b64decode_strict(state["payload"]))["type"]] += 1
            except Exception:  # noqa: BLE001 - stats counts damaged rows, verify explains them
                by_type["(không đọc được)"] += 1
    finally:
        ledger.close()
    result = {
        "entries": entries,
        "streams": len(streams),
        "bodies": by_type.get("body.enrolled", 0),
        "places": by_type.get("place.registered", 0),
        "people": sum(1 for s in streams if s.startswith("person:")),
        "by_type": dict(sorted(by_type.items())),
    }
    if json_out:
        print_json(result)
        return
    table = Table(title=f"Sổ cái {directory}", show_header=True)
    table.add_column("Loại sự kiện")
    table.add_column("Số lượng", justify="right")
    for etype, count in result["by_type"].items():  # type: ignore[attr-defined]
        table.add_row(etype, str(count))
    out.print(table)
    out.print(f"Tổng: {entries} sự kiện, {len(streams)} chuỗi, {result['bodies']} cơ quan, "
              f"{result['places']} địa bàn, {result['people']} người.")


@app.command()
@guarded
def verify(
    directory: DirArg,
    database: DatabaseOpt = None,
    json_out: JsonOpt = False,
    workers: Annotated[int | None, typer.Option(
        help="Số tiến trình kiểm chữ ký (mặc định: số lõi).", min=1, max=256)] = None,
    log_key: Annotated[str | None, typer.Option(
        "--log-key", help="Khóa công khai của nhật ký (vkey) bạn tin, để kiểm chữ ký các checkpoint "
                          "(mặc định: khóa trong thư mục sổ cái).")] = None,
    root_key: Annotated[str | None, typer.Option(
        "--root-key", help="Khóa công khai (base64) của cơ quan gốc bạn tin: sự kiện đầu tiên của sổ cái phải "
                           "kết nạp cơ quan gốc bằng khóa này.")] = None,
) -> None:
    """Kiểm lại toàn bộ sổ cái từ dữ liệu thô: chữ ký, thẩm quyền, liên kết. Mã thoát 1 nếu có sai."""
    from datetime import UTC, datetime

    from ledger.last_verify import save as save_verification
    from ledger.note import NoteVerifier
    from ledger.signing import PublicKey

    trusted = NoteVerifier.from_vkey(log_key.strip()) if log_key is not None else None
    root = PublicKey.from_b64(root_key.strip()).b64 if root_key is not None else None
    started = datetime.now(UTC)
    # As ``bench.ingest`` times it: the workers first, from the forkserver ``cli.main`` started.
    with Progress(
        TextColumn("Đang kiểm"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err, transient=True, disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task("verify", total=None)
        report = home.audit_directory(directory, database_option(database), workers=workers, log=trusted, root_key=root,
                                      progress=lambda done, total: bar.update(task, completed=done, total=total))
    try:  # for the log page of `dantin serve`; a read-only copy (an inspector's) is verified all the same
        save_verification(directory, report, started_at=started, log_size=report.sealed, source="cli")
    except OSError:
        err.print("Không ghi được kết quả kiểm vào thư mục sổ cái (chỉ đọc?); kết quả vẫn như dưới đây.")
    if trusted is None and not json_out and not (directory / home.LOG_KEY).exists():
        err.print(f"[yellow]Lưu ý[/]: chữ ký các checkpoint được kiểm bằng khóa trong tệp {home.LOG_PUBLIC} của bản "
                  "sao này. Để không phải tin bản sao, cho khóa nhật ký đã công bố bằng --log-key.", highlight=False)
    if report.unsealed and not json_out:
        err.print(f"[yellow]{report.unsealed} sự kiện cuối chưa được đối chiếu với cây Merkle[/]: khi bản kiểm "
                  "đọc cây, chúng chưa có lá — được ghi sau lúc đó (sổ cái đang được ghi), hoặc chưa được niêm "
                  "phong (bản kiểm không niêm phong hộ; sổ cái sẽ niêm phong chúng khi được mở để ghi). Các kiểm "
                  "khác (chữ ký, thẩm quyền, liên kết) vẫn đã làm với chúng.", highlight=False)
    if json_out:
        # Which log key the checkpoints were checked with: the one given, or the folder's own file.
        print_json({**report.to_dict(), "log_key_from": "--log-key" if trusted is not None else
                    home.LOG_KEY if (directory / home.LOG_KEY).exists() else home.LOG_PUBLIC})
    elif report.intact:
        out.print(f"[green]Nguyên vẹn[/]: {report.entries} sự kiện, {report.streams} chuỗi, "
                  f"{report.signatures_checked} chữ ký đã kiểm lại, {report.sealed} lá Merkle và "
                  f"{report.checkpoints} checkpoint đã tính lại.")
    else:
        first = report.findings[0]
        err.print(f"[bold red]Phát hiện {len(report.findings)} sai lệch.[/] Sai lệch đầu tiên: "
                  f"chuỗi '{escape(first.stream)}', phiên bản {first.version}, vị trí {first.position} "
                  f"trong nhật ký (mã {first.notification_id}) — {first.code}: {escape(first.message_vi)}",
                  highlight=False)
        for f in report.findings[1:20]:
            err.print(f"  • {escape(f.stream)} v{f.version} @{f.position}: {f.code} — {escape(f.message_vi)}",
                      highlight=False)
    raise typer.Exit(EXIT_OK if report.intact else EXIT_FINDING)


@app.command()
@guarded
def demo(directory: DirArg, database: DatabaseOpt = None) -> None:
    """Dựng sổ cái mẫu huyện Ba Tơ (Quảng Ngãi): địa bàn, cơ quan, khóa."""
    from cli.demo import build_demo

    summary = build_demo(directory, database_option(database))
    out.print(summary, soft_wrap=True)  # the commands it suggests stay whole, to copy


app.command("copy")(copy_ledger_cmd)  # cli/copying.py: a snapshot for auditors, without the log's private key
app.command("import")(import_dossiers)
app.command("check")(check)
app.command("synth")(synth)  # cli/synth.py: a generated province, for benchmarks
app.command("serve")(serve)
app.command("fetch")(fetch)  # cli/fetch.py: signed (RFC 9421) GETs to `dantin serve`


register_read_commands(app)  # leadership, verdict, officeholders, rebuild (cli/read.py)
register_log_commands(app)  # log-key, checkpoint, proof, witness, bundle, verify-bundle (cli/log.py)
register_attendance_commands(app)  # attendance (cli/attendance.py)
