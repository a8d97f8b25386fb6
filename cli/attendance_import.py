"""``dantin import FILE.jsonl``: attendance events as JSON Lines, each signed with its body's key and appended.

One event per line (docs/attendance.md)::

    {"id": "a1", "type": "attendance.recorded", "by": "qng.bato.badien.lang-ma/cell",
     "member": "qng.bato.m001", "level": "district", "meeting_date": "2022-03-05",
     "cell": "qng.bato.badien.lang-ma"}
    {"type": "attendance.reported", "by": "qng.bato/standing", "attendance": "a1", "report_date": "2022-03-07"}

``by`` is the signing body's id; its key is ``KEYDIR/<body id, / → __>.pem`` (the layout
``dantin demo`` writes). Every other key but ``id``, ``date`` and ``place`` is a fact, checked
against the type's facts model. ``attendance`` names an earlier line's ``id`` or a ledger
event hash; a line id becomes the hash of that line's stored event. ``date`` defaults to the
meeting date (recorded) or the report date (reported); ``place`` to the host cell's village
(recorded) or the body's jurisdiction. ``person.profiled`` lines are accepted too, so a file
can profile its members first.

The whole file is checked before anything is signed: one bad line and nothing is imported
(exit 2, every problem named by its line). Lines are submitted in file order, in large
batches; a line that names another line of the file waits for the batch holding that line,
whose hash is known once it is stored. As with dossiers, the signing time comes from the
event's date, so importing the same file again stores nothing ("đã có trong sổ cái").
Exit 0 when every line is in the ledger, 1 when some line was refused, 2 on an invalid file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn
from rich.progress import Progress as ProgressBar

from cli.common import database_option, err, fail, os_error_vi, out, passphrase_from
from cli.importer import finish, key_file, nfc, read_key, signed_at
from ledger import home
from ledger.application import Ledger, Receipt
from ledger.authority import BodyState
from ledger.catalogue import stream_of
from ledger.directory import Directory
from ledger.envelope import parse_envelope, seal
from ledger.errors import DantinError, Refused
from ledger.signing import SigningKey
from schemas._base import DOSSIER_ID_RE, HASH_RE
from schemas._checks import is_iso_day
from schemas._messages import message_vi, path_of
from schemas.facts import FACTS_MODELS
from schemas.ids import BODY_RE, PLACE_RE, place_contains

TYPES = ("person.profiled", "attendance.planned", "attendance.recorded", "attendance.reported")
ENVELOPE = ("id", "type", "date", "by", "place")
#: The fact a line's date defaults to, per type (no default: the line must say ``date``).
DATE_FROM = {"attendance.recorded": "meeting_date", "attendance.reported": "report_date"}
BATCH = 2000
#: Called with (lines done, lines in the file) as a file is imported.
Progress = Callable[[int, int], None]
STATUS_VI = {"accepted": "[green]đã ghi[/]", "present": "[cyan]đã có trong sổ cái[/]",
             "refused": "[red]bị từ chối[/]", "skipped": "[red]không ghi[/]"}


@dataclass
class Line:
    number: int
    ref: str
    type: str
    by: str
    day: str
    place: str | None
    facts: dict[str, Any]
    #: The id of the earlier line this one names (``attendance``), if any.
    needs: str | None = None
    status: str = "pending"
    code: str | None = None
    message_vi: str | None = None
    hash: str | None = None
    index: int | None = None
    stream: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.number, "id": self.ref, "type": self.type, "by": self.by, "status": self.status,
                "code": self.code, "message": self.message_vi, "hash": self.hash, "log_index": self.index,
                "stream": self.stream}


@dataclass
class FileReport:
    file: str
    problems: list[dict[str, Any]] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)

    def count(self, *statuses: str) -> int:
        return sum(1 for line in self.lines if line.status in statuses)

    @property
    def status(self) -> str:
        if self.problems:
            return "invalid"
        return "refused" if self.count("refused", "skipped") else "ok"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "status": self.status, "accepted": self.count("accepted"),
                "present": self.count("present"), "refused": self.count("refused", "skipped"),
                "problems": self.problems, "entries": [line.to_dict() for line in self.lines]}


# -- reading ----------------------------------------------------------------------------------


def read_lines(docs: Sequence[tuple[int, Any]], report: FileReport) -> list[Line]:
    """Check every line (number, parsed JSON); problems go to ``report``; lines only when there are none."""
    lines: list[Line] = []
    types: dict[str, str] = {}

    def problem(number: int, path: str, message: str) -> None:
        report.problems.append({"line": number, "path": path, "message": message})

    for number, doc in docs:
        if not isinstance(doc, dict):
            problem(number, "(dòng)", "mỗi dòng phải là một đối tượng JSON")
            continue
        kind, by, ref, place = doc.get("type"), doc.get("by"), doc.get("id"), doc.get("place")
        if kind not in TYPES:
            problem(number, "type", f"loại sự kiện '{kind}' không nhập được từ tệp JSON Lines; chỉ nhận: "
                                    f"{', '.join(TYPES)}")
            continue
        if not isinstance(by, str) or not BODY_RE.match(by):
            problem(number, "by", "phải là mã cơ quan ký, ví dụ qng.bato/district_standing")
        if ref is not None and (not isinstance(ref, str) or not DOSSIER_ID_RE.match(ref)):
            problem(number, "id", "mã dòng chỉ gồm chữ, số và . _ : - (tối đa 63 ký tự)")
        elif isinstance(ref, str) and ref in types:
            problem(number, "id", f"mã dòng '{ref}' đã dùng ở một dòng trước")
        if place is not None and (not isinstance(place, str) or not PLACE_RE.match(place)):
            problem(number, "place", "sai định dạng mã địa bàn")
        facts = {k: v for k, v in doc.items() if k not in ENVELOPE}
        try:
            FACTS_MODELS[kind].model_validate(facts)
        except ValidationError as exc:
            for e in exc.errors():
                problem(number, path_of(e["loc"]), message_vi(e))
            continue
        day = doc.get("date", facts.get(DATE_FROM.get(kind, "")))
        if not _is_day(day):
            problem(number, "date", "thiếu hoặc sai ngày của sự kiện (YYYY-MM-DD)")
            continue
        needs = None
        if kind == "attendance.reported" and not HASH_RE.match(str(facts["attendance"])):
            needs = str(facts["attendance"])
            if types.get(needs) != "attendance.recorded":
                problem(number, "attendance", f"'{needs}' không phải mã của một dòng attendance.recorded phía "
                                              f"trên, cũng không phải mã băm sự kiện trong sổ cái")
                continue
        if isinstance(ref, str):
            types[ref] = kind
        lines.append(Line(number, ref if isinstance(ref, str) else f"#{number}", kind, str(by), str(day),
                          place if isinstance(place, str) else None, facts, needs))
    return [] if report.problems else lines


def _is_day(value: Any) -> bool:
    # The ledger's one spelling of a day (YYYY-MM-DD): Python also reads 20220110 and 2022-W02-1.
    if not is_iso_day(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def parse_file(path: Path, report: FileReport) -> list[Line]:
    try:
        text = path.read_bytes()
    except OSError as exc:
        report.problems.append({"line": None, "path": "(tệp)", "message": f"không đọc được tệp: {os_error_vi(exc)}"})
        return []
    docs: list[tuple[int, Any]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        if raw.strip():
            try:
                docs.append((number, orjson.loads(raw)))
            except orjson.JSONDecodeError:
                report.problems.append({"line": number, "path": "(dòng)", "message": "không phải JSON hợp lệ"})
    if not docs and not report.problems:
        report.problems.append({"line": None, "path": "(tệp)", "message": "tệp không có dòng nào"})
    return read_lines(docs, report)


# -- signing and submitting -------------------------------------------------------------------


class JsonlImporter:
    """Signs and submits attendance lines; ``keys`` preloads private keys by body id (else read from ``keys_dir``)."""

    def __init__(self, ledger: Ledger, keys_dir: Path, passphrase_env: str | None = None, *,
                 keys: Mapping[str, SigningKey] | None = None) -> None:
        self.ledger, self.keys_dir, self.passphrase_env = ledger, keys_dir, passphrase_env
        self.directory = Directory(ledger)
        self._keys: dict[str, SigningKey] = dict(keys or {})
        #: Body id → why its key file could not be read (tried once: a passphrase is asked for once).
        self._bad_keys: dict[str, DantinError] = {}

    def run(self, path: Path, progress: Progress | None = None) -> FileReport:
        """Import one file; ``progress(done, total)`` is called as its lines are signed and stored."""
        report = FileReport(str(path))
        lines = parse_file(path, report)
        if not report.problems:
            self.submit(lines, report, progress)
        return report

    def run_docs(self, docs: Sequence[Any], name: str) -> FileReport:
        """Import lines already parsed (what ``cli.demo_attendance`` calls)."""
        report = FileReport(name)
        lines = read_lines(list(enumerate(docs, 1)), report)
        if not report.problems:
            self.submit(lines, report)
        return report

    def submit(self, lines: list[Line], report: FileReport, progress: Progress | None = None) -> None:
        report.lines = lines
        hashes: dict[str, str | None] = {}
        remaining = lines
        done = 0
        if progress is not None:
            progress(done, len(lines))
        while remaining:
            unsettled = {line.ref for line in remaining}
            ready = [line for line in remaining if line.needs is None or line.needs not in unsettled]
            remaining = [line for line in remaining if line.needs is not None and line.needs in unsettled]
            for start in range(0, len(ready), BATCH):
                self._batch(ready[start:start + BATCH], hashes)
                done += len(ready[start:start + BATCH])
                if progress is not None:
                    progress(done, len(lines))

    def _batch(self, lines: list[Line], hashes: dict[str, str | None]) -> None:
        signed: list[tuple[Line, dict[str, Any]]] = []
        for line in lines:
            envelope = self._seal(line, hashes)
            if envelope is not None:
                signed.append((line, envelope))
            hashes[line.ref] = None
        if signed:
            for (line, envelope), result in zip(signed, self.ledger.submit([e for _, e in signed]), strict=True):
                self._settle(line, envelope, result)
                hashes[line.ref] = line.hash

    def _seal(self, line: Line, hashes: Mapping[str, str | None]) -> dict[str, Any] | None:
        facts = dict(line.facts)
        if line.needs is not None:
            target = hashes.get(line.needs)
            if target is None:
                _skip(line, "unresolved_reference", f"Dòng '{line.needs}' được nhắc đến không được ghi vào "
                                                    "sổ cái.")
                return None
            facts["attendance"] = target
        found = self._signer(line)
        if found is None:
            return None
        body, key = found
        place = line.place or _place(line, body)
        grant = body.keys[key.public.key_id]
        try:
            return seal(key, body.id, {"type": line.type, "place": place, "date": line.day, "facts": nfc(facts)},
                        signed_at=signed_at(line.day, grant.valid_from))
        except Refused as refusal:
            _skip(line, refusal.code, refusal.message_vi, status="refused")
            return None

    def _signer(self, line: Line) -> tuple[BodyState, SigningKey] | None:
        body = self.directory.body(line.by)
        if body is None:
            _skip(line, "unknown_key", f"Cơ quan '{line.by}' chưa được kết nạp vào sổ cái.")
            return None
        if body.id not in self._keys:
            path = key_file(self.keys_dir, body.id)
            if not path.is_file():
                _skip(line, "missing_key", f"Thiếu tệp khóa '{path}' của cơ quan '{body.id}'.")
                return None
            try:
                if body.id in self._bad_keys:
                    raise self._bad_keys[body.id]
                self._keys[body.id] = read_key(path, self.passphrase_env)
            except DantinError as exc:
                self._bad_keys[body.id] = exc
                _skip(line, exc.code, f"Không đọc được tệp khóa '{path}': {exc.message_vi}")
                return None
        key = self._keys[body.id]
        state = body.keys.get(key.public.key_id)
        if state is None or state.revoked:
            _skip(line, "unknown_key", f"Khóa của '{body.id}' trong thư mục khóa không còn hiệu lực.")
            return None
        return body, key

    def _settle(self, line: Line, envelope: dict[str, Any], result: Receipt | Refused) -> None:
        if isinstance(result, Receipt):
            line.status, line.hash, line.index, line.stream = "accepted", result.hash, result.index, result.stream
        elif result.code == "replay":
            parsed = parse_envelope(envelope)
            st = parsed.statement
            line.stream = stream_of(st.type, st.place, st.body, st.facts)
            line.status, line.hash = "present", self.directory.entry_hash(line.stream, parsed.payload_hash)
        else:
            line.status, line.code, line.message_vi = "refused", result.code, result.message_vi


def _skip(line: Line, code: str, message: str, status: str = "skipped") -> None:
    line.status, line.code, line.message_vi = status, code, message


def _place(line: Line, body: BodyState) -> str:
    """Where the event happens when the line does not say: the host village, the residence, or the body's area."""
    if line.type == "attendance.recorded":
        return str(line.facts["cell"])
    residence = line.facts.get("residence")
    if line.type == "person.profiled" and isinstance(residence, str) and place_contains(body.jurisdiction, residence):
        return residence
    return body.jurisdiction


