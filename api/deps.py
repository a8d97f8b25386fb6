"""Dependencies of the routes, as ``Annotated`` aliases (one module, as the template does)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Union, get_args, get_origin

from fastapi import Depends, Header, Request, params
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute

from api.httpsig import RequestParts, normalise_authority
from api.middleware import SENT_METHOD
from api.places import PlaceIndex
from api.problems import BadRequest
from api.readers import NonceStore, Reader, authenticate
from api.settings import ApiSettings
from api.village_views import VillageViews
from api.writer import GroupWriter
from ledger.application import Ledger
from ledger.note import NoteSigner
from ledger.witness import Policy
from projections.store import ViewStore


@dataclass
class Services:
    """What one server process holds: its one ledger and the state built around it."""

    settings: ApiSettings
    ledger: Ledger
    policy: Policy
    places: PlaceIndex
    nonces: NonceStore
    log_vkey: str | None  # the log's C2SP verifier key (a copy has its public half only); None if neither file
    views: VillageViews  # leadership and verdicts (projections), kept up with the log before each read
    writer: GroupWriter  # POST /v1/events of one envelope each: group commit (api.writer)
    view_store: ViewStore | None = None  # where the views are kept: beside the log (None), or in memory (read only)
    log_signer: NoteSigner | None = None  # signs a bundle's stream heads; None for a reader's copy without the log key


async def _services(request: Request) -> Services:
    # async: a sync dependency would cost every request a trip through the thread pool
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(_services)]


async def _ledger(services: ServicesDep) -> Ledger:
    return services.ledger


LedgerDep = Annotated[Ledger, Depends(_ledger)]


def request_parts(request: Request) -> RequestParts:
    """The request as RFC 9421 sees it: the method and the path as sent (not decoded), the Host field as
    authority."""
    scope = request.scope
    scheme = request.url.scheme
    raw_path = scope.get("raw_path")
    path = bytes(raw_path).decode("latin-1") if raw_path else scope["path"]
    fields: dict[str, list[str]] = {}
    for name, value in scope.get("headers", ()):
        fields.setdefault(bytes(name).decode("latin-1").lower(), []).append(bytes(value).decode("latin-1"))
    host = fields.get("host", [request.url.netloc])[0]
    method = scope.get(SENT_METHOD, request.method)  # HEAD, answered as GET (api.middleware), was signed as HEAD
    return RequestParts(method, scheme, normalise_authority(scheme, host), path,
                        bytes(scope.get("query_string", b"")).decode("latin-1"), fields)


def _reader(
    request: Request,
    services: ServicesDep,
    signature_input: Annotated[str | None, Header(
        alias="Signature-Input", description='Tham số chữ ký theo RFC 9421, ví dụ: sig1=("@method" "@target-uri" '
        '"@authority" "dantin-body");created=…;expires=…;nonce="…";alg="ed25519";keyid="<mã khóa trong sổ cái>"')
    ] = None,
    signature: Annotated[str | None, Header(alias="Signature", description="Chữ ký theo RFC 9421, ví dụ: "
                                                                           "sig1=:<base64>:")] = None,
    dantin_body: Annotated[str | None, Header(
        alias="Dantin-Body",
        description="Mã cơ quan đọc; trường này phải nằm trong phần được ký (`dantin-body`).")] = None,
) -> Reader:
    # Dictionaries (RFC 8941 §4.2): every field line of each, joined by commas, not the first line alone (the
    # declared parameters above are for the OpenAPI document).
    lines = request.headers.getlist
    return authenticate(services.ledger, request_parts(request), ", ".join(lines("signature-input")) or None,
                        ", ".join(lines("signature")) or None,
                        nonces=services.nonces, window=services.settings.signature_window_s,
                        authorities=services.settings.authorities)


ReaderDep = Annotated[Reader, Depends(_reader)]


async def _body(request: Request) -> bytes:
    """The request body, read in chunks under the size limit (``api.middleware.BodyLimit``)."""
    chunks = [chunk async for chunk in request.stream()]
    return b"".join(chunks)


RawBody = Annotated[bytes, Depends(_body)]


def _repeatable(annotation: object) -> bool:
    """Whether a query parameter of this type takes every value given (``list[str]``, ``tuple[int, ...]``…)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _repeatable(get_args(annotation)[0])
    if origin is Union or origin is UnionType:
        return any(_repeatable(arg) for arg in get_args(annotation))
    kind = origin or annotation
    return isinstance(kind, type) and issubclass(kind, Sequence | set | frozenset) and not issubclass(kind, str | bytes)


async def single_query_parameters(request: Request) -> None:
    """Every route's (an app-wide dependency): a query parameter the route declares once (not a list) is sent at
    most once. Sent twice, the framework would keep the last value and say nothing; a client doing so has a bug,
    and its answer would not be about what it asked. Parameters the route does not declare stay ignored."""
    if not request.scope.get("query_string"):
        return
    seen: dict[str, int] = {}
    for name, _ in request.query_params.multi_items():
        seen[name] = seen.get(name, 0) + 1
    repeated = [name for name, times in seen.items() if times > 1]
    if not repeated:
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    once = {f.alias for f in get_flat_params(route.dependant)
            if isinstance(f.field_info, params.Query) and not _repeatable(f.field_info.annotation)}
    for name in repeated:
        if name in once:
            raise BadRequest(f"Tham số '{name}' chỉ được gửi một lần; yêu cầu này gửi {seen[name]} lần.",
                             detail=f"query parameter '{name}' given {seen[name]} times; send it once")
