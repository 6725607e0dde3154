"""Measured call quality: a speech-quality score and the mouth-to-ear delay.

The score is ViSQOL's MOS-LQO in speech mode (PyPI ``visqol-python``, a pure-Python port of
Google's ViSQOL v3: no build step, no model download; its speech model ships in the wheel):
the signal that was sent is the reference, what the chosen speaker played is the degraded
signal, both at 16 kHz. Its speech scale is scaled so that a signal identical to its
reference scores :data:`TOP_SCORE` (5.0), the most the estimator allows; Opus alone costs a
few tenths (a clean call measured 4.6 here). The validation test holds the scale: a perfect
copy 5.0, heavy loss clearly lower. The delay is where the signals' cross-correlation peaks.
With ``numba`` installed ViSQOL's inner loops are compiled (once per machine, cached): a
score of 6 s of speech then takes seconds instead of half a minute.

The signal is speech-like (:func:`speech_like`): voiced syllables (a glottal pulse train
with a moving pitch through three formant resonators) separated by pauses, so that ViSQOL's
voice-activity and alignment steps see what they expect, and Opus codes it as speech.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["RATE", "TOP_SCORE", "CallQuality", "delay_ms", "measure", "score", "speech_like",
           "timeline"]

#: ViSQOL's speech mode works at 16 kHz.
RATE = 16_000
#: ViSQOL speech-mode MOS-LQO of a signal against itself (visqol-python 3.8): the ceiling.
TOP_SCORE = 5.0

Signal = NDArray[np.float64]


def speech_like(seconds: float, rate: int = RATE, *, seed: int = 1) -> Signal:
    """A deterministic speech-like signal of ``seconds`` at ``rate``, peak about 0.5.

    Syllables of 120-280 ms with 40-200 ms pauses; pitch gliding 100-220 Hz; formants of
    five vowels. Deterministic for a ``seed``, so sender and scorer make the same signal."""
    draw = np.random.default_rng(seed)
    out = np.zeros(int(seconds * rate))
    vowels = ((730, 1090, 2440), (270, 2290, 3010), (530, 1840, 2480), (570, 840, 2410),
              (300, 870, 2240))
    at = int(0.1 * rate)
    while at < len(out):
        length = int(draw.uniform(0.12, 0.28) * rate)
        end = min(len(out), at + length)
        n = end - at
        f0 = np.linspace(draw.uniform(100, 220), draw.uniform(100, 220), n)
        phase = np.cumsum(f0 / rate)
        pulses = np.diff(np.floor(phase), prepend=0.0)  # one impulse per pitch period
        voiced = np.zeros(n)
        for formant, bandwidth in zip(vowels[int(draw.integers(len(vowels)))], (80, 100, 120),
                                      strict=True):
            voiced += _resonate(pulses, formant, bandwidth, rate)
        envelope = np.sin(np.linspace(0, math.pi, n)) ** 0.5
        out[at:end] = voiced * envelope
        at = end + int(draw.uniform(0.04, 0.2) * rate)
    peak = float(np.max(np.abs(out))) or 1.0
    return out * (0.5 / peak)


def _resonate(x: Signal, frequency: float, bandwidth: float, rate: int) -> Signal:
    """A two-pole resonator (a formant) applied to ``x``."""
    from scipy.signal import lfilter

    r = math.exp(-math.pi * bandwidth / rate)
    a = [1.0, -2 * r * math.cos(2 * math.pi * frequency / rate), r * r]
    return np.asarray(lfilter([1 - r], a, x), dtype=np.float64)


def delay_ms(sent: Signal, played: Signal, rate: int = RATE) -> float | None:
    """How much later ``played`` carries ``sent`` (ms), from the cross-correlation's peak;
    ``None`` when the peak is too weak to be the signal (nothing of it was played).

    The peak is judged against what played while the signal would have (the window it
    lines up with), not against the whole record: a record that also holds other sound
    before or after (the far end's tone still in a sink's buffers when its speech starts)
    carries the signal no less."""
    from scipy.signal import correlate

    if not len(sent) or not len(played):
        return None
    corr = correlate(played, sent, mode="full", method="fft")
    lags = np.arange(-len(sent) + 1, len(played))
    best = int(np.argmax(corr))
    lag = int(lags[best])
    window = played[max(lag, 0):max(lag + len(sent), 0)]
    norm = float(np.linalg.norm(sent) * np.linalg.norm(window)) or 1.0
    if corr[best] / norm < 0.1:
        return None
    return float(lag) * 1000.0 / rate


def score(sent: Signal, played: Signal, rate: int = RATE) -> float:
    """ViSQOL speech-mode MOS-LQO of ``played`` against ``sent`` (same length and rate)."""
    import contextlib
    import io
    import logging

    from visqol import VisqolApi

    api = VisqolApi()
    logging.getLogger("visqol").setLevel(logging.ERROR)
    with contextlib.redirect_stderr(io.StringIO()):  # its fallback warning, not ours to show
        api.create(mode="speech", use_lattice_model=False)
        result: Any = api.measure_from_arrays(sent, played, rate)
    return float(result.moslqo)


@dataclass(frozen=True)
class CallQuality:
    """One measurement: the score, the delay, and how much of the signal was compared."""

    mos: float | None
    delay_ms: float | None
    seconds: float

    def text(self) -> str:
        """In words, for a check's evidence."""
        if self.mos is None:
            return "the sent speech was not found in what played"
        return (f"MOS-LQO {self.mos:.2f} (ViSQOL speech; {TOP_SCORE:g} is a perfect copy), "
                f"mouth-to-ear delay {self.delay_ms:.0f} ms over {self.seconds:.1f} s")


def measure(sent: Signal, played: Signal, rate: int = RATE) -> CallQuality:
    """Align ``played`` to ``sent`` by the delay, then score the overlap."""
    delay = delay_ms(sent, played, rate)
    if delay is None:
        return CallQuality(None, None, 0.0)
    shift = round(delay * rate / 1000.0)
    aligned = played[shift:] if shift >= 0 else np.concatenate([np.zeros(-shift), played])
    n = min(len(sent), len(aligned))
    if n < rate:  # under a second in common: no score worth giving
        return CallQuality(None, delay, n / rate)
    return CallQuality(score(sent[:n], aligned[:n], rate), delay, n / rate)


def timeline(arrivals: list[tuple[float, Signal]], started: float, seconds: float) -> Signal:
    """What played, at 16 kHz from ``started`` (epoch seconds): each 20 ms chunk at its
    arrival time (one that arrives while the previous still plays is queued after it, as a
    player does); what never arrived stays silent where it should have played."""
    out = np.zeros(int(seconds * RATE) + RATE)
    cursor = 0
    for at, samples in arrivals:
        start = max(cursor, int((at - started) * RATE))
        if start < 0 or start + len(samples) > len(out):
            continue
        out[start:start + len(samples)] = samples
        cursor = start + len(samples)
    return out
