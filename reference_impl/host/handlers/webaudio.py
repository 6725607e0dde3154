"""Page operations on the redirected half of an ``AudioContext`` (see
:mod:`reference_impl.host.webaudio`), and ``sinkId`` checks for local playback."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..ops import op
from ..protocol import HostError, Request
from ..tracks import HostTrack
from ..webaudio import AnalyserNode, AudioGraph, DestinationNode, SourceNode

if TYPE_CHECKING:
    from ..session import PageSession

__all__: list[str] = []  # operations only: they register with ops.op


def _graph(session: PageSession, request: Request) -> AudioGraph:
    graph = session.get(request.string("ctx"), AudioGraph)
    if graph.state == "closed":
        raise HostError("InvalidStateError", "the AudioContext is closed")
    return graph


def _state(request: Request) -> str:
    state = request.string("state", optional=True) or "running"
    if state not in ("running", "suspended"):
        raise HostError("TypeError", f"invalid AudioContext state {state!r}")
    return state


@op("audio.createContext", chain="ctx")
async def create_context(session: PageSession, request: Request) -> dict[str, Any]:
    """The redirected half of an ``AudioContext`` (created when a graph first needs it)."""
    handle = request.string("ctx")
    rate = request.number("sampleRate")
    if rate != int(rate):
        raise HostError("TypeError", "sampleRate must be an integer")
    graph = AudioGraph(session, handle, int(rate), _state(request))
    session.register(handle, graph)
    sink = request.string("sinkId", optional=True)
    if sink:
        graph.set_sink(session.state.speaker_for_sink(sink))
    return {"sampleRate": graph.rate}


@op("audio.setState", chain="ctx")
async def set_state(session: PageSession, request: Request) -> dict[str, Any]:
    """``resume()`` / ``suspend()`` / ``close()``."""
    graph = session.get(request.string("ctx"), AudioGraph)
    state = request.string("state")
    if state == "closed":
        await graph.close()
        return {"state": "closed", "currentTime": graph.time}
    if state not in ("running", "suspended"):
        raise HostError("TypeError", f"invalid AudioContext state {state!r}")
    graph.set_state(state)
    return {"state": graph.state, "currentTime": graph.time}


@op("audio.setSinkId", chain="ctx")
async def set_sink_id(session: PageSession, request: Request) -> dict[str, Any]:
    """``AudioContext.setSinkId``: redirected rendering moves to that speaker."""
    graph = _graph(session, request)
    speaker = session.state.speaker_for_sink(request.string("sinkId", optional=True))
    graph.set_sink(speaker)
    return {"speaker": speaker.info.index, "deviceId": speaker.info.deviceId}


@op("audio.createSource", chain="ctx")
async def create_source(session: PageSession, request: Request) -> dict[str, Any]:
    """``createMediaStreamSource(stream)``: ``track`` is the stream's first audio track."""
    graph = _graph(session, request)
    track = session.get(request.string("track"), HostTrack)
    graph.add(SourceNode(graph, request.string("node"), track))
    return {}


def _smoothing(request: Request) -> float | None:
    if request.args.get("smoothingTimeConstant") is None:
        return None
    return request.number("smoothingTimeConstant")


@op("audio.createAnalyser", chain="ctx")
async def create_analyser(session: PageSession, request: Request) -> dict[str, Any]:
    """An ``AnalyserNode`` that now carries redirected media."""
    graph = _graph(session, request)
    smoothing = _smoothing(request)
    node = AnalyserNode(graph, request.string("node"), request.opt_int("fftSize") or 2048,
                        0.8 if smoothing is None else smoothing)
    graph.add(node)
    return {}


@op("audio.configureAnalyser", chain="ctx")
async def configure_analyser(session: PageSession, request: Request) -> dict[str, Any]:
    """``fftSize`` / ``smoothingTimeConstant`` changed."""
    graph = _graph(session, request)
    node = graph.node(request.string("node"))
    if not isinstance(node, AnalyserNode):
        raise HostError("TypeError", f"{node.handle} is not an AnalyserNode")
    node.configure(request.opt_int("fftSize"), _smoothing(request))
    return {}


@op("audio.createDestination", chain="ctx")
async def create_destination(session: PageSession, request: Request) -> dict[str, Any]:
    """``createMediaStreamDestination()``: the shim names the node and its track."""
    graph = _graph(session, request)
    node = DestinationNode(graph, request.string("node"), request.string("track"),
                           request.opt_str("trackId"))
    session.register(node.track.handle, node.track)
    graph.add(node)
    return node.track.describe()


@op("audio.connect", chain="ctx")
async def connect(session: PageSession, request: Request) -> dict[str, Any]:
    """``from.connect(to)`` between redirected nodes (``to`` may be ``"destination"``)."""
    _graph(session, request).connect(request.string("from"), request.string("to"))
    return {}


@op("audio.disconnect", chain="ctx")
async def disconnect(session: PageSession, request: Request) -> dict[str, Any]:
    """``from.disconnect([to])``."""
    _graph(session, request).disconnect(request.string("from"), request.opt_str("to"))
    return {}


@op("sink.check")
async def sink_check(session: PageSession, request: Request) -> dict[str, Any]:
    """Which speaker a ``sinkId`` names (``NotFoundError`` if none): ``setSinkId`` on
    local playback validates against the local device's outputs."""
    speaker = session.state.speaker_for_sink(request.string("sinkId", optional=True))
    return {"speaker": speaker.info.index, "deviceId": speaker.info.deviceId}
