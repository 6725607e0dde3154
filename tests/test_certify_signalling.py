"""The signalling endpoint: loopback only, secret path, CORS for local origins, bounded
bodies, and real calls with the aiortc far end (an aiortc client plays the app)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from conformance.certify.session import signalling
from conformance.certify.session.signalling import MAX_BODY, SignallingServer


async def request(
    server: SignallingServer, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP/1.1 exchange with the server."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    writer.write(head.encode() + b"\r\n" + body)
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    top, _, payload = raw.partition(b"\r\n\r\n")
    lines = top.decode().split("\r\n")
    parsed = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), parsed, payload


def path_of(server: SignallingServer, rest: str = "") -> str:
    return f"/{server.secret}/signal{rest}"


async def offer_sdp(pc: RTCPeerConnection) -> str:
    pc.addTransceiver("audio", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    return str(pc.localDescription.sdp)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_listens_on_loopback_with_a_secret_url() -> None:
    async def body() -> None:
        srv = SignallingServer()
        await srv.start()
        try:
            assert srv._server is not None
            assert {s.getsockname()[0] for s in srv._server.sockets} == {"127.0.0.1"}
            assert srv.url == f"http://127.0.0.1:{srv.port}/{srv.secret}/signal"
            assert len(srv.secret) >= 16
            status, _, _ = await request(srv, "POST", "/wrong-secret/signal", b"v=0")
            assert status == 404
        finally:
            await srv.close()

    run(body())


def test_cors_only_for_local_origins() -> None:
    async def body() -> None:
        srv = SignallingServer()
        await srv.start()
        try:
            status, headers, _ = await request(
                srv,
                "OPTIONS",
                path_of(srv),
                headers={"Origin": "http://localhost:8123", "Access-Control-Request-Method": "POST"},
            )
            assert status == 204
            assert headers["access-control-allow-origin"] == "http://localhost:8123"
            assert "Location" in headers["access-control-expose-headers"]
            status, headers, _ = await request(
                srv, "OPTIONS", path_of(srv), headers={"Origin": "http://127.0.0.1"}
            )
            assert status == 204 and headers["access-control-allow-origin"] == "http://127.0.0.1"
            for origin in ("https://evil.example", "http://localhost.evil.example", "null"):
                status, headers, _ = await request(srv, "POST", path_of(srv), b"v=0", {"Origin": origin})
                assert status == 403, origin
                assert "access-control-allow-origin" not in headers
        finally:
            await srv.close()

    run(body())


def test_rejects_bad_bodies_and_methods() -> None:
    async def body() -> None:
        srv = SignallingServer()
        await srv.start()
        try:
            assert (await request(srv, "POST", path_of(srv), b"hello"))[0] == 400
            assert (await request(srv, "POST", path_of(srv), b"\xff\xfe"))[0] == 400
            # The declared length alone is refused: the body is never read.
            reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
            writer.write(f"POST {path_of(srv)} HTTP/1.1\r\nContent-Length: {MAX_BODY + 1}\r\n\r\n".encode())
            await writer.drain()
            assert b" 413 " in (await asyncio.wait_for(reader.read(), 10)).split(b"\r\n")[0]
            writer.close()
            assert (await request(srv, "GET", path_of(srv)))[0] == 405
            assert (await request(srv, "DELETE", path_of(srv, "/calls/99")))[0] == 404
            assert (await request(srv, "GET", path_of(srv, "/../../etc/passwd")))[0] == 404
            assert srv.calls == []
        finally:
            await srv.close()

    run(body())


def test_an_offer_gets_the_far_ends_answer_and_a_call_resource() -> None:
    async def body() -> None:
        srv = SignallingServer()
        await srv.start()
        client = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        try:
            sdp = (await offer_sdp(client)).encode()
            status, headers, answer = await request(
                srv,
                "POST",
                path_of(srv),
                sdp,
                {"Content-Type": "application/sdp", "Origin": "http://localhost:9999"},
            )
            assert status == 201, answer
            assert headers["content-type"] == "application/sdp"
            assert headers["location"] == path_of(srv, "/calls/1")
            assert answer.startswith(b"v=0") and b"a=fingerprint:" in answer
            await client.setRemoteDescription(RTCSessionDescription(answer.decode(), "answer"))
            call = await srv.wait_call(0, 5)
            assert call is not None and call.direction == "outgoing" and call.app_sdp.startswith("v=0")
            assert (await request(srv, "DELETE", headers["location"]))[0] == 204
            assert call.closed
        finally:
            await client.close()
            await srv.close()

    run(body())


def test_the_far_end_rings_through_the_long_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signalling, "LONG_POLL_SECONDS", 0.3)

    async def body() -> None:
        srv = SignallingServer()
        await srv.start()
        client = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        try:
            assert (await request(srv, "GET", path_of(srv, "/incoming")))[0] == 204  # nothing rings
            ringing = await srv.ring()
            status, _, payload = await request(srv, "GET", path_of(srv, "/incoming"))
            assert status == 200
            offer = json.loads(payload)
            assert offer["call"] == ringing.id and offer["sdp"].startswith("v=0")
            assert offer["answer"].endswith(f"/calls/{ringing.id}/answer")
            await client.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
            await client.setLocalDescription(await client.createAnswer())
            answer_path = offer["answer"].split(str(srv.port), 1)[1]
            status, _, _ = await request(srv, "POST", answer_path, client.localDescription.sdp.encode())
            assert status == 204
            assert await srv.wait_call(0, 5) is ringing
            assert (await request(srv, "POST", answer_path, client.localDescription.sdp.encode()))[0] == 409
        finally:
            await client.close()
            await srv.close()

    run(body())


def test_a_poll_that_went_away_does_not_swallow_a_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signalling, "LONG_POLL_SECONDS", 5.0)

    async def body() -> None:
        srv = SignallingServer()
        await srv.start()
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
            writer.write(f"GET {path_of(srv, '/incoming')} HTTP/1.1\r\n\r\n".encode())
            await writer.drain()
            writer.close()  # the page closed while polling
            await writer.wait_closed()
            # Whichever the server sees first, the poll's end or the call, the call must wait
            # for the next poll rather than go to the dead one.
            ringing = await srv.ring()
            status, _, payload = await request(srv, "GET", path_of(srv, "/incoming"))
            assert status == 200 and json.loads(payload)["call"] == ringing.id
        finally:
            await srv.close()

    run(body())


def test_open_calls_are_bounded_before_a_far_end_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    """An app (or anyone with the URL) holding the most open calls gets 429, and no far end
    (no peer connection) is made for the refused offer."""
    monkeypatch.setattr(signalling, "_MAX_CALLS", 1)

    async def body() -> None:
        srv = SignallingServer()
        await srv.start()
        app = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        made: list[object] = []
        real = srv.site.party

        async def counted(*args: Any, **kwargs: Any) -> Any:
            made.append(args)
            return await real(*args, **kwargs)

        monkeypatch.setattr(srv.site, "party", counted)
        try:
            sdp = (await offer_sdp(app)).encode()
            headers = {"Content-Type": "application/sdp"}
            assert (await request(srv, "POST", path_of(srv), sdp, headers))[0] == 201
            status, _, text = await request(srv, "POST", path_of(srv), sdp, headers)
            assert status == 429 and b"at most 1 open calls" in text
            assert len(made) == 1 and len(srv.calls) == 1
        finally:
            await app.close()
            await srv.close()

    run(body())
