"""The user who copies signalling by hand, for stacks whose README signals that way.

simple-peer's README connects two browsers by copy and paste: the initiator's offer
appears in ``#outgoing``, the user pastes it into the other browser's form, submits, and
pastes that browser's answer back. The courier is that user's other hand: a loopback HTTP
endpoint with a per-run secret path; ``POST`` an offer and it pastes it into the far end's
page, submits, and answers with what the far end's page then shows. The profile's steps do
the copying on the page under test (the app's code is not changed); they find the
courier's address in the served ``courier.txt``.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Paste", "courier"]

_MAX_BODY = 64 * 1024
_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Paste:
    """Where the far end's page takes a paste and shows its reply (CSS selectors), and the
    JavaScript expression that holds once the reply is there."""

    field: str
    submit: str
    reply: str
    replied: str


async def _paste(page: Any, paste: Paste, text: str) -> str:
    await page.fill(paste.field, text)
    await page.click(paste.submit)
    await page.wait_for_function(paste.replied, timeout=_TIMEOUT_S * 1000)
    return str(await page.text_content(paste.reply) or "")


@contextlib.asynccontextmanager
async def courier(page: Any, paste: Paste) -> AsyncIterator[str]:
    """Serve the courier for the far end's ``page``; yields its URL."""
    secret = secrets.token_urlsafe(16)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _TIMEOUT_S)
            lines = head.decode("latin-1").split("\r\n")
            method, path = [*lines[0].split(" "), "", ""][:2]
            fields = (line.partition(":") for line in lines[1:])
            headers = {key.strip().lower(): value.strip() for key, _, value in fields}
            length = min(int(headers.get("content-length", "0") or 0), _MAX_BODY)
            body = await asyncio.wait_for(reader.readexactly(length), _TIMEOUT_S) if length else b""
            origin = headers.get("origin", "")
            allowed = origin.startswith(("http://127.0.0.1:", "http://localhost:"))
            if method == "POST" and path == f"/{secret}/paste" and allowed:
                status, reply = "200 OK", (await _paste(page, paste, body.decode("utf-8"))).encode()
            else:
                status, reply = "404 Not Found", b"not found"
            cors = f"Access-Control-Allow-Origin: {origin}\r\n" if allowed else ""
            writer.write(f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n{cors}"
                         f"Content-Length: {len(reply)}\r\nConnection: close\r\n\r\n".encode() + reply)
            await writer.drain()
        except Exception as exc:  # a failed paste is the far end's failure: say it to the page
            with contextlib.suppress(Exception):
                message = f"the courier could not paste: {exc}".encode()
                writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: " + str(len(message)).encode()
                             + b"\r\nConnection: close\r\n\r\n" + message)
                await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/{secret}/paste"
    finally:
        server.close()
        await server.wait_closed()
