"""A ledger asks its witnesses over HTTP (C2SP tlog-witness): ``push_checkpoint`` against
``dantin witness serve``'s application, each witness with its own state file and key.

The story: the ledger pushes its checkpoint to the inspection commission's witness, then to the
commune Front's; the checkpoint is witnessed and a bundle can be made of it. The log grows; the
next push tells each witness only the new checkpoint and, after the witness names the size it
last cosigned (409), the consistency proof from it. A witness that is not an enrolled witness
body, or that has seen a longer history, stores nothing. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from conftest import Backend, World
from starlette.testclient import TestClient
from test_witness import FRONT, enrol_front, grow, log_of

from api.witness_app import create_witness_app
from ledger import home
from ledger.bundle import make_bundle, verify_bundle
from ledger.note import CosignatureSigner, signature_line
from ledger.tlog_witness import HttpWitness, push_checkpoint, request_body
from ledger.witness import DEFAULT_POLICY, WitnessError, read_witness_file, witnessed_checkpoint, write_witness_file


class Recording(TestClient):
    """The witness's application in-process, keeping what the ledger sent it."""

    def __init__(self, witness: HttpWitness) -> None:
        super().__init__(create_witness_app(witness), base_url="http://witness.test")
        self.sent: list[tuple[bytes, int]] = []

    def post(self, url: str, **kwargs: object) -> object:  # type: ignore[override]
        response = super().post(url, **kwargs)  # type: ignore[arg-type]
        self.sent.append((kwargs["content"], response.status_code))  # type: ignore[arg-type]
        return response


def witness_of(world: World, backend: Backend, body: str, tmp_path: Path) -> Recording:
    signer = CosignatureSigner.from_private_bytes(body, world.keys[body].seed())
    return Recording(HttpWitness.open(signer, tmp_path / f"{body.replace('/', '__')}.json", [log_of(backend)]))


def test_the_ledger_pushes_its_checkpoint_to_its_witnesses(world: World, backend: Backend, tmp_path: Path) -> None:
    enrol_front(world)
    world.ledger.publish_checkpoint()
    first = world.ledger.log_size()
    inspection = witness_of(world, backend, world.inspection, tmp_path)
    front = witness_of(world, backend, FRONT, tmp_path)
    [row] = push_checkpoint(world.ledger, "http://witness.test/", inspection)
    assert (row.size, row.witness) == (first, world.inspection)
    assert witnessed_checkpoint(world.ledger) is None  # the Front has not yet
    push_checkpoint(world.ledger, "http://witness.test", front)
    found = witnessed_checkpoint(world.ledger)
    assert found is not None and found.size == first
    bundle = make_bundle(world.ledger, world.lang_ma, policy=DEFAULT_POLICY, signer=home.log_signer(backend.directory))
    assert verify_bundle(bundle.data, log_key=log_of(backend).vkey()).size == first

    grow(world, "a")
    second = world.ledger.log_size()
    inspection.sent.clear()
    push_checkpoint(world.ledger, "http://witness.test", inspection)
    # old 0 first (the ledger keeps no record of the witness), 409 with the size it cosigned, then the proof.
    assert [status for _, status in inspection.sent] == [409, 200]
    again = inspection.sent[1][0].decode()
    assert again.startswith(f"old {first}\n") and len(again.split("\n\n", 1)[0].split("\n")) > 1
    push_checkpoint(world.ledger, "http://witness.test", front)
    assert witnessed_checkpoint(world.ledger).size == second  # type: ignore[union-attr]
    stored = world.ledger.recorder.select_cosignatures()  # type: ignore[attr-defined]
    assert sorted((r.size, r.witness) for r in stored) == [(first, FRONT), (first, world.inspection),
                                                           (second, FRONT), (second, world.inspection)]


def test_a_witness_that_may_not_witness_stores_nothing(world: World, backend: Backend, tmp_path: Path) -> None:
    world.ledger.publish_checkpoint()
    cell = witness_of(world, backend, world.cell, tmp_path)  # a cell: not a witness kind
    with pytest.raises(WitnessError) as refused:
        push_checkpoint(world.ledger, "http://witness.test", cell)
    # Its line is one of a key the ledger does not know as a witness's: ignored, so nothing to store.
    assert refused.value.code == "bad_cosignature" and world.cell in refused.value.message_vi, refused.value
    assert world.ledger.recorder.select_cosignatures() == []  # type: ignore[attr-defined]


