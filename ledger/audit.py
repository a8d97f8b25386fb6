"""``dantin verify``: re-derive everything from the stored rows alone, like an fsck.

For every row, in log (notification) order: the row decodes; the payload is the
canonical statement it claims to be; the row sits in the stream the statement belongs
to, at the next version, and links to the previous entry's hash; the signer had
authority for it as the ledger stood at that row (``authority.admit`` over a state
folded from the rows before it); the Ed25519 signature verifies, with the key the signer
held at that row. The main process reads the rows, checks each (``ledger.audit_rows``)
and folds authority; signatures are checked in worker processes on the other cores
(``ledger.sigpool``), and here too whenever more wait than the workers will soon take.

A damaged row is a finding, never a crash. The first finding names the event by stream,
version and log position.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from eventsourcing.persistence import ApplicationRecorder, Notification

from ledger.audit_rows import OPENED, Bad, Checked, check_row
from ledger.audit_sig import SigJob, verify_jobs
from ledger.authority import GENESIS, StreamState, admit_signed, evolve, open_state
from ledger.catalogue import stream_of
from ledger.correction import Earlier
from ledger.envelope import Envelope
from ledger.errors import CryptoError, Refused, StoreUnavailable
from ledger.gcpause import paused_gc
from ledger.merkle import CompactRange
from ledger.note import NoteVerifier, open_checkpoint
from ledger.outage import is_outage
from ledger.sealer import CheckpointRow, SealStore, state_leaf_hash
from ledger.signing import PublicKey
from ledger.sigpool import SigPool
from schemas.facts import BodyEnrolled

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
    "empty_ledger": "Sổ cái không có sự kiện nào",
    "root_key_mismatch": "Cơ quan gốc không dùng khóa gốc người kiểm tin",
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
    def __init__(self, streams: dict[str, StreamState], rows_by_leaf: dict[bytes, int]) -> None:
        #: ``View.stream``: the dict's own lookup (authority asks several times per row).
        self.stream: Callable[[str], StreamState | None] = streams.get
        self._by_leaf = rows_by_leaf
        #: Reads the row of a notification id again (None: it cannot be read); set by ``audit``.
        self.fetch: Callable[[int], Notification | None] | None = None

    def earlier(self, entry_hash: str, near: str) -> Earlier | None:
        """``View.earlier``: the row folded under that leaf hash, read again (``ledger.correction``:
        a correction's original is rare, each row's facts kept in memory would not be)."""
        nid = self._by_leaf.get(bytes.fromhex(entry_hash))
        row = self.fetch(nid) if nid is not None and self.fetch is not None else None
        if row is None:
            return None
        checked = check_row(row.topic, row.state)
        if isinstance(checked, Bad) or checked[2] != entry_hash:  # (altered since it was folded)
            return None
        st = checked[0].statement
        return Earlier(st.body, st.type, st.facts, st.place)


def _fetcher(recorder: ApplicationRecorder) -> Callable[[int], Notification | None]:
    """One row by notification id, for ``_FoldView.earlier`` (the library's read: not the pages'):
    None if it is not there or does not read, ``StoreUnavailable`` if the store is out of reach."""

    def fetch(nid: int) -> Notification | None:
        try:
            found = recorder.select_notifications(start=nid, limit=1)
        except Exception as exc:  # noqa: BLE001 - driver errors vary by backend
            _stop_if_outage(exc, nid)
            return None
        return found[0] if found and found[0].id == nid else None

    return fetch


def notification_pages(
    recorder: ApplicationRecorder, page: int = 2000, first: int | None = None
) -> Iterator[Sequence[Notification]]:
    """The log's rows in order, a page at a time (the first page ``first`` rows, if given)."""
    start, limit = 1, first or page
    while True:
        rows = recorder.select_notifications(start=start, limit=limit)
        if not rows:
            return
        yield rows
        start, limit = rows[-1].id + 1, page


def iter_notifications(recorder: ApplicationRecorder, page: int = 2000) -> Iterator[Notification]:
    for rows in notification_pages(recorder, page):
        yield from rows


#: Rows read per page.
PAGE = 2048
#: How signatures are handed to the workers (``_Handover``): chunks of ``chunk``, the first
#: ``RAMP`` big and doubling; the rows of the last ``TAIL_ROWS`` ids in chunks of ``TAIL_CHUNK``.
RAMP = 16
TAIL_ROWS = 1024
TAIL_CHUNK = 16
QUEUED = 4  # chunks left waiting for each worker at a hand-over; the rest are checked here
LOG_CHECK_PER_SIG = 50  # rows the log check goes through in the time of one signature


