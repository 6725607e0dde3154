"""Media capture and rendering operations: devices, getUserMedia, tracks, speakers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..devices import DeviceInfo
from ..mediaelement import ElementHandle
from ..ops import op
from ..protocol import HostError, Request
from ..tracks import HostTrack

if TYPE_CHECKING:
    from ..session import PageSession

__all__ = ["capabilities", "select_microphone", "settings_for"]

_SAMPLE_RATE = 48_000


@op("ping", needs_connection=False)
async def ping(session: PageSession, request: Request) -> dict[str, Any]:
    """A no-op round trip (for latency measurement and liveness)."""
    return {}


@op("connection.ack", needs_connection=False)
async def connection_ack(session: PageSession, request: Request) -> dict[str, Any]:
    """The page handled a ``connection`` event (its listeners ran)."""
    session.connection_acked.set()
    return {}


@op("enumerateDevices", needs_connection=False)
async def enumerate_devices(session: PageSession, request: Request) -> list[dict[str, Any]]:
    """The local device's microphones and speakers; none while disconnected."""
    if not session.state.connected:
        return []
    # A microphone's InputDeviceInfo.getCapabilities() is its track's (as in Chromium).
    return [{**d.to_json(), "capabilities": capabilities(d)} if d.kind == "audioinput" else d.to_json()
            for d in session.state.devices()]


# --- constraints -------------------------------------------------------------------
#: The values of MediaTrackConstraints.resizeMode (mediacapture-main).
_RESIZE_MODES = ("none", "crop-and-scale")


def _values(constraint: Any) -> tuple[list[Any], bool]:
    """The values a constraint names and whether they are required (``exact``)."""
    if isinstance(constraint, dict):
        if "exact" in constraint:
            exact = constraint["exact"]
            return (list(exact) if isinstance(exact, list) else [exact]), True
        if "ideal" in constraint:
            ideal = constraint["ideal"]
            return (list(ideal) if isinstance(ideal, list) else [ideal]), False
        return [], False
    if isinstance(constraint, list):
        return list(constraint), False
    if constraint is None:
        return [], False
    return [constraint], False


def _numeric_ok(constraint: Any, value: float) -> bool:
    """Whether a required numeric constraint (exact/min/max) admits ``value``."""
    if not isinstance(constraint, dict):
        return True
    exact = constraint.get("exact")
    if isinstance(exact, int | float) and not isinstance(exact, bool) and exact != value:
        return False
    low = constraint.get("min")
    if isinstance(low, int | float) and not isinstance(low, bool) and value < low:
        return False
    high = constraint.get("max")
    return not (isinstance(high, int | float) and not isinstance(high, bool) and value > high)


def select_microphone(microphones: list[DeviceInfo], audio: dict[str, Any]) -> DeviceInfo:
    """Pick the microphone a constraint set asks for, or raise ``OverconstrainedError``."""
    candidates = list(microphones)
    for key in ("deviceId", "groupId"):
        wanted, required = _values(audio.get(key))
        if not wanted:
            continue
        matching = [d for d in candidates if getattr(d, key) in wanted]
        if required and not matching:
            raise HostError("OverconstrainedError", f"no microphone satisfies {key}",
                            constraint=key)
        if matching:
            candidates = matching
    for key, value in (("sampleRate", _SAMPLE_RATE), ("channelCount", 1), ("sampleSize", 16)):
        if not _numeric_ok(audio.get(key), value):
            raise HostError("OverconstrainedError", f"the virtual microphones only offer {key}={value}",
                            constraint=key)
    if not candidates:
        raise HostError("NotFoundError", "the local device has no microphone")
    return candidates[0]


def _bool_setting(audio: dict[str, Any], key: str, default: bool) -> bool:
    wanted, _required = _values(audio.get(key))
    return bool(wanted[0]) if wanted and isinstance(wanted[0], bool) else default


def settings_for(device: DeviceInfo, audio: dict[str, Any]) -> dict[str, Any]:
    """``MediaStreamTrack.getSettings()`` of a virtual microphone track."""
    return {
        "deviceId": device.deviceId,
        "groupId": device.groupId,
        "sampleRate": _SAMPLE_RATE,
        "sampleSize": 16,
        "channelCount": 1,
        "latency": 0.02,
        "echoCancellation": _bool_setting(audio, "echoCancellation", True),
        "autoGainControl": _bool_setting(audio, "autoGainControl", True),
        "noiseSuppression": _bool_setting(audio, "noiseSuppression", True),
        # Chromium reports it (false: no voice isolation on this device).
        "voiceIsolation": False,
    }


def capabilities(device: DeviceInfo) -> dict[str, Any]:
    """``MediaStreamTrack.getCapabilities()`` of a virtual microphone track."""
    return {
        "deviceId": device.deviceId,
        "groupId": device.groupId,
        "sampleRate": {"min": _SAMPLE_RATE, "max": _SAMPLE_RATE},
        "sampleSize": {"min": 16, "max": 16},
        "channelCount": {"min": 1, "max": 1},
        "latency": {"min": 0.02, "max": 0.02},
        "echoCancellation": [True, False],
        "autoGainControl": [True, False],
        "noiseSuppression": [True, False],
        "voiceIsolation": [False],
    }


