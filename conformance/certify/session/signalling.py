"""The harness's signalling endpoint: how an app under certification reaches the far end.

An app is given ``{signal}``, the URL of this endpoint, in its profile. The protocol is
small and WHIP-like (documented in ``docs/certify.md``):

- ``POST {signal}`` with the complete offer (``application/sdp``, non-trickle: ICE
  gathering finished) answers ``201`` with the far end's answer SDP; ``Location`` names the
  call (``{signal}/calls/<id>``).
- ``DELETE {signal}/calls/<id>`` hangs the call up.
- ``GET {signal}/incoming`` is a long poll for calls the far end places: ``200`` with JSON
  ``{"call", "sdp", "answer", "resource"}`` or ``204`` after a while;
  ``POST <answer>`` (``{signal}/calls/<id>/answer``) takes the app's answer SDP.

The far end is an :class:`~conformance.parties.AiortcParty` on the caller's event loop (or,
behind a NAT of its own, on its host's: :mod:`conformance.parties.placed`),
which is the loop Playwright runs on. The server listens on 127.0.0.1 only, every path
starts with a per-run secret, bodies and headers are bounded, and CORS is granted only to
``http://localhost``/``http://127.0.0.1`` origins (any port).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import secrets
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from conformance.network.impair import Preset
from conformance.parties.placed import CallParty, FarEndSite
from reference_impl.tones import CERTIFY_FAR_END_TONE_HZ as FAR_END_TONE_HZ

__all__ = ["FAR_END_TONE_HZ", "Call", "SignallingServer"]

MAX_BODY = 64 * 1024
MAX_HEADER_BYTES = 16 * 1024
LONG_POLL_SECONDS = 15.0
_READ_TIMEOUT = 10.0
_MAX_CALLS = 16
_ALLOWED_ORIGIN = re.compile(r"^http://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?$")
_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    411: "Length Required",
    413: "Payload Too Large",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
}


class _HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _ClientGone(Exception):
    """The client closed its connection before the answer was ready."""


@dataclass
class Call:
    """One call between the app and the far end."""

    id: int
    direction: str  # "outgoing" (the app called) or "incoming" (the far end called)
    party: CallParty
    offer_sdp: str = ""
    answer_sdp: str = ""
    created: float = field(default_factory=time.monotonic)
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False

    @property
    def app_sdp(self) -> str:
        """The SDP the app produced (its offer, or its answer to an incoming call)."""
        return self.offer_sdp if self.direction == "outgoing" else self.answer_sdp

    async def stats(self) -> dict[str, Any]:
        """What the far end has seen (connection state, received audio)."""
        return await self.party.stats()


@dataclass
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class SignallingServer:
    """The endpoint: start it on the running loop, hand ``url`` to the app, close it at the end."""

    def __init__(self, tone_hz: float = FAR_END_TONE_HZ, *, echo: bool = False) -> None:
        self.tone_hz = tone_hz
        #: Far ends that return what they receive instead of the tone (an echo backend).
        self.echo = echo
        #: The preset on the far end's link for the target being certified (``--impair`` on
        #: a target whose media leaves from the data centre), or ``None``.
        self.impairment: Preset | None = None
        #: Where the far end sits and the ICE servers it uses (default: the data centre, none).
        self.site = FarEndSite()
        self.secret = secrets.token_urlsafe(16)
        self.calls: list[Call] = []
        self._ids = itertools.count(1)
        self._server: asyncio.Server | None = None
        self._incoming: asyncio.Queue[Call] = asyncio.Queue()
        self._changed = asyncio.Event()
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen on an ephemeral loopback port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=MAX_HEADER_BYTES)

    @property
    def port(self) -> int:
        """The listening port."""
        assert self._server is not None, "start() first"
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        """The ``{signal}`` URL given to apps."""
        return f"http://127.0.0.1:{self.port}/{self.secret}/signal"

    def placeholders(self) -> dict[str, str]:
        """The profile placeholders this endpoint fills: ``{signal}``, and ``{ice_servers}``
        (the ICE servers the run offers, ``RTCConfiguration.iceServers`` as URL-encoded JSON)."""
        return {"signal": self.url,
                "ice_servers": urllib.parse.quote(json.dumps(self.site.ice_servers), safe="")}

    # --- what the checks use -------------------------------------------------------------
    async def ring(self) -> Call:
        """Place a call to the app: the far end's offer waits for the app's long poll."""
        party = await self._new_party()
        call = self._add(Call(next(self._ids), "incoming", party))
        call.offer_sdp = await party.offer()
        await self._incoming.put(call)
        return call

    async def wait_call(self, since: int, timeout: float) -> Call | None:
        """The first call numbered above ``since`` once it has an answer, or ``None`` in time."""
        deadline = time.monotonic() + timeout
        while True:
            for call in self.calls:
                if call.id > since and call.answer_sdp:
                    return call
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    @property
    def last_id(self) -> int:
        """The id of the newest call (0 when there is none)."""
        return self.calls[-1].id if self.calls else 0

    async def hang_up_all(self) -> None:
        """Close every far end (between sessions) and forget unanswered incoming calls."""
        while not self._incoming.empty():
            self._incoming.get_nowait()
        await asyncio.gather(*(self._close_call(c) for c in self.calls), return_exceptions=True)

    async def close(self) -> None:
        """Stop listening and close every call."""
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self.hang_up_all()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
            self._server = None

    # --- HTTP --------------------------------------------------------------------------------
    async def _new_party(self) -> CallParty:
        """A far end for one more call; 429 (before any peer connection is made) when the
        app already holds :data:`_MAX_CALLS` open calls."""
        if len([c for c in self.calls if not c.closed]) >= _MAX_CALLS:
            raise _HttpError(429, f"at most {_MAX_CALLS} open calls")
        return await self.site.party(self.tone_hz, echo=self.echo, impairment=self.impairment)

    def _add(self, call: Call) -> Call:
        self.calls.append(call)
        self._changed.set()
        return call

    async def _close_call(self, call: Call) -> None:
        if call.closed:
            return
        call.closed = True
        await call.party.close()
        self._changed.set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        origin = ""
        try:
            request = await asyncio.wait_for(_read_request(reader), _READ_TIMEOUT)
            origin = request.headers.get("origin", "")
            status, headers, body = await self._route(request, reader)
        except _ClientGone:
            writer.close()
            return
        except _HttpError as exc:
            status, headers, body = exc.status, {"Content-Type": "text/plain"}, str(exc).encode()
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        except asyncio.CancelledError:
            writer.close()
            raise
        except Exception as exc:  # a far-end failure: tell the app, keep serving
            status, headers, body = (
                500,
                {"Content-Type": "text/plain"},
                f"{type(exc).__name__}: {exc}".encode(),
            )
        finally:
            if task is not None:
                self._handlers.discard(task)
        with contextlib.suppress(ConnectionError):
            writer.write(_response(status, headers, body, origin))
            await writer.drain()
        writer.close()

    async def _route(
        self, request: _Request, reader: asyncio.StreamReader
    ) -> tuple[int, dict[str, str], bytes]:
        origin = request.headers.get("origin")
        if origin is not None and not _ALLOWED_ORIGIN.match(origin):
            raise _HttpError(403, "origin not allowed: only http://localhost and http://127.0.0.1 pages")
        prefix = f"/{self.secret}/signal"
        path = request.path.split("?", 1)[0]
        if path != prefix and not path.startswith(prefix + "/"):
            raise _HttpError(404, "not found")
        rest = path[len(prefix) :].strip("/")
        if request.method == "OPTIONS":
            return 204, {}, b""
        if rest == "" and request.method == "POST":
            return await self._offer(request)
        if rest == "incoming" and request.method == "GET":
            return await self._long_poll(reader)
        match = re.fullmatch(r"calls/([0-9]{1,6})(/answer)?", rest)
        if match:
            call = next((c for c in self.calls if c.id == int(match[1])), None)
            if call is None:
                raise _HttpError(404, "no such call")
            if match[2] and request.method == "POST":
                return await self._answer(call, request)
            if not match[2] and request.method == "DELETE":
                await self._close_call(call)
                return 204, {}, b""
        raise _HttpError(
            405 if rest in ("", "incoming") or match else 404, f"{request.method} is not allowed here"
        )

    async def _offer(self, request: _Request) -> tuple[int, dict[str, str], bytes]:
        sdp = _sdp_body(request)
        party = await self._new_party()
        call = self._add(Call(next(self._ids), "outgoing", party, offer_sdp=sdp))
        try:
            call.answer_sdp = await party.answer(sdp)
        except Exception as exc:
            await self._close_call(call)
            raise _HttpError(400, f"the far end could not answer this offer: {exc}") from exc
        call.answered.set()
        self._changed.set()
        location = f"/{self.secret}/signal/calls/{call.id}"
        return 201, {"Content-Type": "application/sdp", "Location": location}, call.answer_sdp.encode()

    async def _long_poll(self, reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
        # Wait for a call, a timeout, or the app going away (its connection reaches EOF): a
        # call must never be handed to a poll nobody reads.
        getter = asyncio.ensure_future(self._incoming.get())
        gone = asyncio.ensure_future(reader.read(1))
        try:
            await asyncio.wait({getter, gone}, timeout=LONG_POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            getter.cancel()
        if not getter.done() or getter.cancelled():
            if gone.done() and not gone.cancelled():
                raise _ClientGone
            return 204, {}, b""
        call = getter.result()
        if gone.done() and not gone.cancelled():
            self._incoming.put_nowait(call)
            raise _ClientGone
        base = f"http://127.0.0.1:{self.port}/{self.secret}/signal/calls/{call.id}"
        payload = {"call": call.id, "sdp": call.offer_sdp, "answer": f"{base}/answer", "resource": base}
        return 200, {"Content-Type": "application/json"}, json.dumps(payload).encode()

    async def _answer(self, call: Call, request: _Request) -> tuple[int, dict[str, str], bytes]:
        if call.direction != "incoming" or call.answer_sdp:
            raise _HttpError(409, "this call takes no answer")
        sdp = _sdp_body(request)
        await call.party.accept(sdp)
        call.answer_sdp = sdp
        call.answered.set()
        self._changed.set()
        return 204, {}, b""


def _sdp_body(request: _Request) -> str:
    try:
        sdp = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise _HttpError(400, "the body is not UTF-8 SDP") from None
    if not sdp.startswith("v=0"):
        raise _HttpError(400, "the body is not an SDP description (it must start with v=0)")
    return sdp


async def _read_request(reader: asyncio.StreamReader) -> _Request:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError:
        raise _HttpError(431, "request head too large") from None
    if len(head) > MAX_HEADER_BYTES:
        raise _HttpError(431, "request head too large")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _HttpError(400, "malformed request line")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise _HttpError(400, "malformed header")
        headers[name.strip().lower()] = value.strip()
    body = b""
    if "transfer-encoding" in headers:
        raise _HttpError(411, "send a Content-Length, not a chunked body")
    if "content-length" in headers:
        try:
            length = int(headers["content-length"])
        except ValueError:
            raise _HttpError(400, "bad Content-Length") from None
        if length < 0 or length > MAX_BODY:
            raise _HttpError(413, f"the body is limited to {MAX_BODY} bytes")
        body = await reader.readexactly(length)
    return _Request(parts[0].upper(), parts[1], headers, body)


def _response(status: int, headers: dict[str, str], body: bytes, origin: str) -> bytes:
    out = {"Content-Length": str(len(body)), "Connection": "close", "Cache-Control": "no-store", **headers}
    if origin and _ALLOWED_ORIGIN.match(origin):
        out.update(
            {
                "Access-Control-Allow-Origin": origin,
                "Vary": "Origin",
                "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
                "Access-Control-Allow-Headers": "Content-Type",
                "Access-Control-Expose-Headers": "Location",
                "Access-Control-Allow-Private-Network": "true",
                "Access-Control-Max-Age": "600",
            }
        )
    head = f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in out.items())
    return head.encode("latin-1") + b"\r\n" + body
