"""The local device's virtual microphones and speakers.

Each microphone is a sine tone of a known frequency, so a test can tell which one was
captured by looking at the dominant frequency at the far end. Each speaker is a sink that
analyses what is rendered on it (level, dominant frequency, which tracks and streams).
"""

from __future__ import annotations

import asyncio
import base64
import fractions
import hashlib
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from ..tones import MIC_TONE_AMPLITUDE, MIC_TONES_HZ

__all__ = [
    "SAMPLE_RATE",
    "SILENCE_DBFS",
    "AudioAnalyser",
    "DeviceInfo",
    "PlayedAudio",
    "Speaker",
    "ToneTrack",
    "default_microphones",
    "default_speakers",
    "dominant_hz",
    "frame_to_mono",
    "to_audio_rate",
]

SAMPLE_RATE = 48_000
FRAME_SAMPLES = 960  # 20 ms, Opus' natural packet size
#: What a speaker keeps of the audio it played (``Speaker.audio``): seconds, and the rate.
AUDIO_KEPT_S = 15.0
AUDIO_RATE = 16_000


def _stable_id(*parts: str) -> str:
    """A 64-hex-digit id like Chromium's, the same on every run and machine."""
    return hashlib.sha256(":".join(("mmr-reference", *parts)).encode()).hexdigest()


@dataclass(frozen=True)
class DeviceInfo:
    """A virtual device as ``enumerateDevices`` reports it (plus its tone, for mics)."""

    kind: str  # "audioinput" | "audiooutput"
    index: int  # 1-based, in enumeration order
    deviceId: str
    groupId: str
    label: str
    tone_hz: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The descriptor sent over the protocol."""
        return {
            "kind": self.kind,
            "index": self.index,
            "deviceId": self.deviceId,
            "groupId": self.groupId,
            "label": self.label,
            "toneHz": self.tone_hz,
        }


# Microphone n and speaker n share a group, like the two halves of one headset.
_GROUPS = ("Reference Headset", "Reference Speakerphone", "Reference Webcam")


def default_microphones(tones: tuple[float, ...] = MIC_TONES_HZ) -> list[DeviceInfo]:
    """The virtual microphones: mic 1 = 440 Hz, mic 2 = 880 Hz, mic 3 = 660 Hz
    (:data:`reference_impl.tones.MIC_TONES_HZ`)."""
    return [
        DeviceInfo(
            kind="audioinput",
            index=n,
            deviceId=_stable_id("mic", str(n)),
            groupId=_stable_id("group", _GROUPS[(n - 1) % len(_GROUPS)]),
            label=f"Reference Microphone {n} ({tone:g} Hz) - {_GROUPS[(n - 1) % len(_GROUPS)]}",
            tone_hz=tone,
        )
        for n, tone in enumerate(tones, start=1)
    ]


def default_speakers(count: int = 2) -> list[DeviceInfo]:
    """The virtual speakers (speaker 1 is the default output)."""
    return [
        DeviceInfo(
            kind="audiooutput",
            index=n,
            deviceId=_stable_id("speaker", str(n)),
            groupId=_stable_id("group", _GROUPS[(n - 1) % len(_GROUPS)]),
            label=f"Reference Speaker {n} - {_GROUPS[(n - 1) % len(_GROUPS)]}",
        )
        for n in range(1, count + 1)
    ]


class ToneTrack(MediaStreamTrack):
    """Real-time sine audio at 48 kHz in 20 ms frames: a virtual microphone's, or what an
    aiortc far end sends (``conformance.parties``), at ``amplitude`` (peak, full scale 1).

    One instance per consumer (each sender or speaker gets its own), because aiortc's
    consumers pull frames at their own pace; sharing one generator would run it at twice
    the speed for two consumers. ``is_muted`` is consulted per frame so that a disabled
    ``MediaStreamTrack`` produces silence, as the spec requires.
    """

    kind = "audio"

    def __init__(self, frequency: float, is_muted: Callable[[], bool] = lambda: False, *,
                 amplitude: float = MIC_TONE_AMPLITUDE) -> None:
        super().__init__()
        self.frequency = frequency
        self.amplitude = amplitude
        self._is_muted = is_muted
        self._sample = 0
        self._start: float | None = None

    def wave(self, n: np.ndarray[Any, np.dtype[np.int64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
        """The samples at indices ``n`` (48 kHz), full scale 1; a subclass may send another
        signal at the same pace (the call-quality measurement sends speech)."""
        return np.asarray(self.amplitude * np.sin(2 * math.pi * self.frequency * n / SAMPLE_RATE))

    async def recv(self) -> AudioFrame:
        """The next 20 ms frame, paced to the wall clock (each is due at start + pts)."""
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            wait = self._start + self._sample / SAMPLE_RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        if self.readyState != "live":
            raise MediaStreamError
        n = np.arange(self._sample, self._sample + FRAME_SAMPLES)
        if self._is_muted():
            samples = np.zeros(FRAME_SAMPLES, dtype=np.int16)
        else:
            samples = (self.wave(n) * 32767).astype(np.int16)
        frame = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._sample
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self._sample += FRAME_SAMPLES
        return frame


def frame_to_mono(frame: AudioFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Samples of one frame as mono floats in [-1, 1]."""
    data = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if frame.format.is_planar:
        mono = data.reshape(channels, -1).mean(axis=0)
    else:
        mono = data.reshape(-1, channels).mean(axis=1)
    scale = 32768.0 if np.issubdtype(data.dtype, np.integer) else 1.0
    result: np.ndarray[Any, np.dtype[np.float64]] = mono.astype(np.float64) / scale
    return result


