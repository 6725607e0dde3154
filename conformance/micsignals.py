"""What the sound card's microphones play, and how what a speaker played is named.

Each microphone (:mod:`conformance.soundcard`) plays its tone, the reference host's for the
same microphone (:data:`reference_impl.tones.MIC_TONES_HZ`), and underneath it its own
phrase: the call-quality speech signal (:func:`conformance.quality.speech_like`, one signal
source) seeded by the microphone's number, looped. A speaker's audio is named by its
dominant frequency (the tone) as on the reference host; where the tone did not survive
(Chromium's noise suppression gates steady tones at times), by correlating the last
:data:`SPEECH_WINDOW_S` seconds with each phrase (:class:`Phrases`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from conformance.quality import RATE as SPEECH_RATE
from conformance.quality import speech_like
from reference_impl.tones import (
    AIORTC_FAR_END_TONE_HZ,
    CERTIFY_FAR_END_TONE_HZ,
    MIC_TONE_AMPLITUDE,
    MIC_TONES_HZ,
    NATIVE_FAR_END_TONE_HZ,
    NATIVE_MIC_TONE_HZ,
    SAMPLE_RINGTONE_HZ,
    TONE_TOLERANCE_HZ,
)

__all__ = ["SPEECH_MATCH", "SPEECH_WINDOW_S", "Phrases", "Signal", "mic_samples", "name_signal",
           "phrase", "tone_name"]

Signal = NDArray[np.float64]

#: Each microphone's phrase loops every this many seconds.
_PHRASE_S = 6.0
#: Its peak (the tone's is MIC_TONE_AMPLITUDE, 0.5): together they never clip, and the tone
#: stays the dominant frequency while it is heard.
_PHRASE_PEAK = 0.3
#: How much of what a speaker played lately is compared with the phrases (16 kHz).
SPEECH_WINDOW_S = 2.0
#: The window is compared in pieces this long, each on its own: audio through a loaded
#: browser is stretched and has gaps (its jitter buffer), so one alignment does not hold
#: for 2 s, but it holds for a fifth of a second.
_PIECE_S = 0.2
#: Only the band above the microphones' tones (the highest is 880 Hz): their tone, even
#: loud, neither helps nor hides a phrase there, and speech keeps its formants there (a
#: loud tone near 1.2 kHz, the certification far end's, leaks into it and hides it).
_BAND_HZ = (1500.0, 6000.0)
#: A microphone is named by its phrase when that phrase correlates best with at least this
#: share of the window's voiced pieces, and with at least :data:`_MIN_PIECES` of them. The
#: phrases are alike (five vowels, one voice): another speech signal (the far end's
#: call-quality speech) reached a share of 0.6 in one window of ten, the phrase itself
#: through Chromium's processing a median of 0.8 (tests/test_soundcard.py).
SPEECH_MATCH = 0.7
_MIN_PIECES = 4
#: A piece votes only if it correlates at least this well with its best phrase (a piece of
#: the phrase itself after Chromium's processing and Opus: 0.3-0.95; a tone's leak into the
#: band, or noise, stays under it).
_PIECE_MATCH = 0.3
#: Every tone of the project (:mod:`reference_impl.tones`): a speaker whose dominant
#: frequency is one of them plays that tone, and comparing phrases (tens of milliseconds)
#: is skipped; speakers mostly play tones, and they are polled often.
_KNOWN_TONES_HZ = (*MIC_TONES_HZ, AIORTC_FAR_END_TONE_HZ, NATIVE_FAR_END_TONE_HZ,
                   CERTIFY_FAR_END_TONE_HZ, NATIVE_MIC_TONE_HZ, SAMPLE_RINGTONE_HZ)
#: Microphone ``n``'s phrase is seeded ``_SEED_BASE + n``: never seed 1, the far end's
#: call-quality speech (:mod:`conformance.certify.flows.quality`).
_SEED_BASE = 100


def phrase(microphone: int, rate: int) -> Signal:
    """Microphone ``microphone``'s phrase at ``rate``: :data:`_PHRASE_S` seconds of the
    call-quality speech signal, with a seed of its own."""
    return _PHRASE_PEAK / 0.5 * speech_like(_PHRASE_S, rate, seed=_SEED_BASE + microphone)


def mic_samples(n: NDArray[np.int64], rate: int, tone_hz: float, words: Signal | None) -> Signal:
    """A microphone's samples number ``n`` (counted from its start): its tone, plus its
    phrase looped (``words``, at ``rate``) if it has one."""
    wave = MIC_TONE_AMPLITUDE * np.sin(2 * math.pi * tone_hz * n / rate)
    return wave + words[n % len(words)] if words is not None else wave


def _band(x: Signal, rate: int) -> Signal:
    from scipy.signal import butter, sosfilt

    return np.asarray(sosfilt(butter(4, _BAND_HZ, btype="band", fs=rate, output="sos"), x), dtype=np.float64)


class Phrases:
    """The microphones' phrases, ready to be recognised in what a speaker played (at
    ``rate``): each is compared piece by piece (normalised cross-correlation over every
    offset of the looped phrase), and each piece votes for the phrase it matches best."""

    def __init__(self, phrases: dict[int, Signal], rate: int = SPEECH_RATE) -> None:
        self.rate = rate
        self._n = int(_PIECE_S * rate)
        self._prepared: dict[int, tuple[Signal, Signal]] = {}
        for index, words in phrases.items():
            looped = _band(np.concatenate([words, words[:self._n - 1]]), rate)
            energy = np.cumsum(np.concatenate(([0.0], looped**2)))
            # The norm of each stretch of the phrase a piece can be compared with.
            stretch = np.sqrt(np.maximum(energy[self._n:] - energy[:-self._n], 0.0))
            # Offsets where the phrase pauses are left out (infinite norm: no correlation):
            # anything divided by their little energy would look like a match.
            stretch[stretch < 0.2 * float(np.median(stretch))] = np.inf
            self._prepared[index] = (looped, stretch)

    def __bool__(self) -> bool:
        return bool(self._prepared)

    def votes(self, played: Signal) -> tuple[dict[int, int], int]:
        """For each phrase, how many of ``played``'s voiced pieces match it best (and well
        enough); and how many voiced pieces there were (one well under the window's level is
        a pause)."""
        from scipy.signal import correlate

        band = _band(played, self.rate)
        level = float(np.sqrt(np.mean(band**2))) if len(band) else 0.0
        tally = dict.fromkeys(self._prepared, 0)
        voiced = 0
        for at in range(0, len(band) - self._n + 1, self._n):
            piece = band[at:at + self._n]
            norm = float(np.linalg.norm(piece))
            if level <= 1e-6 or norm / math.sqrt(self._n) < 0.3 * level:
                continue
            voiced += 1
            best = {index: float(np.max(correlate(looped, piece, mode="valid", method="fft")
                                        / (stretch * norm)))
                    for index, (looped, stretch) in self._prepared.items()}
            winner = max(best, key=lambda index: best[index])
            if best[winner] >= _PIECE_MATCH:
                tally[winner] += 1
        return tally, voiced

    def recognise(self, played: Signal) -> dict[str, Any] | None:
        """The phrase ``played`` is, if any: ``{"microphone", "share", "pieces"}`` (the share
        of voiced pieces that matched it best), or ``None`` without enough voiced audio."""
        tally, voiced = self.votes(played)
        if voiced < _MIN_PIECES:
            return None
        index = max(tally, key=lambda key: tally[key])
        return {"microphone": index, "share": round(tally[index] / voiced, 2), "pieces": voiced}


def tone_name(hz: float | None, tones: dict[int, float]) -> str | None:
    """Which microphone (by index) a dominant frequency is (``"microphone 2"``), or ``None``."""
    if hz is None:
        return None
    for index, tone in tones.items():
        if abs(hz - tone) <= TONE_TOLERANCE_HZ:
            return f"microphone {index}"
    return None


def name_signal(hz: float | None, tones: dict[int, float],
                recognise: Callable[[], dict[str, Any] | None]) -> dict[str, Any]:
    """What a speaker played, named: ``signal`` (``"microphone 2"`` or ``None``), ``signalBy``
    (``"tone"`` or ``"speech"``) and ``speech`` (where the tone named nothing: what
    ``recognise`` says of the last seconds, :meth:`Phrases.recognise`; ``None`` otherwise)."""
    signal = tone_name(hz, tones)
    if signal is not None:
        return {"signal": signal, "signalBy": "tone", "speech": None}
    if hz is None or any(abs(hz - tone) <= TONE_TOLERANCE_HZ for tone in _KNOWN_TONES_HZ):
        return {"signal": None, "signalBy": None, "speech": None}  # silence, or another tone
    # Only now: recognising a phrase costs tens of milliseconds, a tone almost nothing.
    heard = recognise()
    if heard is not None and heard["share"] >= SPEECH_MATCH:
        return {"signal": f"microphone {heard['microphone']}", "signalBy": "speech", "speech": heard}
    return {"signal": None, "signalBy": None, "speech": heard}
