"""Replay protection across server processes: signed-read nonces live in the ledger's database.

A signed request answered by one ``dantin serve`` process must be refused by any other
process serving the same ledger, for as long as its signature is valid.
"""

from __future__ import annotations

import httpx
from apihelp import Served, problem_of, start_at, stop
from conftest import Backend, World

from api.httpsig import sign_request
from api.readers import LedgerNonces, nonce_store

pytest_plugins = ["apiserver"]  # the `served` fixture


def test_two_ledger_processes_share_one_nonce_table(world: World, backend: Backend) -> None:
    first, second = nonce_store(world.ledger), nonce_store(backend.open())
    assert isinstance(first, LedgerNonces) and isinstance(second, LedgerNonces)
    now = 1_800_000_000.0
    assert first.claim("k1", "n1", now + 60, now)
    assert not second.claim("k1", "n1", now + 60, now + 1)  # seen by the other one: a replay
    assert not first.claim("k1", "n1", now + 60, now + 2)
    assert second.claim("k2", "n1", now + 60, now + 3)  # the same nonce from another key is another request
    assert second.claim("k1", "n1", now + 200, now + 61)  # once its signature has expired, it may come again
    assert not first.claim("k1", "n1", now + 200, now + 62)


def test_a_request_answered_by_one_server_is_refused_by_another(served: Served, tmp_path: object) -> None:
    path = f"/v1/villages/{served.world.lang_ma}/history"
    fields = {"Dantin-Body": served.world.inspection}
    headers = {**fields, **sign_request(served.world.keys[served.world.inspection], "GET", served.url + path, fields)}
    assert served.client.get(path, headers=headers).status_code == 200
    log = served.log_path.with_name(f"second-{served.name}.log")
    process, url = start_at(served.directory, None, log)  # the database recorded in ledger.json
    try:
        # The very same request, as a load balancer would hand it to the other process (same Host).
        replay = {**headers, "Host": httpx.URL(served.url).netloc.decode()}
        problem_of(httpx.get(url + path, headers=replay, timeout=30), 401, "signature_replayed")
        fresh = {**fields, **sign_request(served.world.keys[served.world.inspection], "GET", url + path, fields)}
        assert httpx.get(url + path, headers=fresh, timeout=30).status_code == 200
    finally:
        stop(process)
