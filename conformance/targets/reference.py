"""``reference``: pages under the reference redirection implementation (alias ``redirected``).

The shim goes into every frame at document start; the host process is the local device.
The harness reaches the reference implementation only through its public API
(``reference_impl.ReferenceHost``), never through the shim's internals. One host per
process, started on first use; after a host crash the next item gets a fresh host.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from typing import TYPE_CHECKING, Any

from conformance.network.topology import (
    DEFAULT_TOPOLOGY,
    HomeNetwork,
    network_unavailable,
    topology,
)
from conformance.targets.base import (
    Capabilities,
    FaultInjector,
    HostView,
    SpeakerRecords,
    Target,
    TargetOptions,
    TargetUnavailable,
)

if TYPE_CHECKING:
    from playwright.async_api import Page

    from conformance.targets.browsers import Browsers

__all__ = ["ICE_MODES", "TARGET", "ReferenceTarget"]

#: The host's ICE modes (``reference_impl.ICE_MODES``, repeated so that the registry loads
#: without importing the reference implementation, which may be absent).
ICE_MODES: tuple[str, ...] = ("loopback", "all")

UNAVAILABLE_REASON = "reference implementation not available"
#: How long a live host may take to answer the after-item health check.
_PROBE_TIMEOUT_S = 5.0
_HELLO_TIMEOUT_S = 5.0


class ReferenceTarget(Target):
    """The reference redirection implementation: shim in the page, host on loopback."""

    name = "reference"
    description = "the reference redirection implementation (shim + aiortc local device)"
    aliases = ("redirected",)
    capabilities = Capabilities(faults=True, speaker_records=True, host_peer_connections=True)
    fixed_kind = "redirected"
    deviation_kind = "reference"
    report_order = 1
    runs_by_default = True

    @classmethod
    def create(cls, browsers: Browsers, options: TargetOptions) -> ReferenceTarget:
        """The reference target; its host gathers ICE as ``--ice`` says (loopback by default)."""
        return cls(browsers, ice=options.ice or "loopback",
                   network=options.network or DEFAULT_TOPOLOGY)

    def __init__(self, browsers: Browsers, *, ice: str = "loopback",
                 network: str = DEFAULT_TOPOLOGY) -> None:
        super().__init__(browsers)
        if ice not in ICE_MODES:
            raise ValueError(f"ice must be one of {', '.join(ICE_MODES)}, not {ice!r}")
        #: Where the local device sits (a topology name); not ``same-host``: in the home
        #: network the run made, gathering like a real device (``ice="all"``).
        self.network = topology(network)
        #: Where the host gathers ICE candidates (``ReferenceHost.start(ice=...)``).
        self.ice = ice if self.network.nat is None else "all"
        self._host: Any = None
        self._faulted = False
        self._crash_injected = False
        self._host_class: Any = None

    def honours_reference_limitations(self) -> bool:
        """Our own implementation's documented deviations are expected here."""
        return True

    def _load(self) -> Any:
        if self._host_class is None:
            try:
                module = importlib.import_module("reference_impl")
                self._host_class = module.ReferenceHost
            except (ImportError, AttributeError) as exc:
                raise TargetUnavailable(UNAVAILABLE_REASON) from exc
        return self._host_class

    async def host(self) -> Any:
        """The running host, started (or restarted after a crash) when needed."""
        host_class = self._load()
        if self._host is not None and not self._host.alive:
            await self._safe_close()
        if self._host is None:
            home = self._home()
            if home is None:
                self._host = await host_class.start(ice=self.ice)
            else:
                self._host = await host_class.start(ice=self.ice, launcher=home.command(),
                                                    listen=home.device.address)
        return self._host

    def _home_if_any(self) -> HomeNetwork | None:
        """The run's home network, or ``None`` (same host, or none could be made)."""
        try:
            return self._home()
        except TargetUnavailable:
            return None

    def _home(self) -> HomeNetwork | None:
        """The home network the run made for ``--network`` (``None``: same host)."""
        if self.network.nat is None:
            return None
        reason = network_unavailable(self.network.name)
        if reason is not None:
            raise TargetUnavailable(f"--network {self.network.name}: {reason}")
        home = HomeNetwork.inherited()
        if home is None or home.topology != self.network:
            raise TargetUnavailable(f"--network {self.network.name}: the run made no such home "
                                    "network for the local device")
        return home

    async def init_scripts(self) -> tuple[str, ...]:
        """The shim, with this host's address and page secret."""
        host = await self.host()
        return (host.init_script(),)

    async def page_ready(self, page: Page) -> str | None:
        """Wait until the page's shim has said hello to the host.

        The shim opens its channel asynchronously; until the host knows the page, a fault
        (disconnect, reconnect, latency) would not reach it, and the page would show the
        state baked into the shim (limitation ref-initial-state-optimistic). Under load that
        window reached 170 ms, past a scenario's first steps.
        """
        host = self._host  # never a restart here: a host that died is problem()'s to report
        if host is None:
            return None
        activity = await page.evaluate("() => navigator.mediaDevices?.activityId ?? null")
        if not activity:
            return "the page has no redirection activityId: the shim is not installed"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _HELLO_TIMEOUT_S
        while True:
            if not host.alive:
                return None
            try:
                status = await host.status()
            except Exception:  # the host died meanwhile; problem() says how
                return None
            if any(s.get("activityId") == activity for s in status.get("sessions", [])):
                return None
            if loop.time() > deadline:
                return (f"the page's channel to the reference host did not open within "
                        f"{_HELLO_TIMEOUT_S:g} s")
            await asyncio.sleep(0.01)  # polling interval of a bounded wait

    # --- capabilities ------------------------------------------------------------------
    def faults(self) -> FaultInjector:
        """This target injects faults itself."""
        return self

    def speaker_records(self) -> SpeakerRecords:
        """This target reads the host's speaker records itself."""
        return self

    async def host_view(self) -> HostView:
        """The reference host (its devices and peer connections)."""
        host: HostView = await self.host()
        return host

    async def fault(self, kind: str, options: dict[str, Any]) -> None:
        """Inject a fault into the redirection."""
        host = await self.host()
        self._faulted = True
        if kind == "disconnect":
            await host.disconnect()
        elif kind == "reconnect":
            await host.reconnect()
        elif kind == "crash-host":
            self._crash_injected = True
            host.kill()
            # Until the process is reaped the host still looks alive, and a next fault would
            # go to its dead control session instead of a fresh host.
            await host.wait_exit(timeout=10.0)
        elif kind == "latency":
            await host.set_latency(float(options.get("latency", 0.0)) * 1000.0)
        else:
            raise ValueError(f"unknown fault {kind!r}")

    async def speaker_record(self, speaker: int | str) -> dict[str, Any]:
        """What a virtual speaker of the local device rendered."""
        host = await self.host()
        record: dict[str, Any] = await host.speaker_record(speaker)
        return record

    async def speaker_audio(self, speaker: int | str) -> dict[str, Any]:
        """What a virtual speaker of the local device played lately (timed PCM chunks)."""
        host = await self.host()
        audio: dict[str, Any] = await host.speaker_audio(speaker)
        return audio

    # --- item lifecycle ----------------------------------------------------------------
    async def problem(self) -> str | None:
        """The host's exit when it died during the item without a ``crash-host`` step."""
        host = self._host
        if host is None or self._crash_injected:
            return None
        if host.alive:
            # The process may be dead but not reaped yet (its exit reaches this event loop
            # from a watcher thread, late under load) while the page already saw its channel
            # drop. Ask the host itself: a live host answers its control session.
            try:
                await asyncio.wait_for(host.status(), _PROBE_TIMEOUT_S)
                return None
            except Exception:  # no answer: it died, or it hangs
                pass
        try:
            code = await host.wait_exit(timeout=5.0)
        except TimeoutError:
            host.kill()  # a hung host is no use to the next item: it gets a fresh one
            return (f"the reference host (pid {host.pid}) stopped answering its control session "
                    f"during the item (no reply within {_PROBE_TIMEOUT_S:g} s)")
        tail = host.stderr_tail().strip().splitlines()[-5:]
        detail = f"; its last output: {' | '.join(tail)}" if tail else ""
        return f"the reference host (pid {host.pid}) died during the item with exit code {code}{detail}"

    async def after_item(self) -> None:
        """Give the next item a connected host with no latency and empty speaker records."""
        self._crash_injected = False
        if self._host is None:
            return
        if not self._host.alive:
            await self._safe_close()
            return
        try:
            if self._faulted:
                self._faulted = False
                await self._host.set_latency(0.0)
                await self._host.reconnect()
            await self._host.reset_speakers()
        except Exception:
            # A host that cannot be reset (dead but not yet reaped, or hung) would carry its
            # state into the next item: that item gets a fresh host instead.
            self._host.kill()
            await self._safe_close()
            raise

    async def _safe_close(self) -> None:
        host, self._host = self._host, None
        # A dead host may fail to close; it is gone anyway.
        with contextlib.suppress(Exception):
            await host.close()

    async def close(self) -> None:
        """Close the target's pages, then stop the host process."""
        await super().close()
        if self._host is not None:
            await self._safe_close()

    async def identity(self) -> dict[str, Any]:
        """The reference implementation's version and the browser it runs in."""
        try:
            module = importlib.import_module("reference_impl")
            version = getattr(module, "__version__", None)
        except ImportError:
            version = None
        browser = await self.browser()
        return {"name": self.name, "kind": "redirected",
                "redirection": {"implementation": "reference", "version": version, "ice": self.ice},
                "network": {"topology": self.network.name, "media_from": self.network.where,
                            "impairment": home.impairment if (home := self._home_if_any()) else None},
                "browser": self.browsers.options.browser, "browser_version": browser.version}


#: What the registry (:mod:`conformance.targets`) finds in this module.
TARGET = ReferenceTarget
