"""The behavioural checks of a call to the harness's far end (``far_end: harness``).

- :func:`call_flow`: pick devices, call, audio both ways, devices honoured, mute, hang-up;
- :func:`incoming_flow`: the far end calls, the app answers (when the profile can);
- :func:`~conformance.certify.flows.faults.reconnect_flow` and
  :func:`~conformance.certify.flows.faults.disconnected_flow`: the redirection's faults.

Each flow runs in a fresh context so that one broken behaviour fails its check only.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from conformance.certify.evidence.audio import (
    Measurement,
    far_end_connected,
    far_end_digits,
    far_end_hears,
    far_end_silent,
)
from conformance.certify.flows.base import (
    AUDIO_TIMEOUT,
    CALL_CHECKS,
    SILENCE_TIMEOUT,
    Flow,
    audio_both_ways,
    hang_up_check,
    hang_up_quietly,
    mute_applies,
    place_call,
    press_mute,
    run_flow,
    why_no_path,
)
from conformance.certify.flows.devices import devices_check, pick_devices
from conformance.certify.flows.faults import disconnected_flow, reconnect_flow
from conformance.certify.flows.quality import call_quality_check
from conformance.certify.session.steps import StepFailed

if TYPE_CHECKING:
    from conformance.certify.flows.context import TargetContext
    from conformance.certify.model import CheckResult
    from conformance.certify.session.app_session import AppSession
    from conformance.certify.session.signalling import Call

__all__ = ["FLOWS", "call_flow", "incoming_flow"]


# --- the main call ---------------------------------------------------------------------------
async def call_flow(env: TargetContext) -> list[CheckResult]:
    """Devices, call, audio both ways, devices honoured, mute, hang-up."""
    return await run_flow(env, Flow(env, CALL_CHECKS), _call_body)


async def _call_body(session: AppSession, flow: Flow) -> None:
    env, profile = flow.env, flow.env.profile
    devices, pick_errors = await pick_devices(session)
    call, evidence = await place_call(env, session, flow, "call-connects")
    if call is None:
        return
    flow.put("call-connects", "pass", "the call came up and the far end connected", evidence)
    await env.record_carried(call)
    if profile.diagnostics:
        await env.record_telemetry(session)
    await env.record_app_version(session)

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
    await _dtmf_check(session, flow, call)

    await hang_up_check(env, session, flow)


async def _mute_check(
    env: TargetContext, session: AppSession, flow: Flow, call: Call, heard: Measurement
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


#: The digits the keypad check sends: a digit and a symbol, as an IVR menu takes them.
DTMF_DIGITS = "5#"


async def _dtmf_check(session: AppSession, flow: Flow, call: Call) -> None:
    if not flow.env.profile.has("send_dtmf"):
        flow.put("dtmf-reaches-far-end", "not-applicable",
                 "the profile defines no send_dtmf action (the app's keypad)")
        return
    since = len((await call.stats()).get("dtmf") or [])
    try:
        for digit in DTMF_DIGITS:
            await session.action("send_dtmf", values={"digit": digit})
    except StepFailed as exc:
        flow.put("dtmf-reaches-far-end", "fail", f"send_dtmf failed: {exc}")
        return
    received = await far_end_digits(call, DTMF_DIGITS, since, AUDIO_TIMEOUT)
    flow.put(
        "dtmf-reaches-far-end",
        "pass" if received.ok else "fail",
        f"the far end received the keypad's digits {DTMF_DIGITS}"
        if received.ok
        else f"the far end did not receive the keypad's digits {DTMF_DIGITS}",
        [received.text],
    )


# --- incoming call ---------------------------------------------------------------------------
async def incoming_flow(env: TargetContext) -> list[CheckResult]:
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
        flow.put("incoming-call", "fail", "the incoming call did not come up"
                 + await why_no_path(env, session), evidence)
        return
    connected = await far_end_connected(call, env.profile.timeout)
    evidence.append(connected.text)
    await env.record_carried(call)
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
