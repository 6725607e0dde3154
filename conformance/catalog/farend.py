"""A stack's far end: a second user agent of the stack in a browser on the backend's host.

Peer-to-peer and SIP stacks need someone to call: a second instance of the stack (a PeerJS
peer, a JsSIP user agent) that answers and echoes what it hears. It runs in a Chromium of
its own, started inside the stack's network namespace (``ip netns exec``: its media leaves
from the namespace's address, so the call crosses hosts over real ICE), never in the page
under test's browser. Its page is served from the entry's folders by Python's
``http.server`` on the namespace's own loopback (a secure context that nothing outside the
namespace can reach), under a per-run secret path. (A page fulfilled by request
interception has no address, so Chromium's local-network-access checks treat it as public
and refuse its connections to the backend.)
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.browser import ChromiumInfo, find_chromium, launch_chromium
from conformance.catalog.courier import Paste
from conformance.network.netns import Namespace

__all__ = ["FarEnd", "far_end"]

#: The far end's page server's port, on the namespace's own loopback.
_PORT = 8090


@dataclass(frozen=True)
class FarEnd:
    """What to open: ``path`` served from ``folders`` (earlier overlaying later), ready when
    the JavaScript expression ``ready`` holds (within ``timeout`` seconds)."""

    folders: tuple[Path, ...]
    path: str
    ready: str
    timeout: float = 20.0
    #: For stacks that signal by copy and paste: where the far end takes a paste (the
    #: runner then serves a :func:`~conformance.catalog.courier.courier` to its page).
    paste: Paste | None = None


def _merge(folders: tuple[Path, ...], into: Path) -> None:
    """Copy ``folders`` into one (earlier folders' files win), for a plain file server."""
    for folder in reversed(folders):
        shutil.copytree(folder, into, dirs_exist_ok=True)


@contextlib.asynccontextmanager
async def far_end(spec: FarEnd, namespace: Namespace, scratch: Path) -> AsyncIterator[Any]:
    """The far end's page, ready; its browser is closed on exit (and, being in the
    namespace, stopped with it whatever happens)."""
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import async_playwright

    secret = secrets.token_urlsafe(12)
    root = scratch / "far-end-root"
    (root / secret).mkdir(parents=True)
    (root / "index.html").write_text("")  # no listing of the root (the secret)
    _merge(spec.folders, root / secret)
    with (scratch / "far-end-server.log").open("wb") as log:
        server = namespace.spawn([sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                                  "--directory", str(root), str(_PORT)], cwd=scratch, log=log)
    # Inside the namespace: its loopback is not this machine's, so ask through `ip netns exec`.
    probe = ("import socket,time\nfor _ in range(200):\n try: socket.create_connection(('127.0.0.1',"
             f"{_PORT}),0.5).close(); break\n except OSError: time.sleep(0.05)\n")
    subprocess.run(["ip", "netns", "exec", namespace.name, sys.executable, "-c", probe],
                   timeout=spec.timeout, check=False)
    if server.poll() is not None:
        raise PlaywrightError(f"the far end's page server exited ({server.returncode})")
    wrapper = scratch / "chromium-in-namespace"
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {namespace.name} {find_chromium().path} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)

    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright, ChromiumInfo(str(wrapper), "namespace"),
                                        env={**os.environ})
        try:
            context = await browser.new_context()
            page = await context.new_page()
            console: list[str] = []
            page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
            page.on("pageerror", lambda error: console.append(f"error: {error}"))
            await page.goto(f"http://127.0.0.1:{_PORT}/{secret}/{spec.path}")
            try:
                await page.wait_for_function(spec.ready, timeout=spec.timeout * 1000)
            except PlaywrightError as exc:
                said = "; ".join(console[-5:]) or "nothing on its console"
                raise PlaywrightError(f"{str(exc).splitlines()[0]} (its page said: {said})") from exc
            yield page
        finally:
            await browser.close()
