"""Peer connections, transceivers and data channels: the real objects, in aiortc.

The shim names most objects itself (handles starting with ``s``) because the DOM creates
them synchronously (``addTransceiver``, ``createDataChannel``); objects that appear during
negotiation (remote transceivers, incoming data channels) are named by the host (``h``).
Every reply that can change a peer connection carries a :meth:`PeerHandle.snapshot`, so
the shim's mirrored state is current when the promise resolves.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime
from typing import TYPE_CHECKING, Any

from aiortc import (
    RTCDataChannel,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc import sdp as aiortc_sdp

from .ice import rtc_configuration
from .ops import op
from .protocol import HostError, Request
from .tracks import HostTrack, RemoteSource, SenderFeed

if TYPE_CHECKING:
    from .session import PageSession

__all__ = ["ChannelHandle", "PeerHandle", "TransceiverHandle"]

_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


def _description(desc: RTCSessionDescription | None) -> dict[str, str] | None:
    return None if desc is None else {"type": desc.type, "sdp": desc.sdp}


def _rejected_mids(desc: dict[str, str] | None) -> set[str]:
    """The mids of a description's rejected m-sections (port 0, not bundle-only)."""
    if desc is None:
        return set()
    rejected: set[str] = set()
    mid: str | None = None
    port_zero = bundle_only = False
    for line in [*desc["sdp"].splitlines(), "m="]:
        if line.startswith("m="):
            if mid is not None and port_zero and not bundle_only:
                rejected.add(mid)
            parts = line[2:].split()
            port_zero = len(parts) > 1 and parts[1] == "0"
            bundle_only = False
            mid = None
        elif line.startswith("a=mid:"):
            mid = line[len("a=mid:"):].strip()
        elif line.strip() == "a=bundle-only":
            bundle_only = True
    return rejected


def _reject_mids(text: str, mids: set[str]) -> str:
    """``text`` with the m-sections of ``mids`` rejected, as JSEP writes a stopped
    transceiver: port 0, ``a=inactive``, and out of the BUNDLE group. aiortc has no notion
    of a rejected m-section, so the host edits what it produces."""
    if not mids:
        return text
    newline = "\r\n" if "\r\n" in text else "\n"
    sections: list[list[str]] = [[]]
    for line in text.split(newline):
        if line.startswith("m="):
            sections.append([])
        sections[-1].append(line)
    out: list[str] = []
    for line in sections[0]:
        if line.startswith("a=group:BUNDLE"):
            kept = [m for m in line.split()[1:] if m not in mids]
            if not kept:
                continue
            line = "a=group:BUNDLE " + " ".join(kept)
        out.append(line)
    for section in sections[1:]:
        mid = next((ln[len("a=mid:"):].strip() for ln in section if ln.startswith("a=mid:")), None)
        if mid not in mids:
            out.extend(section)
            continue
        head = section[0].split(" ")
        if len(head) > 1:
            head[1] = "0"
        out.append(" ".join(head))
        for line in section[1:]:
            if line in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"):
                line = "a=inactive"
            elif line.startswith("a=candidate:") or line == "a=end-of-candidates":
                continue
            out.append(line)
    return newline.join(out)


