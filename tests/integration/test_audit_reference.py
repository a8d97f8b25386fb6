"""``dantin verify`` split across processes finds exactly what it found in one.

The reference below is ``ledger/audit.py`` as it was before its per-row checks moved to
worker processes (``ledger.audit_rows``), kept verbatim but for its name. For an
untouched ledger and for every damage the tamper tests make (a flipped byte in any column
of any row, deleted and swapped rows, a replaced signature), today's audit must give the
very report the reference gives, finding for finding and word for word: in one process
(``workers=1``, what the tamper tests run) and with worker processes, pages and chunks of
signatures made small so that a small ledger goes through every path (chunks checked by
the workers, and chunks taken back).
"""

# ruff: noqa
# mypy: ignore-errors

from __future__ import annotations

import base64
import random
from typing import Any

import pytest
from conftest import Backend, World
from test_tamper import Rows, _flip, _grow

import ledger.audit as audit_module
from ledger import home
from ledger.signing import SigningKey

# -- the reference: ledger/audit.py at commit ab1e088 ------------------------------------

import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import orjson
from eventsourcing.persistence import ApplicationRecorder, Notification

from ledger.authority import GENESIS, StreamState, admit, evolve, open_state
from ledger.catalogue import stream_of
from ledger.correction import Earlier
from ledger.entry import entry_bytes, entry_hash
from ledger.envelope import Envelope, parse_payload
from ledger.errors import CryptoError, Refused
from ledger.merkle import CompactRange
from ledger.note import NoteVerifier, open_checkpoint
from ledger.sealer import SealStore, iter_leaves, state_leaf_hash
from ledger.signing import BadSignature, PublicKey, b64decode_strict
from ledger.workers import pool as worker_pool
from schemas.facts import BodyEnrolled


OPENED = "dantin:Stream.Opened"
APPENDED = "dantin:Stream.Appended"

#: Audit finding codes beyond the refusal codes, with Vietnamese titles.
FINDINGS: dict[str, str] = {
    "undecodable": "Bản ghi hỏng, không đọc được",
    "stream_gap": "Chuỗi sự kiện bị thiếu hoặc sai thứ tự phiên bản",
    "broken_link": "Liên kết băm với sự kiện trước bị đứt",
    "wrong_stream": "Sự kiện nằm sai chuỗi",
    "bad_signature": "Chữ ký không hợp lệ",
    "missing_row": "Sự kiện đã niêm phong bị xóa khỏi kho",
    "leaf_mismatch": "Sự kiện khác với bản đã niêm phong",
    "unsealed_row": "Sự kiện bị chèn thêm ngoài cây Merkle",
    "log_damaged": "Bảng lá Merkle bị hỏng",
    "bad_checkpoint": "Checkpoint không có chữ ký hợp lệ",
    "checkpoint_mismatch": "Gốc Merkle không khớp checkpoint đã ký",
}

ProgressFn = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class Finding:
    position: int
    notification_id: int
    stream: str
    version: int
    code: str
    message_vi: str
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "notification_id": self.notification_id,
            "stream": self.stream,
            "version": self.version,
            "code": self.code,
            "message": self.message_vi,
            "detail": self.detail,
        }


@dataclass(slots=True)
class AuditReport:
    entries: int = 0
    streams: int = 0
    signatures_checked: int = 0
    sealed: int = 0
    unsealed: int = 0
    checkpoints: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        findings = sorted(self.findings, key=lambda f: f.position)
        return {
            "intact": self.intact,
            "entries": self.entries,
            "streams": self.streams,
            "signatures_checked": self.signatures_checked,
            "sealed": self.sealed,
            "unsealed": self.unsealed,
            "checkpoints": self.checkpoints,
            "first_finding": findings[0].to_dict() if findings else None,
            "findings": [f.to_dict() for f in findings[:1000]],
            "findings_total": len(findings),
        }


