"""The C2SP tlog-witness protocol (https://c2sp.org/tlog-witness): a witness's ``add-checkpoint``,
and a log asking a witness to cosign its newest checkpoint.

The witness side (``HttpWitness.add_checkpoint``) is what ``dantin witness serve`` answers
over HTTP: the request body is ``old <size>``, up to 63 consistency-proof lines, an empty
line and a signed checkpoint; the answer is one cosignature line, or a status the
specification names:

- 404: a checkpoint of an origin (log) the witness was not told to trust;
- 403: no signature on it verifies under that log's key;
- 400: a body not in the protocol's form, or an old size above the checkpoint's;
- 409: the old size is not the size the witness last cosigned for that log (the body is that
  size, ``text/x.tlog.size``), or the same size with another root (a fork);
- 422: the consistency proof does not verify.

The check of the old size and the recording of the new checkpoint are one step under the
state file's lock (``ledger.witness.locked``), and the state is on disk before the answer:
two requests racing cannot both be cosigned from one state (the specification's rollback
race). The state file is the one ``dantin witness cosign`` keeps, so a witness may use
either way. The log side (``push_checkpoint``, ``dantin witness push``) sends ``old 0``
first, as the specification allows, and on 409 sends the consistency proof from the size the
witness names; the cosignature is stored after ``ledger.witness.add_cosignature`` has
verified it against the witness body's enrolled key.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from ledger.application import Ledger
from ledger.errors import CryptoError, DantinError
from ledger.merkle import ProofError, verify_consistency
from ledger.note import Checkpoint, CosignatureSigner, NoteError, NoteVerifier, open_checkpoint
from ledger.signing import b64decode_strict, b64encode
from ledger.witness import (
    DEFAULT_POLICY,
    CosignatureRow,
    Policy,
    TrustedLog,
    WitnessError,
    add_cosignature,
    cosign,
    locked,
    read_witness_file,
    write_witness_file,
)

#: The specification's bound on consistency-proof lines.
MAX_PROOF_LINES = 63
_SIG_PREFIX = "\u2014 "
#: The media type of a 409's body: the size the witness last cosigned, in decimal, and a newline.
TLOG_SIZE = "text/x.tlog.size"
_OLD = re.compile(r"old (0|[1-9][0-9]{0,18})")
_SIZE_BODY = re.compile(r"(0|[1-9][0-9]{0,18})\n")


class AddCheckpointError(WitnessError):
    """A refusal of ``add-checkpoint``, with the HTTP status the specification gives it (and, for
    a 409 on the old size, the size the witness last cosigned)."""

    def __init__(self, status: int, code: str, message_vi: str, *, detail: str = "", size: int | None = None) -> None:
        super().__init__(code, message_vi, detail=detail or code)
        self.status = status
        self.size = size


def _refused(status: int, code: str, message_vi: str, detail: str = "", size: int | None = None) -> AddCheckpointError:
    return AddCheckpointError(status, code, message_vi, detail=detail, size=size)


def parse_request(body: bytes) -> tuple[int, list[bytes], str]:
    """(old size, consistency proof, checkpoint note) of an ``add-checkpoint`` body; 400 otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _refused(400, "malformed", "Nội dung yêu cầu không phải UTF-8.", "body is not UTF-8") from None
    head, blank, note = text.partition("\n\n")
    lines = head.split("\n")
    old = _OLD.fullmatch(lines[0])
    if not blank or old is None or "\n\n" not in note:
        raise _refused(400, "malformed", "Yêu cầu add-checkpoint phải mở đầu bằng dòng 'old <cỡ>', rồi các dòng bằng "
                       "chứng nhất quán, một dòng trống và checkpoint (C2SP tlog-witness).", "no old size line")
    if note.startswith("\n") or not note.endswith("\n"):  # (an origin line that is empty: no log's, no 404)
        raise _refused(400, "malformed", "Checkpoint phải theo ngay sau một dòng trống, và kết thúc bằng một dòng chữ "
                       "ký có ký tự xuống dòng (C2SP signed-note).", "blank line before the note, or no final newline")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise _refused(400, "malformed", f"Bằng chứng nhất quán có quá {MAX_PROOF_LINES} dòng.", "proof too long")
    proof: list[bytes] = []
    for line in lines[1:]:
        try:
            node = b64decode_strict(line)
        except CryptoError:
            node = b""
        if len(node) != 32:
            raise _refused(400, "malformed", f"Dòng bằng chứng '{line[:60]}' không phải một mã băm base64 32 byte.",
                           "bad proof line")
        proof.append(node)
    return int(old[1]), proof, note