@op("getUserMedia", needs_connection=False)
async def get_user_media(session: PageSession, request: Request) -> dict[str, Any]:
    """Capture from a virtual microphone; video is a reference limitation."""
    if not session.state.connected:  # the page may not have heard of the disconnect yet
        raise HostError("NotReadableError", "call redirection is disconnected: the local "
                        "device's microphones are unavailable")
    constraints = request.obj("constraints")
    audio = constraints.get("audio", False)
    video = constraints.get("video", False)
    if not audio and not video:
        raise HostError("TypeError", "at least one of audio and video must be requested")
    if isinstance(video, dict):
        # Chromium rejects a required value no camera can have before looking for cameras.
        modes, required = _values(video.get("resizeMode"))
        if required and any(mode not in _RESIZE_MODES for mode in modes):
            raise HostError("OverconstrainedError", "", constraint="resizeMode")
    if video:
        session.log("warning", "getUserMedia: video capture is not redirected by the reference "
                               "implementation (limitation ref-video-capture)")
        raise HostError("NotSupportedError", "video capture is not available under the reference "
                        "redirection (limitation ref-video-capture); request audio only")
    audio_constraints: dict[str, Any] = audio if isinstance(audio, dict) else {}
    device = select_microphone(session.state.microphones, audio_constraints)
    track = HostTrack(session.new_handle(), label=device.label, device=device)
    session.register(track.handle, track)
    session.log("info", f"getUserMedia: capturing {device.label}")
    return {
        "tracks": [{**track.describe(), "settings": settings_for(device, audio_constraints),
                    "capabilities": capabilities(device), "constraints": audio_constraints}],
    }


@op("track.stop", chain="track")
async def track_stop(session: PageSession, request: Request) -> dict[str, Any]:
    """``MediaStreamTrack.stop()``."""
    handle = request.string("track")
    track = session.get(handle, HostTrack)
    track.stop()
    session.forget(handle)
    return {}


@op("track.setEnabled", chain="track")
async def track_set_enabled(session: PageSession, request: Request) -> dict[str, Any]:
    """``MediaStreamTrack.enabled = ...``: a disabled track sends and renders silence."""
    track = session.get(request.string("track"), HostTrack)
    track.enabled = request.boolean("enabled")
    return {}


@op("track.clone", chain="track")
async def track_clone(session: PageSession, request: Request) -> dict[str, Any]:
    """``MediaStreamTrack.clone()``: the shim names the clone."""
    track = session.get(request.string("track"), HostTrack)
    copy = track.clone(request.string("clone"))
    if track.ended:
        copy.ended = True
    session.register(copy.handle, copy)
    _watch_end(session, copy)
    return copy.describe()


@op("track.applyConstraints", chain="track")
async def track_apply_constraints(session: PageSession, request: Request) -> dict[str, Any]:
    """``MediaStreamTrack.applyConstraints()``: switching device is not allowed."""
    track = session.get(request.string("track"), HostTrack)
    constraints = request.obj("constraints", optional=True)
    if track.device is None:
        return {"settings": {}}
    chosen = select_microphone([track.device], constraints)
    return {"settings": settings_for(chosen, constraints)}


def _watch_end(session: PageSession, track: HostTrack) -> None:
    """Tell the page when a track ends by itself (its remote source went away)."""

    def ended(t: HostTrack) -> None:
        if t.handle in session.objects:
            session.emit("track.ended", t.handle)

    track.on_ended(ended)


# --- rendering on speakers -----------------------------------------------------------
def _element(session: PageSession, handle: str) -> ElementHandle:
    existing = session.objects.get(handle)
    if isinstance(existing, ElementHandle):
        return existing
    element = ElementHandle(session, handle)
    session.register(handle, element)
    return element


def _apply_volume(element: ElementHandle, request: Request) -> None:
    if "volume" in request.args:
        volume = request.number("volume")
        if not 0.0 <= volume <= 1.0:
            raise HostError("IndexSizeError", f"volume {volume} is outside 0..1")
        element.volume = volume
    if "muted" in request.args:
        element.muted = request.boolean("muted")


@op("element.play", chain="element")
async def element_play(session: PageSession, request: Request) -> dict[str, Any]:
    """Start rendering an element's redirected tracks on its sink: ``sinkId`` when given,
    else the one its ``element.setSinkId`` requests chose (ops on one element run in order)."""
    element = _element(session, request.string("element"))
    if "sinkId" in request.args:
        element.speaker = session.state.speaker_for_sink(request.string("sinkId", optional=True))
    _apply_volume(element, request)
    speaker = element.speaker
    tracks = [session.get(h, HostTrack) for h in request.str_list("tracks")]
    element.play(tracks, request.str_list("streamIds"))
    return {"speaker": speaker.info.index, "deviceId": speaker.info.deviceId}


@op("element.pause", chain="element")
async def element_pause(session: PageSession, request: Request) -> dict[str, Any]:
    """Stop rendering an element's tracks."""
    obj = session.objects.get(request.string("element"))
    if isinstance(obj, ElementHandle):
        obj.stop()
    return {}


@op("element.setSinkId", chain="element")
async def element_set_sink_id(session: PageSession, request: Request) -> dict[str, Any]:
    """Route an element to another local speaker."""
    speaker = session.state.speaker_for_sink(request.string("sinkId", optional=True))
    element = _element(session, request.string("element"))
    element.set_speaker(speaker)
    return {"speaker": speaker.info.index, "deviceId": speaker.info.deviceId}


@op("element.setVolume", chain="element")
async def element_set_volume(session: PageSession, request: Request) -> dict[str, Any]:
    """``volume`` / ``muted`` changed: what plays is scaled (0 when muted)."""
    element = _element(session, request.string("element"))
    _apply_volume(element, request)
    return {"volume": element.volume, "muted": element.muted}
