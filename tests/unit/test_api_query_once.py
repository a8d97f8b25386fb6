"""A query parameter a route takes once is refused when sent twice (400 invalid_request, in Vietnamese), in any
route of an app built as ``api.app`` builds it; a parameter a route takes as a list still takes every value."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, Query

from api import problems
from api.deps import single_query_parameters


def _filter(kind: Annotated[str | None, Query()] = None) -> str | None:
    return kind


def _app() -> FastAPI:
    app = FastAPI(dependencies=[Depends(single_query_parameters)])
    problems.install(app)

    @app.get("/v1/things")
    def things(tags: Annotated[list[str] | None, Query(alias="tag")] = None,
               ids: Annotated[tuple[int, ...] | None, Query()] = None, n: int = 0,
               kind: Annotated[str | None, Depends(_filter)] = None) -> dict[str, object]:
        return {"tags": tags, "ids": ids, "n": n, "kind": kind}

    return app


def _get(app: FastAPI, url: str) -> httpx.Response:
    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return await client.get(url)

    with ThreadPoolExecutor(1) as thread:  # a loop of its own, even beside one running here (Playwright's)
        return thread.submit(asyncio.run, get()).result()


def test_list_parameters_take_every_value_and_single_ones_are_refused_twice() -> None:
    app = _app()
    got = _get(app, "/v1/things?tag=a&tag=b&ids=1&ids=2&n=3&other=x&other=y")
    assert got.status_code == 200 and got.json() == {"tags": ["a", "b"], "ids": [1, 2], "n": 3, "kind": None}
    for query, name in (("n=1&n=2", "n"), ("tag=a&kind=x&kind=y", "kind")):  # the route's own, a dependency's
        refused = _get(app, f"/v1/things?{query}")
        assert refused.status_code == 400 and refused.headers["content-type"] == problems.PROBLEM_JSON
        body = refused.json()
        assert body["code"] == "invalid_request" and body["title"] == "Yêu cầu không hợp lệ"
        assert body["detail"] == f"Tham số '{name}' chỉ được gửi một lần; yêu cầu này gửi 2 lần."
    assert [p["name"] for p in app.openapi()["paths"]["/v1/things"]["get"]["parameters"]] == [
        "tag", "ids", "n", "kind"]  # the check adds no parameter of its own
