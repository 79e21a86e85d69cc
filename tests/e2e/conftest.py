"""Browser tests: the real server (demo loaded) in a subprocess, driven by Debian's Chromium
through Playwright. Screenshots go to test-results/ for a person to look at."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from patrolgrid.app import STATIC_DIR

# Live updates cross a server, a WebSocket and a browser on a 2-core machine that CI may share
# with other jobs: give each expectation 10 s rather than Playwright's default 5 s.
expect.set_options(timeout=10_000)

CHROMIUM = os.environ.get("PATROLGRID_CHROMIUM", "/usr/bin/chromium")
RESULTS = Path(__file__).resolve().parents[2] / "test-results"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not (STATIC_DIR / "index.html").is_file():
        pytest.fail("web front end not built: run `make web` first", pytrace=False)
    port = _free_port()
    data_dir = tmp_path_factory.mktemp("e2e-var")
    env = {**os.environ, "PATROLGRID_DATA_DIR": str(data_dir), "PATROLGRID_PORT": str(port)}
    env.pop("PATROLGRID_DATABASE_URL", None)
    log = (data_dir / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "patrolgrid", "demo"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail("server did not start:\n" + (data_dir / "server.log").read_text())
        time.sleep(0.2)
    yield url
    server.terminate()
    server.wait(10)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """One Playwright for the whole run: its sync API cannot be started twice in a thread, so
    modules that need a differently launched browser (fake camera) launch it from this one."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: `make chromium` installs it", pytrace=False)
    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def shot(page: Page, name: str) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