#: A row as the audit reads it: (notification id, stream, version, topic, state), the values
#: as stored (``select_log_rows``; a damaged row's may be of any type).
LogRow = tuple[Any, ...]


def _log_select(recorder: ApplicationRecorder) -> Callable[[int, int], Sequence[LogRow]]:
    """``select_log_rows`` of the ledger's recorders; any other recorder's notifications, taken apart."""
    select: Callable[[int, int], Sequence[LogRow]] | None = getattr(recorder, "select_log_rows", None)
    if select is not None:
        return select
    return lambda start, limit: [
        (n.id, n.originator_id, n.originator_version, n.topic, n.state)
        for n in recorder.select_notifications(start=start, limit=limit)
    ]


class _Cursor:
    """Where the reading of the log's rows has got to: the id the next page starts from, or
    None once the reading has had to stop short (the rest could not be read: reported)."""

    def __init__(self) -> None:
        self.next: int | None = 1


def _pages(
    recorder: ApplicationRecorder, report: AuditReport, page: int, first: int | None = None,
    rows: dict[int, tuple[str, int, bytes]] | None = None, *, start: int = 1, cursor: _Cursor | None = None,
    read_ahead: bool = True, stop: int | None = None,
) -> Generator[Sequence[LogRow], None, None]:
    """Pages of rows in log order from id ``start``, never a crash. A page the database driver
    cannot read (a value it cannot decode, say) is read again a row at a time, by the ids the
    ledger's recorders list (``select_log_ids``): each row it cannot read is a finding, named by
    its id and counted in its place (and, in ``rows``, kept as one that matches no leaf), and
    the rows after it are checked. A recorder that cannot list ids stops there, saying so.
    ``cursor`` follows where the reading has got to, unreadable rows included; ``stop``, the
    last id to read (None: up to the end, however far a ledger being written takes it)."""
    select = _log_select(recorder)
    ids_of: Callable[[int, int], list[int]] | None = getattr(recorder, "select_log_ids", None)
    ahead = _ReadAhead(select, page) if read_ahead and getattr(recorder, "READ_AHEAD", False) else None
    try:
        cursor = cursor or _Cursor()
        for found in _read_pages(select, ahead or select, ids_of, report, page, first or page, rows, cursor, start,
                                 stop):
            if stop is not None and found[-1][0] > stop:
                found = [row for row in found if row[0] <= stop]
                if found:
                    yield found
                cursor.next = stop + 1  # (the page read in order went past it: nothing before it is left)
                return
            yield found
    finally:
        if ahead is not None:
            ahead.close()


class _ReadAhead:
    """The log's next page read in a thread while this one is checked, for a recorder whose
    reads wait on a server (``READ_AHEAD``: PostgreSQL). The driver waits without the GIL, so
    the server's work and the round trip overlap the checks instead of stopping them: for
    each 2,048-row page, this process otherwise sat idle (54 ms of CPU in a 10,000-row audit
    on this machine's two cores, 4 % of it).

    Called as ``select``; what is asked is answered by the read made ahead if it is the same
    read, and the read after it is begun. A read that failed ahead fails here, as it would
    have. Only the main page reads go through it: a page read again row by row does not.
    """

    def __init__(self, select: Callable[[int, int], Sequence[LogRow]], page: int) -> None:
        self._select, self._page = select, page
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="dantin-read-ahead")
        self._next: tuple[int, int, Future[Sequence[LogRow]]] | None = None

    def __call__(self, start: int, limit: int) -> Sequence[LogRow]:
        ahead, self._next = self._next, None
        if ahead is not None and ahead[:2] == (start, limit):
            found = ahead[2].result()
        else:
            if ahead is not None:
                ahead[2].cancel()  # (if it has begun, it ends unread)
            found = self._select(start, limit)
        if found:
            nxt = (found[-1][0] + 1, self._page)
            self._next = (*nxt, self._thread.submit(self._select, *nxt))
        return found

    def close(self) -> None:
        self._thread.shutdown(wait=True, cancel_futures=True)


def _stop_if_outage(exc: Exception, done: int, what: str = "sự kiện") -> None:
    """Raise ``StoreUnavailable`` if ``exc`` says the store is out of reach (``ledger.outage``):
    rows not reached are not damaged rows, and an audit that could not read its ledger has
    found nothing. ``done``: how many ``what`` were read before."""
    if is_outage(exc):
        raise StoreUnavailable(
            f"Không đọc được kho dữ liệu khi đang kiểm (đã đọc {done} {what}): kết nối hoặc tệp "
            "không truy cập được. Sổ cái chưa được kiểm xong; hãy kiểm lại khi kho đọc được.",
            detail=f"{type(exc).__name__}: {exc}"[:300],
        ) from exc


