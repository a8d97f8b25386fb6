"""A damaged ledger: the full verification (``dantin verify`` and the log page's button) finds it, and the log
page says so in Vietnamese, naming the damaged event (its stream and version)."""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from webhelp import REPO, Site, copy_ledger, dantin_command, screenshot, start_server, tool_env

with contextlib.suppress(ImportError):  # without it the `browser` fixture says why: skip locally, fail when CI=true
    from playwright.sync_api import Page, expect

pytest_plugins = ["webserver"]  # site, browser, page, guard
pytestmark = pytest.mark.usefixtures("browser")


def damage_one_signature(database: Path) -> tuple[str, int]:
    """Change one character of one stored event's signature (an UPDATE of ``stored_events.state``)."""
    with contextlib.closing(sqlite3.connect(database)) as conn, conn:
        stream, version, state = conn.execute(
            "SELECT originator_id, originator_version, state FROM stored_events "
            "WHERE originator_id LIKE '%/election_team' ORDER BY rowid LIMIT 1").fetchone()
        raw = bytes(state)
        at = raw.index(b'"sig":"') + len(b'"sig":"') + 4
        flipped = raw[:at] + (b"B" if raw[at:at + 1] != b"B" else b"C") + raw[at + 1:]
        json.loads(flipped)  # still a readable row: only the signature is wrong
        conn.execute("UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
                     (flipped, stream, version))
    return str(stream), int(version)


@pytest.fixture
def tampered(site: Site, tmp_path: Path) -> Iterator[tuple[str, Path, str, int]]:
    directory = copy_ledger(site.directory, tmp_path / "tampered")
    stream, version = damage_one_signature(directory / "ledger.sqlite")
    verified = subprocess.run([*dantin_command(), "verify", str(directory)], cwd=REPO, env=tool_env(),
                              capture_output=True, text=True, timeout=300, check=False)
    assert verified.returncode != 0, verified.stdout + verified.stderr
    assert (directory / "last-verify.json").exists()
    process, url = start_server(directory, tmp_path / "server.log")
    try:
        yield url, directory, stream, version
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_tampered_ledger_fails_verification_on_the_log_page(tampered: tuple[str, Path, str, int],
                                                              page: Page) -> None:
    url, directory, stream, version = tampered
    last = json.loads((directory / "last-verify.json").read_text(encoding="utf-8"))
    assert last["source"] == "cli" and last["report"]["intact"] is False
    assert any(f["stream"] == stream and f["version"] == version for f in last["report"]["findings"])

    page.goto(url + "/log")
    result = page.locator("#last-verify")
    expect(result).to_have_attribute("data-intact", "false")
    expect(result).to_contain_text("Phát hiện")
    expect(result).to_contain_text("sai lệch")
    expect(result).to_contain_text("lệnh dantin verify")
    named = page.locator("ul.findings li", has_text=f"chuỗi {stream} phiên bản {version}:")
    assert named.count() >= 1
    screenshot(page, "log-tampered")

    # The log page's own button finds the same damage.
    page.get_by_role("button", name="Kiểm tra toàn bộ ngay").click()
    expect(result).to_have_attribute("data-intact", "false")
    expect(result).to_contain_text("trên trang này")
    assert page.locator("ul.findings li", has_text=f"chuỗi {stream} phiên bản {version}:").count() >= 1
    assert json.loads((directory / "last-verify.json").read_text(encoding="utf-8"))["source"] == "web"
