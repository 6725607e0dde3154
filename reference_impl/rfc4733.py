"""RFC 4733 telephone-events (DTMF) for aiortc, which has none.

Three parts, shared by the host (which sends the page's ``insertDTMF`` tones) and the
harness's aiortc far end (which tells which digits arrived, and for how long):

- :func:`enable_telephone_event` makes aiortc negotiate ``telephone-event`` as Chromium
  does (``telephone-event/48000`` beside opus, ``telephone-event/8000`` beside the 8 kHz
  codecs, Chromium's payload types in aiortc's own offers) and keeps those packets away
  from aiortc's decoders (it has none for them), handing them to a listener instead;
- :class:`TonePlayer` turns one sender's outgoing audio packets into event packets while a
  tone plays, as libwebrtc does: same SSRC and sequence numbers, the event's RTP timestamp
  fixed at its start, the duration growing each packet, the end packet sent three times;
- :class:`ToneDecoder` turns received event packets back into digits and durations.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.codecs import CODECS
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

__all__ = [
    "TELEPHONE_EVENT",
    "TONES",
    "ReceivedTone",
    "ToneDecoder",
    "TonePlayer",
    "enable_telephone_event",
    "set_tone_listener",
]

#: The codec's MIME type.
TELEPHONE_EVENT = "audio/telephone-event"
#: Event codes 0-15 (RFC 4733 section 3.2): the digits, ``*``, ``#``, then A-D.
TONES = "0123456789*#ABCD"
#: Chromium's payload types and clock rates for the codec.
_CODECS = ((110, 48000), (126, 8000))
#: Chromium sends events at this volume (-10 dBm0).
_VOLUME = 10
#: libwebrtc repeats the end packet this many times.
_END_REPEATS = 3
#: aiortc sends one audio packet per 20 ms.
_PACKET_S = 0.02

ToneListener = Callable[[RtpPacket, int], None]


def enable_telephone_event() -> None:
    """Make aiortc in this process negotiate telephone-event; safe to call again."""
    audio = CODECS["audio"]
    if any(c.mimeType.lower() == TELEPHONE_EVENT for c in audio):
        return
    for payload_type, clock_rate in _CODECS:
        audio.append(RTCRtpCodecParameters(mimeType=TELEPHONE_EVENT, clockRate=clock_rate, channels=1,
                                           payloadType=payload_type))
    original = RTCRtpReceiver._handle_rtp_packet

    async def handle(self: RTCRtpReceiver, packet: RtpPacket, arrival_time_ms: int) -> None:
        codecs: dict[int, RTCRtpCodecParameters] = getattr(self, "_RTCRtpReceiver__codecs", {})
        codec = codecs.get(packet.payload_type)
        if codec is not None and codec.mimeType.lower() == TELEPHONE_EVENT:
            # aiortc has no decoder for events: a listener gets them, nothing else does.
            listener: ToneListener | None = getattr(self, "_mmr_tone_listener", None)
            if listener is not None:
                listener(packet, codec.clockRate)
            return
        await original(self, packet, arrival_time_ms)

    RTCRtpReceiver._handle_rtp_packet = handle  # type: ignore[method-assign]


def set_tone_listener(receiver: RTCRtpReceiver, listener: ToneListener) -> None:
    """Hand ``receiver``'s telephone-event packets (and their clock rate) to ``listener``."""
    receiver._mmr_tone_listener = listener  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ReceivedTone:
    """One event as the far end received it."""

    tone: str
    duration_ms: float
    volume: int

    def to_json(self) -> dict[str, Any]:
        """``{"tone", "durationMs", "volume"}``."""
        return {"tone": self.tone, "durationMs": round(self.duration_ms, 1), "volume": self.volume}


class ToneDecoder:
    """Received event packets -> tones: one per event (RTP timestamp), recorded at its first
    end packet, or when a newer event starts without one."""

    def __init__(self) -> None:
        self.tones: list[ReceivedTone] = []
        self._current: tuple[int, int] | None = None  # (ssrc, timestamp) of the open event
        self._last: ReceivedTone | None = None
        self._done: set[tuple[int, int]] = set()

    def packet(self, packet: RtpPacket, clock_rate: int) -> None:
        """Take one telephone-event packet (a :data:`ToneListener`)."""
        if len(packet.payload) < 4:
            return
        code, flags, duration = struct.unpack("!BBH", packet.payload[:4])
        key = (packet.ssrc, packet.timestamp)
        if key in self._done or code >= len(TONES):
            return
        if self._current is not None and self._current != key and self._last is not None:
            self._finish()
        self._current = key
        self._last = ReceivedTone(TONES[code], duration * 1000.0 / clock_rate, flags & 0x3F)
        if flags & 0x80:
            self._finish()

    def _finish(self) -> None:
        if self._current is not None and self._last is not None:
            self.tones.append(self._last)
            self._done.add(self._current)
        self._current = None
        self._last = None