def _read_pages(
    select: Callable[[int, int], Sequence[LogRow]], page_select: Callable[[int, int], Sequence[LogRow]],
    ids_of: Callable[[int, int], list[int]] | None, report: AuditReport, page: int, limit: int,
    rows: dict[int, tuple[str, int, bytes]] | None, cursor: _Cursor, start: int, stop: int | None = None,
) -> Iterator[Sequence[LogRow]]:
    """``_pages``' loop: pages through ``page_select``, a page it cannot read row by row through
    ``select`` (no further than id ``stop``: a row past it, unreadable, would be reported again
    by the read that goes on from there). An error that says the store is out of reach stops
    the audit (``is_outage``)."""
    while True:
        cursor.next = start
        try:
            found = page_select(start, limit)
        except Exception as exc:  # noqa: BLE001 - driver errors vary by backend; damage is a finding
            _stop_if_outage(exc, report.entries)
            try:
                ids = ids_of(start, limit) if ids_of is not None else None
            except Exception as exc_ids:  # noqa: BLE001 - then nothing more can be read
                _stop_if_outage(exc_ids, report.entries)
                ids = None
            if ids is None:
                report.findings.append(Finding(
                    report.entries, 0, "?", 0, "undecodable",
                    f"Kho dữ liệu không đọc được sau vị trí {report.entries}: bản ghi hỏng ở mức cơ sở dữ liệu.",
                    f"{type(exc).__name__}: {exc}"[:200],
                ))
                cursor.next = None
                return
            beyond = stop if stop is not None and ids and ids[-1] > stop else None
            if beyond is not None:
                ids = [nid for nid in ids if nid <= beyond]
            for nid in ids:
                try:
                    one = select(nid, 1)
                except Exception as exc_one:  # noqa: BLE001
                    _stop_if_outage(exc_one, report.entries)
                    report.findings.append(Finding(
                        report.entries, nid, "?", 0, "undecodable",
                        f"Bản ghi mã {nid} không đọc được: hỏng ở mức cơ sở dữ liệu.",
                        f"{type(exc_one).__name__}: {exc_one}"[:200],
                    ))
                    report.entries += 1
                    if rows is not None:
                        rows[nid] = ("?", -1, b"")
                    continue
                yield one
            if beyond is not None:
                cursor.next = beyond + 1
                return
            if not ids:
                return
            start, limit = ids[-1] + 1, page
            continue
        if not found:
            return
        yield found
        start, limit = found[-1][0] + 1, page


