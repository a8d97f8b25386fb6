"""``dantin import``: sign a dossier's people and events with the keys of the bodies that
state them, and append them to the ledger.

For each dossier (EVENTS.md §Dossier): the village must be registered; each person's first
profile becomes a ``person.profiled`` signed by the commune committee (or, lacking its key,
the village cell); each event is signed by the body of kind ``by`` that acts for the
village (``ledger.directory``), with its key from ``KEYDIR/<body id, / → __>.pem``. Dossier
ids that name earlier events (``corrects``, ``about``, ``attendance``) become those
events' ledger hashes. A dossier goes in as one batch — split only where an event names
an event of the same batch, whose hash is known once it is stored.

A person id names one person in the whole ledger (one stream per id): a dossier whose
person id is already there with another first profile (name or birth date) is refused
as a whole (``person_conflict``), so that it cannot rewrite someone else's profile. The
same person (same name and birth date) kept by another commune is a move: that commune's
committee states the new residence first when its key is in KEYDIR; otherwise the ledger
refuses the profile (``outside_jurisdiction``), naming who keeps the record.

Importing the same dossier again adds nothing: every envelope comes out byte-identical,
so the ledger refuses each as a replay, and the report says "đã có trong sổ cái". Text is
signed in Unicode NFC (``nfc``), so a dossier saved again with its Vietnamese letters
decomposed (an editor's or a keyboard's "tổ hợp" form: the same text, other bytes) is the
same dossier too, not every event of it a second time.
Exit 0 when everything is in the ledger, 1 when something was refused, 2 when a file is
not a valid dossier (or on a usage error).
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from cli.common import (
    EXIT_FINDING,
    EXIT_OK,
    EXIT_USAGE,
    database_option,
    err,
    fail,
    guarded,
    load_key,
    os_error_vi,
    out,
    passphrase_from,
    print_json,
)
from ledger import application, home
from ledger.application import Ledger, Receipt
from ledger.authority import BodyState
from ledger.catalogue import EVENT_REFS, PERSON_STREAM_PREFIX, stream_of
from ledger.directory import Directory, FirstProfile
from ledger.envelope import format_utc, parse_envelope, seal
from ledger.errors import DantinError, Refused
from ledger.signing import BadKey, SigningKey
from schemas.dossier import Dossier, DossierError, load_dossier
from schemas.ids import place_contains

#: Who signs the people's first profiles, in order of preference (EVENTS.md: both may).
PROFILE_SIGNERS = ("commune_committee", "cell")

STATUS_VI = {
    "accepted": "[green]đã ghi[/]",
    "present": "[cyan]đã có trong sổ cái[/]",
    "refused": "[red]bị từ chối[/]",
    "skipped": "[red]không ghi[/]",
}


def key_file(keys_dir: Path, body_id: str) -> Path:
    """Where a body's private key lies: the layout ``dantin demo`` writes."""
    return keys_dir / (body_id.replace("/", "__") + ".pem")


def read_key(path: Path, passphrase_env: str | None) -> SigningKey:
    """A body's private key for an import. A key folder may hold keys encrypted and keys in the clear:
    ``--passphrase-env`` opens the encrypted ones and leaves the others be. Whatever stops a key from
    being read is a ``DantinError``, said on what that key signs — never an exit halfway through an
    import (the files before stored, no report)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadKey(os_error_vi(exc), detail=f"cannot read {path}") from None
    if b"ENCRYPTED" not in data:
        return SigningKey.from_pem(data)
    if passphrase_env is None and not sys.stdin.isatty():
        raise BadKey("Tệp khóa được mã hóa: dùng --passphrase-env TÊN_BIẾN.", detail="passphrase required")
    return load_key(path, passphrase_env)


@dataclass
class Line:
    """One signed statement of a dossier: a person's first profile, or an event."""

    ref: str
    type: str
    person: bool = False
    status: str = "pending"
    code: str | None = None
    message_vi: str | None = None
    hash: str | None = None
    log_index: int | None = None
    stream: str | None = None
    #: A person's move, stated by the commune keeping the record (``_Batch._move_in``): from where.
    moved_from: str | None = None

    def to_dict(self) -> dict[str, Any]:
        kind = "move" if self.moved_from else "person" if self.person else "event"
        return {"id": self.ref, "kind": kind, "type": self.type, "status": self.status, "code": self.code,
                "message": self.message_vi, "hash": self.hash, "log_index": self.log_index, "stream": self.stream,
                "moved_from": self.moved_from}


