"""Shared fixtures: a real ledger on each backend, and a small real world in it.

``backend`` runs a test once on SQLite (a ledger directory under ``tmp_path``) and once
on PostgreSQL (a fresh schema per test, dropped afterwards). PostgreSQL is mandatory
when ``CI=true``: there an unreachable server fails the tests instead of skipping them.

``world`` initialises a ledger through ``ledger.home.init`` and signs, with real Ed25519
keys, the places and bodies every integration scenario starts from:

    qng                        province   (genesis: root body qng/root)
    ├── qng.bato               district   ← qng.bato/standing (district_standing)
    │   │                                 ← qng.bato/inspection (inspection)
    │   └── qng.bato.badien    commune    ← qng.bato.badien/committee (commune_committee)
    │       └── qng.bato.badien.lang-ma   thon ← qng.bato.badien.lang-ma/cell (cell)
    └── qng.sontinh            district
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import psycopg
import pytest

from ledger import home
from ledger.application import Ledger, Receipt
from ledger.envelope import seal
from ledger.errors import Refused
from ledger.signing import SigningKey
from ledger.storage import persistence_env

#: The published conformance vectors: ``shared/vectors`` beside the checkout (as CI lays it out), else the
#: workplace's copy, so a clone anywhere (``git clone . $(mktemp -d)``) still runs them.
VECTORS = next((p for p in (Path(__file__).resolve().parents[1].parent / "shared" / "vectors",
                            Path("/work/shared/vectors")) if p.is_dir()),
               Path(__file__).resolve().parents[1].parent / "shared" / "vectors")

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
PG_UNREACHABLE = "PostgreSQL not reachable at 127.0.0.1:5432 — skipped locally; mandatory in CI"


@functools.cache
def _postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used (None when it can); probed once per session."""
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip() or type(exc).__name__
    return None


def _require_postgres() -> None:
    problem = _postgres_problem()
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(
            f"PostgreSQL not reachable at 127.0.0.1:5432 and CI=true, where it is mandatory: {problem}",
            pytrace=False,
        )
    pytest.skip(PG_UNREACHABLE)


@dataclass
class Backend:
    """Where one test's ledger lives, and the ledgers opened on it (closed at teardown)."""

    name: str
    directory: Path
    database: str | None
    opened: list[Ledger] = field(default_factory=list)

    def init(self, root_key: SigningKey) -> Ledger:
        ledger = home.init(self.directory, root_key=root_key, database=self.database)
        self.opened.append(ledger)
        return ledger

    def open(self) -> Ledger:
        ledger = home.open_ledger(self.directory, database=self.database)
        self.opened.append(ledger)
        return ledger

    def empty(self) -> Ledger:
        """A ledger on this backend with no genesis: nothing stored at all."""
        self.directory.mkdir(parents=True, exist_ok=True)
        ledger = Ledger(env=persistence_env(self.directory, self.database))
        self.opened.append(ledger)
        return ledger

    def close(self) -> None:
        while self.opened:
            self.opened.pop().close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    directory = tmp_path / "ledger"
    if request.param == "sqlite":
        sqlite = Backend("sqlite", directory, None)
        yield sqlite
        sqlite.close()
        return
    _require_postgres()
    schema = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    postgres = Backend("postgres", directory, f"{PG_ADMIN_URL}?schema={schema}")
    try:
        yield postgres
    finally:
        postgres.close()  # release pooled connections before dropping their tables
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


# -- the world -----------------------------------------------------------------

PROVINCE = "qng"
BATO = "qng.bato"
BADIEN = "qng.bato.badien"
LANG_MA = "qng.bato.badien.lang-ma"
SONTINH = "qng.sontinh"

ROOT = "qng/root"
STANDING = "qng.bato/standing"
INSPECTION = "qng.bato/inspection"
COMMITTEE = "qng.bato.badien/committee"
CELL = "qng.bato.badien.lang-ma/cell"

