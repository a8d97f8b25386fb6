"""Bundles: one village's history, and everything needed to check it offline (docs/bundle.md).

A bundle is one RFC 8785 canonical JSON file: the village's entries and those of every
signer's authority chain, of the places above them and of the people they name — each the
exact object whose bytes are its RFC 9162 leaf — with inclusion proofs to ONE checkpoint
signed by the log and cosigned by witnesses (C2SP signed-note, tlog-checkpoint,
tlog-cosignature), the log's key and the witness policy; and, from format 2, the log's
signed statement of how many entries each of those streams holds at that checkpoint (its
"stream heads"), so that a stream cut short in the bundle is found.

``verify_bundle`` needs no database and no network. It re-derives every leaf hash and
proof, the checkpoint's signatures, every envelope signature and every signer's authority
(``ledger.authority.admit`` over the bundled events in log order) and every stream link,
and says which trust it had to take from the bundle itself. It raises ``NotABundle``
(not this format: exit 2) or ``BundleFailed`` (something did not verify: exit 1).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, NamedTuple

import orjson

from ledger.application import Ledger, LogUnavailable
from ledger.authority import GENESIS, StreamState, admit, evolve, open_state
from ledger.catalogue import PERSON_STREAM_PREFIX, person_refs, stream_of
from ledger.correction import Earlier, is_entry_hash
from ledger.entry import entry_bytes
from ledger.envelope import Envelope, parse_payload
from ledger.errors import CryptoError, DantinError, Refused
from ledger.merkle import ProofError, leaf_hash, verify_inclusion
from ledger.note import Checkpoint, CosignatureVerifier, NoteSigner, NoteVerifier, open_checkpoint, open_note, sign_note
from ledger.rules.engine import engine_digest
from ledger.rules.finding import STATUSES
from ledger.rules.text import VERDICT_VI
from ledger.rules.verdict import overall
from ledger.sealer import state_entry
from ledger.signing import PAYLOAD_TYPE, NotCanonicalizable, PublicKey, b64decode_strict, b64encode, canonical_json
from ledger.witness import (
    KIND_NAMES_VI,
    Policy,
    WitnessError,
    cosignatures_in,
    verifiers_of,
    witnessed_checkpoint,
)
from schemas._checks import UNSAFE_LINE_RE, visible_json
from schemas.facts import BodyEnrolled, PlaceRegistered

BUNDLE_VERSION = 3
#: The fields of each format a verifier reads. Format 1 (until 2026-12) has no stream heads; format 2
#: (until 2026-12-05) names no rules engine (``engine``: ``ledger.rules.engine``).
_TOP = {
    1: {"bundle", "checkpoint", "entries", "log_key", "verdict", "village", "witness_policy"},
    2: {"bundle", "checkpoint", "entries", "heads", "log_key", "verdict", "village", "witness_policy"},
    3: {"bundle", "checkpoint", "engine", "entries", "heads", "log_key", "verdict", "village", "witness_policy"},
}
_ENGINE = re.compile(r"sha256:[0-9a-f]{64}")
#: From this day (of the witnesses' cosignatures) a bundle carries stream heads: a format-1 bundle
#: of a checkpoint witnessed since is a bundle stripped of them, and fails.
HEADS_SINCE = date(2026, 12, 5)
#: The first line of a stream-heads note. It holds spaces, which no key name (nor so a
#: checkpoint's origin) may: the log's signature on one can never be read as a checkpoint's.
HEADS_HEADER = "dantin stream heads v1"
_HEAD_LINE = re.compile(r"([!-~]+) (0|[1-9][0-9]{0,11}) ([A-Za-z0-9+/]{43}=)")
_ENTRY = {"entry", "index", "proof"}
_ENTRY_FIELDS = {"payload", "payloadType", "prev", "received", "signatures"}
_VIETNAM = timezone(timedelta(hours=7))
VILLAGE_KINDS = ("thon", "tdp")
_PLAIN = re.compile(r"[\x20-\x21\x23-\x5b\x5d-\x7e]*")  # printable ASCII but '"' and '\\'


class NotABundle(DantinError):
    code = "not_a_bundle"
    title_vi = "Không phải gói hồ sơ"


class BundleFailed(CryptoError):
    """Something in the bundle did not verify; ``where`` says which part."""

    title_vi = "Gói hồ sơ không được chứng minh"

    def __init__(self, code: str, message_vi: str, *, where: str = "", detail: str = "") -> None:
        super().__init__(f"{where}: {message_vi}" if where else message_vi, detail=detail or code, code=code)
        self.where = where

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "title": self.title_vi, "detail": self.message_vi, "where": self.where}


class BundleError(DantinError):
    code = "bundle"
    title_vi = "Không lập được gói hồ sơ"


# -- making a bundle ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Made:
    data: bytes
    size: int  # the checkpoint's tree size
    entries: int
    village_events: int
    later_events: int  # the village's events after the checkpoint: not in this bundle
    witnesses: tuple[str, ...]
    verdict: dict[str, Any] | None  # None: this program has no rules engine (ledger.rules)


def _stream_leaves(ledger: Ledger) -> Callable[[str], list[int]]:
    """Leaf indexes of a stream's entries, in stream order (one indexed lookup per stream)."""
    if ledger.sealer is None:
        raise LogUnavailable("Sổ cái này không có nhật ký Merkle.", detail="no sealer")
    store, cache = ledger.sealer.store, dict[str, list[int]]()

    def of(stream: str) -> list[int]:
        if stream not in cache:
            cache[stream] = [leaf.index for leaf in store.leaves_of(stream)]
        return cache[stream]

    return of


def _fields(entry: Mapping[str, Any]) -> tuple[str, str, str, str, str]:
    sig = entry["signatures"][0]
    return entry["payload"], sig["keyid"], sig["sig"], entry["prev"], entry["received"]


def _envelope(entry: Mapping[str, Any]) -> Envelope:
    payload, keyid, sig, _prev, _received = _fields(entry)
    return parse_payload(b64decode_strict(payload), keyid, b64decode_strict(sig))


def _ancestors(place: str) -> list[str]:
    parts = place.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts) + 1)]


