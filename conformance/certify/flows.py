"""The behavioural checks of a call to the harness's far end (``far_end: harness``).

- :func:`call_flow`: pick devices, call, audio both ways, devices honoured, mute, hang-up;
- :func:`incoming_flow`: the far end calls, the app answers (when the profile can);
- :func:`~conformance.certify.fault_flows.reconnect_flow` and
  :func:`~conformance.certify.fault_flows.disconnected_flow`: the redirection's faults.

Each flow runs in a fresh context so that one broken behaviour fails its check only.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from conformance.certify.devices import devices_check, pick_devices
from conformance.certify.evidence import (
    Measurement,
    far_end_connected,
    far_end_hears,
    far_end_silent,
)
from conformance.certify.fault_flows import disconnected_flow, reconnect_flow
from conformance.certify.flow_base import (
    AUDIO_TIMEOUT,
    CALL_CHECKS,
    RELEASE_TIMEOUT,
    SILENCE_TIMEOUT,
    Flow,
    audio_both_ways,
    hang_up_quietly,
    place_call,
    run_flow,
)
from conformance.certify.model import CallSite
from conformance.certify.quality_check import call_quality_check
from conformance.certify.rules import RawFinding
from conformance.certify.steps import StepFailed

if TYPE_CHECKING:
    from conformance.certify.env import TargetEnv
    from conformance.certify.model import CheckResult
    from conformance.certify.session import AppSession
    from conformance.certify.signalling import Call

__all__ = ["FLOWS", "call_flow", "hang_up_check", "incoming_flow", "mute_applies", "press_mute"]


# --- the main call ---------------------------------------------------------------------------
async def call_flow(env: TargetEnv) -> list[CheckResult]:
    """Devices, call, audio both ways, devices honoured, mute, hang-up."""
    return await run_flow(env, Flow(env, CALL_CHECKS), _call_body)


async def _call_body(session: AppSession, flow: Flow) -> None:
    env, profile = flow.env, flow.env.profile
    devices, pick_errors = await pick_devices(session)
    call, evidence = await place_call(env, session, flow, "call-connects")
    if call is None:
        return
    flow.put("call-connects", "pass", "the call came up and the far end connected", evidence)
    await env.note_carried(call)
    if profile.diagnostics:
        await env.note_telemetry(session)
    await env.note_app_version(session)

    heard, rendered = await audio_both_ways(env, session, call)
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

    await devices_check(env, session, flow, devices, heard, rendered, pick_errors, call)
    if both:
        await call_quality_check(env, flow, call, devices)
    else:
        flow.put("call-quality", "not-evaluated", "no audio flows both ways to score")
    await _mute_check(env, session, flow, call, heard)

    await hang_up_check(env, session, flow)


async def hang_up_check(env: TargetEnv, session: AppSession, flow: Flow) -> None:
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
    env.findings.append(
        RawFinding("hang-up-leak", env.name, message, evidence, sites)
    )


def mute_applies(env: TargetEnv, flow: Flow, judged: bool, why_not: str) -> bool:
    """Whether ``mute`` can be judged: ``False`` once its verdict is put (not-applicable
    without a mute action, not-evaluated with ``why_not`` unless ``judged``: the microphone
    was first proved to carry audio)."""
    if not env.profile.has("mute"):
        flow.put("mute", "not-applicable", "the profile defines no mute action")
        return False
    if not judged:
        flow.put("mute", "not-evaluated", why_not)
        return False
    return True


async def press_mute(
    env: TargetEnv,
    session: AppSession,
    flow: Flow,
    *,
    unmute: bool = False,
    evidence: list[str] | None = None,
) -> bool:
    """The profile's mute action (``unmute``: its unmute action, or mute again without one);
    ``False`` with a failing ``mute`` verdict when the action fails."""
    action = "unmute" if unmute and env.profile.has("unmute") else "mute"
    try:
        await session.action(action)
    except StepFailed as exc:
        what = f"{action} (to unmute)" if unmute else action
        flow.put("mute", "fail", f"{what} failed: {exc}", evidence)
        return False
    return True


async def _mute_check(
    env: TargetEnv, session: AppSession, flow: Flow, call: Call, heard: Measurement
) -> None:
    why_not = "the far end never heard the microphone, so muting cannot be judged"
    if not mute_applies(env, flow, heard.ok and heard.tone is not None, why_not):
        return
    assert heard.tone is not None  # mute_applies saw it
    if not await press_mute(env, session, flow):
        return
    silent = await far_end_silent(call, SILENCE_TIMEOUT)
    if not await press_mute(env, session, flow, unmute=True, evidence=[silent.text]):
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
    flow = Flow(env, ("incoming-call",))
    if not env.profile.has("answer"):
        return flow.finish("the profile defines no answer action", "not-applicable")
    return await run_flow(env, flow, _incoming_body)


async def _incoming_body(session: AppSession, flow: Flow) -> None:
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
    await env.note_carried(call)
    ok = connected.ok
    if connected.ok:
        heard, rendered = await audio_both_ways(env, session, call)
        evidence += [heard.text, rendered.text]
        ok = heard.ok and rendered.ok
    flow.put(
        "incoming-call",
        "pass" if ok else "fail",
        "the answered call carries audio both ways"
        if ok
        else "the answered call does not carry audio both ways",
        evidence,
    )
    await hang_up_quietly(session)


FLOWS = (call_flow, incoming_flow, reconnect_flow, disconnected_flow)