def test_a_witness_that_saw_a_longer_history_is_not_pushed_back(world: World, backend: Backend,
                                                                 tmp_path: Path) -> None:
    grow(world, "a")
    inspection = witness_of(world, backend, world.inspection, tmp_path)
    push_checkpoint(world.ledger, "http://witness.test", inspection)
    seen = world.ledger.log_size()
    path = tmp_path / f"{world.inspection.replace('/', '__')}.json"
    # The witness's record says it cosigned a longer tree of this log (another server showed it one).
    record = read_witness_file(path)
    write_witness_file(path, replace(record, logs={o: replace(s, size=s.size + 5) for o, s in record.logs.items()}))
    with pytest.raises(WitnessError) as refused:
        push_checkpoint(world.ledger, "http://witness.test", inspection)
    assert refused.value.code == "witness_rollback" and f"cỡ {seen + 5}" in refused.value.message_vi
    assert [r.size for r in world.ledger.recorder.select_cosignatures()] == [seen]  # type: ignore[attr-defined]


class Answering:
    """A witness whose 200 answer is rewritten by ``rewrite``, or that answers ``fixed``."""

    def __init__(self, inner: Recording | None = None, rewrite: object = None,
                 fixed: httpx.Response | None = None) -> None:
        self.inner, self.rewrite, self.fixed = inner, rewrite, fixed

    def post(self, url: str, **kwargs: object) -> httpx.Response:
        if self.fixed is not None:
            return self.fixed
        assert self.inner is not None
        response: httpx.Response = self.inner.post(url, **kwargs)  # type: ignore[assignment]
        if response.status_code == 200 and self.rewrite is not None:
            return httpx.Response(200, text=self.rewrite(response.text))  # type: ignore[operator]
        return response


def _unknown_line(world: World) -> str:
    """A cosignature of a key the ledger does not know (a witness's next key, another it runs)."""
    row = world.ledger.checkpoint()
    assert row is not None
    return signature_line(row.note[: row.note.rfind("\n\n") + 1], CosignatureSigner.generate("witness.example/other"))


@pytest.mark.parametrize("where", ["before", "after"])
def test_cosignatures_of_keys_the_ledger_does_not_know_are_ignored(world: World, backend: Backend, tmp_path: Path,
                                                                   where: str) -> None:
    """C2SP tlog-witness: "The client MUST ignore any cosignatures from unknown keys"."""
    world.ledger.publish_checkpoint()
    extra = _unknown_line(world)
    client = Answering(witness_of(world, backend, world.inspection, tmp_path),
                       rewrite=lambda text: extra + text if where == "before" else text + extra)
    rows = push_checkpoint(world.ledger, "http://witness.test", client)
    assert [r.witness for r in rows] == [world.inspection]
    assert [r.witness for r in world.ledger.recorder.select_cosignatures()] == [world.inspection]  # type: ignore[attr-defined]


def test_an_answer_with_no_cosignature_the_ledger_knows_stores_nothing(world: World, backend: Backend,
                                                                       tmp_path: Path) -> None:
    world.ledger.publish_checkpoint()
    extra = _unknown_line(world)
    client = Answering(witness_of(world, backend, world.inspection, tmp_path), rewrite=lambda _: extra)
    with pytest.raises(WitnessError) as refused:
        push_checkpoint(world.ledger, "http://witness.test", client)
    assert refused.value.code == "bad_cosignature" and "witness.example/other" in refused.value.message_vi
    assert world.ledger.recorder.select_cosignatures() == []  # type: ignore[attr-defined]


def test_whatever_a_witness_answers_is_said_not_raised(world: World, backend: Backend) -> None:
    world.ledger.publish_checkpoint()
    deep = b"[" * 200_000 + b"]" * 200_000
    for fixed in (httpx.Response(500, content=deep, headers={"content-type": "application/json"}),
                  httpx.Response(409, text="12\n", headers={"content-type": "text/plain"}),
                  httpx.Response(409, text="không phải số\n", headers={"content-type": "text/x.tlog.size"}),
                  httpx.Response(200, text="")):
        with pytest.raises(WitnessError) as refused:
            push_checkpoint(world.ledger, "http://witness.test", Answering(fixed=fixed))
        assert refused.value.code in {"witness_refused", "bad_cosignature"}, refused.value
    assert world.ledger.recorder.select_cosignatures() == []  # type: ignore[attr-defined]