class _FoldView:
    def __init__(self, streams: dict[str, StreamState]) -> None:
        self._streams = streams
        #: Every row folded so far, by its entry hash, as a correction of it is judged.
        self.events: dict[str, Earlier] = {}

    def stream(self, stream_id: str) -> StreamState | None:
        return self._streams.get(stream_id)

    def earlier(self, entry_hash: str, near: str) -> Earlier | None:
        return self.events.get(entry_hash)


SigJob = tuple[int, bytes, bytes, bytes]  # position, public key, pre-image, signature


def _verify_jobs(jobs: list[SigJob]) -> list[int]:
    """Positions whose signature fails (runs in worker processes)."""
    keys: dict[bytes, PublicKey] = {}
    failed = []
    for position, public, preimage, sig in jobs:
        key = keys.get(public)
        if key is None:
            key = keys[public] = PublicKey.from_raw(public)
        try:
            key.verify(sig, preimage)
        except BadSignature:
            failed.append(position)
    return failed


def iter_notifications(recorder: ApplicationRecorder, page: int = 2000) -> Iterator[Notification]:
    start = 1
    while True:
        rows = recorder.select_notifications(start=start, limit=page)
        if not rows:
            return
        yield from rows
        start = rows[-1].id + 1


def _guarded(rows: Iterator[Notification], report: AuditReport) -> Iterator[Notification]:
    """Stop at a row the database driver itself cannot read, and say so, never crash."""
    try:
        yield from rows
    except Exception as exc:  # noqa: BLE001 - driver errors vary by backend; each is a finding
        report.findings.append(Finding(
            report.entries, 0, "?", 0, "undecodable",
            f"Kho dữ liệu không đọc được sau vị trí {report.entries}: bản ghi hỏng ở mức cơ sở dữ liệu.",
            f"{type(exc).__name__}: {exc}"[:200],
        ))


def reference_audit(
    recorder: ApplicationRecorder,
    *,
    seal: SealStore | None = None,
    log: NoteVerifier | None = None,
    workers: int | None = None,
    progress: ProgressFn | None = None,
    chunk: int = 2048,
) -> AuditReport:
    workers = workers if workers is not None else (os.cpu_count() or 1)
    report = AuditReport()
    streams: dict[str, StreamState] = {}
    versions: dict[str, int] = {}
    where: dict[int, Notification] = {}
    view = _FoldView(streams)
    jobs: list[SigJob] = []
    futures: list[tuple[Future[list[int]], int]] = []
    pool = (
        worker_pool(workers, "fork")
        if workers > 1
        else None
    )

    def flush() -> None:
        if not jobs:
            return
        batch = list(jobs)
        jobs.clear()
        if pool is None:
            _record_sig_failures(report, where, _verify_jobs(batch))
        else:
            futures.append((pool.submit(_verify_jobs, batch), len(batch)))
        report.signatures_checked += len(batch)

    def finding(n: Notification, position: int, code: str, message: str, detail: str = "") -> None:
        report.findings.append(
            Finding(position, n.id, n.originator_id.__str__(), n.originator_version, code, message, detail)
        )

    rows: dict[int, tuple[str, int, bytes]] = {}
    try:
        for position, n in enumerate(_guarded(iter_notifications(recorder), report)):
            report.entries += 1
            job, leaf = _check_row(n, position, streams, versions, view, finding)
            if seal is not None:
                # The leaf hash of a readable row was computed by the check; hash the raw row otherwise.
                rows[n.id] = (str(n.originator_id), n.originator_version, leaf or state_leaf_hash(n.state))
            if job is not None:
                where[position] = n
                jobs.append(job)
                if len(jobs) >= chunk:
                    flush()
            if progress is not None and position % 500 == 0:
                progress(position)
        flush()
        for fut, _count in futures:
            _record_sig_failures(report, where, fut.result())
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    if progress is not None:
        progress(report.entries)
    report.streams = len(streams)
    if seal is not None:
        _check_log(report, rows, seal, log)
    report.findings.sort(key=lambda f: (f.position, f.notification_id))
    return report


