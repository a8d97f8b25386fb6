"""Signature checks on other cores, handed over by the thread that has them.

``concurrent.futures.ProcessPoolExecutor`` moves work to its processes through two helper
threads (its manager, and its call queue's feeder), and each step they take needs the GIL.
While this process is busy in Python (judging a batch, checking rows) each step waits out
the switch interval, then waits again for the next: timed on 500-envelope batches, the
worker got its first chunk only when the writer stopped to wait for the answers, 40 to
100 ms late, and so sat idle through all the judging it was meant to overlap.

Here no other thread is involved. The caller writes each chunk straight into a worker's
pipe (``send``) and reads the answers itself when it needs them (``collect``). Whoever
starts a chunk first claims it in a table shared with the workers, under a lock: a worker,
or this process taking it back because the workers are behind (``collect`` of a chunk no
worker has started verifies it here). So no chunk is verified twice, and none waits for a
busy worker while this process idles. A worker that dies costs nothing but speed: its
chunks are verified here.
"""

from __future__ import annotations

import array
import contextlib
import ctypes
import fcntl
import os
import select
import signal
import struct
import sys
import termios
import threading
import time
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing import forkserver, get_context
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from ledger.signing import verify_batch
from ledger.workers import die_with_parent

#: (raw public key, message, signature): what ``verify_batch`` checks.
Item = tuple[bytes, bytes, bytes]

#: Claim table size. A ticket's slot is ``ticket % SLOTS``; its cell holds ``3 * ticket + state``,
#: so a worker reading a chunk long since taken back finds another ticket's value and skips it.
SLOTS = 4096
_OFFERED, _WORKER, _HERE = 0, 1, 2
#: Answers a worker may owe before ``send`` waits for one: its answer pipe can never fill.
MAX_OWED = 256
PIPE_BYTES = 1 << 20  # Linux lets a pipe grow to 1 MiB unprivileged: a whole batch fits
#: How long an idle worker keeps looking for its next chunk before it sleeps in ``read``, and
#: how long the caller looks for an answer before it sleeps. Waking a sleeping process costs
#: the waker an interrupt to the other core (about 20 µs to write one message to a sleeping
#: worker here, under 1 µs to a polling one) and the sleeper starts tens of µs late: for
#: one-by-one submissions, a few hundred µs apart, that was most of what the worker saved.
#: Polling yields the core to anything else runnable, and stops after this long.
WORKER_SPIN_S = 0.002
CALLER_SPIN_S = 0.0005


class _Frames:
    """Length-prefixed messages read from a pipe's non-blocking end, without ``multiprocessing``'s
    ``poll`` (a selector built per call: about 6 µs here, 30 µs when the other core has just
    written) and ``recv_bytes`` (two reads and a buffer object per message)."""

    __slots__ = ("_buf", "_fd", "_held", "_poll")

    def __init__(self, conn: Connection) -> None:
        self._fd = conn.fileno()
        self._held = array.array("i", [0])  # FIONREAD's answer
        os.set_blocking(self._fd, False)
        self._buf = bytearray()
        self._poll = select.poll()
        self._poll.register(self._fd, select.POLLIN)

    def _end(self) -> int:
        """Where the first buffered message ends, if it is all there; else 0."""
        buf = self._buf
        if len(buf) < _LEN.size:
            return 0
        end = _LEN.size + _LEN.unpack_from(buf)[0]
        return end if len(buf) >= end else 0

    def _pop(self) -> bytes | None:
        end = self._end()
        if not end:
            return None
        message = bytes(self._buf[_LEN.size:end])
        del self._buf[:end]
        return message

    def _read(self) -> bytes | None:
        """What the pipe holds now: None if nothing yet, ``b""`` once the writer has gone.

        Exactly as many bytes as the pipe holds are asked for. ``os.read`` allocates the size
        asked before it reads, and shrinks it after: asking for the pipe's whole capacity
        (1 MiB) cost 15 µs to read a 136-byte answer and 74 µs to read a 100 KB chunk, against
        1 and 18 µs. (Nothing held reads one byte: ``b""`` at end of file, else none, or one
        that has just arrived, which is buffered like any other.)
        """
        try:
            return os.read(self._fd, _held(self._fd, self._held) or 1)
        except BlockingIOError:
            return None

    def _fill(self) -> bool:
        """Buffer what the pipe holds now; False once the writer has gone (EOF)."""
        data = self._read()
        if data:
            self._buf += data
        return data != b""

    def ready(self) -> bool:
        """Whether a whole message can be had without waiting (or the writer has gone)."""
        return bool(self._end()) or not self._fill() or bool(self._end())

    def next(self, spin: float) -> bytes:
        """The next message: looked for for ``spin`` seconds without sleeping, then waited for.

        Raises EOFError when the writer has gone with no whole message left.
        """
        if not self._buf:  # the usual case: nothing buffered, and one whole message in the pipe
            data = self._read()
            if data == b"":
                raise EOFError
            if data:
                if len(data) >= _LEN.size and _LEN.size + _LEN.unpack_from(data)[0] == len(data):
                    return data[_LEN.size:]
                self._buf += data
        until = 0.0
        while True:
            message = self._pop()
            if message is not None:
                return message
            if not self._fill():
                raise EOFError
            if self._end():
                continue
            now = time.perf_counter()
            if not until:
                until = now + spin
            if now < until:
                os.sched_yield()
            else:
                self._poll.poll()  # sleep until there is data, or the writer's end closes


