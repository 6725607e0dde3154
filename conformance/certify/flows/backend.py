"""The behavioural checks when the app calls its own backend (``far_end: app``).

The suite cannot ask the app's backend what it heard, so the evidence is the media plane
seen from this side, never the app's UI:

- with a local device to ask (the reference target): the host's real peer connection of
  the page (its state and selected candidate pair), the microphone that feeds the sent
  track and the level and frequency of what the sender encodes, RTP counters, and the
  virtual speakers' records of what played;
- elsewhere (native, attach): the page's own connections through the audit layer (their
  state, selected pair, RTP counters, the media source's level) and the audit's analyser on
  the received track the app plays.

``audio`` says what can be proved beyond sending: ``echo`` (the chosen microphone's tone
comes back: a round trip), ``plays`` (the backend's own audio plays), ``none`` (nothing
comes back: that the far end heard the microphone is not provable, sending it is). Every
verdict says what proved it and what this backend could not prove.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from typing import TYPE_CHECKING

from conformance.certify.evidence.audio import Measurement
from conformance.certify.evidence.media_plane import MediaPlane
from conformance.certify.flows.base import (
    AUDIO_TIMEOUT,
    CALL_CHECKS,
    SILENCE_TIMEOUT,
    Flow,
    hang_up_check,
    hang_up_quietly,
    mute_applies,
    press_mute,
    run_flow,
)
from conformance.certify.flows.devices import (
    DeviceProof,
    Outcome,
    choice_unprovable,
    devices_check_applies,
    pick_devices,
    put_devices_verdict,
    sent_track_device,
    speaker_honoured,
)
from conformance.certify.flows.faults import disconnect_and_back, disconnected_flow, reconnect_flow
from conformance.certify.session.steps import StepFailed

if TYPE_CHECKING:
    from conformance.certify.flows.context import TargetContext
    from conformance.certify.model import CheckResult
    from conformance.certify.session.app_session import AppSession, Devices

__all__ = ["BACKEND_FLOWS", "ring_backend"]

_INCOMING_TIMEOUT_S = 10.0


# --- the main call -----------------------------------------------------------------------------
async def backend_call_flow(env: TargetContext) -> list[CheckResult]:
    """Devices, call, audio, devices honoured, mute, hang-up: against the app's own backend."""
    return await run_flow(env, Flow(env, CALL_CHECKS), _call_body)


async def _place(env: TargetContext, session: AppSession, flow: Flow, check: str,
                 plane: MediaPlane) -> list[str] | None:
    """start_call, call_up, a connected peer connection; a failing verdict on ``check`` if not."""
    started = time.monotonic()
    try:
        await session.action("start_call")
    except StepFailed as exc:
        # A step waiting for what a refused capture never produced: say why, as below.
        flow.put(check, "fail", f"start_call failed: {exc}" + await _why_not(env, session))
        return None
    up = await session.wait(env.profile.call_up)
    evidence = [f"call_up ({env.profile.call_up.describe()}) "
                + (f"held after {time.monotonic() - started:.2f} s" if up else "never held")]
    connected = await plane.connected(max(env.profile.timeout - (time.monotonic() - started), 1.0))
    evidence.append(connected.text)
    if not up or not connected.ok:
        summary = ("the call did not come up" if connected.ok
                   else "no peer connection of the page connected to the app's backend")
        flow.put(check, "fail", summary + await _why_not(env, session), evidence)
        return None
    return evidence


async def _why_not(env: TargetContext, session: AppSession) -> str:
    """The documented reason a call could not start on the reference target, when the audit
    saw it. Only on a target that declares the reference implementation's deviations:
    ``ref-video-capture`` says nothing of what a product (``attach``) carries."""
    if not env.redirected or env.target.deviation_kind != "reference":
        return ""
    for snap in await session.snapshots():
        for event in snap.get("events", []):
            if event.get("kind") == "video-capture":
                return (f": the app captures video ({event.get('api')}), which the suite's reference "
                        "implementation does not redirect (ref-video-capture)")
    return ""


