"""Page operations on an ``RTCPeerConnection``: create and close it, negotiate, gather and
add candidates, add and remove transceivers, tracks and data channels, read its stats."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiortc import sdp as aiortc_sdp

from ..ops import op
from ..peerconnection import PeerHandle, peer_of
from ..protocol import HostError, Request
from ..rtp import check_direction
from ..sdp import (
    check_sdp,
    description_json,
    local_candidates,
    parse_description,
    rejected_mids,
    remote_media,
)
from ..tracks import HostTrack

if TYPE_CHECKING:
    from ..session import PageSession

__all__: list[str] = []  # operations only: they register with ops.op


@op("pc.create", chain="pc")
async def pc_create(session: PageSession, request: Request) -> dict[str, Any]:
    """``new RTCPeerConnection(configuration)``."""
    handle = request.string("pc")
    peer = PeerHandle(session, handle, request.obj("configuration", optional=True))
    session.register(handle, peer)
    return peer.snapshot()


@op("pc.close", chain="pc", needs_connection=False)
async def pc_close(session: PageSession, request: Request) -> dict[str, Any]:
    """``RTCPeerConnection.close()`` (idempotent)."""
    handle = request.string("pc")
    peer = session.objects.get(handle)
    if isinstance(peer, PeerHandle):
        await peer.close()
        session.forget(handle)
    return {}


def _offer_to_receive(peer: PeerHandle, kind: str, wanted: bool) -> None:
    """The legacy ``offerToReceiveAudio``/``offerToReceiveVideo`` option, as Chromium applies
    it: true adds a ``recvonly`` transceiver when none of that kind can receive; false stops
    receiving on that kind's transceivers (``sendrecv`` -> ``sendonly``, ``recvonly`` ->
    ``inactive``)."""
    mine = [t for t in peer.transceivers if t.transceiver.kind == kind and not t.stopped]
    if not wanted:
        for t in mine:
            t.transceiver.direction = {"sendrecv": "sendonly", "recvonly": "inactive"}.get(
                t.transceiver.direction, t.transceiver.direction)
        return
    if not any(t.transceiver.direction in ("sendrecv", "recvonly") for t in mine):
        peer.pc.addTransceiver(kind, direction="recvonly")
        peer.adopt_new_transceivers()


@op("pc.createOffer", chain="pc")
async def pc_create_offer(session: PageSession, request: Request) -> dict[str, Any]:
    """``createOffer(options)``; ``iceRestart`` is ignored (limitation ref-no-ice-restart)."""
    peer = peer_of(session, request)
    options = request.obj("options", optional=True)
    for kind in ("audio", "video"):
        wanted = options.get(f"offerToReceive{kind.capitalize()}")
        if isinstance(wanted, bool):
            _offer_to_receive(peer, kind, wanted)
    offer = await peer.pc.createOffer()
    return {"description": peer.local_json(offer), **peer.snapshot()}


@op("pc.createAnswer", chain="pc")
async def pc_create_answer(session: PageSession, request: Request) -> dict[str, Any]:
    """``createAnswer()``."""
    peer = peer_of(session, request)
    answer = await peer.pc.createAnswer()
    return {"description": peer.local_json(answer), **peer.snapshot()}


@op("pc.setLocalDescription", chain="pc")
async def pc_set_local_description(session: PageSession, request: Request) -> dict[str, Any]:
    """``setLocalDescription([description])``: gathers every candidate (half trickle)."""
    peer = peer_of(session, request)
    if request.args.get("description") is None:
        desc = None
    else:
        desc = parse_description(request)
        check_sdp(desc.sdp)
    await peer.pc.setLocalDescription(desc)
    local = peer.pc.localDescription
    current = peer.local_json(local)
    if local.type == "answer":
        peer.current_local, peer.pending_local = current, None
        peer.current_remote, peer.pending_remote = peer.pending_remote, None
    else:
        peer.pending_local = current
    return {"candidates": local_candidates(local), **peer.snapshot()}


@op("pc.setRemoteDescription", chain="pc")
async def pc_set_remote_description(session: PageSession, request: Request) -> dict[str, Any]:
    """``setRemoteDescription(description)``; reports, per transceiver it describes, whether
    this end now receives and on which remote streams (the shim fires ``track``,
    ``addtrack`` and ``removetrack`` from that)."""
    peer = peer_of(session, request)
    desc = parse_description(request)
    check_sdp(desc.sdp)
    await peer.pc.setRemoteDescription(desc)
    remote = description_json(desc)
    if desc.type == "answer":
        peer.current_remote, peer.pending_remote = remote, None
        peer.current_local, peer.pending_local = peer.pending_local, None
    else:
        peer.pending_remote = remote
    media = remote_media(desc)
    peer.adopt_new_transceivers({mid: m["trackId"] for mid, m in media.items()})
    # A rejected m-section stops its transceiver, as natively (aiortc ignores port 0).
    rejected = rejected_mids(remote)
    for t in list(peer.transceivers):
        if t.transceiver.mid in rejected:
            await peer.stop_transceiver(t)
    described = [{"transceiver": t.handle, "receiving": media[mid]["receiving"],
                  "streams": media[mid]["streams"]}
                 for t in peer.transceivers
                 if (mid := t.transceiver.mid) is not None and mid in media and not t.stopped]
    return {"remoteMedia": described, **peer.snapshot()}


@op("pc.addIceCandidate", chain="pc")
async def pc_add_ice_candidate(session: PageSession, request: Request) -> dict[str, Any]:
    """``addIceCandidate(candidate)``; null or an empty string means end of candidates."""
    from aiortc.sdp import candidate_from_sdp

    peer = peer_of(session, request)
    if peer.pc.remoteDescription is None:
        raise HostError("InvalidStateError", "addIceCandidate needs a remote description")
    init = request.args.get("candidate")
    if init is None or (isinstance(init, dict) and not init.get("candidate")):
        await peer.pc.addIceCandidate(None)
        return {}
    if not isinstance(init, dict) or not isinstance(init.get("candidate"), str):
        raise HostError("TypeError", "candidate must be an RTCIceCandidateInit")
    text: str = init["candidate"]
    if text.startswith("candidate:"):
        text = text[len("candidate:"):]
    try:
        candidate = candidate_from_sdp(text)
    except (AssertionError, ValueError, IndexError):
        raise HostError("OperationError", f"malformed candidate {init['candidate']!r}") from None
    candidate.sdpMid = init.get("sdpMid")
    candidate.sdpMLineIndex = init.get("sdpMLineIndex")
    if candidate.sdpMid is None and candidate.sdpMLineIndex is None:
        raise HostError("TypeError", "candidate needs sdpMid or sdpMLineIndex")
    known_mids = {m.rtp.muxId for m in aiortc_sdp.SessionDescription.parse(
        peer.pc.remoteDescription.sdp).media}
    if candidate.sdpMid is not None and candidate.sdpMid not in known_mids:
        raise HostError("OperationError", f"no m-section with mid {candidate.sdpMid!r}")
    await peer.pc.addIceCandidate(candidate)
    return {}


@op("pc.addTransceiver", chain="pc")
async def pc_add_transceiver(session: PageSession, request: Request) -> dict[str, Any]:
    """``addTransceiver(trackOrKind, init)``: the shim names the new objects."""
    peer = peer_of(session, request)
    track_handle = request.opt_str("track")
    track = session.get(track_handle, HostTrack) if track_handle else None
    kind = track.kind if track else request.string("kind")
    if kind not in ("audio", "video"):
        raise HostError("TypeError", f"invalid transceiver kind {kind!r}")
    # A video transceiver negotiates (aiortc's codecs) but never sends: no redirected track
    # is video; what it receives is decoded and dropped (limitation ref-video-capture).
    direction = check_direction(request.string("direction", optional=True) or "sendrecv")
    transceiver = peer.pc.addTransceiver(kind, direction=direction)
    th = peer.add_transceiver(transceiver, handle=request.string("transceiver"),
                              sender=request.string("sender"), receiver=request.string("receiver"),
                              receiver_track=request.string("receiverTrack"),
                              receiver_track_id=request.opt_str("receiverTrackId"))
    th.stream_ids = request.str_list("streams")
    if track is not None:
        th.set_track(track)
    return peer.snapshot()


@op("pc.addTrack", chain="pc")
async def pc_add_track(session: PageSession, request: Request) -> dict[str, Any]:
    """``addTrack(track, ...streams)``; the shim chose the transceiver (reuse or new)."""
    peer = peer_of(session, request)
    track = session.get(request.string("track"), HostTrack)
    if any(t.sender_track is track for t in peer.transceivers):
        raise HostError("InvalidAccessError", "the track already has a sender")
    handle = request.string("transceiver")
    existing = next((t for t in peer.transceivers if t.handle == handle), None)
    if existing is not None:
        th = existing
        direction = th.transceiver.direction
        th.transceiver.direction = {"recvonly": "sendrecv", "inactive": "sendonly"}.get(
            direction, direction)
    else:
        if track.kind != "audio":
            raise HostError("NotSupportedError", "only audio tracks are redirected")
        transceiver = peer.pc.addTransceiver(track.kind, direction="sendrecv")
        th = peer.add_transceiver(transceiver, handle=handle, sender=request.string("sender"),
                                  receiver=request.string("receiver"),
                                  receiver_track=request.string("receiverTrack"),
                                  receiver_track_id=request.opt_str("receiverTrackId"))
    th.stream_ids = request.str_list("streams")
    th.set_track(track)
    return peer.snapshot()


@op("pc.removeTrack", chain="pc")
async def pc_remove_track(session: PageSession, request: Request) -> dict[str, Any]:
    """``removeTrack(sender)``: stop sending, drop the send direction."""
    peer = peer_of(session, request)
    th = peer.transceiver(request.string("transceiver"))
    th.set_track(None)
    direction = th.transceiver.direction
    th.transceiver.direction = {"sendrecv": "recvonly", "sendonly": "inactive"}.get(
        direction, direction)
    return peer.snapshot()


@op("pc.createDataChannel", chain="pc")
async def pc_create_data_channel(session: PageSession, request: Request) -> dict[str, Any]:
    """``createDataChannel(label, init)``."""
    peer = peer_of(session, request)
    init = request.obj("init", optional=True)

    def opt_int(key: str) -> int | None:
        value = init.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise HostError("TypeError", f"{key} must be a non-negative integer")
        return value

    channel = peer.pc.createDataChannel(
        request.string("label", optional=True),
        maxPacketLifeTime=opt_int("maxPacketLifeTime"),
        maxRetransmits=opt_int("maxRetransmits"),
        ordered=bool(init.get("ordered", True)),
        protocol=str(init.get("protocol", "")),
        negotiated=bool(init.get("negotiated", False)),
        id=opt_int("id"),
    )
    ch = peer.add_channel(request.string("channel"), channel)
    return ch.describe()


@op("pc.getStats", chain="pc", needs_connection=False)
async def pc_get_stats(session: PageSession, request: Request) -> list[dict[str, Any]]:
    """``getStats([selector])``: the selector is a transceiver handle (sender or receiver)."""
    peer = peer_of(session, request, open_required=False)
    selector = request.opt_str("transceiver")
    if selector is None:
        return await peer.stats()
    th = peer.transceiver(selector)
    side = request.string("side", optional=True)
    return await peer.stats(th, sender=side != "receiver", receiver=side != "sender")

