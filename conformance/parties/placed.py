"""Where the certification's far end sits: the data centre, or behind a NAT of its own.

By default the far end (an :class:`AiortcParty`) shares the harness's network stack: it is
a server in the data centre. ``--far-end-network`` puts it on a host of its own behind a
NAT (a :class:`~conformance.network.topology.HomeNetwork` with the far end's roles): the
peer-to-peer case, where both ends of the call sit behind NATs. The party then lives on a
loop inside that host's namespace (:class:`~conformance.network.nsloop.NamespaceLoop`), so
every socket it makes is there, and :class:`NamespacedParty` hands each call to that loop.
Either way the far end uses the ICE servers the run offers (``{ice_servers}``), as a peer
of the same app would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiortc.mediastreams import MediaStreamTrack

from conformance.network.impair import Preset
from conformance.network.nsloop import NamespaceLoop
from conformance.network.topology import Topology
from conformance.parties.aiortc_party import AiortcParty

__all__ = ["FarEndSite", "NamespacedParty"]


class NamespacedParty:
    """An :class:`AiortcParty` made and driven on a namespace's loop (same methods)."""

    kind = "aiortc"

    def __init__(self, loop: NamespaceLoop, party: AiortcParty) -> None:
        self._loop = loop
        self._party = party

    @classmethod
    async def create(cls, loop: NamespaceLoop, tone_hz: float | None, *, echo: bool,
                     impairment: Preset | None, ice_servers: list[dict[str, Any]]) -> NamespacedParty:
        """Make the party on ``loop`` (its peer connection and tracks belong to that loop)."""
        async def make() -> AiortcParty:
            return AiortcParty(tone_hz, echo=echo, impairment=impairment, ice_servers=ice_servers)

        return cls(loop, await loop.run(make()))

    async def answer(self, offer_sdp: str) -> str:
        """:meth:`AiortcParty.answer`, on the namespace's loop."""
        return await self._loop.run(self._party.answer(offer_sdp))

    async def offer(self) -> str:
        """:meth:`AiortcParty.offer`, on the namespace's loop."""
        return await self._loop.run(self._party.offer())

    async def accept(self, answer_sdp: str) -> None:
        """:meth:`AiortcParty.accept`, on the namespace's loop."""
        await self._loop.run(self._party.accept(answer_sdp))

    async def play(self, track: MediaStreamTrack | None) -> bool:
        """:meth:`AiortcParty.play`, on the namespace's loop (the track is read from there)."""
        return await self._loop.run(self._party.play(track))

    async def stats(self) -> dict[str, Any]:
        """:meth:`AiortcParty.stats`, on the namespace's loop."""
        return await self._loop.run(self._party.stats())

    async def close(self) -> None:
        """:meth:`AiortcParty.close`, on the namespace's loop."""
        await self._loop.run(self._party.close())


#: A far end of a certification: in this process's stack, or on a namespace's loop.
CallParty = AiortcParty | NamespacedParty


@dataclass
class FarEndSite:
    """Where the certification's far end sits and which ICE servers it uses."""

    #: The ``RTCConfiguration.iceServers`` the run offers (the app gets them too).
    ice_servers: list[dict[str, Any]] = field(default_factory=list)
    #: The far end's own network (``None``: the data centre, this process's stack).
    network: Topology | None = None
    #: The loop inside the far end's host (with ``network``).
    loop: NamespaceLoop | None = None

    async def party(self, tone_hz: float | None, *, echo: bool = False,
                    impairment: Preset | None = None) -> CallParty:
        """A new far end for one call, here or on the far end's host."""
        if self.loop is None:
            return AiortcParty(tone_hz, echo=echo, impairment=impairment, ice_servers=self.ice_servers)
        return await NamespacedParty.create(self.loop, tone_hz, echo=echo, impairment=impairment,
                                            ice_servers=self.ice_servers)

    @property
    def where(self) -> str:
        """Where the far end's media leaves from, for the certificate."""
        if self.network is None:
            return "the data centre (no NAT): the harness's own network stack"
        return f"its own host, in {self.network.where}"
