"""Two writers on one ledger (two server processes, say) judge with each other's writes.

Each writer caches streams as of a log position; before judging it catches up with what
the other wrote, and its insert is refused by the database if the other wrote in between
(then the batch is judged again). So a key revoked through one writer signs nothing
accepted through the other afterwards.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Backend, World

import ledger.streams
from ledger.errors import Refused


@pytest.fixture(autouse=True, params=["queried", "directory"])
def stream_lookup(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test twice: new streams found absent by a query, and by the writer's directory of
    stream ids (``ledger.streams``), which a long-running writer loads and must keep exact."""
    if request.param == "directory":
        monkeypatch.setattr(ledger.streams, "DIRECTORY_AFTER", 0)
    return str(request.param)


def _profile(world: World, person: str) -> dict[str, Any]:
    return world.sign(world.cell, "person.profiled", world.lang_ma, {"person": person, "name": "Đinh Văn A"})


def _revocation(world: World) -> dict[str, Any]:
    return world.sign(world.root, "key.revoked", world.lang_ma, {
        "body": world.cell, "key": world.keys[world.cell].public.key_id, "reason": "Lộ khóa",
    })


def test_a_revocation_through_one_writer_binds_the_other(world: World, backend: Backend) -> None:
    other = backend.open()
    world.accept(_profile(world, "p1"))  # the first writer now caches the cell's key as valid
    [revoked] = other.submit([_revocation(world)])
    assert not isinstance(revoked, Refused), revoked
    [result] = world.submit([_profile(world, "p2")])
    assert isinstance(result, Refused) and result.code == "key_revoked"


def test_a_write_between_judging_and_inserting_makes_the_batch_be_judged_again(
    world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = backend.open()
    world.accept(_profile(world, "p1"))
    real_judge = world.ledger._judge_batch
    calls = {"n": 0}

    def judge_then_other_writes(*args: Any) -> Any:
        judged = real_judge(*args)
        calls["n"] += 1
        if calls["n"] == 1:  # the other writer commits after this one judged, before it inserts
            [done] = other.submit([_revocation(world)])
            assert not isinstance(done, Refused), done
        return judged

    monkeypatch.setattr(world.ledger, "_judge_batch", judge_then_other_writes)
    [result] = world.submit([_profile(world, "p2")])
    assert calls["n"] == 2  # judged twice: the insert saw the head had moved
    assert isinstance(result, Refused) and result.code == "key_revoked"
    assert world.ledger.get_stream("person:p2") is None


def test_a_refusal_judged_on_a_stale_view_is_judged_again(world: World, backend: Backend) -> None:
    other = backend.open()
    world.accept(_profile(world, "p1"))  # this writer's cache now holds the cell's key
    # The other writer enrols a body this writer has never seen; its first signature must not be
    # refused as "unknown key" on the strength of a stale cache.
    from ledger.signing import SigningKey

    key = SigningKey.generate()
    body = "qng.bato.badien/front"
    world.keys[body] = key
    observation = world.sign(body, "front.observation", world.lang_ma, {
        "about": [world.lang_ma], "finding": "Hiệp thương đúng quy trình", "severity": "info"})
    [early] = world.submit([observation])  # not enrolled yet: refused, and remembered as absent
    assert isinstance(early, Refused) and early.code == "unknown_key"
    [enrolled] = other.submit([world.enrolment(world.standing, body, "commune_front", "UBMTTQ xã Ba Điền",
                                               world.badien, key)])
    assert not isinstance(enrolled, Refused), enrolled
    [result] = world.submit([observation])
    assert not isinstance(result, Refused), result


def test_streams_written_by_the_other_writer_are_seen_and_extended(world: World, backend: Backend) -> None:
    other = backend.open()
    world.accept(_profile(world, "p1"))
    [r2] = other.submit([world.sign(world.cell, "person.profiled", world.lang_ma, {"person": "p1", "born": "1975-02-01"})])
    assert not isinstance(r2, Refused), r2
    [r3] = world.accept(world.sign(world.committee, "person.profiled", world.lang_ma,
                                   {"person": "p1", "residence": world.lang_ma}))
    assert (r3.stream, r3.version) == ("person:p1", 3)
    assert world.ledger.log_size() == other.log_size() == r3.index + 1


def test_a_batch_that_loses_every_race_is_stored_on_its_last_try(
    world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beside a writer that commits every few milliseconds (a busy server) a batch's judging was
    overtaken on every try: ``HeadMoved`` five times, and the batch failed (on PostgreSQL,
    answered as the store out of reach). Its last try judges holding the insert lock."""
    import threading

    other = backend.open()
    world.accept(_profile(world, "p0"))
    size = world.ledger.log_size()
    real_judge = world.ledger._judge_batch
    writes: list[threading.Thread] = []

    def judge_then_other_writes(*args: Any) -> Any:
        judged = real_judge(*args)
        n = len(writes)  # the other writer commits (or, if it must wait for this one's lock, will)

        def write() -> None:
            [done] = other.submit([_profile(world, f"q{n}")])
            assert not isinstance(done, Refused), done

        writes.append(threading.Thread(target=write))
        writes[-1].start()
        writes[-1].join(1.0)
        return judged

    monkeypatch.setattr(world.ledger, "_judge_batch", judge_then_other_writes)
    results = world.submit([_profile(world, f"p{i}") for i in range(1, 4)])
    for t in writes:
        t.join(10)
    assert not any(isinstance(r, Refused) for r in results), results
    assert len(writes) == 5  # judged five times: four races lost, the last one not run
    assert all(world.ledger.get_stream(f"person:q{n}") is not None for n in range(5))
    assert world.ledger.log_size() == other.log_size() == size + 3 + 5


def test_a_last_try_waiting_for_the_ledger_holds_no_lock_of_the_store(
    world: World, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch's last try takes the ledger's lock, then the store's write lock, in the order every other
    write of the process takes them. It took the store's first: waiting for the ledger's lock (another
    thread's submission in progress), it held the store's, so every other writer (that thread's insert,
    another process) waited out the lock timeout and failed."""
    import threading
    import time

    from eventsourcing.persistence import IntegrityError

    ledger = world.ledger
    other = backend.open()
    tries: list[int] = []

    def lose_the_race(envelopes: Any) -> Any:
        tries.append(1)
        raise IntegrityError("another writer appended first")

    monkeypatch.setattr(ledger, "_submit", lose_the_race)  # the first four tries; the last one is judged locked
    answers: list[Any] = []
    ledger._write_lock.acquire()  # another thread's submission, in progress
    try:
        last_try = threading.Thread(target=lambda: answers.append(ledger.submit([_profile(world, "p1")])))
        last_try.start()
        deadline = time.monotonic() + 10
        while len(tries) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(tries) == 4
        time.sleep(0.2)  # the last try is now waiting for the ledger's lock
        began = time.monotonic()
        [done] = other.submit([_profile(world, "q1")])  # a writer beside it is not held up
        waited = time.monotonic() - began
    finally:
        ledger._write_lock.release()
    last_try.join(30)
    assert not isinstance(done, Refused), done
    assert waited < 1.0, waited
    [[stored]] = answers
    assert not isinstance(stored, Refused), stored
    assert ledger.get_stream("person:p1") is not None and ledger.get_stream("person:q1") is not None
