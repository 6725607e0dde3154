"""Redirected media tracks as the host holds them.

A :class:`HostTrack` is what a page's ``MediaStreamTrack`` proxy stands for. Its audio
comes either from a virtual microphone (a fresh :class:`ToneTrack` per consumer) or from
a :class:`RemoteSource`, the fan-out of one aiortc remote track. Consumers (RTP senders,
speakers) never hold the source directly: senders hold a :class:`SenderFeed` whose source
can be swapped (``replaceTrack``) or emptied (``track.stop()``) without ending aiortc's
RTP loop, which stops for good on the first ``MediaStreamError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from .devices import AudioAnalyser, DeviceInfo, ToneTrack

__all__ = ["HostTrack", "QueueTrack", "RemoteSource", "SenderFeed", "scaled", "silent_copy"]

_QUEUE_FRAMES = 25  # 0.5 s of 20 ms frames: a slow consumer loses old audio, not memory


def silent_copy(frame: AudioFrame) -> AudioFrame:
    """A frame shaped like ``frame`` but silent (what a disabled track renders)."""
    silent = AudioFrame.from_ndarray(
        np.zeros_like(frame.to_ndarray()), format=frame.format.name, layout=frame.layout.name
    )
    silent.sample_rate = frame.sample_rate
    silent.pts = frame.pts
    silent.time_base = frame.time_base
    return silent


def scaled(frame: AudioFrame, gain: float) -> AudioFrame:
    """``frame`` with its samples multiplied by ``gain`` (an element's volume), as s16."""
    data = frame.to_ndarray()
    integer = np.issubdtype(data.dtype, np.integer)
    floats = data.astype(np.float64) * gain / (1.0 if integer else 1.0 / 32767.0)
    samples = np.clip(floats, -32768, 32767).astype(np.int16)
    out = AudioFrame.from_ndarray(samples, format="s16p" if frame.format.is_planar else "s16",
                                  layout=frame.layout.name)
    out.sample_rate = frame.sample_rate
    out.pts = frame.pts
    out.time_base = frame.time_base
    return out


class QueueTrack(MediaStreamTrack):
    """A consumer of a :class:`RemoteSource`: frames arrive in a bounded queue."""

    kind = "audio"

    def __init__(self, is_muted: Callable[[], bool]) -> None:
        super().__init__()
        self.queue: asyncio.Queue[AudioFrame | None] = asyncio.Queue(_QUEUE_FRAMES)
        self._is_muted = is_muted

    def stop(self) -> None:
        """End the track and wake a consumer blocked in :meth:`recv`."""
        if self.readyState == "live":
            super().stop()
            self.put(None)

    def put(self, frame: AudioFrame | None) -> None:
        """Offer a frame (``None`` = end); the oldest frame is dropped when full."""
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
        self.queue.put_nowait(frame)

    async def recv(self) -> AudioFrame:
        """The next frame of the remote audio (silence while muted)."""
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self.queue.get()
        if frame is None:
            self.stop()
            raise MediaStreamError
        return silent_copy(frame) if self._is_muted() else frame


class RemoteSource:
    """Drains one aiortc remote track and fans its frames out to consumers.

    Always drained, even with no consumer: aiortc queues decoded frames without bound.
    """

    def __init__(self) -> None:
        self._consumers: set[QueueTrack] = set()
        self._task: asyncio.Task[None] | None = None
        self._on_end: list[Callable[[], None]] = []
        self.ended = False

    def bind(self, track: MediaStreamTrack) -> None:
        """Start pumping ``track`` (once)."""
        if self._task is None and not self.ended:
            self._task = asyncio.ensure_future(self._pump(track))

    def on_end(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when the remote track ends."""
        self._on_end.append(callback)

    def subscribe(self, is_muted: Callable[[], bool]) -> QueueTrack:
        """A new consumer."""
        consumer = QueueTrack(is_muted)
        if self.ended:
            consumer.put(None)
        self._consumers.add(consumer)
        return consumer

    def unsubscribe(self, consumer: QueueTrack) -> None:
        """Stop feeding ``consumer``."""
        self._consumers.discard(consumer)

    async def _pump(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                if isinstance(frame, AudioFrame):
                    for consumer in list(self._consumers):
                        consumer.put(frame)
        except (MediaStreamError, asyncio.CancelledError):
            pass
        finally:
            self.finish()

    def finish(self) -> None:
        """The remote track is gone: end every consumer and notify."""
        if self.ended:
            return
        self.ended = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
        for consumer in list(self._consumers):
            consumer.put(None)
        self._consumers.clear()
        for callback in self._on_end:
            callback()


class HostTrack:
    """The host side of one page ``MediaStreamTrack``.

    ``id`` is the track id the page sees (``MediaStreamTrack.id``); ``handle`` is the
    protocol's name for the object.
    """

    KILL_ORDER = 9  # after peers and elements, which consume tracks

    def __init__(
        self,
        handle: str,
        *,
        kind: str = "audio",
        label: str = "",
        device: DeviceInfo | None = None,
        remote: RemoteSource | None = None,
        track_id: str | None = None,
    ) -> None:
        self.handle = handle
        self.id = track_id or str(uuid.uuid4())
        self.kind = kind
        self.label = label
        self.device = device
        self.remote = remote
        self.enabled = True
        self.ended = False
        self._consumers: set[MediaStreamTrack] = set()
        self._on_ended: list[Callable[[HostTrack], None]] = []
        if remote is not None:
            remote.on_end(self._source_ended)

    def is_muted(self) -> bool:
        """Disabled tracks render and send silence."""
        return not self.enabled

    def on_ended(self, callback: Callable[[HostTrack], None]) -> None:
        """Call ``callback`` when the track ends on its own (not by ``stop()``)."""
        self._on_ended.append(callback)

    def new_consumer(self) -> MediaStreamTrack:
        """A frame source for one consumer (a sender or a speaker)."""
        if self.ended:
            raise MediaStreamError
        consumer: MediaStreamTrack
        if self.remote is not None:
            consumer = self.remote.subscribe(self.is_muted)
        elif self.device is not None and self.device.tone_hz is not None:
            consumer = ToneTrack(self.device.tone_hz, self.is_muted)
        else:  # a track with no media (e.g. a receiver's track before negotiation)
            consumer = QueueTrack(self.is_muted)
        self._consumers.add(consumer)
        return consumer

    def release(self, consumer: MediaStreamTrack) -> None:
        """A consumer is done with its frames."""
        self._consumers.discard(consumer)
        if self.remote is not None and isinstance(consumer, QueueTrack):
            self.remote.unsubscribe(consumer)
        consumer.stop()

    def clone(self, handle: str) -> HostTrack:
        """A new track on the same source (``MediaStreamTrack.clone``)."""
        copy = HostTrack(handle, kind=self.kind, label=self.label, device=self.device,
                         remote=self.remote)
        copy.enabled = self.enabled
        return copy

    def stop(self) -> None:
        """End the track: every consumer stops getting frames."""
        if self.ended:
            return
        self.ended = True
        for consumer in list(self._consumers):
            self.release(consumer)

    async def kill(self) -> None:
        """The track dies with its page or the RDP connection."""
        self.stop()

    def _source_ended(self) -> None:
        if not self.ended:
            self.stop()
            for callback in self._on_ended:
                callback(self)

    def describe(self) -> dict[str, Any]:
        """The track as the protocol reports it."""
        return {
            "track": self.handle,
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "enabled": self.enabled,
            "readyState": "ended" if self.ended else "live",
            "deviceId": self.device.deviceId if self.device else None,
            "groupId": self.device.groupId if self.device else None,
        }


class SenderFeed(MediaStreamTrack):
    """What an aiortc ``RTCRtpSender`` holds for its whole life.

    It forwards frames from the current :class:`HostTrack` and waits (sending nothing,
    like a native sender whose track ended) while there is none.
    """

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.source: HostTrack | None = None
        #: What the sender encoded lately (level, dominant frequency): the host's proof of
        #: what a call sends, whatever the far end is.
        self.analyser = AudioAnalyser()
        self._consumer: MediaStreamTrack | None = None
        self._changed = asyncio.Event()

    def set_source(self, track: HostTrack | None) -> None:
        """Swap the source (``replaceTrack``); ``None`` sends nothing."""
        if self._consumer is not None and self.source is not None:
            self.source.release(self._consumer)
        self.source = track
        self._consumer = None
        if track is not None and not track.ended:
            self._consumer = track.new_consumer()
        self._changed.set()

    async def recv(self) -> Any:
        """The next frame from the current source."""
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            consumer = self._consumer
            if consumer is None:
                self._changed.clear()
                await self._changed.wait()
                continue
            try:
                frame = await consumer.recv()
                if isinstance(frame, AudioFrame):
                    self.analyser.feed(frame)
                return frame
            except MediaStreamError:
                if consumer is self._consumer:
                    self._consumer = None

    def stop(self) -> None:
        """The sender is gone."""
        if self._consumer is not None and self.source is not None:
            self.source.release(self._consumer)
        self._consumer = None
        super().stop()
        self._changed.set()