async def _call_body(session: AppSession, flow: Flow) -> None:
    env, audio = flow.env, flow.env.profile.far_end.audio
    plane = MediaPlane(env, session)
    devices, pick_errors = await pick_devices(session)
    evidence = await _place(env, session, flow, "call-connects", plane)
    if evidence is None:
        return
    flow.put("call-connects", "pass", "the call came up and its peer connection connected", evidence)
    await env.record_app_version(session)

    sent = await plane.sending(AUDIO_TIMEOUT)
    echo_tone = sent.tone if audio == "echo" else None
    rendered = None
    if audio == "echo":
        rendered = await plane.receives(echo_tone, AUDIO_TIMEOUT)
    elif audio == "plays":
        rendered = await plane.receives(None, AUDIO_TIMEOUT)
    _audio_check(flow, audio, sent, rendered)
    await _devices_check(env, session, flow, devices, sent, rendered, pick_errors)
    flow.put("call-quality", "not-applicable",
             "the app's own backend: the suite does not know what it sends, so nothing to score against")
    await _mute_check(env, session, flow, plane, sent, echo_tone)
    flow.put("dtmf-reaches-far-end", "not-applicable",
             "the far end is the app's own backend, which cannot tell the suite which digits arrived")
    await hang_up_check(env, session, flow)


def _audio_check(flow: Flow, audio: str, sent: Measurement, rendered: Measurement | None) -> None:
    if audio == "none":
        flow.put("audio-both-ways", "pass" if sent.ok else "fail",
                 "the call sends the microphone" if sent.ok else "the call sends no audible microphone audio",
                 [sent.text, "not provable with this backend (audio: none): that the far end heard the "
                             "microphone, and any audio coming back; sending it is proved"])
        return
    assert rendered is not None
    ok = sent.ok and rendered.ok
    what = ("the chosen microphone's tone came back from the echoing backend (a round trip)"
            if audio == "echo" else "the backend's audio plays in the page")
    summary = (f"both directions carry audio: {what}" if ok
               else "the call sends no audible microphone audio" if not sent.ok
               else "the page renders no audio from the backend" if audio == "plays"
               else "the microphone's tone does not come back from the echoing backend")
    unprovable = ([] if audio == "echo" else
                  ["not provable with this backend (audio: plays): that the far end heard the microphone; "
                   "sending it is proved"])
    flow.put("audio-both-ways", "pass" if ok else "fail", summary, [sent.text, rendered.text, *unprovable])


async def _devices_check(env: TargetContext, session: AppSession, flow: Flow, devices: Devices,
                         sent: Measurement, rendered: Measurement | None, pick_errors: list[str]) -> None:
    profile = env.profile
    if not devices_check_applies(env, flow, pick_errors):
        return
    proofs: list[DeviceProof] = []
    if profile.has("pick_microphone"):
        proofs.append(choice_unprovable("microphone", devices.microphones)
                      or await _microphone_honoured(session, devices, sent))
    if profile.has("pick_speaker"):
        proofs.append(
            DeviceProof("speaker", Outcome.UNPROVABLE,
                        "the backend sends no audio (audio: none), so where it plays cannot be proved")
            if rendered is None else speaker_honoured(devices, rendered))
    put_devices_verdict(flow, proofs)


async def _microphone_honoured(session: AppSession, devices: Devices, sent: Measurement) -> DeviceProof:
    mic = (sent.data or {}).get("microphone")
    if not isinstance(mic, dict):  # no local device to say it: the audit's view of the page
        return await sent_track_device(session, devices)
    ok = mic.get("deviceId") == devices.mic_id  # the local device says which one feeds the call
    return DeviceProof.of("microphone", ok, f"the call is fed by mic {mic.get('index')} {mic.get('label')!r}"
                          + (", the chosen one" if ok else f", not the chosen {devices.mic_label!r}"))


async def _mute_check(env: TargetContext, session: AppSession, flow: Flow, plane: MediaPlane,
                      sent: Measurement, echo_tone: float | None) -> None:
    if not mute_applies(env, flow, sent.ok, "the call never sent the microphone, so muting cannot be judged"):
        return
    if not await press_mute(env, session, flow):
        return
    silent = await plane.sending(SILENCE_TIMEOUT, silent=True)
    evidence = [f"muted: {silent.text}"]
    echo_stopped = True
    if echo_tone is not None and silent.ok:
        echo_stopped = await plane.stops_receiving(echo_tone, SILENCE_TIMEOUT)
        evidence.append(f"muted, the echo of {echo_tone:g} Hz " + ("stopped" if echo_stopped
                                                                   else "still plays"))
    if not await press_mute(env, session, flow, unmute=True, evidence=evidence):
        return
    back = await plane.sending(AUDIO_TIMEOUT)
    evidence.append(f"unmuted: {back.text}")
    if echo_tone is not None and back.ok:
        echoed = await plane.receives(echo_tone, AUDIO_TIMEOUT)
        evidence.append(f"unmuted, the echo is back: {echoed.text}")
    ok = silent.ok and back.ok and echo_stopped
    flow.put("mute", "pass" if ok else "fail",
             "mute silences what is sent and unmute brings it back" if ok
             else "mute did not silence what is sent" if not silent.ok
             else "while muted the echoing backend still returns the microphone" if not echo_stopped
             else "unmute did not bring the microphone back", evidence)