def _check_log(
    report: AuditReport, rows: dict[int, tuple[str, int, bytes]], seal: SealStore, log: NoteVerifier | None
) -> None:
    """Every sealed leaf has its row, unchanged; no row hides between leaves; every
    checkpoint is signed by the log key and its root is recomputed from the leaves."""
    leaves = iter_leaves(seal)
    report.sealed = len(leaves)
    index_of = {leaf.notification_id: leaf.index for leaf in leaves}
    # Name fold findings by log index (a deleted row would shift row counting).
    report.findings = [replace(f, position=index_of.get(f.notification_id, f.position))
                       for f in report.findings]
    last_sealed = leaves[-1].notification_id if leaves else 0

    def add(position: int, nid: int, stream: str, version: int, code: str, message: str) -> None:
        report.findings.append(Finding(position, nid, stream, version, code, message))

    for i, leaf in enumerate(leaves):
        row = rows.get(leaf.notification_id)
        if leaf.index != i:
            add(i, leaf.notification_id, leaf.stream, leaf.version, "log_damaged",
                f"Bảng lá Merkle bị hỏng: thiếu lá ở vị trí {i}.")
        elif row is None:
            add(i, leaf.notification_id, leaf.stream, leaf.version, "missing_row",
                f"Sự kiện '{leaf.stream}' phiên bản {leaf.version} đã được niêm phong ở vị trí {i} "
                "nhưng không còn trong kho: đã bị xóa.")
        elif row != (leaf.stream, leaf.version, leaf.hash):
            add(i, leaf.notification_id, leaf.stream, leaf.version, "leaf_mismatch",
                f"Sự kiện ở vị trí {i} khác với bản đã niêm phong trong cây Merkle: đã bị sửa.")
    for nid, (stream, version, _h) in rows.items():
        if nid not in index_of and nid < last_sealed:
            add(report.sealed, nid, stream, version, "unsealed_row",
                f"Sự kiện '{stream}' phiên bản {version} không có trong cây Merkle dù nằm giữa các "
                "sự kiện đã niêm phong: đã bị chèn thêm.")
    report.unsealed = sum(1 for nid in rows if nid > last_sealed)
    checkpoints = seal.select_checkpoints()
    rng = CompactRange()
    for cp in checkpoints:
        where = max(cp.size - 1, 0)
        last = leaves[where] if where < len(leaves) else None
        nid, stream, version = (last.notification_id, last.stream, last.version) if last else (0, "", 0)
        if log is not None:
            try:
                opened, _note = open_checkpoint(cp.note, log)
            except CryptoError as exc:
                add(where, nid, stream, version, "bad_checkpoint",
                    f"Checkpoint cỡ {cp.size} không có chữ ký hợp lệ của nhật ký: {exc.message_vi}")
                continue
            if opened.size != cp.size or opened.root_hash != cp.root:
                add(where, nid, stream, version, "bad_checkpoint",
                    f"Checkpoint cỡ {cp.size}: nội dung đã ký khác với bản lưu.")
        if cp.size > len(leaves):
            add(where, nid, stream, version, "checkpoint_mismatch",
                f"Checkpoint đã ký có {cp.size} sự kiện nhưng chỉ còn {len(leaves)}: sự kiện cuối đã bị xóa.")
            continue
        while rng.size < cp.size:
            rng.append(leaves[rng.size].hash)
        if rng.root() != cp.root:
            add(where, nid, stream, version, "checkpoint_mismatch",
                f"Gốc Merkle tính lại ở cỡ {cp.size} khác với checkpoint đã ký: lịch sử đã bị viết lại.")
    report.checkpoints = len(checkpoints)


