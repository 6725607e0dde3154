"""Page operations on the RTP objects of a connection: transceivers, senders, receivers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...rfc4733 import TONES
from ..ops import op
from ..peerconnection import PeerHandle, peer_of
from ..protocol import HostError, Request
from ..rtp import TransceiverHandle, check_direction
from ..tracks import HostTrack

if TYPE_CHECKING:
    from ..session import PageSession

__all__: list[str] = []  # operations only: they register with ops.op


def _transceiver(session: PageSession, request: Request, *, open_required: bool = True,
                 live: bool = False) -> tuple[PeerHandle, TransceiverHandle]:
    """The connection and the transceiver a request names (``transceiver`` may name its
    sender or receiver); with ``live``, a stopped one is refused."""
    peer = peer_of(session, request, open_required=open_required)
    th = peer.transceiver(request.string("transceiver"))
    if live and th.stopped:
        raise HostError("InvalidStateError", "the transceiver is stopped")
    return peer, th


@op("transceiver.setDirection", chain="pc")
async def transceiver_set_direction(session: PageSession, request: Request) -> dict[str, Any]:
    """``transceiver.direction = ...`` (takes effect at the next negotiation)."""
    peer, th = _transceiver(session, request, live=True)
    th.transceiver.direction = check_direction(request.string("direction"))
    return peer.snapshot()


@op("transceiver.stop", chain="pc")
async def transceiver_stop(session: PageSession, request: Request) -> dict[str, Any]:
    """``transceiver.stop()``: sender and receiver stop for good."""
    peer, th = _transceiver(session, request)
    await peer.stop_transceiver(th)
    return peer.snapshot()


@op("sender.replaceTrack", chain="pc")
async def sender_replace_track(session: PageSession, request: Request) -> dict[str, Any]:
    """``sender.replaceTrack(track)``: no renegotiation, the far end hears the new source."""
    peer, th = _transceiver(session, request, live=True)
    handle = request.opt_str("track")
    track = session.get(handle, HostTrack) if handle else None
    if track is not None and track.kind != th.transceiver.kind:
        raise HostError("TypeError", "the new track's kind differs from the sender's")
    th.set_track(track)
    return peer.snapshot()


@op("sender.setParameters", chain="pc")
async def sender_set_parameters(session: PageSession, request: Request) -> dict[str, Any]:
    """``sender.setParameters(parameters)``: validated and reflected, not applied to the
    encoder (limitation ref-sender-parameters)."""
    peer, th = _transceiver(session, request)
    th.parameters = request.obj("parameters")
    return peer.snapshot()


@op("sender.playTone", chain="pc")
async def sender_play_tone(session: PageSession, request: Request) -> None:
    """One tone of ``sender.dtmf.insertDTMF(...)``, sent as RFC 4733 telephone-events."""
    _peer, th = _transceiver(session, request, live=True)
    tone = request.string("tone")
    if len(tone) != 1 or tone.upper() not in TONES:
        raise HostError("InvalidCharacterError", f"not a DTMF tone: {tone!r}")
    duration = request.number("duration")
    th.play_tone(tone, int(min(max(duration, 40), 6000)))


@op("receiver.getSynchronizationSources", chain="pc", needs_connection=False)
async def receiver_sources(session: PageSession, request: Request) -> dict[str, Any]:
    """``getSynchronizationSources()`` and ``getContributingSources()`` (epoch ms)."""
    _peer, th = _transceiver(session, request, open_required=False)
    sources = th.synchronization_sources()
    return {"synchronizationSources": sources["ssrc"], "contributingSources": sources["csrc"]}