# --- incoming call -----------------------------------------------------------------------------
async def ring_backend(env: TargetContext) -> str:
    """Make the backend call the app, as the profile's ``incoming`` says; what was done."""
    incoming = env.profile.far_end.incoming
    assert incoming is not None
    if incoming.url:
        request = urllib.request.Request(incoming.url, method=incoming.method,
                                         data=incoming.body.encode() if incoming.body else None)

        def send() -> int:
            with urllib.request.urlopen(request, timeout=_INCOMING_TIMEOUT_S) as response:
                return int(response.status)

        status = await asyncio.to_thread(send)
        return f"{incoming.describe()} answered {status}"
    process = await asyncio.create_subprocess_exec(*incoming.command, stdin=asyncio.subprocess.DEVNULL)
    code = await asyncio.wait_for(process.wait(), _INCOMING_TIMEOUT_S)
    return f"{incoming.describe()} exited with {code}"


async def backend_incoming_flow(env: TargetContext) -> list[CheckResult]:
    """The backend calls (the profile's ``incoming``); the app answers; the call connects."""
    flow = Flow(env, ("incoming-call",))
    if env.profile.far_end.incoming is None:
        return flow.finish("the profile says no way to make the app's backend call the app "
                           "(far_end.app.incoming)", "not-applicable")
    if not env.profile.has("answer"):
        return flow.finish("the profile defines no answer action", "not-applicable")
    return await run_flow(env, flow, _incoming_body)


async def _incoming_body(session: AppSession, flow: Flow) -> None:
    env = flow.env
    plane = MediaPlane(env, session)
    try:
        rang = await ring_backend(env)
    except Exception as exc:  # the request or command failed: the backend never called
        flow.put("incoming-call", "fail", f"the backend could not be made to call: {exc}")
        return
    try:
        await session.action("answer")
    except StepFailed as exc:
        flow.put("incoming-call", "fail", f"answer failed: {exc}", [rang])
        return
    up = await session.wait(env.profile.call_up)
    connected = await plane.connected(env.profile.timeout)
    sent = await plane.sending(AUDIO_TIMEOUT) if connected.ok else None
    evidence = [rang, f"call_up {'held' if up else 'never held'}", connected.text,
                *([sent.text] if sent else [])]
    ok = up and connected.ok and sent is not None and sent.ok
    flow.put("incoming-call", "pass" if ok else "fail",
             "the answered call connects and sends the microphone" if ok
             else "the answered call did not come up with audio", evidence)
    await hang_up_quietly(session)


# --- reconnect ---------------------------------------------------------------------------------
async def backend_reconnect_flow(env: TargetContext) -> list[CheckResult]:
    """Call, disconnect, reconnect, call again, against the app's own backend."""
    return await reconnect_flow(env, _reconnect_body)


async def _reconnect_body(session: AppSession, flow: Flow) -> None:
    env, check = flow.env, "reconnect-recovery"
    token, navigations = await session.token(), session.navigations
    first = await _place(env, session, flow, check, MediaPlane(env, session))
    if first is None:
        flow.qualify(check, "the first call failed, before any disconnect")
        return
    evidence = list(first)
    if not await disconnect_and_back(env, session, flow, check, evidence):
        return
    plane = MediaPlane(env, session)
    second = await _place(env, session, flow, check, plane)
    if second is None:
        flow.qualify(check, "after the reconnect", evidence)
        return
    sent = await plane.sending(AUDIO_TIMEOUT)
    same = await session.token() == token and session.navigations == navigations
    evidence += [f"after the reconnect: {text}" for text in second] + [
        sent.text, "the same document throughout (no reload)" if same else "the page was reloaded"]
    ok = sent.ok and same
    flow.put(check, "pass" if ok else "fail",
             "after disconnect and reconnect a new call works without a reload" if ok
             else "the page reloaded to recover" if not same
             else "after the reconnect the new call sends no audio", evidence)
    await hang_up_quietly(session)


BACKEND_FLOWS = (backend_call_flow, backend_incoming_flow, backend_reconnect_flow, disconnected_flow)
