"""The media plane of a call to the app's own backend, seen from this side.

The suite cannot ask the app's backend what it heard, so what the call carries is read
where it can be: on the reference target, the local device's real peer connection of the
page (its state and selected candidate pair), the microphone that feeds the sent track, the
level and frequency of what the sender encodes and its RTP counters; elsewhere (native,
attach), the page's own connections through the audit layer (state, selected pair, RTP
counters, the media source's level). What plays in the page is :func:`page_renders`'s.
Every wait polls until its measurement holds or its bound passes.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, Protocol

from conformance.certify.evidence.audio import (
    HEARD_DBFS,
    SILENT_DBFS,
    Measurement,
    describe_pair,
    page_renders,
)
from conformance.network.topology import Topology, no_path_reason

if TYPE_CHECKING:
    from conformance.certify.session.app_session import AppSession
    from conformance.targets import HostView

__all__ = ["MediaPlane", "PlaneTarget"]

_POLL = 0.1
#: A media source level (0..1, as getStats reports it) that counts as sound and as silence.
_PAGE_SOUND_LEVEL, _PAGE_SILENT_LEVEL = 0.005, 0.0005


class PlaneTarget(Protocol):
    """What the media plane needs of the target the session runs on."""

    native_mic_tone: float
    #: The target (its ``network``, when it has one, explains a call that found no path).
    target: Any
    @property
    def far_end_network(self) -> Topology | None:
        """The far end's own network behind a NAT, when it has one (peer to peer)."""

    async def host(self) -> HostView | None:
        """The local device behind the target, or ``None``."""

    async def speakers(self) -> list[Any] | None:
        """The local device's virtual speakers (``None`` natively)."""


