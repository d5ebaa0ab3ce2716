"""Browser tests: Playwright driving Debian's chromium against a live uvicorn server.

The server runs the web router over the in-memory fake source (tests/web/fakes.py) in a
thread; each test gets a fresh source. Every page a test visits is screenshotted into
artifacts/screenshots/ (ignored by git) and checked with axe-core (vendored, MPL-2.0):
no serious or critical violations. Without chromium or Playwright the tests skip, except
under CI=true, where they fail.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import make_app
from tests.web.fakes import T0, FakeSource

CHROMIUM = os.environ.get("AUTOGRADE_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-dev-shm-usage",
]


def _unavailable(why: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{why} (CI=true: browser tests must run)", pytrace=False)
    pytest.skip(why)


class Holder:
    """The app whose page source a test may replace."""

    def __init__(self) -> None:
        self.source = FakeSource(T0)
        self.app = make_app(self.source)

    def reset(self) -> FakeSource:
        self.source = FakeSource(T0)
        self.app.state.page_source = self.source
        self.app.dependency_overrides.clear()
        from api.web.deps import utcnow

        self.app.dependency_overrides[utcnow] = lambda: self.source.now
        return self.source


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve an ASGI app on a free loopback port in a thread; yields its base URL."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def live() -> Iterator[tuple[str, Holder]]:
    holder = Holder()
    with serve(holder.app) as url:
        yield url, holder


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"no chromium at {CHROMIUM}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


def _axe_source() -> str:
    if not hasattr(_axe_source, "text"):
        _axe_source.text = AXE.read_text()  # type: ignore[attr-defined]
    return _axe_source.text  # type: ignore[attr-defined]


class Visit:
    """Screenshots and accessibility-checks each page a test looks at."""

    def __init__(self, page: Any, base: str, test: str) -> None:
        self.page, self.base, self.test, self.n = page, base, test, 0
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def check(self, label: str) -> None:
        self.n += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^a-z0-9_]+", "-", f"{self.test}-{self.n:02d}-{label}".lower())
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            # evaluated over the DevTools protocol: the pages' CSP (no inline scripts) stays on
            self.page.evaluate(_axe_source())
        result = self.page.evaluate(
            "axe.run(document, {resultTypes: ['violations']})"
            ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"
        )
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        assert not bad, f"axe on {label} ({self.page.url}): {bad}"
        # no script errors and nothing the pages' CSP refused (404/401 pages log their status)
        errors = [e for e in self.errors if "status of 4" not in e]
        assert not errors, f"browser console on {label} ({self.page.url}): {errors}"

    def go(self, path: str, label: str) -> None:
        self.page.goto(self.base + path)
        self.check(label)


@contextmanager
def new_visit(browser: Any, base: str, test: str) -> Iterator[Visit]:
    """A fresh browser context (own cookies) in another time zone than the course's."""
    context = browser.new_context(viewport={"width": 1366, "height": 900},
                                  timezone_id="America/New_York")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield Visit(page, base, test)
    finally:
        context.close()


@pytest.fixture
def visit(request: pytest.FixtureRequest, live: tuple[str, Holder], browser: Any
          ) -> Iterator[Visit]:
    with new_visit(browser, live[0], request.node.name) as v:
        yield v


@pytest.fixture
def fake(live: tuple[str, Holder]) -> FakeSource:
    return live[1].reset()