def audit(
    recorder: ApplicationRecorder,
    *,
    seal: SealStore | None = None,
    log: NoteVerifier | None = None,
    workers: int | None = None,
    progress: ProgressFn | None = None,
    chunk: int = 128,
    pool: SigPool | None = None,
    root_key: str | None = None,
) -> AuditReport:
    """Check every row (see the module docstring), with ``workers`` processes in all.

    ``root_key``: the root's public key (base64) the auditor trusts; the genesis row must enrol
    the root with it (``root_key_mismatch`` otherwise), as everything's authority comes from it.

    ``pool``: worker processes the caller started (``start_workers``), and closes; then
    ``workers`` is their number plus this process. ``dantin verify`` starts them before it
    opens the ledger, from the forkserver it started as it began: ready in a few ms, where
    the forkserver started only now would take 75-90 ms.

    This process reads the rows, checks each (``ledger.audit_rows``) and replays authority
    in log order; the signatures, each with the key the replay finds its signer held, go
    ``chunk`` at a time to ``workers - 1`` worker processes. Whenever more are waiting
    than the workers are about to take, this process takes the last ones back and checks
    them itself: so every process stays busy, and a slow start of the workers (spawn)
    costs no more than it must.

    A ledger may be written as it is audited. The rows read are those there were as the audit
    began, then, once the checkpoints and the leaves are read (in that order), those up to the
    last leaf's: every checkpoint read has its leaves and every leaf its row, since each batch
    commits its rows, leaves and checkpoint together (``docs/design/sealing.md``).
    """
    if pool is not None:
        workers = pool.size + 1
    workers = workers if workers is not None else (os.cpu_count() or 1)
    report = AuditReport()
    fold = _Fold(report, keep_leaves=seal is not None,
                 root_key=PublicKey.from_b64(root_key).b64 if root_key is not None else None)
    fold.view.fetch = _fetcher(recorder)
    handover: _Handover | None = None
    log_read: _LogRead | None = None
    # The fold only grows: collecting its young objects again and again is wasted work.
    with paused_gc():
        try:
            # PostgreSQL: the log's leaves and checkpoints are read in a thread while the last page
            # is checked (a wait of 13-25 ms for 10,000 leaves otherwise, the workers short of work).
            log_read = _LogRead(seal) if seal is not None else None
            ahead = log_read is not None and getattr(recorder, "READ_AHEAD", False)
            # The rows there were as the audit began (more are read after the log: below); all there
            # are, however many come, if their number could not be read.
            last_id = last_id_hint(recorder)
            if workers > 1 and last_id > PAGE:  # a ledger of one page is checked here alone: cheaper
                handover = _Handover(fold, pool or SigPool(workers - 1), workers - 1, chunk, last_id,
                                     log_rows=last_id if seal is not None else 0)
            size = handover.size if handover is not None else PAGE
            cursor = _Cursor()
            for page in _pages(recorder, report, PAGE, first=2 * chunk if handover else None, rows=fold.rows,
                               cursor=cursor, stop=last_id or None):
                if ahead and log_read is not None and page[-1][0] >= last_id - PAGE:
                    log_read.start()
                i = 0
                while i < len(page):
                    rows = page[i:i + size]
                    fold.replay(rows, progress)
                    i += size
                    if handover is None:
                        _verify_here(fold)
                        continue
                    handover.flush(rows[-1][0])
                    size = handover.size
            # The log check needs no signature: it runs while the workers work through their queue.
            if handover is not None:
                handover.flush(last_id, send_all=True)
            sealed_log: _SealedLog | None = None
            if log_read is not None:
                sealed_log = log_read.result()
                # Rows committed while the log was read, which its leaves may seal (a ledger being
                # written as it is audited): read now, up to the last leaf's, each leaf read has its row.
                stop = max((leaf[1] for leaf in sealed_log.leaves), default=0)
                if cursor.next is not None and cursor.next <= stop:
                    for page in _pages(recorder, report, PAGE, rows=fold.rows, start=cursor.next, read_ahead=False,
                                       stop=stop):
                        fold.replay(page, progress)
                        if handover is None:
                            _verify_here(fold)
                        else:
                            handover.flush(page[-1][0], send_all=True)
            report.streams = len(fold.streams)
            index_of: dict[int, int] = {}
            folded = len(report.findings)
            if sealed_log is not None:
                index_of = _check_log(report, fold.rows, sealed_log, log)
            logged = report.findings[folded:]  # reported after the fold's, as when checked last
            del report.findings[folded:]
            if handover is not None:
                handover.finish()
            else:
                _verify_here(fold)
            if index_of:  # signature findings settled after the log check: named by log index too
                report.findings[folded:] = _by_log_index(report.findings[folded:], index_of)
            report.findings.extend(logged)
            if progress is not None:
                progress(report.entries)
        finally:
            if log_read is not None:
                log_read.close()
            if handover is not None:
                if handover.pool is not pool:
                    handover.pool.close()
                else:  # the caller's, to close or use again: nothing left of this audit in it
                    for ticket in list(handover.sent):  # (only if it failed: else all are settled)
                        pool.forget(ticket)
    report.findings.sort(key=lambda f: (f.position, f.notification_id))
    return report


def last_id_hint(recorder: ApplicationRecorder) -> int:
    """The log's last notification id, for sizing the work (a progress bar, the hand-over);
    0 if it cannot be read for damage (the reads of the rows then report it as a finding),
    ``StoreUnavailable`` if the store is out of reach."""
    try:
        return recorder.max_notification_id() or 0
    except Exception as exc:  # noqa: BLE001 - driver errors vary by backend; damage is judged on the rows
        _stop_if_outage(exc, 0)
        return 0


def start_workers(workers: int | None = None, method: str | None = None) -> SigPool | None:
    """The worker processes of an ``audit`` with ``workers`` processes in all (default: one per
    core), started now (``method``: see ``SigPool``); None if that is this process alone.

    ``dantin verify`` starts them from the forkserver it started as it began
    (``ledger.sigpool.warm_forkserver``): a worker forked from this process instead shares its
    memory, and every page this process then writes to is copied first (~5,800 copy-on-write
    faults, 26-30 ms of system time in a 10,326-row audit; from the forkserver, ~360 and 8 ms:
    1 % of the audit).
    """
    workers = workers if workers is not None else (os.cpu_count() or 1)
    return SigPool(workers - 1, method) if workers > 1 else None


@contextmanager
def audit_workers(workers: int | None = None) -> Iterator[SigPool | None]:
    """``start_workers`` as ``dantin verify`` starts them: from the forkserver (forked from this
    process if there can be none), and closed on the way out."""
    try:
        pool = start_workers(workers, method="forkserver")
    except OSError:
        pool = start_workers(workers, method="fork")
    try:
        yield pool
    finally:
        if pool is not None:
            pool.close()


