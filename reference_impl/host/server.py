"""The WebSocket server: authentication, framing, and routing to sessions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from .._version import CLIENT_VERSION, EXTENSION_VERSION, HOST_VERSION, PROTOCOL_VERSION, VERSION
from .control import run_control_op
from .handlers import PAGE_OPS
from .protocol import (
    TRANSPORT_MAX_BYTES,
    HostError,
    Request,
    encode,
    error_reply,
    ok_reply,
    parse_request,
    request_id_of,
)
from .session import PageSession, map_exception
from .state import HostState

__all__ = ["HELLO_TIMEOUT_S", "MAX_UNAUTHENTICATED", "PRE_AUTH_MAX_BYTES", "HostServer", "Secrets"]

logger = logging.getLogger("reference_impl.host")

#: A connection that does not authenticate within this time is closed.
HELLO_TIMEOUT_S = 5.0
#: Largest frame accepted before the hello (a hello is a few hundred bytes); authenticated
#: sessions get TRANSPORT_MAX_BYTES. An unauthenticated peer cannot make the host buffer more.
PRE_AUTH_MAX_BYTES = 8 * 1024
#: Connections waiting for their hello at once; more are turned away at once (1013).
MAX_UNAUTHENTICATED = 16

# WebSocket close codes (RFC 6455 and the private range).
_POLICY_VIOLATION = 1008
_NOT_AUTHENTICATED = 4401
_TRY_AGAIN_LATER = 1013


@dataclass(frozen=True)
class Secrets:
    """Per-run secrets: pages get one (it is visible to page scripts), the harness the other,
    so a page cannot drive faults or read speakers."""

    page: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    control: str = field(default_factory=lambda: secrets.token_urlsafe(24))


class HostServer:
    """Serves page and control sessions on 127.0.0.1 (or the address it is given)."""

    def __init__(self, state: HostState, keys: Secrets) -> None:
        self.state = state
        self.keys = keys
        self._server: Server | None = None
        self.stopped = asyncio.Event()
        self._unauthenticated = 0

    async def start(self, port: int = 0, address: str = "127.0.0.1") -> int:
        """Listen on ``address`` (loopback unless the host is a device on a network of its
        own, whose channel comes in from the page's machine) and return the port."""
        self._server = await serve(
            self._connection, address, port,
            max_size=PRE_AUTH_MAX_BYTES,
            open_timeout=HELLO_TIMEOUT_S,
            # Pages on any origin may connect (the shim runs in every frame); the secret
            # is the gate. Compression off: it costs latency and invites decompression bombs.
            compression=None,
            ping_interval=None,
        )
        sockets = list(self._server.sockets)
        return int(sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stop serving and tear down every session."""
        for session in list(self.state.sessions):
            await session.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        self.stopped.set()

    async def _connection(self, ws: ServerConnection) -> None:
        if self._unauthenticated >= MAX_UNAUTHENTICATED:
            await ws.close(_TRY_AGAIN_LATER, "too many unauthenticated connections")
            return
        self._unauthenticated += 1
        try:
            hello = await self._authenticate(ws)
        except (ConnectionClosed, TimeoutError):
            return
        finally:
            self._unauthenticated -= 1
        if hello is None:
            return
        # Authenticated: messages up to the transport's limit (calls carry SDP, stats).
        ws.protocol.max_message_size = TRANSPORT_MAX_BYTES
        request, role = hello
        if role == "control":
            await self._control(ws, request)
        else:
            await self._page(ws, request)

    async def _authenticate(self, ws: ServerConnection) -> tuple[Request, str] | None:
        raw = await asyncio.wait_for(ws.recv(), HELLO_TIMEOUT_S)
        try:
            request = parse_request(raw)
            if request.op != "hello":
                raise HostError("NotAuthenticated", "the first message must be 'hello' with the secret")
            role = request.args.get("role", "page")
            secret = request.args.get("secret")
            expected = self.keys.control if role == "control" else self.keys.page
            if role not in ("page", "control") or not isinstance(secret, str) or \
                    not secrets.compare_digest(secret.encode(), expected.encode()):
                raise HostError("NotAuthenticated", "wrong or missing secret")
            protocol = request.args.get("protocol")
            if protocol != PROTOCOL_VERSION:
                raise HostError("ProtocolVersion", f"this host speaks protocol {PROTOCOL_VERSION}, "
                                f"not {protocol!r}")
        except HostError as error:
            await ws.send(encode(error_reply(request_id_of(raw), error)))
            code = _POLICY_VIOLATION if error.name == "ProtocolVersion" else _NOT_AUTHENTICATED
            await ws.close(code, error.name)
            return None
        return request, role

    def _hello_result(self, role: str, activity_id: str | None = None) -> dict[str, Any]:
        return {
            "protocol": PROTOCOL_VERSION,
            "role": role,
            "version": VERSION,
            "clientVersion": CLIENT_VERSION,
            "hostVersion": HOST_VERSION,
            "extensionVersion": EXTENSION_VERSION,
            "connected": self.state.connected,
            "connectionId": self.state.connection_id,
            "latencyMs": self.state.latency_ms,
            "activityId": activity_id,
        }

    async def _page(self, ws: ServerConnection, hello: Request) -> None:
        activity = hello.args.get("activityId")
        url = hello.args.get("url")
        session = PageSession(self.state, ws.send, ops=PAGE_OPS,
                              activity_id=activity if isinstance(activity, str) else "",
                              url=url if isinstance(url, str) else "")
        self.state.sessions.add(session)
        session.send(ok_reply(hello.id, self._hello_result("page", session.activity_id)))
        try:
            async for raw in ws:
                try:
                    request = parse_request(raw)
                    if request.op == "hello":
                        raise HostError("ProtocolError", "already authenticated")
                except HostError as error:
                    session.send(error_reply(request_id_of(raw), error))
                    continue
                session.dispatch(request)
        except ConnectionClosed:
            pass
        finally:
            self.state.sessions.discard(session)
            await session.close()

    async def _control(self, ws: ServerConnection, hello: Request) -> None:
        await ws.send(encode(ok_reply(hello.id, self._hello_result("control"))))
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                try:
                    request = parse_request(raw)
                    if request.op == "shutdown":
                        await ws.send(encode(ok_reply(request.id, {})))
                        asyncio.get_running_loop().call_soon(
                            lambda: asyncio.ensure_future(self.close()))
                        continue
                    result = await run_control_op(self.state, request)
                    reply = ok_reply(request.id, result)
                except Exception as error:  # never let one request take the host down
                    reply = error_reply(request_id_of(raw), map_exception(error))
                await ws.send(encode(reply))
