"""The HTTP face: ``create_app(settings)`` builds the FastAPI application around one ``Ledger``.

The ledger is opened when the server starts (lifespan) and closed when it stops; closing
publishes a final checkpoint covering every acknowledged event. Routes that read or write the
database at length are sync functions run in the thread pool (the ledger serialises writes
itself); the hot public reads (health, leadership, verdicts) are async and answer from memory
while the log stands still (``api.village_views``), going to the thread pool only for what is
not cached. Errors become RFC 9457 problems in ``api.problems`` only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.concurrency import run_in_threadpool

from api import openapi, problems
from api.deps import Services, single_query_parameters
from api.middleware import RequestLog
from api.places import PlaceIndex
from api.readers import NonceCache, nonce_store
from api.routes import attendance, events, health, log, places, public_villages, villages
from api.settings import ApiSettings
from api.village_views import VillageViews
from api.web import apidocs, attendance_page
from api.web import pages as web_pages
from api.witness_push import WitnessPusher
from api.writer import GroupWriter
from ledger import home
from ledger.note import NoteSigner
from ledger.witness import read_policy
from projections.store import ViewStore

DESCRIPTION = """Sổ cái ký số cho công tác nhân sự thôn, tổ dân phố (Dân tin – Đảng cử).

- **Ghi**: `POST /v1/events` nhận phong bì DSSE do cơ quan có thẩm quyền ký (Ed25519), trả biên nhận kèm
  bằng chứng bao hàm (RFC 9162) tới một checkpoint đã ký (C2SP).
- **Đọc công khai**: địa bàn, checkpoint, bằng chứng. Không bao giờ có ngày sinh hay thông tin đảng viên.
- **Đọc hạn chế**: lịch sử đầy đủ và gói hồ sơ của một thôn, chỉ cho yêu cầu được ký theo RFC 9421
  (`Signature-Input`, `Signature`, trường `Dantin-Body` được ký) bằng khóa của cơ quan có quyền đọc.
- **Lỗi**: RFC 9457 `application/problem+json`, có `code` ổn định và `title`/`detail` tiếng Việt.
"""

TAGS = [
    {"name": "events", "description": "Nộp phong bì đã ký."},
    {"name": "places", "description": "Địa bàn (công khai)."},
    {"name": "villages", "description": "Chức vụ theo ngày, kết luận tuân thủ, người giữ chức vụ (công khai)."},
    {"name": "attendance", "description": "Cấp ủy viên dự sinh hoạt chi bộ khu dân cư (công khai)."},
    {"name": "log", "description": "Nhật ký Merkle: checkpoint, bằng chứng, chữ ký nhân chứng (công khai)."},
    {"name": "restricted", "description": "Dữ liệu hạn chế: cần yêu cầu ký theo RFC 9421."},
    {"name": "ops", "description": "Vận hành."},
]


def open_services(settings: ApiSettings) -> Services:
    ledger = home.open_ledger(settings.directory, settings.database, read_only=settings.read_only)
    try:
        policy = read_policy(settings.directory / home.SETTINGS)
        try:
            signer: NoteSigner | None = home.log_signer(settings.directory)
        except FileNotFoundError:
            signer = None
        try:  # a copy (``dantin copy``) holds the public half only
            vkey: str | None = home.log_verifier(settings.directory).vkey()
        except FileNotFoundError:
            vkey = None
    except BaseException:
        ledger.close()
        raise
    # A copy served read only writes nothing: its views are kept in memory, its signed reads'
    # nonces too (one process), and every write is refused (ledger.application.ReadOnly: 403).
    store = ViewStore.in_memory() if settings.read_only else None
    nonces = NonceCache() if settings.read_only else nonce_store(ledger)
    return Services(settings, ledger, policy, PlaceIndex(ledger), nonces, vkey, VillageViews(ledger, store),
                    GroupWriter(ledger, max_group=settings.max_batch), store, signer)


def create_app(settings: ApiSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await run_in_threadpool(open_services, settings)
        app.state.services = services
        pusher = WitnessPusher(services.ledger, settings.witnesses, services.policy, settings.witness_interval_s) \
            if settings.witnesses and not settings.read_only else None
        if pusher is not None:
            pusher.start()
        try:
            yield
        finally:
            if pusher is not None:
                await run_in_threadpool(pusher.stop)
            await run_in_threadpool(services.ledger.close)

    # No Swagger UI nor ReDoc: they load their scripts from a CDN (blank offline) and speak English. /docs is
    # our own page built from the same document (api.web.apidocs); /openapi.json stays.
    # Every route, the API's and the pages': a query parameter it takes once is sent once (else 400).
    app = FastAPI(title="Dân tin", version="1", description=DESCRIPTION, openapi_tags=TAGS, lifespan=lifespan,
                  docs_url=None, redoc_url=None, swagger_ui_oauth2_redirect_url=None,
                  dependencies=[Depends(single_query_parameters)])
    problems.install(app)
    for module in (events, places, public_villages, attendance, log, villages, health):
        app.include_router(module.router)
    app.include_router(web_pages.router)  # the Vietnamese web pages and /static (api/web)
    app.include_router(attendance_page.router)
    app.include_router(apidocs.router)  # /docs: the API reference, in Vietnamese, from app.openapi()
    # One layer of ours, outermost: the request id and log line (every answer, including 413 and 500) and the
    # body limit.
    app.add_middleware(RequestLog, max_body_bytes=settings.max_body_bytes, read_only=settings.read_only)
    openapi.install(app)
    return app