def _verify_here(fold: _Fold) -> None:
    """The signatures the fold has gathered, checked in this process."""
    fold.report.signatures_checked += len(fold.jobs)
    fold.record_sig_failures(verify_jobs(fold.jobs))
    fold.jobs = []


class _Handover:
    """The fold's signatures, handed to the workers in chunks, so that no process waits.

    Workers take chunks oldest first. At each hand-over this process takes back the newest
    of those no worker has started, beyond ``keep`` signatures per worker (``QUEUED`` chunks'
    worth), and checks them itself: the workers stay busy until the next hand-over, and this
    process never idles while signatures wait.

    - **Start:** the first chunk is ``RAMP`` signatures, each next one twice as big up to
      ``chunk``, handed over as soon as its rows are checked. The worker starts after a few
      rows, not after a page (reading and checking 2,048 rows left it idle for 3 % of a
      10,000-row audit) or a whole chunk (a third of that).
    - **End:** the rows of the last ``TAIL_ROWS`` ids go in chunks of ``TAIL_CHUNK``. At the
      end one process waits for the other's last chunk: 7-11 ms of a 10,000-row audit for a
      chunk of 128. And from ``2 * cover`` rows before the end, ``keep`` grows by ``cover``
      signatures, the work of the log check (``LOG_CHECK_PER_SIG`` rows a signature), which
      this process does after the last row while the workers work through their queue.
    """

    def __init__(self, fold: _Fold, pool: SigPool, workers: int, chunk: int, last_id: int, log_rows: int) -> None:
        self.fold, self.pool, self.workers, self.chunk = fold, pool, workers, chunk
        self.size = min(RAMP, chunk)
        #: Chunks sent to the workers and not yet answered: ticket -> the positions of their rows.
        self.sent: dict[int, list[int]] = {}
        self.keep = QUEUED * chunk  # (set again at each hand-over)
        self.cover = log_rows // LOG_CHECK_PER_SIG
        self.tail_from = last_id - TAIL_ROWS
        self.cover_from = last_id - 2 * self.cover

    def settle(self, ticket: int, verdicts: list[bool]) -> None:
        positions = self.sent.pop(ticket)
        self.fold.record_sig_failures([p for p, ok in zip(positions, verdicts, strict=True) if not ok])

    def flush(self, last_id: int, send_all: bool = False, final: bool = False) -> None:
        """Hand over the signatures gathered from rows up to id ``last_id``; settle the answers
        in; take back the newest chunks beyond what the workers are to keep (all, if ``final``)."""
        fold, pool, sent = self.fold, self.pool, self.sent
        if last_id >= self.tail_from:
            self.chunk = min(self.chunk, TAIL_CHUNK)
        self.keep = QUEUED * self.chunk + (self.cover if last_id >= self.cover_from else 0)
        while len(fold.jobs) >= self.size or (send_all and fold.jobs):
            batch, fold.jobs = fold.jobs[:self.size], fold.jobs[self.size:]
            self.size = min(2 * self.size, self.chunk)
            fold.report.signatures_checked += len(batch)
            sent[pool.send([(public, preimage, sig) for _p, public, preimage, sig in batch])] = [j[0] for j in batch]
        self.size = min(self.size, self.chunk)
        pool.drain()
        for ticket in [t for t in sent if pool.done(t)]:  # answered: let go of their pre-images
            self.settle(ticket, pool.collect(ticket))
        waiting = [t for t in sent if not pool.started(t)]
        kept, queued = 0, 0
        if not final:
            for ticket in waiting:
                if queued >= self.keep * self.workers:
                    break
                queued += len(sent[ticket])
                kept += 1
        for ticket in reversed(waiting[kept:]):
            verdicts = pool.take_back(ticket)
            if verdicts is None:
                break  # a worker took it meanwhile, and so every one before it
            self.settle(ticket, verdicts)

    def finish(self) -> None:
        """Every signature checked: the rest taken back, or the workers' answers awaited."""
        self.flush(0, send_all=True, final=True)
        for ticket in list(self.sent):
            self.settle(ticket, self.pool.collect(ticket))