def _lines_of_the_log(note: str, log: NoteVerifier) -> str:
    """The note with only the signature lines under the log's key name. The others are of keys the
    witness does not know (another witness's cosignature, a key of a rotation), which it must ignore
    (C2SP tlog-witness, signed-note) however they are written: a line Go's ``note.Open`` reads (its
    base64 decoder takes nonzero padding bits) is no reason to refuse the log's checkpoint."""
    split = note.rfind("\n\n")
    if split < 0:
        return note
    *lines, tail = note[split + 2 :].split("\n")
    ours = f"{_SIG_PREFIX}{log.name} "
    return note[: split + 2] + "".join(line + "\n" for line in lines if line.startswith(ours)) + tail


@dataclass(frozen=True)
class HttpWitness:
    """A witness as its HTTP service holds it: its cosigner (named by its body id), its state file,
    and the key it trusts for each log, by origin (the checkpoint's first line; the key's name, which its
    signature lines carry, may differ: ``ledger.witness.TrustedLog``)."""

    signer: CosignatureSigner
    state_path: Path
    logs: Mapping[str, NoteVerifier]

    @classmethod
    def open(cls, signer: CosignatureSigner, state_path: Path,
             log_keys: Sequence[NoteVerifier | TrustedLog]) -> HttpWitness:
        """Trust ``log_keys`` (a key alone: for the origin of its name) and the logs the state file already
        pinned; refuse a state file of another witness, or a key other than the one pinned for its log."""
        state = read_witness_file(state_path)
        if state.name not in (None, signer.name):
            raise WitnessError("witness_state", f"Tệp trạng thái {state_path} là của nhân chứng '{state.name}', "
                               f"không phải '{signer.name}'.", detail="state of another witness")
        logs = {origin: NoteVerifier.from_vkey(s.log_key) for origin, s in state.logs.items()}
        for trusted in map(TrustedLog.of, log_keys):
            origin, log = trusted.origin, trusted.key
            pinned = logs.get(origin)
            if pinned is not None and pinned.vkey() != log.vkey():
                raise WitnessError("witness_state", f"Nhân chứng đã ghi nhận nhật ký '{origin}' với khóa "
                                   f"{pinned.vkey()}; không nhận khóa khác ({log.vkey()}) cho nó.",
                                   detail="log key differs from the pinned one")
            logs[origin] = log
        if not logs:
            raise WitnessError("witness_state", "Nhân chứng chưa tin nhật ký nào: hãy cho khóa nhật ký (--log-key).",
                               detail="no log")
        return cls(signer, state_path, logs)

    def add_checkpoint(self, body: bytes, now: int | None = None) -> str:
        """Cosign the checkpoint of an ``add-checkpoint`` body; return the cosignature line, or raise
        ``AddCheckpointError`` with the specification's status."""
        old, proof, note = parse_request(body)
        origin = note.split("\n", 1)[0]
        log = self.logs.get(origin)
        if log is None:
            raise _refused(404, "unknown_log", f"Nhân chứng không theo dõi nhật ký '{origin[:100]}'.", "unknown origin")
        try:
            Checkpoint.parse(note[: note.rfind("\n\n") + 1] if "\n\n" in note else note)
        except NoteError as exc:
            raise _refused(400, "malformed", f"Checkpoint sai định dạng: {exc.message_vi}", exc.detail) from None
        note = _lines_of_the_log(note, log)
        try:
            checkpoint, _ = open_checkpoint(note, log, origin=origin)
        except NoteError as exc:
            raise _refused(403, "bad_checkpoint", f"Checkpoint không có chữ ký hợp lệ của nhật ký '{origin}': "
                           f"{exc.message_vi}", exc.detail) from None
        if old > checkpoint.size:
            raise _refused(400, "malformed", f"Cỡ cũ {old} lớn hơn cỡ {checkpoint.size} của checkpoint.",
                           "old size above the checkpoint's")
        try:
            return self._record(old, proof, note, origin, log, checkpoint, now)
        except AddCheckpointError:
            raise
        except WitnessError as exc:  # its own state: unreadable (500), or pinning another key for the log
            raise _refused(500 if exc.code == "witness_state" else 403, exc.code, exc.message_vi,
                           exc.detail) from None

    def _record(self, old: int, proof: list[bytes], note: str, origin: str, log: NoteVerifier,
                checkpoint: Checkpoint, now: int | None) -> str:
        with locked(self.state_path):  # the old size checked and the new state recorded as one step
            state_file = read_witness_file(self.state_path)
            state = state_file.logs.get(origin)
            if state is not None and state.log_key != log.vkey():
                raise _refused(403, "bad_checkpoint", f"Tệp trạng thái của nhân chứng ghi nhận nhật ký '{origin}' với "
                               "khóa khác khóa đã kiểm chữ ký này.", "state pins another log key")
            last = state.size if state is not None else 0
            if old != last:
                raise _refused(409, "witness_conflict", f"Nhân chứng đã ký checkpoint cỡ {last} của nhật ký này, không "
                               f"phải cỡ {old}: hãy gửi bằng chứng nhất quán từ cỡ {last}.", f"last cosigned {last}",
                               size=last)
            if old == 0 and proof:
                raise _refused(422, "bad_proof", "Từ cỡ 0 không có bằng chứng nhất quán nào (phải để trống).",
                               "proof from size 0")
            if state is not None and old == checkpoint.size and checkpoint.root_hash != state.root:
                raise _refused(409, "witness_inconsistent", f"Checkpoint cỡ {old} có gốc khác checkpoint cùng cỡ "
                               "nhân chứng đã ký: nhật ký đang cho thấy một lịch sử khác (rẽ nhánh).", "fork")
            if state is not None and 0 < old < checkpoint.size:
                try:
                    verify_consistency(old, checkpoint.size, proof, state.root, checkpoint.root_hash)
                except ProofError:
                    raise _refused(422, "bad_proof", f"Bằng chứng nhất quán từ cỡ {old} tới cỡ {checkpoint.size} "
                                   "không đúng: nhân chứng không ký.", "consistency proof fails") from None
            elif proof:
                raise _refused(422, "bad_proof", "Giữa hai checkpoint cùng cỡ không có bằng chứng nhất quán nào "
                               "(phải để trống).", "proof for equal sizes")
            result = cosign(state, note, proof, log, int(time.time()) if now is None else now, signer=self.signer,
                            origin=origin)
            logs = dict(state_file.logs) | {origin: result.state}
            write_witness_file(self.state_path, replace(state_file, name=self.signer.name, logs=logs))
        return result.line