def make_bundle(ledger: Ledger, village: str, *, policy: Policy, signer: NoteSigner) -> Made:
    """The bundle of ``village`` at the newest checkpoint that ``policy``'s witnesses cosigned,
    with the verdict derived from the bundle's own events as of the day it was witnessed, and
    the stream heads signed by ``signer``, the log's key (a reader's copy without it makes none)."""
    log_key = signer.verifier().vkey()
    witnessed = witnessed_checkpoint(ledger, policy)
    if witnessed is None:
        raise BundleError("Chưa có checkpoint nào được đủ nhân chứng ký theo chính sách; hãy chạy "
                          "'dantin witness cosign' trước.", detail="no witnessed checkpoint")
    size = witnessed.size
    leaves_of = _stream_leaves(ledger)
    village_leaves = leaves_of(village)
    if not village_leaves or village_leaves[0] >= size:
        raise BundleError(f"Thôn/tổ dân phố '{village}' không có sự kiện nào trong checkpoint cỡ {size}.",
                          detail="village has no entries")
    taken: dict[str, int] = {}
    queue: deque[int] = deque()

    def need(stream: str, count: int | None = None) -> None:
        """The first ``count`` entries of ``stream`` (all of them when None): a stream always from its start."""
        indexes = [i for i in leaves_of(stream) if i < size]
        upto = len(indexes) if count is None else min(count, len(indexes))
        queue.extend(indexes[taken.get(stream, 0):upto])
        taken[stream] = max(taken.get(stream, 0), upto)

    need(village)
    for body in witnessed.witnesses:
        need(body)
    entries: dict[int, dict[str, Any]] = {}
    while queue:
        index = queue.popleft()
        entry = orjson.loads(ledger.entry(index))
        entries[index] = entry
        st = _envelope(entry).statement
        need(st.body)  # the signer's whole stream: its enrolment, rotations and revocations
        places = [st.place] + ([st.facts["residence"]] if isinstance(st.facts.get("residence"), str) else [])
        for place in places:
            for ancestor in _ancestors(place):
                need(ancestor, 1)  # its registration
        for person in person_refs(st.type, st.facts):
            need(PERSON_STREAM_PREFIX + person)
        if st.type == "correction.recorded":
            _need_original(ledger, st.facts.get("corrects"), st.place, need)
    registered = _envelope(entries[village_leaves[0]]).facts
    if not isinstance(registered, PlaceRegistered) or registered.kind not in VILLAGE_KINDS:
        raise BundleError(f"'{village}' không phải thôn/tổ dân phố.", detail="not a village")
    if 0 not in entries:
        raise BundleError("Không lần được thẩm quyền về cơ quan gốc.", detail="genesis not reached")
    doc: dict[str, Any] = {
        "bundle": BUNDLE_VERSION,
        "checkpoint": witnessed.note,
        "engine": engine_digest(),
        "entries": [{"entry": entries[i], "index": i,
                     "proof": [b64encode(h) for h in ledger.inclusion_proof(i, size)]}
                    for i in sorted(entries)],
        "log_key": log_key,
        "verdict": None,
        "village": village,
        "witness_policy": policy.to_json(),
    }
    # Derive the verdict from the bundle exactly as verify_bundle will: the same replay, the same engine.
    bundled = _entries(doc["entries"])
    log = NoteVerifier.from_vkey(log_key)
    checkpoint = _checkpoint(witnessed.note, log)
    as_of = witnessed_on(witnessed.note, log)
    replayed = _replay(bundled, _included(bundled, checkpoint), None, as_of)
    doc["verdict"] = _judge(replayed.events, village, as_of)
    heads = _bundled_heads(replayed.streams, replayed.events, village)
    for stream, (count, _) in heads.items():  # what the log signs, read from the log itself
        if count != sum(1 for i in leaves_of(stream) if i < size):
            raise BundleError(f"Chuỗi '{stream}' trong gói không đủ sự kiện.", detail=f"{stream} cut short")
    doc["heads"] = sign_note(heads_text(checkpoint, heads), [signer])
    later = sum(1 for i in village_leaves if i >= size)
    return Made(canonical_json(doc), size, len(entries), len(village_leaves) - later, later,
                tuple(sorted(witnessed.witnesses)), doc["verdict"])


def _need_original(ledger: Ledger, target: object, near: str, need: Callable[[str, int | None], None]) -> None:
    """The event a bundled correction corrects, so that the bundle can judge the correction
    (``ledger.correction``): its stream, from its start — whole for a body's or a person's (the
    bundle gives those whole), up to it for another place's. A correction naming no event of the
    ledger (stored before 2026-12-06) adds nothing: the bundle judges it as it is."""
    if not is_entry_hash(target) or ledger.sealer is None:
        return
    found = ledger.sealer.store.find_entry(bytes.fromhex(target), near)
    if found is None:
        return
    leaf, state = found
    place_stream = leaf.stream == _envelope(orjson.loads(state_entry(state))).statement.place
    need(leaf.stream, leaf.version if place_stream else None)


# -- stream heads ----------------------------------------------------------------------------------


def _bundled_heads(
    streams: Mapping[str, StreamState], events: Sequence[_Event], village: str,
) -> dict[str, tuple[int, bytes]]:
    """(entries, last leaf hash) of every stream the bundle gives whole: the village's, and every
    body's and person's (a place above is given its registration alone, and is not counted)."""
    whole = {s for s, state in streams.items() if s == village or state.place_kind is None}
    heads: dict[str, tuple[int, bytes]] = {}
    for e in events:
        if e.stream in whole:
            count = heads[e.stream][0] + 1 if e.stream in heads else 1
            heads[e.stream] = (count, bytes.fromhex(e.hash))
    return heads


def heads_text(checkpoint: Checkpoint, heads: Mapping[str, tuple[int, bytes]]) -> str:
    """The body of a stream-heads note (docs/bundle.md): the header, the checkpoint it speaks
    of (origin, size, root), then one ``<stream> <entries> <last leaf hash>`` line per stream,
    sorted by stream id."""
    lines = [HEADS_HEADER, checkpoint.origin, str(checkpoint.size), b64encode(checkpoint.root_hash)]
    lines += [f"{stream} {count} {b64encode(head)}" for stream, (count, head) in sorted(heads.items())]
    return "\n".join(lines) + "\n"