def _record_sig_failures(report: AuditReport, where: dict[int, Notification], failed: list[int]) -> None:
    for position in failed:
        n = where[position]
        report.findings.append(
            Finding(position, n.id, str(n.originator_id), n.originator_version, "bad_signature",
                    "Chữ ký không khớp với nội dung đã lưu: nội dung hoặc chữ ký đã bị sửa.",
                    "Ed25519 verification failed")
        )


_ROW_KEYS = {OPENED: ["timestamp", "payload", "keyid", "sig", "prev", "originator_topic"],
             APPENDED: ["timestamp", "payload", "keyid", "sig", "prev"]}


def _strict_row(n: Notification) -> tuple[str, str, str, str, str]:
    """The entry fields of a row, refusing any byte the library would not have written."""
    if n.topic not in _ROW_KEYS:
        raise ValueError(f"unknown topic {n.topic!r}")
    state = orjson.loads(n.state)
    if not isinstance(state, dict) or list(state) != _ROW_KEYS[n.topic]:
        raise ValueError("row fields differ from a stored entry's")
    if n.topic == OPENED and state["originator_topic"] != "dantin:Stream":
        raise ValueError("wrong originator topic")
    stamp = state["timestamp"]
    if not (isinstance(stamp, dict) and list(stamp) == ["_type_", "_data_"]
            and stamp["_type_"] == "datetime_iso" and isinstance(stamp["_data_"], str)):
        raise ValueError("bad timestamp")
    received: str = stamp["_data_"]
    if datetime.fromisoformat(received).isoformat() != received:
        raise ValueError("non-canonical timestamp")
    fields = [state[k] for k in ("payload", "keyid", "sig", "prev")]
    if not all(isinstance(v, str) and v.isascii() for v in fields):
        raise TypeError("entry fields must be ASCII strings")
    raw = bytes(n.state)
    # For ASCII rows orjson writes exactly what the library's json encoder writes, faster.
    if not (raw.isascii() and orjson.dumps(state) == raw) and _encode_like_library(state) != raw:
        raise ValueError("row bytes are not as the library writes them")
    return fields[0], fields[1], fields[2], fields[3], received


def _encode_like_library(state: dict[str, Any]) -> bytes:
    # eventsourcing's JSONTranscoder: compact separators, UTF-8, insertion order.
    return json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _check_row(
    n: Notification,
    position: int,
    streams: dict[str, StreamState],
    versions: dict[str, int],
    view: _FoldView,
    finding: Callable[..., None],
) -> tuple[SigJob | None, bytes | None]:
    stream_id = str(n.originator_id)
    try:
        if n.topic not in (OPENED, APPENDED):
            raise ValueError(f"unknown topic {n.topic!r}")
        payload_b64, keyid, sig_b64, prev, received = _strict_row(n)
        env = parse_payload(b64decode_strict(payload_b64), keyid, b64decode_strict(sig_b64))
        entry = entry_bytes(payload_b64, keyid, sig_b64, prev, received)
    except (ValueError, TypeError, KeyError, CryptoError, UnicodeError) as exc:
        finding(n, position, "undecodable", "Bản ghi hỏng, không đọc được nội dung.", str(exc)[:200])
        return None, None
    except Refused as exc:
        finding(n, position, "malformed", f"Nội dung đã lưu không hợp lệ: {exc.message_vi}", exc.detail)
        return None, None

    expected_version = versions.get(stream_id, 0) + 1
    if (n.topic == OPENED) != (n.originator_version == 1) or n.originator_version != expected_version:
        finding(n, position, "stream_gap",
                f"Chuỗi '{stream_id}': gặp phiên bản {n.originator_version}, "
                f"lẽ ra là {expected_version} — có sự kiện bị xóa, chèn hoặc đổi chỗ.",
                f"expected version {expected_version}")
    versions[stream_id] = n.originator_version
    current = streams.get(stream_id)
    head = current.head if current is not None else GENESIS
    if prev != head:
        finding(n, position, "broken_link",
                f"Chuỗi '{stream_id}' phiên bản {n.originator_version}: liên kết tới sự kiện trước "
                "không khớp — sự kiện trước đã bị sửa, xóa hoặc đổi chỗ.", f"prev {prev[:16]}… != {head[:16]}…")
    st = env.statement
    belongs = stream_of(st.type, st.place, st.body, st.facts)
    if belongs != stream_id:
        finding(n, position, "wrong_stream",
                f"Sự kiện thuộc chuỗi '{belongs}' nhưng được lưu trong chuỗi '{stream_id}'.",
                f"belongs to {belongs}")
    job: SigJob | None = None
    try:
        admit(env, view, check_signature=False, genesis=position == 0)
        public = _signing_key(env, view, position == 0)
        if public is not None:
            job = (position, public, env.preimage(), env.sig)
    except Refused as exc:
        finding(n, position, exc.code,
                f"Sự kiện không theo quy tắc áp dụng từ {exc.rule_since} (có thể được ghi bởi phiên bản "
                f"trước ngày đó, khi quy tắc chưa có): {exc.message_vi}" if exc.rule_since else
                f"Sự kiện lẽ ra đã bị từ chối khi ghi: {exc.message_vi}", exc.detail)
        public = _signing_key(env, view, position == 0)
        if public is not None:
            job = (position, public, env.preimage(), env.sig)
    if current is None:
        current = streams[stream_id] = open_state(stream_id)
    leaf_hex = entry_hash(entry)
    try:
        evolve(current, env, leaf_hex)
    except CryptoError:
        current.head = leaf_hex  # an unusable key was already reported above
    view.events[leaf_hex] = Earlier(st.body, st.type, st.facts, st.place)
    return job, bytes.fromhex(leaf_hex)


