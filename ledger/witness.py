"""Witnesses: bodies that cosign the log's checkpoints, and the policy that says when enough have.

A witness is an enrolled body of a witness kind (``Policy.witness_kinds``; by default the
commune Fatherland Front and the inspection commission) acting as a C2SP tlog-cosignature
v1 cosigner (key type 0x04) named by its body id, with the body's own Ed25519 key. The key
serves both purposes safely: envelope signatures are over DSSE's PAE pre-image, cosignatures
over ``cosignature/v1\\ntime <t>\\n`` + checkpoint body, so neither can pass for the other.

- https://c2sp.org/tlog-cosignature — the cosignature line and signed message
- https://c2sp.org/tlog-witness — what a witness checks before cosigning: the log's
  signature, that the tree never shrinks, and a consistency proof from the last checkpoint
  it cosigned. This is the defence against a log showing different histories to different
  readers (a split view): no witness signs two checkpoints that are not one history.

A log is identified by its checkpoints' origin line, and trusted by its key (``TrustedLog``): the
key's name, which each of its signature lines carries (C2SP signed-note), need not be the origin
(sum.golang.org's key signs the origin ``go.sum database tree``); a dantin ledger's is (``dantin init``
names its log key by the origin), so a key alone is trusted for the origin of its name.

The witness keeps its state (the last checkpoint it cosigned, per log origin, and the log key it
pinned on first use) in a small JSON file it owns, replaced atomically under a lock. The
ledger stores cosignatures (``dantin_cosignatures``) after verifying each against the
witness body's current keys; ``witnessed_checkpoint`` finds the newest checkpoint whose
cosignatures satisfy the policy (k of n per group, every group).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple, Protocol, cast

from ledger.application import Ledger, LogUnavailable
from ledger.authority import BodyState
from ledger.catalogue import BODY_KINDS
from ledger.errors import CryptoError
from ledger.merkle import ProofError, verify_consistency
from ledger.note import (
    COSIGNATURE_SIZE,
    Checkpoint,
    CosignatureSigner,
    CosignatureVerifier,
    NoteError,
    NoteVerifier,
    open_checkpoint,
    signature_line,
)
from ledger.sealer import CheckpointRow
from ledger.signing import SigningKey, b64decode_strict

#: Body kinds that may witness unless a ledger's policy says otherwise.
WITNESS_KINDS: tuple[str, ...] = ("commune_front", "inspection")
KIND_NAMES_VI = {"commune_front": "Ban Thường trực UBMTTQ xã", "inspection": "Ủy ban Kiểm tra"}
_SIG_PREFIX = "\u2014 "
_MAX_COSIGNATURES = 99  # signed-note allows 100 signatures; one is the log's
#: How far ahead of this server's clock a cosignature's time may be (as for statements' signed_at).
COSIGNATURE_SKEW_S = 600

WITNESS_ERRORS: dict[str, str] = {
    "bad_checkpoint": "Checkpoint không hợp lệ",
    "witness_inconsistent": "Checkpoint không nhất quán với lịch sử đã ký",
    "witness_rollback": "Nhật ký bị thu nhỏ",
    "unknown_witness": "Không phải nhân chứng",
    "bad_cosignature": "Chữ ký nhân chứng không hợp lệ",
    "witness_state": "Tệp trạng thái nhân chứng không hợp lệ",
    "bad_policy": "Chính sách nhân chứng không hợp lệ",
    "not_witnessed": "Chưa đủ nhân chứng",
    # C2SP tlog-witness over HTTP (ledger.tlog_witness)
    "malformed": "Yêu cầu add-checkpoint sai định dạng",
    "unknown_log": "Nhân chứng không theo dõi nhật ký này",
    "witness_conflict": "Cỡ cũ khác cỡ nhân chứng đã ký",
    "bad_proof": "Bằng chứng nhất quán không đúng",
    "witness_refused": "Nhân chứng từ chối",
    "witness_unreachable": "Không liên lạc được nhân chứng",
}


class WitnessError(CryptoError):
    """A witness refused a checkpoint, or a cosignature or policy is not acceptable."""

    def __init__(self, code: str, message_vi: str, *, detail: str = "") -> None:
        super().__init__(message_vi, detail=detail or code, code=code)
        self.title_vi = WITNESS_ERRORS[code]


# -- the policy ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """``need`` distinct witnesses among bodies of ``kinds`` or the bodies named in ``bodies``."""

    need: int
    kinds: tuple[str, ...] = ()
    bodies: tuple[str, ...] = ()

    def counts(self, witness: str, kind: str | None) -> bool:
        return witness in self.bodies or (kind is not None and kind in self.kinds)

    def describe_vi(self) -> str:
        names = [f"{KIND_NAMES_VI.get(k, k)} ({k})" for k in self.kinds] + [f"'{b}'" for b in self.bodies]
        return f"{self.need} nhân chứng trong: {', '.join(names)}"


@dataclass(frozen=True)
class Policy:
    """Every group must be satisfied by distinct witnesses whose cosignatures verify."""

    groups: tuple[Group, ...]
    witness_kinds: tuple[str, ...] = WITNESS_KINDS

    def may_witness(self, witness: str, kind: str | None) -> bool:
        return (kind is not None and kind in self.witness_kinds) or any(witness in g.bodies for g in self.groups)

    def unmet(self, witnesses: Mapping[str, str | None]) -> list[Group]:
        """The groups ``witnesses`` (body id → kind) do not satisfy; empty when witnessed."""
        return [g for g in self.groups if sum(1 for w, k in witnesses.items() if g.counts(w, k)) < g.need]

    def require(self, witnesses: Mapping[str, str | None]) -> None:
        unmet = self.unmet(witnesses)
        if unmet:
            raise WitnessError("not_witnessed", "Chưa đủ nhân chứng theo chính sách: còn thiếu "
                               + "; ".join(g.describe_vi() for g in unmet) + ".")

    def to_json(self) -> dict[str, Any]:
        groups = []
        for g in self.groups:
            item: dict[str, Any] = {"need": g.need}
            if g.kinds:
                item["kinds"] = list(g.kinds)
            if g.bodies:
                item["bodies"] = list(g.bodies)
            groups.append(item)
        return {"groups": groups, "witness_kinds": list(self.witness_kinds)}

    @classmethod
    def from_json(cls, value: Any, *, exact: bool = False) -> Policy:
        """Parse a policy; ``exact`` also demands the one spelling ``to_json`` writes (for bundles)."""

        def bad(detail: str) -> WitnessError:
            return WitnessError("bad_policy", f"Chính sách nhân chứng không hợp lệ: {detail}.", detail=detail)

        def names(v: Any, where: str, *, kinds: bool) -> tuple[str, ...]:
            if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
                raise bad(f"{where} phải là danh sách chuỗi")
            if kinds and any(x not in BODY_KINDS for x in v):
                raise bad(f"{where} có loại cơ quan không tồn tại")
            if len(set(v)) != len(v) or v != sorted(v):
                raise bad(f"{where} phải sắp xếp và không trùng lặp")
            return tuple(v)

        if not isinstance(value, dict) or set(value) - {"groups", "witness_kinds"} or "groups" not in value:
            raise bad("cần đúng các khóa 'groups' và 'witness_kinds'")
        raw_groups = value["groups"]
        if not isinstance(raw_groups, list) or not raw_groups:
            raise bad("'groups' phải là danh sách không rỗng")
        groups = []
        for i, g in enumerate(raw_groups):
            if not isinstance(g, dict) or set(g) - {"need", "kinds", "bodies"} or "need" not in g:
                raise bad(f"nhóm {i} cần khóa 'need' và 'kinds' hoặc 'bodies'")
            need = g["need"]
            if type(need) is not int or not 1 <= need <= 100:
                raise bad(f"nhóm {i}: 'need' phải là số nguyên từ 1 đến 100")
            kinds = names(g.get("kinds", []), f"nhóm {i}.kinds", kinds=True)
            bodies = names(g.get("bodies", []), f"nhóm {i}.bodies", kinds=False)
            if not kinds and not bodies:
                raise bad(f"nhóm {i} không chỉ định nhân chứng nào")
            groups.append(Group(need, kinds, bodies))
        witness_kinds = names(value.get("witness_kinds", list(WITNESS_KINDS)), "witness_kinds", kinds=True)
        policy = cls(tuple(groups), witness_kinds)
        if exact and policy.to_json() != value:
            raise bad("không ở dạng chuẩn")
        return policy


#: One inspection commission and one commune Front: a split view must fool both the
#: body that audits the party's process and the one that supervises it from outside.
DEFAULT_POLICY = Policy(groups=(Group(1, kinds=("inspection",)), Group(1, kinds=("commune_front",))))


def read_policy(settings_path: Path) -> Policy:
    """The ``witness_policy`` of a ledger's settings file (``DIR/ledger.json``), or the default."""
    try:
        settings = json.loads(settings_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WitnessError("bad_policy", f"Không đọc được tệp cấu hình {settings_path}.", detail=str(exc)) from None
    if not isinstance(settings, dict) or "witness_policy" not in settings:
        return DEFAULT_POLICY
    return Policy.from_json(settings["witness_policy"])


# -- the witness: checking and cosigning a checkpoint -------------------------------------------


@dataclass(frozen=True)
class TrustedLog:
    """A log a witness follows: the origin line of its checkpoints, and the key that signs them (C2SP
    tlog-witness: the witness verifies a checkpoint against the keys it trusts for the checkpoint's origin)."""

    origin: str
    key: NoteVerifier

    @classmethod
    def of(cls, log: NoteVerifier | TrustedLog) -> TrustedLog:
        """``log`` itself, or a key alone: trusted for the origin of its name (a dantin ledger's log key)."""
        return log if isinstance(log, TrustedLog) else cls(log.name, log)

    @classmethod
    def parse(cls, text: str) -> TrustedLog:
        """``VKEY`` (the origin is the key's name), or ``ORIGIN VKEY`` (an origin may hold spaces, a vkey holds
        none): ``dantin witness cosign|serve --log-key``. Raises ``NoteError`` for a vkey that does not read."""
        origin, _, vkey = text.strip().rpartition(" ")
        key = NoteVerifier.from_vkey(vkey)
        origin = origin.strip()
        if "\n" in origin:
            raise NoteError("Dòng nguồn (origin) của nhật ký không được xuống dòng.", detail="origin holds a newline")
        return cls(origin or key.name, key)


@dataclass(frozen=True)
class WitnessState:
    """The last checkpoint a witness cosigned for one log, and the log key it pinned."""

    origin: str
    size: int
    root: bytes
    log_key: str  # the log's C2SP vkey
    #: the time of the newest cosignature given for this log (0: none recorded, an older state file)
    time: int = 0


class Cosigned(NamedTuple):
    line: str  # ``— <name> base64(key ID ‖ timestamp ‖ signature)\n``
    state: WitnessState


class _Timed:
    """A cosigner with a fixed time, in the shape ``note.signature_line`` takes."""

    def __init__(self, signer: CosignatureSigner, now: int) -> None:
        self.name, self.key_id, self._signer, self._now = signer.name, signer.key_id, signer, now

    def sign(self, text: bytes) -> bytes:
        return self._signer.sign(text, timestamp=self._now)


def cosign(
    state: WitnessState | None,
    checkpoint_note: str,
    consistency_proof: Sequence[bytes],
    log: NoteVerifier,
    now: int,
    *,
    signer: CosignatureSigner,
    origin: str | None = None,
) -> Cosigned:
    """Cosign ``checkpoint_note`` if it extends ``state`` (the first checkpoint seen is accepted).

    ``origin``: the log's, which the checkpoint must state (default: ``log``'s key name, as ``TrustedLog.of``).
    Raises ``WitnessError``: ``bad_checkpoint`` (not signed by ``log``, another log),
    ``witness_rollback`` (smaller than the last one cosigned), ``witness_inconsistent``
    (the consistency proof fails, or the same size with another root: a fork).
    """
    origin = log.name if origin is None else origin
    try:
        checkpoint, opened = open_checkpoint(checkpoint_note, log, origin=origin)
    except CryptoError as exc:
        raise WitnessError("bad_checkpoint", f"Checkpoint không có chữ ký hợp lệ của nhật ký '{origin}': "
                           f"{exc.message_vi}", detail=exc.detail) from None
    if state is not None:
        _check_extends(state, checkpoint, consistency_proof, log)
        # A cosignature says "as of this time, this is the largest tree I saw": after a clock stepped
        # back, a larger tree dated before a smaller one would contradict what the witness signed.
        now = max(now, state.time)
    line = signature_line(opened.text, _Timed(signer, now))
    return Cosigned(line, WitnessState(checkpoint.origin, checkpoint.size, checkpoint.root_hash, log.vkey(), now))


def _check_extends(state: WitnessState, cp: Checkpoint, proof: Sequence[bytes], log: NoteVerifier) -> None:
    if state.origin != cp.origin or state.log_key != log.vkey():
        raise WitnessError("bad_checkpoint", f"Nhân chứng đã ghi nhận nhật ký '{state.origin}' với khóa khác; "
                           f"không ký cho '{cp.origin}' bằng khóa này.", detail="origin or log key differs")
    if cp.size < state.size:
        raise WitnessError("witness_rollback", f"Checkpoint cỡ {cp.size} nhỏ hơn checkpoint cỡ {state.size} "
                           "nhân chứng đã ký: nhật ký không được thu nhỏ.", detail=f"{cp.size} < {state.size}")
    inconsistent = WitnessError(
        "witness_inconsistent",
        f"Checkpoint cỡ {cp.size} không nhất quán với checkpoint cỡ {state.size} nhân chứng đã ký: "
        "nhật ký đang cho thấy một lịch sử khác (rẽ nhánh). Nhân chứng từ chối ký.",
        detail=f"no consistency from {state.size} to {cp.size}",
    )
    if cp.size == state.size or state.size == 0:
        if proof or (cp.size == state.size and cp.root_hash != state.root):
            raise inconsistent
        return
    try:
        verify_consistency(state.size, cp.size, proof, state.root, cp.root_hash)
    except ProofError:
        raise inconsistent from None


# -- the witness's own state file ------------------------------------------------------------


@dataclass(frozen=True)
class WitnessFile:
    name: str | None = None
    logs: Mapping[str, WitnessState] = field(default_factory=dict)


def _state_error(path: Path, why_vi: str, detail: str) -> WitnessError:
    return WitnessError("witness_state", f"Tệp trạng thái nhân chứng {path} bị hỏng ({why_vi}); không ký tiếp "
                        "khi chưa biết checkpoint cuối đã ký.", detail=detail)


def read_witness_file(path: Path) -> WitnessFile:
    """The witness's state; an absent file is a witness that has cosigned nothing yet."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return WitnessFile()
    except (OSError, ValueError) as exc:
        why = ("không phải văn bản UTF-8" if isinstance(exc, UnicodeDecodeError) else
               "không phải JSON hợp lệ" if isinstance(exc, ValueError) else "không đọc được tệp")
        raise _state_error(path, why, type(exc).__name__) from None
    try:
        if data["witness_state"] != 1:
            raise _state_error(path, "phiên bản không rõ", "unknown version")
        logs = {origin: WitnessState(origin, int(v["size"]), b64decode_strict(v["root"]), str(v["log_key"]),
                                     int(v.get("time", 0)))
                for origin, v in data["logs"].items()}
        name = data["name"]
    except (KeyError, TypeError, AttributeError, ValueError, CryptoError):
        raise _state_error(path, "thiếu hoặc sai trường", "unreadable fields") from None
    return WitnessFile(name if isinstance(name, str) else None, logs)


def write_witness_file(path: Path, state: WitnessFile) -> None:
    """Replace the file atomically: a crash leaves the old state or the new, never half of one."""
    data = {
        "witness_state": 1,
        "name": state.name,
        "logs": {o: {"size": s.size, "root": base64.b64encode(s.root).decode(), "log_key": s.log_key,
                     "time": s.time} for o, s in sorted(state.logs.items())},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """One cosigning at a time per state file: two interleaved runs could sign a fork each."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_name(path.name + ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# -- cosignatures: parsing and checking one line ------------------------------------------------


class CosignatureRow(NamedTuple):
    size: int
    witness: str
    key_id: int
    timestamp: int
    line: str


@dataclass(frozen=True)
class ParsedCosignature:
    witness: str
    key_id: int
    timestamp: int
    signature: bytes  # timestamp ‖ Ed25519 signature, as CosignatureVerifier takes it
    line: str


def _bad(message_vi: str, detail: str) -> WitnessError:
    return WitnessError("bad_cosignature", message_vi, detail=detail)


def parse_cosignature(line: str) -> ParsedCosignature:
    """``— <name> base64(key ID(4) ‖ timestamp(8) ‖ signature(64))``, with or without its newline."""
    text = line.removesuffix("\n")
    if "\n" in text or not text.startswith(_SIG_PREFIX):
        raise _bad("Dòng chữ ký nhân chứng sai định dạng.", "not one signature line")
    name, _, sig64 = text.removeprefix(_SIG_PREFIX).partition(" ")
    try:
        raw = b64decode_strict(sig64)
    except CryptoError:
        raise _bad("Chữ ký nhân chứng không phải base64 chuẩn.", "bad base64") from None
    if len(raw) != 4 + COSIGNATURE_SIZE:
        raise _bad("Chữ ký nhân chứng không đúng độ dài của cosignature/v1.", f"{len(raw)} bytes")
    timestamp = int.from_bytes(raw[4:12], "big")
    if timestamp >= 2**63:
        raise _bad("Thời điểm ký của nhân chứng nằm ngoài phạm vi.", "timestamp out of range")
    return ParsedCosignature(name, int.from_bytes(raw[:4], "big"), timestamp, raw[4:], text + "\n")


def cosignatures_in(note: str, log_name: str) -> list[ParsedCosignature]:
    """The cosignature lines of a checkpoint note (every signature line not by the log ``log_name``)."""
    lines = _split_note(note)[1]
    return [parse_cosignature(x) for x in lines if not x.startswith(f"{_SIG_PREFIX}{log_name} ")]


def verifiers_of(body: BodyState) -> list[tuple[CosignatureVerifier, float | None]]:
    """The body's unrevoked keys as cosignature verifiers, each with its valid-from time."""
    out = []
    for key in body.keys.values():
        if not key.revoked:
            out.append((CosignatureVerifier(body.id, key.public.raw),
                        key.valid_from.timestamp() if key.valid_from is not None else None))
    return out


def check_cosignature(checkpoint_text: str, cosig: ParsedCosignature, body: BodyState | None, policy: Policy) -> None:
    """Raise unless ``cosig`` is a valid cosignature of ``checkpoint_text`` by witness ``body``'s current key."""
    if body is None or body.id != cosig.witness:
        raise WitnessError("unknown_witness", f"'{cosig.witness}' không phải cơ quan đã kết nạp vào sổ cái.",
                           detail="witness body unknown")
    if not policy.may_witness(body.id, body.kind):
        raise WitnessError("unknown_witness", f"Cơ quan '{body.id}' (loại {body.kind}) không được làm nhân chứng "
                           "theo chính sách.", detail=f"kind {body.kind} may not witness")
    for verifier, valid_from in verifiers_of(body):
        if verifier.key_id != cosig.key_id:
            continue
        if valid_from is not None and cosig.timestamp < valid_from:
            raise _bad(f"Nhân chứng '{body.id}' ký trước khi khóa có hiệu lực.", "before key valid_from")
        if not verifier.verify(checkpoint_text.encode(), cosig.signature):
            raise _bad(f"Chữ ký của nhân chứng '{body.id}' không khớp với checkpoint.", "signature fails")
        return
    raise _bad(f"Khóa ký không phải khóa hiện hành (chưa thu hồi) của nhân chứng '{body.id}'.", "key not current")


# -- the ledger's side: storing cosignatures, finding a witnessed checkpoint -----------------------


class CosignatureStore(Protocol):
    def insert_cosignature(self, row: CosignatureRow) -> None: ...
    def select_cosignatures(self, size: int | None = None) -> list[CosignatureRow]: ...


def _store(ledger: Ledger) -> CosignatureStore:
    recorder = ledger.recorder
    if not hasattr(recorder, "insert_cosignature"):
        raise LogUnavailable("Kho dữ liệu này không lưu chữ ký nhân chứng.", detail="no cosignature table")
    return cast(CosignatureStore, recorder)


def _body(ledger: Ledger, body_id: str) -> BodyState | None:
    stream = ledger.get_stream(body_id)
    return stream.state.body if stream is not None else None


def _split_note(note: str) -> tuple[str, list[str]]:
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise WitnessError("bad_checkpoint", "Ghi chú checkpoint thiếu phần chữ ký.", detail="no signature block")
    return note[: split + 1], note[split + 2 : -1].split("\n")


def _text_of(row: CheckpointRow) -> str:
    return _split_note(row.note)[0]


def add_cosignature(
    ledger: Ledger, line_or_note: str, *, size: int | None = None, policy: Policy = DEFAULT_POLICY
) -> list[CosignatureRow]:
    """Verify and store cosignatures: one line (of the checkpoint of ``size``, or of whichever
    published checkpoint it verifies against, newest first) or a checkpoint note carrying them."""
    ledger.ensure_writable()
    store = _store(ledger)
    if "\n\n" in line_or_note:
        text, lines = _split_note(line_or_note)
        size = Checkpoint.parse(text).size
        rows = [r for r in ledger.checkpoints() if r.size == size and _text_of(r) == text]
        if not rows:
            raise WitnessError("bad_checkpoint", f"Sổ cái chưa công bố checkpoint này (cỡ {size}).",
                               detail="checkpoint not published here")
        cosigs = [parse_cosignature(x) for x in lines if not _is_log_line(x, rows[0])]
    else:
        cosigs = [parse_cosignature(line_or_note)]
        rows = [r for r in reversed(ledger.checkpoints()) if size is None or r.size == size]
        if not rows:
            raise WitnessError("bad_checkpoint", "Không có checkpoint đã công bố nào để đối chiếu chữ ký.",
                               detail=f"no published checkpoint of size {size}")
    # Every line judged before any is stored: a note refused for one line stores none of them.
    stored = []
    ahead = int(time.time()) + COSIGNATURE_SKEW_S
    for cosig in cosigs:
        if cosig.timestamp > ahead:  # it would date every bundle of the checkpoint ahead (bundle.witnessed_on)
            raise WitnessError("bad_cosignature", f"Nhân chứng '{cosig.witness}' ghi thời điểm ký "
                               f"{cosig.timestamp}, đi trước đồng hồ máy chủ hơn {COSIGNATURE_SKEW_S // 60} phút.",
                               detail="cosignature time ahead of the server's clock")
        row = _matching(rows, cosig, _body(ledger, cosig.witness), policy)
        stored.append(CosignatureRow(row.size, cosig.witness, cosig.key_id, cosig.timestamp, cosig.line))
    for record in stored:
        store.insert_cosignature(record)
    return stored


def _is_log_line(line: str, row: CheckpointRow) -> bool:
    return line in _split_note(row.note)[1]


def _matching(rows: Sequence[CheckpointRow], cosig: ParsedCosignature, body: BodyState | None,
              policy: Policy) -> CheckpointRow:
    error: WitnessError | None = None
    for row in rows:
        try:
            check_cosignature(_text_of(row), cosig, body, policy)
        except WitnessError as exc:
            if exc.code != "bad_cosignature" or len(rows) == 1:
                raise
            error = exc
            continue
        return row
    raise error or _bad("Chữ ký nhân chứng không khớp checkpoint nào.", "no checkpoint")


@dataclass(frozen=True)
class Witnessed:
    """A checkpoint with its valid stored cosignatures appended to the note."""

    size: int
    root: bytes
    note: str
    witnesses: Mapping[str, str | None]  # body id → kind


def cosigned(ledger: Ledger, row: CheckpointRow, policy: Policy = DEFAULT_POLICY,
             cosignatures: Iterable[CosignatureRow] | None = None) -> Witnessed:
    """``row``'s note with every stored cosignature that still verifies (current keys) appended."""
    text = _text_of(row)
    lines: list[str] = []
    witnesses: dict[str, str | None] = {}
    rows = _store(ledger).select_cosignatures(row.size) if cosignatures is None else cosignatures
    bodies: dict[str, BodyState | None] = {}
    for c in rows:
        if c.size != row.size or len(lines) >= _MAX_COSIGNATURES:
            continue
        body = bodies[c.witness] if c.witness in bodies else bodies.setdefault(c.witness, _body(ledger, c.witness))
        try:
            check_cosignature(text, parse_cosignature(c.line), body, policy)
        except (WitnessError, NoteError):
            continue  # e.g. a key revoked since: the cosignature no longer counts
        assert body is not None
        lines.append(c.line)
        witnesses[c.witness] = body.kind
    return Witnessed(row.size, row.root, row.note + "".join(lines), witnesses)


def witnessed_checkpoint(ledger: Ledger, policy: Policy = DEFAULT_POLICY) -> Witnessed | None:
    """The newest published checkpoint whose valid cosignatures satisfy ``policy``."""
    by_size: dict[int, list[CosignatureRow]] = {}
    for c in _store(ledger).select_cosignatures():
        by_size.setdefault(c.size, []).append(c)
    for row in reversed(ledger.checkpoints()):
        if row.size in by_size:
            found = cosigned(ledger, row, policy, by_size[row.size])
            if not policy.unmet(found.witnesses):
                return found
    return None


# -- one witness run against a ledger: what ``dantin witness cosign`` and the demo do ----------------


def witness_ledger(
    ledger: Ledger,
    key: SigningKey,
    body_id: str,
    state_path: Path,
    log: NoteVerifier | TrustedLog,
    *,
    policy: Policy = DEFAULT_POLICY,
    now: int | None = None,
) -> CosignatureRow:
    """Cosign the ledger's newest published checkpoint as witness ``body_id`` and store the cosignature.

    The witness checks it may witness before signing anything, records its new state before
    the cosignature leaves it, and verifies the log's signature against the key it pinned
    when it first cosigned this log, by its origin (``log``'s key is used only the first time).
    """
    trusted = TrustedLog.of(log)
    origin, log_key = trusted.origin, trusted.key
    signer = CosignatureSigner.from_private_bytes(body_id, key.seed())
    body = _body(ledger, body_id)
    if body is None or not policy.may_witness(body_id, body.kind):
        raise WitnessError("unknown_witness", f"'{body_id}' không phải nhân chứng đã kết nạp (cần loại "
                           f"{', '.join(policy.witness_kinds)}).", detail="not a witness body")
    if not any(v.public_key == signer.public_key for v, _ in verifiers_of(body)):
        raise WitnessError("unknown_witness", f"Khóa này không phải khóa hiện hành của '{body_id}'.",
                           detail="key not enrolled for the body")
    with locked(state_path):
        state_file = read_witness_file(state_path)
        if state_file.name not in (None, body_id):
            raise WitnessError("witness_state", f"Tệp trạng thái {state_path} là của nhân chứng "
                               f"'{state_file.name}', không phải '{body_id}'.", detail="state of another witness")
        state = state_file.logs.get(origin)
        if state is not None:
            log_key = NoteVerifier.from_vkey(state.log_key)  # pinned at first use
        row = ledger.checkpoint()
        if row is None:
            raise WitnessError("bad_checkpoint", "Sổ cái chưa công bố checkpoint nào.", detail="no checkpoint")
        proof = ledger.consistency_proof(state.size, row.size) if state and 0 < state.size < row.size else []
        result = cosign(state, row.note, proof, log_key, int(time.time()) if now is None else now, signer=signer,
                        origin=origin)
        logs = dict(state_file.logs) | {result.state.origin: result.state}
        write_witness_file(state_path, replace(state_file, name=body_id, logs=logs))
    return add_cosignature(ledger, result.line, size=row.size, policy=policy)[0]


__all__ = [
    "DEFAULT_POLICY",
    "WITNESS_KINDS",
    "CosignatureRow",
    "Policy",
    "TrustedLog",
    "WitnessError",
    "WitnessState",
    "Witnessed",
    "add_cosignature",
    "cosign",
    "witness_ledger",
    "witnessed_checkpoint",
]
