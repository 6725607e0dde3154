"""Calls to a real backend on another host: Janus (and coturn) in a network namespace.

The AudioBridge demo is Debian's unmodified page (only ``settings.js`` is ours); the relay
test uses a small page of ours on Debian's ``janus.js`` because the demos do not pass
``iceTransportPolicy``. Skipped where namespaces or the packages are unavailable.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page
from playwright.async_api import Error as PlaywrightError

from conformance.backends.janus import DEMOS, OtherHost, demo_overrides, tail
from conformance.server import PageServer
from reference_impl import ReferenceHost

Run = Callable[[Awaitable[Any]], Any]

TEST_PAGES = Path(__file__).resolve().parent.parent / "data" / "janus"
CONNECT_TIMEOUT_MS = 20_000
BRIDGE_PC = "window.mixertest && mixertest.webrtcStuff && mixertest.webrtcStuff.pc"


@pytest.fixture
def demos(other_host: OtherHost, tmp_path: Path) -> Iterator[PageServer]:
    """The demos over our overrides (settings.js, the relay test page), on loopback."""
    overrides = demo_overrides(tmp_path / "overrides", other_host.janus,
                               other_host.turn.ice_servers())
    server = PageServer({"janus": [overrides, TEST_PAGES, DEMOS]})
    yield server
    server.close()


async def _join_bridge(page: Page, url: str, janus_log: Path) -> float:
    """Open the AudioBridge demo, join its room; seconds from "Join" to a connected call.

    The buttons get their click events dispatched on them, not a mouse click at a point:
    the demo inserts its navigation bar (``$(...).load("navbar.html")``) after ``load``, and
    a layout shift between Playwright's hit test and the click sent the click elsewhere on a
    loaded CI machine, so the demo never started. A timeout names what the page logged."""
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    try:
        await page.goto(url)
        await page.dispatch_event("#start", "click")
        await page.fill("#username", "tester", timeout=CONNECT_TIMEOUT_MS)
        started = time.monotonic()
        await page.dispatch_event("#register", "click")
        await page.wait_for_function(
            f"{BRIDGE_PC} && mixertest.webrtcStuff.pc.connectionState === 'connected'",
            timeout=CONNECT_TIMEOUT_MS)
    except PlaywrightError as exc:
        logged = "\n".join(console[-40:]) or "(nothing)"
        raise AssertionError(f"the AudioBridge demo did not connect: {exc.message}\n"
                             f"the page logged:\n{logged}\n"
                             f"Janus logged:\n{tail(janus_log)}") from None
    return time.monotonic() - started


async def _hang_up(page: Page) -> None:
    # Janus's own teardown: closes the peer connection and stops the captured tracks.
    await page.evaluate(f"{BRIDGE_PC} && mixertest.hangup()")


def _selected(pcs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [t["selectedPair"] for pc in pcs for t in pc["iceTransports"] if t["selectedPair"]]


def test_redirected_call_to_janus_on_another_host_connects(
        run: Run, browser: Browser, all_host: ReferenceHost, demos: PageServer,
        other_host: OtherHost) -> None:
    async def scenario() -> tuple[float, float]:
        native = await browser.new_context()
        redirected = await browser.new_context()
        try:
            native_s = await _join_bridge(await native.new_page(), demos.url("janus/audiobridgetest.html"),
                                       other_host.scratch / "janus.log")
            await all_host.prepare_context(redirected)
            page = await redirected.new_page()
            redirected_s = await _join_bridge(page, demos.url("janus/audiobridgetest.html"),
                                       other_host.scratch / "janus.log")
            (pair,) = _selected(await all_host.peer_connections())
            # The host's real ICE reached the other host, not loopback.
            assert pair["remote"]["address"] == other_host.namespace.address
            assert pair["local"]["address"] != "127.0.0.1"
            await _hang_up(page)
            return native_s, redirected_s
        finally:
            await native.close()
            await redirected.close()

    native_s, redirected_s = run(scenario())
    print(f"call set-up against Janus: native {native_s * 1000:.0f} ms, "
          f"redirected {redirected_s * 1000:.0f} ms, ratio {redirected_s / native_s:.2f}")


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_relay_policy_connects_through_turn(
        run: Run, all_host: ReferenceHost, context: BrowserContext, other_host: OtherHost,
        tmp_path: Path, transport: str) -> None:
    overrides = demo_overrides(tmp_path / "overrides", other_host.janus,
                               other_host.turn.ice_servers(transport))
    server = PageServer({"janus": [overrides, TEST_PAGES, DEMOS]})

    async def scenario() -> None:
        await all_host.prepare_context(context)
        page = await context.new_page()
        await page.goto(server.url("janus/relay-echo.html"))
        await page.wait_for_function("echo.error || (echo.pc && echo.pc.connectionState === 'connected')",
                                     timeout=CONNECT_TIMEOUT_MS)
        assert await page.evaluate("echo.error") is None
        try:
            (pc,) = await all_host.peer_connections()
            (transport_view,) = pc["iceTransports"]
            assert {c["type"] for c in transport_view["localCandidates"]} == {"relay"}
            pair = transport_view["selectedPair"]
            assert pair["local"]["type"] == "relay"
            assert pair["local"]["address"] == other_host.turn.address
            assert await page.evaluate("echo.pc.getConfiguration().iceTransportPolicy") == "relay"
        finally:
            await page.evaluate("echo.handle.hangup()")

    try:
        run(scenario())
    finally:
        server.close()
