"""The web pages (server-rendered, Vietnamese): dashboard, village, Front, log. Routes stay thin.

Everything a page shows is read through the kept views and the ledger (``api.web.state``,
``village``, ``district``, ``logpage``); the templates only lay it out. Pages load nothing
from outside the server: the stylesheet and the one small script are under ``/static``,
and a Content-Security-Policy keeps it so. Pages are not part of the API's OpenAPI.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from api.web import verification
from api.web.district import dashboard, front_page
from api.web.logpage import log_page
from api.web.state import WebState, web_state
from api.web.village import village_page
from ledger.rules.record import as_date
from ledger.rules.text import cap
from schemas._checks import is_iso_day, visible

HERE = Path(__file__).parent
VN = timezone(timedelta(hours=7), "ICT")
CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")



def _vi_date(day: date | str | None) -> str:
    if isinstance(day, str):
        day = as_date(day)
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}" if day else "—"  # (strftime's %Y: "1" for year 1)


def _visible(value: Any) -> Any:
    """What a page shows of a value (Jinja's ``finalize``, before escaping): a string's control or
    invisible format characters as their code point, ``⟨U+202E⟩``, never obeyed. The ledger refuses
    them in signed text (``schemas._checks``); a ledger older than that rule may hold some, and a
    right-to-left override would make a name on the page read as another. Markup built in Python
    (``linkify``: a check's explanation, a finding) too: ``⟨U+XXXX⟩`` holds nothing HTML reads."""
    if isinstance(value, Markup):
        return Markup(visible(str(value)))  # noqa: S704 - markup already; only ⟨U+XXXX⟩ (no HTML) is put in
    if type(value) is str:
        return visible(value)
    return value


templates = Jinja2Templates(directory=HERE / "templates")
templates.env.finalize = _visible  # before any template is compiled: finalize is compiled in
templates.env.filters["vi_date"] = _vi_date
templates.env.filters["cap"] = cap
templates.env.filters["vi_time"] = lambda t: t.astimezone(VN).strftime("%d/%m/%Y %H:%M") + " (giờ Việt Nam)"
templates.env.filters["vi_pct"] = lambda p: "—" if p is None else f"{p:.1f}".replace(".", ",") + "%"

router = APIRouter(include_in_schema=False)
router.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
State = Annotated[WebState, Depends(web_state)]


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def problem_page(request: Request, problem: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """An error of the API's (a parameter out of bounds, a route or method there is not) as a
    page, for a browser: its Vietnamese title and detail, its stable code, its status."""
    response = _page(request, "problem.html", {"problem": problem}, status=int(problem["status"]))
    response.headers.update(headers or {})
    return response


def _missing(request: Request, what: str, ident: str) -> Response:
    return _page(request, "not_found.html", {"what": what, "ident": ident}, status=404)


@router.get("/", response_class=HTMLResponse)
def district_page(request: Request, state: State, commune: str | None = None,
                  verdict: str | None = None) -> Response:
    data = dashboard(state, commune or None, verdict or None) if len(commune or "") <= 200 else None
    if data is None:
        return _missing(request, "xã/thị trấn", commune or "")
    return _page(request, "dashboard.html", data, status=400 if data["errors"] else 200)


@router.get("/villages/{village_id}", response_class=HTMLResponse)
def village(request: Request, village_id: str, state: State,
            as_of: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    today = state.views.today()
    on, error = today, None
    if as_of:
        try:  # spelled exactly YYYY-MM-DD, as the API's as_of (fromisoformat alone also takes 20220515, 2022-W20-7)
            if not is_iso_day(as_of):
                raise ValueError(as_of)
            on = date.fromisoformat(as_of)
        except ValueError:
            error = f"«{as_of}» không phải một ngày hợp lệ (dạng năm-tháng-ngày); đang hiển thị ngày hôm nay."
    data = village_page(state, village_id, on) if len(village_id) <= 200 else None
    if data is None:
        return _missing(request, "thôn/tổ dân phố", village_id)
    data.update(as_of_error=error, today=today, commune=village_id.rpartition(".")[0],
                commune_name=_place_name(state, village_id.rpartition(".")[0]))
    status = 500 if data["unavailable"] else 400 if error else 200  # (500: as /v1/villages/{id}/verdict answers)
    return _page(request, "village.html", data, status=status)


@router.get("/front/{commune}", response_class=HTMLResponse)
def front(request: Request, commune: str, state: State) -> Response:
    data = front_page(state, commune) if len(commune) <= 200 else None
    if data is None:
        return _missing(request, "xã/thị trấn", commune)
    return _page(request, "front.html", data)


@router.get("/log", response_class=HTMLResponse)
def log(request: Request, state: State, busy: bool = False, recent: bool = False) -> Response:
    return _page(request, "log.html", {**log_page(state), "busy": busy, "recent": recent,
                                       "cooldown": int(verification.COOLDOWN), "now": datetime.now(UTC)})


@router.post("/log/verify")
async def verify(state: State) -> Response:
    """Run a full verification now (one at a time, at most one a ``COOLDOWN``), then show the log
    page (POST → 303 → GET)."""
    outcome = await run_in_threadpool(verification.run, state.ledger, state.services.settings.directory)
    where = {"done": "/log", "busy": "/log?busy=true", "recent": "/log?recent=true"}[outcome]
    return RedirectResponse(where + "#kiem-tra", status_code=303)


def _place_name(state: WebState, place: str) -> str:
    found = state.services.places.get(place)
    return found.name if found is not None else place
