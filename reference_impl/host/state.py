"""Host-wide state: the simulated RDP connection, channel latency and devices."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Protocol

from .devices import DeviceInfo, Speaker, default_microphones, default_speakers
from .protocol import HostError

__all__ = ["HostState", "HostedSession"]

MAX_LATENCY_MS = 200.0


class HostedSession(Protocol):
    """What the host-wide state needs of a page session (``session.PageSession``): this
    module stays below the session, which holds a :class:`HostState`."""

    activity_id: str
    objects: dict[str, Any]

    async def connection_lost(self) -> None:
        """The simulated RDP connection dropped."""

    def connection_restored(self) -> None:
        """The simulated RDP connection is back."""

    async def announced(self, timeout: float = 2.0) -> None:
        """Return once the page acknowledged the last connection change (bounded)."""

    def describe(self) -> dict[str, Any]:
        """A summary for the control session."""

    async def close(self) -> None:
        """The page or the host goes away: its redirected objects end."""


class HostState:
    """What every session shares: connection state, latency, virtual devices."""

    def __init__(self, *, latency_ms: float = 0.0) -> None:
        self.connected = True
        self.connection_id = str(uuid.uuid4())
        self.latency_ms = 0.0
        self.set_latency(latency_ms)
        self.microphones: list[DeviceInfo] = default_microphones()
        self.speaker_devices: list[DeviceInfo] = default_speakers()
        self.speakers: dict[str, Speaker] = {d.deviceId: Speaker(d) for d in self.speaker_devices}
        self.sessions: set[HostedSession] = set()
        self.disconnects = 0

    def set_latency(self, ms: float) -> None:
        """Injected one-way delay on every reply and event sent to pages."""
        if not 0.0 <= ms <= MAX_LATENCY_MS:
            raise ValueError(f"latency must be within 0..{MAX_LATENCY_MS:g} ms, not {ms}")
        self.latency_ms = float(ms)

    def devices(self) -> list[DeviceInfo]:
        """Every device, inputs first (the order ``enumerateDevices`` reports)."""
        return [*self.microphones, *self.speaker_devices]

    def microphone(self, device_id: str) -> DeviceInfo | None:
        """The microphone with this id, if any."""
        return next((d for d in self.microphones if d.deviceId == device_id), None)

    def speaker(self, key: int | str) -> Speaker:
        """A speaker by 1-based index, deviceId or label; ``KeyError`` if none."""
        if isinstance(key, int):
            if 1 <= key <= len(self.speaker_devices):
                return self.speakers[self.speaker_devices[key - 1].deviceId]
        elif key in self.speakers:
            return self.speakers[key]
        else:
            for speaker in self.speakers.values():
                if speaker.info.label == key:
                    return speaker
        raise KeyError(key)

    def speaker_for_sink(self, sink_id: str) -> Speaker:
        """The virtual speaker a page's ``sinkId`` names (``""``/``"default"``: speaker 1);
        ``NotFoundError`` if none, as ``setSinkId`` rejects."""
        if sink_id in ("", "default"):
            return self.speaker(1)
        try:
            return self.speaker(sink_id)
        except KeyError:
            raise HostError("NotFoundError", f"no audio output device {sink_id!r}") from None

    async def disconnect(self) -> None:
        """The RDP client went away: every redirected object in every page dies."""
        if not self.connected:
            return
        self.connected = False
        self.disconnects += 1
        for session in list(self.sessions):
            await session.connection_lost()
        await self._flush_sessions()

    async def reconnect(self) -> None:
        """The RDP client is back with a new connection id."""
        if self.connected:
            return
        self.connected = True
        self.connection_id = str(uuid.uuid4())
        for session in list(self.sessions):
            session.connection_restored()
        await self._flush_sessions()

    async def _flush_sessions(self) -> None:
        """Return only once every page has handled what the fault told it (bounded)."""
        await asyncio.gather(*(session.announced() for session in list(self.sessions)))

    def status(self) -> dict[str, Any]:
        """A summary for the control session."""
        return {
            "connected": self.connected,
            "connectionId": self.connection_id,
            "latencyMs": self.latency_ms,
            "sessions": [s.describe() for s in self.sessions],
        }