#: The level a record reports for digital silence, or for nothing rendered lately.
SILENCE_DBFS = -200.0


class AudioAnalyser:
    """Level and dominant frequency of the most recent audio.

    Only what was fed within the last window's duration counts (plus a little slack for
    delivery jitter): a sink that stopped getting audio is silent now, whatever it got
    before. ``rmsDbfs`` is ``None`` before any audio and :data:`SILENCE_DBFS` for silence.
    """

    WINDOW = 1 << 14  # ~0.34 s at 48 kHz: ~3 Hz bins, enough to tell tones apart
    SLACK_S = 0.1

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buffer: deque[tuple[float, np.ndarray[Any, np.dtype[np.float64]]]] = deque()
        self._buffered = 0
        self.sample_rate = SAMPLE_RATE
        self.frames = 0

    def feed(self, frame: AudioFrame) -> None:
        """Add one frame."""
        self.feed_samples(frame_to_mono(frame), frame.sample_rate or SAMPLE_RATE)

    def feed_samples(self, mono: np.ndarray[Any, np.dtype[np.float64]], rate: int = SAMPLE_RATE,
                     *, counts: bool = True) -> None:
        """Add mono samples in [-1, 1] (a sound card's recording, a decoded frame).

        ``counts``: whether they count as a rendered frame; a sink's monitor delivers
        digital silence while nothing plays, which keeps the window current without
        counting as rendering.
        """
        self.sample_rate = rate
        if counts:
            self.frames += 1
        self._buffer.append((self._clock(), mono))
        self._buffered += len(mono)
        while self._buffered - len(self._buffer[0][1]) >= self.WINDOW:
            self._buffered -= len(self._buffer.popleft()[1])

    def reset(self) -> None:
        """Forget everything."""
        self._buffer.clear()
        self._buffered = 0
        self.frames = 0

    def summary(self) -> dict[str, Any]:
        """``{"frames", "rmsDbfs", "dominantHz"}`` of what was rendered lately."""
        if not self.frames:
            return {"frames": 0, "rmsDbfs": None, "dominantHz": None}
        horizon = self._clock() - self.WINDOW / self.sample_rate - self.SLACK_S
        recent = [chunk for at, chunk in self._buffer if at >= horizon]
        if not recent:
            return {"frames": self.frames, "rmsDbfs": SILENCE_DBFS, "dominantHz": None}
        samples = np.concatenate(recent)[-self.WINDOW:]
        rms = float(np.sqrt(np.mean(samples**2)))
        if rms <= 1e-9:
            return {"frames": self.frames, "rmsDbfs": SILENCE_DBFS, "dominantHz": None}
        level = max(20 * math.log10(rms), SILENCE_DBFS)
        dominant = dominant_hz(samples, self.sample_rate) if len(samples) >= 256 else None
        return {"frames": self.frames, "rmsDbfs": round(level, 2), "dominantHz": dominant}


