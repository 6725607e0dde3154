"""What a redirected call carries, seen from the local device: per transceiver, which
virtual microphone feeds the sent track, the level and dominant frequency of the audio the
sender encodes, and the RTP counters of both directions.

This is the media-plane evidence a certification uses when the far end is the app's own
backend (which the suite cannot ask what it heard).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .peerconnection import PeerHandle

__all__ = ["media_view"]

_COUNTERS = ("packetsSent", "bytesSent", "packetsReceived", "packetsLost")


async def _counters(stats_owner: Any) -> dict[str, int]:
    counters: dict[str, int] = {}
    for stat in (await stats_owner.getStats()).values():
        if getattr(stat, "type", None) in ("outbound-rtp", "inbound-rtp"):
            for name in _COUNTERS:
                value = getattr(stat, name, None)
                if isinstance(value, int):
                    counters[name] = counters.get(name, 0) + value
    return counters


async def media_view(peer: PeerHandle) -> dict[str, Any]:
    """``{"media": [...]}``: one entry per audio transceiver of ``peer``."""
    media = []
    for t in peer.transceivers:
        if t.transceiver.kind != "audio" or t.stopped:
            continue
        track = t.sender_track
        device = track.device if track is not None else None
        feed = t.feed
        media.append({
            "mid": t.transceiver.mid,
            "direction": t.transceiver.currentDirection or t.transceiver.direction,
            "sentTrack": None if track is None else {
                "id": track.id, "enabled": track.enabled, "readyState": "ended" if track.ended else "live",
                "microphone": None if device is None else {
                    "index": device.index, "deviceId": device.deviceId, "label": device.label,
                    "toneHz": device.tone_hz},
            },
            "encoded": feed.analyser.summary() if feed is not None else None,
            "sent": await _counters(t.transceiver.sender),
            "received": await _counters(t.transceiver.receiver),
            "receivedTrackId": t.receiver_track.id,
        })
    return {"media": media}
