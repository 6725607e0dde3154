"""Redirected Web Audio: the part of a page's audio graphs that touches redirected media.

A page's ``AudioContext`` wraps a native one for local nodes; only the supported node kinds
that carry redirected media live here (see ``reference_impl/README.md``, "Web Audio"):

- :class:`SourceNode` (``MediaStreamAudioSourceNode``) reads a :class:`HostTrack`;
- :class:`AnalyserNode` keeps the last samples it passed and pushes spectra and waveforms
  to the page (``audio.analyser`` events), computed as the Web Audio spec says;
- :class:`DestinationNode` (``MediaStreamAudioDestinationNode``) feeds a new
  :class:`HostTrack` that can be sent in a call or rendered on a speaker;
- the context's own ``destination`` renders on a virtual speaker (the context's sink).

The page operations on these objects are in :mod:`.handlers.webaudio`.

An :class:`AudioGraph` renders like a real context: a clock paced to the wall clock pulls one
20 ms block from every source, sums each node's inputs, and runs only while the context is
``running``. Every node works at the context's sample rate; sources are resampled to it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fractions
import math
from typing import TYPE_CHECKING, Any

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from .devices import Speaker, frame_to_mono
from .protocol import HostError
from .tracks import HostTrack, QueueTrack, RemoteSource

if TYPE_CHECKING:
    from .session import PageSession

__all__ = ["AnalyserNode", "AudioGraph", "DestinationNode", "Node", "SourceNode"]

Samples = np.ndarray[Any, np.dtype[np.float64]]

BLOCK_SECONDS = 0.02  # one render block: 20 ms, like an RTP audio frame
MAX_FFT_SIZE = 32768
_FIFO_SECONDS = 0.2  # a source keeps at most this much audio ahead of the clock
_ANALYSER_PUSH_S = 0.05  # how often an analyser reports to the page (at most)
_ANALYSER_BYTES_PER_S = 1_000_000  # ... and at most this many bytes per second
_ANALYSER_DECAY_S = 1.0  # keep reporting this long after the last input went away
_FALLING_BEHIND_S = 0.2  # a clock this late skips ahead instead of rendering a burst


def _s16_frame(samples: Samples, rate: int) -> AudioFrame:
    """One mono 16-bit frame of ``samples`` (floats, clipped to [-1, 1])."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16).reshape(1, -1)
    frame = AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
    frame.sample_rate = rate
    return frame


def _float32_b64(values: np.ndarray[Any, Any]) -> str:
    """Little-endian float32 bytes in base64 (the page reads them as a Float32Array)."""
    return base64.b64encode(np.asarray(values, dtype="<f4").tobytes()).decode()


class Node:
    """A node of a redirected graph. ``inputs`` are the nodes connected to it."""

    KILL_ORDER = 4

    def __init__(self, graph: AudioGraph, handle: str) -> None:
        self.graph = graph
        self.handle = handle
        self.inputs: list[Node] = []

    def render(self, block: int, memo: dict[str, Samples], path: frozenset[str]) -> Samples:
        """This node's output for the current block (the sum of its inputs by default)."""
        if self.handle in memo:
            return memo[self.handle]
        if self.handle in path:  # a cycle without a DelayNode is silent, as natively
            return np.zeros(block)
        inner = path | {self.handle}
        out = np.zeros(block)
        for node in self.inputs:
            out = out + node.render(block, memo, inner)
        memo[self.handle] = out
        return out

    async def kill(self) -> None:
        """Nodes die with their graph."""


class SourceNode(Node):
    """``MediaStreamAudioSourceNode``: the first audio track of a redirected stream."""

    def __init__(self, graph: AudioGraph, handle: str, track: HostTrack) -> None:
        super().__init__(graph, handle)
        self.track = track
        self._fifo: Samples = np.zeros(0)
        self._resampler: av.AudioResampler | None = None
        self._resampler_rate = 0
        self._consumer: MediaStreamTrack | None = None
        self._task: asyncio.Task[None] | None = None
        if not track.ended:
            self._consumer = track.new_consumer()
            self._task = asyncio.ensure_future(self._read(self._consumer))

    async def _read(self, consumer: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                frame = await consumer.recv()
                if isinstance(frame, AudioFrame):
                    self._append(self._to_context_rate(frame))

    def _to_context_rate(self, frame: AudioFrame) -> Samples:
        mono = frame_to_mono(frame)
        rate = frame.sample_rate or self.graph.rate
        if rate == self.graph.rate:
            return mono
        if self._resampler is None or self._resampler_rate != rate:
            self._resampler = av.AudioResampler(format="flt", layout="mono", rate=self.graph.rate)
            self._resampler_rate = rate
        source = AudioFrame.from_ndarray(mono.astype(np.float32).reshape(1, -1), format="flt",
                                         layout="mono")
        source.sample_rate = rate
        parts = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(source)]
        return np.concatenate(parts).astype(np.float64) if parts else np.zeros(0)

    def _append(self, samples: Samples) -> None:
        limit = int(self.graph.rate * _FIFO_SECONDS)
        self._fifo = np.concatenate((self._fifo, samples))[-limit:]

    def pull(self, block: int) -> Samples:
        """The next block of the source (silence where it has nothing yet)."""
        taken, self._fifo = self._fifo[:block], self._fifo[block:]
        if len(taken) < block:
            taken = np.concatenate((np.zeros(block - len(taken)), taken))
        return taken

    def render(self, block: int, memo: dict[str, Samples], path: frozenset[str]) -> Samples:
        """A source's output is what it pulled this block (see :meth:`AudioGraph._tick`)."""
        return memo.get(self.handle, np.zeros(block))

    async def kill(self) -> None:
        """Stop reading the track."""
        if self._task is not None:
            self._task.cancel()
        if self._consumer is not None:
            self.track.release(self._consumer)
            self._consumer = None


