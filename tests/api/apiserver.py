"""The ``served`` fixture (a pytest plugin: test modules name it in ``pytest_plugins``).

One server per backend and test worker, started on first use and kept for the session:
SQLite, and PostgreSQL (mandatory when CI=true). ``served`` is parametrized per test but
picks among the two long-lived servers, so neither is torn down and restarted when the
tests of a worker alternate between backends.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from apihelp import Served, extend_world, start_at, stop
from conftest import PG_ADMIN_URL, Backend, _require_postgres, build_world


def _serve(name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    base = tmp_path_factory.mktemp(f"api-{name}")
    schema = None
    database = None
    if name == "postgres":
        _require_postgres()
        schema = f"t_{uuid.uuid4().hex}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        database = f"{PG_ADMIN_URL}?schema={schema}"
    backend = Backend(name, base / "ledger", database)
    try:
        world = build_world(backend)
        extra = extend_world(world)
        backend.close()  # the server is the only process that writes from here on
        process, url = start_at(backend.directory, database, base / "server.log")
        served = Served(name, url, world, backend.directory, process, base / "server.log", extra)
        try:
            yield served
        finally:
            served.client.close()
            stop(process)
    finally:
        backend.close()
        if schema is not None:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="session")
def served_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from _serve("sqlite", tmp_path_factory)


@pytest.fixture(scope="session")
def served_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from _serve("postgres", tmp_path_factory)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def served(request: pytest.FixtureRequest) -> Served:
    found: Served = request.getfixturevalue(f"served_{request.param}")
    return found
