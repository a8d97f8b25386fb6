"""Helpers of the browser tests: the demo's expected figures, the served site, a page whose requests are checked.

The fixtures that use them are in ``webserver.py`` (a pytest plugin), as tests/api splits
``apihelp`` from ``apiserver``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from api.village_views import PROFILE_RULES
from ledger.application import Ledger
from ledger.storage import persistence_env
from projections.views import Views

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
BEFORE, AFTER = date(2022, 5, 1), date(2022, 8, 1)  # before Ba Tơ's election day (15/05/2022), after the congresses


def dantin_command() -> list[str]:
    script = Path(sys.executable).with_name("dantin")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli"]


def tool_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "DANTIN_DATABASE"}  # the demo is the SQLite default


@dataclass
class Expected:
    """What the views say about the demo, judged in the test process."""

    verdicts: Counter[str]
    outcomes: Counter[str]
    villages: dict[str, dict[str, Any]]  # village → its views row
    violating: str  # a village with a failing check
    failing: list[dict[str, Any]]  # that village's failing checks (of rules explained publicly)
    private: tuple[str, dict[str, Any]]  # a village and its failing check whose explanation quotes a profile
    compliant: str  # a village whose head is recognised and elected secretary
    head_after: str  # that village's head's name on AFTER


def expected_of(directory: Path) -> Expected:
    ledger = Ledger(env=persistence_env(directory, None))  # no log key: closing it publishes nothing
    try:
        views = Views(ledger)
        views.catch_up()
        rows = views.villages("")
        failing: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            verdict = views.verdict(r["village"])
            assert verdict is not None
            failing[r["village"]] = [c for c in verdict["checks"] if c["status"] == "fail"]
        # A breach the public pages explain, and one whose explanation quotes a profile (shown redacted).
        violating = next(v for v, found in failing.items() if any(c["rule"] not in PROFILE_RULES for c in found))
        private = next((v, c) for v, found in failing.items() for c in found if c["rule"] in PROFILE_RULES)
        compliant = next(r["village"] for r in rows if r["verdict"] == "compliant" and r["same_person"] == "secretary")
        lead = views.leadership(compliant, AFTER)
        assert lead is not None and lead["offices"]["head"]
        return Expected(Counter(r["verdict"] for r in rows), Counter(r["same_person"] for r in rows),
                        {r["village"]: r for r in rows}, violating,
                        [c for c in failing[violating] if c["rule"] not in PROFILE_RULES], private, compliant,
                        lead["names"][lead["offices"]["head"]])
    finally:
        ledger.close()


@dataclass
class Site:
    url: str
    directory: Path
    expected: Expected
    process: subprocess.Popen[bytes]
    log_path: Path
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.url, timeout=30)


def start_server(directory: Path, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    log = log_path.open("wb")
    process = subprocess.Popen([*dantin_command(), "serve", str(directory), "--port", "0"], cwd=REPO, stdout=log,
                               stderr=subprocess.STDOUT, env=tool_env())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"Uvicorn running on (http://[0-9.]+:[0-9]+)", log_path.read_text(encoding="utf-8"))
        if found and httpx.get(found.group(1) + "/healthz", timeout=5).status_code == 200:
            return process, found.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise AssertionError("dantin serve did not start:\n" + log_path.read_text(encoding="utf-8"))


@dataclass
class Guard:
    """Requests aborted because they would have left localhost."""

    outside: list[str] = field(default_factory=list)


def guarded_page(browser: Browser, guard: Guard, **options: Any) -> Page:
    context = browser.new_context(locale="vi-VN", **options)

    def check(route: Any) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            guard.outside.append(route.request.url)
            route.abort()

    context.route("**/*", check)
    return context.new_page()


SCREENSHOTS = REPO / "tests" / "artifacts" / "screenshots"


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as ``tests/artifacts/screenshots/<name>.png`` (gitignored) and check the file."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.is_file() and path.stat().st_size > 0, path
    return path


def copy_ledger(source: Path, target: Path) -> Path:
    """A consistent copy of a SQLite ledger directory (keys, settings, witnesses), even while a server writes it."""
    import shutil
    import sqlite3

    shutil.copytree(source, target, ignore=shutil.ignore_patterns("ledger.sqlite*", "last-verify.json*"))
    src, dst = sqlite3.connect(source / "ledger.sqlite"), sqlite3.connect(target / "ledger.sqlite")
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return target