class MediaPlane:
    """What one app session's calls carry, from the host when there is one, else the page."""

    def __init__(self, env: PlaneTarget, session: AppSession) -> None:
        self.env = env
        self.session = session
        self.packets_before = 0

    async def _host_pcs(self) -> list[dict[str, Any]] | None:
        host = await self.env.host()
        if host is None:
            return None
        # The page and its frames are one app: each frame has an activityId of its own (an
        # app inside an iframe calls from there), whatever ids the redirection gives them.
        activities = {str(d["activityId"]) for d in await self.session.audit("diagnostics")
                      if isinstance(d, dict) and d.get("activityId")}
        return [pc for pc in await host.peer_connections() if pc.get("activityId") in activities]

    async def _page_pcs(self) -> list[dict[str, Any]]:
        return [c for answer in await self.session.audit("connections") if isinstance(answer, list)
                for c in answer]

    def _no_path(self, gathered: set[str]) -> str | None:
        """Why the local device found no path, from the candidate types it ``gathered``
        (``None``: nothing gathered, or the networks explain nothing)."""
        network = getattr(self.env.target, "network", None)
        if not isinstance(network, Topology) or not gathered:
            return None
        return no_path_reason(network, gathered, self.env.far_end_network)

    async def no_path(self) -> str | None:
        """Why the call found no path through the networks of the run (a home's NAT or
        firewall, the far end's NAT), as the local device's candidates tell; ``None`` when
        they explain nothing or there is no local device."""
        host_pcs = await self._host_pcs()
        if host_pcs is None:
            return None
        return self._no_path({c.get("type") for pc in host_pcs for t in pc.get("iceTransports", [])
                              for c in t.get("localCandidates", [])})

    async def connected(self, timeout: float) -> Measurement:
        """Wait until one of the page's peer connections is ``connected``."""
        deadline = time.monotonic() + timeout
        gathered: set[str] = set()  # the local device's candidate types, for a reason
        while True:
            host_pcs = await self._host_pcs()
            if host_pcs is not None:
                gathered |= {c.get("type") for pc in host_pcs for t in pc.get("iceTransports", [])
                             for c in t.get("localCandidates", [])}
                for pc in host_pcs:
                    if pc.get("connectionState") == "connected":
                        pairs = [t["selectedPair"] for t in pc.get("iceTransports", [])
                                 if t.get("selectedPair")]
                        text = (f"the local device's peer connection {pc['pc']} is connected to the "
                                f"app's backend; {describe_pair(pairs[0] if pairs else None)}")
                        return Measurement(True, text, data=pc)
                states = [str(pc.get("connectionState")) for pc in host_pcs]
                where = "the local device's peer connection(s)"
            else:
                page = await self._page_pcs()
                for pc in page:
                    if pc.get("connectionState") == "connected":
                        return Measurement(True, "the page's peer connection is connected to the app's "
                                                 f"backend; {describe_pair(pc.get('selectedPair'))}", data=pc)
                states = [str(pc.get("connectionState")) for pc in page]
                where = "the page's peer connection(s)"
            if time.monotonic() >= deadline:
                why = self._no_path(gathered)
                shown = ", ".join(states) or ("closed by the app" if gathered else "none created")
                return Measurement(False, (f"{why}; " if why else "") +
                                   f"{where} never connected within {timeout:g} s (states: {shown})")
            await asyncio.sleep(_POLL)

    async def sending(self, timeout: float, *, silent: bool = False) -> Measurement:
        """Wait until the call sends the microphone (``silent``: sends only silence, or
        nothing), proved by what the local device encodes and its RTP counters, or natively
        by the page's stats."""
        deadline = time.monotonic() + timeout
        while True:
            found = await self._sent()
            if found is not None and (found.data["silent"] if silent else found.ok):
                return Measurement(True, found.text, tone=found.tone, data=found.data)
            if time.monotonic() >= deadline:
                if found is None:
                    return Measurement(False, "the call sends no audio track")
                return Measurement(False, f"still sending: {found.text}" if silent else found.text,
                                   data=found.data)
            await asyncio.sleep(_POLL)

    async def _sent(self) -> Measurement | None:
        """What the call sends now: ``ok`` when audible audio leaves; ``data["silent"]`` when
        only silence does, or nothing (no new RTP packets)."""
        host_pcs = await self._host_pcs()
        if host_pcs is not None:
            for pc in host_pcs:
                for media in pc.get("media", []):
                    track, encoded = media.get("sentTrack"), media.get("encoded") or {}
                    if not track:
                        continue
                    mic = track.get("microphone") or {}
                    level, hz = encoded.get("rmsDbfs"), encoded.get("dominantHz")
                    packets = int((media.get("sent") or {}).get("packetsSent", 0))
                    fresh, self.packets_before = packets > self.packets_before, packets
                    text = (f"the local device sends mic {mic.get('index')} {mic.get('label')!r} "
                            f"({mic.get('toneHz')} Hz): it encodes {_encoded(hz, level)}, "
                            f"{packets} RTP packets sent")
                    quiet = level is not None and float(level) < SILENT_DBFS
                    data = {"microphone": mic, "dominantHz": hz, "rmsDbfs": level, "packetsSent": packets,
                            "silent": quiet or not fresh}
                    audible = fresh and level is not None and float(level) > HEARD_DBFS
                    return Measurement(audible, text, tone=mic.get("toneHz"), data=data)
            return None
        for pc in await self._page_pcs():
            packets = int(pc.get("packetsSent") or 0)
            level = pc.get("audioLevel")
            fresh, self.packets_before = packets > self.packets_before, packets
            text = (f"the page's connection sent {packets} audio RTP packets; its media source's "
                    f"level is {level}")
            quiet = level is not None and float(level) < _PAGE_SILENT_LEVEL
            audible = fresh and level is not None and float(level) > _PAGE_SOUND_LEVEL
            return Measurement(audible, text, tone=self.env.native_mic_tone,
                               data={"packetsSent": packets, "audioLevel": level,
                                     "silent": quiet or not fresh})
        return None

    async def receives(self, tone: float | None, timeout: float) -> Measurement:
        """Wait until what the backend sends plays in the page (``tone``, or any audio)."""
        return await page_renders(self.session, await self.env.speakers(), tone, timeout)

    async def stops_receiving(self, tone: float, timeout: float) -> bool:
        """Wait until ``tone`` no longer plays in the page (one reading without it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not (await self.receives(tone, _POLL)).ok:
                return True
        return False


def _encoded(hz: Any, level: Any) -> str:
    """What an encoder's analysis says, in words (no ``None`` where a number is promised)."""
    if level is None:
        return "nothing yet"
    if hz is None:
        return f"no tone (silence, {float(level):.1f} dBFS)"
    return f"{float(hz):.0f} Hz at {float(level):.1f} dBFS"
