"""Worker processes that end with the process that started them.

A pool's forked workers inherit both ends of its queue pipes, so when their parent is
killed (SIGKILL, OOM) they never see end-of-file and would live on as orphans holding the
parent's files and sockets (found by the crash test). Each worker watches its parent and
exits when it changes. A forkserver's worker watches the forkserver, which ends when the
process that started it does.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)  # the parent is gone: nobody will read our results


def die_with_parent(parent: int) -> None:
    """Start the thread that ends this worker when its parent ends.

    ``parent`` is the process that made the worker: its parent (fork, spawn), or the parent
    of its forkserver; if that is gone already, the worker ends now.
    """
    watched = os.getppid()
    if watched != parent and not _alive(parent):
        os._exit(0)
    threading.Thread(target=_watch, args=(watched,), daemon=True, name="watch-parent").start()


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs. A zombie does not: a parent killed just before its worker looked
    stays one until its own parent reaps it, and taken for alive it left the worker watching
    its new parent, init, for ever (an orphan found after a crash test's SIGKILL)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by another user
        pass
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            state = stat.read().rpartition(")")[2].split()[:1]
    except OSError:  # no /proc (not Linux), or gone meanwhile: as ``kill`` said
        return True
    return state not in (["Z"], ["X"])


def pool(workers: int, method: str) -> ProcessPoolExecutor:
    """A process pool (``fork`` or ``spawn``) whose workers exit when this process dies."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context(method),
                               initializer=die_with_parent, initargs=(os.getpid(),))
