"""The log on the command line: its key, checkpoints, proofs, witnesses and bundles.

``dantin proof`` prints hashes and entries in standard base64 so any RFC 9162 verifier can
check them against the checkpoint it prints; ``dantin verify-bundle`` needs nothing but
the file (and, for stronger trust, the keys you already hold).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from cli.common import (
    EXIT_FINDING,
    EXIT_OK,
    EXIT_USAGE,
    DatabaseOpt,
    DirArg,
    JsonOpt,
    VillageArg,
    database_option,
    err,
    fail,
    guarded,
    load_key,
    out,
    print_json,
    write_output,
)
from cli.vi import Typer
from ledger import home
from ledger.application import Ledger
from ledger.bundle import BundleFailed, NotABundle, against_ledger, make_bundle, verify_bundle
from ledger.rules.text import VERDICT_VI
from ledger.sealer import CheckpointRow
from ledger.witness import Policy, TrustedLog, WitnessError, cosigned, read_policy, read_witness_file, witness_ledger
from ledger.witness import witnessed_checkpoint as find_witnessed

#: The largest tree size or leaf index a command takes (the stores' integers are 64-bit).
MAX_SIZE = 2**63 - 1

witness_app = Typer(help="Nhân chứng (Mặt trận, Ủy ban Kiểm tra) ký xác nhận checkpoint.",
                          no_args_is_help=True)

#: Refusals that mean the log misbehaved (a finding, exit 1), not a usage mistake.
_LOG_FAULTS = {"bad_checkpoint", "witness_inconsistent", "witness_rollback"}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _open(directory: Path, database: str | None, *, read_only: bool = True) -> tuple[Ledger, Policy]:
    """The ledger and its witness policy; opened to be read only unless told otherwise (a read
    command then seals nothing, signs no checkpoint and runs no migration: it changes nothing)."""
    ledger = home.open_ledger(directory, database_option(database), read_only=read_only)
    try:
        return ledger, read_policy(directory / home.SETTINGS)
    except BaseException:
        ledger.close()
        raise


@guarded
def log_key(directory: DirArg) -> None:
    """In khóa công khai của nhật ký (dòng vkey C2SP) để người đọc tự kiểm checkpoint."""
    typer.echo(home.log_verifier(directory).vkey())


@guarded
def checkpoint(
    directory: DirArg,
    witnessed: Annotated[bool, typer.Option("--witnessed", help="Checkpoint mới nhất đủ nhân chứng ký.")] = False,
    database: DatabaseOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """In checkpoint mới nhất (ghi chú đã ký C2SP) kèm các chữ ký nhân chứng đã lưu."""
    ledger, policy = _open(directory, database)
    try:
        if witnessed:
            found = find_witnessed(ledger, policy)
            if found is None:
                fail("Chưa có checkpoint nào đủ nhân chứng ký theo chính sách.", "not_witnessed")
        else:
            row = ledger.checkpoint()
            if row is None:
                fail("Sổ cái chưa công bố checkpoint nào.", "no_checkpoint")
            found = cosigned(ledger, row, policy)
    finally:
        ledger.close()
    if json_out:
        print_json({"size": found.size, "root": _b64(found.root), "note": found.note,
                    "witnesses": sorted(found.witnesses), "witnessed": not policy.unmet(found.witnesses)})
    else:
        typer.echo(found.note, nl=False)


def _published(ledger: Ledger, size: int, policy: Policy) -> str:
    """The signed note of ``size`` (with cosignatures); publish it when ``size`` is the log's size now
    and the ledger can be written (a read-only copy proves against the checkpoints it has)."""
    row: CheckpointRow | None = ledger.signed_checkpoint(size)
    if row is None and size == ledger.log_size() and not ledger.read_only:
        if ledger.sealer is None or ledger.sealer.signer is None:
            fail("Chưa có checkpoint cỡ này và thư mục không có khóa nhật ký để công bố.", "no_checkpoint")
        row = ledger.publish_checkpoint()
    if row is None or row.size != size:
        sizes = [r.size for r in ledger.checkpoints()][-5:]
        can = ("sổ cái ở nơi chỉ đọc nên không công bố thêm được" if ledger.read_only
               else f"chỉ công bố được cỡ hiện tại {ledger.log_size()}")
        fail(f"Chưa công bố checkpoint cỡ {size} ({can}); hãy chọn một cỡ đã công bố: "
             f"{', '.join(map(str, sizes)) or 'không có'}.", "no_checkpoint")
    return cosigned(ledger, row, policy).note


@guarded
def proof(
    directory: DirArg,
    index: Annotated[int | None, typer.Option("--index", help="Vị trí lá trong nhật ký.", min=0, max=MAX_SIZE)] = None,
    size: Annotated[int | None, typer.Option(
        "--size", help="Kích thước cây (mặc định: hiện tại).", min=0, max=MAX_SIZE)] = None,
    consistency: Annotated[
        tuple[int, int] | None, typer.Option("--consistency", help="Bằng chứng nhất quán từ cỡ M đến cỡ N.")
    ] = None,
    database: DatabaseOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Bằng chứng bao hàm (--index) hoặc nhất quán (--consistency M N), kèm checkpoint đã ký."""
    if (index is None) == (consistency is None):
        fail("Cần đúng một trong hai: --index I hoặc --consistency M N.")
    if consistency is not None and not all(0 <= n <= MAX_SIZE for n in consistency):
        fail(f"--consistency: cỡ cây phải từ 0 đến {MAX_SIZE}.")
    # Writable, it may sign and publish the head it proves against; a read-only copy proves against its checkpoints.
    ledger, policy = _open(directory, database, read_only=not home.writable(directory, database_option(database)))
    try:
        if consistency is not None:
            old, new = consistency
            result: dict[str, Any] = {
                "old_size": old, "new_size": new,
                "proof": [_b64(h) for h in ledger.consistency_proof(old, new)],
                "old_checkpoint": _maybe_note(ledger, old, policy),
                "new_checkpoint": _published(ledger, new, policy),
            }
        else:
            assert index is not None
            n = ledger.log_size() if size is None else size
            hashes = ledger.inclusion_proof(index, n)
            note = _published(ledger, n, policy)
            result = {"leaf_index": index, "tree_size": n, "leaf_hash": _b64(ledger.leaf(index).hash),
                      "entry": _b64(ledger.entry(index)), "proof": [_b64(h) for h in hashes], "checkpoint": note}
    finally:
        ledger.close()
    if json_out:
        print_json(result)
        return
    for key, value in result.items():  # plain text, never wrapped: hashes and notes are copied verbatim
        label = f"{PROOF_FIELDS_VI[key]} ({key})"  # (the JSON field's name: what tools and docs call it)
        if isinstance(value, list):
            typer.echo(f"{label}:\n" + "".join(f"  {item}\n" for item in value), nl=False)
        elif isinstance(value, str) and "\n" in value:
            typer.echo(f"{label}:\n{value}", nl=False)
        else:
            typer.echo(f"{label}: {value}")