# -- the log's side: asking a witness to cosign ------------------------------------------------------


def request_body(old: int, proof: Sequence[bytes], note: str) -> bytes:
    """An ``add-checkpoint`` body."""
    return (f"old {old}\n" + "".join(b64encode(p) + "\n" for p in proof) + "\n" + note).encode()


def _said(response: Any) -> str:
    """What a witness said with its refusal: a problem's code and detail, or the start of its text."""
    try:
        found = response.json()
        if isinstance(found, dict) and isinstance(found.get("detail"), str):
            code = f"{found['code']}: " if isinstance(found.get("code"), str) else ""
            return (code + str(found["detail"]))[:300]
    except (ValueError, RecursionError):  # whatever a witness sends: not a problem document
        pass
    return " ".join(str(response.text).split())[:300]


def push_checkpoint(ledger: Ledger, url: str, client: Any, *, policy: Policy = DEFAULT_POLICY) -> list[CosignatureRow]:
    """Ask the witness at ``url`` (its submission prefix) to cosign the ledger's newest published
    checkpoint; store and return its verified cosignatures. ``client`` is an ``httpx.Client``."""
    row = ledger.checkpoint()
    if row is None:
        raise WitnessError("bad_checkpoint", "Sổ cái chưa công bố checkpoint nào.", detail="no checkpoint")
    endpoint = url.rstrip("/") + "/add-checkpoint"
    old, proof = 0, list[bytes]()
    for _ in range(3):  # old 0; then from the size the witness names (it may move once meanwhile)
        response = client.post(endpoint, content=request_body(old, proof, row.note),
                               headers={"content-type": "text/plain; charset=utf-8"})
        if response.status_code == 200:
            return _store(ledger, url, response.text, row.size, policy)
        found = _SIZE_BODY.fullmatch(response.text) if response.status_code == 409 and \
            response.headers.get("content-type", "").split(";")[0].strip().lower() == TLOG_SIZE else None
        if found is None:
            raise WitnessError("witness_refused", f"Nhân chứng {url} từ chối (HTTP {response.status_code}): "
                               f"{_said(response)}", detail=f"HTTP {response.status_code}")
        size = int(found[1])
        if row.size < size <= ledger.log_size():
            # The witness cosigned a newer checkpoint of this log (another push got there first, or a
            # receipt's, signed but not yet published, that someone relayed): send the whole log's.
            row = ledger.publish_checkpoint() or row
        if size > row.size:
            raise WitnessError("witness_rollback", f"Nhân chứng {url} đã ký checkpoint cỡ {size}, lớn hơn checkpoint "
                               f"mới nhất của sổ cái này (cỡ {row.size}): nó đã thấy một lịch sử dài hơn.",
                               detail=f"witness at {size} > {row.size}")
        old, proof = size, (ledger.consistency_proof(size, row.size) if 0 < size < row.size else [])
    raise WitnessError("witness_refused", f"Nhân chứng {url} liên tục báo cỡ khác; thử lại sau.", detail="409 loop")


