"""Impairment on the backend's link for native's side-by-side (``--impair`` on native).

A native target's media leaves from the data centre: the browser and the harness's far end
(an aiortc peer in the harness's own process) share this machine's network stack, so no
link lies between them to put a qdisc or a rule on. The preset is therefore applied where
the backend's link meets the backend: at the far end's ICE sockets, in userspace. What the
far end sends (``down``: towards the user) and what it receives (``up``) each pass a stage
with the preset's rate (a token bucket whose queue holds at most 400 ms, as the router's
``tbf``), its random loss, and its delay +- a uniform jitter (packets may pass each other,
as with netem and the router's delay stage). STUN checks pass the same stages as media, as
they do on the router. The path is recorded as ``far-end sockets``.

The reference target keeps its impairment on the local device's access link (the home's
router, :mod:`conformance.network.impair`): under ``--impair``, each target's media crosses
one impaired link with the same figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from typing import Any

from aiortc import RTCPeerConnection

from conformance.network.impair import Preset

__all__ = ["PATH", "impair_peer"]

#: How the run names this path in results and certificates.
PATH = "far-end sockets"
#: The longest a packet may wait for the rate (the router's ``tbf`` has ``latency 400ms``).
_QUEUE_S = 0.4


class _Stage:
    """One direction of the link: rate, loss, delay and jitter, then ``deliver``."""

    def __init__(self, chosen: Preset, rate_kbit: int | None, draw: random.Random) -> None:
        self._preset = chosen
        self._rate_bps = rate_kbit * 1000 if rate_kbit else None
        self._draw = draw
        self._free_at = 0.0  # when the bucket has sent everything queued so far

    def push(self, size: int, deliver: Callable[[], None]) -> None:
        """Send ``size`` bytes through the stage: ``deliver`` runs when they come out."""
        if self._preset.loss > 0 and self._draw.random() < self._preset.loss:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        out = now
        if self._rate_bps is not None:
            start = max(now, self._free_at)
            if start - now > _QUEUE_S:
                return  # the queue is full: tail drop
            self._free_at = out = start + size * 8 / self._rate_bps
        jitter = self._draw.uniform(-self._preset.jitter_ms, self._preset.jitter_ms)
        held = max(0.0, self._preset.delay_ms + jitter) / 1000.0
        loop.call_at(out + held, deliver)


class _ImpairedTransport:
    """A datagram transport whose ``sendto`` passes a stage first."""

    def __init__(self, transport: asyncio.DatagramTransport, stage: _Stage) -> None:
        self._transport = transport
        self._stage = stage

    def sendto(self, data: bytes, addr: Any = None) -> None:
        def deliver() -> None:
            if not self._transport.is_closing():
                with contextlib.suppress(OSError):
                    self._transport.sendto(data, addr)
        self._stage.push(len(data), deliver)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def impair_peer(pc: RTCPeerConnection, chosen: Preset, *, seed: int | None = None) -> int:
    """Put ``chosen`` on every ICE socket ``pc`` has gathered (call after
    ``setLocalDescription``); returns how many sockets now pass the link's stages."""
    draw = random.Random(seed)
    wrapped = 0
    for connection in _connections(pc):
        # aioice keeps one protocol per socket (host, relay); it exposes no hook for this.
        for protocol in list(getattr(connection, "_protocols", [])):
            transport = getattr(protocol, "transport", None)
            if transport is None or isinstance(transport, _ImpairedTransport):
                continue
            protocol.transport = _ImpairedTransport(transport, _Stage(chosen, chosen.rate_kbit_down, draw))
            up = _Stage(chosen, chosen.rate_kbit_up, draw)
            received = protocol.datagram_received

            def arrive(data: bytes, addr: Any, received: Any = received, up: _Stage = up) -> None:
                up.push(len(data), lambda: received(data, addr))

            protocol.datagram_received = arrive
            wrapped += 1
    return wrapped


def _connections(pc: RTCPeerConnection) -> list[Any]:
    """The aioice connections under ``pc``'s transports (one with bundling)."""
    found: list[Any] = []
    transports = [t.receiver.transport for t in pc.getTransceivers()]
    sctp = pc.sctp
    if sctp is not None:
        transports.append(sctp.transport)
    for dtls in transports:
        connection = getattr(getattr(dtls, "transport", None), "_connection", None)
        if connection is not None and all(connection is not c for c in found):
            found.append(connection)
    return found

