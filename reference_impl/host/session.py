"""One page (one frame's shim) connected to the host.

A session owns the redirected objects that page created, sends replies and events to it
through an outbox that applies the injected channel latency, and runs operations on the
same object one at a time in arrival order. Which operations it offers is the table it is
given (the server passes :data:`reference_impl.host.handlers.PAGE_OPS`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiortc.exceptions
from aiortc.mediastreams import MediaStreamError

from .ops import OpSpec, OpTable
from .protocol import HostError, Request, encode, error_reply, event, ok_reply
from .state import HostState

__all__ = ["PageSession", "map_exception"]

logger = logging.getLogger("reference_impl.host")

_HANDLE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

T = TypeVar("T")


# Failures that are the page's doing (wrong state, bad SDP...): replied, not bugs.
_EXPECTED = (
    HostError,
    MediaStreamError,
    ValueError,
    aiortc.exceptions.InvalidStateError,
    aiortc.exceptions.InvalidAccessError,
    aiortc.exceptions.InternalError,
    aiortc.exceptions.OperationError,
)


def map_exception(error: BaseException) -> HostError:
    """The DOM-facing error for an exception raised by aiortc or the host."""
    if isinstance(error, HostError):
        return error
    if isinstance(error, aiortc.exceptions.InvalidStateError):
        return HostError("InvalidStateError", str(error))
    if isinstance(error, aiortc.exceptions.InvalidAccessError):
        return HostError("InvalidAccessError", str(error))
    if isinstance(error, MediaStreamError):
        return HostError("InvalidStateError", "the track has ended")
    if isinstance(error, aiortc.exceptions.InternalError | aiortc.exceptions.OperationError):
        return HostError("OperationError", str(error))
    if isinstance(error, ValueError):
        return HostError("OperationError", str(error) or "invalid value")
    return HostError("OperationError", f"{type(error).__name__}: {error}")


class PageSession:
    """The host side of one shim instance (one frame of one page)."""

    def __init__(self, state: HostState, send_text: Callable[[str], Awaitable[None]], *,
                 ops: OpTable, activity_id: str, url: str) -> None:
        self.state = state
        self.ops = ops
        self.activity_id = activity_id
        self.url = url
        self.objects: dict[str, Any] = {}
        self.dead: set[str] = set()
        self.closed = False
        self._send_text = send_text
        self._counter = 0
        self._outbox: asyncio.Queue[tuple[float, str] | None] = asyncio.Queue()
        self._writer = asyncio.ensure_future(self._write())
        self._chains: dict[str, collections.deque[Request]] = {}
        self.connection_acked = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    # --- objects ------------------------------------------------------------------
    def new_handle(self) -> str:
        """A fresh handle for an object the host creates (the shim uses ``s``-prefixed)."""
        self._counter += 1
        return f"h{self._counter}"

    def register(self, handle: str, obj: Any) -> None:
        """Name a new object; the handle must be well-formed and unused."""
        if not _HANDLE.match(handle):
            raise HostError("TypeError", f"malformed handle {handle!r}")
        if handle in self.objects or handle in self.dead:
            raise HostError("InvalidStateError", f"handle {handle!r} is already in use")
        self.objects[handle] = obj

    def get(self, handle: str, kind: type[T]) -> T:
        """The object named ``handle``, which must be a ``kind``."""
        obj = self.objects.get(handle)
        if obj is None:
            if handle in self.dead:
                raise HostError("InvalidStateError",
                                f"{handle} died when the RDP connection was lost")
            raise HostError("NotFoundError", f"no object {handle!r} in this page")
        if not isinstance(obj, kind):
            raise HostError("TypeError", f"{handle!r} is not a {kind.__name__}")
        return obj

    def forget(self, handle: str) -> None:
        """Drop an object that ended (its handle stays reserved)."""
        if self.objects.pop(handle, None) is not None:
            self.dead.add(handle)

    # --- sending ------------------------------------------------------------------
    def send(self, message: dict[str, Any]) -> None:
        """Queue a message; it leaves after the injected latency, in order."""
        if self.closed:
            return
        due = asyncio.get_running_loop().time() + self.state.latency_ms / 1000.0
        self._outbox.put_nowait((due, encode(message)))

    def emit(self, name: str, target: str | None = None, **fields: Any) -> None:
        """Send an event to the page."""
        self.send(event(name, target, **fields))

    def log(self, level: str, message: str) -> None:
        """A log entry the shim re-dispatches as ``mmrExtensionLog``."""
        self.emit("log", None, level=level, message=message)

    async def _write(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            item = await self._outbox.get()
            if item is None:
                return
            due, text = item
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                await self._send_text(text)
            except Exception:  # the socket is gone; the server will close the session
                return

    # --- operations ---------------------------------------------------------------
    def dispatch(self, request: Request) -> None:
        """Start an operation; its reply is sent when it finishes."""
        spec = self.ops.get(request.op)
        if spec is None:
            self.send(error_reply(request.id, HostError(
                "UnknownOperation", f"unknown operation {request.op!r}")))
            return
        key = request.args.get(spec.chain) if spec.chain else None
        if isinstance(key, str):
            queue = self._chains.get(key)
            if queue is None:
                queue = self._chains[key] = collections.deque()
                self._spawn(self._drain(key, queue))
            queue.append(request)
        else:
            self._spawn(self._run(request, spec))

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, key: str, queue: collections.deque[Request]) -> None:
        while queue:
            request = queue.popleft()
            await self._run(request, self.ops[request.op])
        del self._chains[key]

    async def _run(self, request: Request, spec: OpSpec) -> None:
        try:
            if spec.needs_connection and not self.state.connected:
                raise HostError("InvalidStateError",
                                "call redirection is disconnected (RDP client not connected)")
            result = await spec.handler(self, request)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            mapped = map_exception(error)
            if isinstance(error, _EXPECTED):
                logger.debug("%s failed: %r", request.op, error)
            else:  # a bug in the host or an aiortc surprise: keep the traceback
                logger.warning("%s failed: %r", request.op, error, exc_info=True)
            self.send(error_reply(request.id, mapped))
            return
        self.send(ok_reply(request.id, result))

    # --- lifetime -----------------------------------------------------------------
    async def kill_objects(self) -> None:
        """Tear down every redirected object of this page (disconnect or page gone)."""
        objects = list(self.objects.items())
        self.dead.update(self.objects)
        self.objects.clear()
        # Peers first: closing them stops senders before their tracks go away.
        objects.sort(key=lambda item: getattr(item[1], "KILL_ORDER", 5))
        for _handle, obj in objects:
            kill = getattr(obj, "kill", None)
            if kill is None:
                continue
            try:
                await kill()
            except Exception:  # one broken object must not keep the others alive
                logger.warning("killing %r failed", obj, exc_info=True)

    async def connection_lost(self) -> None:
        """Simulated RDP disconnect."""
        self._announce("disconnected")
        await self.kill_objects()

    def connection_restored(self) -> None:
        """Simulated RDP reconnect."""
        self._announce("connected")

    def _announce(self, state: str) -> None:
        self.connection_acked.clear()
        self.emit("connection", None, state=state, connectionId=self.state.connection_id)

    async def announced(self, timeout: float = 2.0) -> None:
        """Wait (bounded) until the page acknowledged the last ``connection`` event, i.e.
        its shim changed state and its ``rdpClientConnectionStateChanged`` listeners ran,
        so that what a harness does next in the page sees the new state."""
        if self.closed:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.connection_acked.wait(), timeout)

    async def close(self) -> None:
        """The page went away."""
        if self.closed:
            return
        for task in list(self._tasks):
            task.cancel()
        await self.kill_objects()
        self.closed = True
        self._outbox.put_nowait(None)
        self._writer.cancel()

    def describe(self) -> dict[str, Any]:
        """A summary for the control session."""
        kinds: dict[str, int] = {}
        for obj in self.objects.values():
            name = type(obj).__name__
            kinds[name] = kinds.get(name, 0) + 1
        return {"activityId": self.activity_id, "url": self.url, "objects": kinds}