#: ``proof``'s fields, as its plain output names them.
PROOF_FIELDS_VI = {
    "old_size": "cỡ cũ", "new_size": "cỡ mới", "proof": "bằng chứng", "old_checkpoint": "checkpoint cỡ cũ",
    "new_checkpoint": "checkpoint cỡ mới", "leaf_index": "vị trí lá", "tree_size": "cỡ cây",
    "leaf_hash": "mã băm lá", "entry": "bản ghi", "checkpoint": "checkpoint",
}


def _maybe_note(ledger: Ledger, size: int, policy: Policy) -> str | None:
    row = ledger.signed_checkpoint(size)
    return cosigned(ledger, row, policy).note if row is not None else None


@witness_app.command("cosign")
@guarded
def witness_cosign(
    directory: DirArg,
    key: Annotated[Path, typer.Option("--key", help="Tệp khóa riêng của cơ quan nhân chứng.")],
    state: Annotated[Path, typer.Option("--state", help="Tệp trạng thái của nhân chứng (do nhân chứng giữ).")],
    body: Annotated[str | None, typer.Option("--body", help="Mã cơ quan nhân chứng.")] = None,
    log_key_opt: Annotated[
        str | None, typer.Option("--log-key", help="Khóa nhật ký (vkey) nhân chứng tin, lần ký đầu tiên; "
                                 "'NGUỒN VKEY' khi tên khóa khác dòng nguồn (origin) của checkpoint.")
    ] = None,
    passphrase_env: Annotated[str | None, typer.Option(
        "--passphrase-env", help="Tên biến môi trường chứa mật khẩu tệp khóa.")] = None,
    database: DatabaseOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Kiểm checkpoint mới nhất (chữ ký nhật ký, nhất quán với lần ký trước) rồi ký xác nhận và lưu."""
    body_id = body or read_witness_file(state).name or _body_from_key_file(key)
    if body_id is None:
        fail("Không biết cơ quan nhân chứng: dùng --body MÃ_CƠ_QUAN.")
    signing_key = load_key(key, passphrase_env)
    log = TrustedLog.parse(log_key_opt) if log_key_opt else TrustedLog(
        home.read_settings(directory).origin, home.log_verifier(directory))
    ledger, policy = _open(directory, database, read_only=False)  # the cosignature is stored
    try:
        row = witness_ledger(ledger, signing_key, body_id, state, log, policy=policy)
        witnessed = find_witnessed(ledger, policy)
    except WitnessError as exc:
        fail(exc.message_vi, exc.code, EXIT_FINDING if exc.code in _LOG_FAULTS else EXIT_USAGE)
    finally:
        ledger.close()
    if json_out:
        print_json({"size": row.size, "witness": row.witness, "timestamp": row.timestamp, "line": row.line,
                    "witnessed_size": witnessed.size if witnessed else None})
        return
    out.print(f"[green]Đã ký xác nhận[/] checkpoint cỡ {row.size} với tư cách nhân chứng {row.witness}.",
              highlight=False)
    typer.echo(row.line, nl=False)  # verbatim: a person may copy it
    if witnessed is not None:
        out.print(f"Checkpoint mới nhất đủ nhân chứng theo chính sách: cỡ {witnessed.size}.", highlight=False)


@witness_app.command("serve")
@guarded
def witness_serve(
    key: Annotated[Path, typer.Option("--key", help="Tệp khóa riêng của cơ quan nhân chứng.")],
    state: Annotated[Path, typer.Option("--state", help="Tệp trạng thái của nhân chứng (do nhân chứng giữ).")],
    log_keys: Annotated[list[str] | None, typer.Option(
        "--log-key", help="Khóa nhật ký (vkey) nhân chứng tin, cho nhật ký có dòng nguồn (origin) là tên khóa; "
        "'NGUỒN VKEY' khi tên khóa khác dòng nguồn; lặp lại được. Các nhật ký đã ghi trong tệp trạng thái được tin "
        "sẵn.")] = None,
    body: Annotated[str | None, typer.Option("--body", help="Mã cơ quan nhân chứng.")] = None,
    host: Annotated[str, typer.Option("--host", help="Địa chỉ lắng nghe.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Cổng lắng nghe.", min=0, max=65535)] = 8100,
    passphrase_env: Annotated[str | None, typer.Option(
        "--passphrase-env", help="Tên biến môi trường chứa mật khẩu tệp khóa.")] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="debug, info, warning, error, critical.")] = "info",
) -> None:
    """Chạy dịch vụ nhân chứng (C2SP tlog-witness: POST /add-checkpoint) trên máy của nhân chứng."""
    import uvicorn

    from api.logs import configure
    from api.witness_app import create_witness_app
    from cli.serve import LOG_LEVELS, _can_listen, _fastest, _protocol
    from ledger.note import CosignatureSigner
    from ledger.tlog_witness import HttpWitness

    if log_level.lower() not in LOG_LEVELS:
        fail(f"--log-level '{log_level}' không có; dùng một trong: {', '.join(LOG_LEVELS)}.")
    body_id = body or read_witness_file(state).name or _body_from_key_file(key)
    if body_id is None:
        fail("Không biết cơ quan nhân chứng: dùng --body MÃ_CƠ_QUAN.")
    signer = CosignatureSigner.from_private_bytes(body_id, load_key(key, passphrase_env).seed())
    try:
        trusted = [TrustedLog.parse(v) for v in log_keys or ()]
        witness = HttpWitness.open(signer, state, trusted)
    except WitnessError as exc:
        fail(exc.message_vi, exc.code)
    _can_listen(host, port)
    logs = ", ".join(sorted(witness.logs))
    err.print(f"Nhân chứng {escape(body_id)} (khóa {signer.key_id:08x}) nhận checkpoint của: {escape(logs)}.",
              highlight=False)
    configure(log_level)
    uvicorn.run(create_witness_app(witness), host=host, port=port, log_config=None, access_log=False,
                log_level=log_level.lower(), server_header=False, http=_protocol(),
                loop=_fastest("uvloop", "asyncio"))


@witness_app.command("push")
@guarded
def witness_push(
    directory: DirArg,
    urls: Annotated[list[str], typer.Argument(metavar="URL…", help="Địa chỉ dịch vụ nhân chứng (tiền tố nộp).")],
    database: DatabaseOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Gửi checkpoint mới nhất tới các nhân chứng (C2SP tlog-witness) và lưu chữ ký xác nhận của họ."""
    import httpx

    from ledger.tlog_witness import push_to

    ledger, policy = _open(directory, database, read_only=False)  # cosignatures are stored
    try:
        ledger.publish_checkpoint()  # the whole log, if it grew since the last checkpoint
        with httpx.Client(timeout=30, follow_redirects=False) as client:
            results = [push_to(ledger, url, client, policy=policy) for url in urls]
        witnessed = find_witnessed(ledger, policy)
    finally:
        ledger.close()
    failed = [r for r in results if not r["ok"]]
    if json_out:
        print_json({"results": results, "witnessed_size": witnessed.size if witnessed else None})
    else:
        for r in results:
            if r["ok"]:
                out.print(f"[green]✓[/] {escape(r['url'])}: {escape(', '.join(r['witnesses']))} đã ký xác nhận "
                          f"checkpoint cỡ {r['size']}.", highlight=False)
            else:
                err.print(f"[red]✗[/] {escape(r['url'])} ({r['code']}): {escape(r['message'])}", highlight=False)
        if witnessed is not None:
            out.print(f"Checkpoint mới nhất đủ nhân chứng theo chính sách: cỡ {witnessed.size}.", highlight=False)
    if failed:
        raise typer.Exit(EXIT_FINDING)


def _body_from_key_file(path: Path) -> str | None:
    """``DIR/keys/<body id with / → __>.pem``, as ``dantin demo`` names key files."""
    stem = path.name.removesuffix(".pem")
    return stem.replace("__", "/") if "__" in stem else None


@witness_app.command("status")
@guarded
def witness_status(directory: DirArg, database: DatabaseOpt = None, json_out: JsonOpt = False) -> None:
    """Chính sách nhân chứng, các chữ ký đã lưu và checkpoint mới nhất đủ nhân chứng."""
    ledger, policy = _open(directory, database)
    try:
        latest = ledger.checkpoint()
        current = cosigned(ledger, latest, policy) if latest is not None else None
        witnessed = find_witnessed(ledger, policy)
        size = ledger.log_size()
    finally:
        ledger.close()
    result: dict[str, Any] = {
        "policy": policy.to_json(),
        "log_size": size,
        "latest_checkpoint": latest.size if latest else None,
        "latest_witnesses": sorted(current.witnesses) if current else [],
        "witnessed_checkpoint": witnessed.size if witnessed else None,
        "witnessed_by": sorted(witnessed.witnesses) if witnessed else [],
        "unmet": [g.describe_vi() for g in policy.unmet(current.witnesses)] if current else [],
    }
    if json_out:
        print_json(result)
        return
    out.print("Chính sách: " + "; ".join(g.describe_vi() for g in policy.groups) + ".", highlight=False)
    out.print(f"Nhật ký: {size} sự kiện; checkpoint mới nhất cỡ {result['latest_checkpoint']}, "
              f"nhân chứng đã ký: {', '.join(result['latest_witnesses']) or 'chưa có'}.", highlight=False)
    if witnessed is None:
        out.print("[yellow]Chưa có checkpoint nào đủ nhân chứng.[/]", highlight=False)
    else:
        out.print(f"Checkpoint mới nhất đủ nhân chứng: cỡ {witnessed.size} "
                  f"({', '.join(sorted(witnessed.witnesses))}).", highlight=False)


@guarded
def bundle(
    directory: DirArg,
    village: VillageArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="Tệp gói hồ sơ sẽ ghi.")],
    database: DatabaseOpt = None,
) -> None:
    """Lập gói hồ sơ của một thôn: sự kiện, thẩm quyền, bằng chứng tới một checkpoint đủ nhân chứng."""
    ledger, policy = _open(directory, database)
    try:
        try:
            signer = home.log_signer(directory)
        except FileNotFoundError:
            raise home.HomeError(
                f"Thư mục '{directory}' không có khóa riêng của nhật ký ({home.LOG_KEY}; một bản sao không có): gói hồ "
                "sơ mang đầu các chuỗi do nhật ký ký, nên chỉ lập được nơi giữ khóa đó (máy của sổ cái, hoặc "
                "'dantin fetch' tới /v1/bundles/villages/… của máy chủ).", detail="no log private key") from None
        made = make_bundle(ledger, village, policy=policy, signer=signer)
    finally:
        ledger.close()
    write_output(output, made.data)
    out.print(f"Đã ghi gói hồ sơ {escape(str(output))}: {made.entries} sự kiện ({made.village_events} của thôn), "
              f"checkpoint cỡ {made.size} do {', '.join(made.witnesses)} ký xác nhận.", highlight=False)
    if made.verdict is not None:
        code = made.verdict["verdict"]
        out.print(f"Kết luận ngày {made.verdict['as_of']}: {VERDICT_VI.get(code, code)} ({code}) "
                  f"(bộ quy tắc {made.verdict['ruleset_digest']}).", highlight=False)
    if made.later_events:
        err.print(f"[yellow]Lưu ý[/]: {made.later_events} sự kiện của thôn ghi sau checkpoint này chưa có trong gói "
                  "(chờ nhân chứng ký checkpoint mới).", highlight=False)


