"""PostgreSQL came back (restarted, or idle sessions ended by an administrator or a proxy): the
connections a server process kept open are dead, and the first use of each fails.

The first submissions after the database was back failed each as if it were still away (503):
the writer's stream lookup went through the recorder's own read connection, which was not
tried again, and the insert took a dead connection from the pool. Reads now try again on a
new connection, and an insert that failed before its COMMIT was sent (nothing can have been
stored) is tried once more, on a connection that works.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from conftest import PG_ADMIN_URL, Backend, World

from ledger import audit as audit_module
from ledger import home
from ledger.application import Receipt


def _profile(world: World, person: str) -> dict[str, Any]:
    return world.sign(world.cell, "person.profiled", world.lang_ma, {"person": person, "name": "Đinh Văn A"})


def _end_sessions(world: World) -> int:
    """End, from another session, every session the ledger keeps open (its pool's and its reader's)."""
    recorder: Any = world.ledger.recorder
    kept = [c for c in [*recorder.datastore.pool._pool, recorder._reader] if c is not None]
    pids = [c.info.backend_pid for c in kept]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    return len(pids)


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_the_first_submission_after_the_database_is_back_is_stored(world: World, backend: Backend) -> None:
    world.accept(_profile(world, "p0"))
    world.ledger.leaf(0)  # (the reader's connection is open)
    assert _end_sessions(world) >= 2

    [receipt] = world.submit([_profile(world, "p1")])
    assert isinstance(receipt, Receipt)
    assert world.ledger.leaf(receipt.index).stream == "person:p1"

    assert _end_sessions(world) >= 2
    report = audit_module.audit(world.ledger.recorder, seal=world.ledger.sealer.store,  # type: ignore[union-attr]
                                log=home.log_verifier(backend.directory), workers=1)
    assert not report.findings and report.unsealed == 0


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_the_first_proof_after_the_database_is_back_is_answered(world: World, backend: Backend,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A proof reads on the recorder's own connection: ended by the server while idle, it failed the first
    proof after (503 over HTTP) and only the next one reconnected. After an idle spell it is asked first."""
    import storage.postgres_ledger as pg

    [receipt] = world.accept(_profile(world, "p0"))
    sealer = world.ledger.sealer
    assert sealer is not None
    size = sealer.size()  # (the reader's connection is open)
    proof, root = sealer.inclusion_proof(0, size), sealer.root(size)  # (read: not the newest leaf's)
    assert receipt.index > 0 and _end_sessions(world) >= 1
    monkeypatch.setattr(pg, "READER_PING_S", 0.0, raising=False)  # (the idle spell: no test waits five seconds)
    assert sealer.inclusion_proof(0, size) == proof and sealer.root(size) == root