def read_heads(note: str, log: NoteVerifier, checkpoint: Checkpoint) -> dict[str, tuple[int, bytes]]:
    """The stream heads the log signed in ``note``, for ``checkpoint``; raise ``BundleFailed``."""
    try:
        opened = open_note(note, [log])
    except CryptoError as exc:
        raise BundleFailed("bad_heads", f"Bản xác nhận số sự kiện của các chuỗi không có chữ ký hợp lệ của nhật ký "
                           f"'{log.name}': {exc.message_vi}", where="heads") from None
    if opened.unverified or not opened.signed_by(log) or note.count("\n\u2014 ") != 1:
        raise BundleFailed("bad_heads", "Bản xác nhận số sự kiện của các chuỗi phải có đúng một chữ ký, của nhật "
                           "ký.", where="heads")
    lines = opened.text[:-1].split("\n")
    if lines[:4] != [HEADS_HEADER, checkpoint.origin, str(checkpoint.size), b64encode(checkpoint.root_hash)]:
        raise BundleFailed("heads_mismatch", f"Bản xác nhận số sự kiện của các chuỗi không nói về checkpoint cỡ "
                           f"{checkpoint.size} của gói.", where="heads")
    heads: dict[str, tuple[int, bytes]] = {}
    for line in lines[4:]:
        found = _HEAD_LINE.fullmatch(line)
        if found is None or (heads and found[1] <= next(reversed(heads))):
            raise BundleFailed("heads_mismatch", f"Dòng '{line[:80]}' của bản xác nhận sai định dạng hoặc sai thứ tự.",
                               where="heads")
        try:
            head = b64decode_strict(found[3])
        except CryptoError:
            raise BundleFailed("heads_mismatch", f"Dòng '{line[:80]}' của bản xác nhận có mã băm không ở dạng base64 "
                               "chuẩn.", where="heads") from None
        heads[found[1]] = (int(found[2]), head)
    return heads


def _check_heads(note: str, log: NoteVerifier, checkpoint: Checkpoint, bundled: Mapping[str, tuple[int, bytes]]) -> int:
    """Every stream the bundle gives whole (``bundled``: ``_bundled_heads``) holds exactly the entries
    the log says it held at the checkpoint: none was left out at its end. Returns how many streams."""
    signed = read_heads(note, log, checkpoint)
    for stream in sorted(bundled.keys() | signed.keys()):
        have, said = bundled.get(stream), signed.get(stream)
        if said is None:
            raise BundleFailed("heads_mismatch", f"Nhật ký không xác nhận số sự kiện của chuỗi '{stream}'.",
                               where="heads")
        if have is None:
            raise BundleFailed("heads_mismatch", f"Nhật ký xác nhận chuỗi '{stream}', nhưng gói không chứa chuỗi "
                               "đó từ sự kiện đầu.", where="heads")
        if have[0] != said[0]:
            raise BundleFailed("stream_incomplete", f"Nhật ký xác nhận chuỗi '{stream}' có {said[0]} sự kiện đến "
                               f"checkpoint cỡ {checkpoint.size}, nhưng gói chỉ có {have[0]}: các sự kiện cuối của "
                               "chuỗi đã bị bỏ ra khỏi gói.", where="heads",
                               detail=f"{stream}: {have[0]} of {said[0]}")
        if have[1] != said[1]:
            raise BundleFailed("heads_mismatch", f"Sự kiện cuối của chuỗi '{stream}' trong gói khác sự kiện cuối "
                               "nhật ký xác nhận.", where="heads")
    return len(signed)


# -- verifying a bundle ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    position: int  # in the bundle's list
    index: int  # in the log
    obj: Mapping[str, Any]
    proof: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"entries[{self.position}] (vị trí {self.index} trong nhật ký)"


@dataclass
class BundleReport:
    village: str
    origin: str
    size: int
    root: bytes
    entries: int
    streams: int
    village_events: int
    witnesses: dict[str, str | None]
    sources: dict[str, str]
    proved: list[str] = field(default_factory=list)
    not_proved: list[str] = field(default_factory=list)
    verdict: Any = None
    #: Streams the log's signed stream heads showed complete; None for a format-1 bundle.
    heads: int | None = None
    #: Rows taken by the rules in force on the witnessed day, which a later rule refuses (``_replay``).
    earlier: list[str] = field(default_factory=list)
    #: (entries, last leaf hash) of every stream the bundle gives whole (``against_ledger``).
    whole: dict[str, tuple[int, bytes]] = field(default_factory=dict, repr=False)
    #: The bundle's own verdict when it differs from ``verdict`` (re-derived here), and where (``_check_verdict``).
    bundled_verdict: Any = None
    verdict_differs: list[str] = field(default_factory=list)
    #: The rules engine the bundle names when not this release's ("": named none, its verdict differing).
    engine: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "verified": True,
            "village": self.village,
            "checkpoint": {"origin": self.origin, "size": self.size, "root": b64encode(self.root)},
            "entries": self.entries,
            "signatures": self.entries,
            "streams": self.streams,
            "complete_streams": self.heads,
            "earlier_rules": self.earlier,
            "village_events": self.village_events,
            "witnesses": [{"body": w, "kind": k} for w, k in sorted(self.witnesses.items())],
            "sources": self.sources,
            "proved": self.proved,
            "not_proved": self.not_proved,
            "verdict": self.verdict,
            **({"bundled_verdict": self.bundled_verdict, "verdict_differs": self.verdict_differs}
               if self.verdict_differs else {}),
        }


def _not(message_vi: str, where: str = "", detail: str = "") -> NotABundle:
    return NotABundle(f"{where}: {message_vi}" if where else message_vi, detail=detail or where or message_vi)


def _load(data: bytes) -> dict[str, Any]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise _not("Tệp không phải JSON hợp lệ (UTF-8).", detail=str(exc)) from None
    if not isinstance(doc, dict) or "bundle" not in doc:
        raise _not("Tệp JSON này không phải gói hồ sơ (thiếu trường 'bundle').")
    if type(doc["bundle"]) is not int or doc["bundle"] not in _TOP:
        raise _not(f"Phiên bản gói '{doc['bundle']}' không được hỗ trợ (chỉ hỗ trợ {', '.join(map(str, _TOP))}).")
    try:
        canonical = canonical_json(doc)
    except NotCanonicalizable as exc:
        raise _not("Gói chứa giá trị JSON ngoài phạm vi RFC 8785.", detail=str(exc)) from None
    if canonical != data:
        at = next((i for i, (a, b) in enumerate(zip(canonical, data, strict=False)) if a != b),
                  min(len(canonical), len(data)))
        raise NotABundle(f"Gói không ở dạng JSON chuẩn hóa RFC 8785 (khác từ byte {at}): mọi byte của gói phải "
                         "có nghĩa, nên không nhận bản đã bị định dạng lại hay sửa tay.", detail="not canonical")
    top = _TOP[doc["bundle"]]
    if set(doc) != top:
        raise _not(f"Gói phiên bản {doc['bundle']} cần đúng các trường {sorted(top)}.", detail=f"fields {sorted(doc)}")
    for name in ("checkpoint", "log_key", "village", *(["heads"] if "heads" in top else [])):
        if not isinstance(doc[name], str):
            raise _not("Trường phải là chuỗi.", name)
    if "engine" in top and not (isinstance(doc["engine"], str) and _ENGINE.fullmatch(doc["engine"])):
        raise _not("Mã bộ máy quy tắc phải có dạng sha256:<64 chữ số hex>.", "engine")
    if not isinstance(doc["entries"], list) or not doc["entries"]:
        raise _not("Danh sách sự kiện phải không rỗng.", "entries")
    return doc


