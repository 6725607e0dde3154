"""An aiortc far end: answers (or places) a call, sends a known tone, echoes data channels,
and measures the audio it receives."""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc import RTCConfiguration, RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack

from conformance.parties.audio import AudioMeter, ToneTrack

__all__ = ["AiortcParty"]

DEFAULT_TONE_HZ = 660.0


class AiortcParty:
    """The other side of a call, in this process, over real ICE on this machine; it sends a
    known tone, or with ``echo`` returns what it receives."""

    kind = "aiortc"

    def __init__(self, tone_hz: float = DEFAULT_TONE_HZ, *, echo: bool = False) -> None:
        # No STUN/TURN servers: host candidates only, so traffic stays on this machine.
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.tone = ToneTrack(tone_hz)
        #: ``echo``: send back what arrives (an echo test) instead of the tone.
        self.echo = echo
        self._relay = MediaRelay()
        self._echoed: MediaStreamTrack | None = None
        self.meter = AudioMeter()
        self.messages: list[str] = []
        self.channels: list[RTCDataChannel] = []
        self.pc.on("track", self._on_track)
        self.pc.on("datachannel", self._on_datachannel)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind != "audio":
            return
        if self.echo and self._echoed is None:
            # Two readers of one track would split its frames: the relay gives each its own.
            self._echoed = self._relay.subscribe(track)
            track = self._relay.subscribe(track)
        self.meter.consume(track)

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        self.channels.append(channel)

        @channel.on("message")
        def echo(message: str | bytes) -> None:
            self.messages.append(message if isinstance(message, str) else f"<{len(message)} bytes>")
            if channel.readyState == "open":
                channel.send(message)

    async def answer(self, offer_sdp: str) -> str:
        """Answer the page's offer, sending the tone back on the audio transceiver."""
        await self.pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
        if any(t.kind == "audio" for t in self.pc.getTransceivers()):
            self.pc.addTrack(self._echoed if self.echo and self._echoed is not None else self.tone)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription.sdp

    async def offer(self) -> str:
        """Place a call to the page: an offer with the tone and a data channel."""
        self.pc.addTrack(self.tone)
        self._on_datachannel(self.pc.createDataChannel("far-end"))
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept(self, answer_sdp: str) -> None:
        """Take the page's answer to :meth:`offer`."""
        await self.pc.setRemoteDescription(RTCSessionDescription(answer_sdp, "answer"))

    async def stats(self) -> dict[str, Any]:
        """What the far end has seen: connection state, received audio, data messages."""
        return {
            "kind": self.kind,
            "connectionState": self.pc.connectionState,
            "audio": self.meter.analysis().to_json(),
            "messages": list(self.messages[-50:]),
            "messageCount": len(self.messages),
        }

    async def close(self) -> None:
        """Hang up and release everything."""
        self.meter.stop()
        self.tone.stop()
        await asyncio.wait_for(self.pc.close(), 10)
