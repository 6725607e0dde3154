"""The ``call-quality`` check: what the chosen speaker played, scored against what was sent.

Once the call is up, the harness's far end sends the speech-like signal of
:mod:`conformance.quality` for a few seconds instead of its tone; the local device's chosen
virtual speaker keeps what it played with the time it played it (the reference host's
``speakerAudio``). ViSQOL scores the two and the cross-correlation gives the mouth-to-ear
delay (far end to the user's ear, through the topology of ``--network`` and its impairment).
Natively the suite's sound card (:mod:`conformance.soundcard`) keeps what each sink played
the same way. Reported; ``--min-mos X`` makes it gate (``fail`` under X). Where no speaker
keeps its audio (natively without the sound card) it does not apply, and says so.
"""

from __future__ import annotations

import asyncio
import base64
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from conformance.network.callpath import SPEECH_SECONDS, SpeechTrack
from conformance.quality import CallQuality, Signal, measure, speech_like, timeline

if TYPE_CHECKING:
    from conformance.certify.flows.base import Flow
    from conformance.certify.flows.context import TargetEnv
    from conformance.certify.session.app_session import Devices
    from conformance.certify.session.signalling import Call

__all__ = ["call_quality_check"]

_POLL_S = 0.1
#: RMS below which a speaker's recording is silence (-60 dBFS).
_SILENCE_RMS = 10 ** (-60 / 20)
#: How long the speech may take to start once the far end sends it.
_START_TIMEOUT_S = 5.0
#: How long after the speech ends what played is still collected: the delay (jitter buffer,
#: a 3g link, a loaded machine) reached seconds on a loaded CI machine.
_TAIL_S = 4.0


async def call_quality_check(env: TargetEnv, flow: Flow, call: Call, devices: Devices) -> None:
    """Measure and put ``call-quality`` for the call that is up."""
    if not env.target.capabilities.speaker_records:
        flow.put("call-quality", "not-applicable",
                 f"not measured on {env.name}: no speaker of this target keeps what it played "
                 "(natively that needs a sound card for the browser)")
        return
    speech = SpeechTrack(speech_like(SPEECH_SECONDS))
    if not await call.party.play(speech):
        flow.put("call-quality", "not-applicable", "the far end sends no audio on this call")
        return
    try:
        started = await _played(speech)
    finally:
        await call.party.play(None)
    if started is None:
        flow.put("call-quality", "fail", f"the far end's speech did not start within {_START_TIMEOUT_S:g} s")
        return
    chunks, where = await _heard(env, devices, started)
    played = timeline(chunks, started, SPEECH_SECONDS + _TAIL_S)
    # ViSQOL takes seconds of CPU: off the event loop, which keeps the page's channel alive.
    quality = await asyncio.to_thread(measure, speech_like(SPEECH_SECONDS), played)
    _put(env, flow, quality, where)


async def _heard(env: TargetEnv, devices: Devices, started: float) -> tuple[list[tuple[float, Signal]], str]:
    """What the user heard since ``started``: on the chosen speaker, else (an app that plays
    elsewhere fails ``devices-honoured`` for that) on the speaker that played it."""
    records = env.target.speaker_records()
    host = await env.host()
    card = env.target.browsers.soundcard
    # Every speaker the target has: the local device's, natively the sound card's sinks.
    others: list[int | str] = (list(range(1, len(host.speakers) + 1)) if host is not None
                               else [d.label for d in card.speakers] if card is not None else [])
    chosen = f"on {devices.speaker_label or 'the chosen speaker'}"
    key: int | str = devices.speaker_id or 1
    if host is None and devices.speaker_label:
        # Natively the sound card's sinks are known by their labels, not Chromium's device ids.
        key = devices.speaker_label
    for speaker in [key, *others]:
        chunks = [c for c in _chunks(await records.speaker_audio(speaker)) if c[0] >= started]
        # A sound card's sinks are recorded all the time: silence is not what the user heard.
        if chunks and _audible(chunks):
            return chunks, chosen if speaker == key else f"on speaker {speaker} (not the chosen one)"
    return [], chosen


async def _played(speech: SpeechTrack) -> float | None:
    """When the speech started (epoch), once all of it was sent; ``None`` if it never started."""
    deadline = time.monotonic() + _START_TIMEOUT_S
    while speech.started is None:
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(_POLL_S)  # polling the far end's sender, bounded above
    # Bounded by the signal's length and the tail for what is still on its way.
    while time.time() < speech.started + SPEECH_SECONDS + _TAIL_S:
        await asyncio.sleep(_POLL_S)
    return speech.started


def _audible(chunks: list[tuple[float, Signal]]) -> bool:
    """Whether any chunk rises above the silence floor."""
    return any(signal.size and float(np.sqrt(np.mean(signal ** 2))) > _SILENCE_RMS for _, signal in chunks)


def _chunks(audio: dict[str, Any]) -> list[tuple[float, Signal]]:
    return [(float(at), np.frombuffer(base64.b64decode(pcm), dtype="<i2").astype(np.float64) / 32768.0)
            for at, pcm in audio.get("chunks", [])]


def _put(env: TargetEnv, flow: Flow, quality: CallQuality, where: str) -> None:
    network = (getattr(env.target, "network", None))
    context = f" (network: {network.name})" if network is not None else ""
    if quality.mos is None:
        flow.put("call-quality", "fail", f"the far end's speech was not heard {where}{context}")
        return
    text = f"{quality.text()} {where}{context}"
    if env.min_mos is not None and quality.mos < env.min_mos:
        flow.put("call-quality", "fail", f"below --min-mos {env.min_mos:g}: {text}")
        return
    gate = f" (at least --min-mos {env.min_mos:g})" if env.min_mos is not None else " (reported)"
    flow.put("call-quality", "pass", text + gate)