class _Fold:
    """The sequential half: each row against the ledger as it stood just before it."""

    def __init__(self, report: AuditReport, *, keep_leaves: bool, root_key: str | None = None) -> None:
        self.report = report
        #: The root's public key (base64) the auditor trusts: the genesis must enrol the root with it.
        self.root_key = root_key
        self.streams: dict[str, StreamState] = {}
        self.versions: dict[str, int] = {}
        #: Every folded row's leaf hash -> its notification id: where a correction's original is.
        self.by_leaf: dict[bytes, int] = {}
        self.view = _FoldView(self.streams, self.by_leaf)
        #: notification id -> (stream, version, leaf hash), for the log check.
        self.rows: dict[int, tuple[str, int, bytes]] = {}
        self.keep_leaves = keep_leaves
        #: Signatures to check, and where each row is.
        self.jobs: list[SigJob] = []
        self.where: dict[int, tuple[int, str, int]] = {}

    def finding(self, at: tuple[int, str, int], position: int, code: str, message: str, detail: str = "") -> None:
        nid, stream, version = at
        self.report.findings.append(Finding(position, nid, stream, _version(version), code, message, detail))

    def record_sig_failures(self, failed: list[int]) -> None:
        for position in failed:
            nid, stream, version = self.where[position]
            self.report.findings.append(
                Finding(position, nid, stream, version, "bad_signature",
                        "Chữ ký không khớp với nội dung đã lưu: nội dung hoặc chữ ký đã bị sửa.",
                        "Ed25519 verification failed")
            )

    def replay(self, rows: Sequence[LogRow], progress: ProgressFn | None) -> None:
        report, row, keep, leaves = self.report, self.row, self.keep_leaves, self.rows
        position = report.entries
        for nid, stream_id, version, topic, state in rows:
            report.entries = position + 1
            stream_id = str(stream_id)
            leaf = row(nid, stream_id, version, topic, position, check_row(topic, state))
            if keep:
                # The leaf hash of a readable row was computed by the check; hash the raw row otherwise.
                leaves[nid] = (stream_id, version if type(version) is int else -1, leaf or state_leaf_hash(state))
            if progress is not None and position % 500 == 0:
                progress(position)
            position += 1

    def row(self, nid: int, stream_id: str, version: int, topic: str, position: int,
            checked: Checked) -> bytes | None:
        if isinstance(checked, Bad):
            self.finding((nid, stream_id, version), position, checked.code, checked.message, checked.detail)
            return None
        env, prev, leaf_hex = checked
        streams, view, versions = self.streams, self.view, self.versions
        expected_version = versions.get(stream_id, 0) + 1
        if version != expected_version or (topic == OPENED) != (version == 1):
            self.finding((nid, stream_id, version), position, "stream_gap",
                         f"Chuỗi '{stream_id}': gặp phiên bản {version}, "
                         f"lẽ ra là {expected_version} — có sự kiện bị xóa, chèn hoặc đổi chỗ.",
                         f"expected version {expected_version}")
        # (A version that is no number, from a damaged row, is reported above and counted as expected.)
        versions[stream_id] = version if type(version) is int else expected_version
        current = streams.get(stream_id)
        head = current.head if current is not None else GENESIS
        if prev != head:
            self.finding((nid, stream_id, version), position, "broken_link",
                         f"Chuỗi '{stream_id}' phiên bản {version}: liên kết tới sự kiện trước "
                         "không khớp — sự kiện trước đã bị sửa, xóa hoặc đổi chỗ.",
                         f"prev {prev[:16]}… != {head[:16]}…")
        st = env.statement
        genesis = position == 0
        if genesis and self.root_key is not None:
            keys = env.facts.keys if isinstance(env.facts, BodyEnrolled) else []
            # Signed by it (its signature checked below): any genesis may name the key beside its own.
            if self.root_key not in [k.public for k in keys] or env.keyid != PublicKey.from_b64(self.root_key).key_id:
                self.finding((nid, stream_id, version), position, "root_key_mismatch",
                             "Cơ quan gốc của sổ cái không dùng khóa gốc bạn tin (--root-key): mọi thẩm quyền trong "
                             "sổ cái này bắt nguồn từ một khóa khác.", "genesis not signed by the given root key")
        refused: Refused | None = None
        try:
            # Past the genesis row ``admit`` answers with ``stream_of``'s very call.
            belongs, signed_by = admit_signed(env, view, check_signature=False, genesis=genesis)
            public: bytes | None = signed_by.raw
        except Refused as exc:
            refused = exc
            belongs = ""
            public = _signing_key(env, view, genesis)  # the signature is checked all the same
        if genesis or refused is not None:
            belongs = stream_of(st.type, st.place, st.body, st.facts)
        if belongs != stream_id:
            self.finding((nid, stream_id, version), position, "wrong_stream",
                         f"Sự kiện thuộc chuỗi '{belongs}' nhưng được lưu trong chuỗi '{stream_id}'.",
                         f"belongs to {belongs}")
        if refused is not None:
            since = refused.rule_since
            said = (f"Sự kiện không theo quy tắc áp dụng từ {since} (có thể được ghi bởi phiên bản "
                    f"trước ngày đó, khi quy tắc chưa có): {refused.message_vi}" if since else
                    f"Sự kiện lẽ ra đã bị từ chối khi ghi: {refused.message_vi}")
            self.finding((nid, stream_id, version), position, refused.code, said, refused.detail)
        if public is not None:
            self.where[position] = (nid, stream_id, version if type(version) is int else -1)  # (as _version)
            self.jobs.append((position, public, env.preimage(), env.sig))
        if current is None:
            current = streams[stream_id] = open_state(stream_id)
        try:
            evolve(current, env, leaf_hex)
        except CryptoError:
            current.head = leaf_hex  # an unusable key was already reported above
        leaf = bytes.fromhex(leaf_hex)
        self.by_leaf[leaf] = nid
        return leaf


