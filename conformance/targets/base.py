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
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from conformance.model import ExpectationKind
from conformance.targets.browsers import BrowserOptions, Browsers

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page

__all__ = [
    "CAPABILITY_LABELS",
    "Capabilities",
    "CapabilityMissing",
    "ExpectationKind",
    "FaultInjector",
    "HostView",
    "OpenedPage",
    "PagePool",
    "PageSetup",
    "SpeakerRecords",
    "Target",
    "TargetOptions",
    "TargetUnavailable",
]

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


@dataclass(frozen=True)
class TargetOptions:
    """Everything that configures targets in one process."""

    browser: BrowserOptions = field(default_factory=BrowserOptions)
    #: ``native`` / ``redirected``: the expectations an attached browser gets (else detected).
    attach_expects: ExpectationKind | None = None
    #: Where the reference target's host gathers ICE: ``loopback`` (hermetic) or ``all``
    #: (every interface and the page's STUN/TURN servers: a backend on another host);
    #: ``None``: the caller's default (``loopback``, or ``all`` to certify an app's own backend).
    ice: str | None = None
    #: Where the reference target's local device sits (``--network``: a topology of
    #: :mod:`conformance.network.topology`; the run makes its home network). ``None``: the
    #: profile's ``network:``, else ``same-host``.
    network: str | None = None
    #: An impairment preset on the local device's access link (``--impair``), or ``None``.
    impair: str | None = None


class FaultInjector(Protocol):
    """Fault injection (targets with ``capabilities.faults``)."""

    async def fault(self, kind: str, options: dict[str, Any]) -> None:
        """Inject ``kind`` (disconnect, reconnect, crash-host, latency)."""


class SpeakerRecords(Protocol):
    """Speaker records (targets with ``capabilities.speaker_records``)."""

    async def speaker_record(self, speaker: int | str) -> dict[str, Any]:
        """What a virtual speaker rendered."""

    async def speaker_audio(self, speaker: int | str) -> dict[str, Any]:
        """What a virtual speaker played lately, as timed 16 kHz PCM chunks."""


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
    #: Take the page from the target's :class:`PagePool` (a warm context and page, reused by
    #: navigation) instead of a fresh context. Only on contexts the suite owns, and only for
    #: callers that reset nothing themselves: the pool does (see :class:`PagePool`).
    reuse: bool = False


@dataclass
class OpenedPage:
    """A page opened on a target; :meth:`close` releases exactly what was opened for it."""

    page: Page
    context: BrowserContext
    owns_context: bool
    crashed: asyncio.Event
    #: Why the target is not fully ready for the page (``None``: ready).
    not_ready: str | None = None
    #: The pool the page came from (it goes back there on close), if any.
    pool: PagePool | None = None
    #: The caller's listeners on the page, removed when a pooled page goes back.
    listeners: list[tuple[str, Callable[..., Any]]] = field(default_factory=list)
    #: Whether a pooled page may serve another item (see :meth:`spoil`).
    reusable: bool = True

    def spoil(self) -> None:
        """Never give this page to another item (it hung, or its renderer was ended)."""
        self.reusable = False

    def on(self, event: str, listener: Callable[..., Any]) -> None:
        """Listen to ``event`` of the page for as long as this item holds it."""
        self.page.on(event, listener)  # type: ignore[call-overload]  # one of Page's events
        self.listeners.append((event, listener))

    @property
    def own_context(self) -> BrowserContext | None:
        """The context only this page uses (a pooled one counts: one page at a time), or
        ``None`` for a page in a context shared with pages of others (attach)."""
        return self.context if self.owns_context else None

    async def close(self) -> None:
        """Close the page, and its context when the context was made for it; a pooled
        page is reset and goes back to its pool instead."""
        for event, listener in self.listeners:
            with contextlib.suppress(Exception):
                self.page.remove_listener(event, listener)
        self.listeners.clear()
        if self.pool is not None:
            await self.pool.give_back(self)
            return
        with contextlib.suppress(Exception):
            if self.owns_context:
                await asyncio.wait_for(self.context.close(), _CLOSE_TIMEOUT)
            else:
                await asyncio.wait_for(self.page.close(), _CLOSE_TIMEOUT)