def push_to(ledger: Ledger, url: str, client: httpx.Client, *, policy: Policy = DEFAULT_POLICY) -> dict[str, Any]:
    """``push_checkpoint``'s outcome, for ``dantin witness push`` and ``dantin serve --witness``:
    ``{"url", "ok": True, "size", "witnesses"}``, or ``{"url", "ok": False, "code", "message"}`` (in
    Vietnamese) for a witness that refused, answered nothing this ledger can store, or is out of reach."""
    try:
        rows = push_checkpoint(ledger, url, client, policy=policy)
    except DantinError as exc:
        return {"url": url, "ok": False, "code": exc.code, "message": exc.message_vi}
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        why = ("quá thời gian chờ" if isinstance(exc, httpx.TimeoutException) else
               "không kết nối được" if isinstance(exc, httpx.ConnectError) else
               "địa chỉ không hợp lệ" if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol)) else
               "lỗi mạng")
        return {"url": url, "ok": False, "code": "witness_unreachable",
                "message": f"Không liên lạc được nhân chứng {url}: {why}."}
    return {"url": url, "ok": True, "size": rows[0].size, "witnesses": sorted({r.witness for r in rows})}


def _store(ledger: Ledger, url: str, answer: str, size: int, policy: Policy) -> list[CosignatureRow]:
    """The cosignatures of a 200 that verify under a witness key this ledger knows (an enrolled body of
    a witness kind, its current key), stored; the others ignored, as the specification says."""
    stored: list[CosignatureRow] = []
    ignored: list[str] = []
    for line in answer.split("\n")[:100]:
        if not line:
            continue
        try:
            stored += add_cosignature(ledger, line + "\n", size=size, policy=policy)
        except WitnessError as exc:
            ignored.append(exc.message_vi)
    if not stored:
        raise WitnessError("bad_cosignature", f"Nhân chứng {url} không trả lời chữ ký nào của một khóa sổ cái này "
                           "biết" + (f": {ignored[0]}" if ignored else "."), detail="no usable cosignature")
    return stored


__all__ = ["MAX_PROOF_LINES", "TLOG_SIZE", "AddCheckpointError", "HttpWitness", "parse_request", "push_checkpoint",
           "push_to", "request_body"]