# -- the command (reached through ``dantin import``: cli/importer.py hands .jsonl files here) ---------


def _say(console: Console, text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True)  # no folding: paths and hashes stay whole


def _print(report: FileReport) -> None:
    if report.problems:
        _say(err, f"[bold red]{escape(report.file)}[/]: tệp JSON Lines không hợp lệ (invalid_jsonl); "
                  "chưa nhập dòng nào.")
        for p in report.problems[:50]:
            where = f"dòng {p['line']}, {p['path']}" if p["line"] else p["path"]
            _say(err, f"  • {escape(where)}: {escape(p['message'])}")
        if len(report.problems) > 50:
            _say(err, f"  … và {len(report.problems) - 50} lỗi khác.")
        return
    _say(out, f"[bold]{escape(report.file)}[/]: {report.count('accepted')} đã ghi, {report.count('present')} đã có "
              f"trong sổ cái, {report.count('refused', 'skipped')} bị từ chối.")
    for line in report.lines:
        if line.code or len(report.lines) <= 30:
            text = f"  dòng {line.number} ({escape(line.ref)}) {line.type} → {STATUS_VI.get(line.status, line.status)}"
            if line.hash:
                text += f" (mã băm {line.hash[:16]}…)"
            if line.code:
                text += f" ({line.code}): {escape(line.message_vi or '')}"
            _say(err if line.code else out, text)


