"""``dantin serve --authority``: a name the server takes is the very ``@authority`` clients sign for it.

A value the server took but no client would ever sign (``host:`` with an empty port, ``host:08443`` with a
leading zero) left every signed read refused (401 signature_wrong_authority) while the server ran as if
configured; a port 0 is no port a client reaches. Each is now written as clients write it, or refused.
"""

from __future__ import annotations

import pytest
import typer

from api.httpsig import normalise_authority, parts_of
from cli.serve import _authority


@pytest.mark.parametrize(("given", "url"), [
    ("Ledger.Example.VN", "https://ledger.example.vn/v1/villages/x/history"),
    ("ledger.example.vn:8443", "https://ledger.example.vn:8443/v1/villages/x/history"),
    ("ledger.example.vn:", "https://ledger.example.vn/v1/villages/x/history"),  # RFC 3986 §6.2.3: no port
    ("ledger.example.vn:08443", "https://ledger.example.vn:8443/v1/villages/x/history"),
    ("[::1]:", "http://[::1]/v1/villages/x/history"),
    ("[::1]:8000", "http://[::1]:8000/v1/villages/x/history"),
    ("127.0.0.1:80", "http://127.0.0.1/v1/villages/x/history"),
])
def test_an_authority_the_server_takes_is_the_one_its_clients_sign(given: str, url: str) -> None:
    parts = parts_of("GET", url)
    assert normalise_authority(parts.scheme, _authority(given)) == parts.authority


@pytest.mark.parametrize("bad", ["ledger.example.vn:0", "ledger.example.vn:00", "https://ledger.example.vn/",
                                 "host:port", ":8000", "user@ledger"])
def test_an_authority_no_client_reaches_is_refused(bad: str) -> None:
    with pytest.raises(typer.Exit) as exited:
        _authority(bad)
    assert exited.value.exit_code == 2