@dataclass
class _Tone:
    code: int
    duration_ms: int
    payload_type: int
    clock_rate: int
    send_rate: int  # the audio codec's clock rate (the stream's timestamps)
    start: int | None = None  # the RTP timestamp of its first packet
    ends_sent: int = 0


class TonePlayer:
    """Plays tones on one aiortc sender's stream by rewriting its outgoing audio packets."""

    def __init__(self, sender: RTCRtpSender) -> None:
        self.sender = sender
        self._queue: deque[_Tone] = deque()
        self._attached: Any = None

    def play(self, tone: str, duration_ms: int, codecs: list[RTCRtpCodecParameters]) -> bool:
        """Send ``tone`` for ``duration_ms`` from the next audio packet on, with the
        telephone-event of ``codecs`` (the negotiated ones, the send codec first) whose clock
        rate is the send codec's, as Chromium picks it; False when none was negotiated."""
        events = [c for c in codecs if c.mimeType.lower() == TELEPHONE_EVENT]
        sending = [c for c in codecs if c.mimeType.lower() != TELEPHONE_EVENT]
        if not events or not sending:
            return False
        send_rate = int(sending[0].clockRate)
        event = next((c for c in events if c.clockRate == send_rate), events[0])
        self._attach()
        self._queue.append(_Tone(TONES.index(tone.upper()), duration_ms, int(event.payloadType or 0),
                                 int(event.clockRate), send_rate))
        return True

    def _attach(self) -> None:
        # Senders of one connection share a (bundled) transport: its outgoing packets are
        # routed to the player of their SSRC.
        transport = self.sender.transport
        if transport is None or transport is self._attached:
            return
        players: dict[int, TonePlayer] | None = getattr(transport, "_mmr_tone_players", None)
        if players is None:
            players = {}
            original = transport._send_rtp

            async def send(data: bytes) -> None:
                player = players.get(struct.unpack_from("!I", data, 8)[0]) if len(data) >= 12 else None
                await original(player.rewrite(data) if player is not None else data)

            # aiortc has no hook for outgoing packets: the player wraps the transport's method.
            setattr(transport, "_mmr_tone_players", players)  # noqa: B010
            setattr(transport, "_send_rtp", send)  # noqa: B010
        players[self.sender._ssrc] = self
        self._attached = transport

    def rewrite(self, data: bytes) -> bytes:
        """``data`` (one outgoing RTP packet) as the current tone's event packet, if a tone plays."""
        if not self._queue:
            return data
        tone = self._queue[0]
        timestamp = struct.unpack_from("!I", data, 4)[0]
        marker = 0
        if tone.start is None:
            tone.start = timestamp
            marker = 1
        elapsed = (((timestamp - tone.start) % 2**32 + int(tone.send_rate * _PACKET_S))
                   * tone.clock_rate // tone.send_rate)
        total = tone.duration_ms * tone.clock_rate // 1000
        end = elapsed >= total
        if end:
            tone.ends_sent += 1
            if tone.ends_sent >= _END_REPEATS:
                self._queue.popleft()
        duration = min(total if end else elapsed, 0xFFFF)
        payload = struct.pack("!BBH", tone.code, (0x80 if end else 0) | _VOLUME, duration)
        return _with_payload(data, marker, tone.payload_type, tone.start, payload)


def _with_payload(data: bytes, marker: int, payload_type: int, timestamp: int, payload: bytes) -> bytes:
    """An RTP packet like ``data`` (same sequence number, SSRC, CSRCs, header extensions)
    with another marker, payload type, timestamp and payload."""
    csrcs = data[0] & 0x0F
    header = 12 + 4 * csrcs
    if data[0] & 0x10:
        header += 4 + 4 * struct.unpack_from("!H", data, header + 2)[0]
    first = bytes([data[0] & 0xDF])  # no padding: the payload is replaced
    second = bytes([(marker << 7) | payload_type])
    return first + second + data[2:4] + struct.pack("!I", timestamp) + data[8:header] + payload
