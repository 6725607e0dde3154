"""The per-worker harness: one event loop, the browsers, one page server, the targets.

pytest calls items synchronously; the harness owns an :class:`asyncio.Runner` and runs each
item's coroutine on it, so Playwright stays async throughout and its objects live on one
loop for the whole session. Every item opens its page through its target's one
``open_page`` (a fresh context on a launched browser; a new page in an attached browser's
default context); a browser that crashed is relaunched for the next item.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from conformance.artifacts import ArtifactPolicy
from conformance.browser import BrowserNotFoundError
from conformance.engine import ItemContext, judge, new_result, run_steps
from conformance.model import Expectation, Scenario
from conformance.page_scripts import RUNTIME_SCRIPTS
from conformance.parties import BINDING_NAME, NativePageParty, PartyBroker
from conformance.results import LOG_ENTRY_LIMIT, ScenarioResult
from conformance.server import PageServer
from conformance.targets import (
    Browsers,
    OpenTargets,
    PageSetup,
    Target,
    TargetOptions,
    TargetUnavailable,
    applicable_expectation,
    missing_capabilities,
)
from conformance.targets.base import CapabilityMissing
from conformance.targets.hung import end_hung_page, responsive
from reference_impl.tones import NATIVE_FAR_END_TONE_HZ as DEFAULT_TONE_HZ

if TYPE_CHECKING:
    from playwright.async_api import ConsoleMessage

__all__ = ["Harness"]

_CLOSE_TIMEOUT = 10.0
T = TypeVar("T")


class Harness:
    """Runs scenarios on targets; one instance per pytest worker."""

    def __init__(self, options: TargetOptions | None = None, *,
                 mounts: dict[str, Path] | None = None,
                 artifacts: ArtifactPolicy | None = None) -> None:
        self._runner = asyncio.Runner()
        self._artifacts = artifacts or ArtifactPolicy(None)
        self._mounts = mounts
        self._server: PageServer | None = None
        self._open = OpenTargets(options or TargetOptions())

    # --- lifecycle --------------------------------------------------------------
    def run_item(self, scenario: Scenario, target: str) -> ScenarioResult:
        """Run ``scenario`` on ``target`` and return its result (never raises for page faults)."""
        return self._runner.run(self._run_item(scenario, target))

    def run_async(self, awaitable: Awaitable[T]) -> T:
        """Run ``awaitable`` on the harness's event loop (where its Playwright objects live)."""
        async def run() -> T:
            return await awaitable
        return self._runner.run(run())

    def target(self, name: str) -> Target:
        """The target called ``name`` (aliases allowed), made on first use."""
        return self._target(name)

    def identity(self, target: str) -> dict[str, Any]:
        """What ``target`` is (browser, redirection, versions), for run_info."""
        return self._runner.run(self._target(target).identity())

    @property
    def browsers(self) -> Browsers:
        """The browsers every target of this harness shares."""
        return self._open.browsers

    def close(self) -> None:
        """Close targets, browsers, Playwright and the page server."""
        try:
            self._runner.run(self._open.close())
        finally:
            self._runner.close()
            if self._server is not None:
                self._server.close()
                self._server = None

    def _target(self, name: str) -> Target:
        target = self._open.get(name)
        if target.fixed_kind is None and target.probe_url is None:
            # It learns its expectations from a page: the suite's own index page.
            target.probe_url = self.server.url("index.html")
        return target

    @property
    def server(self) -> PageServer:
        """The page server, started on first use."""
        if self._server is None:
            self._server = PageServer(self._mounts)
        return self._server

    # --- one item ---------------------------------------------------------------
    async def _run_item(self, scenario: Scenario, target_name: str) -> ScenarioResult:
        started = time.perf_counter()
        target = self._target(target_name)
        result = new_result(scenario, target.name, Expectation("pass"))
        try:
            kind = await target.expectation_kind()
            expectation = await applicable_expectation(scenario, target)
            if expectation is None:
                raise TargetUnavailable(f"the scenario states no expectation for {kind} pages")
            result = new_result(scenario, target.name, expectation)
            missing = missing_capabilities(scenario, kind, target)
            if missing:
                raise CapabilityMissing(target.name, missing[0])
            await self._run_in_page(scenario, target, kind, result)
        except TargetUnavailable as exc:
            result.status, result.message = "SKIP", str(exc)
        except BrowserNotFoundError as exc:
            result.status, result.message = "ERROR", str(exc)
        except Exception as exc:  # the harness itself failed around the steps
            result.status, result.message = "ERROR", f"harness error: {type(exc).__name__}: {exc}"
        finally:
            try:
                await asyncio.wait_for(target.after_item(), _CLOSE_TIMEOUT)
            except Exception as exc:
                result.console.append({"type": "harness", "text": f"target reset failed: {exc}"})
        result.duration = time.perf_counter() - started
        result.expected, result.message = judge(Expectation(**result.expectation), result.status,
                                                result.message)
        return result

    async def _run_in_page(self, scenario: Scenario, target: Target, kind: str,
                           result: ScenarioResult) -> None:
        far_end_browser = await target.far_end_browser()

        async def open_native_party(tone_hz: float | None) -> NativePageParty:
            return await NativePageParty.open(far_end_browser, self.server.url("far-end.html"),
                                              tone_hz or DEFAULT_TONE_HZ)

        parties = PartyBroker(open_native_party)
        setup = PageSetup(
            init_scripts=RUNTIME_SCRIPTS,
            bindings={BINDING_NAME: parties.handle},
            on_console=lambda message: _log_console(result, message),
            on_page_error=lambda error: _append(result.console, {"type": "pageerror",
                                                                 "text": str(error)}),
            on_context=self._artifacts.start,
            reuse=True,
        )
        opened = None
        unresponsive = False
        try:
            opened = await target.open_page(self.server.url("index.html"), setup)
            if opened.not_ready:
                result.console.append({"type": "harness", "text": opened.not_ready})
            caps = target.capabilities
            item = ItemContext(opened.page, scenario, kind,
                               target.faults() if caps.faults else None,
                               target.speaker_records() if caps.speaker_records else None,
                               opened.crashed, result.console)
            status, message, steps = await run_steps(item)
            result.status, result.message, result.steps = status, message, steps
            broken = await target.problem()
            if broken:
                # Whatever the steps concluded, the item ran on a broken target: say why.
                result.status = "ERROR"
                result.message = f"{broken}; {message}" if message else broken
            if status == "TIMEOUT" and not opened.crashed.is_set() and not await responsive(opened):
                # A script that never yields (`while (true) {}`) holds the renderer: nothing
                # more can be evaluated there, so close it at once instead of waiting on
                # cleanup, the screenshot and the context's close in turn.
                unresponsive = True
                result.message += ("; the page stayed unresponsive after the step (a script "
                                   "that never yields): the harness closed it without cleanup")
                await end_hung_page(opened)
            elif not opened.crashed.is_set():
                await self._collect_and_clean(opened.page, result)
        finally:
            await asyncio.wait_for(parties.close(), _CLOSE_TIMEOUT)
            if opened is not None:
                try:
                    await asyncio.wait_for(
                        self._artifacts.finish(opened.own_context,
                                               None if unresponsive else opened.page, result),
                        _CLOSE_TIMEOUT)
                except Exception as exc:  # artifacts are a bonus; the verdict stands
                    result.console.append({"type": "harness", "text": f"artifacts failed: {exc}"})
                await opened.close()

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
        result.mmr_log = state["log"][:LOG_ENTRY_LIMIT]
        cleaned = {k: v for k, v in state["cleaned"].items() if v}
        if cleaned:
            result.console.append({"type": "harness", "text": f"cleanup closed {cleaned}"})


def _append(entries: list[dict[str, Any]], entry: dict[str, Any]) -> None:
    if len(entries) < LOG_ENTRY_LIMIT:
        entries.append(entry)


def _log_console(result: ScenarioResult, message: ConsoleMessage) -> None:
    location = message.location or {}
    _append(result.console, {
        "type": message.type,
        "text": message.text,
        "url": location.get("url", ""),
        "line": location.get("lineNumber", 0),
    })
