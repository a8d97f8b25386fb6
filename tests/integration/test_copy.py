"""``dantin copy``: a ledger, SQLite or PostgreSQL, copied to a new SQLite folder an auditor
checks on their own: the very rows, leaves and checkpoints under the same log positions, read
in one snapshot, with the log's public key and never its private one."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import Backend, World

from ledger import home
from ledger.note import NoteSigner, NoteVerifier
from ledger.signing import SigningKey
from storage import copying
from storage.copying import CopyError, copy_ledger


def _profile(world: World, person: str) -> dict[str, Any]:
    return world.sign(world.cell, "person.profiled", world.lang_ma, {"person": person, "name": "Đinh Văn A"})


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in conn.execute(sql)]


def _source_events(world: World) -> list[tuple[Any, ...]]:
    recorder = world.ledger.recorder
    return [(n.id, n.originator_id, n.originator_version, n.topic, bytes(n.state))
            for n in recorder.select_notifications(start=1, limit=1_000_000)]


def test_the_copy_holds_the_same_log_under_the_same_positions_and_no_private_key(
        world: World, backend: Backend, tmp_path: Path) -> None:
    world.accept(*(_profile(world, f"p{i}") for i in range(5)))
    first = world.ledger.publish_checkpoint()
    world.accept(_profile(world, "p9"))
    last = world.ledger.publish_checkpoint()
    assert first is not None and last is not None and last.size > first.size
    vkey = home.log_verifier(backend.directory).vkey()

    report = copy_ledger(backend.directory, tmp_path / "copy", backend.database)

    copy = tmp_path / "copy"
    assert sorted(p.name for p in copy.iterdir()) == ["ledger.json", "ledger.sqlite", "log-key.pub"]
    assert (copy / "log-key.pub").read_text().strip() == vkey == report.vkey
    settings = json.loads((copy / "ledger.json").read_text())
    source_settings = json.loads((backend.directory / "ledger.json").read_text())
    assert settings == {**source_settings, "database": None}
    events = _source_events(world)
    assert _rows(copy / "ledger.sqlite", "SELECT rowid, originator_id, originator_version, topic, state "
                                         "FROM stored_events ORDER BY rowid") == events
    assert report.rows["stored_events"] == len(events) and report.log_size == last.size
    opened = home.open_ledger(copy, read_only=True)
    try:
        assert opened.log_size() == world.ledger.log_size() == len(events)
        assert [c.note for c in opened.checkpoints()] == [c.note for c in world.ledger.checkpoints()]
        for size in (first.size, last.size):
            assert opened.root(size) == world.ledger.root(size)
        assert opened.consistency_proof(first.size, last.size) == world.ledger.consistency_proof(first.size, last.size)
        assert opened.entry(3) == world.ledger.entry(3)
    finally:
        opened.close()

    audited = home.audit_directory(copy, workers=1, log=NoteVerifier.from_vkey(vkey))
    assert audited.intact and audited.entries == len(events)
    assert audited.checkpoints == len(world.ledger.checkpoints()) >= 2


def test_the_copy_checked_against_another_log_key_fails_on_every_checkpoint(world: World, backend: Backend,
                                                                            tmp_path: Path) -> None:
    world.ledger.publish_checkpoint()
    copy_ledger(backend.directory, tmp_path / "copy", backend.database)
    stranger = NoteSigner.generate("dantin.qng/log").verifier()  # the origin right, the key not

    audited = home.audit_directory(tmp_path / "copy", workers=1, log=stranger)

    assert not audited.intact
    assert {f.code for f in audited.findings} == {"bad_checkpoint"}


def test_the_copy_is_one_snapshot_though_the_ledger_is_written_meanwhile(
        world: World, backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world.accept(*(_profile(world, f"p{i}") for i in range(4)))
    world.ledger.publish_checkpoint()
    before = _source_events(world)
    monkeypatch.setattr(copying, "PAGE", 3)  # a page at a time, writes between the pages
    written: list[int] = []

    def write_meanwhile(done: int, _total: int) -> None:
        if done > 0 and len(written) < 3:
            world.accept(_profile(world, f"later{done}"))
            world.ledger.publish_checkpoint()
            written.append(done)

    copy_ledger(backend.directory, tmp_path / "copy", backend.database, progress=write_meanwhile)

    assert len(written) == 3 and len(_source_events(world)) == len(before) + 3
    assert _rows(tmp_path / "copy" / "ledger.sqlite", "SELECT rowid, originator_id, originator_version, topic, state "
                                                      "FROM stored_events ORDER BY rowid") == before
    audited = home.audit_directory(tmp_path / "copy", workers=1)
    assert audited.intact, [f.to_dict() for f in audited.findings]
    assert audited.entries == audited.sealed == len(before)


def test_a_copy_is_made_whole_or_not_at_all(world: World, backend: Backend, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("của tôi")
    with pytest.raises(CopyError) as refused:
        copy_ledger(backend.directory, taken, backend.database)
    assert refused.value.code == "copy" and "đã có" in refused.value.message_vi
    assert [p.name for p in taken.iterdir()] == ["notes.txt"]

    monkeypatch.setattr(copying, "PAGE", 2)

    def interrupted(done: int, _total: int) -> None:
        if done > 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        copy_ledger(backend.directory, tmp_path / "copy", backend.database, progress=interrupted)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger", "taken"]  # no copy, no half copy

    empty = tmp_path / "empty"
    empty.mkdir()
    copy_ledger(backend.directory, empty, backend.database)  # an empty folder is taken
    assert (empty / "ledger.sqlite").is_file()


def test_the_auditor_pins_the_root_key_every_authority_comes_from(world: World, backend: Backend,
                                                                    tmp_path: Path) -> None:
    copy_ledger(backend.directory, tmp_path / "copy", backend.database)
    vkey = home.log_verifier(tmp_path / "copy")

    pinned = home.audit_directory(tmp_path / "copy", workers=1, log=vkey, root_key=world.keys[world.root].public.b64)
    assert pinned.intact

    # A ledger of someone else's making, whole and well signed, is not the province's.
    other = home.audit_directory(tmp_path / "copy", workers=1, log=vkey,
                                 root_key=SigningKey.generate().public.b64)
    assert [(f.code, f.position, f.stream) for f in other.findings] == [("root_key_mismatch", 0, world.root)]


def test_a_genesis_enrolling_the_trusted_root_key_beside_its_own_is_not_the_provinces(tmp_path: Path) -> None:
    """Anyone may write the province's *public* key into a genesis of their making, beside a key of
    their own that signs it: its root then acts by the other key. The pin holds only if the trusted
    key signed the genesis (only the province can have enrolled any key beside it then)."""
    from ledger.application import Ledger
    from ledger.envelope import seal
    from ledger.storage import persistence_env

    province, forger = SigningKey.generate(), SigningKey.generate()
    ledger = Ledger(env=persistence_env(tmp_path, None))
    try:
        genesis = seal(forger, "qng/root", {
            "type": "body.enrolled", "place": "qng", "date": "2022-01-01",
            "facts": {"id": "qng/root", "kind": "root", "name": "Ban tổ chức tỉnh Quảng Ngãi", "jurisdiction": "qng",
                      "keys": [{"public": province.public.b64}, {"public": forger.public.b64}]}})
        place = seal(forger, "qng/root", {"type": "place.registered", "place": "qng", "date": "2022-01-01",
                                          "facts": {"id": "qng", "name": "Tỉnh Quảng Ngãi", "kind": "province"}})
        assert not any(isinstance(r, Exception) for r in ledger.submit([genesis, place]))
        from ledger.audit import audit

        report = audit(ledger.recorder, workers=1, root_key=province.public.b64)
    finally:
        ledger.close()

    assert [(f.code, f.position) for f in report.findings] == [("root_key_mismatch", 0)]
    # verify-bundle --root-key: the same pin, the same forgery.
    from datetime import date

    from ledger.authority import GENESIS
    from ledger.bundle import BundleFailed, _Entry, _replay

    with pytest.raises(BundleFailed) as refused:
        _replay([_Entry(0, 0, {**genesis, "prev": GENESIS, "received": "2022-01-01T00:00:00Z"}, ())],
                {0: bytes(32)}, province.public.b64, date(2022, 1, 2))
    assert refused.value.code == "root_key_mismatch"


def test_an_empty_folder_given_as_a_link_or_as_the_current_folder_takes_the_copy(
        world: World, backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty DEST is taken (as documented) however it is named: a link to it, '.' (the inspector
    in the folder), or the mount point of an empty disk, which cannot be removed and replaced."""
    target = tmp_path / "usb"
    target.mkdir()
    (tmp_path / "link").symlink_to(target)
    copy_ledger(backend.directory, tmp_path / "link", backend.database)
    assert sorted(p.name for p in target.iterdir()) == ["ledger.json", "ledger.sqlite", "log-key.pub"]
    assert (tmp_path / "link").is_symlink()
    assert home.audit_directory(tmp_path / "link", workers=1).intact

    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setattr(copying, "PAGE", 2)

    def interrupted(done: int, _total: int) -> None:
        if done > 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        copy_ledger(backend.directory.resolve(), Path("."), backend.database, progress=interrupted)
    assert list(here.iterdir()) == []
    copy_ledger(backend.directory.resolve(), Path("."), backend.database)
    assert sorted(p.name for p in here.iterdir()) == ["ledger.json", "ledger.sqlite", "log-key.pub"]
    assert home.audit_directory(here, workers=1).intact
