"""The signature workers (``ledger.sigpool``): fed by the caller, never a chunk twice, never a wrong answer."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger import sigpool
from ledger.preverify import CHUNK, Job, Preverifier
from ledger.signing import SigningKey
from ledger.sigpool import Item, SigPool


def _items(count: int, bad: set[int], key: SigningKey | None = None) -> list[Item]:
    key = key or SigningKey.generate()
    out = []
    for i in range(count):
        message = b"statement %d" % i
        sig = key.sign(message)
        if i in bad:
            sig = bytes([sig[0] ^ 1]) + sig[1:]
        out.append((key.public.raw, message, sig))
    return out


@pytest.fixture(params=["fork", "spawn"])
def pool(request: pytest.FixtureRequest) -> Iterator[SigPool]:
    p = SigPool(1, request.param)
    yield p
    p.close()


def test_a_worker_starts_a_chunk_while_the_sender_stays_busy_in_python(pool: SigPool) -> None:
    first = pool.send(_items(1, set()))
    while not pool.started(first):
        time.sleep(0.01)  # until the worker is up (spawn takes a while)
    taken_back = pool.taken_back
    ticket = pool.send(_items(50, {7}))
    deadline = time.perf_counter() + 5
    spins = 0
    while not pool.started(ticket) and time.perf_counter() < deadline:
        spins += 1  # pure Python: this thread never waits, never sleeps
    assert pool.started(ticket), "no worker took the chunk while the sender computed"
    verdicts = pool.collect(ticket)
    assert verdicts == [i != 7 for i in range(50)]
    assert pool.taken_back == taken_back


def test_chunks_no_worker_has_started_are_verified_here_with_the_same_answers(pool: SigPool) -> None:
    pool.collect(pool.send(_items(1, set())))
    busy = pool.send(_items(2500, set()))  # occupies the only worker for a good while
    tickets = [pool.send(_items(40, {3, 37})) for _ in range(6)]
    answers = [pool.collect(t) for t in reversed(tickets)]
    assert pool.taken_back >= 1
    assert all(a == [i not in {3, 37} for i in range(40)] for a in answers)
    assert all(pool.collect(busy))


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_an_idle_worker_stops_polling_and_sleeps(pool: SigPool) -> None:
    """Workers poll for their next chunk only briefly: an idle server does not keep a core busy."""
    assert pool.collect(pool.send(_items(3, {1}))) == [True, False, True]
    pid = pool._workers[0].process.pid
    assert pid is not None
    time.sleep(sigpool.WORKER_SPIN_S + 0.2)
    before = _cpu_seconds(pid)
    time.sleep(1.0)
    assert _cpu_seconds(pid) - before < 0.1  # polling without end would have used about 1 s
    assert pool.collect(pool.send(_items(2, {0}))) == [False, True]  # and still wakes for work


def test_a_full_pipe_never_blocks_the_sender(pool: SigPool) -> None:
    key = SigningKey.generate()
    busy = pool.send(_items(4000, set(), key))  # the worker reads this, then is busy for a while
    big = [(key.public.raw, b"x" * 60_000 + b"%d" % i, key.sign(b"x" * 60_000 + b"%d" % i)) for i in range(8)]
    start = time.perf_counter()
    tickets = [pool.send(big) for _ in range(8)]  # ~3.8 MB, beyond the 1 MiB pipe
    assert time.perf_counter() - start < 0.3  # the worker was not waited for
    assert not all(pool._owner.get(t) for t in tickets)  # some were kept here
    assert all(all(pool.collect(t)) for t in tickets)
    assert all(pool.collect(busy))


def test_the_pipe_is_measured_only_when_it_could_be_full(pool: SigPool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Asking the kernel how full a pipe is costs a system call per hand-over: it is asked only
    when what the worker may not have read yet leaves too little room; once it has read, chunks
    go to it again."""
    measured: list[int] = []
    real = sigpool._unread

    def unread(conn: Any) -> int:
        measured.append(real(conn))
        return measured[-1]

    monkeypatch.setattr(sigpool, "_unread", unread)
    for _ in range(100):
        assert pool.collect(pool.send(_items(2, {1}))) == [True, False]
    assert measured == []
    key = SigningKey.generate()
    big = [(key.public.raw, b"y" * 100_000 + b"%d" % i, key.sign(b"y" * 100_000 + b"%d" % i)) for i in range(4)]
    tickets = [pool.send(big) for _ in range(4)]  # 1.6 MB: the pipe's 1 MiB cannot be known to have room
    assert measured
    assert all(all(pool.collect(t)) for t in tickets)
    deadline, handed = time.perf_counter() + 10, False
    while not handed and time.perf_counter() < deadline:
        ticket = pool.send(_items(1, set()))
        handed = pool._owner.get(ticket) is not None
        assert pool.collect(ticket) == [True]
        time.sleep(0 if handed else 0.05)
    assert handed, "the worker got no chunk again once its pipe had been read"


