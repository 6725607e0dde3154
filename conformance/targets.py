"""Targets: what a page runs on. ``native`` is plain Chromium; ``redirected`` puts the page
under the reference redirection implementation (its shim in the page, its host process as
the local device).

The harness reaches the reference implementation only through its public API
(``reference_impl.ReferenceHost``), never through the shim's internals.
"""

from __future__ import annotations

import contextlib
import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext

__all__ = ["NativeTarget", "RedirectedTarget", "Target", "TargetUnavailable"]

UNAVAILABLE_REASON = "reference implementation not available"


class TargetUnavailable(Exception):
    """The target cannot run on this machine; the message is the SKIP reason."""


class Target:
    """Base class: a target prepares a browser context and may inject faults."""

    name = ""

    async def prepare_context(self, context: BrowserContext) -> None:
        """Install what the target needs in ``context`` before any page script runs."""

    async def after_item(self) -> None:
        """Reset whatever an item changed (faults, latency) for the next item."""

    async def problem(self) -> str | None:
        """Why the target broke during the item (not through a scenario's fault), if it did."""
        return None

    async def close(self) -> None:
        """Release the target's resources."""

    def info(self) -> dict[str, Any]:
        """Facts about the target for ``run_info``."""
        return {"name": self.name}


class NativeTarget(Target):
    """Chromium's own WebRTC and media stack."""

    name = "native"


class RedirectedTarget(Target):
    """The reference redirection implementation: shim in the page, host on loopback.

    One host per worker, started on first use. After a host crash (a ``crash-host`` fault
    or a real one) the next item gets a fresh host.
    """

    name = "redirected"

    def __init__(self) -> None:
        self._host: Any = None
        self._faulted = False
        self._crash_injected = False
        self._host_class: Any = None

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
        if self._host is not None and not _alive(self._host):
            await self._safe_close()
        if self._host is None:
            self._host = await host_class.start()
        return self._host

    async def prepare_context(self, context: BrowserContext) -> None:
        """Inject the shim (with this host's address and secret) into every frame."""
        host = await self.host()
        await host.prepare_context(context)

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
        elif kind == "latency":
            await host.set_latency(float(options.get("latency", 0.0)) * 1000.0)
        else:
            raise ValueError(f"unknown fault {kind!r}")

    async def speaker_record(self, speaker: int | str) -> dict[str, Any]:
        """What a virtual speaker of the local device rendered."""
        host = await self.host()
        record: dict[str, Any] = await host.speaker_record(speaker)
        return record

    async def problem(self) -> str | None:
        """The host's exit when it died during the item without a ``crash-host`` step."""
        host = self._host
        if host is None or _alive(host) or self._crash_injected:
            return None
        code = await host.wait_exit(timeout=5.0)
        tail = host.stderr_tail().strip().splitlines()[-5:]
        detail = f"; its last output: {' | '.join(tail)}" if tail else ""
        return f"the reference host (pid {host.pid}) died during the item with exit code {code}{detail}"

    async def after_item(self) -> None:
        """Give the next item a connected host with no latency and empty speaker records."""
        self._crash_injected = False
        if self._host is None:
            return
        if not _alive(self._host):
            await self._safe_close()
            return
        if self._faulted:
            self._faulted = False
            await self._host.set_latency(0.0)
            await self._host.reconnect()
        await self._host.reset_speakers()

    async def _safe_close(self) -> None:
        host, self._host = self._host, None
        # A dead host may fail to close; it is gone anyway.
        with contextlib.suppress(Exception):
            await host.close()

    async def close(self) -> None:
        """Stop the host process."""
        if self._host is not None:
            await self._safe_close()

    def info(self) -> dict[str, Any]:
        """The reference implementation's version, when it is available."""
        try:
            module = importlib.import_module("reference_impl")
        except ImportError:
            return {"name": self.name, "available": False}
        return {"name": self.name, "available": hasattr(module, "ReferenceHost"),
                "version": getattr(module, "__version__", None)}


def _alive(host: Any) -> bool:
    """Whether the host process still runs."""
    return bool(host.alive)


def make_target(name: str) -> Target:
    """The target called ``name``."""
    if name == "native":
        return NativeTarget()
    if name == "redirected":
        return RedirectedTarget()
    raise ValueError(f"unknown target {name!r}")