@guarded
def verify_bundle_cmd(
    file: Annotated[Path, typer.Argument(metavar="TỆP_GÓI", help="Tệp gói hồ sơ.")],
    log_key_opt: Annotated[str | None, typer.Option("--log-key", help="Khóa nhật ký (vkey) bạn tin.")] = None,
    witness_keys: Annotated[
        list[str] | None, typer.Option("--witness-key", help="Khóa nhân chứng (vkey) bạn tin; lặp lại được.")
    ] = None,
    policy_file: Annotated[Path | None, typer.Option("--policy", help="Chính sách nhân chứng (JSON) bạn áp.")] = None,
    root_key: Annotated[str | None, typer.Option("--root-key", help="Khóa công khai (base64) cơ quan gốc.")] = None,
    ledger_dir: Annotated[Path | None, typer.Option(
        "--ledger", metavar="THƯ_MỤC", help="Đối chiếu thêm với một bản sổ cái đầy đủ (thư mục sổ cái).")] = None,
    database: DatabaseOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Kiểm gói hồ sơ không cần cơ sở dữ liệu hay mạng. Mã thoát 0: đã chứng minh; 1: có sai; 2: không phải gói.

    Với --ledger: đối chiếu thêm với một bản sổ cái đầy đủ (cùng cây Merkle, mỗi chuỗi đủ sự kiện)."""
    policy = _policy_file(policy_file) if policy_file else None
    data = file.read_bytes()
    try:
        report = verify_bundle(data, log_key=log_key_opt, witness_keys=witness_keys or (), policy=policy,
                               root_key=root_key)
    except (NotABundle, BundleFailed) as exc:
        code = EXIT_USAGE if isinstance(exc, NotABundle) else EXIT_FINDING
        if json_out:
            print_json({"verified": False, "error": {"where": ""} | exc.to_dict()})
            raise typer.Exit(code) from None
        fail(exc.message_vi, exc.code, code)
    compared: tuple[int, list[str]] | None = None
    if ledger_dir is not None:
        ledger, _ = _open(ledger_dir, database)
        try:
            compared = against_ledger(report, ledger)
        finally:
            ledger.close()
    if compared is not None and compared[1]:
        differences = compared[1]
        if json_out:
            print_json({"verified": False, "error": {
                "code": "ledger_mismatch", "title": "Gói hồ sơ khác sổ cái", "detail": differences[0],
                "where": "ledger"}, "differences": differences})
            raise typer.Exit(EXIT_FINDING)
        err.print(f"[red]Gói hồ sơ khác sổ cái {escape(str(ledger_dir))}[/] (ledger_mismatch):", highlight=False)
        for line in differences:
            err.print(f"  ✗ {escape(line)}", highlight=False)
        raise typer.Exit(EXIT_FINDING)
    if compared is not None:
        report.proved.append(f"Đối chiếu với sổ cái {ledger_dir}: cùng cây Merkle cỡ {report.size}; {compared[0]} "
                             "chuỗi có đúng số sự kiện và cùng sự kiện cuối như trong gói.")
    if json_out:
        print_json(report.to_dict() | ({"ledger": {"agrees": True, "streams": compared[0]}} if compared else {}))
        raise typer.Exit(EXIT_OK)
    out.print(f"[green]Đã chứng minh[/] gói hồ sơ của '{escape(report.village)}' (checkpoint cỡ {report.size}):",
              highlight=False)
    for line in report.proved:
        out.print(f"  ✓ {escape(line)}", highlight=False)
    out.print("[yellow]Chưa chứng minh được[/]:", highlight=False)
    for line in report.not_proved:
        out.print(f"  • {escape(line)}", highlight=False)


def _policy_file(path: Path) -> Policy:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        fail(f"Tệp chính sách {path} không phải JSON hợp lệ.")
    try:
        return Policy.from_json(value.get("witness_policy", value) if isinstance(value, dict) else value)
    except WitnessError as exc:
        fail(exc.message_vi, exc.code)


def register(app: typer.Typer) -> None:
    """Add the log commands to the ``dantin`` application."""
    app.command("log-key")(log_key)
    app.command("checkpoint")(checkpoint)
    app.command("proof")(proof)
    app.command("bundle")(bundle)
    app.command("verify-bundle")(verify_bundle_cmd)
    app.add_typer(witness_app, name="witness")


__all__ = ["register"]