@dataclass
class _WarmPage:
    """An idle page of the pool, with the context it alone uses."""

    key: tuple[tuple[str, ...], tuple[str, ...]]
    context: BrowserContext
    page: Page
    #: The current holder's bindings (the context's bindings call through to these).
    bindings: dict[str, Binding]


class PagePool:
    """Warm pages of one target, reused across items by navigation.

    A fresh context and page cost about 0.8 s of CPU on a 2-core machine (a new storage
    partition, network context and renderer process), a navigation of a kept page about
    0.1 s: the suite is CPU-bound, so reuse is most of its wall time. What isolation needs
    is redone for every item: the previous document is unloaded (``about:blank``: its peer
    connections, tracks, timers and listeners end with it), its origin's storage, cookies and
    permissions are cleared, the caller's page listeners are removed, and the context's
    bindings call the current holder's functions. A page that crashed, hung or fails its
    reset is closed with its context, never reused; a different set of init scripts (a
    restarted reference host's new secret) gets a new context.
    """

    def __init__(self) -> None:
        self._idle: list[_WarmPage] = []
        self._held: dict[int, _WarmPage] = {}
        #: How many pages the pool created and how many times it reused one (for benchmarks).
        self.created = 0
        self.reused = 0

    async def take(self, browser: Browser, scripts: tuple[str, ...], setup: PageSetup
                   ) -> tuple[BrowserContext, Page]:
        """A page with ``scripts`` and ``setup``'s bindings, warm if one is idle."""
        key = (scripts, tuple(sorted(setup.bindings)))
        while self._idle:
            warm = self._idle.pop()
            if warm.key == key and not warm.page.is_closed() and browser.is_connected():
                self.reused += 1
                break
            await self._discard(warm)
        else:
            warm = await self._create(browser, key, scripts, setup)
        # In place: the context's bindings look their functions up in this dict.
        warm.bindings.update(setup.bindings)
        try:
            if setup.on_context is not None:
                await setup.on_context(warm.context)
        except BaseException:
            await self._discard(warm)
            raise
        self._held[id(warm.page)] = warm
        return warm.context, warm.page

    async def _create(self, browser: Browser, key: tuple[tuple[str, ...], tuple[str, ...]],
                      scripts: tuple[str, ...], setup: PageSetup) -> _WarmPage:
        context = await browser.new_context()
        bindings: dict[str, Binding] = {}
        try:
            for name in setup.bindings:
                await context.expose_binding(name, self._trampoline(bindings, name))
            for script in scripts:
                await context.add_init_script(script=script)
            page = await context.new_page()
        except BaseException:
            with contextlib.suppress(Exception):
                await context.close()
            raise
        self.created += 1
        return _WarmPage(key, context, page, bindings)

    @staticmethod
    def _trampoline(bindings: dict[str, Binding], name: str) -> Binding:
        def call(source: Any, *args: Any) -> Any:
            return bindings[name](source, *args)
        return call

    async def give_back(self, opened: OpenedPage) -> None:
        """Reset a page an item is done with and keep it, or close it when it cannot be reset."""
        warm = self._held.pop(id(opened.page), None)
        if warm is None:
            return
        warm.bindings.clear()
        if not opened.reusable or opened.crashed.is_set() or opened.page.is_closed():
            await self._discard(warm)
            return
        try:
            await asyncio.wait_for(self._reset(warm), _CLOSE_TIMEOUT)
        except Exception:  # a page that cannot be reset is not reused
            await self._discard(warm)
            return
        self._idle.append(warm)

    @staticmethod
    async def _reset(warm: _WarmPage) -> None:
        origin = await warm.page.evaluate("() => location.origin")
        await warm.page.goto("about:blank")
        if origin and origin != "null":
            session = await warm.context.new_cdp_session(warm.page)
            try:
                await session.send("Storage.clearDataForOrigin",
                                   {"origin": origin, "storageTypes": "all"})
            finally:
                await session.detach()
        await warm.context.clear_cookies()
        await warm.context.clear_permissions()

    @staticmethod
    async def _discard(warm: _WarmPage) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(warm.context.close(), _CLOSE_TIMEOUT)

    async def close(self) -> None:
        """Close every page of the pool, idle or held."""
        for warm in [*self._idle, *self._held.values()]:
            await self._discard(warm)
        self._idle.clear()
        self._held.clear()