def test_a_cosignature_dated_ahead_is_not_stored(world: World, backend: Backend, tmp_path: Path) -> None:
    """A witness with a clock far ahead (2**62 s, or merely next year) would date every bundle of the
    checkpoint ahead, or make it undatable: its cosignature is refused, as a statement signed ahead is."""
    world.ledger.publish_checkpoint()
    signer = CosignatureSigner.from_private_bytes(world.inspection, world.keys[world.inspection].seed())
    for ahead in (2**62, int(time.time()) + 366 * 86400):
        skewed = HttpWitness.open(signer, tmp_path / f"{ahead}.json", [log_of(backend)])

        class Skewed:
            def post(self, url: str, **kwargs: object) -> httpx.Response:
                return httpx.Response(200, text=skewed.add_checkpoint(kwargs["content"], now=ahead))  # type: ignore[arg-type]  # noqa: B023

        with pytest.raises(WitnessError) as refused:
            push_checkpoint(world.ledger, "http://witness.test", Skewed())
        assert refused.value.code == "bad_cosignature" and "đi trước đồng hồ" in refused.value.message_vi
    assert world.ledger.recorder.select_cosignatures() == []  # type: ignore[attr-defined]


# -- dantin serve --witness: the server pushes each new checkpoint ------------------------------------


def test_the_servers_pusher_asks_each_witness_once_per_checkpoint_and_waits_after_a_refusal(
        world: World, backend: Backend, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from api.witness_push import WitnessPusher

    enrol_front(world)
    inspection = witness_of(world, backend, world.inspection, tmp_path)
    refusing = Answering(fixed=httpx.Response(503, json={"code": "busy", "detail": "Bận."}))

    class Routed:
        def post(self, url: str, **kwargs: object) -> object:
            return (inspection if url.startswith("http://witness.test") else refusing).post(url, **kwargs)

    pusher = WitnessPusher(world.ledger, ["http://witness.test", "http://down.test"], DEFAULT_POLICY, interval=60)
    with caplog.at_level("INFO", logger="dantin.witness_push"):
        pusher.round(Routed())  # type: ignore[arg-type]
    first = world.ledger.log_size()
    assert world.ledger.checkpoint().size == first  # type: ignore[union-attr]  # published: the log had grown
    assert [(r.size, r.witness) for r in world.ledger.recorder.select_cosignatures()] == [  # type: ignore[attr-defined]
        (first, world.inspection)]
    said = [r.__dict__["dantin_fields"] for r in caplog.records]
    assert [(s["url"], s["ok"]) for s in said] == [("http://witness.test", True), ("http://down.test", False)]
    assert said[1]["code"] == "witness_refused" and said[1]["retry_in_s"] == 60

    inspection.sent.clear()
    pusher.round(Routed())  # type: ignore[arg-type]  # nothing new; the refusing one waits its turn
    assert inspection.sent == [] and len(caplog.records) == 2

    grow(world, "a")
    pusher.round(Routed())  # type: ignore[arg-type]
    assert [status for _, status in inspection.sent] == [409, 200]
    assert witnessed_checkpoint(world.ledger) is None  # the Front is not among the pushed witnesses
    assert max(r.size for r in world.ledger.recorder.select_cosignatures()) == world.ledger.log_size()  # type: ignore[attr-defined]


def test_a_witness_shown_a_receipts_checkpoint_is_not_called_a_longer_history(world: World, backend: Backend,
                                                                             tmp_path: Path) -> None:
    """Any checkpoint the log signed may reach a witness: a receipt's, relayed by whoever holds it
    (the specification lets anyone push). Signed but not yet published when the ledger pushed its
    newest published one, it was taken for a longer history than the ledger's (witness_rollback,
    a log fault) though the log holds it; the ledger now publishes and proves from it."""
    world.ledger.publish_checkpoint()
    inspection = witness_of(world, backend, world.inspection, tmp_path)
    push_checkpoint(world.ledger, "http://witness.test", inspection)
    published = world.ledger.checkpoint()
    world.accept(*[world.sign(world.cell, "person.profiled", world.lang_ma,
                              {"person": f"r{i}", "name": f"Đinh Văn R{i}"}) for i in range(3)])
    size = world.ledger.log_size()
    assert published is not None and world.ledger.checkpoint().size == published.size < size  # type: ignore[union-attr]
    receipts = world.ledger.signed_checkpoint(size)  # what a receipt carries
    assert receipts is not None
    relayed = inspection.post("/add-checkpoint", content=request_body(
        published.size, world.ledger.consistency_proof(published.size, size), receipts.note))
    assert relayed.status_code == 200  # type: ignore[attr-defined]
    [row] = push_checkpoint(world.ledger, "http://witness.test", inspection)
    assert row.size == size == world.ledger.checkpoint().size  # type: ignore[union-attr]
