"""An event loop whose sockets are made inside a network namespace: a far end's own host.

A far end placed behind a NAT of its own (``--far-end-network``) must send and receive from
a namespace, but it is an aiortc peer of the harness's own process. Linux keeps a network
namespace per *thread* (``setns(2)`` with ``CLONE_NEWNET`` moves only the calling thread) and
a socket stays in the namespace it was made in, so a thread that has entered the namespace
and runs its own asyncio loop makes every socket there: aioice's host candidates (it lists
the thread's interfaces), its STUN queries, its TURN allocations over UDP or TCP. No aioice
internals are touched. Coroutines are handed to that loop with :meth:`NamespaceLoop.run`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import ctypes.util
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from conformance.network.netns import NamespaceError

__all__ = ["NamespaceLoop"]

T = TypeVar("T")
#: ``CLONE_NEWNET`` from <sched.h>: ``setns`` joins a network namespace.
_CLONE_NEWNET = 0x40000000
_START_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 10.0


def _enter(namespace: str) -> None:
    """Move the calling thread into network namespace ``namespace`` (``ip netns`` name)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    try:
        fd = os.open(f"/var/run/netns/{namespace}", os.O_RDONLY)
    except OSError as exc:
        raise NamespaceError(f"could not enter namespace {namespace}: {exc.strerror}") from exc
    try:
        if libc.setns(fd, _CLONE_NEWNET) != 0:
            error = ctypes.get_errno()
            raise NamespaceError(f"could not enter namespace {namespace}: {os.strerror(error)}")
    finally:
        os.close(fd)


class NamespaceLoop:
    """A thread inside network namespace ``namespace`` running an asyncio loop."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self._loop: asyncio.AbstractEventLoop | None = None
        self._failed: BaseException | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name=f"netns-{namespace}", daemon=True)

    def _main(self) -> None:
        try:
            _enter(self.namespace)
            loop = asyncio.new_event_loop()
        except BaseException as exc:  # handed to start(), which raises it in its caller
            self._failed = exc
            self._ready.set()
            return
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            # What is still pending when the loop stops (a peer's timers) is cancelled here.
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    def start(self) -> NamespaceLoop:
        """Start the thread; :class:`NamespaceError` when it cannot enter the namespace."""
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT_S):
            raise NamespaceError(f"the loop in namespace {self.namespace} did not start")
        if self._failed is not None:
            raise NamespaceError(str(self._failed)) from self._failed
        return self

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the namespace's loop and await its result from the caller's."""
        if self._loop is None or not self._loop.is_running():
            coroutine.close()
            raise NamespaceError(f"the loop in namespace {self.namespace} is not running")
        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        """Stop the loop (cancelling what it still runs) and join the thread."""
        if self._loop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread.is_alive():
            self._thread.join(_STOP_TIMEOUT_S)

    def __enter__(self) -> NamespaceLoop:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