def _entries(raw: list[Any]) -> list[_Entry]:
    out: list[_Entry] = []
    for position, item in enumerate(raw):
        where = f"entries[{position}]"
        if not isinstance(item, dict) or set(item) != _ENTRY:
            raise _not(f"Mỗi mục cần đúng các trường {sorted(_ENTRY)}.", where)
        index, proof, entry = item["index"], item["proof"], item["entry"]
        if type(index) is not int or index < 0 or (out and index <= out[-1].index):
            raise _not("'index' phải là số nguyên không âm, tăng dần.", where)
        if not isinstance(proof, list) or not all(isinstance(p, str) for p in proof):
            raise _not("'proof' phải là danh sách chuỗi base64.", where)
        if not isinstance(entry, dict) or set(entry) != _ENTRY_FIELDS:
            raise _not(f"'entry' cần đúng các trường {sorted(_ENTRY_FIELDS)}.", where)
        sigs = entry["signatures"]
        if (not isinstance(sigs, list) or len(sigs) != 1 or not isinstance(sigs[0], dict)
                or set(sigs[0]) != {"keyid", "sig"}):
            raise _not("'signatures' phải có đúng một chữ ký {keyid, sig}.", where)
        if not all(isinstance(v, str) for v in [*_fields(entry), entry["payloadType"]]):
            raise _not("Các trường của 'entry' phải là chuỗi.", where)
        out.append(_Entry(position, index, entry, tuple(proof)))
    return out


def _log_key(bundled: str, given: str | None) -> tuple[NoteVerifier, str]:
    try:
        log = NoteVerifier.from_vkey(bundled)
    except CryptoError as exc:
        raise _not(f"Khóa nhật ký trong gói không hợp lệ: {exc.message_vi}", "log_key") from None
    if given is None:
        return log, "bundle"
    try:
        mine = NoteVerifier.from_vkey(given)
    except CryptoError as exc:
        raise NotABundle(f"Khóa nhật ký bạn đưa (--log-key) không hợp lệ: {exc.message_vi}",
                         code="usage", detail="bad --log-key") from None
    if mine.vkey() != log.vkey():
        raise BundleFailed("log_key_mismatch", f"Gói ghi khóa nhật ký '{log.vkey()}', khác khóa bạn tin "
                           f"'{mine.vkey()}'.", where="log_key")
    return mine, "given"


def _checkpoint(note: str, log: NoteVerifier) -> Checkpoint:
    try:
        checkpoint, _ = open_checkpoint(note, log)
    except CryptoError as exc:
        raise BundleFailed("bad_checkpoint", f"Checkpoint không có chữ ký hợp lệ của nhật ký '{log.name}': "
                           f"{exc.message_vi}", where="checkpoint") from None
    return checkpoint


def _included(entries: Sequence[_Entry], checkpoint: Checkpoint) -> dict[int, bytes]:
    """Each entry's leaf hash, proven to be at its index in the checkpoint's tree."""
    leaves: dict[int, bytes] = {}
    for e in entries:
        if e.obj["payloadType"] != PAYLOAD_TYPE:
            raise BundleFailed("bad_entry", f"Loại nội dung '{e.obj['payloadType']}' không phải của sổ cái.",
                               where=e.where)
        # The entry's bytes are its RFC 8785 form (ledger.entry): with nothing to escape in its
        # values, that is exactly how the (canonical) bundle spells the object.
        if not all(_PLAIN.fullmatch(v) for v in _fields(e.obj)):
            raise BundleFailed("bad_entry", "Mục có ký tự không thể có trong một mục của sổ cái.", where=e.where)
        leaf = leaf_hash(entry_bytes(*_fields(e.obj)))
        try:
            proof = [b64decode_strict(p) for p in e.proof]
            verify_inclusion(leaf, e.index, checkpoint.size, proof, checkpoint.root_hash)
        except (ProofError, CryptoError) as exc:
            raise BundleFailed("bad_proof", f"Sự kiện không được chứng minh nằm trong nhật ký ở checkpoint cỡ "
                               f"{checkpoint.size}: nội dung, vị trí hoặc bằng chứng đã bị sửa ({exc.message_vi})",
                               where=e.where) from None
        leaves[e.index] = leaf
    return leaves


class _View:
    def __init__(self, streams: dict[str, StreamState]) -> None:
        self.streams = streams
        #: The events replayed so far, by entry hash: what a correction may correct.
        self.events: dict[str, Earlier] = {}

    def stream(self, stream_id: str) -> StreamState | None:
        return self.streams.get(stream_id)

    def earlier(self, entry_hash: str, near: str) -> Earlier | None:
        return self.events.get(entry_hash)


class _Replayed(NamedTuple):
    streams: dict[str, StreamState]
    events: list[_Event]
    #: Rows a rule dated after the bundle's witnessed day refuses: accepted as the rules then stood.
    earlier: list[str]


@dataclass(frozen=True)
class _Event:
    index: int
    hash: str  # the entry (leaf) hash in hex: the event's id in verdicts and corrections
    env: Envelope
    stream: str
    by: str  # the signer's body kind when it signed