def test_a_killed_worker_costs_speed_not_answers() -> None:
    pool = SigPool(1, "fork")
    try:
        pool.collect(pool.send(_items(1, set())))
        tickets = [pool.send(_items(300, {i})) for i in range(4)]
        os.kill(pool._workers[0].process.pid, signal.SIGKILL)  # type: ignore[arg-type]
        pool._workers[0].process.join(5)
        for i, t in enumerate(tickets):
            assert pool.collect(t) == [j != i for j in range(300)]
        later = pool.send(_items(10, {9}))  # no live worker: verified here when collected
        assert pool.collect(later) == [True] * 9 + [False]
    finally:
        pool.close()


def test_a_ticket_reusing_a_forgotten_chunks_slot_gets_its_own_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sigpool, "SLOTS", 3)  # forked workers inherit it: slots are reused every 3 tickets
    pool = SigPool(1, "fork")
    try:
        key = SigningKey.generate()
        sent = []
        for n in range(30):
            bad = {n % 5}
            sent.append((pool.send(_items(5, bad, key)), bad))
            if n % 3 == 1:
                pool.forget(sent.pop()[0])  # a batch that failed: its slot is offered again soon
        for ticket, bad in sent:
            assert pool.collect(ticket) == [i not in bad for i in range(5)]
    finally:
        pool.close()


def test_the_preverifier_vouches_for_good_signatures_only() -> None:
    verifier = Preverifier(workers=1)
    try:
        key = SigningKey.generate()
        items = _items(100, {3, 77}, key)
        jobs: list[Job] = [((f"h{i}", sig, public), message) for i, (public, message, sig) in enumerate(items)]
        good, bad = verifier.settle([verifier.send(jobs[i:i + CHUNK]) for i in range(0, len(jobs), CHUNK)])
        assert bad == {jobs[3][0], jobs[77][0]}
        assert good == {j[0] for j in jobs} - bad
    finally:
        verifier.close()