def _send(conn: Connection, message: bytes) -> None:
    """Write one framed message to a pipe's blocking end (whole, if the pipe has room for it)."""
    data = memoryview(_LEN.pack(len(message)) + message)
    fd = conn.fileno()
    while data:
        data = data[os.write(fd, data):]


def _widen(conn: Connection) -> int:
    """Grow the pipe to ``PIPE_BYTES`` where allowed; the capacity it has (0: unknown)."""
    try:
        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        return int(fcntl.fcntl(conn.fileno(), fcntl.F_GETPIPE_SZ))
    except (OSError, AttributeError):  # not Linux, or capped lower
        return 0


def _unread(conn: Connection) -> int:
    """Bytes written to the pipe that its reader has not read yet."""
    return _held(conn.fileno())


def _held(fd: int, buf: array.array[int] | None = None) -> int:
    """The bytes the pipe ``fd`` holds (FIONREAD), asked into ``buf`` if given (one ``i``)."""
    buf = buf if buf is not None else array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, buf, True)
    return buf[0]


_LEN = struct.Struct("<I")  # a message's length, before it in the pipe
_HEAD = struct.Struct("<QI")  # ticket, item count
#: A worker's first message: it has started (``SigPool.close``). Shorter than any answer.
_HELLO = b"\x01"
#: Seconds ``close`` waits, at most, for workers still starting (see ``SigPool.close``).
START_WAIT = 5.0
_SIZES = struct.Struct("<III")  # one item's field lengths


def _pack(ticket: int, items: Sequence[Item]) -> bytes:
    """A chunk as one message: a plain framing of bytes (no pickle crosses the pipes)."""
    parts = [_HEAD.pack(ticket, len(items))]
    for public, message, sig in items:
        parts += (_SIZES.pack(len(public), len(message), len(sig)), public, message, sig)
    return b"".join(parts)


def _unpack(data: bytes) -> tuple[int, list[Item]]:
    ticket, count = _HEAD.unpack_from(data)
    at = _HEAD.size
    items = []
    for _ in range(count):
        a, b, c = _SIZES.unpack_from(data, at)
        at += _SIZES.size
        items.append((data[at:at + a], data[at + a:at + a + b], data[at + a + b:at + a + b + c]))
        at += a + b + c
    return ticket, items


#: Seconds to wait for the claims lock. It is held for a few instructions at a time; a wait
#: this long means its holder was killed inside it (from outside: ``kill -9``), and nobody
#: will ever release it.
LOCK_WAIT = 1.0


def _claim(claims: Any, lock: Any, ticket: int, state: int) -> bool:
    """Move the chunk from offered to ``state`` (a worker's, or here); whether this call did.

    A claim never goes back to offered, so a chunk seen claimed needs no lock. If the lock
    cannot be had (its holder died in it), a worker leaves the chunk and the caller takes it
    for itself: at worst a chunk is then verified twice, with the same answers, never left.
    """
    slot, offered = ticket % SLOTS, 3 * ticket + _OFFERED
    if claims[slot] != offered:
        return False
    if not lock.acquire(timeout=LOCK_WAIT):
        return state == _HERE
    try:
        if claims[slot] != offered:
            return False
        claims[slot] = offered + state
        return True
    finally:
        lock.release()