def _replay(
    entries: Sequence[_Entry], leaves: Mapping[int, bytes], root_key: str | None, as_of: date,
) -> _Replayed:
    """Signatures, authority and stream links, judged by ``admit`` over the bundle in log order, by
    the rules in force on ``as_of`` (the witnesses' day): a row refused only by a rule dated later
    (``Refused.rule_since``, judged last) is taken as the ledger took it then, and listed."""
    if entries[0].index != 0:
        raise BundleFailed("no_genesis", "Gói thiếu sự kiện đầu tiên của nhật ký (cơ quan gốc tự kết nạp), nên "
                           "không lần được thẩm quyền về gốc.", where="entries[0]")
    streams: dict[str, StreamState] = {}
    events: list[_Event] = []
    earlier: list[str] = []
    view = _View(streams)
    for e in entries:
        try:
            env = _envelope(e.obj)
            stream = stream_of(env.statement.type, env.statement.place, env.statement.body, env.statement.facts)
        except (Refused, CryptoError) as exc:
            raise BundleFailed("malformed", f"Phong bì không đọc được: {exc.message_vi}", where=e.where) from None
        where = f"{e.where}, chuỗi '{stream}'"
        current = streams.get(stream)
        if e.obj["prev"] != (current.head if current is not None else GENESIS):
            raise BundleFailed("broken_link", "Sự kiện không nối với sự kiện trước của cùng chuỗi trong gói "
                               "(liên kết prev): gói thiếu sự kiện của chuỗi hoặc sai thứ tự." if current else
                               "Chuỗi trong gói không bắt đầu từ sự kiện đầu tiên của nó (prev khác 0…0).",
                               where=where)
        try:
            admit(env, view, genesis=e.index == 0)
        except Refused as exc:
            since = date.fromisoformat(exc.rule_since) if exc.rule_since else None
            if since is None or as_of >= since:
                dated = (f" (quy tắc áp dụng từ {since.isoformat()}; checkpoint của gói được nhân chứng ký ngày "
                         f"{as_of.isoformat()})" if since else "")
                raise BundleFailed(exc.code, f"Sự kiện không hợp lệ theo thẩm quyền dựng lại từ gói: "
                                   f"{exc.message_vi}{dated}", where=where, detail=exc.detail) from None
            earlier.append(f"{e.where}: {exc.message_vi}")
        if e.index == 0 and root_key is not None:
            keys = env.facts.keys if isinstance(env.facts, BodyEnrolled) else []
            if root_key not in [k.public for k in keys] or env.keyid != PublicKey.from_b64(root_key).key_id:
                raise BundleFailed("root_key_mismatch", "Cơ quan gốc của nhật ký không dùng khóa gốc bạn tin "
                                   "(--root-key).", where=where)
        signer = view.stream(env.statement.body)
        by = signer.body.kind if signer is not None and signer.body is not None else "root"  # genesis: itself
        if current is None:
            current = streams[stream] = open_state(stream)
        evolve(current, env, leaves[e.index].hex())
        events.append(_Event(e.index, leaves[e.index].hex(), env, stream, by))
        view.events[leaves[e.index].hex()] = Earlier(env.statement.body, env.statement.type, env.statement.facts,
                                                        env.statement.place)
    return _Replayed(streams, events, earlier)


# -- the verdict: the same pure engine, over the bundled events ---------------------------------------


def _record(events: Sequence[_Event], village: str) -> Any:
    """The village's record (``ledger.rules``), mapped by ``ledger.village`` exactly as the server's
    views map stored entries: id = entry hash, ``by`` = the signer's kind, profiles from people's streams."""
    from ledger.village import Entry, build_record

    streams: dict[str, list[Entry]] = {}
    kinds: dict[str, str] = {}
    for e in events:
        statement = orjson.loads(e.env.payload)
        streams.setdefault(e.stream, []).append(Entry(e.hash, 0, e.index, statement))
        kinds[e.env.statement.body] = e.by
    built = build_record(village, streams.get(village, []),
                         lambda person: streams.get(PERSON_STREAM_PREFIX + person, []), kinds.get)
    return built[0] if built is not None else None


def witnessed_on(note: str, log: NoteVerifier) -> date:
    """The day (Vietnam time, UTC+7) of the newest cosignature: the verdict's "as of".

    Taken from the witnesses' signed timestamps, not chosen by whoever makes the bundle, so
    nobody can re-date a verdict without a witness's key.
    """
    try:  # read before the cosignatures are verified (_cosigners): any line, any number
        newest = max((c.timestamp for c in cosignatures_in(note, log.name)), default=0)
    except WitnessError as exc:
        raise BundleFailed("bad_cosignature", f"Một dòng chữ ký trong checkpoint không phải chữ ký nhân chứng "
                           f"(cosignature/v1): {exc.message_vi}", where="checkpoint") from None
    try:
        return datetime.fromtimestamp(newest, tz=_VIETNAM).date()
    except (OverflowError, OSError, ValueError):  # read before the cosignatures are verified: any number
        raise BundleFailed("bad_cosignature", f"Thời điểm {newest} trong chữ ký nhân chứng không phải một ngày.",
                           where="checkpoint") from None


def _judge(events: Sequence[_Event], village: str, as_of: date) -> dict[str, Any] | None:
    """EVENTS.md's verdict (as corrected) from ``ledger.rules.judge``; None when there is no rules engine."""
    try:
        from ledger.rules import judge
    except ImportError:
        return None
    verdict: dict[str, Any] = judge(_record(events, village), as_of)
    return verdict


class _Verdict(NamedTuple):
    """The verdict a bundle's reader is shown: re-derived here from the bundle's proven events; and, when
    the bundle's own differs (a bundle of another rules engine), where (``_verdict_differences``)."""

    derived: dict[str, Any] | None
    differs: list[str]
    #: The bundle's rules engine when it is not this release's; "" when the bundle names none (formats 1
    #: and 2) and its verdict differs; None otherwise.
    engine: str | None


