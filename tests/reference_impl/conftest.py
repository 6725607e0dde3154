"""Fixtures for the reference implementation's tests.

No pytest-asyncio here: one event loop per session runs everything, so the browser can be
shared; tests call ``loop.run_until_complete`` (via the ``run`` fixture) on their coroutines.
"""

from __future__ import annotations

import asyncio
import http.server
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Playwright, async_playwright

from conformance.browser import launch_chromium
from reference_impl import ReferenceHost
from reference_impl.host.ice import restrict_ice_to_loopback

T = TypeVar("T")

PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><title>blank</title></head>
<body><p>reference implementation test page</p></body></html>"""


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def page_url() -> Iterator[str]:
    """A secure-context page on http://localhost (getUserMedia needs one)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}/index.html"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module", autouse=True)
def _far_ends_on_loopback() -> Iterator[None]:
    """The tests' far ends (``conformance.parties.AiortcParty``) run in this process and
    gather on loopback only, like the hermetic host. aioice's setting is process-wide, so
    it is undone after each module: set for the whole session, it made the far ends of the
    worker's later tests (outside this folder) offer only 127.0.0.1, which a home network's
    device cannot reach, and those calls heard no media in the whole suite."""
    with restrict_ice_to_loopback():
        yield


@pytest.fixture(scope="session")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """The one event loop of the session."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


Runner = Callable[[Awaitable[T]], T]


@pytest.fixture(scope="session")
def run(loop: asyncio.AbstractEventLoop) -> Callable[[Awaitable[Any]], Any]:
    """Run a coroutine to completion on the session loop, bounded to 90 s."""

    def runner(awaitable: Awaitable[Any]) -> Any:
        return loop.run_until_complete(asyncio.wait_for(awaitable, 90))

    return runner


@pytest.fixture(scope="session")
def playwright(run: Callable[[Awaitable[Any]], Any]) -> Iterator[Playwright]:
    manager = async_playwright()
    pw = run(manager.start())
    yield pw
    run(manager.__aexit__())


@pytest.fixture(scope="session")
def browser(run: Callable[[Awaitable[Any]], Any], playwright: Playwright) -> Iterator[Browser]:
    browser = run(launch_chromium(playwright))
    yield browser
    run(browser.close())


@pytest.fixture
def host(run: Callable[[Awaitable[Any]], Any]) -> Iterator[ReferenceHost]:
    """A fresh host process per test."""
    host = run(ReferenceHost.start())
    yield host
    run(host.close())
    # The host must never log an unexpected exception, whatever the test did to it.
    assert "Traceback" not in host.stderr_tail(), host.stderr_tail()


@pytest.fixture
def all_host(run: Callable[[Awaitable[Any]], Any]) -> Iterator[ReferenceHost]:
    """A fresh host that gathers like a local device (every interface, the page's servers)."""
    host = run(ReferenceHost.start(ice="all"))
    yield host
    run(host.close())
    assert "Traceback" not in host.stderr_tail(), host.stderr_tail()


@pytest.fixture
def context(run: Callable[[Awaitable[Any]], Any], browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser context (not redirected unless a test prepares it)."""
    context = run(browser.new_context())
    yield context
    run(context.close())


@pytest.fixture
def redirected_page(run: Callable[[Awaitable[Any]], Any], host: ReferenceHost,
                    context: BrowserContext, page_url: str) -> Page:
    """A page under the reference redirection, channel open."""

    async def open_page() -> Page:
        await host.prepare_context(context)
        page = await context.new_page()
        await page.goto(page_url)
        await page.wait_for_function(
            "window.__mmrReferenceShim && __mmrReferenceShim.channelState() === 'open'", timeout=10_000)
        return page

    page: Page = run(open_page())
    return page
