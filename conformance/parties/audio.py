"""Audio for remote parties: a known tone to send, and an analysis of what was received.

A far end proves audio flowed by what it measured (level and dominant frequency of the
samples it decoded), never by what an app's UI claims.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

__all__ = ["AudioMeter", "ToneTrack", "analyse"]

SAMPLE_RATE = 48_000
FRAME_SECONDS = 0.02
_ANALYSIS_SECONDS = 0.5


class ToneTrack(MediaStreamTrack):
    """An audio track that plays a sine tone in real time (20 ms frames, 48 kHz mono)."""

    kind = "audio"

    def __init__(self, frequency: float, amplitude: float = 0.3) -> None:
        super().__init__()
        self.frequency = frequency
        self.amplitude = amplitude
        self._samples = int(SAMPLE_RATE * FRAME_SECONDS)
        self._pts = 0
        self._start: float | None = None

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            # Pace frames in real time: each frame is due at start + pts / rate.
            due = self._start + self._pts / SAMPLE_RATE
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        t = (np.arange(self._samples) + self._pts) / SAMPLE_RATE
        wave = (self.amplitude * 32767 * np.sin(2 * np.pi * self.frequency * t)).astype(np.int16)
        frame = AudioFrame.from_ndarray(wave.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self._pts += self._samples
        return frame


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