class Target:
    """A place pages run: a browser, maybe a redirection, and what it can do.

    A subclass declares everything the registry (:mod:`conformance.targets`) and the
    command line need: ``name`` (and former names in ``aliases``), ``description``,
    ``capabilities``, which expectations apply (``fixed_kind``), where it stands in reports
    (``report_order``), whether ``--target all`` runs it (``runs_by_default``), and how it is
    made from the command line's :class:`TargetOptions` (:meth:`create`). Its module names
    it in a module-level ``TARGET``, which is how the registry finds it.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: Former names that still select this target everywhere (CLI, results, baselines).
    aliases: ClassVar[tuple[str, ...]] = ()
    capabilities: ClassVar[Capabilities] = Capabilities()
    #: The expectations that apply, when known without looking at a page (``None``: the
    #: target finds out from its first page, as ``attach`` does).
    fixed_kind: ClassVar[ExpectationKind | None] = "native"
    #: Where the target stands in reports and in ``--target`` choices (lowest first).
    report_order: ClassVar[int] = 100
    #: Whether ``--target all`` runs it: only targets that need nothing but this machine.
    runs_by_default: ClassVar[bool] = False
    #: Whether the suite launched the browser (and so chose its flags, e.g. the tone of
    #: Chromium's fake microphone).
    launched_by_suite: ClassVar[bool] = True
    #: The limitation registry's ``kind`` that names this target's own deviations (the
    #: reference implementation's ``reference`` limits), or ``None``: a verdict may blame such
    #: a limit only on a target that declares it, never on the product (``attach``).
    deviation_kind: ClassVar[str | None] = None

    def __init__(self, browsers: Browsers) -> None:
        self.browsers = browsers
        #: Warm pages for callers that ask for reuse (``PageSetup.reuse``).
        self.pages = PagePool()
        #: A page of the caller's own (the suite's index page, the certified app) that a
        #: target may open to learn which expectations apply (``attach`` does).
        self.probe_url: str | None = None

    @classmethod
    def create(cls, browsers: Browsers, options: TargetOptions) -> Target:
        """A new target of this kind on ``browsers``, configured by ``options`` (the command
        line's); targets with options of their own override this."""
        return cls(browsers)

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
        scripts = (*await self.init_scripts(), *setup.init_scripts)
        if setup.reuse and self.pooled_pages:
            context, page = await self.pages.take(await self.browser(), scripts, setup)
            opened = OpenedPage(page, context, True, asyncio.Event(), pool=self.pages)
            return await self._load_page(opened, url, setup)
        context, owns = await self.context_for_page()
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
        return await self._load_page(OpenedPage(page, context, owns, asyncio.Event()), url, setup)

    async def _load_page(self, opened: OpenedPage, url: str, setup: PageSetup) -> OpenedPage:
        """Listen as ``setup`` asks, load ``url``, wait for the target; closed if it fails."""
        page = opened.page
        opened.on("crash", lambda _page: opened.crashed.set())
        if setup.on_console is not None:
            opened.on("console", setup.on_console)
        if setup.on_page_error is not None:
            opened.on("pageerror", setup.on_page_error)
        if setup.on_navigated is not None:
            opened.on("framenavigated", setup.on_navigated)
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

    @property
    def pooled_pages(self) -> bool:
        """Whether pages may come from :attr:`pages` (only where the suite owns contexts)."""
        return True

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
        await self.pages.close()

    async def identity(self) -> dict[str, Any]:
        """What this target is, for run_info and certificates (see ``docs/targets.md``)."""
        return {"name": self.name, "kind": await self.expectation_kind()}