def _signing_key(env: Envelope, view: _FoldView, genesis: bool) -> bytes | None:
    if genesis and isinstance(env.facts, BodyEnrolled):
        for grant in env.facts.keys:
            try:
                public = PublicKey.from_b64(grant.public)
            except CryptoError:
                continue
            if public.key_id == env.keyid:
                return public.raw
        return None
    state = view.stream(env.statement.body)
    if state is None or state.body is None:
        return None
    key = state.body.keys.get(env.keyid)
    return key.public.raw if key is not None else None


# -- the tests ----------------------------------------------------------------------------


def _both(backend: Backend, world: World, workers: int = 1) -> tuple[dict[str, Any], dict[str, Any]]:
    ledger = world.ledger
    assert ledger.sealer is not None
    log = home.log_verifier(backend.directory)
    new = audit_module.audit(ledger.recorder, seal=ledger.sealer.store, log=log, workers=workers,
                             chunk=2 if workers > 1 else 256)
    ref = reference_audit(ledger.recorder, seal=ledger.sealer.store, log=log, workers=1)
    return new.to_dict(), ref.to_dict()


@pytest.fixture
def rows(backend: Backend, world: World) -> Rows:
    _grow(world)
    return Rows(backend, world)


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of 4 rows; chunks of 1 signature growing to 2 (``_both``), then of 1 again for the
    rows of the last 10 ids: every step of the hand-over's schedule on a small ledger."""
    monkeypatch.setattr(audit_module, "PAGE", 4)
    monkeypatch.setattr(audit_module, "RAMP", 1)
    monkeypatch.setattr(audit_module, "TAIL_ROWS", 10)
    monkeypatch.setattr(audit_module, "TAIL_CHUNK", 1)


def _other_signature(state: bytes) -> bytes:
    """The row with another well-formed signature in place of its own."""
    import orjson

    fields = orjson.loads(state)
    fields["sig"] = base64.b64encode(SigningKey.generate().sign(b"other")).decode()
    return orjson.dumps(fields)