PLACES: tuple[tuple[str, str, str], ...] = (
    (BATO, "Huyện Ba Tơ", "district"),
    (BADIEN, "Xã Ba Điền", "commune"),
    (LANG_MA, "Thôn Làng Mạ", "thon"),
    (SONTINH, "Huyện Sơn Tịnh", "district"),
)
BODIES: tuple[tuple[str, str, str, str], ...] = (
    (STANDING, "district_standing", "Ban Thường vụ Huyện ủy Ba Tơ", BATO),
    (COMMITTEE, "commune_committee", "UBND xã Ba Điền", BADIEN),
    (CELL, "cell", "Chi bộ thôn Làng Mạ", LANG_MA),
    (INSPECTION, "inspection", "Ủy ban Kiểm tra Huyện ủy Ba Tơ", BATO),
)


@dataclass
class World:
    """A ledger with the places and bodies above, and every body's private key."""

    province: ClassVar[str] = PROVINCE
    bato: ClassVar[str] = BATO
    badien: ClassVar[str] = BADIEN
    lang_ma: ClassVar[str] = LANG_MA
    sontinh: ClassVar[str] = SONTINH
    root: ClassVar[str] = ROOT
    standing: ClassVar[str] = STANDING
    inspection: ClassVar[str] = INSPECTION
    committee: ClassVar[str] = COMMITTEE
    cell: ClassVar[str] = CELL

    ledger: Ledger
    keys: dict[str, SigningKey]
    jurisdiction: dict[str, str]

    def sign(
        self,
        body: str,
        type_: str,
        place: str,
        facts: Mapping[str, Any],
        *,
        date: str = "2022-03-20",
        key: SigningKey | None = None,
        signed_at: datetime | None = None,
    ) -> dict[str, Any]:
        """A real envelope: ``body`` states ``facts`` about ``place``, signed by its key."""
        return seal(
            key or self.keys[body], body,
            {"type": type_, "place": place, "date": date, "facts": dict(facts)},
            signed_at=signed_at,
        )

    def enrolment(
        self, parent: str, body: str, kind: str, name: str, jurisdiction: str, key: SigningKey
    ) -> dict[str, Any]:
        return self.sign(parent, "body.enrolled", jurisdiction, {
            "id": body, "kind": kind, "name": name, "jurisdiction": jurisdiction,
            "keys": [{"public": key.public.b64}],
        }, date="2022-01-10")

    def submit(self, envelopes: Sequence[Any]) -> list[Receipt | Refused]:
        return self.ledger.submit(list(envelopes))

    def accept(self, *envelopes: Any) -> list[Receipt]:
        """Submit envelopes that must all be accepted."""
        results = self.submit(envelopes)
        refused = [r for r in results if isinstance(r, Refused)]
        assert not refused, [(r.code, r.message_vi, r.detail) for r in refused]
        return [r for r in results if isinstance(r, Receipt)]

    def version(self, stream_id: str) -> int | None:
        """The stream's version, or None when nothing has been stored in it."""
        stream = self.ledger.get_stream(stream_id)
        return None if stream is None else stream.version

    def position(self) -> int:
        """The notification id of the last stored entry (0 when none)."""
        return self.ledger.recorder.max_notification_id() or 0


def build_world(backend: Backend) -> World:
    root_key = SigningKey.generate()
    ledger = backend.init(root_key)
    world = World(ledger=ledger, keys={ROOT: root_key}, jurisdiction={ROOT: PROVINCE})
    places = [
        world.sign(ROOT, "place.registered", place, {"id": place, "name": name, "kind": kind},
                   date="2022-01-10")
        for place, name, kind in PLACES
    ]
    world.accept(*places)
    for body, kind, name, jurisdiction in BODIES:
        key = SigningKey.generate()
        world.accept(world.enrolment(ROOT, body, kind, name, jurisdiction, key))
        world.keys[body] = key
        world.jurisdiction[body] = jurisdiction
    return world


@pytest.fixture
def world(backend: Backend) -> World:
    return build_world(backend)
