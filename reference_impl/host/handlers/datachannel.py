"""Page operations on a data channel: send, close, ``bufferedAmountLowThreshold``."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from ..datachannel import ChannelHandle
from ..ops import op
from ..protocol import HostError, Request

if TYPE_CHECKING:
    from ..session import PageSession

__all__: list[str] = []  # operations only: they register with ops.op


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
