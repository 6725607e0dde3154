"""``conformance open``: put any page under a target and leave it to a human (or a tool).

Headed by default. Headless mode waits until the page is closed, the browser disconnects,
``--timeout`` passes or the process gets Ctrl-C: no REPL, no polling loop in Python.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from conformance.browser import find_chromium, launch_chromium
from conformance.harness import RUNTIME_JS
from conformance.targets import make_target

__all__ = ["open_page"]


async def open_page(url: str, *, target_name: str, headless: bool, timeout: float | None,
                    browser_path: str | None = None, with_runtime: bool = False) -> int:
    """Open ``url`` under ``target_name``; return when the page closes or time runs out."""
    from playwright.async_api import async_playwright

    target = make_target(target_name)
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright, find_chromium(browser_path), headless=headless)
        try:
            context = await browser.new_context()
            await target.prepare_context(context)
            if with_runtime:
                await context.add_init_script(RUNTIME_JS)
            page = await context.new_page()
            page.on("console", lambda m: print(f"[console.{m.type}] {m.text}", flush=True))
            await page.goto(url)
            print(f"opened {url} on the {target_name} target; close the page or press Ctrl-C",
                  flush=True)
            closed = asyncio.Event()
            page.on("close", lambda _page: closed.set())
            browser.on("disconnected", lambda _browser: closed.set())
            loop = asyncio.get_running_loop()
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signal.SIGINT, closed.set)
                loop.add_signal_handler(signal.SIGTERM, closed.set)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closed.wait(), timeout)
        finally:
            await target.close()
            with contextlib.suppress(Exception):
                await browser.close()
    return 0