def _damages(rows: Rows, rng: random.Random, per_row: int) -> list[tuple[int, dict[str, Any]]]:
    out: list[tuple[int, dict[str, Any]]] = []
    for row in rows.all():
        offsets = sorted(rng.sample(range(len(row["state"])), per_row))
        out += [(row["id"], {"state": _flip(row["state"], o)}) for o in offsets]
        out.append((row["id"], {"state": _other_signature(row["state"])}))
        out.append((row["id"], {"stream": _flip(row["stream"].encode(), rng.randrange(len(row["stream"]))).decode()}))
        out.append((row["id"], {"topic": _flip(row["topic"].encode(), rng.randrange(len(row["topic"]))).decode()}))
        out.append((row["id"], {"version": row["version"] ^ 0x10}))
    return out


def test_same_report_as_the_reference_for_every_damage(backend: Backend, world: World, rows: Rows) -> None:
    new, ref = _both(backend, world)
    assert new == ref and new["intact"]
    for nid, damage in _damages(rows, random.Random(2022), per_row=3):
        with rows.damaged(nid):
            rows.set(nid, **damage)
            new, ref = _both(backend, world)
        assert new == ref, (nid, damage)
        assert not new["intact"] and new["first_finding"]["notification_id"] == nid, (nid, damage)
    all_rows = rows.all()
    for victim in (all_rows[0], all_rows[len(all_rows) // 2], all_rows[-1]):
        with rows.damaged(victim["id"]):
            rows.delete(victim["id"])
            new, ref = _both(backend, world)
        assert new == ref
    a, b = all_rows[3], all_rows[-3]
    with rows.damaged(a["id"]), rows.damaged(b["id"]):
        rows.set(a["id"], topic=b["topic"], state=b["state"])
        rows.set(b["id"], topic=a["topic"], state=a["state"])
        new, ref = _both(backend, world)
    assert new == ref and not new["intact"]


def test_worker_processes_give_the_same_report(backend: Backend, world: World, rows: Rows,
                                               small_pages: None) -> None:
    new, ref = _both(backend, world, workers=2)
    assert new == ref and new["intact"]
    rng = random.Random(9)
    damages = _damages(rows, rng, per_row=1)
    # Starting workers is slow where the process has threads (spawn): a sample of each kind.
    picked = [d for i, d in enumerate(damages) if i % 5 == 1] if backend.name == "postgres" else damages[::2]
    for nid, damage in picked:
        with rows.damaged(nid):
            rows.set(nid, **damage)
            new, ref = _both(backend, world, workers=2)
        assert new == ref, (nid, damage)
        assert not new["intact"]
    # A signature of the last rows is settled after the log check: with an earlier row deleted,
    # its finding must still be named by log index, not by row count.
    all_rows = rows.all()
    first, last = all_rows[1], all_rows[-1]
    with rows.damaged(first["id"]), rows.damaged(last["id"]):
        rows.delete(first["id"])
        rows.set(last["id"], state=_other_signature(last["state"]))
        new, ref = _both(backend, world, workers=2)
    assert new == ref
    late = [f for f in new["findings"] if f["code"] == "bad_signature"]
    assert [f["notification_id"] for f in late] == [last["id"]]


def test_the_audits_read_gives_the_librarys_notifications(backend: Backend, world: World) -> None:
    """``select_log_rows`` (plain tuples) holds the very values of ``select_notifications``, on
    every page size, from any start."""
    _grow(world)
    recorder = world.ledger.recorder
    notes = recorder.select_notifications(start=1, limit=100_000)
    expected = [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in notes]
    assert len(expected) > 10
    for page in (1, 3, len(expected) - 1, len(expected), 10_000):
        got = [row for rows in audit_module._pages(recorder, audit_module.AuditReport(), page, first=2)
               for row in rows]
        assert got == expected
        assert [tuple(map(type, row)) for row in got] == [(int, str, int, str, bytes)] * len(expected)
    start = expected[4][0]
    assert recorder.select_log_rows(start, 3) == expected[4:7]
    assert recorder.select_log_rows(expected[-1][0] + 1, 5) == []
