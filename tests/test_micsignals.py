"""The sound card's microphone signals: a tone with a phrase underneath, and the phrase
recognised by correlation in what a speaker played (no browser: the signals themselves)."""

from __future__ import annotations

import numpy as np
import pytest

from conformance.micsignals import SPEECH_MATCH, Phrases, mic_samples, name_signal, phrase
from conformance.quality import RATE, speech_like
from reference_impl.host.devices import SAMPLE_RATE, dominant_hz, to_audio_rate
from reference_impl.tones import CERTIFY_FAR_END_TONE_HZ, MIC_TONES_HZ

TONES = dict(enumerate(MIC_TONES_HZ, start=1))


def _phrases() -> tuple[dict[int, np.ndarray], Phrases]:
    said = {index: to_audio_rate(phrase(index, SAMPLE_RATE), SAMPLE_RATE) for index in TONES}
    return said, Phrases(said)


def _through_a_loaded_path(words: np.ndarray, start: int) -> np.ndarray:
    """2 s of ``words`` from ``start`` as a loaded browser plays them: quieter, with 20 ms
    gaps, and 10 ms skipped here and there (its jitter buffer)."""
    out, at = [], start
    while sum(len(chunk) for chunk in out) < 2 * RATE:
        out += [0.4 * words[at % len(words):at % len(words) + 4000], np.zeros(320)]
        at += 4000 + 160
    return np.concatenate(out)[:2 * RATE]


def test_a_microphone_is_its_tone_with_its_phrase_underneath() -> None:
    n = np.arange(SAMPLE_RATE)
    words = phrase(2, SAMPLE_RATE)
    samples = mic_samples(n, SAMPLE_RATE, MIC_TONES_HZ[1], words)
    assert float(np.max(np.abs(samples))) <= 0.81  # tone 0.5 + phrase 0.3: never clips
    assert abs(dominant_hz(samples[-16384:], SAMPLE_RATE) - MIC_TONES_HZ[1]) < 3
    # The phrase goes on from the sample number: chunk after chunk is one signal.
    later = mic_samples(n + len(words), SAMPLE_RATE, MIC_TONES_HZ[1], words)
    assert np.allclose(samples, later, atol=1e-6)
    assert not np.allclose(phrase(1, SAMPLE_RATE), phrase(3, SAMPLE_RATE))


def test_a_phrase_is_recognised_through_gaps_skips_and_a_loud_tone() -> None:
    said, phrases = _phrases()
    played = _through_a_loaded_path(said[3], start=12_345)
    played = played + 0.5 * np.sin(2 * np.pi * MIC_TONES_HZ[0] * np.arange(len(played)) / RATE)
    heard = phrases.recognise(played)
    assert heard is not None and heard["microphone"] == 3 and heard["share"] >= SPEECH_MATCH, heard
    # A tone no microphone or far end plays names nothing (noise, a hum): the phrase does.
    hum = _through_a_loaded_path(said[3], start=12_345)
    hum = hum + 0.5 * np.sin(2 * np.pi * 300.0 * np.arange(len(hum)) / RATE)
    named = name_signal(dominant_hz(hum[-16384:], RATE), TONES, lambda: phrases.recognise(hum))
    assert named["signal"] == "microphone 3" and named["signalBy"] == "speech", named


def test_a_tone_names_its_microphone_first_and_silence_or_a_tone_is_no_phrase() -> None:
    _said, phrases = _phrases()
    tone = 0.5 * np.sin(2 * np.pi * MIC_TONES_HZ[0] * np.arange(2 * RATE) / RATE)
    never = lambda: pytest.fail("a tone that names a microphone needs no phrase")  # noqa: E731
    assert name_signal(MIC_TONES_HZ[0], TONES, never) == {
        "signal": "microphone 1", "signalBy": "tone", "speech": None}
    heard = phrases.recognise(tone)
    assert heard is None or heard["share"] < SPEECH_MATCH, heard
    assert phrases.recognise(np.zeros(2 * RATE)) is None
    # Silence, or another tone of the project (the far end's), is not compared with phrases.
    assert name_signal(None, TONES, never)["signal"] is None
    assert name_signal(CERTIFY_FAR_END_TONE_HZ, TONES, never) == {
        "signal": None, "signalBy": None, "speech": None}


def test_another_speech_signal_is_rarely_taken_for_a_microphone() -> None:
    """The far end's call-quality speech (seed 1) is none of the microphones' phrases: in
    at most one 2 s window of six is it taken for one (the phrases are alike: one voice)."""
    _said, phrases = _phrases()
    far_end = speech_like(12.0, RATE, seed=1)
    results = [phrases.recognise(far_end[at:at + 2 * RATE]) for at in range(0, 10 * RATE, 2 * RATE)]
    taken = [r for r in results if r is not None and r["share"] >= SPEECH_MATCH]
    assert len(taken) <= 1, results