class AnalyserNode(Node):
    """``AnalyserNode``: passes its input through and reports what it saw to the page.

    Frequency data follows the Web Audio spec: the last ``fftSize`` samples, a Blackman
    window, an FFT scaled by ``1/fftSize``, smoothing over time with
    ``smoothingTimeConstant``, then decibels. The page derives the byte variants with its
    own ``minDecibels``/``maxDecibels``.
    """

    def __init__(self, graph: AudioGraph, handle: str, fft_size: int, smoothing: float) -> None:
        super().__init__(graph, handle)
        self.fft_size = 2048
        self.smoothing = 0.8
        self.configure(fft_size, smoothing)
        self._history: Samples = np.zeros(MAX_FFT_SIZE)
        self._smoothed: Samples = np.zeros(self.fft_size // 2)
        self._last_input_at = -math.inf  # context time of the last block with an input
        self._next_push_at = 0.0

    def configure(self, fft_size: int | None = None, smoothing: float | None = None) -> None:
        """Apply ``fftSize``/``smoothingTimeConstant`` (already validated by the page)."""
        if fft_size is not None:
            if fft_size < 32 or fft_size > MAX_FFT_SIZE or fft_size & (fft_size - 1):
                raise HostError("IndexSizeError", f"fftSize {fft_size} is not a power of two in 32..32768")
            if fft_size != self.fft_size:
                self.fft_size = fft_size
                self._smoothed = np.zeros(fft_size // 2)
                self._next_push_at = 0.0  # the page waits for data of the new size
        if smoothing is not None:
            if not 0.0 <= smoothing <= 1.0:
                raise HostError("IndexSizeError", "smoothingTimeConstant must be within 0..1")
            self.smoothing = smoothing

    def render(self, block: int, memo: dict[str, Samples], path: frozenset[str]) -> Samples:
        """Record the block, pass it on."""
        if self.handle in memo:
            return memo[self.handle]
        out = super().render(block, memo, path)
        self._history = np.concatenate((self._history[block:], out))
        if self.inputs:
            self._last_input_at = self.graph.time
        return out

    def spectrum(self) -> tuple[Samples, Samples]:
        """``(frequency data in dB, time-domain data)`` for the current ``fftSize``."""
        n = self.fft_size
        time = self._history[-n:]
        index = np.arange(n)
        window = 0.42 - 0.5 * np.cos(2 * np.pi * index / n) + 0.08 * np.cos(4 * np.pi * index / n)
        magnitude = np.abs(np.fft.rfft(time * window))[: n // 2] / n
        self._smoothed = self.smoothing * self._smoothed + (1.0 - self.smoothing) * magnitude
        with np.errstate(divide="ignore"):
            decibels = 20.0 * np.log10(self._smoothed)
        return decibels, time

    def maybe_push(self) -> None:
        """Report to the page when due, while it has (or recently had) an input."""
        now = self.graph.time
        if now < self._next_push_at or now - self._last_input_at > _ANALYSER_DECAY_S:
            return
        frequency, time = self.spectrum()
        size = (len(frequency) + len(time)) * 4 * 4 // 3
        self._next_push_at = now + max(_ANALYSER_PUSH_S, size / _ANALYSER_BYTES_PER_S)
        self.graph.session.emit("audio.analyser", self.handle, fftSize=self.fft_size,
                                contextTime=round(now, 6), frequency=_float32_b64(frequency),
                                time=_float32_b64(time))


class DestinationNode(Node):
    """``MediaStreamAudioDestinationNode``: its input becomes a redirected track."""

    def __init__(self, graph: AudioGraph, handle: str, track_handle: str, track_id: str | None
                 ) -> None:
        super().__init__(graph, handle)
        self.output = QueueTrack(lambda: False)
        source = RemoteSource()
        self.track = HostTrack(track_handle, label="MediaStreamAudioDestinationNode",
                               remote=source, track_id=track_id)
        source.bind(self.output)
        self._pts = 0

    def emit(self, samples: Samples) -> None:
        """Send one rendered block down the track."""
        frame = _s16_frame(samples, self.graph.rate)
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, self.graph.rate)
        self._pts += frame.samples
        self.output.put(frame)

    async def kill(self) -> None:
        """The track ends with the graph."""
        self.output.stop()


class AudioGraph:
    """The redirected half of one page ``AudioContext``."""

    KILL_ORDER = 3

    def __init__(self, session: PageSession, handle: str, rate: int, state: str) -> None:
        if not 3000 <= rate <= 768000:
            raise HostError("NotSupportedError", f"sample rate {rate} is out of range")
        self.session = session
        self.handle = handle
        self.rate = rate
        self.block = max(1, round(rate * BLOCK_SECONDS))
        self.nodes: dict[str, Node] = {}
        self.sink_inputs: list[Node] = []  # connected to the context's `destination`
        self.speaker: Speaker = session.state.speaker(1)
        self.frames = 0  # samples rendered: the graph's own currentTime
        self.state = "suspended"
        self._clock: asyncio.Task[None] | None = None
        self._playing_on: Speaker | None = None
        self.set_state(state)

    @property
    def time(self) -> float:
        """Seconds of audio rendered."""
        return self.frames / self.rate

    @property
    def sink_track_id(self) -> str:
        """The id a speaker record shows for what this context rendered."""
        return f"AudioContext {self.handle}"

    def set_state(self, state: str) -> None:
        """``running`` starts the clock, ``suspended``/``closed`` stop it."""
        if self.state == "closed":
            return
        self.state = state
        if state == "running" and self._clock is None:
            self._clock = asyncio.ensure_future(self._run())
        elif state != "running" and self._clock is not None:
            self._clock.cancel()
            self._clock = None
        self._update_speaker()

    def node(self, handle: str) -> Node:
        """A node of this graph by handle."""
        found = self.nodes.get(handle)
        if found is None:
            raise HostError("NotFoundError", f"no audio node {handle!r} in {self.handle}")
        return found

    def add(self, node: Node) -> None:
        """Register a new node (also in the session, which owns every handle)."""
        self.session.register(node.handle, node)
        self.nodes[node.handle] = node

    def connect(self, source: str, target: str) -> None:
        """``source.connect(target)``; ``target`` ``"destination"`` is the context's sink."""
        node = self.node(source)
        if target == "destination":
            if node not in self.sink_inputs:
                self.sink_inputs.append(node)
            self._update_speaker()
            return
        into = self.node(target)
        if isinstance(into, SourceNode):
            raise HostError("InvalidAccessError", "a MediaStreamAudioSourceNode has no input")
        if node not in into.inputs:
            into.inputs.append(node)

    def disconnect(self, source: str, target: str | None) -> None:
        """``source.disconnect([target])``."""
        node = self.node(source)
        if target in (None, "destination") and node in self.sink_inputs:
            self.sink_inputs.remove(node)
        if target is None:
            for into in self.nodes.values():
                if node in into.inputs:
                    into.inputs.remove(node)
        elif target != "destination":
            into = self.node(target)
            if node in into.inputs:
                into.inputs.remove(node)
        self._update_speaker()

    def set_sink(self, speaker: Speaker) -> None:
        """``AudioContext.setSinkId``: render on another speaker."""
        self.speaker = speaker
        self._update_speaker()

    def _update_speaker(self) -> None:
        wanted = self.speaker if self.sink_inputs and self.state == "running" else None
        if wanted is self._playing_on:
            return
        if self._playing_on is not None:
            self._playing_on.stop_source(self.sink_track_id)
        if wanted is not None:
            wanted.start_source(self.sink_track_id, [])
        self._playing_on = wanted

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        period = self.block / self.rate
        start = loop.time()
        ticks = 0
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                lateness = loop.time() - (start + ticks * period)
                if lateness < 0:
                    await asyncio.sleep(-lateness)
                elif lateness > _FALLING_BEHIND_S:  # the host was busy: skip, do not burst
                    start, ticks = loop.time(), 0
                self._tick()
                ticks += 1

    def _tick(self) -> None:
        memo: dict[str, Samples] = {}
        for node in self.nodes.values():
            if isinstance(node, SourceNode):
                memo[node.handle] = node.pull(self.block)
        outputs = {h: n.render(self.block, memo, frozenset()) for h, n in self.nodes.items()}
        self.frames += self.block
        for node in self.nodes.values():
            if isinstance(node, DestinationNode):
                node.emit(outputs[node.handle])
            elif isinstance(node, AnalyserNode):
                node.maybe_push()
        if self._playing_on is not None:
            mix = np.zeros(self.block)
            for node in self.sink_inputs:
                mix = mix + outputs.get(node.handle, np.zeros(self.block))
            self._playing_on.feed(self.sink_track_id, _s16_frame(mix, self.rate))

    async def close(self) -> None:
        """``AudioContext.close()``: rendering stops for good; a destination's track stays
        live but silent, as natively."""
        self.set_state("closed")
        for node in list(self.nodes.values()):
            if not isinstance(node, DestinationNode):
                await node.kill()
                del self.nodes[node.handle]
                self.session.forget(node.handle)
        self.sink_inputs.clear()
        self._update_speaker()

    async def kill(self) -> None:
        """The page went away or the RDP connection dropped: everything ends."""
        await self.close()
        for node in list(self.nodes.values()):
            await node.kill()
        self.nodes.clear()
