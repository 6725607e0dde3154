"""RTP objects, as the shim's ``rtp.js`` mirrors them: one transceiver with its sender and
receiver, what its receiver heard (synchronisation sources) and its RTP statistics.

A transceiver knows its connection only through :class:`Negotiation` (the current
descriptions), so that this module stays below :mod:`.peerconnection`, which owns it.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any, Protocol

from aiortc import RTCRtpTransceiver

from ..rfc4733 import TonePlayer
from .protocol import HostError
from .sdp import rejected_mids
from .tracks import HostTrack, SenderFeed

__all__ = ["DIRECTIONS", "Negotiation", "TransceiverHandle", "check_direction", "epoch_ms_now"]

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


def check_direction(direction: str) -> str:
    """``direction`` if it is an ``RTCRtpTransceiverDirection`` a page may set."""
    if direction not in DIRECTIONS:
        raise HostError("TypeError", f"invalid direction {direction!r}")
    return direction


def epoch_ms_now() -> float:
    """Now, in milliseconds since the epoch (the spec's DOMHighResTimeStamp for stats)."""
    return datetime.datetime.now(datetime.UTC).timestamp() * 1000.0


def _epoch_ms(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.timestamp() * 1000.0
    return value


class Negotiation(Protocol):
    """What a transceiver reads of its connection: the current descriptions."""

    current_local: dict[str, str] | None
    current_remote: dict[str, str] | None


class TransceiverHandle:
    """One transceiver with its sender and receiver, and the page's names for them."""

    def __init__(self, peer: Negotiation, transceiver: RTCRtpTransceiver, *, handle: str,
                 sender: str, receiver: str, receiver_track: HostTrack) -> None:
        self.peer = peer
        self.transceiver = transceiver
        self.handle = handle
        self.sender_handle = sender
        self.receiver_handle = receiver
        self.receiver_track = receiver_track
        self.remote = receiver_track.remote
        self.feed: SenderFeed | None = None
        self.sender_track: HostTrack | None = None
        self.stream_ids: list[str] = []
        self.parameters: dict[str, Any] = {}
        self.stopped = False
        self._tones: TonePlayer | None = None
        #: SSRC/CSRC -> what its last RTP packet said, for getSynchronizationSources().
        self.sources: dict[str, dict[int, dict[str, Any]]] = {"ssrc": {}, "csrc": {}}
        self._watch_sources()

    def _watch_sources(self) -> None:
        """Record the RTP timestamp, audio level (RFC 6464 header extension) and CSRCs of
        every packet the receiver handles; aiortc's own list keeps only SSRC and time.
        (aiortc has no hook: the host wraps the method that handles each packet.)"""
        receiver = self.transceiver.receiver
        handle_packet = receiver._handle_rtp_packet

        async def handle_and_record(packet: Any, arrival_time_ms: int) -> None:
            now = epoch_ms_now()
            level = packet.extensions.audio_level
            entry: dict[str, Any] = {"timestamp": now, "rtpTimestamp": packet.timestamp}
            if level is not None:
                # -dBov in 0..127, 127 meaning silence; the spec wants a linear 0..1.
                entry["audioLevel"] = 0.0 if level[1] >= 127 else 10 ** (-level[1] / 20)
            self.sources["ssrc"][packet.ssrc] = entry
            for csrc in packet.csrc:
                self.sources["csrc"][csrc] = {k: v for k, v in entry.items() if k != "audioLevel"}
            await handle_packet(packet, arrival_time_ms)

        receiver._handle_rtp_packet = handle_and_record  # type: ignore[method-assign]

    def synchronization_sources(self) -> dict[str, list[dict[str, Any]]]:
        """The sources heard in the last 10 s, as the spec keeps them."""
        cutoff = epoch_ms_now() - 10_000.0
        return {kind: [{"source": source, **entry} for source, entry in found.items()
                       if entry["timestamp"] >= cutoff]
                for kind, found in self.sources.items()}

    def set_track(self, track: HostTrack | None) -> None:
        """Make ``track`` the sender's source (addTrack, replaceTrack, removeTrack)."""
        sender = self.transceiver.sender
        if self.feed is None and track is not None:
            self.feed = SenderFeed()
            sender.replaceTrack(self.feed)
        if self.feed is not None:
            self.feed.set_source(track)
        self.sender_track = track
        # The msid the far end sees carries the page's stream and track ids, as natively.
        # aiortc keeps them in private attributes with no public setter.
        sender._track_id = track.id if track is not None else sender._track_id
        if self.stream_ids:
            sender._stream_id = self.stream_ids[0]

    def play_tone(self, tone: str, duration_ms: int) -> None:
        """Send one DTMF tone (the page's RTCDTMFSender times the buffer) as telephone-events
        with the payload type negotiated beside the send codec."""
        if self._tones is None:
            self._tones = TonePlayer(self.transceiver.sender)
        if not self._tones.play(tone, duration_ms, self.transceiver._codecs):
            raise HostError("InvalidStateError", "telephone-event was not negotiated for this sender")

    def bind_remote(self) -> None:
        """Start pumping the remote track once aiortc has created it."""
        track = self.transceiver.receiver.track
        if track is not None and self.remote is not None:
            self.remote.bind(track)

    @property
    def removed(self) -> bool:
        """Stopped, and its m-section rejected by both current descriptions: the spec
        disassociates it (``mid`` null) and drops it from ``getTransceivers()``."""
        mid = self.transceiver.mid
        return (self.stopped and mid is not None
                and mid in rejected_mids(self.peer.current_local)
                and mid in rejected_mids(self.peer.current_remote))

    def describe(self) -> dict[str, Any]:
        """The transceiver as mirrored by the shim."""
        t = self.transceiver
        removed = self.removed
        return {
            "transceiver": self.handle,
            "sender": self.sender_handle,
            "receiver": self.receiver_handle,
            "receiverTrack": self.receiver_track.describe(),
            "kind": t.kind,
            "mid": None if removed else t.mid,
            "removed": removed,
            "direction": "stopped" if self.stopped else t.direction,
            "currentDirection": "stopped" if self.stopped else t.currentDirection,
            "stopped": self.stopped,
            "senderTrack": self.sender_track.handle if self.sender_track else None,
            "codecs": [
                {
                    "payloadType": c.payloadType,
                    "mimeType": c.mimeType,
                    "clockRate": c.clockRate,
                    **({"channels": c.channels} if c.channels else {}),
                    **({"sdpFmtpLine": ";".join(f"{k}={v}" for k, v in c.parameters.items())}
                       if c.parameters else {}),
                }
                for c in t._codecs
            ],
            "headerExtensions": [{"id": h.id, "uri": h.uri} for h in t._headerExtensions],
        }

    async def stats(self, *, sender: bool = True, receiver: bool = True) -> dict[str, dict[str, Any]]:
        """aiortc's real RTP counters of this transceiver's sender and/or receiver, by stats
        id, with the fields Chromium adds (mid, track, codec), and its codec entry."""
        entries: dict[str, dict[str, Any]] = {}
        t = self.transceiver
        reports = []
        if sender:
            reports.append(("sender", await t.sender.getStats()))
        if receiver:
            reports.append(("receiver", await t.receiver.getStats()))
        for side, report in reports:
            for stat in report.values():
                entry = {k: _epoch_ms(v) for k, v in dataclasses.asdict(stat).items()}
                if entry.get("type") in ("inbound-rtp", "outbound-rtp"):
                    entry["mid"] = t.mid
                    track = self.sender_track if side == "sender" else self.receiver_track
                    if track is not None:
                        entry["trackIdentifier"] = track.id
                    if t._codecs:
                        entry["codecId"] = f"COT{t._codecs[0].payloadType}"
                entries[entry["id"]] = entry
        for codec in t._codecs[:1]:
            entries[f"COT{codec.payloadType}"] = {
                "type": "codec", "id": f"COT{codec.payloadType}",
                "payloadType": codec.payloadType, "mimeType": codec.mimeType,
                "clockRate": codec.clockRate, "channels": codec.channels,
            }
        return entries
