"""An app's "own backend" for the bundled sample app: an echo server with its own
signalling endpoint, on loopback behind a per-run secret, on a thread of its own (the app
under certification never learns it from the suite: it is in the app's URL)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from conformance.certify.session.signalling import SignallingServer

__all__ = ["echo_backend"]

_START_TIMEOUT_S = 10.0


@contextmanager
def echo_backend() -> Iterator[str]:
    """Run an echo backend; yields its signalling URL. Every call it answers returns the
    audio it receives."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="echo-backend", daemon=True)
    thread.start()
    server = SignallingServer(echo=True)
    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(_START_TIMEOUT_S)
        yield server.url
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(_START_TIMEOUT_S)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(_START_TIMEOUT_S)
        loop.close()
