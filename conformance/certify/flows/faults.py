"""The checks of the redirection's faults (they need a target that can inject them):

- :func:`reconnect_flow`: a call, a disconnect, a reconnect, a new working call;
- :func:`disconnected_flow`: a call attempt while redirection is expected but not active.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from conformance.certify.flows.base import (
    CALL_END_TIMEOUT,
    REFUSAL_TIMEOUT,
    SILENCE_TIMEOUT,
    Flow,
    FlowBody,
    audio_both_ways,
    hang_up_quietly,
    place_call,
    run_flow,
)
from conformance.certify.session.steps import StepFailed

if TYPE_CHECKING:
    from conformance.certify.flows.context import TargetContext
    from conformance.certify.model import CheckResult
    from conformance.certify.session.app_session import AppSession

__all__ = ["disconnect_and_back", "disconnected_flow", "reconnect_flow"]


# --- reconnect -----------------------------------------------------------------------------
async def _fault_flow(env: TargetContext, check: str, natively: str, body: FlowBody) -> list[CheckResult]:
    """Run ``body`` for ``check`` where the redirection's faults can be injected; else
    not-applicable (``natively`` says why on a target without redirection)."""
    flow = Flow(env, (check,))
    if not env.redirected:
        return flow.finish(natively, "not-applicable")
    no_faults = env.no_faults_reason()
    if no_faults:
        return flow.finish(no_faults, "not-applicable")
    return await run_flow(env, flow, body)


async def reconnect_flow(env: TargetContext, body: FlowBody | None = None) -> list[CheckResult]:
    """Call, disconnect, reconnect, call again: the app recovers without a reload (``body``:
    how the calls are proved; the harness's far end by default)."""
    natively = "native Chromium has no remote-desktop connection to lose"
    return await _fault_flow(env, "reconnect-recovery", natively, body or _reconnect_body)


async def disconnect_and_back(
    env: TargetContext, session: AppSession, flow: Flow, check: str, evidence: list[str]
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


async def _reconnect_body(session: AppSession, flow: Flow) -> None:
    env, check = flow.env, "reconnect-recovery"
    token, navigations = await session.token(), session.navigations
    first, evidence = await place_call(env, session, flow, check)
    if first is None:
        flow.qualify(check, "the first call failed, before any disconnect")
        return
    if not await disconnect_and_back(env, session, flow, check, evidence):
        return
    second, more = await place_call(env, session, flow, check)
    evidence += [f"after the reconnect: {text}" for text in more]
    if second is None:
        flow.qualify(check, "after the reconnect")
        flow.results[check].evidence = evidence  # the first call's, then the second's (as above)
        return
    heard, rendered = await audio_both_ways(env, session, second)
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
    await hang_up_quietly(session)


# --- calls while redirection is expected but not active ------------------------------------
async def disconnected_flow(env: TargetContext) -> list[CheckResult]:
    """Disconnect, try to call: the app must refuse (no peer connection, no capture)."""
    natively = "redirection is never active natively, so no call can bypass it"
    return await _fault_flow(env, "no-unredirected-call", natively, _disconnected_body)


async def _disconnected_body(session: AppSession, flow: Flow) -> None:
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
    # Whether the earlier calls ran on the local device: one that did not bypassed it too.
    evidence = [record.describe() for record in env.carried]
    not_carried = [record for record in env.carried if not record.carried]
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
    ok = not reached and not not_carried
    flow.put(
        check,
        "pass" if ok else "fail",
        "no call bypassed the redirection"
        if ok
        else "a call reached the far end while redirection was disconnected"
        if reached
        else not_carried[0].describe(),
        evidence,
    )


