"""What every target is: typed capabilities, options, and the one way to open a page on it.

A target says how a page gets onto it (which browser, which context, which init scripts),
what it can do besides running a page (:class:`Capabilities`), and which of a scenario's
expectations apply to it (``native`` or ``redirected``). Scenarios, certification and
``conformance open`` all open pages through :meth:`Target.open_page`, so there is one page
set-up and it cannot drift.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page

    from conformance.targets.browsers import Browsers

__all__ = [
    "CAPABILITY_LABELS",
    "Capabilities",
    "CapabilityMissing",
    "ExpectationKind",
    "FaultInjector",
    "HostView",
    "OpenedPage",
    "PageSetup",
    "SpeakerRecords",
    "Target",
    "TargetUnavailable",
]

#: Which set of a scenario's expectations applies to a target.
ExpectationKind = Literal["native", "redirected"]

#: Capability field -> the words used in SKIP and not-applicable reasons.
CAPABILITY_LABELS: dict[str, str] = {
    "faults": "fault injection (disconnect, reconnect, crash-host, latency)",
    "speaker_records": "speaker records of the local device",
    "host_peer_connections": "the local device's view of peer connections",
}

_CLOSE_TIMEOUT = 10.0


class TargetUnavailable(Exception):
    """The target cannot run here; the message is the SKIP reason."""


class CapabilityMissing(TargetUnavailable):
    """An item needs something the target cannot do; the message names it."""

    def __init__(self, target: str, capability: str) -> None:
        label = CAPABILITY_LABELS.get(capability, capability)
        super().__init__(f"needs {label}, which the {target} target does not offer")
        self.capability = capability


@dataclass(frozen=True)
class Capabilities:
    """What a target can do besides running pages.

    ``faults``: disconnect, reconnect, crash the host, add channel latency.
    ``speaker_records``: read what a virtual speaker of the local device rendered.
    ``host_peer_connections``: list the local device's real peer connections (with SDP).
    """

    faults: bool = False
    speaker_records: bool = False
    host_peer_connections: bool = False

    def missing(self, needs: frozenset[str]) -> list[str]:
        """The capabilities in ``needs`` that this target lacks, in a fixed order."""
        return [name for name in CAPABILITY_LABELS if name in needs and not getattr(self, name)]


class FaultInjector(Protocol):
    """Fault injection (targets with ``capabilities.faults``)."""

    async def fault(self, kind: str, options: dict[str, Any]) -> None:
        """Inject ``kind`` (disconnect, reconnect, crash-host, latency)."""


class SpeakerRecords(Protocol):
    """Speaker records (targets with ``capabilities.speaker_records``)."""

    async def speaker_record(self, speaker: int | str) -> dict[str, Any]:
        """What a virtual speaker rendered."""


class HostView(Protocol):
    """The local device (targets with ``capabilities.host_peer_connections``)."""

    microphones: list[Any]
    speakers: list[Any]

    async def peer_connections(self) -> list[dict[str, Any]]:
        """Every live peer connection of the local device, with its SDP."""


Binding = Callable[..., Any]


@dataclass
class PageSetup:
    """What a caller adds to a page before it loads, and what it wants to hear from it.

    ``init_scripts`` run at document start in every frame, after the target's own (the
    shim). ``bindings`` become ``window.<name>(...)`` (Playwright bindings: they cross
    machines, unlike a loopback socket). ``on_console`` / ``on_page_error`` receive the
    page's console messages and uncaught errors.
    """

    init_scripts: tuple[str, ...] = ()
    bindings: dict[str, Binding] = field(default_factory=dict)
    on_console: Callable[[ConsoleMessage], None] | None = None
    on_page_error: Callable[[Any], None] | None = None
    on_navigated: Callable[[Any], None] | None = None
    #: Called with the context before the page exists (e.g. to start a trace); only on a
    #: context this page owns, never on a browser's default context the user shares.
    on_context: Callable[[BrowserContext], Awaitable[None]] | None = None
    goto_timeout: float | None = None
    #: Wait for the target to be ready for this page (the shim's hello) after loading.
    wait_ready: bool = True


@dataclass
class OpenedPage:
    """A page opened on a target; :meth:`close` releases exactly what was opened for it."""

    page: Page
    context: BrowserContext
    owns_context: bool
    crashed: asyncio.Event
    #: Why the target is not fully ready for the page (``None``: ready).
    not_ready: str | None = None

    async def close(self) -> None:
        """Close the page, and its context when the context was made for it."""
        with contextlib.suppress(Exception):
            if self.owns_context:
                await asyncio.wait_for(self.context.close(), _CLOSE_TIMEOUT)
            else:
                await asyncio.wait_for(self.page.close(), _CLOSE_TIMEOUT)


class Target:
    """A place pages run: a browser, maybe a redirection, and what it can do.

    Subclasses (one module each, registered in :mod:`conformance.targets`) set ``name``,
    ``description`` and ``capabilities``, and override the hooks they need.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    capabilities: ClassVar[Capabilities] = Capabilities()
    #: The expectations that apply, when known without looking at a page (``None``: the
    #: target finds out from its first page, as ``attach`` does).
    fixed_kind: ClassVar[ExpectationKind | None] = "native"

    def __init__(self, browsers: Browsers) -> None:
        self.browsers = browsers

    # --- what applies ------------------------------------------------------------------
    async def expectation_kind(self) -> ExpectationKind:
        """Which expectations of a scenario apply here."""
        assert self.fixed_kind is not None, "targets without a fixed kind override this"
        return self.fixed_kind

    def honours_reference_limitations(self) -> bool:
        """Whether ``ref-*`` deviations are expected here (only on the reference target)."""
        return False

    # --- pages -------------------------------------------------------------------------
    async def browser(self) -> Browser:
        """The browser pages open in (launched or attached, reused)."""
        return await self.browsers.launched()

    async def context_for_page(self) -> tuple[BrowserContext, bool]:
        """A context for a new page, and whether the page owns it (and may close it)."""
        browser = await self.browser()
        return await browser.new_context(), True

    async def init_scripts(self) -> tuple[str, ...]:
        """Scripts the target itself needs at document start in every frame (the shim)."""
        return ()

    async def open_page(self, url: str, setup: PageSetup | None = None) -> OpenedPage:
        """Open ``url`` on this target: the one page set-up of the suite.

        The target's scripts go first, then the caller's; on a context the page does not
        own (a real browser's default context) they are added to the page only, so the
        user's other pages are never touched. Raises what ``goto`` raises (the page is
        closed first).
        """
        setup = setup or PageSetup()
        context, owns = await self.context_for_page()
        scripts = (*await self.init_scripts(), *setup.init_scripts)
        try:
            if owns and setup.on_context is not None:
                await setup.on_context(context)
            if owns:
                for name, binding in setup.bindings.items():
                    await context.expose_binding(name, binding)
                for script in scripts:
                    await context.add_init_script(script=script)
                page = await context.new_page()
            else:
                page = await context.new_page()
                for name, binding in setup.bindings.items():
                    await page.expose_binding(name, binding)
                for script in scripts:
                    await page.add_init_script(script=script)
        except BaseException:
            if owns:
                with contextlib.suppress(Exception):
                    await context.close()
            raise
        opened = OpenedPage(page, context, owns, asyncio.Event())
        page.on("crash", lambda _page: opened.crashed.set())
        if setup.on_console is not None:
            page.on("console", setup.on_console)
        if setup.on_page_error is not None:
            page.on("pageerror", setup.on_page_error)
        if setup.on_navigated is not None:
            page.on("framenavigated", setup.on_navigated)
        try:
            timeout = setup.goto_timeout * 1000.0 if setup.goto_timeout else None
            await page.goto(url, timeout=timeout)
            if setup.wait_ready:
                opened.not_ready = await self.page_ready(page)
        except BaseException:
            await opened.close()
            raise
        return opened

    async def page_ready(self, page: Page) -> str | None:
        """Wait (bounded) until a loaded page is fully on the target; a problem, or None."""
        return None

    async def far_end_browser(self) -> Browser:
        """Where a native far-end page opens (in a fresh context of its own)."""
        return await self.browser()

    # --- capabilities ------------------------------------------------------------------
    def faults(self) -> FaultInjector:
        """The fault injector; :class:`CapabilityMissing` without ``capabilities.faults``."""
        raise CapabilityMissing(self.name, "faults")

    def speaker_records(self) -> SpeakerRecords:
        """Speaker records; :class:`CapabilityMissing` without the capability."""
        raise CapabilityMissing(self.name, "speaker_records")

    async def host_view(self) -> HostView:
        """The local device; :class:`CapabilityMissing` without ``host_peer_connections``."""
        raise CapabilityMissing(self.name, "host_peer_connections")

    # --- item lifecycle ----------------------------------------------------------------
    async def after_item(self) -> None:
        """Reset whatever an item changed (faults, latency) for the next item."""

    async def problem(self) -> str | None:
        """Why the target broke during the item (not through a scenario's fault), if it did."""
        return None

    async def close(self) -> None:
        """Release the target's own resources (the browsers are the :class:`Browsers`')."""

    async def identity(self) -> dict[str, Any]:
        """What this target is, for run_info and certificates (see ``docs/targets.md``)."""
        return {"name": self.name, "kind": await self.expectation_kind()}
