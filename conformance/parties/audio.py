"""Audio for remote parties: a known tone to send, and an analysis of what was received.

A far end proves audio flowed by what it measured (level and dominant frequency of the
samples it decoded), never by what an app's UI claims. The tone is the reference
implementation's :class:`~reference_impl.host.devices.ToneTrack` (one generator for
virtual microphones and far ends), and the analysis is its
:class:`~reference_impl.host.devices.AudioAnalyser` (one analysis for virtual speakers,
the sound card's sinks and far ends: same window, downmix and "no tone" value).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from reference_impl.host.devices import SILENCE_DBFS, AudioAnalyser, ToneTrack

__all__ = ["AudioAnalysis", "AudioMeter", "ToneTrack"]


@dataclass
class AudioAnalysis:
    """Level and dominant frequency of a stretch of audio (``dominant_hz`` is ``None``
    when no tone can be named: nothing received lately, or silence)."""

    frames: int
    level_dbfs: float
    dominant_hz: float | None

    @classmethod
    def of(cls, summary: dict[str, Any]) -> AudioAnalysis:
        """From an :meth:`AudioAnalyser.summary`."""
        level = summary.get("rmsDbfs")
        return cls(int(summary.get("frames") or 0),
                   SILENCE_DBFS if level is None else float(level), summary.get("dominantHz"))

    def to_json(self) -> dict[str, Any]:
        """As the page and reports see it."""
        return {"frames": self.frames, "levelDbfs": round(self.level_dbfs, 1),
                "dominantHz": None if self.dominant_hz is None else round(self.dominant_hz, 1)}


class AudioMeter:
    """Consumes a received track and analyses what arrived lately."""

    def __init__(self) -> None:
        self._analyser = AudioAnalyser()
        self._task: asyncio.Task[None] | None = None

    @property
    def frames(self) -> int:
        """How many frames arrived."""
        return self._analyser.frames

    def consume(self, track: MediaStreamTrack) -> None:
        """Start reading ``track`` until it ends."""
        self._task = asyncio.ensure_future(self._read(track))

    async def _read(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if isinstance(frame, AudioFrame):
                self._analyser.feed(frame)

    def analysis(self) -> AudioAnalysis:
        """What was received recently."""
        return AudioAnalysis.of(self._analyser.summary())

    def stop(self) -> None:
        """Stop reading."""
        if self._task is not None:
            self._task.cancel()