@dataclass
class Report:
    """What became of one dossier file."""

    file: str
    village: str | None = None
    #: Why the file is not a valid dossier (exit 2), or why it could not be imported at all.
    problems: list[dict[str, Any]] = field(default_factory=list)
    invalid: bool = False
    lines: list[Line] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for line in self.lines if line.status == status)

    @property
    def status(self) -> str:
        if self.invalid:
            return "invalid"
        if self.problems or any(line.status in ("refused", "skipped") for line in self.lines):
            return "refused"
        return "ok"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "village": self.village, "status": self.status,
                "accepted": self.count("accepted"), "present": self.count("present"),
                "refused": self.count("refused") + self.count("skipped"),
                "problems": self.problems, "entries": [line.to_dict() for line in self.lines]}


def signed_at(day: str, key_valid_from: datetime | None) -> datetime:
    # Ed25519 is deterministic, and signed_at is part of the signed bytes: the same dossier
    # must yield byte-identical envelopes on every import, so that the ledger refuses a
    # second import as a replay instead of storing every event twice. So the signing time
    # is derived from the fact's own date (00:00 UTC), never read from the clock — or from
    # the key's start, for a key that became valid later (still deterministic). The ledger
    # records signed_at, it does not trust it; the time of receipt is in the log entry.
    # A moment the ledger would refuse as ahead of its clock (``signed_in_future``) is said here, with
    # what makes it so, before anything is signed: a fact dated today, in Vietnam before 07:00
    # (00:00 UTC); or a key that is not valid yet.
    moment = datetime.combine(datetime.fromisoformat(day).date(), time(0), UTC)
    at = max(moment, key_valid_from) if key_valid_from is not None else moment
    if at > application.utc_now() + application.SIGNED_AT_SKEW:
        if at != moment:
            raise Refused("signed_in_future", f"Khóa ký của cơ quan chỉ có hiệu lực từ {format_utc(at)}: sự kiện này "
                          "chưa nhập được trước lúc đó.", detail=f"signing key valid from {format_utc(at)}")
        raise Refused("signed_in_future", f"Sự kiện ngày {day} chỉ nhập được từ 07:00 ngày đó (giờ Việt Nam): khi "
                      "nhập, thời điểm ký được lấy là 00:00 UTC của ngày sự kiện, để mọi lần nhập cùng một hồ sơ "
                      "cho cùng những phong bì.", detail=f"fact dated {day} signs at {format_utc(at)}, still ahead")
    return at