_OWNER = """
import sys, threading, time
from ledger.sigpool import SigPool
from ledger.signing import SigningKey
if __name__ == "__main__":
    if sys.argv[1] == "forkserver":
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()  # as in a server
    pool = SigPool(1)
    key = SigningKey.generate()
    ticket = pool.send([(key.public.raw, b"m", key.sign(b"m"))])
    while not pool.started(ticket):
        time.sleep(0.01)
    print(pool._workers[0].process.pid, flush=True)
    time.sleep(60)
"""


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_workers_end_when_the_process_that_started_them_is_killed(method: str, tmp_path: Any) -> None:
    import subprocess
    import sys

    script = tmp_path / "owner.py"
    script.write_text(_OWNER)
    env = {**os.environ, "PYTHONPATH": str(Path(sigpool.__file__).parents[1])}
    owner = subprocess.Popen([sys.executable, str(script), method], stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert owner.stdout is not None
        worker = int(owner.stdout.readline())
        assert sigpool.start_method() == "fork" or method == "forkserver"
        owner.kill()
        owner.wait(10)
        deadline = time.monotonic() + 10
        while _exists(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _exists(worker), f"worker {worker} outlived the process that started it"
    finally:
        owner.kill()


def _exists(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


_SLOW_MAIN = """
import sys, time
time.sleep(4)  # a main module that is slow to import: a CLI, a server, a benchmark
from ledger.sigpool import SigPool
from ledger.signing import SigningKey

if __name__ == "__main__":
    key = SigningKey.generate()
    item = (key.public.raw, b"m", key.sign(b"m"))
    pool = SigPool(1, sys.argv[1])
    start = time.perf_counter()
    ticket = pool.send([item])
    while not pool.started(ticket) and time.perf_counter() - start < 30:
        time.sleep(0.005)
    print(round(time.perf_counter() - start, 3), pool.collect(ticket), flush=True)
    pool.close()
    print(sys.modules["__main__"].__file__ == __file__)
"""


@pytest.mark.parametrize("method", ["forkserver", "spawn"])
def test_a_worker_does_not_import_its_owners_main_module_again(method: str, tmp_path: Any) -> None:
    """forkserver and spawn children set up ``__main__`` as the parent's, importing it again (the
    ``dantin`` script with all it imports: ~0.3 s of each worker's CPU before its first signature);
    a signature worker needs none of it, and the owner keeps its own ``__main__``."""
    import subprocess
    import sys

    script = tmp_path / "slow_main.py"
    script.write_text(_SLOW_MAIN)
    env = {**os.environ, "PYTHONPATH": str(Path(sigpool.__file__).parents[1])}
    out = subprocess.run([sys.executable, str(script), method], capture_output=True, env=env, text=True,
                         timeout=60, check=True).stdout.split("\n")
    started_after, verdict = out[0].split(" ", 1)
    assert verdict == "[True]"
    assert float(started_after) < 3, f"the worker started after {started_after} s: it imported the main module"
    assert out[1] == "True"


def test_messages_arrive_whole_however_the_pipe_splits_or_joins_them() -> None:
    """The pipes carry length-prefixed messages: one read may hold several, or part of one."""
    import struct
    import threading
    from multiprocessing import Pipe

    reader, writer = Pipe(duplex=False)
    frames = sigpool._Frames(reader)
    assert not frames.ready()  # nothing written yet, and the writer is still there
    messages = [b"", b"a", b"x" * 70_000, bytes(range(256)) * 3]
    stream = b"".join(struct.pack("<I", len(m)) + m for m in messages)

    def dribble() -> None:  # in pieces that cut through the length prefixes and the bodies
        for at in range(0, len(stream), 4097):
            os.write(writer.fileno(), stream[at:at + 4097])
            time.sleep(0.001)
        sigpool._send(writer, b"last")
        writer.close()

    thread = threading.Thread(target=dribble)
    thread.start()
    got = [frames.next(0.0005) for _ in range(len(messages) + 1)]
    thread.join()
    assert got == [*messages, b"last"]
    assert frames.ready()  # the writer has gone: reading would not wait
    with pytest.raises(EOFError):
        frames.next(0.0005)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_closing_does_not_wait_for_the_workers_yet_none_outlives_it() -> None:
    """``close`` returns at once; an idle worker exits on its own, a busy one is stopped."""
    key = SigningKey.generate()
    for busy in (False, True):
        pool = SigPool(1, "fork")
        pool.collect(pool.send(_items(1, set(), key)))
        if busy:
            ticket = pool.send(_items(3000, set(), key))  # a third of a second of work
            while not pool.started(ticket):
                time.sleep(0.001)
        pid = pool._workers[0].process.pid
        assert pid is not None
        start = time.perf_counter()
        pool.close()
        assert time.perf_counter() - start < 0.05
        deadline = time.monotonic() + 0.2  # well before the busy worker's chunk would be done
        while _exists(pid) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert not _exists(pid), f"worker {pid} still running after close (busy: {busy})"


_CLOSE_AT_ONCE = """
import gc, sys, threading, time
from ledger.sigpool import SigPool
from ledger.signing import SigningKey
if __name__ == "__main__":
    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()  # as in a server: forkserver
    key = SigningKey.generate()
    item = (key.public.raw, b"m", key.sign(b"m"))
    for _ in range(int(sys.argv[1])):
        pool = SigPool(3)
        assert pool.collect(pool.send([item] * 8)) == [True] * 8
        pool.close()  # while some of its workers may still be starting
        del pool
        gc.collect()
    time.sleep(1)
    print("done", flush=True)
"""


def test_a_pool_closed_while_its_workers_start_leaves_them_nothing_to_trip_on(tmp_path: Any) -> None:
    """Closing does not wait for the workers; what a starting forkserver worker still has to
    open (the claims lock) must outlive the pool, or the worker dies with a traceback."""
    import subprocess
    import sys

    script = tmp_path / "close_at_once.py"
    script.write_text(_CLOSE_AT_ONCE)
    env = {**os.environ, "PYTHONPATH": str(Path(sigpool.__file__).parents[1])}
    done = subprocess.run([sys.executable, str(script), "15"], capture_output=True, env=env, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "done"
    assert "Traceback" not in done.stderr, done.stderr[-2000:]


def test_a_claims_lock_whose_holder_died_in_it_stalls_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed from outside while it held the claims lock never releases it: the
    caller then takes each chunk for itself after ``LOCK_WAIT`` and answers it right, rather
    than waiting for ever; closing the pool does not hang either."""
    monkeypatch.setattr(sigpool, "LOCK_WAIT", 0.2)  # forked workers inherit it
    pool = SigPool(1, "fork")
    try:
        assert pool.collect(pool.send(_items(2, {0}))) == [False, True]
        assert pool._lock.acquire(timeout=5)  # held for ever, as by a process killed inside it
        start = time.perf_counter()
        tickets = [pool.send(_items(20, {i})) for i in range(3)]
        assert [pool.collect(t) for t in tickets] == [[j != i for j in range(20)] for i in range(3)]
        assert time.perf_counter() - start < 5
    finally:
        start = time.perf_counter()
        pool.close()
        assert time.perf_counter() - start < 2


_ORPHAN = r"""
import os, sys, time
from ledger.workers import die_with_parent
parent = os.getpid()
child = os.fork()
if child:
    os._exit(0)  # the parent ends at once; its own parent (the test) reaps it only later: a zombie
while os.getppid() == parent:  # the worker starts watching only once its parent is gone
    time.sleep(0.01)
print(os.getpid(), flush=True)
die_with_parent(parent)
time.sleep(30)  # (a worker left watching its new parent would still be here)
"""


def test_a_worker_whose_parent_died_before_it_looked_ends() -> None:
    """A worker that calls ``die_with_parent`` after its parent was killed ends at once, even while
    the dead parent is still a zombie (not yet reaped), instead of watching init for ever."""
    import subprocess
    import sys
    import time

    proc = subprocess.Popen([sys.executable, "-c", _ORPHAN], stdout=subprocess.PIPE, text=True,
                            cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    try:
        assert proc.stdout is not None
        worker = int(proc.stdout.readline())
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and os.path.exists(f"/proc/{worker}"):
            time.sleep(0.05)
        assert not os.path.exists(f"/proc/{worker}"), "the orphaned worker is still running"
    finally:
        proc.wait(10)  # (the parent, a zombie until now)


def test_the_forkserver_is_spawned_ignoring_ctrl_c() -> None:
    """A Ctrl-C to the whole process group while the forkserver still imports printed its
    traceback beside the command's answer; it is spawned ignoring it (as it does once started),
    and the command itself still gets it."""
    import subprocess
    import sys

    script = ("import multiprocessing.forkserver as f, signal\n"
              "from ledger.sigpool import warm_forkserver\n"
              "warm_forkserver()\n"
              "pid = f._forkserver._forkserver_pid\n"
              "ignored = next(int(l.split()[1], 16) for l in open(f'/proc/{pid}/status') if l.startswith('SigIgn'))\n"
              "print(bool(ignored & (1 << (signal.SIGINT - 1))), signal.getsignal(signal.SIGINT) is signal.default_int_handler)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[2], check=True).stdout.split()
    assert out == ["True", "True"]


def test_close_waits_for_workers_still_starting_so_none_finds_the_lock_gone() -> None:
    """A ``forkserver`` worker unpickles the claims lock (a named semaphore this process unlinks as it
    exits). ``dantin verify`` of an emptied ledger closed its pool and exited within milliseconds, and
    a worker still starting printed ``FileNotFoundError`` with its traceback on the terminal (5 of
    40 runs on a loaded machine; 0 of 80 after). So ``close`` returns only once each worker has said it
    started, and a killed one is not waited for."""
    pool = SigPool(2, "forkserver")
    workers = list(pool._workers)
    pool.close()
    assert all(w.started for w in workers)
    killed = SigPool(1, "forkserver")
    (worker,) = killed._workers
    worker.process.kill()
    worker.process.join()
    started = time.monotonic()
    killed.close()
    assert time.monotonic() - started < 1.0
