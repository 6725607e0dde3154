"""What the flows of one target share: target, profile, far end, evidence records.

:class:`TargetContext` was ``TargetEnv`` (``conformance.certify.env``) up to 0.1.0: renamed so
that "env" names only the profile's ``{env:NAME}`` secrets; the old name stays an alias for
one release.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conformance.certify.evidence.records import AppVersion, CarriedRecord, Telemetry
from conformance.certify.model import RawFinding
from conformance.certify.session.app_session import AppSession
from conformance.certify.session.steps import first_line
from conformance.network.topology import Topology

if TYPE_CHECKING:
    from collections.abc import Callable

    from conformance.certify.evidence.artifacts import ArtifactStore, SessionArtifacts
    from conformance.certify.profile.loader import Profile
    from conformance.certify.session.signalling import Call, SignallingServer
    from conformance.certify.session.watch import PageEvent
    from conformance.targets import HostView, Target

__all__ = ["TargetContext", "TargetEnv"]

#: The finding rule of each kind of thing a page does on its own (session/watch.py).
_EVENT_RULES = {"dialog": "page-dialog", "popup": "page-popup", "left-origin": "page-left-origin",
                "crash": "page-crashed", "unresponsive": "page-unresponsive"}
#: What the harness did, for the finding's evidence.
_ANSWERS = {
    "accepted": "the certification accepted it (OK; a prompt's default value; leave on "
                "beforeunload), as a user would to go on",
    "closed": "the certification closed it",
    "closed the page": "a probe had no answer within 4 s: the certification closed the page, "
                       "which ends its renderer, as the scenario harness does with a hung page",
}


@dataclass
class TargetContext:
    """One target's certification state."""

    name: str
    target: Target
    profile: Profile
    signalling: SignallingServer
    app_url: str
    native_mic_tone: float
    #: Which expectations apply on the target: ``native`` or ``redirected``.
    kind: str = "native"
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    console: list[dict[str, Any]] = field(default_factory=list)
    #: Whether each call the far end received ran on the local device (where it can tell).
    carried: list[CarriedRecord] = field(default_factory=list)
    #: Findings of the flows themselves (leaks, devices not honoured), before the audit's.
    findings: list[RawFinding] = field(default_factory=list)
    #: The app's telemetry, read once a call is up (when the profile names ``diagnostics``).
    telemetry: Telemetry | None = None
    #: The app's version, read once (when the profile names ``version_js``).
    app_version: AppVersion | None = None
    #: Where failing checks' screenshots and traces go (``None``: none are kept).
    artifacts: ArtifactStore | None = None
    #: deviceId -> label of every device the app's pages listed.
    device_labels: dict[str, str] = field(default_factory=dict)
    #: ``--min-mos``: the call-quality score under which ``call-quality`` fails (``None``:
    #: the score is reported only).
    min_mos: float | None = None
    #: Why the target's later checks are not evaluated: its app page stopped answering
    #: (each later page would only hang again, each for a whole bound).
    halted: str | None = None

    @property
    def far_tone(self) -> float:
        """The tone the far end sends."""
        return self.signalling.tone_hz

    @property
    def far_end_network(self) -> Topology | None:
        """The far end's own network when it sits behind a NAT (``--far-end-network``)."""
        return self.signalling.site.network

    @property
    def redirected(self) -> bool:
        """Whether pages on the target are redirected (the reference or a real product)."""
        return self.kind == "redirected"

    def no_faults_reason(self) -> str | None:
        """Why a check that disconnects the redirection cannot run here, or ``None``."""
        if self.target.capabilities.faults:
            return None
        return (f"the {self.name} target cannot inject a disconnect (no fault injection): "
                "this check needs the reference target")

    def new_artifacts(self, checks: tuple[str, ...]) -> SessionArtifacts | None:
        """The evidence of a new session judging ``checks`` (``None``: none is kept)."""
        return self.artifacts.start(checks) if self.artifacts is not None else None

    async def open_session(self, artifacts: SessionArtifacts | None = None,
                           checking: Callable[[], str | None] | None = None) -> AppSession:
        """A loaded, set-up, ready app page (the caller finishes it); ``checking`` says
        which check is being judged, for what the page does on its own."""
        session = AppSession(
            self.target, self.profile, self.app_url, self.signalling.placeholders(), artifacts=artifacts
        )
        if checking is not None:
            session.watch.checking = checking
        try:
            await session.open()
        except BaseException:
            await self.finish(session, failed=True)
            raise
        return session

    async def finish(self, session: AppSession, *, failed: bool = False) -> None:
        """Keep the session's audit record and evidence (``failed``: it could not be
        prepared), close it, hang up the far ends, reset the target."""
        with contextlib.suppress(Exception):
            if session.readable:
                self.snapshots.extend(await session.snapshots())
        await session.watch.close()  # the popups closed, so that they are recorded
        self.findings += [self._page_finding(event) for event in session.watch.events]
        hung = next((e for e in session.watch.events if e.kind == "unresponsive"), None)
        if hung is not None and self.halted is None:
            self.halted = hung.describe() + (f" (in {hung.check})" if hung.check else "")
        if session.artifacts is not None:
            artifacts = session.artifacts
            # The main call's page may be the evidence of an audit check judged later.
            await artifacts.collect(keep_trace=failed or artifacts is artifacts.store.main)
        self.console.extend(session.console)
        self.device_labels.update(session.device_labels)
        await session.close()
        await self.signalling.hang_up_all()
        with contextlib.suppress(Exception):
            await self.target.after_item()

    def _page_finding(self, event: PageEvent) -> RawFinding:
        """The finding of something the page did on its own, on the check then running."""
        evidence = [_ANSWERS.get(event.answer, event.answer)] if event.answer else []
        if event.check:
            evidence.append(f"while the {event.check} check ran")
        return RawFinding(_EVENT_RULES[event.kind], self.name, event.describe(), evidence, [], event.check)

    async def host(self) -> HostView | None:
        """The local device behind the target when it offers one (reference), else ``None``:
        the flows then use the page-side evidence, as natively."""
        if not self.target.capabilities.host_peer_connections:
            return None
        return await self.target.host_view()

    async def mic_tones(self) -> dict[str, tuple[float, str]]:
        """deviceId -> (tone, description) of every microphone ('*' natively: one fake tone;
        empty where the microphones are not the suite's, so any audible tone counts)."""
        host = await self.host()
        if host is None and not self.target.launched_by_suite:
            return {}  # a browser the suite did not start: its microphones are its own
        if host is None:
            card = self.target.browsers.soundcard if self.target.capabilities.speaker_records else None
            return {"*": (self.native_mic_tone,
                          "the sound card's microphone" if card is not None else "Chromium's fake capture")}
        return {m.device_id: (float(m.tone_hz), f"mic {m.index} {m.label!r}") for m in host.microphones}

    async def speakers(self) -> list[Any] | None:
        """The speakers whose records say what played: the local device's virtual speakers,
        natively the suite's sound card's (``None`` without either: page-side evidence)."""
        host = await self.host()
        if host is not None:
            return list(host.speakers)
        card = self.target.browsers.soundcard if self.target.capabilities.speaker_records else None
        return list(card.speakers) if card is not None else None

    async def carried_by_local_device(self, call: Call) -> CarriedRecord | None:
        """Whether ``call`` runs on the local device: the DTLS fingerprint the far end
        negotiated belongs to one of the reference host's peer connections. ``None`` when
        the target cannot tell."""
        host = await self.host()
        if host is None:
            return None
        fingerprints = {
            line.strip() for line in call.app_sdp.splitlines() if line.startswith("a=fingerprint:")
        }
        for pc in await host.peer_connections():
            for key in ("localDescription", "currentLocalDescription"):
                description = pc.get(key)
                sdp = description.get("sdp", "") if isinstance(description, dict) else str(description or "")
                if fingerprints and fingerprints & {line.strip() for line in sdp.splitlines()}:
                    return CarriedRecord(call.id, carried=True, peer_connection=str(pc.get("pc")))
        return CarriedRecord(call.id, carried=False)

    async def record_carried(self, call: Call) -> None:
        """Record whether ``call`` runs on the local device (nothing where that cannot be told)."""
        record = await self.carried_by_local_device(call)
        if record is not None:
            self.carried.append(record)

    async def record_app_version(self, session: AppSession) -> None:
        """Read the app's version with the profile's ``version_js``, once per target."""
        expression = self.profile.app.version_js
        if not expression or self.app_version is not None:
            return
        try:
            value = await session.evaluate(expression)
        except Exception as exc:  # the app's expression failed: the report says so
            self.app_version = AppVersion(error=first_line(exc))
            return
        self.app_version = AppVersion(str(value) if value else None)

    async def record_telemetry(self, session: AppSession) -> None:
        """Read the app's telemetry (the profile's ``diagnostics``) beside the page's own
        redirection diagnostics, for the ``detection-diagnostics`` verdict."""
        value: Any = None
        error: str | None = None
        try:
            value = await session.evaluate(self.profile.diagnostics or "undefined")
        except Exception as exc:  # the app's expression failed: the verdict says so
            error = first_line(exc)
        answers = await session.audit("diagnostics")
        diagnostics = answers[0] if answers and isinstance(answers[0], dict) else {}
        self.telemetry = Telemetry(value, error, dict(diagnostics))


#: Deprecated alias of :class:`TargetContext` (its name before the certify subpackages).
TargetEnv = TargetContext