def _check_verdict(bundled: Any, events: Sequence[_Event], village: str, as_of: date,
                   engine: str | None) -> _Verdict:
    """Re-derive the bundle's verdict (``engine``: the rules engine the bundle names, None before format 3).

    The verdict is not signed: what the bundle proves is its events, and the verdict shown is the one
    this release derives from them. The bundle's own must be that very one when the bundle names this
    release's engine (else it was edited: ``verdict_mismatch``, or ``ruleset_mismatch``); made by another
    engine, or by a release that did not name it, it may differ (a rule's reading fixed since), and
    where it does is said."""
    if bundled is None:
        return _Verdict(None, [], None)
    if not isinstance(bundled, dict):
        raise _not("Kết luận phải là một đối tượng JSON.", "verdict")
    try:
        derived = _judge(events, village, as_of)
    except Exception as exc:  # noqa: BLE001 - any engine failure means the verdict is not re-derived
        raise BundleFailed("verdict_error", "Không dựng lại được kết luận từ các sự kiện trong gói.", where="verdict",
                           detail=f"{type(exc).__name__}: {exc}"[:200]) from None
    if derived is None:
        raise BundleFailed("verdict_error", "Gói có kết luận nhưng chương trình này không có bộ quy tắc để dựng lại.",
                           where="verdict")
    other = engine if engine is not None and engine != engine_digest() else None
    if canonical_json(derived) == canonical_json(bundled):
        return _Verdict(derived, [], other)
    if engine is None or other is not None:
        _check_any_verdict(bundled, {e.hash for e in events}, village, as_of)
        return _Verdict(derived, _verdict_differences(bundled, derived), other or "")
    # The engine the bundle names is this one: the bundle's verdict is not what that engine derived.
    if derived.get("ruleset_digest") != bundled.get("ruleset_digest"):
        raise BundleFailed("ruleset_mismatch", f"Kết luận trong gói dựa trên bộ quy tắc "
                           f"{_shown(bundled.get('ruleset_digest'))}, còn bộ quy tắc ở đây là "
                           f"{derived.get('ruleset_digest')}: không dựng lại được cùng kết luận.", where="verdict")
    differ = _verdict_differences(bundled, derived)
    raise BundleFailed(
        "verdict_mismatch", "Kết luận trong gói khác kết luận mà chính bộ máy quy tắc gói ghi (bộ máy của phiên bản "
        f"này) dựng lại từ các sự kiện trong gói ({'; '.join(differ[:6])}{' …' if len(differ) > 6 else ''}): phần "
        "kết luận, không có chữ ký, đã bị sửa. Các sự kiện vẫn được chứng minh như trên.", where="verdict",
        detail="the bundled verdict differs from the one its own engine derives, at: " + ", ".join(differ)[:300])


def _check_any_verdict(bundled: Mapping[str, Any], cited: set[str], village: str, as_of: date) -> None:
    """What any rules engine's verdict in a bundle must be (step 8, as the independent verifier checks it):
    of this village on the witnessed day, its checks of known statuses, its overall verdict the one they
    give (EVENTS.md §Verdict), citing only bundled events. A verdict that is not is no engine's: edited."""
    checks = bundled.get("checks")
    if (not isinstance(checks, list) or not all(isinstance(c, dict) for c in checks)
            or bundled.get("village") != village or bundled.get("as_of") != as_of.isoformat()):
        raise BundleFailed("verdict_mismatch", f"Kết luận trong gói không phải kết luận về '{village}' ngày "
                           f"{as_of.isoformat()}: phần kết luận, không có chữ ký, đã bị sửa.", where="verdict")
    statuses = [c.get("status") for c in checks]
    if not all(isinstance(x, str) and x in STATUSES for x in statuses) or bundled.get("verdict") != overall(statuses):
        raise BundleFailed("verdict_mismatch", f"Kết luận trong gói ({_shown(bundled.get('verdict'))}) không suy ra "
                           "từ trạng thái các quy tắc của chính nó: phần kết luận, không có chữ ký, đã bị sửa.",
                           where="verdict")
    events = [e for c in checks for e in (c.get("events") if isinstance(c.get("events"), list) else [None])]
    if any(not isinstance(e, str) or e not in cited for e in events):
        raise BundleFailed("verdict_mismatch", "Kết luận trong gói dẫn sự kiện không có trong gói: phần kết luận, "
                           "không có chữ ký, đã bị sửa.", where="verdict")


def _shown(value: Any, limit: int = 60) -> str:
    """A value of a bundle's unsigned verdict as a person may be shown it in a report: one line (control
    and invisible characters as escapes, as JSON writes them), at most ``limit`` characters."""
    text = value if isinstance(value, str) else orjson.dumps(value, default=str).decode()
    text = visible_json(orjson.dumps(text).decode()[1:-1]) if UNSAFE_LINE_RE.search(text) else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _verdict_differences(bundled: Mapping[str, Any], derived: Mapping[str, Any]) -> list[str]:
    """Where two verdicts of one village differ, as a person reads it: the verdict, then each rule's status
    (bundled → re-derived), then any other field."""
    out = []
    if bundled.get("verdict") != derived.get("verdict"):
        out.append(f"kết luận {_shown(bundled.get('verdict'))} → {derived.get('verdict')}")

    def statuses(verdict: Mapping[str, Any]) -> dict[str, Any]:
        checks = verdict.get("checks")
        return {} if not isinstance(checks, list) else {
            str(c.get("rule")): c.get("status") for c in checks if isinstance(c, Mapping)}

    was, now = statuses(bundled), statuses(derived)
    for rule in sorted(set(was) | set(now)):
        if was.get(rule) != now.get(rule):
            out.append(f"{_shown(rule)}: {_shown(was.get(rule, '—'))} → {now.get(rule, '—')}")
    if not out:  # the same statuses: a detail, the events cited, the leadership…
        out += [f"trường {_shown(key)}" for key in sorted(set(bundled) | set(derived))
                if bundled.get(key) != derived.get(key)]
    return out or ["cách viết"]


def _cosigners(
    note: str, log: NoteVerifier, streams: Mapping[str, StreamState], pinned: Sequence[CosignatureVerifier],
    policy: Policy,
) -> dict[str, str | None]:
    """Every non-log signature line must verify; those that count must satisfy ``policy``."""
    derived: dict[tuple[str, int], float | None] = {}
    candidates: list[CosignatureVerifier] = list(pinned)
    for state in streams.values():
        if state.body is not None and policy.may_witness(state.body.id, state.body.kind):
            for verifier, valid_from in verifiers_of(state.body):
                derived[(verifier.name, verifier.key_id)] = valid_from
                candidates.append(verifier)
    try:
        _, opened = open_checkpoint(note, log, cosigners=candidates)
    except CryptoError as exc:
        raise BundleFailed("bad_cosignature", f"Một chữ ký trong checkpoint không hợp lệ: {exc.message_vi}",
                           where="checkpoint") from None
    if note[note.rfind("\n\n") + 2:].count("\n") != len(opened.verified) + len(opened.unverified):
        raise BundleFailed("bad_cosignature", "Checkpoint có một chữ ký lặp lại: mỗi khóa chỉ ký một lần.",
                           where="checkpoint")  # the note's reader keeps one of a key's signatures
    if opened.unverified:
        names = ", ".join(f"'{s.name}' ({s.key_id:08x})" for s in opened.unverified)
        raise BundleFailed("unknown_cosigner", f"Checkpoint có chữ ký của khóa không rõ: {names}. Mọi chữ ký "
                           "trong gói phải kiểm được.", where="checkpoint")
    counting = {(v.name, v.key_id) for v in pinned} or set(derived)
    witnesses: dict[str, str | None] = {}
    for sig in opened.verified:
        key = (sig.name, sig.key_id)
        if key == (log.name, log.key_id):
            continue
        valid_from = derived.get(key)
        if valid_from is not None and sig.timestamp is not None and sig.timestamp < valid_from:
            raise BundleFailed("bad_cosignature", f"Nhân chứng '{sig.name}' ký trước khi khóa có hiệu lực.",
                               where="checkpoint")
        if key in counting:
            found = streams.get(sig.name)
            witnesses[sig.name] = found.body.kind if found is not None and found.body is not None else None
    try:
        policy.require(witnesses)
    except WitnessError as exc:
        raise BundleFailed("not_witnessed", exc.message_vi, where="checkpoint") from None
    return witnesses