def _serve(jobs: Connection, answers: Connection, claims: Any, lock: Any, parent: int) -> None:
    """A worker: claim each chunk that nobody has started, verify it, answer (ticket, verdicts)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    die_with_parent(parent)
    with contextlib.suppress(OSError):  # started: its arguments (the claims lock among them) are its own now
        _send(answers, _HELLO)
    frames = _Frames(jobs)
    while True:
        try:
            message = frames.next(WORKER_SPIN_S)
        except (EOFError, OSError):
            message = b""
        if not message:  # told to stop, or the pool is gone: nothing to flush or clean up, so
            os._exit(0)  # no interpreter teardown (10-15 ms the pool's ``close`` would wait for)
        ticket, count = _HEAD.unpack_from(message)
        if _claim(claims, lock, ticket, _WORKER):  # claimed first: a chunk taken back is not unpacked
            try:
                _send(answers, _HEAD.pack(ticket, count) + bytes(verify_batch(_unpack(message)[1])))
            except OSError:  # the pool has closed: nobody wants the answer
                os._exit(0)


_MAIN_SWAP = threading.Lock()

#: Closed pools whose workers may not have exited yet: (processes, claims, lock). The lock's
#: semaphore and the claims are unlinked when the pool is collected, and a ``forkserver`` or
#: ``spawn`` worker still starting would then fail to open them; so they are kept until every
#: worker has an exit code (asking for it also reaps a forked one), checked at each new pool.
_RETIRED: list[tuple[list[BaseProcess], Any, Any]] = []


def _prune_retired() -> None:
    _RETIRED[:] = [r for r in _RETIRED if any(p.exitcode is None for p in r[0])]


@contextlib.contextmanager
def _bare_main(method: str) -> Iterator[None]:
    """While a ``forkserver`` or ``spawn`` worker is started, ``__main__`` is an empty module.

    Such a child sets up ``__main__`` as its parent's before it runs anything (multiprocessing's
    ``prepare``): it imports the parent's main module again, the ``dantin`` script, a server or a
    benchmark, with everything they import. Measured here: 290-350 ms of the worker's CPU before
    its first signature, on every pool (a third of a 10,000-row ``verify``). A worker runs
    ``_serve`` and needs nothing from ``__main__``, so the child is given none. The swap lasts
    only while the child is launched (a few ms: the forkserver is started before it, see
    ``SigPool``), under a lock; other threads could see the empty module meanwhile, and
    dantin's own ``__main__`` (the ``dantin`` script, ``uvicorn``) defines nothing they use.
    """
    if method == "fork":  # a forked child has its parent's modules already
        yield
        return
    with _MAIN_SWAP:
        main = sys.modules.get("__main__")
        try:
            sys.modules["__main__"] = types.ModuleType("__main__")
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main
            else:
                sys.modules.pop("__main__", None)


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    jobs: Connection
    answers: Connection
    capacity: int  # of the jobs pipe, in bytes; 0: unknown (sends may then block)
    frames: _Frames  # the answers, as they arrive
    owed: set[int] = field(default_factory=set)
    alive: bool = True
    #: Its first message (``_HELLO``) read: past unpickling its arguments.
    started: bool = False
    #: At least the bytes in the jobs pipe: as last asked of the kernel, plus those written since.
    unread: int = 0

    def has_room(self, size: int) -> bool:
        """Whether a message of ``size`` bytes fits in the jobs pipe now (a send would not block).

        The kernel is asked (a system call, 4 µs of a one-by-one submission's hand-over) only
        when what may still be unread leaves too little room: the worker reads, never writes, it.
        """
        if not self.capacity:
            return True
        need = size + _LEN.size + 16
        if self.unread + need <= self.capacity:
            return True
        self.unread = _unread(self.jobs)
        return self.unread + need <= self.capacity


def warm_forkserver() -> None:
    """Start the forkserver now, if it is not running, without waiting for it.

    It is a fresh interpreter that imports ``ledger.sigpool`` (80-90 ms here); the first pool
    waits for that, later ones fork a worker in a few ms. Started when a command begins, it is
    ready by the time the command's own imports are done.
    """
    ctx: Any = get_context("forkserver")
    ctx.set_forkserver_preload(["ledger.sigpool"])
    # Spawned ignoring Ctrl-C, as it ignores it once started (and as its workers do): a Ctrl-C
    # during its imports would otherwise print its traceback beside the command's own answer.
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        forkserver.ensure_running()  # (returns once the server process is spawned, before its imports)
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)


def start_method() -> str:
    """``fork`` in a process with no other thread; else ``forkserver``.

    A worker forked from a process with threads could inherit a lock another thread held,
    and inherits the process's database sockets (which would keep the server's sessions open
    if this process died: found by the SIGKILL test). The forkserver is a clean process,
    started once (like ``spawn``, a fresh interpreter: 80-90 ms, ``warm_forkserver``), that
    forks each later worker in milliseconds, with ``ledger.sigpool`` already imported.
    """
    return "fork" if threading.active_count() == 1 else "forkserver"


class SigPool:
    """``workers`` processes verifying chunks of signatures (``fork``, ``forkserver`` or ``spawn``)."""

    def __init__(self, workers: int, method: str | None = None) -> None:
        _prune_retired()
        method = method or start_method()
        ctx: Any = get_context(method)
        if method == "forkserver":
            warm_forkserver()  # its start happens outside ``_bare_main``'s swap
        self._claims: Any = ctx.RawArray(ctypes.c_longlong, SLOTS)
        self._lock: Any = ctx.Lock()
        self._workers: list[_Worker] = []
        self._items: dict[int, Sequence[Item]] = {}  # unsettled tickets: kept to verify here if need be
        self._owner: dict[int, _Worker] = {}
        self._answers: dict[int, bytes] = {}
        self._settled: dict[int, list[bool]] = {}  # collected early, to free their slot
        self._next = 1
        #: Chunks this process verified itself because no worker had started them.
        self.taken_back = 0
        for _ in range(workers):
            jobs_r, jobs_w = ctx.Pipe(duplex=False)
            answers_r, answers_w = ctx.Pipe(duplex=False)
            capacity = _widen(jobs_w)
            process = ctx.Process(target=_serve, args=(jobs_r, answers_w, self._claims, self._lock, os.getpid()),
                                  daemon=True, name="dantin-sigcheck")
            with _bare_main(method):
                process.start()
            jobs_r.close()
            answers_w.close()
            self._workers.append(_Worker(process, jobs_w, answers_r, capacity, _Frames(answers_r)))

    @property
    def size(self) -> int:
        """The number of worker processes started, any that died since included (none, once closed)."""
        return len(self._workers)

    def send(self, items: Sequence[Item]) -> int:
        """Hand a chunk to the least busy worker now; its ticket, for ``collect``.

        A chunk that no worker's pipe has room for (workers still starting, or far behind) is
        kept here, and verified here when collected: a full pipe never blocks the sender.
        """
        ticket = self._next
        self._next += 1
        if ticket - SLOTS in self._items:  # the slot's last chunk is unsettled: settle it before reusing
            self._settled[ticket - SLOTS] = self.collect(ticket - SLOTS)
        self._items[ticket] = items
        # Offered without the lock: the slot's last ticket is settled (claimed by now), so nobody
        # writes this cell until a worker has read this chunk, which is sent below.
        self._claims[ticket % SLOTS] = 3 * ticket + _OFFERED
        self.drain()
        message = _pack(ticket, items)
        workers = self._workers if len(self._workers) == 1 else sorted(self._workers, key=lambda w: len(w.owed))
        for worker in workers:
            while len(worker.owed) >= MAX_OWED:
                self._receive(worker)
            if not worker.alive or not worker.has_room(len(message)):
                continue
            try:
                _send(worker.jobs, message)
            except OSError:
                self._lost(worker)
                continue
            worker.unread += _LEN.size + len(message)
            worker.owed.add(ticket)
            self._owner[ticket] = worker
            break
        return ticket

    def started(self, ticket: int) -> bool:
        """Whether a worker has claimed the chunk (or ``collect`` has settled it)."""
        return ticket not in self._items or self._claims[ticket % SLOTS] != 3 * ticket + _OFFERED

    def done(self, ticket: int) -> bool:
        """Whether ``collect`` would answer without verifying or waiting (as of the last ``drain``)."""
        return ticket in self._answers or ticket in self._settled

    def take_back(self, ticket: int) -> list[bool] | None:
        """The chunk's verdicts, verified here, if no worker has started it; else None."""
        if ticket in self._settled or not self._take_back(ticket):
            return None
        worker = self._owner.pop(ticket, None)
        if worker is not None:
            worker.owed.discard(ticket)
        self.taken_back += 1
        return verify_batch(self._items.pop(ticket))

    def collect(self, ticket: int) -> list[bool]:
        """The chunk's verdicts: verified here if no worker has started it, else the worker's answer."""
        if ticket in self._settled:
            return self._settled.pop(ticket)
        here = self.take_back(ticket)
        if here is not None:
            return here
        worker = self._owner.pop(ticket, None)
        while ticket not in self._answers and worker is not None and worker.alive:
            self._receive(worker)
        items = self._items.pop(ticket)
        answer = self._answers.pop(ticket, None)
        return [b == 1 for b in answer] if answer is not None else verify_batch(items)

    def forget(self, ticket: int) -> None:
        """Drop a chunk whose answer is no longer wanted (its batch failed): skipped, or its answer dropped."""
        self._settled.pop(ticket, None)
        if self._items.pop(ticket, None) is None:
            return  # collected already: nothing is owed or kept
        worker = self._owner.pop(ticket, None)
        if self._take_back(ticket) and worker is not None:
            worker.owed.discard(ticket)
        self._answers.pop(ticket, None)

    def close(self) -> None:
        """Stop the workers, without waiting for them to exit.

        Every chunk not started yet is claimed here first, so a worker skips what is queued
        for it without taking the lock. An idle worker exits on the stop message; one still
        owing answers is working on a chunk nobody wants now, and is terminated (never while a
        sibling could still need the lock it might hold: nothing is left to claim). Neither is
        waited for: a forked worker's exit takes 2-10 ms (it unmaps its copy of this process's
        memory), which a ``verify`` would spend idle. They are reaped by the next pool
        (``_RETIRED``), by ``multiprocessing`` when it next starts a process, or at exit.

        A worker still starting is waited for (at most ``START_WAIT``), until it says it has started
        (``_HELLO``): a ``forkserver`` or ``spawn`` worker unpickles the claims lock, a named
        semaphore that this process unlinks as it exits; a ``verify`` over in milliseconds (a
        small or emptied ledger) left a worker failing to find it, and its traceback on the
        terminal (seen 5 times in 40 runs on a loaded machine).
        """
        self._await_start()
        if self._lock.acquire(timeout=LOCK_WAIT):  # (a worker killed from outside holding it never lets go)
            try:
                for ticket in self._items:
                    if self._claims[ticket % SLOTS] == 3 * ticket + _OFFERED:
                        self._claims[ticket % SLOTS] = 3 * ticket + _HERE
            finally:
                self._lock.release()
        for worker in self._workers:
            with contextlib.suppress(OSError):
                _send(worker.jobs, b"")
            worker.jobs.close()
            worker.answers.close()
            if worker.owed and worker.alive and worker.process.is_alive():
                worker.process.terminate()
        if self._workers:
            _RETIRED.append(([w.process for w in self._workers], self._claims, self._lock))
        self._workers = []
        self._items.clear()

    def _await_start(self) -> None:
        until = time.monotonic() + START_WAIT
        for worker in self._workers:
            while not worker.started and worker.alive and time.monotonic() < until:
                if worker.frames.ready():
                    self._receive(worker)
                elif worker.process.is_alive():
                    time.sleep(0.001)
                else:
                    break  # died before it could say so (killed from outside): nothing to wait for

    def _take_back(self, ticket: int) -> bool:
        return _claim(self._claims, self._lock, ticket, _HERE)

    def drain(self) -> None:
        """Read every answer the workers have sent, without waiting for more."""
        for worker in self._workers:
            while worker.alive and worker.owed and worker.frames.ready():
                self._receive(worker)

    def _receive(self, worker: _Worker) -> None:
        try:
            answer = worker.frames.next(CALLER_SPIN_S)
        except (EOFError, OSError):
            self._lost(worker)
            return
        if len(answer) < _HEAD.size:  # _HELLO
            worker.started = True
            return
        ticket, _count = _HEAD.unpack_from(answer)
        verdicts = answer[_HEAD.size:]
        worker.owed.discard(ticket)
        if ticket in self._items:
            self._answers[ticket] = verdicts

    def _lost(self, worker: _Worker) -> None:
        """A dead worker: what it owed is verified here when collected."""
        worker.alive = False
        for ticket in worker.owed:
            self._owner.pop(ticket, None)
            # No lock: a claimed cell is written by nobody else (claims never go back to offered),
            # and a worker that died may have died holding it.
            if self._claims[ticket % SLOTS] == 3 * ticket + _WORKER:
                self._claims[ticket % SLOTS] = 3 * ticket + _HERE
        worker.owed.clear()
