"""Audio for remote parties: a known tone to send, and an analysis of what was received.

A far end proves audio flowed by what it measured (level and dominant frequency of the
samples it decoded), never by what an app's UI claims. The tone is the reference
implementation's :class:`~reference_impl.host.devices.ToneTrack` (one generator for
virtual microphones and far ends), re-exported here.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from reference_impl.host.devices import SAMPLE_RATE, ToneTrack

__all__ = ["AudioMeter", "ToneTrack", "analyse"]

_ANALYSIS_SECONDS = 0.5


@dataclass
class AudioAnalysis:
    """Level and dominant frequency of a stretch of audio."""

    frames: int
    level_dbfs: float
    dominant_hz: float

    def to_json(self) -> dict[str, Any]:
        """As the page and reports see it."""
        return {"frames": self.frames, "levelDbfs": round(self.level_dbfs, 1),
                "dominantHz": round(self.dominant_hz, 1)}


def analyse(samples: np.ndarray[Any, Any], rate: int, frames: int) -> AudioAnalysis:
    """RMS level in dBFS and the frequency of the strongest FFT bin."""
    if samples.size == 0:
        return AudioAnalysis(frames, -200.0, 0.0)
    floats = samples.astype(np.float64) / 32768.0
    rms = float(np.sqrt(np.mean(floats**2)))
    level = 20 * np.log10(rms) if rms > 0 else -200.0
    spectrum = np.abs(np.fft.rfft(floats * np.hanning(floats.size)))
    spectrum[0] = 0.0  # ignore DC
    peak = int(np.argmax(spectrum))
    return AudioAnalysis(frames, float(level), peak * rate / floats.size)


class AudioMeter:
    """Consumes a received track and keeps the last half second for analysis."""

    def __init__(self) -> None:
        self.frames = 0
        self.rate = SAMPLE_RATE
        self._recent: deque[np.ndarray[Any, Any]] = deque()
        self._recent_samples = 0
        self._task: asyncio.Task[None] | None = None

    def consume(self, track: MediaStreamTrack) -> None:
        """Start reading ``track`` until it ends."""
        self._task = asyncio.ensure_future(self._read(track))

    async def _read(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if not isinstance(frame, AudioFrame):
                continue
            self.frames += 1
            self.rate = frame.sample_rate
            data = frame.to_ndarray()
            # Packed stereo arrives as one row of interleaved samples: keep one channel.
            channels = len(frame.layout.channels)
            mono = data.reshape(-1)[::channels] if channels > 1 else data.reshape(-1)
            self._recent.append(mono)
            self._recent_samples += mono.size
            limit = int(self.rate * _ANALYSIS_SECONDS)
            while self._recent_samples - self._recent[0].size >= limit:
                self._recent_samples -= self._recent.popleft().size

    def analysis(self) -> AudioAnalysis:
        """What was received recently."""
        samples = np.concatenate(list(self._recent)) if self._recent else np.zeros(0, np.int16)
        return analyse(samples, self.rate, self.frames)

    def stop(self) -> None:
        """Stop reading."""
        if self._task is not None:
            self._task.cancel()