def _epoch_ms(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.timestamp() * 1000.0
    return value


def _remote_certificates(dtls: Any) -> list[str]:
    """The far end's DTLS certificate (DER, base64) once the handshake is done."""
    ssl = getattr(dtls, "_ssl", None)
    if dtls.state != "connected" or ssl is None:
        return []
    from cryptography.hazmat.primitives.serialization import Encoding

    certificate = ssl.get_peer_certificate(as_cryptography=True)
    if certificate is None:
        return []
    return [base64.b64encode(certificate.public_bytes(Encoding.DER)).decode()]


class TransceiverHandle:
    """One transceiver with its sender and receiver, and the page's names for them."""

    def __init__(self, peer: PeerHandle, transceiver: RTCRtpTransceiver, *, handle: str,
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
            now = datetime.datetime.now(datetime.UTC).timestamp() * 1000.0
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
        cutoff = datetime.datetime.now(datetime.UTC).timestamp() * 1000.0 - 10_000.0
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
                and mid in _rejected_mids(self.peer.current_local)
                and mid in _rejected_mids(self.peer.current_remote))

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


class ChannelHandle:
    """One data channel and its counters."""

    def __init__(self, peer: PeerHandle, handle: str, channel: RTCDataChannel) -> None:
        self.peer = peer
        self.handle = handle
        self.channel = channel
        self.messages_sent = self.bytes_sent = 0
        self.messages_received = self.bytes_received = 0
        session = peer.session

        @channel.on("open")
        def on_open() -> None:
            session.emit("dc.state", handle, **self.state())

        @channel.on("close")
        def on_close() -> None:
            session.emit("dc.state", handle, **self.state(), **self._abort_error())

        # The page's bufferedAmount must go down as the host sends, not only when aiortc's
        # own threshold is crossed: report every drain, at most once per loop iteration.
        # (aiortc has no event for it; `_addBufferedAmount` is where its count changes.)
        self._drain_reported = False
        add_buffered = channel._addBufferedAmount

        def add_buffered_and_report(amount: int) -> None:
            add_buffered(amount)
            if amount < 0 and not self._drain_reported:
                self._drain_reported = True
                asyncio.get_running_loop().call_soon(self._report_drain)

        channel._addBufferedAmount = add_buffered_and_report  # type: ignore[method-assign]

        @channel.on("message")
        def on_message(data: str | bytes) -> None:
            self.messages_received += 1
            if isinstance(data, str):
                self.bytes_received += len(data.encode())
                session.emit("dc.message", handle, data=data)
            else:
                self.bytes_received += len(data)
                session.emit("dc.message", handle, binary=base64.b64encode(data).decode())

    def _report_drain(self) -> None:
        self._drain_reported = False
        if self.handle in self.peer.session.objects:
            self.peer.session.emit("dc.buffered", self.handle,
                                   bufferedAmount=self.channel.bufferedAmount)

    def _abort_error(self) -> dict[str, Any]:
        """``{"error": ...}`` when the channel closes because the association went away
        under it (the far end closed its peer connection: SCTP ABORT), which Chromium
        reports as an RTCError before ``close``; ``{}`` for an orderly close."""
        sctp = self.peer.pc.sctp
        if self.peer.closed or sctp is None or sctp.state != "closed":
            return {}
        return {"error": {"errorDetail": "sctp-failure", "sctpCauseCode": 12,
                          "message": "User-Initiated Abort, reason=Close called"}}

    def state(self) -> dict[str, Any]:
        """What changes over the channel's life."""
        return {"readyState": self.channel.readyState, "id": self.channel.id,
                "bufferedAmount": self.channel.bufferedAmount}

    def describe(self) -> dict[str, Any]:
        """The channel as mirrored by the shim."""
        c = self.channel
        return {
            "channel": self.handle,
            "label": c.label,
            "ordered": c.ordered,
            "maxPacketLifeTime": c.maxPacketLifeTime,
            "maxRetransmits": c.maxRetransmits,
            "protocol": c.protocol,
            "negotiated": c.negotiated,
            **self.state(),
        }

    def stats(self) -> dict[str, Any]:
        """An RTCDataChannelStats dictionary."""
        return {
            "type": "data-channel",
            "id": f"D{self.handle}",
            "label": self.channel.label,
            "protocol": self.channel.protocol,
            "dataChannelIdentifier": self.channel.id,
            "state": self.channel.readyState,
            "messagesSent": self.messages_sent,
            "bytesSent": self.bytes_sent,
            "messagesReceived": self.messages_received,
            "bytesReceived": self.bytes_received,
        }


class PeerHandle:
    """One redirected RTCPeerConnection."""

    KILL_ORDER = 2

    def __init__(self, session: PageSession, handle: str, configuration: dict[str, Any]) -> None:
        self.session = session
        self.handle = handle
        self.configuration = configuration
        self.pc = RTCPeerConnection(rtc_configuration(configuration))
        self.transceivers: list[TransceiverHandle] = []
        self.channels: dict[str, ChannelHandle] = {}
        self.pending_local: dict[str, str] | None = None
        self.current_local: dict[str, str] | None = None
        self.pending_remote: dict[str, str] | None = None
        self.current_remote: dict[str, str] | None = None
        self.closed = False
        self.channels_opened = 0
        self.channels_closed = 0
        for name in ("connectionstatechange", "iceconnectionstatechange", "signalingstatechange"):
            self.pc.on(name, self._state_changed)
        self.pc.on("datachannel", self._incoming_channel)

    # --- events -----------------------------------------------------------------
    def _state_changed(self) -> None:
        if not self.closed:
            self.session.emit("pc.state", self.handle, **self.states())

    def _incoming_channel(self, channel: RTCDataChannel) -> None:
        if self.closed:
            return
        handle = self.session.new_handle()
        ch = self.add_channel(handle, channel)
        self.session.emit("pc.datachannel", self.handle, channel=ch.describe())

    def add_channel(self, handle: str, channel: RTCDataChannel) -> ChannelHandle:
        """Track a channel (created locally or announced by the far end)."""
        ch = ChannelHandle(self, handle, channel)
        self.session.register(handle, ch)
        self.channels[handle] = ch
        self.channels_opened += 1
        return ch

    # --- state ------------------------------------------------------------------
    def states(self) -> dict[str, Any]:
        """The connection's state properties (gathering is the shim's business)."""
        ice = self.pc.iceConnectionState
        return {
            "signalingState": self.pc.signalingState,
            # aiortc jumps to "completed"; Chromium reports "connected" once a pair works,
            # which is what pages test for (limitation ref-ice-states).
            "iceConnectionState": "connected" if ice == "completed" else ice,
            "connectionState": self.pc.connectionState,
            "transport": self.transport_state(),
        }

    #: Transports whose state changes are reported (by ``id``), see :meth:`_watch_transports`.
    _watched: frozenset[int] = frozenset()

    def _dtls_transport(self) -> Any:
        """The connection's DTLS transport (everything is bundled on one), or None."""
        if self.pc.sctp is not None:
            return self.pc.sctp.transport
        for t in self.transceivers:
            if t.transceiver.mid is not None and not t.stopped:
                return t.transceiver.sender.transport
        return None

    def _watch_transports(self) -> None:
        """Report DTLS, ICE and SCTP state changes as ``pc.state`` events. aiortc emits
        ``statechange`` for DTLS and ICE; the SCTP association has no event, so the host
        wraps the method where its state changes (as for ``_addBufferedAmount``)."""
        dtls = self._dtls_transport()
        sctp = self.pc.sctp
        for obj in (dtls, dtls.transport if dtls is not None else None):
            if obj is not None and id(obj) not in self._watched:
                self._watched = self._watched | {id(obj)}
                obj.on("statechange", self._state_changed)
        if sctp is not None and id(sctp) not in self._watched:
            self._watched = self._watched | {id(sctp)}
            set_state = sctp._set_state

            def set_state_and_report(state: Any) -> None:
                before = sctp.state
                set_state(state)
                if sctp.state != before:
                    asyncio.get_running_loop().call_soon(self._state_changed)

            sctp._set_state = set_state_and_report  # type: ignore[method-assign]

    def transport_state(self) -> dict[str, Any]:
        """What the shim's RTCDtlsTransport, RTCIceTransport and RTCSctpTransport mirror
        (``{}`` before the connection has a transport)."""
        dtls = self._dtls_transport()
        if dtls is None:
            return {}
        self._watch_transports()
        ice = dtls.transport
        ice_state = "connected" if ice.state == "completed" else ice.state  # ref-ice-states
        state: dict[str, Any] = {"dtlsState": dtls.state, "iceState": ice_state,
                                 "selectedCandidatePair": self._selected_pair(ice),
                                 "remoteCertificates": _remote_certificates(dtls)}
        sctp = self.pc.sctp
        if sctp is not None:
            state["sctpState"] = sctp.state
            state["maxChannels"] = sctp.maxChannels if sctp.state == "connected" else None
        return state

    def _selected_pair(self, ice: Any) -> dict[str, Any] | None:
        """The nominated ICE candidate pair (aioice keeps it per component)."""
        pair = getattr(ice, "_connection", None) and ice._connection._nominated.get(1)
        if pair is None:
            return None
        # The first m-section's mid: the BUNDLE transport's (RTCIceCandidate needs one).
        local = self.current_local or self.pending_local
        mid = next((ln[len("a=mid:"):].strip() for ln in (local["sdp"] if local else "").splitlines()
                    if ln.startswith("a=mid:")), "0")
        return {side: {"candidate": f"candidate:{candidate.to_sdp()}", "sdpMid": mid,
                       "sdpMLineIndex": 0}
                for side, candidate in (("local", pair.local_candidate),
                                        ("remote", pair.remote_candidate))}

    def snapshot(self) -> dict[str, Any]:
        """Everything the shim mirrors about this connection."""
        return {
            **self.states(),
            "localDescription": self.pending_local or self.current_local,
            "remoteDescription": self.pending_remote or self.current_remote,
            "pendingLocalDescription": self.pending_local,
            "currentLocalDescription": self.current_local,
            "pendingRemoteDescription": self.pending_remote,
            "currentRemoteDescription": self.current_remote,
            "transceivers": [t.describe() for t in self.transceivers],
        }

    def adopt_new_transceivers(self, track_ids: dict[str, str | None] | None = None) -> None:
        """Name transceivers aiortc created on its own (from a remote offer, or for a legacy
        ``offerToReceive*`` option). Their receiver tracks take the track id of the remote
        ``a=msid`` (``track_ids``, by mid), as Chromium's do."""
        known = {id(t.transceiver) for t in self.transceivers}
        for transceiver in self.pc.getTransceivers():
            if id(transceiver) in known:
                continue
            self.add_transceiver(transceiver, handle=self.session.new_handle(),
                                 sender=self.session.new_handle(),
                                 receiver=self.session.new_handle(),
                                 receiver_track=self.session.new_handle(),
                                 receiver_track_id=(track_ids or {}).get(transceiver.mid or ""))
        for t in self.transceivers:
            t.bind_remote()

    def add_transceiver(self, transceiver: RTCRtpTransceiver, *, handle: str, sender: str,
                        receiver: str, receiver_track: str,
                        receiver_track_id: str | None = None) -> TransceiverHandle:
        """Track a transceiver and create its receiver's track."""
        track = HostTrack(receiver_track, kind=transceiver.kind, label=f"remote {transceiver.kind}",
                          remote=RemoteSource(), track_id=receiver_track_id)
        self.session.register(receiver_track, track)

        def ended(t: HostTrack) -> None:
            if t.handle in self.session.objects and not self.closed:
                self.session.emit("track.ended", t.handle)

        track.on_ended(ended)
        th = TransceiverHandle(self, transceiver, handle=handle, sender=sender,
                               receiver=receiver, receiver_track=track)
        self.transceivers.append(th)
        return th

    def stopped_mids(self) -> set[str]:
        """Mids of the stopped transceivers (rejected in what this end writes)."""
        return {t.transceiver.mid for t in self.transceivers
                if t.stopped and t.transceiver.mid is not None}

    def local_json(self, desc: RTCSessionDescription) -> dict[str, str]:
        """A description this end produced, with stopped transceivers rejected."""
        return {"type": desc.type, "sdp": _reject_mids(desc.sdp, self.stopped_mids())}

    async def stop_transceiver(self, th: TransceiverHandle) -> None:
        """Stop sending and receiving for good (``stop()``, or rejected by the far end)."""
        if th.stopped:
            return
        th.stopped = True
        if th.feed is not None:
            th.feed.set_source(None)
        await th.transceiver.stop()
        if th.remote is not None:
            th.remote.finish()

    def transceiver(self, handle: str) -> TransceiverHandle:
        """A transceiver of this connection by handle."""
        for t in self.transceivers:
            if handle in (t.handle, t.sender_handle, t.receiver_handle):
                return t
        raise HostError("NotFoundError", f"no transceiver {handle!r} on {self.handle}")

    def assert_open(self) -> None:
        """Operations on a closed connection fail like natively."""
        if self.closed:
            raise HostError("InvalidStateError", "the RTCPeerConnection is closed")

    # --- lifetime ---------------------------------------------------------------
    async def close(self) -> None:
        """Close the connection; tracks it received end, channels close."""
        if self.closed:
            return
        self.closed = True
        for t in self.transceivers:
            if t.feed is not None:
                t.feed.stop()
            if t.remote is not None:
                t.remote.finish()
        # Shielded: aiortc may be closing on its own (all DTLS transports closed); cancelling a
        # second close() would cancel its shared "closed" future and break the first.
        await asyncio.shield(self.pc.close())
        for handle in [*self.channels, *(t.receiver_track.handle for t in self.transceivers)]:
            self.session.forget(handle)

    async def kill(self) -> None:
        """The connection dies with the page or the RDP connection."""
        await self.close()

    async def stats(self, only: TransceiverHandle | None = None, *, sender: bool = True,
                    receiver: bool = True) -> list[dict[str, Any]]:
        """Real counters from aiortc, plus codec, data-channel and peer-connection entries."""
        entries: dict[str, dict[str, Any]] = {}
        for t in self.transceivers:
            if only is not None and t is not only:
                continue
            reports = []
            if sender:
                reports.append(("sender", await t.transceiver.sender.getStats()))
            if receiver:
                reports.append(("receiver", await t.transceiver.receiver.getStats()))
            for side, report in reports:
                for stat in report.values():
                    entry = {k: _epoch_ms(v) for k, v in dataclasses.asdict(stat).items()}
                    if entry.get("type") in ("inbound-rtp", "outbound-rtp"):
                        entry["mid"] = t.transceiver.mid
                        track = t.sender_track if side == "sender" else t.receiver_track
                        if track is not None:
                            entry["trackIdentifier"] = track.id
                        if t.transceiver._codecs:
                            entry["codecId"] = f"COT{t.transceiver._codecs[0].payloadType}"
                    entries[entry["id"]] = entry
            for codec in t.transceiver._codecs[:1]:
                entries[f"COT{codec.payloadType}"] = {
                    "type": "codec", "id": f"COT{codec.payloadType}",
                    "payloadType": codec.payloadType, "mimeType": codec.mimeType,
                    "clockRate": codec.clockRate, "channels": codec.channels,
                }
        if only is None:
            for ch in self.channels.values():
                entries[ch.stats()["id"]] = ch.stats()
            entries["P"] = {"type": "peer-connection", "id": "P",
                            "dataChannelsOpened": self.channels_opened,
                            "dataChannelsClosed": sum(
                                1 for c in self.channels.values()
                                if c.channel.readyState == "closed")}
        now = datetime.datetime.now(datetime.UTC).timestamp() * 1000.0
        for entry in entries.values():
            entry.setdefault("timestamp", now)
        return list(entries.values())


def _peer(session: PageSession, request: Request, *, open_required: bool = True) -> PeerHandle:
    peer = session.get(request.string("pc"), PeerHandle)
    if open_required:
        peer.assert_open()
    return peer


def _check_direction(direction: str) -> str:
    if direction not in _DIRECTIONS:
        raise HostError("TypeError", f"invalid direction {direction!r}")
    return direction


# --- RTCPeerConnection ---------------------------------------------------------------
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
    peer = _peer(session, request)
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
    peer = _peer(session, request)
    answer = await peer.pc.createAnswer()
    return {"description": peer.local_json(answer), **peer.snapshot()}


def _candidates(description: RTCSessionDescription) -> list[dict[str, Any]]:
    """The candidates of a local description, once per transport (BUNDLE-aware)."""
    parsed = aiortc_sdp.SessionDescription.parse(description.sdp)
    bundle = next((g for g in parsed.group if g.semantic == "BUNDLE"), None)
    skipped = set(bundle.items[1:]) if bundle and bundle.items else set()
    found = []
    for index, media in enumerate(parsed.media):
        mid = media.rtp.muxId
        if mid in skipped:
            continue
        for candidate in media.ice_candidates:
            found.append({
                "candidate": "candidate:" + aiortc_sdp.candidate_to_sdp(candidate),
                "sdpMid": mid,
                "sdpMLineIndex": index,
                "usernameFragment": media.ice.usernameFragment if media.ice else None,
            })
    return found


def _parse_description(request: Request, key: str = "description") -> RTCSessionDescription:
    desc = request.obj(key)
    kind = desc.get("type")
    text = desc.get("sdp", "")
    if kind not in ("offer", "answer", "pranswer", "rollback"):
        raise HostError("TypeError", f"invalid description type {kind!r}")
    if kind in ("rollback", "pranswer"):
        raise HostError("NotSupportedError", f"{kind} descriptions are not supported by the "
                        "reference host (limitation ref-no-rollback-pranswer)")
    if not isinstance(text, str):
        raise HostError("TypeError", "sdp must be a string")
    return RTCSessionDescription(sdp=text, type=kind)


def _check_sdp(text: str) -> None:
    """Refuse SDP that native parsers refuse (aiortc accepts almost anything): OperationError."""
    if not text.lstrip().startswith("v="):
        raise HostError("OperationError", "failed to parse the session description: expect line v=")
    try:
        aiortc_sdp.SessionDescription.parse(text)
    except Exception as error:
        raise HostError("OperationError", f"failed to parse the session description: {error}"
                        ) from None


@op("pc.setLocalDescription", chain="pc")
async def pc_set_local_description(session: PageSession, request: Request) -> dict[str, Any]:
    """``setLocalDescription([description])``: gathers every candidate (half trickle)."""
    peer = _peer(session, request)
    if request.args.get("description") is None:
        desc = None
    else:
        desc = _parse_description(request)
        _check_sdp(desc.sdp)
    await peer.pc.setLocalDescription(desc)
    local = peer.pc.localDescription
    current = peer.local_json(local)
    if local.type == "answer":
        peer.current_local, peer.pending_local = current, None
        peer.current_remote, peer.pending_remote = peer.pending_remote, None
    else:
        peer.pending_local = current
    return {"candidates": _candidates(local), **peer.snapshot()}


def _remote_media(description: RTCSessionDescription) -> dict[str, dict[str, Any]]:
    """``mid -> {receiving, streams, trackId}`` of a remote description, as Chromium reads
    it: this end receives on an m-section the far end sends on; its ``a=msid`` names the
    streams (``-`` for none) and the track id; a sending m-section without ``a=msid``
    belongs to Chromium's ``default`` stream."""
    parsed = aiortc_sdp.SessionDescription.parse(description.sdp)
    found: dict[str, dict[str, Any]] = {}
    for media in parsed.media:
        mid = media.rtp.muxId
        if not mid:
            continue
        receiving = media.port != 0 and media.direction in ("sendrecv", "sendonly")
        streams, track_id = ["default"], None
        if media.msid:
            stream, _, track_id = media.msid.partition(" ")
            streams = [] if stream == "-" else [stream]
        found[mid] = {"receiving": receiving, "streams": streams if receiving else [],
                      "trackId": track_id or None}
    return found


@op("pc.setRemoteDescription", chain="pc")
async def pc_set_remote_description(session: PageSession, request: Request) -> dict[str, Any]:
    """``setRemoteDescription(description)``; reports, per transceiver it describes, whether
    this end now receives and on which remote streams (the shim fires ``track``,
    ``addtrack`` and ``removetrack`` from that)."""
    peer = _peer(session, request)
    desc = _parse_description(request)
    _check_sdp(desc.sdp)
    await peer.pc.setRemoteDescription(desc)
    remote = _description(desc)
    if desc.type == "answer":
        peer.current_remote, peer.pending_remote = remote, None
        peer.current_local, peer.pending_local = peer.pending_local, None
    else:
        peer.pending_remote = remote
    media = _remote_media(desc)
    peer.adopt_new_transceivers({mid: m["trackId"] for mid, m in media.items()})
    # A rejected m-section stops its transceiver, as natively (aiortc ignores port 0).
    rejected = _rejected_mids(remote)
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

    peer = _peer(session, request)
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
    peer = _peer(session, request)
    track_handle = request.opt_str("track")
    track = session.get(track_handle, HostTrack) if track_handle else None
    kind = track.kind if track else request.string("kind")
    if kind not in ("audio", "video"):
        raise HostError("TypeError", f"invalid transceiver kind {kind!r}")
    # A video transceiver negotiates (aiortc's codecs) but never sends: no redirected track
    # is video; what it receives is decoded and dropped (limitation ref-video-capture).
    direction = _check_direction(request.string("direction", optional=True) or "sendrecv")
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
    peer = _peer(session, request)
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
    peer = _peer(session, request)
    th = peer.transceiver(request.string("transceiver"))
    th.set_track(None)
    direction = th.transceiver.direction
    th.transceiver.direction = {"sendrecv": "recvonly", "sendonly": "inactive"}.get(
        direction, direction)
    return peer.snapshot()


@op("pc.createDataChannel", chain="pc")
async def pc_create_data_channel(session: PageSession, request: Request) -> dict[str, Any]:
    """``createDataChannel(label, init)``."""
    peer = _peer(session, request)
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
    peer = _peer(session, request, open_required=False)
    selector = request.opt_str("transceiver")
    if selector is None:
        return await peer.stats()
    th = peer.transceiver(selector)
    side = request.string("side", optional=True)
    return await peer.stats(th, sender=side != "receiver", receiver=side != "sender")


# --- transceivers, senders, receivers ------------------------------------------------
@op("transceiver.setDirection", chain="pc")
async def transceiver_set_direction(session: PageSession, request: Request) -> dict[str, Any]:
    """``transceiver.direction = ...`` (takes effect at the next negotiation)."""
    peer = _peer(session, request)
    th = peer.transceiver(request.string("transceiver"))
    if th.stopped:
        raise HostError("InvalidStateError", "the transceiver is stopped")
    th.transceiver.direction = _check_direction(request.string("direction"))
    return peer.snapshot()


@op("transceiver.stop", chain="pc")
async def transceiver_stop(session: PageSession, request: Request) -> dict[str, Any]:
    """``transceiver.stop()``: sender and receiver stop for good."""
    peer = _peer(session, request)
    th = peer.transceiver(request.string("transceiver"))
    await peer.stop_transceiver(th)
    return peer.snapshot()


@op("sender.replaceTrack", chain="pc")
async def sender_replace_track(session: PageSession, request: Request) -> dict[str, Any]:
    """``sender.replaceTrack(track)``: no renegotiation, the far end hears the new source."""
    peer = _peer(session, request)
    th = peer.transceiver(request.string("transceiver"))
    if th.stopped:
        raise HostError("InvalidStateError", "the transceiver is stopped")
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
    peer = _peer(session, request)
    th = peer.transceiver(request.string("transceiver"))
    th.parameters = request.obj("parameters")
    return peer.snapshot()


@op("receiver.getSynchronizationSources", chain="pc", needs_connection=False)
async def receiver_sources(session: PageSession, request: Request) -> dict[str, Any]:
    """``getSynchronizationSources()`` and ``getContributingSources()`` (epoch ms)."""
    peer = _peer(session, request, open_required=False)
    th = peer.transceiver(request.string("transceiver"))
    sources = th.synchronization_sources()
    return {"synchronizationSources": sources["ssrc"], "contributingSources": sources["csrc"]}


# --- data channels ---------------------------------------------------------------------
def _channel(session: PageSession, request: Request) -> ChannelHandle:
    return session.get(request.string("dc"), ChannelHandle)


@op("dc.send", chain="dc")
async def dc_send(session: PageSession, request: Request) -> dict[str, Any]:
    """``channel.send(data)``: ``data`` is text, ``binary`` is base64."""
    ch = _channel(session, request)
    if ch.channel.readyState != "open":
        raise HostError("InvalidStateError", f"the data channel is {ch.channel.readyState}")
    payload: str | bytes
    if "binary" in request.args:
        try:
            payload = base64.b64decode(request.string("binary"), validate=True)
        except ValueError:
            raise HostError("TypeError", "binary must be base64") from None
    else:
        payload = request.string("data")
    ch.channel.send(payload)
    ch.messages_sent += 1
    ch.bytes_sent += len(payload.encode() if isinstance(payload, str) else payload)
    return {"bufferedAmount": ch.channel.bufferedAmount}


@op("dc.close", chain="dc", needs_connection=False)
async def dc_close(session: PageSession, request: Request) -> dict[str, Any]:
    """``channel.close()`` (idempotent)."""
    obj = session.objects.get(request.string("dc"))
    if isinstance(obj, ChannelHandle):
        obj.channel.close()
        return obj.state()
    return {"readyState": "closed"}


@op("dc.setBufferedAmountLowThreshold", chain="dc")
async def dc_set_threshold(session: PageSession, request: Request) -> dict[str, Any]:
    """``channel.bufferedAmountLowThreshold = n``."""
    ch = _channel(session, request)
    value = request.opt_int("value")
    if value is None or value < 0:
        raise HostError("TypeError", "the threshold must be a non-negative integer")
    ch.channel.bufferedAmountLowThreshold = value
    return {}