class Importer:
    """Signs and submits dossiers. ``run`` takes one file; ``run_many`` many loaded dossiers in large
    batches (what ``dantin demo`` and ``dantin synth`` call). ``keys`` preloads private keys by body id
    (else they are read from ``keys_dir``)."""

    def __init__(self, ledger: Ledger, keys_dir: Path, passphrase_env: str | None, *,
                 keys: Mapping[str, SigningKey] | None = None) -> None:
        self.ledger = ledger
        self.directory = Directory(ledger)
        self.keys_dir = keys_dir
        self.passphrase_env = passphrase_env
        self._keys: dict[str, SigningKey] = dict(keys or {})
        #: Body id → why its key file could not be read (tried once: a passphrase is asked for once).
        self._bad_keys: dict[str, DantinError] = {}
        #: Person id → who it stands for: from the ledger (None: not there) or claimed by a dossier of this run.
        self._people: dict[str, FirstProfile | None] = {}

    def run(self, path: Path) -> Report:
        report = Report(file=str(path))
        try:
            dossier = load_dossier(path.read_bytes())
        except DossierError as exc:
            report.invalid = True
            report.problems = [p.to_dict() | {"code": exc.code} for p in exc.problems]
            return report
        except OSError as exc:
            report.invalid = True
            report.problems = [{"code": "io", "path": "(tệp)", "event": None,
                                "message": f"không đọc được tệp: {os_error_vi(exc)}"}]
            return report
        return self.run_dossier(dossier, str(path))

    def run_dossier(self, dossier: Dossier, file: str) -> Report:
        """Import one loaded dossier, submitted as one batch (split only where an event names another)."""
        outbox = _Outbox(self.ledger)
        report = self._queue(dossier, Report(file=file), outbox)
        outbox.flush()
        return report

    def run_many(self, dossiers: Iterable[tuple[str, Dossier]], *, batch: int = 2000) -> Iterator[Report]:
        """Import many dossiers, several per submission (about ``batch`` envelopes each); yield each
        dossier's report, in order, once everything it holds has been submitted."""
        outbox = _Outbox(self.ledger)
        done: list[Report] = []
        for chunk in _chunks(dossiers, 64):
            self._prefetch([d for _, d in chunk])
            for file, dossier in chunk:
                done.append(self._queue(dossier, Report(file=file), outbox))
                if len(outbox) >= batch:
                    outbox.flush()
                    yield from done
                    done.clear()
        outbox.flush()
        yield from done

    def _queue(self, dossier: Dossier, report: Report, outbox: _Outbox) -> Report:
        report.village = dossier.village.id
        signers = self._signers(dossier, report)
        self._check_people(dossier, report)
        if not report.problems:
            _Batch(self, dossier, signers, report).run(outbox)
        return report

    def _prefetch(self, dossiers: Sequence[Dossier]) -> None:
        self.directory.prefetch_bodies(d.village.id for d in dossiers)
        unknown = [p.id for d in dossiers for p in d.people if p.id not in self._people]
        self._people.update(self.directory.first_profiles(list(dict.fromkeys(unknown))))

    # -- one person id, one person --------------------------------------------------------

    def _check_people(self, dossier: Dossier, report: Report) -> None:
        """Refuse a dossier that would give an existing person id to someone else.

        The ledger keeps one stream per person id, and a later profile supersedes the
        earlier one: a second village's "p1" would silently rewrite the first village's
        head. So a person id already in the ledger (or claimed by an earlier dossier of
        this run) must come with the same name and birth date (where both state them).
        """
        unknown = [p.id for p in dossier.people if p.id not in self._people]
        if unknown:
            self._people.update(self.directory.first_profiles(unknown))
        clashes = False
        for i, person in enumerate(dossier.people):
            known, stated = self._people.get(person.id), FirstProfile(person.name, person.born)
            if known is not None and known.differences(stated):
                clashes = True
                report.problems.append(_problem(
                    "person_conflict",
                    f"Mã người '{person.id}' đã có trong sổ cái là {known.text_vi()}, nhưng hồ sơ này ghi "
                    f"{stated.text_vi()}. Mỗi mã người chỉ dùng cho một người: hãy đặt mã khác (ví dụ ghép mã "
                    f"thôn vào trước) rồi nhập lại.", path=f"people[{i}].id"))
        if not clashes and not report.problems:
            for person in dossier.people:
                if self._people.get(person.id) is None:
                    self._people[person.id] = FirstProfile(person.name, person.born)

    # -- who signs ----------------------------------------------------------------------

    def _signers(self, dossier: Dossier, report: Report) -> dict[str, tuple[BodyState, SigningKey]]:
        village = dossier.village
        registered = self.directory.place_kind(village.id)
        if registered is None:
            report.problems.append(_problem("unknown_place", f"Thôn/tổ dân phố '{village.id}' chưa được đăng ký "
                                            "trong sổ cái; hãy đăng ký địa bàn trước khi nhập hồ sơ."))
            return {}
        if registered != village.kind:
            report.problems.append(_problem("place_mismatch", f"Sổ cái ghi '{village.id}' là '{registered}', hồ sơ ghi "
                                            f"'{village.kind}'."))
            return {}
        if dossier.people and dossier.first_date is None:
            report.problems.append(_problem("no_events", "Hồ sơ không có sự kiện nào: không xác định được ngày "
                                            "của hồ sơ nhân thân."))
            return {}
        signers: dict[str, tuple[BodyState, SigningKey]] = {}
        for kind in sorted({e.by for e in dossier.events}):
            found = self._signer(kind, village.id, report)
            if found is not None:
                signers[kind] = found
        if dossier.people:
            quiet = Report(file=report.file)
            for kind in PROFILE_SIGNERS:
                found = signers.get(kind) or self._signer(kind, village.id, quiet)
                if found is not None:
                    signers["person.profiled"] = found
                    break
            else:
                report.problems.extend(quiet.problems)
        return signers

    def _signer(self, kind: str, place: str, report: Report) -> tuple[BodyState, SigningKey] | None:
        try:
            body = self.directory.acting_body(kind, place)
        except DantinError as exc:
            report.problems.append(_problem(exc.code, exc.message_vi))
            return None
        path = key_file(self.keys_dir, body.id)
        if body.id not in self._keys:
            if not path.is_file():
                report.problems.append(_problem("missing_key", f"Thiếu tệp khóa '{path}' của cơ quan '{body.id}'."))
                return None
            try:
                if body.id in self._bad_keys:
                    raise self._bad_keys[body.id]
                self._keys[body.id] = read_key(path, self.passphrase_env)
            except DantinError as exc:
                self._bad_keys[body.id] = exc
                report.problems.append(_problem(exc.code, f"Không đọc được tệp khóa '{path}': {exc.message_vi}"))
                return None
        key = self._keys[body.id]
        state = body.keys.get(key.public.key_id)
        if state is None or state.revoked:
            report.problems.append(_problem("unknown_key", f"Khóa trong '{path}' không phải khóa còn hiệu lực "
                                            f"của cơ quan '{body.id}'."))
            return None
        return body, key


