"""What the flows of one target share: target, profile, far end, audit records."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conformance.certify.model import CheckResult, Verdict
from conformance.certify.session import AppSession

if TYPE_CHECKING:
    from conformance.certify.profile import Profile
    from conformance.certify.signalling import Call, SignallingServer
    from conformance.targets import HostView, Target

__all__ = ["TargetEnv", "make_result"]


def make_result(
    check: str,
    target: str,
    verdict: Verdict,
    summary: str,
    evidence: list[str] | None = None,
    duration: float = 0.0,
) -> CheckResult:
    """A check result (a shorthand for the flows)."""
    return CheckResult(check, target, verdict, summary, list(evidence or []), [], duration)


@dataclass
class TargetEnv:
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
    notes: dict[str, Any] = field(default_factory=dict)
    console: list[dict[str, Any]] = field(default_factory=list)

    @property
    def far_tone(self) -> float:
        """The tone the far end sends."""
        return self.signalling.tone_hz

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

    async def open_session(self) -> AppSession:
        """A loaded, set-up, ready app page (the caller finishes it)."""
        session = AppSession(
            self.target, self.profile, self.app_url, {"signal": self.signalling.url}
        )
        try:
            await session.open()
        except BaseException:
            await self.finish(session)
            raise
        return session

    async def finish(self, session: AppSession) -> None:
        """Keep the session's audit record, close it, hang up the far ends, reset the target."""
        with contextlib.suppress(Exception):
            if session.page is not None and not session.crashed:
                self.snapshots.extend(await session.snapshots())
        self.console.extend(session.console)
        await session.close()
        await self.signalling.hang_up_all()
        with contextlib.suppress(Exception):
            await self.target.after_item()

    async def host(self) -> HostView | None:
        """The local device behind the target when it offers one (reference), else ``None``:
        the flows then use the page-side evidence, as natively."""
        if not self.target.capabilities.host_peer_connections:
            return None
        return await self.target.host_view()

    async def mic_tones(self) -> dict[str, tuple[float, str]]:
        """deviceId -> (tone, description) of every microphone ('*' natively: one fake tone)."""
        host = await self.host()
        if host is None:
            return {"*": (self.native_mic_tone, "Chromium's fake capture")}
        return {m.device_id: (float(m.tone_hz), f"mic {m.index} {m.label!r}") for m in host.microphones}

    async def speakers(self) -> list[Any] | None:
        """The local device's virtual speakers (``None`` natively)."""
        host = await self.host()
        return list(host.speakers) if host is not None else None

    async def carried_by_local_device(self, call: Call) -> str | None:
        """Evidence that ``call`` runs on the local device: the DTLS fingerprint the far end
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
                    return (
                        f"call {call.id}: its DTLS fingerprint is the local device's peer connection "
                        f"{pc.get('pc')} (carried by the redirection)"
                    )
        return (
            f"call {call.id}: NOT carried by the local device (no host peer connection has its fingerprint)"
        )
