"""``--impair`` on native: the preset on the far end's link, applied at its ICE sockets
(:mod:`conformance.network.farlink`). Real aiortc peers over real ICE on this machine."""

from __future__ import annotations

import asyncio
import dataclasses
import time

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from conformance.network.impair import preset
from conformance.parties import AiortcParty

#: A link that only delays: 300 ms each way, no jitter, no loss, no rate.
SLOW = dataclasses.replace(preset("broadband"), name="slow", delay_ms=300.0, jitter_ms=0.0,
                           rate_kbit_down=None, rate_kbit_up=None)
_BOUND_S = 20.0


async def _echo_round_trip(far_end: AiortcParty, bound: float = _BOUND_S) -> float | None:
    """Call ``far_end`` with a data channel; the round trip of one echoed message (s), or
    ``None`` when the call never connects within the bound."""
    caller = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        channel = caller.createDataChannel("ping")
        opened, echoed = asyncio.Event(), asyncio.Event()
        channel.on("open", opened.set)
        channel.on("message", lambda _message: echoed.set())
        await caller.setLocalDescription(await caller.createOffer())
        answer = await far_end.answer(caller.localDescription.sdp)
        await caller.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        try:
            await asyncio.wait_for(opened.wait(), bound)
        except TimeoutError:
            return None
        sent = time.monotonic()
        channel.send("ping")
        await asyncio.wait_for(echoed.wait(), _BOUND_S)
        return time.monotonic() - sent
    finally:
        await caller.close()
        await far_end.close()


def test_the_far_ends_link_delays_both_ways() -> None:
    clean = asyncio.run(_echo_round_trip(AiortcParty(None)))
    slow = asyncio.run(_echo_round_trip(AiortcParty(None, impairment=SLOW)))
    assert clean is not None and slow is not None
    # The message and its echo each cross the far end's link once: 2 x 300 ms at least.
    assert slow >= 0.6 > clean, (clean, slow)
    assert slow < 0.6 + 5.0  # and not lost in a queue


def test_call_drop_on_the_far_ends_link_keeps_the_call_from_connecting() -> None:
    dropped = AiortcParty(None, impairment=preset("call-drop"))
    assert asyncio.run(_echo_round_trip(dropped, bound=8.0)) is None
