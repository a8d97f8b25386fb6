"""The attendance page in a real browser: the same figures as GET /v1/attendance, in Vietnamese; and a screenshot
of every page, saved under tests/artifacts/screenshots/ (gitignored)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from webhelp import SCREENSHOTS, Site, screenshot

with contextlib.suppress(ImportError):  # without it the `browser` fixture says why: skip locally, fail when CI=true
    from playwright.sync_api import Page, expect

pytest_plugins = ["webserver"]  # site, browser, page, guard
pytestmark = pytest.mark.usefixtures("browser")

AS_OF = "2023-01-31"  # after the demo's attendance year (2022): every period and report is due


def api(site: Site, **query: Any) -> dict[str, Any]:
    params = {k: v for k, v in {"year": 2022, "as_of": AS_OF, **query}.items() if v is not None}
    answer = site.client.get("/v1/attendance", params=params)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def shown_members(page: Page) -> dict[str, dict[str, str | None]]:
    keys = ("level", "verdict", "covered", "required", "pending", "on-time", "late", "missing", "plan-filed")
    return {str(r.get_attribute("data-member")) + "/" + str(r.get_attribute("data-level")):
            {k: r.get_attribute(f"data-{k}") for k in keys}
            for r in page.locator("#attendance-members tbody tr[data-member]").all()}


def expected_members(found: dict[str, Any]) -> dict[str, dict[str, str | None]]:
    out = {}
    for m in found["members"]:
        f, rep, plan = m["rules"]["A-FREQUENCY"], m["rules"]["A-REPORT"], m["rules"]["A-PLAN"]
        out[f"{m['member']}/{m['level']}"] = {
            "level": m["level"], "verdict": m["verdict"], "covered": str(f["covered"]), "required": str(f["required"]),
            "pending": str(f["pending"]), "on-time": str(rep["on_time"]), "late": str(rep["late"]),
            "missing": str(rep["missing"]), "plan-filed": str(plan["filed"])}
    return out


def shown_rollups(page: Page) -> list[tuple[str | None, ...]]:
    keys = ("place", "level", "members", "covered", "required", "missed", "on-time", "late", "missing", "violations")
    return [tuple(r.get_attribute(f"data-{k}") for k in keys)
            for r in page.locator("#attendance-rollups tbody tr[data-place]").all()]


def expected_rollups(found: dict[str, Any]) -> list[tuple[str | None, ...]]:
    return [(r["place"], r["level"], str(r["members"]), str(r["A-FREQUENCY"]["covered"]),
             str(r["A-FREQUENCY"]["required"]), str(r["A-FREQUENCY"]["missed"]), str(r["A-REPORT"]["on_time"]),
             str(r["A-REPORT"]["late"]), str(r["A-REPORT"]["missing"]), str(r["verdicts"]["violations"]))
            for r in found["rollups"]]


def test_the_attendance_page_shows_the_apis_figures(site: Site, page: Page) -> None:
    page.goto(site.url + "/")
    page.locator('nav[aria-label="Điều hướng chính"]').get_by_role("link", name="Dự sinh hoạt chi bộ").click()
    expect(page).to_have_url(site.url + "/attendance")
    expect(page.locator("h1")).to_contain_text("năm 2022")  # the latest year with records, by default

    page.goto(f"{site.url}/attendance?year=2022&as_of={AS_OF}")
    expect(page.locator("h1")).to_have_text("Cấp ủy viên dự sinh hoạt chi bộ khu dân cư năm 2022")
    found = api(site)
    assert len(found["members"]) > 20 and found["rollups"]
    assert shown_members(page) == expected_members(found)
    assert shown_rollups(page) == expected_rollups(found)
    assert page.locator('#attendance-rollups tr[data-kind="commune"]').count() > 5  # roll-ups per commune
    expect(page.locator('#attendance-members tr[data-verdict="violations"]').first).to_contain_text("có vi phạm")

    # The GET form filters by level and place, on the day asked for (it keeps as_of); the figures still
    # equal the API's for the same arguments.
    commune = next(r["place"] for r in found["rollups"] if r["kind"] == "commune")
    page.select_option("#level", "commune")
    page.select_option("#place", commune)
    page.get_by_role("button", name="Lọc").click()
    expect(page).to_have_url(f"{site.url}/attendance?year=2022&level=commune&place={commune}&as_of={AS_OF}")
    assert shown_members(page) == expected_members(api(site, level="commune", place=commune))


def test_bad_filters_are_said_in_vietnamese(site: Site, page: Page) -> None:
    response = page.goto(f"{site.url}/attendance?year=abc&level=xyz")
    assert response is not None and response.status == 400
    expect(page.locator("#attendance-errors")).to_contain_text("Năm «abc» không hợp lệ")
    expect(page.locator("#attendance-errors")).to_contain_text("Cấp «xyz» không có")
    response = page.goto(f"{site.url}/attendance?place=qng.bato.khong-co")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Không tìm thấy")


def test_the_attendance_page_is_built_for_assistive_tech(site: Site, page: Page) -> None:
    response = page.goto(f"{site.url}/attendance?year=2022")
    assert response is not None and response.ok
    assert "default-src 'none'" in (response.headers.get("content-security-policy") or "")
    assert page.locator("main").count() == page.locator("h1").count() == 1
    assert page.locator('nav[aria-label="Điều hướng chính"] a[aria-current="page"]').inner_text() == (
        "Dự sinh hoạt chi bộ")
    assert page.locator("table").count() == page.locator("table thead th").evaluate_all(
        "ths => new Set(ths.map(th => th.closest('table'))).size")
    unlabeled = page.locator("select, input:not([type=hidden])").evaluate_all(
        "els => els.filter(el => !(el.id && document.querySelector(`label[for='${el.id}']`))).length")
    assert unlabeled == 0


def test_a_screenshot_of_every_page(site: Site, page: Page) -> None:
    village = site.expected.violating
    pages = {"dashboard": "/", "village": f"/villages/{village}", "front": f"/front/{village.rpartition('.')[0]}",
             "log": "/log", "attendance": f"/attendance?year=2022&as_of={AS_OF}"}
    page.set_viewport_size({"width": 1280, "height": 900})
    for name, path in pages.items():
        response = page.goto(site.url + path)
        assert response is not None and response.ok, path
        saved = screenshot(page, name)
        assert saved.parent == SCREENSHOTS and saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for name in pages:
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 0
