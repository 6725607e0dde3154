"""The control session: how the harness drives faults and reads speakers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .devices import Speaker
from .ice import ice_view
from .mediaview import media_view
from .peerconnection import PeerHandle
from .protocol import HostError, Request
from .state import HostState

__all__ = ["CONTROL_OPS", "run_control_op"]

ControlHandler = Callable[[HostState, Request], Awaitable[Any]]
CONTROL_OPS: dict[str, ControlHandler] = {}


def _control(name: str) -> Callable[[ControlHandler], ControlHandler]:
    def register(handler: ControlHandler) -> ControlHandler:
        CONTROL_OPS[name] = handler
        return handler

    return register


async def run_control_op(state: HostState, request: Request) -> Any:
    """Run one control operation, or raise :class:`HostError`."""
    handler = CONTROL_OPS.get(request.op)
    if handler is None:
        raise HostError("UnknownOperation", f"unknown control operation {request.op!r}")
    return await handler(state, request)


@_control("ping")
async def ping(state: HostState, request: Request) -> dict[str, Any]:
    """Liveness."""
    return {}


@_control("status")
async def status(state: HostState, request: Request) -> dict[str, Any]:
    """Connection state, latency and per-page object counts."""
    return state.status()


@_control("devices")
async def devices(state: HostState, request: Request) -> list[dict[str, Any]]:
    """Every virtual device."""
    return [d.to_json() for d in state.devices()]


@_control("disconnect")
async def disconnect(state: HostState, request: Request) -> dict[str, Any]:
    """Simulate an RDP client disconnect."""
    await state.disconnect()
    return state.status()


@_control("reconnect")
async def reconnect(state: HostState, request: Request) -> dict[str, Any]:
    """Simulate the RDP client reconnecting (new connection id)."""
    await state.reconnect()
    return state.status()


@_control("setLatency")
async def set_latency(state: HostState, request: Request) -> dict[str, Any]:
    """Injected one-way latency on every reply and event to pages (0..200 ms)."""
    try:
        state.set_latency(request.number("ms"))
    except ValueError as error:
        raise HostError("RangeError", str(error)) from None
    return {"latencyMs": state.latency_ms}


def _speaker_key(request: Request) -> int | str:
    value = request.args.get("speaker")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value
    raise HostError("TypeError", "speaker must be a 1-based index, a deviceId or a label")


def _speaker(state: HostState, request: Request) -> Speaker:
    """The virtual speaker the request names; ``NotFoundError`` if there is none."""
    try:
        return state.speaker(_speaker_key(request))
    except KeyError:
        raise HostError("NotFoundError", f"no speaker {request.args.get('speaker')!r}") from None


@_control("speakerRecord")
async def speaker_record(state: HostState, request: Request) -> dict[str, Any]:
    """What a virtual speaker rendered."""
    return _speaker(state, request).record()


@_control("speakerAudio")
async def speaker_audio(state: HostState, request: Request) -> dict[str, Any]:
    """What a virtual speaker played lately, as timed PCM chunks (for call quality)."""
    return _speaker(state, request).audio()


@_control("resetSpeakers")
async def reset_speakers(state: HostState, request: Request) -> dict[str, Any]:
    """Forget what every speaker rendered."""
    for speaker in state.speakers.values():
        speaker.reset()
    return {}


@_control("peerConnections")
async def peer_connections(state: HostState, request: Request) -> list[dict[str, Any]]:
    """Every live host peer connection with its descriptions (proof of redirection) and
    what ICE did for it and what it carries (:func:`~reference_impl.host.ice.ice_view`,
    :func:`~reference_impl.host.mediaview.media_view`)."""
    found = []
    for session in state.sessions:
        for handle, obj in session.objects.items():
            if isinstance(obj, PeerHandle):
                found.append({"activityId": session.activity_id, "pc": handle,
                              **obj.snapshot(), **ice_view(obj.pc), **await media_view(obj)})
    return found
