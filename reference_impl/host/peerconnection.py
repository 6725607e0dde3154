"""The RTCPeerConnection itself, as the shim's ``peerconnection.js`` mirrors it: the real
aiortc connection, its descriptions, transports and states, and the transceivers and data
channels it owns.

The shim names most objects itself (handles starting with ``s``) because the DOM creates
them synchronously (``addTransceiver``, ``createDataChannel``); objects that appear during
negotiation (remote transceivers, incoming data channels) are named by the host (``h``).
Every reply that can change a peer connection carries a :meth:`PeerHandle.snapshot`, so
the shim's mirrored state is current when the promise resolves. The page operations on
these objects are in :mod:`.handlers`.
"""

from __future__ import annotations

import asyncio
import base64
from typing import TYPE_CHECKING, Any

from aiortc import RTCDataChannel, RTCPeerConnection, RTCRtpTransceiver, RTCSessionDescription

from ..rfc4733 import enable_telephone_event
from .datachannel import ChannelHandle
from .ice import rtc_configuration
from .protocol import HostError, Request
from .rtp import TransceiverHandle, epoch_ms_now
from .sdp import first_mid, reject_mids
from .tracks import HostTrack, RemoteSource

if TYPE_CHECKING:
    from .session import PageSession

__all__ = ["PeerHandle", "peer_of"]


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



class PeerHandle:
    """One redirected RTCPeerConnection."""

    KILL_ORDER = 2

    def __init__(self, session: PageSession, handle: str, configuration: dict[str, Any]) -> None:
        self.session = session
        self.handle = handle
        self.configuration = configuration
        # Negotiate telephone-event as Chromium does (RTCDTMFSender, reference_impl/rfc4733.py).
        enable_telephone_event()
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
        found = first_mid((local["sdp"] if local else "").splitlines())
        mid = "0" if found is None else found
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
            "sctpRole": self.sctp_role(),
        }

    def sctp_role(self) -> str | None:
        """Our DTLS role for the data channels once the descriptions fix it (``client``
        allocates even stream ids, ``server`` odd ones), else None. Chromium knows it from
        the answer, or as the answerer from the remote offer: it then answers ``active``
        unless the offer is, as aiortc will on setLocalDescription."""
        sctp = self.pc.sctp
        if sctp is None:
            return None
        role = str(sctp.transport._role)
        if role != "auto":
            return role
        remote = self.pending_remote or self.current_remote
        return "client" if remote is not None and remote.get("type") == "offer" else None

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
        return {"type": desc.type, "sdp": reject_mids(desc.sdp, self.stopped_mids())}

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
            if only is None or t is only:
                entries.update(await t.stats(sender=sender, receiver=receiver))
        if only is None:
            for ch in self.channels.values():
                entries[ch.stats()["id"]] = ch.stats()
            entries["P"] = {"type": "peer-connection", "id": "P",
                            "dataChannelsOpened": self.channels_opened,
                            "dataChannelsClosed": sum(
                                1 for c in self.channels.values()
                                if c.channel.readyState == "closed")}
        now = epoch_ms_now()
        for entry in entries.values():
            entry.setdefault("timestamp", now)
        return list(entries.values())


def peer_of(session: PageSession, request: Request, *, open_required: bool = True) -> PeerHandle:
    """The connection a request's ``pc`` names; open unless ``open_required`` is false."""
    peer = session.get(request.string("pc"), PeerHandle)
    if open_required:
        peer.assert_open()
    return peer

