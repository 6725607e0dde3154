"""The behavioural checks, grouped by the page session they need.

- :func:`call_flow`: pick devices, call, audio both ways, devices honoured, mute, hang-up;
- :func:`incoming_flow`: the far end calls, the app answers (when the profile can);
- :func:`reconnect_flow`: a call, a disconnect, a reconnect, a new working call;
- :func:`disconnected_flow`: a call attempt while redirection is expected but not active.

Each flow runs in a fresh context so that one broken behaviour fails its check only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import TYPE_CHECKING, Any

from conformance.certify.env import TargetEnv, make_result
from conformance.certify.evidence import (
    TONE_TOLERANCE_HZ,
    Measurement,
    far_end_connected,
    far_end_hears,
    far_end_silent,
    page_renders,
)
from conformance.certify.model import CallSite, CheckResult
from conformance.certify.rules import RawFinding
from conformance.certify.session import SessionError
from conformance.certify.steps import StepFailed

if TYPE_CHECKING:
    from conformance.certify.session import AppSession, Devices
    from conformance.certify.signalling import Call

__all__ = ["FLOWS", "call_flow", "disconnected_flow", "incoming_flow", "reconnect_flow"]

AUDIO_TIMEOUT = 10.0
SILENCE_TIMEOUT = 5.0
RELEASE_TIMEOUT = 3.0
CALL_END_TIMEOUT = 3.0
REFUSAL_TIMEOUT = 3.0
_CALL_CHECKS = ("call-connects", "audio-both-ways", "devices-honoured", "mute", "hang-up-releases")


class _Flow:
    """Results of one flow as they come, with a clock per check."""

    def __init__(self, env: TargetEnv, checks: tuple[str, ...]) -> None:
        self.env = env
        self.checks = checks
        self.results: dict[str, CheckResult] = {}
        self._started = time.perf_counter()

    def put(self, check: str, verdict: Any, summary: str, evidence: list[str] | None = None) -> None:
        duration = time.perf_counter() - self._started
        self.results[check] = make_result(check, self.env.name, verdict, summary, evidence, duration)
        self._started = time.perf_counter()

    def finish(self, reason: str, verdict: Any = "not-evaluated") -> list[CheckResult]:
        for check in self.checks:
            if check not in self.results:
                self.put(check, verdict, reason)
        return [self.results[c] for c in self.checks]


async def _run(env: TargetEnv, flow: _Flow, body: Any) -> list[CheckResult]:
    """Open a session, run ``body(session, flow)``, always finish; errors become verdicts."""
    try:
        session = await env.open_session()
    except SessionError as exc:
        return flow.finish(f"the app could not be prepared: {exc}", "error")
    reason = "not evaluated: an earlier step of this flow failed"
    try:
        await body(session, flow)
    except Exception as exc:  # the harness or the browser failed around the app
        reason = f"harness error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        return flow.finish(reason, "error")
    finally:
        await env.finish(session)
    return flow.finish(reason)


async def _place_call(
    env: TargetEnv, session: AppSession, flow: _Flow, check: str
) -> tuple[Call | None, list[str]]:
    """start_call, then call_up, then a connected far end; a failing verdict on ``check`` if not."""
    since = env.signalling.last_id
    started = time.monotonic()
    try:
        await session.action("start_call")
    except StepFailed as exc:
        flow.put(check, "fail", f"start_call failed: {exc}")
        return None, []
    up = await session.wait(env.profile.call_up)
    remaining = max(env.profile.timeout - (time.monotonic() - started), 1.0)
    call = await env.signalling.wait_call(since, remaining if up else 1.0)
    evidence = [
        f"call_up ({env.profile.call_up.describe()}) "
        + (f"held after {time.monotonic() - started:.2f} s" if up else "never held"),
        f"the far end received call {call.id}" if call else "the far end received no call",
    ]
    if call is None or not up:
        flow.put(
            check, "fail", "the call did not come up" if call else "no call reached the far end", evidence
        )
        return None, evidence
    connected = await far_end_connected(call, env.profile.timeout)
    evidence.append(connected.text)
    if not connected.ok:
        flow.put(check, "fail", "the far end never connected", evidence)
        return None, evidence
    return call, evidence


async def _tones(env: TargetEnv) -> dict[float, str]:
    return {tone: what for tone, what in (await env.mic_tones()).values()}


# --- the main call ---------------------------------------------------------------------------
async def call_flow(env: TargetEnv) -> list[CheckResult]:
    """Devices, call, audio both ways, devices honoured, mute, hang-up."""
    return await _run(env, _Flow(env, _CALL_CHECKS), _call_body)


async def pick_devices(session: AppSession) -> tuple[Devices, list[str]]:
    """The suite's choice of devices (never the default), made through the profile's
    pick_microphone / pick_speaker actions; the choice and the actions that failed."""
    devices = await session.devices()
    session.values.update(
        mic_id=devices.mic_id,
        mic_label=devices.mic_label,
        speaker_id=devices.speaker_id,
        speaker_label=devices.speaker_label,
    )
    pick_errors = []
    for action in ("pick_microphone", "pick_speaker"):
        if session.profile.has(action):
            try:
                await session.action(action)
            except StepFailed as exc:
                pick_errors.append(f"{action} failed: {exc}")
    return devices, pick_errors


async def _call_body(session: AppSession, flow: _Flow) -> None:
    env, profile = flow.env, flow.env.profile
    devices, pick_errors = await pick_devices(session)
    call, evidence = await _place_call(env, session, flow, "call-connects")
    if call is None:
        return
    flow.put("call-connects", "pass", "the call came up and the far end connected", evidence)
    carried = await env.carried_by_local_device(call)
    if carried is not None:
        env.notes.setdefault("carried", []).append(carried)
    if profile.diagnostics:
        await _read_telemetry(env, session)
    if profile.app.version_js and "app_version" not in env.notes:
        try:
            env.notes["app_version"] = await session.evaluate(profile.app.version_js)
        except Exception as exc:
            env.notes["app_version"] = f"unknown ({str(exc).splitlines()[0]})"

    tones = await _tones(env)
    speakers = await env.speakers()
    heard = await far_end_hears(call, tones, AUDIO_TIMEOUT)
    rendered = await page_renders(session, speakers, env.far_tone, AUDIO_TIMEOUT)
    both = heard.ok and rendered.ok
    flow.put(
        "audio-both-ways",
        "pass" if both else "fail",
        "both directions carry audio"
        if both
        else (
            "the far end hears nothing from the page" if not heard.ok else "the page renders no far-end audio"
        ),
        [heard.text, rendered.text],
    )

    await _devices_check(env, session, flow, devices, heard, rendered, pick_errors, call)
    await _mute_check(env, session, flow, call, heard)

    await hang_up_check(env, session, flow)


async def hang_up_check(env: TargetEnv, session: AppSession, flow: _Flow) -> None:
    """hang_up, then every peer connection and captured track must be released."""
    try:
        await session.action("hang_up")
    except StepFailed as exc:
        flow.put("hang-up-releases", "fail", f"hang_up failed: {exc}")
        return
    counts = await session.wait_released(RELEASE_TIMEOUT)
    released = counts["peerConnections"] == 0 and counts["capturedTracks"] == 0
    detail = [
        f"open peer connections: {counts['peerConnections']}",
        f"live captured tracks: {counts['capturedTracks']}",
        f"live received tracks: {counts['remoteTracks']}",
        f"open audio contexts: {counts['audioContexts']}",
    ]
    if released and counts["audioContexts"]:
        detail.append(
            "warning: an AudioContext stays open after the call (not required, but it holds resources)"
        )
    if not released:
        await _leak_finding(env, session, counts)
    flow.put(
        "hang-up-releases",
        "pass" if released else "fail",
        "every peer connection and captured track was released"
        if released
        else f"after hang-up {counts['peerConnections']} peer connection(s) stay open and "
        f"{counts['capturedTracks']} captured track(s) stay live",
        detail,
    )


async def _leak_finding(env: TargetEnv, session: AppSession, counts: dict[str, int]) -> None:
    """A finding naming where the objects that outlived the hang-up were created."""
    sites: list[CallSite] = []
    for state in await session.audit("live"):
        for raw in [*state["peerConnections"]["openSites"], *state["capturedTracks"]["liveSites"]]:
            site = CallSite.from_json(raw)
            if site is not None and site not in sites:
                sites.append(site)
    message = (
        f"{counts['peerConnections']} peer connection(s) open and {counts['capturedTracks']} captured "
        "track(s) live after hang_up"
    )
    evidence = ["created at the sites listed (still alive after the hang-up)"] if sites else []
    env.notes.setdefault("findings", []).append(
        RawFinding("hang-up-leak", env.name, message, evidence, sites)
    )


async def _device_finding(env: TargetEnv, session: AppSession, failures: list[str]) -> None:
    """A finding showing how the app captured and routed audio, with the call sites."""
    sites: list[CallSite] = []
    evidence: list[str] = []
    for snap in await session.snapshots():
        for event in snap.get("events", []):
            if event.get("kind") == "capture":
                site = CallSite.from_json(event.get("site"))
                constraints = json.dumps(event.get("constraints"))[:200]
                evidence.append(f"getUserMedia({constraints}) at {site or 'an unknown site'}")
                if site is not None and site not in sites:
                    sites.append(site)
        for key, entry in (snap.get("usage") or {}).items():
            if key.endswith(".setSinkId"):
                evidence.append(f"{key} x{entry.get('count')}")
    if not any(e.endswith(".setSinkId") or ".setSinkId " in e for e in evidence):
        evidence.append("setSinkId was never called")
    kinds = [f.split(":", 1)[0] for f in failures]
    message = " and ".join(f"the chosen {kind} is not used" for kind in kinds)
    env.notes.setdefault("findings", []).append(
        RawFinding("device-not-honoured", env.name, message, [*failures, *evidence[-6:]], sites[-3:])
    )


async def _read_telemetry(env: TargetEnv, session: AppSession) -> None:
    try:
        env.notes["telemetry"] = await session.evaluate(env.profile.diagnostics or "undefined")
    except Exception as exc:
        env.notes["telemetry_error"] = str(exc).splitlines()[0]
    answers = await session.audit("diagnostics")
    if answers:
        env.notes["diagnostics"] = answers[0]


def devices_check_applies(env: TargetEnv, flow: _Flow, pick_errors: list[str]) -> bool:
    """Whether ``devices-honoured`` needs evidence: ``False`` once its verdict is already put
    (not-applicable without a device choice in the profile, fail when picking failed)."""
    profile = env.profile
    if not profile.has("pick_microphone") and not profile.has("pick_speaker"):
        flow.put("devices-honoured", "not-applicable",
                 "the profile defines neither pick_microphone nor pick_speaker")
        return False
    if pick_errors:
        flow.put("devices-honoured", "fail", pick_errors[0], pick_errors)
        return False
    return True


async def _devices_check(
    env: TargetEnv,
    session: AppSession,
    flow: _Flow,
    devices: Devices,
    heard: Measurement,
    rendered: Measurement,
    pick_errors: list[str],
    call: Call,
) -> None:
    profile = env.profile
    if not devices_check_applies(env, flow, pick_errors):
        return
    evidence: list[str] = []
    failures: list[str] = []
    if profile.has("pick_microphone"):
        ok, text = await _microphone_honoured(env, session, devices, heard, call)
        (evidence if ok else failures).append(text)
    if profile.has("pick_speaker"):
        ok, text = _speaker_honoured(env, devices, rendered)
        (evidence if ok else failures).append(text)
    if failures:
        await _device_finding(env, session, failures)
    put_devices_verdict(flow, failures, evidence)


def put_devices_verdict(flow: _Flow, failures: list[str], evidence: list[str]) -> None:
    """``devices-honoured`` from what was found: fail on any failure, not-applicable when
    every piece of evidence is an ``n/a``, else pass."""
    if failures:
        flow.put("devices-honoured", "fail", failures[0], failures + evidence)
    elif all(text.startswith("n/a") for text in evidence):
        flow.put("devices-honoured", "not-applicable", "; ".join(evidence), evidence)
    else:
        flow.put("devices-honoured", "pass", "the chosen devices are used", evidence)


async def _microphone_honoured(
    env: TargetEnv, session: AppSession, devices: Devices, heard: Measurement, call: Call
) -> tuple[bool, str]:
    if devices.microphones < 2:
        return True, f"n/a: only {devices.microphones} microphone(s) listed, a choice cannot be proven"
    tones = await env.mic_tones()
    if devices.mic_id in tones:  # the local device: each microphone has its own tone
        tone, what = tones[devices.mic_id]
        if heard.ok and heard.tone is not None and abs(heard.tone - tone) <= TONE_TOLERANCE_HZ:
            return True, f"microphone: {heard.text}, the chosen {what}"
        again = await far_end_hears(call, {tone: what}, AUDIO_TIMEOUT / 2)
        return again.ok, (
            f"microphone: {again.text}"
            if again.ok
            else f"microphone: the chosen {what} ({tone:.0f} Hz) is not what the far end hears: {heard.text}"
        )
    return await sent_track_device(session, devices)


async def sent_track_device(session: AppSession, devices: Devices) -> tuple[bool, str]:
    """Whether the page's sent track captures the chosen microphone (the audit's view)."""
    media = [m for m in await session.audit("media") if isinstance(m, dict)]
    sent = {t["id"] for m in media for t in m.get("sent", [])}
    captured = [t for m in media for t in m.get("captured", []) if t.get("id") in sent]
    used = [t for t in captured if t.get("deviceId") == devices.mic_id]
    if used:
        return True, f"microphone: the sent track captures the chosen device {devices.mic_label!r}"
    others = ", ".join(repr(t.get("label")) for t in captured) or "none"
    return (
        False,
        f"microphone: the sent track does not capture the chosen {devices.mic_label!r} "
        f"(it captures {others})",
    )


def _speaker_honoured(env: TargetEnv, devices: Devices, rendered: Measurement) -> tuple[bool, str]:
    if devices.speakers < 2:
        return True, f"n/a: only {devices.speakers} speaker(s) listed, a choice cannot be proven"
    if not rendered.ok:
        return False, f"speaker: nothing rendered the far end's audio ({rendered.text})"
    if rendered.where == devices.speaker_id:
        return True, f"speaker: {rendered.text}, the chosen {devices.speaker_label!r}"
    return False, (
        f"speaker: the far end's audio plays on {rendered.where or 'the default output'!s}, "
        f"not on the chosen {devices.speaker_label!r} ({rendered.text})"
    )


async def _mute_check(
    env: TargetEnv, session: AppSession, flow: _Flow, call: Call, heard: Measurement
) -> None:
    if not env.profile.has("mute"):
        flow.put("mute", "not-applicable", "the profile defines no mute action")
        return
    if not heard.ok or heard.tone is None:
        flow.put(
            "mute", "not-evaluated", "the far end never heard the microphone, so muting cannot be judged"
        )
        return
    try:
        await session.action("mute")
    except StepFailed as exc:
        flow.put("mute", "fail", f"mute failed: {exc}")
        return
    silent = await far_end_silent(call, SILENCE_TIMEOUT)
    unmute = "unmute" if env.profile.has("unmute") else "mute"
    try:
        await session.action(unmute)
    except StepFailed as exc:
        flow.put("mute", "fail", f"{unmute} (to unmute) failed: {exc}", [silent.text])
        return
    back = await far_end_hears(call, {heard.tone: "the microphone again"}, AUDIO_TIMEOUT)
    ok = silent.ok and back.ok
    flow.put(
        "mute",
        "pass" if ok else "fail",
        "mute silences the microphone and unmute brings it back"
        if ok
        else (
            "mute did not silence the microphone"
            if not silent.ok
            else "unmute did not bring the microphone back"
        ),
        [f"muted: {silent.text}", f"unmuted: {back.text}"],
    )


# --- incoming call ---------------------------------------------------------------------------
async def incoming_flow(env: TargetEnv) -> list[CheckResult]:
    """The far end calls; the app answers; audio flows both ways."""
    flow = _Flow(env, ("incoming-call",))
    if not env.profile.has("answer"):
        return flow.finish("the profile defines no answer action", "not-applicable")
    return await _run(env, flow, _incoming_body)


async def _incoming_body(session: AppSession, flow: _Flow) -> None:
    env = flow.env
    call = await env.signalling.ring()
    started = time.monotonic()
    try:
        await session.action("answer")
    except StepFailed as exc:
        flow.put("incoming-call", "fail", f"answer failed: {exc}")
        return
    up = await session.wait(env.profile.call_up)
    answered = await env.signalling.wait_call(
        call.id - 1, max(env.profile.timeout - (time.monotonic() - started), 1)
    )
    evidence = [
        f"call_up {'held' if up else 'never held'}",
        f"the app {'answered' if answered is call else 'never answered'} the far end's call {call.id}",
    ]
    if not up or answered is not call:
        flow.put("incoming-call", "fail", "the incoming call did not come up", evidence)
        return
    connected = await far_end_connected(call, env.profile.timeout)
    evidence.append(connected.text)
    carried = await env.carried_by_local_device(call)
    if carried is not None:
        env.notes.setdefault("carried", []).append(carried)
    heard = await far_end_hears(call, await _tones(env), AUDIO_TIMEOUT) if connected.ok else None
    rendered = (
        await page_renders(session, await env.speakers(), env.far_tone, AUDIO_TIMEOUT)
        if connected.ok
        else None
    )
    evidence += [m.text for m in (heard, rendered) if m is not None]
    ok = connected.ok and heard is not None and heard.ok and rendered is not None and rendered.ok
    flow.put(
        "incoming-call",
        "pass" if ok else "fail",
        "the answered call carries audio both ways"
        if ok
        else "the answered call does not carry audio both ways",
        evidence,
    )
    with contextlib.suppress(StepFailed):  # the next session starts clean anyway
        await session.action("hang_up")


# --- reconnect -----------------------------------------------------------------------------
async def reconnect_flow(env: TargetEnv, body: Any = None) -> list[CheckResult]:
    """Call, disconnect, reconnect, call again: the app recovers without a reload (``body``:
    how the calls are proved; the harness's far end by default)."""
    flow = _Flow(env, ("reconnect-recovery",))
    if not env.redirected:
        return flow.finish("native Chromium has no remote-desktop connection to lose", "not-applicable")
    no_faults = env.no_faults_reason()
    if no_faults:
        return flow.finish(no_faults, "not-applicable")
    return await _run(env, flow, body or _reconnect_body)


async def disconnect_and_back(
    env: TargetEnv, session: AppSession, flow: _Flow, check: str, evidence: list[str]
) -> bool:
    """With a call up: disconnect (the app must end the call), reconnect (it must become ready
    again). ``False`` with a failing verdict on ``check`` when it does not; ``evidence`` grows."""
    fault = env.target.faults().fault
    await fault("disconnect", {})
    ended = await session.wait(env.profile.call_up, CALL_END_TIMEOUT, want=False)
    evidence.append(
        "after the disconnect the app ended the call"
        if ended
        else f"{CALL_END_TIMEOUT:g} s after the disconnect the app still shows the call as up"
    )
    await fault("reconnect", {})
    if not ended:
        flow.put(check, "fail", "the app did not notice the disconnect: its call still shows as up", evidence)
        return False
    if not await session.wait_ready():
        flow.put(check, "fail", "the app did not become ready again after the reconnect", evidence)
        return False
    return True


async def _reconnect_body(session: AppSession, flow: _Flow) -> None:
    env, check = flow.env, "reconnect-recovery"
    token, navigations = await session.token(), session.navigations
    first, evidence = await _place_call(env, session, flow, check)
    if first is None:
        flow.results[
            check
        ].summary = f"the first call failed, before any disconnect: {flow.results[check].summary}"
        return
    if not await disconnect_and_back(env, session, flow, check, evidence):
        return
    second, more = await _place_call(env, session, flow, check)
    evidence += [f"after the reconnect: {text}" for text in more]
    if second is None:
        flow.results[check].evidence = evidence
        flow.results[check].summary = f"after the reconnect: {flow.results[check].summary}"
        return
    heard = await far_end_hears(second, await _tones(env), AUDIO_TIMEOUT)
    rendered = await page_renders(session, await env.speakers(), env.far_tone, AUDIO_TIMEOUT)
    same_document = await session.token() == token and session.navigations == navigations
    evidence += [
        heard.text,
        rendered.text,
        "the same document throughout (no reload)" if same_document else "the page was reloaded",
    ]
    ok = heard.ok and rendered.ok and same_document
    summary = (
        "after disconnect and reconnect a new call works without a reload"
        if ok
        else "the page reloaded to recover"
        if not same_document
        else "after the reconnect the new call carries no audio"
        if not heard.ok
        else "after the reconnect the far end's audio is not rendered"
    )
    flow.put(check, "pass" if ok else "fail", summary, evidence)
    with contextlib.suppress(StepFailed):  # the next session starts clean anyway
        await session.action("hang_up")


# --- calls while redirection is expected but not active ------------------------------------
async def disconnected_flow(env: TargetEnv) -> list[CheckResult]:
    """Disconnect, try to call: the app must refuse (no peer connection, no capture)."""
    flow = _Flow(env, ("no-unredirected-call",))
    if not env.redirected:
        return flow.finish("redirection is never active natively, so no call can bypass it", "not-applicable")
    no_faults = env.no_faults_reason()
    if no_faults:
        return flow.finish(no_faults, "not-applicable")
    return await _run(env, flow, _disconnected_body)


async def _disconnected_body(session: AppSession, flow: _Flow) -> None:
    env, check = flow.env, "no-unredirected-call"
    since = env.signalling.last_id
    fault = env.target.faults().fault
    await fault("disconnect", {})
    seen = False
    deadline = time.monotonic() + SILENCE_TIMEOUT
    while not seen and time.monotonic() < deadline:
        seen = all(d.get("isCallRedirectionEnabled") is False for d in await session.audit("diagnostics"))
        if not seen:
            await asyncio.sleep(0.05)
    evidence = list(env.notes.get("carried", []))
    try:
        await session.action("start_call", timeout=REFUSAL_TIMEOUT)
        evidence.append("start_call performed while redirection was disconnected")
    except StepFailed as exc:
        evidence.append(f"start_call could not be performed while disconnected (a refusal): {exc}")
    settled = await session.settle()
    evidence.append(
        "the page settled after the attempt" if settled else "the page was still busy 5 s after the attempt"
    )
    reached = [c for c in env.signalling.calls if c.id > since]
    if reached:
        evidence.append(f"{len(reached)} call(s) reached the far end while redirection was disconnected")
    await fault("reconnect", {})
    not_carried = [e for e in evidence if "NOT carried" in e]
    ok = not reached and not not_carried
    flow.put(
        check,
        "pass" if ok else "fail",
        "no call bypassed the redirection"
        if ok
        else "a call reached the far end while redirection was disconnected"
        if reached
        else not_carried[0],
        evidence,
    )


FLOWS = (call_flow, incoming_flow, reconnect_flow, disconnected_flow)
