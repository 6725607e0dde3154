"""Data channels, as the shim's ``datachannel.js`` mirrors them: one aiortc channel, the
events the page needs (state, messages, drains) and its counters.

A channel knows its connection only through :class:`ChannelOwner`, so that this module
stays below :mod:`.peerconnection`, which owns its channels.
"""

from __future__ import annotations

import asyncio
import base64
from typing import TYPE_CHECKING, Any, Protocol

from aiortc import RTCDataChannel, RTCPeerConnection

if TYPE_CHECKING:
    from .session import PageSession

__all__ = ["ChannelHandle", "ChannelOwner"]


class ChannelOwner(Protocol):
    """What a channel reads of its connection."""

    session: PageSession
    pc: RTCPeerConnection
    closed: bool


class ChannelHandle:
    """One data channel and its counters."""

    def __init__(self, peer: ChannelOwner, handle: str, channel: RTCDataChannel) -> None:
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

