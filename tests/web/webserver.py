"""Fixtures of the browser tests (a pytest plugin: test modules name it in ``pytest_plugins``).

``site``: the Ba Tơ demo built once per session with ``dantin demo DIR``, what the kept views
say about it (read before the server starts, so the test process never writes beside it),
and a real ``dantin serve DIR`` on a free port (the OS picks it: ``--port 0``, read from the
server's log, as tests/api does).

``browser``: Debian's Chromium at /usr/bin/chromium (``make browser`` installs it), driven by
Playwright; nothing ever downloads a browser. Without it the tests skip with a notice, except
when CI=true, where they fail: CI must run them (as tests/conftest.py treats PostgreSQL).

``page``: a fresh browser context whose every request is checked: one that leaves localhost
is aborted and recorded, and the test fails at teardown.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from webhelp import CHROMIUM, REPO, Guard, Site, dantin_command, expected_of, guarded_page, start_server, tool_env

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    base = tmp_path_factory.mktemp("web")
    directory = base / "demo"
    built = subprocess.run([*dantin_command(), "demo", str(directory)], cwd=REPO, env=tool_env(), capture_output=True,
                           text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    expected = expected_of(directory)
    process, url = start_server(directory, base / "server.log")
    served = Site(url, directory, expected, process, base / "server.log")
    try:
        yield served
    finally:
        served.client.close()
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _unavailable(reason: str, reason_vi: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"Browser tests are mandatory when CI=true, but {reason}. Install Debian's chromium and "
                    "chromium-driver (`make browser`, as root) and the dev extras (playwright).", pytrace=False)
    pytest.skip(f"Bỏ qua kiểm thử trình duyệt: {reason_vi}. Chạy `make browser` với quyền root để cài Chromium "
                "(bắt buộc trong CI).")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is not installed", "chưa cài gói Python playwright (.[dev])")
        raise AssertionError("unreachable") from None
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing", f"không có {CHROMIUM}")
    driver = sync_playwright().start()
    try:
        try:
            launched = driver.chromium.launch(executable_path=str(CHROMIUM))
        except Error as exc:
            first = str(exc).splitlines()[0]
            _unavailable(f"{CHROMIUM} did not start ({first})", f"{CHROMIUM} không khởi động được ({first})")
            raise
        yield launched
        launched.close()
    finally:
        driver.stop()


@pytest.fixture
def guard() -> Guard:
    return Guard()


@pytest.fixture
def page(browser: Browser, guard: Guard) -> Iterator[Page]:
    opened = guarded_page(browser, guard)
    yield opened
    opened.context.close()
    assert not guard.outside, f"requests left localhost: {guard.outside}"
