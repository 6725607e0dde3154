"""An aiortc far end for real calls: answers, analyses the audio it receives, echoes data
channel messages and can send a known tone back."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiortc import RTCConfiguration, RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from reference_impl.host.devices import AudioAnalyser, ToneTrack
from reference_impl.host.ice import restrict_ice_to_loopback

#: How often a bounded wait polls (a wait on a condition, not a fixed sleep).
POLL_INTERVAL_S = 0.05

#: The tone the far end sends back: distinct from every virtual microphone.
FAR_END_TONE_HZ = 1200.0


class AiortcFarEnd:
    """The callee. ``answer(offer_sdp)`` returns the answer SDP (with all candidates)."""

    def __init__(self, *, send_tone: bool = True) -> None:
        restrict_ice_to_loopback()
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.analyser = AudioAnalyser()
        self.track_ids: list[str] = []
        self.messages: list[str | bytes] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._tone = ToneTrack(FAR_END_TONE_HZ) if send_tone else None
        self.channel_open = asyncio.Event()

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self.track_ids.append(track.id)
            self._tasks.append(asyncio.ensure_future(self._consume(track)))

        @self.pc.on("datachannel")
        def on_datachannel(channel: RTCDataChannel) -> None:
            self.channel_open.set()

            @channel.on("message")
            def on_message(message: str | bytes) -> None:
                self.messages.append(message)
                channel.send(message)  # echo

    async def _consume(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                frame = await track.recv()
                self.analyser.feed(frame)  # type: ignore[arg-type]

    async def answer(self, offer_sdp: str) -> str:
        """Accept an offer; return the answer."""
        await self.pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
        if self._tone is not None:
            for transceiver in self.pc.getTransceivers():
                if transceiver.kind == "audio":
                    transceiver.sender.replaceTrack(self._tone)
                    transceiver.direction = "sendrecv"
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription.sdp

    async def offer(self) -> str:
        """Start a call towards the page (audio sendrecv + a data channel)."""
        self.pc.addTransceiver(self._tone or "audio", direction="sendrecv")
        channel = self.pc.createDataChannel("far")

        @channel.on("open")
        def on_open() -> None:
            self.channel_open.set()

        @channel.on("message")
        def on_message(message: str | bytes) -> None:
            self.messages.append(message)

        self.channel = channel
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept_answer(self, answer_sdp: str) -> None:
        """Complete a call started with :meth:`offer`."""
        await self.pc.setRemoteDescription(RTCSessionDescription(answer_sdp, "answer"))

    async def wait_for_tone(self, hz: float, timeout: float = 10.0,
                            tolerance: float = 15.0) -> dict[str, Any]:
        """Wait until the received audio's dominant frequency is ``hz``; return the summary."""
        deadline = asyncio.get_running_loop().time() + timeout
        summary = self.analyser.summary()
        while asyncio.get_running_loop().time() < deadline:
            summary = self.analyser.summary()
            dominant = summary["dominantHz"]
            if summary["frames"] > 20 and dominant is not None and abs(dominant - hz) <= tolerance:
                return summary
            await asyncio.sleep(POLL_INTERVAL_S)
        raise AssertionError(f"far end never heard {hz} Hz; last summary {summary}")

    async def close(self) -> None:
        """Hang up."""
        for task in self._tasks:
            task.cancel()
        if self._tone is not None:
            self._tone.stop()
        await self.pc.close()
