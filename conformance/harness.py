"""The per-worker harness: one event loop, one browser, one page server, the targets.

pytest calls items synchronously; the harness owns an :class:`asyncio.Runner` and runs each
item's coroutine on it, so Playwright stays async throughout and its objects live on one
loop for the whole session. Every item gets a fresh browser context and page (isolation:
permissions, storage, and no leftover objects), on a browser that is reused; a browser
that crashed is relaunched for the next item.
"""

from __future__ import annotations

import asyncio
import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.artifacts import ArtifactPolicy
from conformance.browser import ChromiumInfo, find_chromium, launch_chromium
from conformance.engine import ItemContext, judge, new_result, run_steps
from conformance.model import Scenario
from conformance.parties import BINDING_NAME, NativePageParty, PartyBroker
from conformance.parties.native_party import DEFAULT_TONE_HZ
from conformance.results import ScenarioResult
from conformance.server import PageServer
from conformance.targets import Target, TargetUnavailable, make_target

if TYPE_CHECKING:
    from playwright.async_api import Browser, ConsoleMessage, Playwright

__all__ = ["Harness"]

RUNTIME_JS = resources.files("conformance").joinpath("page/runtime.js").read_text()
_CLOSE_TIMEOUT = 10.0
_MAX_LOG_ENTRIES = 500


class Harness:
    """Runs scenarios on targets; one instance per pytest worker."""

    def __init__(self, *, browser_path: str | None = None, headless: bool = True,
                 mounts: dict[str, Path] | None = None,
                 artifacts: ArtifactPolicy | None = None) -> None:
        self._runner = asyncio.Runner()
        self._artifacts = artifacts or ArtifactPolicy(None)
        self._browser_path = browser_path
        self._headless = headless
        self._mounts = mounts
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._server: PageServer | None = None
        self._targets: dict[str, Target] = {}
        self.chromium: ChromiumInfo | None = None

    # --- lifecycle --------------------------------------------------------------
    def run_item(self, scenario: Scenario, target: str) -> ScenarioResult:
        """Run ``scenario`` on ``target`` and return its result (never raises for page faults)."""
        return self._runner.run(self._run_item(scenario, target))

    def close(self) -> None:
        """Close targets, browser, Playwright and the page server."""
        try:
            self._runner.run(self._close())
        finally:
            self._runner.close()
            if self._server is not None:
                self._server.close()
                self._server = None

    async def _close(self) -> None:
        for target in self._targets.values():
            await target.close()
        if self._browser is not None:
            await self._browser.close()
        if self._playwright is not None:
            await self._playwright.stop()

    async def _ensure_browser(self) -> Browser:
        if self._browser is not None and self._browser.is_connected():
            return self._browser
        if self._playwright is None:
            from playwright.async_api import async_playwright

            self._playwright = await async_playwright().start()
        self.chromium = self.chromium or find_chromium(self._browser_path)
        self._browser = await launch_chromium(self._playwright, self.chromium, headless=self._headless)
        return self._browser

    def _target(self, name: str) -> Target:
        if name not in self._targets:
            self._targets[name] = make_target(name)
        return self._targets[name]

    @property
    def server(self) -> PageServer:
        """The page server, started on first use."""
        if self._server is None:
            self._server = PageServer(self._mounts)
        return self._server

    # --- one item ---------------------------------------------------------------
    async def _run_item(self, scenario: Scenario, target_name: str) -> ScenarioResult:
        result = new_result(scenario, target_name)
        started = time.perf_counter()
        target = self._target(target_name)
        try:
            await self._run_in_page(scenario, target, result)
        except TargetUnavailable as exc:
            result.status, result.message = "SKIP", str(exc)
        except Exception as exc:  # the harness itself failed around the steps
            result.status, result.message = "ERROR", f"harness error: {type(exc).__name__}: {exc}"
        finally:
            try:
                await asyncio.wait_for(target.after_item(), _CLOSE_TIMEOUT)
            except Exception as exc:
                result.console.append({"type": "harness", "text": f"target reset failed: {exc}"})
        result.duration = time.perf_counter() - started
        result.expected, result.message = judge(scenario.expect[target_name], result.status,
                                                result.message)
        return result

    async def _run_in_page(self, scenario: Scenario, target: Target, result: ScenarioResult) -> None:
        browser = await self._ensure_browser()
        context = await browser.new_context()
        crashed = asyncio.Event()

        async def open_native_party(tone_hz: float | None) -> NativePageParty:
            return await NativePageParty.open(browser, self.server.url("far-end.html"),
                                              tone_hz or DEFAULT_TONE_HZ)

        parties = PartyBroker(open_native_party)
        page = None
        try:
            await self._artifacts.start(context)
            await context.expose_binding(BINDING_NAME, parties.handle)
            await target.prepare_context(context)
            await context.add_init_script(RUNTIME_JS)
            page = await context.new_page()
            page.on("console", lambda message: _log_console(result, message))
            page.on("pageerror",
                    lambda error: _append(result.console, {"type": "pageerror", "text": str(error)}))
            page.on("crash", lambda _page: crashed.set())
            await page.goto(self.server.url("index.html"))
            not_ready = await target.page_ready(page)
            if not_ready:
                result.console.append({"type": "harness", "text": not_ready})
            faults = target if hasattr(target, "fault") else None
            item = ItemContext(page, scenario, target.name, faults, crashed, result.console)  # type: ignore[arg-type]
            status, message, steps = await run_steps(item)
            result.status, result.message, result.steps = status, message, steps
            broken = await target.problem()
            if broken:
                # Whatever the steps concluded, the item ran on a broken target: say why.
                result.status = "ERROR"
                result.message = f"{broken}; {message}" if message else broken
            if not crashed.is_set():
                await self._collect_and_clean(page, result)
        finally:
            await asyncio.wait_for(parties.close(), _CLOSE_TIMEOUT)
            try:
                await asyncio.wait_for(self._artifacts.finish(context, page, result), _CLOSE_TIMEOUT)
            except Exception as exc:  # artifacts are a bonus; the verdict stands
                result.console.append({"type": "harness", "text": f"artifacts failed: {exc}"})
            try:
                await asyncio.wait_for(context.close(), _CLOSE_TIMEOUT)
            except Exception as exc:
                result.console.append({"type": "harness", "text": f"context close failed: {exc}"})

    async def _collect_and_clean(self, page: Any, result: ScenarioResult) -> None:
        """Read the redirection log, then close every peer connection and track left open."""
        try:
            state = await asyncio.wait_for(
                page.evaluate("async () => ({log: window.__conformance.mmrLog(), "
                              "cleaned: await window.__conformance.cleanup()})"),
                _CLOSE_TIMEOUT,
            )
        except Exception as exc:
            result.console.append({"type": "harness", "text": f"cleanup failed: {exc}"})
            return
        result.mmr_log = state["log"][:_MAX_LOG_ENTRIES]
        cleaned = {k: v for k, v in state["cleaned"].items() if v}
        if cleaned:
            result.console.append({"type": "harness", "text": f"cleanup closed {cleaned}"})


def _append(entries: list[dict[str, Any]], entry: dict[str, Any]) -> None:
    if len(entries) < _MAX_LOG_ENTRIES:
        entries.append(entry)


def _log_console(result: ScenarioResult, message: ConsoleMessage) -> None:
    location = message.location or {}
    _append(result.console, {
        "type": message.type,
        "text": message.text,
        "url": location.get("url", ""),
        "line": location.get("lineNumber", 0),
    })
