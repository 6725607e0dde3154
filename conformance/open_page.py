"""``conformance open``: put any page under a target and leave it to a human (or a tool).

Headed by default. Headless mode waits until the page is closed, the browser disconnects,
``--timeout`` passes or the process gets Ctrl-C: no REPL, no polling loop in Python.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from conformance.network.topology import DEFAULT_TOPOLOGY, home_network
from conformance.page_scripts import RUNTIME_SCRIPTS
from conformance.targets import PageSetup, TargetOptions, open_target

__all__ = ["open_page"]


async def open_page(url: str, *, target_name: str, options: TargetOptions | None = None,
                    timeout: float | None = None, with_runtime: bool = False) -> int:
    """Open ``url`` under ``target_name``; return when the page closes or time runs out."""
    options = options or TargetOptions()
    # The home network is made before the browser starts (a new veth is a network change
    # that aborts a running Chromium's requests).
    with home_network(options.network or DEFAULT_TOPOLOGY, options.impair):
        return await _open(url, target_name, options, timeout, with_runtime)


async def _open(url: str, target_name: str, options: TargetOptions, timeout: float | None,
                with_runtime: bool) -> int:
    async with open_target(target_name, options) as target:
        setup = PageSetup(
            init_scripts=RUNTIME_SCRIPTS if with_runtime else (),
            on_console=lambda m: print(f"[console.{m.type}] {m.text}", flush=True),
        )
        opened = await target.open_page(url, setup)
        if opened.not_ready:
            print(f"warning: {opened.not_ready}", flush=True)
        print(f"opened {url} on the {target.name} target; close the page or press Ctrl-C",
              flush=True)
        closed = asyncio.Event()
        opened.page.on("close", lambda _page: closed.set())
        (await target.browser()).on("disconnected", lambda _browser: closed.set())
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signal.SIGINT, closed.set)
            loop.add_signal_handler(signal.SIGTERM, closed.set)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(closed.wait(), timeout)
        await opened.close()
    return 0