#: Segments of the gap-aware spectrum: 43 ms, short enough to fit between a real audio
#: path's dropouts, long enough to tell the project's tones apart (the closest are 83 Hz).
_SEGMENT = 2048
#: Consecutive exact zeros that make a dropout (an underrun), not a zero crossing.
_DROPOUT_RUN = 32


def _has_dropout(segment: np.ndarray[Any, np.dtype[np.float64]]) -> bool:
    silent = np.abs(segment) < 1e-6
    if not silent.any():
        return False
    # The longest run of silent samples, without a Python loop.
    edges = np.flatnonzero(np.diff(np.concatenate(([0], silent.astype(np.int8), [0]))))
    return bool((edges[1::2] - edges[::2]).max() >= _DROPOUT_RUN)


def dominant_hz(samples: np.ndarray[Any, np.dtype[np.float64]], rate: int) -> float:
    """The strongest frequency of ``samples`` (mono, DC ignored), to about 3 Hz.

    Audio that went through a real device path (a sound card, a browser's renderer under
    load) has dropouts: a few ms of zeros every ~100 ms. Over one long window their
    periodicity moves the peak by a sideband (an 880 Hz tone measured at 967 Hz), so the
    power spectra of the segments without a dropout are averaged instead (Welch's method);
    audio without dropouts, or too little of it, is one window as before.
    """
    segments = [samples[i:i + _SEGMENT] for i in range(0, len(samples) - _SEGMENT + 1, _SEGMENT)]
    clean = [segment for segment in segments if not _has_dropout(segment)]
    if len(clean) == len(segments) or not clean:
        windows, size = [samples], len(samples)
    else:
        windows, size = clean, _SEGMENT
    # Zero-padding to the whole window keeps the bins as fine (interpolated) as one window's.
    padded = max(len(samples), size)
    power = sum(np.abs(np.fft.rfft(w * np.hanning(len(w)), padded)) ** 2 for w in windows)
    spectrum = np.asarray(power, dtype=np.float64)
    spectrum[0] = 0.0  # ignore DC
    return round(int(np.argmax(spectrum)) * rate / padded, 1)


@dataclass
class _Source:
    """One track rendered on a speaker."""

    track_id: str
    stream_ids: list[str]
    analyser: AudioAnalyser = field(default_factory=AudioAnalyser)
    active: bool = True


