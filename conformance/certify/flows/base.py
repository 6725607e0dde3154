"""What every flow shares: its results as they come (:class:`Flow`), a page session around
its body (:func:`run_flow`), the timeouts, placing a call to the harness's far end, and the
helpers of the checks every kind of far end shares (:func:`hang_up_check`, :func:`press_mute`,
:func:`mute_applies`).

Each flow runs in a fresh context so that one broken behaviour fails its check only.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from conformance.certify.evidence.artifacts import FAILING
from conformance.certify.evidence.audio import Measurement, far_end_connected, far_end_hears, page_renders
from conformance.certify.evidence.media_plane import MediaPlane
from conformance.certify.flows.context import TargetContext
from conformance.certify.model import CallSite, RawFinding, make_result
from conformance.certify.session.app_session import SessionError
from conformance.certify.session.steps import StepFailed
from conformance.certify.session.watch import PageGone

if TYPE_CHECKING:
    from conformance.certify.evidence.artifacts import SessionArtifacts
    from conformance.certify.model import CheckResult, Verdict
    from conformance.certify.session.app_session import AppSession
    from conformance.certify.session.signalling import Call

__all__ = [
    "AUDIO_TIMEOUT",
    "CALL_CHECKS",
    "CALL_END_TIMEOUT",
    "REFUSAL_TIMEOUT",
    "RELEASE_TIMEOUT",
    "SILENCE_TIMEOUT",
    "Flow",
    "FlowBody",
    "audio_both_ways",
    "hang_up_check",
    "hang_up_quietly",
    "mute_applies",
    "place_call",
    "press_mute",
    "run_flow",
    "why_no_path",
]

AUDIO_TIMEOUT = 10.0
SILENCE_TIMEOUT = 5.0
RELEASE_TIMEOUT = 3.0
CALL_END_TIMEOUT = 3.0
REFUSAL_TIMEOUT = 3.0
#: The checks of the main call flow, in the order they are judged.
CALL_CHECKS = (
    "call-connects", "audio-both-ways", "devices-honoured", "call-quality", "mute",
    "dtmf-reaches-far-end", "hang-up-releases",
)


class Flow:
    """Results of one flow as they come, with a clock per check."""

    def __init__(self, env: TargetContext, checks: tuple[str, ...]) -> None:
        self.env = env
        self.checks = checks
        self.results: dict[str, CheckResult] = {}
        #: The evidence of the flow's page (``None`` when the certification keeps none).
        self.artifacts: SessionArtifacts | None = None
        self._started = time.perf_counter()

    def put(self, check: str, verdict: Verdict, summary: str, evidence: list[str] | None = None) -> None:
        """The verdict of ``check``, timed since the previous one (a failing one is
        screenshot as it fails)."""
        duration = time.perf_counter() - self._started
        self.results[check] = make_result(check, self.env.name, verdict, summary, evidence, duration)
        if self.artifacts is not None and verdict in FAILING:
            self.artifacts.failed(check)
        self._started = time.perf_counter()

    def qualify(self, check: str, when: str, evidence: list[str] | None = None) -> None:
        """Say ``when`` the verdict already put on ``check`` arose (its summary gains the
        prefix; ``evidence`` goes before its own)."""
        result = self.results[check]
        result.summary = f"{when}: {result.summary}"
        if evidence:
            result.evidence = [*evidence, *result.evidence]

    def running(self) -> str | None:
        """The check being judged now: the first without a verdict (``None``: all have one)."""
        return next((c for c in self.checks if c not in self.results), None)

    def gone(self, gone: PageGone) -> list[CheckResult]:
        """The page can no longer be driven: the running check fails with the reason, the
        rest are not evaluated with it."""
        self.put(self.running() or self.checks[0], "fail", str(gone))
        return self.finish(f"not evaluated: {gone}")

    def finish(self, reason: str, verdict: Verdict = "not-evaluated") -> list[CheckResult]:
        """Every check's result, ``verdict`` with ``reason`` for those never judged."""
        for check in self.checks:
            if check not in self.results:
                self.put(check, verdict, reason)
        return [self.results[c] for c in self.checks]


#: A flow's body: what it does with a ready page session.
FlowBody = Callable[["AppSession", Flow], Awaitable[None]]


async def run_flow(env: TargetContext, flow: Flow, body: FlowBody) -> list[CheckResult]:
    """Open a session, run ``body(session, flow)``, always finish; errors become verdicts;
    failing results link the evidence of the flow's page. After an app page of the target
    stopped answering, nothing runs: every check is not evaluated with that reason."""
    if env.halted is not None:
        return flow.finish(f"not evaluated: {env.halted}")
    flow.artifacts = env.new_artifacts(flow.checks)
    try:
        session = await env.open_session(flow.artifacts, flow.running)
    except SessionError as exc:
        return _with_evidence(flow, flow.finish(f"the app could not be prepared: {exc}", "error"))
    except PageGone as gone:
        return _with_evidence(flow, flow.gone(gone))
    reason = "not evaluated: an earlier step of this flow failed"
    try:
        await body(session, flow)
    except PageGone as gone:  # hung, crashed or left: the reason is the page's, not a step's
        return _with_evidence(flow, flow.gone(gone))
    except Exception as exc:  # the harness or the browser failed around the app
        reason = f"harness error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        return _with_evidence(flow, flow.finish(reason, "error"))
    finally:
        await env.finish(session)
    return _with_evidence(flow, flow.finish(reason))


def _with_evidence(flow: Flow, results: list[CheckResult]) -> list[CheckResult]:
    if flow.artifacts is not None:
        for result in results:
            if result.verdict in FAILING:
                flow.artifacts.attach(result)
    return results


async def hang_up_quietly(session: AppSession) -> None:
    """End a call a check no longer needs (a failure does not matter: the next session
    starts clean anyway)."""
    with contextlib.suppress(StepFailed):
        await session.action("hang_up")


async def place_call(
    env: TargetContext, session: AppSession, flow: Flow, check: str
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
        summary = "the call did not come up" if call else "no call reached the far end"
        flow.put(check, "fail", summary + await why_no_path(env, session), evidence)
        return None, evidence
    connected = await far_end_connected(call, env.profile.timeout)
    evidence.append(connected.text)
    if not connected.ok:
        flow.put(check, "fail", "the far end never connected" + await why_no_path(env, session), evidence)
        return None, evidence
    return call, evidence


async def why_no_path(env: TargetContext, session: AppSession) -> str:
    """``": <why>"`` when the run's networks explain a call that never connected (a home's
    NAT or firewall, the far end's own NAT, no TURN server), else ``""``."""
    why = await MediaPlane(env, session).no_path()
    return f": {why}" if why else ""


async def audio_both_ways(
    env: TargetContext, session: AppSession, call: Call
) -> tuple[Measurement, Measurement]:
    """Whether the far end hears one of the microphones' tones, and whether the page renders
    the far end's tone (on the local device's speakers where there are some)."""
    tones = {tone: what for tone, what in (await env.mic_tones()).values()}
    heard = await far_end_hears(call, tones, AUDIO_TIMEOUT)
    rendered = await page_renders(session, await env.speakers(), env.far_tone, AUDIO_TIMEOUT)
    return heard, rendered


# --- helpers of the checks every kind of far end shares ------------------------------------
async def hang_up_check(env: TargetContext, session: AppSession, flow: Flow) -> None:
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


async def _leak_finding(env: TargetContext, session: AppSession, counts: dict[str, int]) -> None:
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


def mute_applies(env: TargetContext, flow: Flow, judged: bool, why_not: str) -> bool:
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
    env: TargetContext,
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
