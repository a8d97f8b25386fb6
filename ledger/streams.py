"""The writer's view of the streams: a cache that is exact at a known log position.

Every insert is serialised (the library's insert lock) and checked, inside its
transaction, against the log position the writer judged at (``expected_head`` on the
storage adapter; a mismatch raises :class:`~ledger.sealer.HeadMoved`). So a cache that
remembers which position it reflects is never silently stale: before judging, the writer
compares the log's head with that position and evicts exactly the streams other writers
touched since; if one commits in between, the insert fails and the batch is judged again.
That makes authority decisions exact across processes (a key revoked by another server
process is seen before the next acceptance) without a database query per stream lookup.
Absent streams are remembered too, so a new stream costs no query once prefetched.

A writer that keeps asking for streams it has never seen (a server taking new people and
places) loads, once, the *directory*: every stream id in the log. An id missing from it is
certainly absent at the cache's position — the log is append-only, so a directory read at
or after that position can only hold more ids, never fewer — and a new stream then costs no
query at all. Streams created since (by this writer or, as ``moved`` reports them, by
others) are added; when others' writes are unknown, the directory is dropped and read again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping

from ledger.stream import Stream

#: Loads streams by id in as few queries as the storage allows; absent ids are left out.
Loader = Callable[[list[str]], Mapping[str, Stream]]
#: Every stream id in the log (at least those that exist at the caller's position).
Directory = Callable[[], Iterable[str]]

#: Prefetch queries a writer makes before it reads the directory instead (one-shot writers,
#: such as a ``dantin submit`` of a few envelopes, never pay for it).
DIRECTORY_AFTER = 32


class StreamCache:
    def __init__(self, load: Loader, maxsize: int = 100_000, directory: Directory | None = None) -> None:
        self._load = load
        self._maxsize = maxsize
        self._streams: OrderedDict[str, Stream] = OrderedDict()
        self._absent: set[str] = set()
        self._list_ids = directory
        self._directory: set[str] | None = None  # a superset of the streams at ``position``
        self._queries = 0
        #: The log position (notification id) the cache reflects.
        self.position = -1

    def prefetch(self, ids: Iterable[str]) -> None:
        missing = [i for i in dict.fromkeys(ids) if i not in self._streams and i not in self._absent]
        if not missing:
            return
        if self._directory is None and self._list_ids is not None and self._queries >= DIRECTORY_AFTER:
            self._directory = set(self._list_ids())
        if self._directory is not None:
            known = self._directory
            self._absent.update(i for i in missing if i not in known)
            missing = [i for i in missing if i in known]
            if not missing:
                return
        self._queries += 1
        found = self._load(missing)
        for i in missing:
            if i in found:
                self._put(i, found[i])
            else:
                self._absent.add(i)

    def peek(self, stream_id: str) -> Stream | None:
        """The stream if it is held here; never reads the database."""
        return self._streams.get(stream_id)

    def get(self, stream_id: str) -> Stream | None:
        stream = self._streams.get(stream_id)
        if stream is not None:
            self._streams.move_to_end(stream_id)
            return stream
        if stream_id in self._absent:
            return None
        self.prefetch([stream_id])
        return self._streams.get(stream_id)

    def stored(self, streams: Mapping[str, Stream], position: int) -> None:
        """Streams this writer has just committed, as of ``position``."""
        for stream_id, stream in streams.items():
            self._absent.discard(stream_id)
            self._put(stream_id, stream)
        if self._directory is not None:
            self._directory.update(streams)
        self.position = position

    def moved(self, position: int, touched: Iterable[str] | None) -> None:
        """Others wrote up to ``position``, touching ``touched`` (None: unknown, forget all)."""
        if touched is None:
            self.clear()
            self._directory = None  # read again when next needed
        else:
            touched = list(touched)
            self.evict(touched)
            if self._directory is not None:
                self._directory.update(touched)
        self.position = position

    def evict(self, ids: Iterable[str]) -> None:
        for i in ids:
            self._streams.pop(i, None)
            self._absent.discard(i)

    def clear(self) -> None:
        self._streams.clear()
        self._absent.clear()

    def _put(self, stream_id: str, stream: Stream) -> None:
        self._streams[stream_id] = stream
        self._streams.move_to_end(stream_id)
        while len(self._streams) > self._maxsize:
            self._streams.popitem(last=False)
        if len(self._absent) > self._maxsize:
            self._absent.clear()