def to_audio_rate(mono: np.ndarray[Any, np.dtype[np.float64]], rate: int
                  ) -> np.ndarray[Any, np.dtype[np.float64]]:
    """``mono`` at ``rate`` brought to :data:`AUDIO_RATE`, the rate played audio is kept at."""
    step = max(1, rate // AUDIO_RATE)
    # The mean of each group of samples: a crude low-pass before keeping 16 kHz.
    return np.asarray(mono[:len(mono) // step * step].reshape(-1, step).mean(axis=1), dtype=np.float64)


class PlayedAudio:
    """What a speaker played lately, at :data:`AUDIO_RATE`, each chunk with the wall-clock
    time it played at: what a listener heard, for scoring call quality. One mechanism for the
    reference host's virtual speakers and the sound card's sinks (:mod:`conformance.soundcard`)."""

    def __init__(self) -> None:
        self._chunks: deque[tuple[float, np.ndarray[Any, np.dtype[np.float64]]]] = (
            deque(maxlen=int(AUDIO_KEPT_S * 50)))

    def add(self, at: float, mono: np.ndarray[Any, np.dtype[np.float64]], rate: int) -> None:
        """``mono`` (samples at ``rate``) played at ``at`` (epoch seconds)."""
        self._chunks.append((at, to_audio_rate(mono, rate)))

    def clear(self) -> None:
        """Forget what played."""
        self._chunks.clear()

    def recent(self, seconds: float) -> np.ndarray[Any, np.dtype[np.float64]]:
        """The last ``seconds`` of what played, at :data:`AUDIO_RATE`, as one signal (only
        chunks that played within that time: a speaker that stopped has nothing recent)."""
        horizon = time.time() - seconds - 0.1  # a little slack for delivery jitter
        recent = [chunk for at, chunk in self._chunks if at >= horizon]
        return np.concatenate(recent)[-int(seconds * AUDIO_RATE):] if recent else np.zeros(0)

    def audio(self) -> dict[str, Any]:
        """What played in the last :data:`AUDIO_KEPT_S` seconds: chunks of 16 kHz 16-bit PCM
        (base64), each with the wall-clock time it played at."""
        return {"rate": AUDIO_RATE, "chunks": [
            [at, base64.b64encode((np.clip(chunk, -1, 1) * 32767).astype("<i2").tobytes()).decode()]
            for at, chunk in self._chunks]}


class Speaker:
    """A virtual output device: records what is rendered on it.

    The record keeps one analyser per rendered track plus one over everything (a mix in
    arrival order, enough to name the dominant tone when only one source plays).
    """

    def __init__(self, info: DeviceInfo) -> None:
        self.info = info
        self._sources: dict[str, _Source] = {}
        self._overall = AudioAnalyser()
        self._last_frame_at: float | None = None
        #: What played lately: what a listener heard, for scoring call quality (``speakerAudio``).
        self._audio = PlayedAudio()

    def start_source(self, track_id: str, stream_ids: list[str]) -> None:
        """A track starts playing here."""
        source = self._sources.get(track_id)
        if source is None:
            self._sources[track_id] = _Source(track_id, list(stream_ids))
        else:
            source.active = True
            source.stream_ids = list(dict.fromkeys([*source.stream_ids, *stream_ids]))

    def stop_source(self, track_id: str) -> None:
        """A track stops playing here (its record stays until :meth:`reset`)."""
        if track_id in self._sources:
            self._sources[track_id].active = False

    def feed(self, track_id: str, frame: AudioFrame) -> None:
        """One frame of ``track_id`` was rendered."""
        source = self._sources.get(track_id)
        if source is None or not source.active:
            return
        source.analyser.feed(frame)
        self._overall.feed(frame)
        self._last_frame_at = time.time()
        self._audio.add(self._last_frame_at, frame_to_mono(frame), frame.sample_rate)

    def reset(self) -> None:
        """Forget what was rendered; sources still attached keep recording afresh."""
        for track_id, source in list(self._sources.items()):
            if source.active:
                source.analyser.reset()
            else:
                del self._sources[track_id]
        self._overall.reset()
        self._last_frame_at = None
        self._audio.clear()

    def audio(self) -> dict[str, Any]:
        """What played in the last :data:`AUDIO_KEPT_S` seconds (:meth:`PlayedAudio.audio`)."""
        return self._audio.audio()

    def record(self) -> dict[str, Any]:
        """What this speaker rendered (see ``ReferenceHost.speaker_record``)."""
        overall = self._overall.summary()
        return {
            "speaker": self.info.index,
            "deviceId": self.info.deviceId,
            "label": self.info.label,
            **overall,
            "lastFrameAt": self._last_frame_at,
            "trackIds": list(self._sources),
            "streamIds": list(dict.fromkeys(s for src in self._sources.values() for s in src.stream_ids)),
            "activeTrackIds": [t for t, s in self._sources.items() if s.active],
            "sources": [
                {"trackId": s.track_id, "streamIds": s.stream_ids, "active": s.active,
                 **s.analyser.summary()}
                for s in self._sources.values()
            ],
        }
