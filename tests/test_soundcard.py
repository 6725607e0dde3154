"""The suite's sound card with real parts: a private PulseAudio server, real Chromium
launched on it by :class:`Browsers`, the native target's speaker records from ``parec``."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conformance.micsignals import SPEECH_MATCH
from conformance.server import PageServer
from conformance.soundcard import SoundCard, soundcard_problem
from conformance.targets import BrowserOptions, Browsers, NativeTarget
from reference_impl.host.devices import dominant_hz
from reference_impl.tones import CERTIFY_FAR_END_TONE_HZ, MIC_TONES_HZ, TONE_TOLERANCE_HZ

pytestmark = pytest.mark.skipif(soundcard_problem() is not None,
                                reason=f"no sound card here: {soundcard_problem()}")

PAGES = Path(__file__).resolve().parent / "data" / "soundcard"
#: How often a bounded wait looks again, and how often a measured window is sampled.
_POLL_S, _SAMPLE_S = 0.1, 0.5


def _pactl(card: SoundCard, *args: str) -> str:
    env = {"PATH": "/usr/bin:/bin", **card.env}
    return subprocess.run(["pactl", *args], env=env, capture_output=True, text=True,
                          timeout=10, check=True).stdout


def test_the_card_lists_its_devices_and_leaves_nothing_behind() -> None:
    card = SoundCard()
    card.start()
    folder = Path(card.env["PULSE_RUNTIME_PATH"])
    try:
        assert card.running and folder.is_dir()
        sinks = _pactl(card, "list", "short", "sinks")
        sources = _pactl(card, "list", "short", "sources")
        assert [line.split("\t")[1] for line in sinks.splitlines()] == ["speaker1", "speaker2"]
        assert {"mic1", "mic2", "mic3"} <= {line.split("\t")[1] for line in sources.splitlines()}
        assert "Sound Card Speaker 2" in _pactl(card, "list", "sinks")
        # The microphones play the reference host's tones: read one back as it is.
        recorded = subprocess.run(
            ["timeout", "1.5", "parec", "--device=mic2", "--raw", "--format=float32le",
             "--rate=48000", "--channels=1"],
            env={"PATH": "/usr/bin:/bin", **card.env}, capture_output=True, timeout=10, check=False)
        samples = np.frombuffer(recorded.stdout[: len(recorded.stdout) // 4 * 4], dtype="<f4")
        assert samples.size > 16384
        assert abs(dominant_hz(samples[-16384:].astype(np.float64), 48000) - MIC_TONES_HZ[1]) < 5
        record = card.speaker_record(1)
        assert record["frames"] == 0 and record["dominantHz"] is None
    finally:
        card.stop()
    assert not card.running
    assert not folder.exists()
    with pytest.raises(KeyError, match="no speaker 3"):
        card.speaker(3)


def test_the_dominant_tone_survives_dropouts_and_a_second_tone() -> None:
    """One analysis for every speaker: a clean tone, a louder tone over a quieter one, and
    a tone with dropouts (a real audio path under load) are each named right."""
    t = np.arange(16384) / 48000
    assert abs(dominant_hz(0.5 * np.sin(2 * np.pi * 880 * t), 48000) - 880) < 3
    mixed = 0.5 * np.sin(2 * np.pi * 523 * t) + 0.3 * np.sin(2 * np.pi * 440 * t)
    assert abs(dominant_hz(mixed, 48000) - 523) < 3
    gapped = 0.5 * np.sin(2 * np.pi * 660 * t)
    for start in range(0, gapped.size, 5400):
        gapped[start:start + 900] = 0.0
    assert abs(dominant_hz(gapped, 48000) - 660) < 3
    assert dominant_hz(np.zeros(4096), 48000) == 0.0


def _run(body: Any) -> Any:
    async def main() -> Any:
        server = PageServer({"soundcard": PAGES})
        browsers = Browsers(BrowserOptions(soundcard=True))
        target = NativeTarget(browsers)
        try:
            return await body(target, server)
        finally:
            await target.close()
            await browsers.close()
            server.close()
    return asyncio.run(main())


async def _record_until(target: NativeTarget, speaker: int, hz: float, bound: float
                        ) -> dict[str, Any]:
    deadline = time.monotonic() + bound
    while True:
        record = await target.speaker_record(speaker)
        heard = record.get("dominantHz")
        if heard is not None and abs(heard - hz) <= TONE_TOLERANCE_HZ and record["rmsDbfs"] > -40:
            return record
        if time.monotonic() > deadline:
            raise AssertionError(f"speaker {speaker} never played {hz:g} Hz: {record}")
        await asyncio.sleep(_POLL_S)  # polling interval of a bounded wait


def test_chromium_lists_the_card_and_a_call_plays_on_the_chosen_speaker() -> None:
    async def body(target: NativeTarget, server: PageServer) -> None:
        assert target.capabilities.speaker_records
        opened = await target.open_page(server.url("soundcard/index.html"))
        try:
            page = opened.page
            labels = await page.evaluate("() => window.labels()")
            card = target.browsers.soundcard
            assert card is not None
            assert labels["audioinput"] == [mic.label for mic in card.microphones]
            assert labels["audiooutput"] == [speaker.label for speaker in card.speakers]
            await page.evaluate("(hz) => window.playRemote(hz, 2)", CERTIFY_FAR_END_TONE_HZ)
            record = await _record_until(target, 2, CERTIFY_FAR_END_TONE_HZ, 15.0)
            assert record["label"] == "Sound Card Speaker 2" and record["frames"] > 0
            other = await target.speaker_record(1)
            assert other["frames"] == 0, other
            await page.evaluate("() => window.stop()")
        finally:
            await opened.close()
        identity = await target.identity()
        assert identity["soundcard"]["speakers"] == ["Sound Card Speaker 1", "Sound Card Speaker 2"]

    _run(body)


def test_a_steady_tone_and_a_phrase_survive_chromiums_processing_over_a_call() -> None:
    """Measured: mic 1 (440 Hz at -9 dBFS, its phrase underneath), captured with echo
    cancellation, noise suppression and gain control on and sent over a call, plays on the
    chosen speaker: the tone, about 17 dB quieter and at times gated by noise suppression,
    and the phrase, recognised by correlation in the band above every tone."""
    async def body(target: NativeTarget, server: PageServer) -> None:
        opened = await target.open_page(server.url("soundcard/index.html"))
        try:
            processing = await opened.page.evaluate("() => window.playMicrophone(1, 2)")
            assert processing == [True, True, True]
            await _record_until(target, 2, MIC_TONES_HZ[0], 15.0)
            card = target.browsers.soundcard  # started with the browser
            assert card is not None
            # Over 6 s (long enough for noise suppression and gain control to adapt), every
            # half second: is the tone the dominant frequency at a heard level, and is the
            # last 2 s mic 1's phrase?
            started, records, phrases = time.monotonic(), [], []
            while time.monotonic() - started < 6.0:
                records.append(await target.speaker_record(2))
                phrases.append(await asyncio.to_thread(card.speaker_speech, 2))
                await asyncio.sleep(_SAMPLE_S)  # sampling interval of the measured window
            heard = [r for r in records if r["dominantHz"] is not None and r["rmsDbfs"] > -40
                     and abs(r["dominantHz"] - MIC_TONES_HZ[0]) <= TONE_TOLERANCE_HZ]
            said = [p for p in phrases if p is not None and p["microphone"] == 1
                    and p["share"] >= SPEECH_MATCH]
            wrong = [p for p in phrases if p is not None and p["microphone"] != 1
                     and p["share"] >= SPEECH_MATCH]
            levels = sorted(float(r["rmsDbfs"] or -200) for r in records)
            print(f"over 6 s of processing: tone {len(heard)}/{len(records)} records at 440 Hz "
                  f"(levels min {levels[0]}, median {levels[len(levels) // 2]}, max {levels[-1]} dBFS); "
                  f"phrase of mic 1 {len(said)}/{len(phrases)} (shares "
                  f"{[p and p['share'] for p in phrases]}), another's {len(wrong)}")
            # Measured under load (12-22 on 2 cores): the tone in 4-24 of 5-24 records; mic 1's
            # phrase under its tone best matched in most windows but named (share >= 0.7) in
            # 0-2 of 5-7 (shares 0.43-1.0); the phrase alone (no tone) named in 17 of 19,
            # share median 0.8. So: the tone mostly survives, and where the phrase is found
            # it is mic 1's, never another microphone's.
            assert len(heard) >= 0.5 * len(records), records
            assert any(p is not None and p["microphone"] == 1 for p in phrases) and not wrong, phrases
            await opened.page.evaluate("() => window.stop()")
        finally:
            await opened.close()

    _run(body)


def test_the_card_keeps_chromiums_fake_camera() -> None:
    """The fake-device switch reaches only the video-capture service: a page gets the fake
    camera's frames and the card's microphone together."""
    async def body(target: NativeTarget, server: PageServer) -> None:
        opened = await target.open_page(server.url("soundcard/index.html"))
        try:
            got = await opened.page.evaluate("() => window.camera()")
        finally:
            await opened.close()
        assert got["video"] == "fake_device_0" and got["frames"] >= 5 and got["width"] > 0, got
        assert got["audio"] == "Default" and "Sound Card Microphone 1 (440 Hz)" in got["inputs"], got

    _run(body)
