"""Host pieces without a browser: rejected m-sections, the analyser's maths, speaker records."""

from __future__ import annotations

import fractions
from typing import Any

import numpy as np
import pytest
from av import AudioFrame

from reference_impl.host.devices import SILENCE_DBFS, AudioAnalyser
from reference_impl.host.sdp import reject_mids, rejected_mids
from reference_impl.host.tracks import scaled

OFFER = "\r\n".join([
    "v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0", "a=group:BUNDLE 0 1",
    "m=audio 4000 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 127.0.0.1", "a=mid:0", "a=sendrecv",
    "a=candidate:1 1 udp 1 127.0.0.1 4000 typ host", "a=end-of-candidates",
    "m=audio 4000 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 127.0.0.1", "a=mid:1", "a=sendonly",
    "",
])


def test_reject_mids_writes_a_stopped_transceiver_as_jsep_does() -> None:
    text = reject_mids(OFFER, {"0"})
    lines = text.split("\r\n")
    assert "a=group:BUNDLE 1" in lines
    first = lines.index("a=mid:0")
    assert lines[first - 2] == "m=audio 0 UDP/TLS/RTP/SAVPF 96"
    assert "a=inactive" in lines[first:lines.index("a=mid:1")]
    assert not any(line.startswith("a=candidate") for line in lines[first:lines.index("a=mid:1")])
    assert "a=sendonly" in lines  # the other section is untouched
    assert rejected_mids({"type": "offer", "sdp": text}) == {"0"}
    assert reject_mids(OFFER, set()) == OFFER


def test_rejecting_every_section_drops_the_bundle_group() -> None:
    text = reject_mids(OFFER, {"0", "1"})
    assert "a=group:BUNDLE" not in text
    assert rejected_mids({"type": "answer", "sdp": text}) == {"0", "1"}


def test_bundle_only_sections_are_not_rejected() -> None:
    sdp = OFFER.replace("m=audio 4000 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 127.0.0.1\r\na=mid:1",
                        "m=audio 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 127.0.0.1\r\na=mid:1\r\na=bundle-only")
    assert rejected_mids({"type": "offer", "sdp": sdp}) == set()
    assert rejected_mids(None) == set()


def _frame(hz: float, amplitude: float = 0.5, samples: int = 960, rate: int = 48_000,
           start: int = 0) -> AudioFrame:
    n = np.arange(start, start + samples)
    pcm = (amplitude * np.sin(2 * np.pi * hz * n / rate) * 32767).astype(np.int16)
    frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = rate
    frame.pts = start
    frame.time_base = fractions.Fraction(1, rate)
    return frame


class _Clock:
    """A settable clock for the analyser (no waiting in these tests)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_speaker_analysis_only_counts_recent_audio() -> None:
    clock = _Clock()
    analyser = AudioAnalyser(clock)
    assert analyser.summary() == {"frames": 0, "rmsDbfs": None, "dominantHz": None}
    for i in range(20):
        analyser.feed(_frame(1000.0, start=i * 960))
        clock.now += 0.02
    summary: dict[str, Any] = analyser.summary()
    assert summary["frames"] == 20 and abs(summary["dominantHz"] - 1000.0) < 5
    assert abs(summary["rmsDbfs"] - (20 * np.log10(0.5 / np.sqrt(2)))) < 0.5
    clock.now += 1.0  # nothing rendered for a second: silent now
    assert analyser.summary() == {"frames": 20, "rmsDbfs": SILENCE_DBFS, "dominantHz": None}


def test_digital_silence_has_a_numeric_level() -> None:
    analyser = AudioAnalyser(_Clock())
    analyser.feed(_frame(440.0, amplitude=0.0))
    assert analyser.summary() == {"frames": 1, "rmsDbfs": SILENCE_DBFS, "dominantHz": None}


def test_scaled_frames_keep_their_shape_and_timing() -> None:
    frame = _frame(440.0, amplitude=0.8, start=960)
    quiet = scaled(frame, 0.25)
    assert quiet.samples == frame.samples and quiet.pts == frame.pts and quiet.sample_rate == 48_000
    ratio = np.abs(quiet.to_ndarray()).max() / np.abs(frame.to_ndarray()).max()
    assert abs(ratio - 0.25) < 0.01
    assert not scaled(frame, 0.0).to_ndarray().any()


class _Graph:
    """What an AnalyserNode needs from its graph."""

    rate = 48_000
    time = 0.0
    session: Any = None


def test_analyser_spectrum_follows_the_web_audio_spec() -> None:
    from reference_impl.host.webaudio import AnalyserNode

    node = AnalyserNode(_Graph(), "a1", 2048, 0.0)  # type: ignore[arg-type]
    n = np.arange(32768)
    bin_hz = 48_000 / 2048
    node._history = 0.5 * np.sin(2 * np.pi * (40 * bin_hz) * n / 48_000)  # exactly bin 40
    decibels, time = node.spectrum()
    assert len(decibels) == 1024 and len(time) == 2048
    assert int(np.argmax(decibels)) == 40
    # A sine of amplitude A through a Blackman window: |X| = A * 0.42 / 2 at its bin.
    assert abs(decibels[40] - 20 * np.log10(0.5 * 0.42 / 2)) < 0.1
    # Smoothing: X = tau * X_prev + (1 - tau) * |X|.
    node.configure(smoothing=0.5)
    node._history = np.zeros(32768)
    smoothed, _ = node.spectrum()
    assert abs(smoothed[40] - (decibels[40] + 20 * np.log10(0.5))) < 0.1
    with pytest.raises(Exception, match="power of two"):
        node.configure(fft_size=1000)