#: A leaf as ``verify`` reads it: (leaf index, notification id, stream, version, hash).
StoredLeaf = tuple[int, int, str, int, bytes]


class _SealedLog(NamedTuple):
    """The log as ``_read_log`` read it: its checkpoints, then its leaves."""

    #: (size, root, note) rows, by size.
    checkpoints: list[tuple[Any, ...]]
    #: What the driver said if the checkpoints could not be read (a finding), else "".
    checkpoints_unreadable: str
    leaves: list[StoredLeaf]
    #: Positions in ``leaves`` of leaves that cannot be used, and what the driver said.
    misread: list[int]
    leaves_unreadable: str


def _read_log(seal: SealStore) -> _SealedLog:
    """The checkpoints, then the leaves: in that order, since a checkpoint commits with the
    leaves it covers, and leaves with their rows. So every checkpoint read has its leaves among
    those read after it, as every leaf has its row among the rows read after it (``audit``
    reads the rows again from where it had got to, once this is read)."""
    try:
        checkpoints, unreadable = seal.select_checkpoint_rows(), ""
    except Exception as exc:  # noqa: BLE001 - a value the driver cannot decode: a finding, like the log's
        _stop_if_outage(exc, 0, "checkpoint")
        checkpoints, unreadable = [], f"{type(exc).__name__}: {str(exc)[:120]}"
    leaves, misread, refused = _stored_leaves(seal)
    return _SealedLog(list(checkpoints), unreadable, leaves, misread, refused)


class _LogRead:
    """``_read_log``, in a thread once ``start``ed (for a recorder whose reads wait on a
    server), else in the caller's when its ``result`` is asked for."""

    def __init__(self, seal: SealStore) -> None:
        self._seal = seal
        self._thread: ThreadPoolExecutor | None = None
        self._future: Future[_SealedLog] | None = None

    def start(self) -> None:
        if self._future is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="dantin-log-read")
            self._future = self._thread.submit(_read_log, self._seal)

    def result(self) -> _SealedLog:
        return self._future.result() if self._future is not None else _read_log(self._seal)

    def close(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=True, cancel_futures=True)


