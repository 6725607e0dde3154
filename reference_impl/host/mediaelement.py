"""A page's media element playing redirected audio, as the shim's ``mediaelement.js``
mirrors it: what it renders on which virtual speaker, at what volume."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from .devices import Speaker
from .tracks import HostTrack, scaled

if TYPE_CHECKING:
    from .session import PageSession

__all__ = ["ElementHandle"]


class ElementHandle:
    """An HTMLMediaElement of the page whose ``srcObject`` carries redirected audio.

    While playing, each of its audio tracks is rendered on the element's sink (a virtual
    speaker); the speaker records what it got.
    """

    KILL_ORDER = 1

    def __init__(self, session: PageSession, handle: str) -> None:
        self.session = session
        self.handle = handle
        self.speaker: Speaker = session.state.speaker(1)
        self.tracks: list[HostTrack] = []
        self.stream_ids: list[str] = []
        self.volume = 1.0
        self.muted = False
        self._renders: dict[str, tuple[MediaStreamTrack, asyncio.Task[None]]] = {}

    @property
    def gain(self) -> float:
        """What ``volume`` and ``muted`` make of the samples."""
        return 0.0 if self.muted else self.volume

    def play(self, tracks: list[HostTrack], stream_ids: list[str]) -> None:
        """Render ``tracks`` (replacing what played before)."""
        self.stop()
        self.tracks = [t for t in tracks if t.kind == "audio"]
        self.stream_ids = stream_ids
        for track in self.tracks:
            if track.ended:
                continue
            consumer = track.new_consumer()
            self.speaker.start_source(track.id, stream_ids)
            task = asyncio.ensure_future(self._render(track, consumer, self.speaker))
            self._renders[track.id] = (consumer, task)

    async def _render(self, track: HostTrack, consumer: MediaStreamTrack, speaker: Speaker) -> None:
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                frame = await consumer.recv()
                if isinstance(frame, AudioFrame):
                    gain = self.gain
                    speaker.feed(track.id, frame if gain == 1.0 else scaled(frame, gain))
        speaker.stop_source(track.id)

    def stop(self) -> None:
        """Stop rendering (pause, srcObject change, element gone)."""
        for track in self.tracks:
            render = self._renders.pop(track.id, None)
            if render is not None:
                consumer, task = render
                task.cancel()
                track.release(consumer)
            self.speaker.stop_source(track.id)
        self._renders.clear()

    def set_speaker(self, speaker: Speaker) -> None:
        """``setSinkId``: move what plays to another speaker."""
        playing = bool(self._renders)
        tracks, streams = self.tracks, self.stream_ids
        self.stop()
        self.speaker = speaker
        if playing:
            self.play(tracks, streams)

    async def kill(self) -> None:
        """Redirected audio stops with the connection."""
        self.stop()