def nfc(value: Any) -> Any:
    """``value`` with every text in it in Unicode NFC (keys are ids and field names, left as they are):
    Vietnamese written with combining marks and precomposed is one text, signed one way."""
    if isinstance(value, str):
        return value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {k: nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfc(v) for v in value]
    return value


def _problem(code: str, message_vi: str, path: str | None = None) -> dict[str, Any]:
    return {"code": code, "path": path, "event": None, "message": message_vi}


def _chunks(items: Iterable[tuple[str, Dossier]], size: int) -> Iterator[list[tuple[str, Dossier]]]:
    chunk: list[tuple[str, Dossier]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Outbox:
    """Signed envelopes waiting to be submitted, in order: one dossier's, or many dossiers' in one batch."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.items: list[tuple[_Batch, Line, dict[str, Any]]] = []

    def __len__(self) -> int:
        return len(self.items)

    def add(self, batch: _Batch, line: Line, envelope: dict[str, Any]) -> None:
        self.items.append((batch, line, envelope))
        if not line.person:
            batch.unsent.add(line.ref)

    def flush(self) -> None:
        if not self.items:
            return
        results = self.ledger.submit([envelope for _, _, envelope in self.items])
        for (batch, line, envelope), result in zip(self.items, results, strict=True):
            batch.settle(line, result, envelope)
        self.items.clear()


class _Batch:
    """Sign one dossier's statements, in file order, into an outbox."""

    def __init__(self, importer: Importer, dossier: Dossier, signers: dict[str, tuple[BodyState, SigningKey]],
                 report: Report) -> None:
        self.importer, self.dossier, self.signers, self.report = importer, dossier, signers, report
        #: Dossier event ids signed but not yet submitted.
        self.unsent: set[str] = set()
        #: Dossier event id → its ledger hash (None when it is not in the ledger).
        self.hashes: dict[str, str | None] = {}
        #: Person id → why the commune keeping the person's record could not state the move.
        self.unmoved: dict[str, str] = {}

    def run(self, outbox: _Outbox) -> None:
        village = self.dossier.village.id
        first = self.dossier.first_date
        for person in self.dossier.people:
            assert first is not None  # checked with the signers
            line, facts = Line(person.id, "person.profiled", person=True), person.profile_facts()
            envelope = self._seal(line, self.signers["person.profiled"], village, first.isoformat(), facts)
            if envelope is not None:  # a profile that cannot be signed moves nobody
                self._move_in(outbox, person.id, village, first.isoformat(), facts)
            self.report.lines.append(line)
            if envelope is not None:
                outbox.add(self, line, envelope)
        ids = {e.id for e in self.dossier.events}
        for event in self.dossier.events:
            line = Line(event.id, event.type)
            refs = _refs(event.type, event.facts, ids)
            if refs & self.unsent:
                outbox.flush()  # an event names one not yet stored: store that one first, to know its hash
            lost = sorted(r for r in refs if self.hashes.get(r) is None)
            if lost:
                self.report.lines.append(line)
                line.status, line.code = "skipped", "unresolved_reference"
                line.message_vi = f"Sự kiện được nhắc đến ({', '.join(lost)}) không được ghi vào sổ cái."
                self.hashes[event.id] = None
                continue
            facts = _translate(event.type, event.facts, self.hashes)
            self._add(outbox, line, event.by, village, event.date.isoformat(), facts)

    def _move_in(self, outbox: _Outbox, person: str, village: str, day: str, facts: Mapping[str, Any]) -> None:
        """A person already in the ledger, kept by another commune (first profiled, or living, outside
        the jurisdiction of the body that signs this dossier's profiles: ``authority._check_custody``):
        the commune committee keeping the record states the move to the profile's residence (or
        ``village``) first, when its key is at hand. Without it the ledger refuses the profile,
        saying who keeps the record. A residence nobody registered moves nobody (the profile is
        refused for it: ``unknown_place``)."""
        stream = self.importer.ledger.get_stream(PERSON_STREAM_PREFIX + person)
        if stream is None and person in self.importer._people:  # claimed by a dossier queued before this one
            outbox.flush()
            stream = self.importer.ledger.get_stream(PERSON_STREAM_PREFIX + person)
        if stream is None or stream.state.registrar is None:
            return
        residence = str(facts.get("residence") or village)
        if self.importer.directory.place_kind(residence) is None:
            return
        state, (signer, _) = stream.state, self.signers["person.profiled"]
        if any(place is not None and place_contains(signer.jurisdiction, place)
               for place in (state.registrar, state.residence)):
            return
        kept_at = state.residence or state.registrar  # the registrar is set (above)
        assert kept_at is not None
        why = Report(file=self.report.file)
        found = self.importer._signer("commune_committee", kept_at, why)
        if found is not None:
            self._add(outbox, Line(person, "person.profiled", person=True, moved_from=kept_at), found, kept_at,
                      day, {"person": person, "residence": residence})
        else:  # said with the profile's refusal: why the importer could not state the move itself
            self.unmoved[person] = "; ".join(p["message"] for p in why.problems)

    def _add(self, outbox: _Outbox, line: Line, signer: str | tuple[BodyState, SigningKey], place: str, day: str,
             facts: dict[str, Any]) -> None:
        self.report.lines.append(line)
        envelope = self._seal(line, self.signers[signer] if isinstance(signer, str) else signer, place, day, facts)
        if envelope is not None:
            outbox.add(self, line, envelope)

    def _seal(self, line: Line, signer: tuple[BodyState, SigningKey], place: str, day: str,
              facts: dict[str, Any]) -> dict[str, Any] | None:
        """The signed envelope of ``line``; None (``line`` settled as refused) when it cannot be signed."""
        body, key = signer
        grant = body.keys[key.public.key_id]
        try:
            return seal(key, body.id, {"type": line.type, "place": place, "date": day, "facts": nfc(facts)},
                        signed_at=signed_at(day, grant.valid_from))
        except Refused as refusal:
            self.settle(line, refusal, {})
            return None

    def settle(self, line: Line, result: Receipt | Refused, envelope: dict[str, Any]) -> None:
        if isinstance(result, Receipt):
            line.status, line.hash, line.log_index, line.stream = "accepted", result.hash, \
                result.notification_id, result.stream
        elif result.code == "replay":
            parsed = parse_envelope(envelope)
            st = parsed.statement
            line.stream = stream_of(st.type, st.place, st.body, st.facts)
            line.status = "present"
            line.hash = self.importer.directory.entry_hash(line.stream, parsed.payload_hash)
        else:
            line.status, line.code, line.message_vi = "refused", result.code, result.message_vi
            if line.person and result.code == "outside_jurisdiction" and self.unmoved.get(line.ref):
                line.message_vi = f"{result.message_vi} (Không tự ghi được việc chuyển đến: {self.unmoved[line.ref]})"
        if not line.person:
            self.unsent.discard(line.ref)
            self.hashes[line.ref] = line.hash


def _refs(event_type: str, facts: dict[str, Any], ids: set[str]) -> set[str]:
    """The dossier ids an event's facts name."""
    found: set[str] = set()
    for name in EVENT_REFS.get(event_type, ()):
        value = facts.get(name)
        found.update(v for v in (value if isinstance(value, list) else [value]) if v in ids)
    return found


def _translate(event_type: str, facts: dict[str, Any], hashes: dict[str, str | None]) -> dict[str, Any]:
    """The facts with each dossier id of an earlier event replaced by its ledger hash."""
    out = dict(facts)
    for name in EVENT_REFS.get(event_type, ()):
        value = out.get(name)
        if isinstance(value, list):
            out[name] = [hashes.get(v) or v for v in value]
        elif isinstance(value, str):
            out[name] = hashes.get(value) or value
    return out


# -- the command ----------------------------------------------------------------------------


def _say(console: Console, text: str) -> None:
    # No folding: file paths and hashes stay whole, to be copied.
    console.print(text, highlight=False, soft_wrap=True)


def _print(report: Report) -> None:
    if report.invalid:
        _say(err, f"[bold red]{escape(report.file)}[/]: hồ sơ không hợp lệ (invalid_dossier)")
        for p in report.problems:
            where = f"tại {p['path']}" + (f" (sự kiện '{p['event']}')" if p.get("event") else "")
            _say(err, f"  • {escape(where)}: {escape(p['message'])}")
        return
    if report.problems:
        _say(err, f"[bold red]{escape(report.file)}[/]: không nhập được hồ sơ của '{report.village}'.")
        for p in report.problems:
            _say(err, f"  • ({p['code']}) {escape(p['message'])}")
        return
    _say(out, f"[bold]{escape(report.file)}[/] — {report.village}: {report.count('accepted')} đã ghi, "
              f"{report.count('present')} đã có trong sổ cái, "
              f"{report.count('refused') + report.count('skipped')} bị từ chối.")
    for line in report.lines:
        what = (f"người {line.ref} (chuyển từ {line.moved_from})" if line.moved_from else
                f"người {line.ref}" if line.person else line.ref)
        text = f"  {escape(what)} {line.type} → {STATUS_VI[line.status]}"
        if line.hash:
            text += f" (mã băm {line.hash[:16]}…" + (f", thứ tự {line.log_index})" if line.log_index else ")")
        if line.code:
            text += f" ({line.code}): {escape(line.message_vi or '')}"
        _say(err if line.code else out, text)


@guarded
def import_dossiers(
    dossiers: Annotated[list[Path], typer.Argument(metavar="HỒ_SƠ", help="Tệp hồ sơ (JSON), một thôn mỗi tệp.")],
    ledger_dir: Annotated[Path, typer.Option("--ledger", help="Thư mục sổ cái.")],
    keys_dir: Annotated[
        Path, typer.Option("--keys", help="Thư mục khóa riêng của các cơ quan (<mã cơ quan, '/' thành '__'>.pem).")
    ],
    database: Annotated[
        str | None, typer.Option("--database", help="postgresql://… (mặc định: như lúc init, hoặc DANTIN_DATABASE).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")] = False,
    passphrase_env: Annotated[
        str | None, typer.Option("--passphrase-env", help="Tên biến môi trường chứa mật khẩu các tệp khóa.")
    ] = None,
) -> None:
    """Ký và ghi hồ sơ thôn vào sổ cái. Mã thoát 1 nếu có mục bị từ chối, 2 nếu hồ sơ không hợp lệ."""
    if any(p.suffix == ".jsonl" for p in dossiers):  # issue 7: attendance JSON Lines, see cli/attendance_import.py
        from cli.attendance_import import import_jsonl
        return import_jsonl(dossiers, ledger_dir, keys_dir, database, json_out, passphrase_env)
    if not keys_dir.is_dir():
        fail(f"'{keys_dir}' không phải thư mục khóa.")
    passphrase_from(passphrase_env)  # an unset or unusable variable: said before anything is signed
    ledger = home.open_ledger(ledger_dir, database_option(database))
    reports: list[Report] = []
    try:
        importer = Importer(ledger, keys_dir, passphrase_env)
        with Progress(TextColumn("Đang nhập hồ sơ"), BarColumn(), MofNCompleteColumn(), console=err,
                      transient=True, disable=not err.is_terminal or len(dossiers) < 2) as bar:
            task = bar.add_task("import", total=len(dossiers))
            for path in dossiers:
                reports.append(importer.run(path))
                bar.advance(task)
    finally:
        ledger.close()
    finish(reports, json_out, _print)


def finish(reports: Sequence[Any], json_out: bool, show: Callable[[Any], None]) -> NoReturn:
    """Print import reports (JSON or for people) and exit: 2 if any file was invalid, 1 if anything was
    refused, else 0. Shared by dossier and JSON Lines imports."""
    if json_out:
        print_json([r.to_dict() for r in reports])
    else:
        for report in reports:
            show(report)
    statuses = {r.status for r in reports}
    raise typer.Exit(EXIT_USAGE if "invalid" in statuses else EXIT_FINDING if "refused" in statuses else EXIT_OK)


__all__ = ["Importer", "Report", "finish", "import_dossiers", "key_file", "nfc", "read_key", "signed_at"]