def import_jsonl(paths: list[Path], ledger_dir: Path, keys_dir: Path, database: str | None, json_out: bool,
                 passphrase_env: str | None) -> None:
    """Import attendance JSON Lines files; exits like ``dantin import`` (0, 1 refused, 2 invalid)."""
    mixed = [p for p in paths if p.suffix != ".jsonl"]
    if mixed:
        fail(f"Không nhập lẫn tệp hồ sơ và tệp JSON Lines trong một lệnh: {', '.join(map(str, mixed))}.")
    if not keys_dir.is_dir():
        fail(f"'{keys_dir}' không phải thư mục khóa.")
    passphrase_from(passphrase_env)  # an unset or unusable variable: said before anything is signed
    ledger = home.open_ledger(ledger_dir, database_option(database))
    reports: list[FileReport] = []
    try:
        importer = JsonlImporter(ledger, keys_dir, passphrase_env)
        with ProgressBar(TextColumn("Đang nhập {task.description}"), BarColumn(), MofNCompleteColumn(),
                         TextColumn("dòng"), console=err, transient=True, disable=not err.is_terminal) as bar:
            for path in paths:
                task = bar.add_task(escape(path.name), total=None)

                def advance(done: int, total: int, task: TaskID = task) -> None:
                    bar.update(task, completed=done, total=total)

                reports.append(importer.run(path, advance))
                bar.remove_task(task)
    finally:
        ledger.close()
    finish(reports, json_out, _print)
