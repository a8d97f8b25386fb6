"""The writer's stream cache and its directory of stream ids (``ledger.streams``).

The directory lets a long-running writer know a stream is absent without a query. It must
never call absent a stream that exists at the cache's position: not one this writer created
and then dropped from its bounded cache, not one another writer created.
"""

from __future__ import annotations

from typing import Any

from ledger.streams import DIRECTORY_AFTER, StreamCache


class Log:
    """A fake store: which streams exist, and the queries the cache made of it."""

    def __init__(self, *ids: str) -> None:
        self.streams: dict[str, Any] = {i: object() for i in ids}
        self.loads: list[list[str]] = []
        self.listings = 0

    def load(self, ids: list[str]) -> dict[str, Any]:
        self.loads.append(ids)
        return {i: self.streams[i] for i in ids if i in self.streams}

    def list_ids(self) -> list[str]:
        self.listings += 1
        return list(self.streams)


def warm(cache: StreamCache, log: Log) -> None:
    """Make the cache ask often enough that it reads the directory on its next miss."""
    for n in range(DIRECTORY_AFTER):
        cache.prefetch([f"warm:{n}"])
    log.loads.clear()


def test_a_one_shot_writer_queries_and_never_reads_the_directory() -> None:
    log = Log("person:a")
    cache = StreamCache(log.load, directory=log.list_ids)
    cache.prefetch(["person:a", "person:new"])
    assert cache.get("person:a") is log.streams["person:a"] and cache.get("person:new") is None
    assert log.loads == [["person:a", "person:new"]] and log.listings == 0


def test_after_many_misses_new_streams_cost_no_query() -> None:
    log = Log("person:a", "place:x")
    cache = StreamCache(log.load, directory=log.list_ids)
    warm(cache, log)
    cache.prefetch(["person:new1", "person:new2", "person:a"])
    assert log.listings == 1
    assert log.loads == [["person:a"]]  # only the id the directory holds is loaded
    assert cache.get("person:new1") is None and cache.get("person:a") is log.streams["person:a"]


def test_a_stream_this_writer_stored_is_found_after_leaving_the_bounded_cache() -> None:
    log = Log()
    cache = StreamCache(log.load, maxsize=1, directory=log.list_ids)
    warm(cache, log)
    cache.prefetch(["person:first"])  # reads the directory: the stream does not exist yet
    first, second = object(), object()
    log.streams.update({"person:first": first, "person:second": second})
    cache.stored({"person:first": first}, position=1)
    cache.stored({"person:second": second}, position=2)  # maxsize 1: "person:first" leaves the cache
    assert cache.get("person:first") is first  # queried, not assumed absent
    assert log.loads[-1] == ["person:first"]


def test_streams_other_writers_created_are_queried_and_unknown_moves_drop_the_directory() -> None:
    log = Log()
    cache = StreamCache(log.load, directory=log.list_ids)
    warm(cache, log)
    cache.prefetch(["person:b"])
    assert cache.get("person:b") is None and log.listings == 1
    log.streams["person:b"] = object()
    cache.moved(5, ["person:b"])  # another writer created it
    assert cache.get("person:b") is log.streams["person:b"]
    log.streams["person:c"] = object()
    cache.moved(9, None)  # others wrote, we do not know what: the directory is read again
    assert cache.get("person:c") is log.streams["person:c"]
    cache.prefetch(["person:d"])
    assert log.listings == 2
