"""An aiortc far end: answers (or places) a call, sends a known tone, echoes data channels,
measures the audio it receives and decodes the DTMF tones (RFC 4733 telephone-events) sent
to it. The scenarios' ``farEnd('aiortc')``, the certification's
far end, and the reference implementation's own tests all call this one."""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc import RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack

from conformance.network.farlink import impair_peer
from conformance.network.impair import Preset
from conformance.parties.audio import AudioAnalysis, AudioMeter, ToneTrack
from reference_impl.host.ice import ice_view, rtc_configuration
from reference_impl.rfc4733 import ToneDecoder, enable_telephone_event, set_tone_listener
from reference_impl.tones import AIORTC_FAR_END_TONE_HZ, FAR_END_TONE_AMPLITUDE, TONE_TOLERANCE_HZ

__all__ = ["AiortcParty"]

#: The tone a far end sends unless told otherwise (the name predates the tone table).
DEFAULT_TONE_HZ = AIORTC_FAR_END_TONE_HZ
#: How often :meth:`AiortcParty.wait_for_tone` looks at what arrived (a bounded wait on a
#: condition, not a fixed sleep).
_POLL_S = 0.05


class AiortcParty:
    """The other side of a call, in this process, over real ICE on this machine; it sends a
    known tone (none with ``tone_hz=None``: it only listens), or with ``echo`` returns what
    it receives."""

    kind = "aiortc"

    def __init__(self, tone_hz: float | None = DEFAULT_TONE_HZ, *, echo: bool = False,
                 impairment: Preset | None = None,
                 ice_servers: list[dict[str, Any]] | None = None) -> None:
        # Negotiate telephone-event as Chromium does, so a page can send DTMF to this end.
        enable_telephone_event()
        # By default no STUN/TURN servers: host candidates only, so traffic stays on this
        # machine. ``ice_servers`` (an ``RTCConfiguration.iceServers`` value): the servers
        # the run offers on its "internet" (a far end behind a NAT of its own needs them).
        self.pc = RTCPeerConnection(rtc_configuration({"iceServers": ice_servers or []}, "all"))
        self.tone = (None if tone_hz is None
                     else ToneTrack(tone_hz, amplitude=FAR_END_TONE_AMPLITUDE))
        #: ``echo``: send back what arrives (an echo test) instead of the tone.
        self.echo = echo
        #: A preset on this end's link (``--impair`` for a target whose media leaves from the
        #: data centre: :mod:`conformance.network.farlink`), or ``None``.
        self.impairment = impairment
        #: What this end sends instead of its tone (:meth:`play`), or ``None``.
        self._playing: MediaStreamTrack | None = None
        self._relay = MediaRelay()
        self._echoed: MediaStreamTrack | None = None
        self.meter = AudioMeter()
        #: The DTMF tones received, in order.
        self.tones = ToneDecoder()
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

    def _listen_for_tones(self) -> None:
        for transceiver in self.pc.getTransceivers():
            if transceiver.kind == "audio":
                set_tone_listener(transceiver.receiver, self.tones.packet)

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
        self._listen_for_tones()
        source = self._echoed if self.echo and self._echoed is not None else self.tone
        if source is not None and any(t.kind == "audio" for t in self.pc.getTransceivers()):
            self.pc.addTrack(source)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        self._impair()
        return self.pc.localDescription.sdp

    async def offer(self) -> str:
        """Place a call to the page: an offer with the tone (or to receive audio only) and a
        data channel."""
        if self.tone is not None:
            self.pc.addTrack(self.tone)
        else:
            self.pc.addTransceiver("audio", direction="recvonly")
        self._on_datachannel(self.pc.createDataChannel("far-end"))
        await self.pc.setLocalDescription(await self.pc.createOffer())
        self._impair()
        return self.pc.localDescription.sdp

    def _impair(self) -> None:
        # Once gathered (its sockets exist), before the connectivity checks run.
        if self.impairment is not None:
            impair_peer(self.pc, self.impairment)

    async def play(self, track: MediaStreamTrack | None) -> bool:
        """Send ``track`` instead of the tone (``None``: the tone again); ``False`` when this
        end sends no tone on the call (it echoes, or only listens)."""
        if self.tone is None:
            return False
        for sender in self.pc.getSenders():
            if sender.track is not None and sender.track in (self.tone, self._playing):
                sender.replaceTrack(track or self.tone)
                self._playing = track
                return True
        return False

    async def accept(self, answer_sdp: str) -> None:
        """Take the page's answer to :meth:`offer`."""
        await self.pc.setRemoteDescription(RTCSessionDescription(answer_sdp, "answer"))
        self._listen_for_tones()

    async def wait_for_tone(self, hz: float, timeout: float = 10.0,
                            tolerance: float = TONE_TOLERANCE_HZ) -> AudioAnalysis:
        """Wait until the received audio's dominant frequency is ``hz`` (after more than 20
        frames); return that analysis, or raise ``AssertionError`` with the last one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            heard = self.meter.analysis()
            if (heard.frames > 20 and heard.dominant_hz is not None
                    and abs(heard.dominant_hz - hz) <= tolerance):
                return heard
            if loop.time() >= deadline:
                raise AssertionError(f"far end never heard {hz:g} Hz; last heard {heard.to_json()}")
            await asyncio.sleep(_POLL_S)

    async def stats(self) -> dict[str, Any]:
        """What the far end has seen: connection state, received audio, data messages, and
        the DTMF tones received (``dtmf``: ``[{"tone", "durationMs", "volume"}]``)."""
        return {
            "kind": self.kind,
            "connectionState": self.pc.connectionState,
            # The pair ICE selected (this end's candidate first), None until there is one.
            "selectedPair": next((t["selectedPair"] for t in ice_view(self.pc)["iceTransports"]
                                  if t.get("selectedPair")), None),
            "audio": self.meter.analysis().to_json(),
            "messages": list(self.messages[-50:]),
            "messageCount": len(self.messages),
            "dtmf": [tone.to_json() for tone in self.tones.tones],
        }

    async def close(self) -> None:
        """Hang up and release everything."""
        self.meter.stop()
        if self.tone is not None:
            self.tone.stop()
        await asyncio.wait_for(self.pc.close(), 10)