def _check_log(
    report: AuditReport, rows: dict[int, tuple[str, int, bytes]], sealed: _SealedLog, log: NoteVerifier | None
) -> dict[int, int]:
    """Every sealed leaf has its row, unchanged; no row hides between leaves; every
    checkpoint is signed by the log key and its root is recomputed from the leaves.
    Returns each sealed row's log index, by notification id."""
    leaves, misread, unreadable = sealed.leaves, sealed.misread, sealed.leaves_unreadable
    report.sealed = len(leaves)
    index_of = {nid: index for index, nid, _s, _v, _h in leaves}
    # Name fold findings by log index (a deleted row would shift row counting).
    report.findings = _by_log_index(report.findings, index_of)
    last_sealed = leaves[-1][1] if leaves else 0

    def add(position: int, nid: int, stream: str, version: int, code: str, message: str) -> None:
        report.findings.append(Finding(position, nid, stream, version, code, message))

    for i in misread:
        index, nid, stream, version, _h = leaves[i]
        add(i, nid, stream, version, "log_damaged",
            f"Bảng lá Merkle bị hỏng: lá ở vị trí {i} có giá trị sai kiểu hoặc không đọc được"
            + (f" ({unreadable})." if unreadable and nid == -1 and not stream else "."))
    get, unusable = rows.get, set(misread)
    for i, (index, nid, stream, version, h) in enumerate(leaves):  # unpacked: a leaf is a tuple
        if i in unusable:
            continue  # reported above
        row = get(nid)
        if index != i:
            add(i, nid, stream, version, "log_damaged", f"Bảng lá Merkle bị hỏng: thiếu lá ở vị trí {i}.")
        elif row is None:
            add(i, nid, stream, version, "missing_row",
                f"Sự kiện '{stream}' phiên bản {version} đã được niêm phong ở vị trí {i} "
                "nhưng không còn trong kho: đã bị xóa.")
        elif row[2] != h or row[1] != version or row[0] != stream:
            add(i, nid, stream, version, "leaf_mismatch",
                f"Sự kiện ở vị trí {i} khác với bản đã niêm phong trong cây Merkle: đã bị sửa.")
    for nid, (stream, version, _h) in rows.items():
        if nid not in index_of and nid < last_sealed:
            add(report.sealed, nid, stream, version, "unsealed_row",
                f"Sự kiện '{stream}' phiên bản {version} không có trong cây Merkle dù nằm giữa các "
                "sự kiện đã niêm phong: đã bị chèn thêm.")
    report.unsealed = sum(1 for nid in rows if nid > last_sealed)
    checkpoints = sealed.checkpoints
    if sealed.checkpoints_unreadable:
        add(0, 0, "", 0, "bad_checkpoint", "Bảng checkpoint không đọc được: bản ghi hỏng ở mức cơ sở dữ liệu "
            f"({sealed.checkpoints_unreadable}).")
    rng = CompactRange()  # roots only: ``extend``
    for size, root, note in checkpoints:
        cp = CheckpointRow(size, root, note)
        where = max(cp.size - 1, 0)
        # The checkpoint's last event (or, beyond the leaves, the last there is).
        _index, nid, stream, version, _h = leaves[min(where, len(leaves) - 1)] if leaves else (0, 0, "", 0, b"")
        if not (type(root) is bytes and type(note) is str):
            add(where, nid, stream, version,
                "bad_checkpoint", f"Checkpoint cỡ {size} hỏng: giá trị sai kiểu, không đọc được.")
            continue
        if size < 0:  # (the key is an integer, but nothing stops a hand from making it negative)
            add(0, nid, stream, version, "bad_checkpoint", f"Checkpoint có cỡ âm ({size}): bảng checkpoint bị hỏng.")
            continue
        if where >= len(leaves):
            nid, stream, version = 0, "", 0
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
        rng.extend([leaf[4] for leaf in leaves[rng.size:cp.size]])
        if rng.root() != cp.root:
            add(where, nid, stream, version, "checkpoint_mismatch",
                f"Gốc Merkle tính lại ở cỡ {cp.size} khác với checkpoint đã ký: lịch sử đã bị viết lại.")
    report.checkpoints = len(checkpoints)
    return index_of


def _stored_leaves(seal: SealStore, page: int = 5000) -> tuple[list[StoredLeaf], list[int], str]:
    """The leaves in index order; the positions of those that cannot be used: a value of the
    wrong type (SQLite keeps any value in any column but the index), or one the driver cannot
    read at all (text that is not UTF-8, say: then the page is read again a leaf at a time,
    to find it); and what the driver said, if it refused. A leaf that cannot be used is kept,
    as one that matches no row and hashes to nothing, so the rest of the log is still checked."""
    leaves: list[StoredLeaf] = []
    misread: list[int] = []
    refused = ""
    start, careful_until = 0, -1  # below ``careful_until``, a leaf at a time
    while True:
        try:
            rows = seal.select_leaf_rows(start, 1 if start < careful_until else page)
        except Exception as exc:  # noqa: BLE001 - driver errors vary by backend; damage is a finding
            _stop_if_outage(exc, len(leaves), "lá Merkle")
            refused = refused or f"{type(exc).__name__}: {str(exc)[:120]}"
            if start >= careful_until:  # read this page again, a leaf at a time
                try:
                    careful_until = min(start + page, seal.sealed_size())
                except Exception as exc_size:  # noqa: BLE001 - nothing more can be read
                    _stop_if_outage(exc_size, len(leaves), "lá Merkle")
                    return leaves, misread, refused
                continue
            misread.append(len(leaves))  # this one leaf cannot be read (a leaf deleted there reads as one)
            leaves.append((start, -1, "", -1, b""))
            start += 1
            continue
        if not rows:
            return leaves, misread, refused
        start = rows[-1][0] + 1  # the index is the table's integer key: after a gap, no leaf read twice
        for row in rows:
            index, nid, stream, version, h = row
            if type(nid) is int and type(stream) is str and type(version) is int and type(h) is bytes:
                leaves.append(row)  # (its types just checked)
                continue
            misread.append(len(leaves))
            leaves.append((index, nid if type(nid) is int else -1, stream if type(stream) is str else repr(stream),
                           _version(version), b""))


def _version(version: object) -> int:
    """A version as findings name it: a damaged row's version of another type is named -1."""
    return version if type(version) is int else -1


def _by_log_index(findings: list[Finding], index_of: dict[int, int]) -> list[Finding]:
    """The findings, each named by its row's log index where the row is sealed."""
    return [replace(f, position=index_of.get(f.notification_id, f.position)) for f in findings]


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