def verify_bundle(
    data: bytes,
    *,
    log_key: str | None = None,
    witness_keys: Sequence[str] = (),
    policy: Policy | None = None,
    root_key: str | None = None,
) -> BundleReport:
    """Check a bundle offline; return what was proven (and what could not be), or raise."""
    doc = _load(data)
    entries = _entries(doc["entries"])
    try:
        bundled_policy = Policy.from_json(doc["witness_policy"], exact=True)
    except WitnessError as exc:
        raise _not(exc.message_vi, "witness_policy") from None
    try:
        pinned = [CosignatureVerifier.from_vkey(v) for v in witness_keys]
        root = PublicKey.from_b64(root_key).b64 if root_key is not None else None
    except CryptoError as exc:
        raise NotABundle(f"Khóa bạn đưa không hợp lệ: {exc.message_vi}", code="usage", detail="bad key") from None
    log, log_source = _log_key(doc["log_key"], log_key)
    checkpoint = _checkpoint(doc["checkpoint"], log)
    leaves = _included(entries, checkpoint)
    as_of = witnessed_on(doc["checkpoint"], log)
    if "heads" not in doc and as_of >= HEADS_SINCE:
        raise BundleFailed("no_heads", f"Gói phiên bản 1 (không có bản xác nhận số sự kiện của các chuỗi) cho "
                           f"một checkpoint được nhân chứng ký ngày {as_of.isoformat()}, khi gói đã phải có bản xác "
                           f"nhận ấy (từ {HEADS_SINCE.isoformat()}): không chứng minh được gói không bị bỏ bớt sự "
                           "kiện. Hãy lập lại gói.", where="heads")
    streams, events, earlier = _replay(entries, leaves, root, as_of)
    village = streams.get(doc["village"])
    if village is None or village.place_kind not in VILLAGE_KINDS:
        raise BundleFailed("no_village", f"Gói không chứa lịch sử của thôn/tổ dân phố '{doc['village']}' từ khi "
                           "đăng ký.", where="village")
    whole = _bundled_heads(streams, events, doc["village"])
    heads = _check_heads(doc["heads"], log, checkpoint, whole) if "heads" in doc else None
    witnesses = _cosigners(doc["checkpoint"], log, streams, pinned, policy or bundled_policy)
    verdict = _check_verdict(doc["verdict"], events, doc["village"], as_of, doc.get("engine"))
    report = BundleReport(
        village=doc["village"], origin=checkpoint.origin, size=checkpoint.size, root=checkpoint.root_hash,
        entries=len(entries), streams=len(streams), village_events=sum(1 for e in events if e.stream == doc["village"]),
        witnesses=witnesses,
        sources={"log_key": log_source, "witness_keys": "given" if pinned else "bundle",
                 "root_key": "given" if root else "bundle", "policy": "given" if policy else "bundle"},
        verdict=verdict.derived, heads=heads, earlier=earlier, whole=whole,
        bundled_verdict=doc["verdict"] if verdict.differs else None, verdict_differs=verdict.differs,
        engine=verdict.engine,
    )
    _explain(report, entries[0], policy or bundled_policy, log)
    return report


def against_ledger(report: BundleReport, ledger: Ledger) -> tuple[int, list[str]]:
    """Hold a bundle that verified (``report``: ``verify_bundle``'s) up to a full copy of the ledger:
    the checkpoint's tree is the ledger's tree of that size, and every stream the bundle gives whole
    has as many entries, the same last one, in the ledger up to that size. What a reader without the
    ledger had to take on the log's word (a format-2 bundle's stream heads), or could not know at all
    (format 1), is so checked. Returns the streams compared and, in Vietnamese, each difference
    (none: it agrees)."""
    bundled, size, signed = report.whole, report.size, report.heads is not None
    have = ledger.log_size()
    if have < size:
        return len(bundled), [f"Sổ cái này có {have} mục, ít hơn checkpoint cỡ {size} của gói: không phải bản đầy đủ."]
    if ledger.root(size) != report.root:
        return len(bundled), [
            f"Gốc cây cỡ {size} của sổ cái này khác gốc trong checkpoint của gói: hai lịch sử khác nhau (nếu cả "
            "hai cùng có chữ ký của nhật ký, đó là bằng chứng nhật ký chia đôi lịch sử)."]
    leaves_of, differences = _stream_leaves(ledger), []
    for stream, (count, head) in sorted(bundled.items()):
        stored = [i for i in leaves_of(stream) if i < size]
        last = ledger.leaf(stored[-1]).hash if stored else None
        if len(stored) != count or last != head:
            differences.append(
                f"Chuỗi '{stream}': gói có {count} sự kiện đến checkpoint cỡ {size}, sổ cái có {len(stored)}"
                + (" — nhật ký đã ký xác nhận con số của gói, nên chữ ký ấy là bằng chứng nhật ký nói sai."
                   if signed else " — gói đã bỏ ra các sự kiện cuối của chuỗi."))
    return len(bundled), differences


