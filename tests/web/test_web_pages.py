"""The web pages in a real browser, over a real `dantin serve` of the Ba Tơ demo: what an inspector, a
Front officer and a district clerk see agrees with the views and the API, and nothing leaves the machine."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from webhelp import AFTER, BEFORE, Guard, Site, guarded_page

from api.village_views import REDACTED_VI
from ledger.envelope import seal
from ledger.signing import SigningKey

with contextlib.suppress(ImportError):  # without it the `browser` fixture says why: skip locally, fail when CI=true
    from playwright.sync_api import Browser, Page, expect

pytest_plugins = ["webserver"]  # site, browser, page, guard
pytestmark = pytest.mark.usefixtures("browser")  # first: without Chromium, say so before building the demo


def count(page: Page, selector: str) -> int:
    return int(page.locator(selector).get_attribute("data-count") or "-1")


def test_dashboard_counts_equal_the_views(site: Site, page: Page) -> None:
    page.goto(site.url + "/")
    expect(page.locator("h1")).to_contain_text("Bảng tổng hợp")
    for verdict in ("compliant", "incomplete", "violations"):
        assert count(page, f'#verdict-counts tr[data-verdict="{verdict}"] td.num') == site.expected.verdicts[verdict]
    for outcome in ("secretary", "deputy", "committee", "outside", "non_member", "none"):
        assert count(page, f'#outcome-counts tr[data-outcome="{outcome}"] td.num') == site.expected.outcomes[outcome]
    rows = page.locator("#villages tbody tr[data-village]")
    assert rows.count() == len(site.expected.villages) == 61
    shown = {r.get_attribute("data-village"): r.get_attribute("data-verdict") for r in rows.all()}
    assert shown == {v: row["verdict"] for v, row in site.expected.villages.items()}
    # The pilot figure that the views give directly: heads who are secretary, deputy or chi ủy member.
    heads = site.expected.outcomes.total() - site.expected.outcomes["none"]
    leads = sum(site.expected.outcomes[o] for o in ("secretary", "deputy", "committee"))
    figure = page.locator('#targets tr[data-figure="head_leads_cell"] td.num').first
    assert (figure.get_attribute("data-part"), figure.get_attribute("data-whole")) == (str(leads), str(heads))
    expect(page.locator("ol.footnotes li")).to_have_count(page.locator("#targets tbody tr").count())

    # The plain GET form filters by verdict, then by commune.
    page.select_option("#verdict", "violations")
    page.get_by_role("button", name="Lọc").click()
    expect(page).to_have_url(site.url + "/?commune=&verdict=violations")
    violating = page.locator("#villages tbody tr[data-village]")
    assert violating.count() == site.expected.verdicts["violations"]
    assert {r.get_attribute("data-verdict") for r in violating.all()} == {"violations"}
    commune = site.expected.violating.rpartition(".")[0]
    page.select_option("#commune", commune)
    page.get_by_role("button", name="Lọc").click()
    in_commune = [v for v, r in site.expected.villages.items() if v.startswith(commune + ".")]
    assert count(page, '#verdict-counts tr[data-verdict="violations"] td.num') == sum(
        site.expected.villages[v]["verdict"] == "violations" for v in in_commune)
    assert site.expected.violating in {r.get_attribute("data-village") for r in violating.all()}


def test_a_failing_check_explains_itself_in_vietnamese_and_links_to_its_event(site: Site, page: Page) -> None:
    village, failing = site.expected.violating, site.expected.failing[0]
    page.goto(site.url + "/")
    page.locator(f'#villages tr[data-village="{village}"] th a').click()
    expect(page).to_have_url(f"{site.url}/villages/{village}")
    expect(page.locator("#h-verdict")).to_have_text("Kết luận: có vi phạm")
    row = page.locator(f'#checks tr[data-rule="{failing["rule"]}"][data-status="fail"]').first
    expect(row.locator(".status")).to_have_text("vi phạm")
    expect(row.locator("td.detail")).to_contain_text(failing["detail_vi"].split(" (")[0][:40])
    cited = failing["events"][0]
    link = row.locator(f'td.cited a[href="#e-{cited}"]')
    link.click()
    expect(page).to_have_url(f"{site.url}/villages/{village}#e-{cited}")
    target = page.locator(f"#e-{cited}")
    expect(target).to_be_visible()
    assert target.evaluate("el => el.matches(':target')")
    assert target.get_attribute("data-inclusion") == "ok"  # its proof leads to the latest checkpoint's root
    assert page.locator('#timeline tr[data-inclusion="bad"]').count() == 0
    expect(target.locator("th")).not_to_be_empty()


def test_explanations_that_quote_a_profile_are_withheld_as_in_the_public_api(site: Site, page: Page) -> None:
    village, check = site.expected.private
    page.goto(f"{site.url}/villages/{village}")
    row = page.locator(f'#checks tr[data-rule="{check["rule"]}"][data-status="fail"]').first
    expect(row.locator(".status")).to_have_text("vi phạm")
    expect(row.locator("td.detail")).to_have_text(REDACTED_VI)
    assert check["detail_vi"] not in page.content()


def test_the_date_picker_changes_who_leads_the_village(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/villages/{site.expected.compliant}")
    head = page.locator('#leadership tr[data-office="head"] td')
    page.fill("#as_of", BEFORE.isoformat())
    page.get_by_role("button", name="Xem").click()
    expect(page).to_have_url(f"{site.url}/villages/{site.expected.compliant}?as_of={BEFORE.isoformat()}")
    expect(page.locator("#h-lead")).to_have_text("Lãnh đạo thôn ngày 01/05/2022")
    expect(head).to_have_text("chưa có")
    page.fill("#as_of", AFTER.isoformat())
    page.get_by_role("button", name="Xem").click()
    expect(page.locator("#h-lead")).to_have_text("Lãnh đạo thôn ngày 01/08/2022")
    expect(head).to_contain_text(site.expected.head_after)
    page.goto(f"{site.url}/villages/{site.expected.compliant}?as_of=31-02-2022")
    expect(page.locator("#as_of_error")).to_contain_text("không phải một ngày hợp lệ")


def test_the_log_page_shows_the_checkpoint_the_api_serves_and_a_full_verification(site: Site, page: Page) -> None:
    note = site.client.get("/v1/log/checkpoint").text
    size = int(note.split("\n")[1])
    page.goto(site.url + "/log")
    expect(page.locator("#checkpoint-size")).to_have_text(str(size))
    assert int(page.locator("#log-size").inner_text()) >= size
    witnesses = page.locator("#witnesses tbody tr[data-witness]")
    assert witnesses.count() >= 2  # the demo's inspection commission and a commune Front
    expect(witnesses.first).to_contain_text("giờ Việt Nam")
    page.get_by_role("button", name="Kiểm tra toàn bộ ngay").click()
    expect(page.locator("#last-verify")).to_have_attribute("data-intact", "true")
    expect(page.locator("#last-verify")).to_contain_text("Nguyên vẹn")
    assert (site.directory / "last-verify.json").exists()


def test_the_print_stylesheet_hides_navigation_and_keeps_the_verdict(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/villages/{site.expected.violating}")
    nav = page.locator('nav[aria-label="Điều hướng chính"]')
    assert nav.evaluate("el => getComputedStyle(el).display") != "none"
    expect(page.locator("button[data-print]")).to_be_visible()  # the script shows the print button
    page.emulate_media(media="print")
    for hidden in ('nav[aria-label="Điều hướng chính"]', "nav.crumbs", "form", "footer.site", ".actions"):
        assert page.locator(hidden).first.evaluate("el => getComputedStyle(el).display") == "none", hidden
    expect(page.locator(".verdict h2")).to_be_visible()
    rows = page.locator("#checks tbody tr")
    assert rows.count() > 20
    expect(rows.last).to_be_visible()  # every check, in full
    assert page.locator(".timeline").evaluate("el => getComputedStyle(el).breakBefore") == "page"


def test_the_front_page_shows_steps_deadlines_and_a_new_observation(site: Site, page: Page) -> None:
    village = site.expected.compliant
    commune = village.rpartition(".")[0]
    page.goto(f"{site.url}/villages/{village}")
    finalised = page.locator('#timeline tr[data-type="candidates.finalised"]').first.get_attribute("id")
    assert finalised is not None
    body = f"{commune}/commune_front"
    key = SigningKey.from_pem((site.directory / "keys" / (body.replace("/", "__") + ".pem")).read_bytes())
    finding = "Danh sách chính thức niêm yết muộn một ngày tại nhà văn hóa thôn"
    envelope = seal(key, body, {"type": "front.observation", "place": village, "date": "2022-04-20",
                                "facts": {"about": [finalised.removeprefix("e-")], "finding": finding,
                                          "severity": "warning"}})
    assert site.client.post("/v1/events", json=envelope).status_code == 201

    page.goto(f"{site.url}/front/{commune}")
    article = page.locator(f'article[id="v-{village}"]')
    expect(article.locator("table.steps tbody tr")).to_have_count(4)
    expect(article.locator("table.steps tbody tr").nth(2).locator("td a")).to_have_count(1)
    for rule in ("E-LIST", "E-TEAM"):
        expect(article.locator(f'table.deadlines tr[data-rule="{rule}"] .status')).to_have_text("đạt")
    observation = page.locator('#observations tbody tr[data-severity="warning"]')
    expect(observation).to_contain_text(finding)
    expect(observation).to_contain_text("cần khắc phục")
    observation.locator("td").last.locator("a").click()
    expect(page).to_have_url(f"{site.url}/villages/{village}#{finalised}")
    expect(page.locator(f"#{finalised}")).to_be_visible()
    expect(page.locator('#timeline tr[data-type="front.observation"]')).to_contain_text(finding)


def test_unknown_places_get_a_vietnamese_404_page(site: Site, page: Page) -> None:
    for path in ("/villages/qng.bato.khong-co", "/front/qng.bato.khong-co", "/?commune=qng.bato.khong-co"):
        response = page.goto(site.url + path)
        assert response is not None and response.status == 404
        expect(page.locator("h1")).to_have_text("Không tìm thấy")
        expect(page.locator("main code")).to_have_text("qng.bato.khong-co")  # what was not found
        assert page.locator("html").get_attribute("lang") == "vi"


def test_every_page_stays_on_localhost_and_is_built_for_assistive_tech(site: Site, browser: Browser,
                                                                       tmp_path: Path) -> None:
    guard = Guard()
    page = guarded_page(browser, guard)
    try:
        page.goto("about:blank")  # the guard works: an outside request is caught (no page CSP here)
        page.evaluate("fetch('http://example.org/x').catch(() => 0)")
        page.wait_for_timeout(200)
        assert guard.outside == ["http://example.org/x"]
        guard.outside.clear()
        village = site.expected.violating
        for path in ("/", f"/villages/{village}", f"/front/{village.rpartition('.')[0]}", "/log"):
            response = page.goto(site.url + path)
            assert response is not None and response.ok, path
            assert "default-src 'none'" in (response.headers.get("content-security-policy") or "")
            assert page.locator("main").count() == page.locator("h1").count() == 1, path
            assert page.locator('nav[aria-label="Điều hướng chính"]').count() == 1
            assert page.locator("table").count() == page.locator("table thead th").evaluate_all(
                "ths => new Set(ths.map(th => th.closest('table'))).size"), path
            unlabeled = page.locator("select, input:not([type=hidden])").evaluate_all(
                "els => els.filter(el => !(el.id && document.querySelector(`label[for='${el.id}']`))).length")
            assert unlabeled == 0, path
            sheet = page.locator("header.site").evaluate("el => getComputedStyle(el).backgroundColor")
            assert sheet == "rgb(18, 53, 91)"  # the stylesheet came from /static
        assert guard.outside == []
    finally:
        page.context.close()


def test_the_api_reference_renders_with_no_failed_request(site: Site, page: Page) -> None:
    """/docs (no Swagger UI from a CDN): every operation of /openapi.json, our stylesheet, nothing failing."""
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(f"{request.url}: {request.failure}"))
    page.on("response", lambda response: response.status >= 400 and failed.append(f"{response.status} {response.url}"))
    page.on("console", lambda message: message.type == "error" and failed.append(message.text))
    response = page.goto(site.url + "/docs")
    assert response is not None and response.ok
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_contain_text("Tài liệu API")
    paths = site.client.get("/openapi.json").json()["paths"]
    expect(page.locator("section.op")).to_have_count(sum(len(operations) for operations in paths.values()))
    assert page.locator("script").count() == 0
    assert page.locator("header.site").evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(18, 53, 91)"
    page.locator('nav.toc a[href="#op-get-v1-officeholders"]').click()
    expect(page.locator("#op-get-v1-officeholders")).to_be_in_viewport()
    expect(page.locator('section.op[data-path="/v1/officeholders"] tr[data-param="limit"]')).to_contain_text("≤ 1000")
    assert failed == []


def test_the_pages_work_without_javascript(site: Site, browser: Browser) -> None:
    guard = Guard()
    page = guarded_page(browser, guard, java_script_enabled=False)
    try:
        page.goto(site.url + "/")
        page.select_option("#verdict", "violations")
        page.get_by_role("button", name="Lọc").click()
        assert page.locator("#villages tbody tr[data-village]").count() == site.expected.verdicts["violations"]
        page.goto(f"{site.url}/villages/{site.expected.violating}")
        expect(page.locator("button[data-print]")).to_be_hidden()  # no script, no print button
        expect(page.locator("#checks")).to_be_visible()
        assert guard.outside == []
    finally:
        page.context.close()