def _explain(report: BundleReport, genesis: _Entry, policy: Policy, log: NoteVerifier) -> None:
    root_keys = [PublicKey.from_b64(k.public).key_id for k in _genesis_keys(genesis)]
    names = ", ".join(f"{w} ({KIND_NAMES_VI.get(k or '', k or '?')})" for w, k in sorted(report.witnesses.items()))
    report.proved += [
        f"Checkpoint cỡ {report.size} (gốc {report.root.hex()[:16]}…) có chữ ký hợp lệ của nhật ký "
        f"'{report.origin}' (khóa {log.key_id:08x}).",
        f"{len(report.witnesses)} nhân chứng đã ký checkpoint và thỏa chính sách ("
        + "; ".join(g.describe_vi() for g in policy.groups) + f"): {names}.",
        f"{report.entries} sự kiện: mã băm lá và bằng chứng bao hàm đều khớp gốc của checkpoint.",
        f"{report.entries} chữ ký phong bì hợp lệ; thẩm quyền của mọi cơ quan ký được dựng lại bằng "
        f"ledger.authority.admit theo thứ tự nhật ký, từ cơ quan gốc (khóa {', '.join(root_keys)}).",
        f"{report.streams} chuỗi nối liền từ sự kiện đầu tiên (liên kết prev); chuỗi của địa bàn "
        f"'{report.village}' có {report.village_events} sự kiện.",
    ]
    sources = report.sources
    if sources["log_key"] == "bundle":
        report.not_proved.append("Khóa nhật ký lấy từ chính gói (yếu hơn): chỉ chứng minh gói tự nhất quán. "
                                 "Hãy đối chiếu bằng --log-key với khóa do sổ cái công bố ('dantin log-key').")
    if sources["witness_keys"] == "bundle":
        report.not_proved.append("Khóa nhân chứng suy ra từ các sự kiện thẩm quyền trong gói (có gốc là cơ quan "
                                 "gốc của nhật ký), không phải khóa bạn tự giữ (--witness-key).")
    if sources["root_key"] == "bundle":
        report.not_proved.append("Khóa cơ quan gốc lấy từ sự kiện đầu tiên của nhật ký trong gói (--root-key để "
                                 "đối chiếu).")
    if sources["policy"] == "bundle":
        report.not_proved.append("Chính sách nhân chứng lấy từ chính gói.")
    if report.heads is None:
        report.not_proved.append(
            "Không chứng minh được rằng mỗi chuỗi trong gói không còn sự kiện nào sau sự kiện cuối được đưa vào "
            "(gói phiên bản 1, không có bản xác nhận số sự kiện của nhật ký): ví dụ một sự kiện của thôn hay một "
            "lần thu hồi khóa bị bỏ ra.")
    elif sources["log_key"] == "bundle":
        # The witnesses cosign the checkpoint's body, not the log's key: anyone can sign that body and
        # stream heads cutting a stream short with a key of their own and put it in the bundle.
        report.not_proved.append(
            f"Bản xác nhận số sự kiện của {report.heads} chuỗi có chữ ký của khóa nhật ký lấy từ chính gói: ai cũng "
            "có thể ký lại checkpoint (nhân chứng chỉ ký nội dung checkpoint, không ký khóa của nhật ký) và một bản "
            "xác nhận bỏ bớt sự kiện cuối của một chuỗi bằng khóa của riêng mình. Không chứng minh được gói có đủ "
            "các chuỗi: hãy kiểm lại với --log-key (khóa do sổ cái công bố) hoặc --ledger.")
    else:
        report.proved.append(
            f"Nhật ký (khóa {log.key_id:08x}) ký xác nhận số sự kiện của {report.heads} chuỗi đến checkpoint cỡ "
            f"{report.size} (của thôn, các cơ quan đã ký, những người được nhắc tới, các nhân chứng): gói có đủ, "
            "không sự kiện cuối nào bị bỏ ra.")
        report.not_proved.append(
            "Bản xác nhận số sự kiện của các chuỗi chỉ có chữ ký của nhật ký, không có nhân chứng: nếu nó sai, chính "
            "chữ ký ấy là bằng chứng. Đối chiếu với một bản sổ cái đầy đủ: 'dantin verify-bundle TỆP_GÓI --ledger "
            "THƯ_MỤC'.")
    report.not_proved.append(f"Các sự kiện ghi sau checkpoint cỡ {report.size} không nằm trong gói.")
    if report.earlier:
        report.not_proved.append(
            f"{len(report.earlier)} sự kiện được xét theo quy tắc có hiệu lực ngày nhân chứng ký checkpoint; một quy "
            "tắc áp dụng từ sau ngày đó không nhận chúng (dantin verify nêu chúng): " + "; ".join(report.earlier[:5])
            + (" …" if len(report.earlier) > 5 else ""))
    if report.verdict is None:
        report.not_proved.append("Gói không có kết luận (verdict) theo bộ quy tắc.")
        return
    v = report.verdict
    said = VERDICT_VI.get(str(v.get("verdict")), str(v.get("verdict")))
    rules = f"bộ quy tắc {', '.join(v.get('rulesets', []))}, {v.get('ruleset_digest')}"
    made_by = (f" (gói ghi bộ máy quy tắc {report.engine}, khác bộ máy của phiên bản này {engine_digest()}; "
               "trường này không có chữ ký)" if report.engine else "")
    if not report.verdict_differs:
        report.proved.append(f"Kết luận '{said}' ({v.get('verdict')}) ngày {v.get('as_of')} được dựng lại đúng như "
                             f"trong gói từ chính các sự kiện của gói ({rules}){made_by}.")
        return
    differ = "; ".join(report.verdict_differs[:8]) + (" …" if len(report.verdict_differs) > 8 else "")
    report.proved.append(f"Kết luận '{said}' ({v.get('verdict')}) ngày {v.get('as_of')} do phiên bản này dựng lại từ "
                         f"chính các sự kiện đã được chứng minh của gói ({rules}): đây là kết luận được nêu.")
    report.not_proved.append(
        f"Kết luận ghi trong gói khác kết luận dựng lại ở trên ({differ}): gói "
        + (f"ghi rằng nó do một bộ máy quy tắc khác lập ({report.engine})" if report.engine else
           "không ghi bộ máy quy tắc nào (gói phiên bản 1 hoặc 2)")
        + ". Phần kết luận và bộ máy ghi trong gói đều không có chữ ký, nên gói không chứng minh chúng: khác biệt có "
        "thể do quy tắc đã được sửa giữa hai phiên bản, hoặc do phần kết luận đã bị sửa; kết luận được nêu là kết luận "
        "dựng lại ở trên. Muốn xem kết luận của phiên bản đã lập gói, hãy kiểm bằng phiên bản ấy.")


def _genesis_keys(genesis: _Entry) -> list[Any]:
    facts = _envelope(genesis.obj).facts
    return list(facts.keys) if isinstance(facts, BodyEnrolled) else []


__all__ = ["BUNDLE_VERSION", "HEADS_HEADER", "HEADS_SINCE", "BundleFailed", "BundleReport", "Made", "NotABundle",
           "against_ledger", "heads_text", "make_bundle", "read_heads", "verify_bundle"]
