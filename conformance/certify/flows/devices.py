"""The ``devices-honoured`` check: the suite picks devices through the profile, then proves
the call uses them (by the tone the far end hears, the speaker that plays, or the audit's
view of the sent track).

Each piece of proof is a :class:`DeviceProof`; the verdict reads their outcomes, the report
shows their sentences.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from conformance.certify.evidence.audio import TONE_TOLERANCE_HZ, Measurement, far_end_hears
from conformance.certify.flows.base import AUDIO_TIMEOUT
from conformance.certify.model import CallSite, RawFinding
from conformance.certify.session.steps import StepFailed

if TYPE_CHECKING:
    from conformance.certify.flows.base import Flow
    from conformance.certify.flows.context import TargetContext
    from conformance.certify.session.app_session import AppSession, Devices
    from conformance.certify.session.signalling import Call

__all__ = [
    "DeviceKind",
    "DeviceProof",
    "Outcome",
    "choice_unprovable",
    "devices_check",
    "devices_check_applies",
    "pick_devices",
    "put_devices_verdict",
    "sent_track_device",
    "speaker_honoured",
]

DeviceKind = Literal["microphone", "speaker"]


class Outcome(enum.Enum):
    """What could be proved about one chosen device."""

    HONOURED = "honoured"
    NOT_HONOURED = "not-honoured"
    #: The choice cannot be proved here (one device only, or no audio to place).
    UNPROVABLE = "unprovable"


@dataclass(frozen=True)
class DeviceProof:
    """What was proved about the chosen microphone or speaker, and how (``detail``)."""

    device: DeviceKind
    outcome: Outcome
    detail: str

    @classmethod
    def of(cls, device: DeviceKind, honoured: bool, detail: str) -> DeviceProof:
        """A proof that the choice was, or was not, honoured."""
        return cls(device, Outcome.HONOURED if honoured else Outcome.NOT_HONOURED, detail)

    @property
    def text(self) -> str:
        """The proof as a sentence of evidence."""
        return f"{'n/a' if self.outcome is Outcome.UNPROVABLE else self.device}: {self.detail}"


def choice_unprovable(device: DeviceKind, listed: int) -> DeviceProof | None:
    """The proof that a choice among ``listed`` devices cannot be made (fewer than two)."""
    if listed >= 2:
        return None
    detail = f"only {listed} {device}(s) listed, a choice cannot be proven"
    return DeviceProof(device, Outcome.UNPROVABLE, detail)


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


def devices_check_applies(env: TargetContext, flow: Flow, pick_errors: list[str]) -> bool:
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


def put_devices_verdict(flow: Flow, proofs: list[DeviceProof]) -> None:
    """``devices-honoured`` from the proofs: fail when a choice was not honoured,
    not-applicable when no choice could be proved, else pass."""
    failures = [p.text for p in proofs if p.outcome is Outcome.NOT_HONOURED]
    evidence = [p.text for p in proofs if p.outcome is not Outcome.NOT_HONOURED]
    if failures:
        flow.put("devices-honoured", "fail", failures[0], failures + evidence)
    elif all(p.outcome is Outcome.UNPROVABLE for p in proofs):
        flow.put("devices-honoured", "not-applicable", "; ".join(evidence), evidence)
    else:
        flow.put("devices-honoured", "pass", "the chosen devices are used", evidence)


async def devices_check(
    env: TargetContext,
    session: AppSession,
    flow: Flow,
    devices: Devices,
    heard: Measurement,
    rendered: Measurement,
    pick_errors: list[str],
    call: Call,
) -> None:
    """``devices-honoured`` on a call to the harness's far end (a finding when it fails)."""
    profile = env.profile
    if not devices_check_applies(env, flow, pick_errors):
        return
    proofs: list[DeviceProof] = []
    if profile.has("pick_microphone"):
        proofs.append(await _microphone_honoured(env, session, devices, heard, call))
    if profile.has("pick_speaker"):
        proofs.append(speaker_honoured(devices, rendered))
    failures = [p for p in proofs if p.outcome is Outcome.NOT_HONOURED]
    if failures:
        await _device_finding(env, session, failures)
    put_devices_verdict(flow, proofs)


async def _microphone_honoured(
    env: TargetContext, session: AppSession, devices: Devices, heard: Measurement, call: Call
) -> DeviceProof:
    unprovable = choice_unprovable("microphone", devices.microphones)
    if unprovable is not None:
        return unprovable
    tones = await env.mic_tones()
    if devices.mic_id in tones:  # the local device: each microphone has its own tone
        tone, what = tones[devices.mic_id]
        if heard.ok and heard.tone is not None and abs(heard.tone - tone) <= TONE_TOLERANCE_HZ:
            return DeviceProof.of("microphone", True, f"{heard.text}, the chosen {what}")
        again = await far_end_hears(call, {tone: what}, AUDIO_TIMEOUT / 2)
        return DeviceProof.of(
            "microphone",
            again.ok,
            again.text
            if again.ok
            else f"the chosen {what} ({tone:.0f} Hz) is not what the far end hears: {heard.text}",
        )
    return await sent_track_device(session, devices)


async def sent_track_device(session: AppSession, devices: Devices) -> DeviceProof:
    """Whether the page's sent track captures the chosen microphone (the audit's view)."""
    media = [m for m in await session.audit("media") if isinstance(m, dict)]
    sent = {t["id"] for m in media for t in m.get("sent", [])}
    captured = [t for m in media for t in m.get("captured", []) if t.get("id") in sent]
    # Device ids are per origin: a track captured in a frame of another origin has another
    # id for the chosen device, and the same label.
    used = [t for t in captured if t.get("deviceId") == devices.mic_id
            or (devices.mic_label and t.get("label") == devices.mic_label)]
    if used:
        return DeviceProof.of(
            "microphone", True, f"the sent track captures the chosen device {devices.mic_label!r}"
        )
    others = ", ".join(repr(t.get("label")) for t in captured) or "none"
    return DeviceProof.of(
        "microphone",
        False,
        f"the sent track does not capture the chosen {devices.mic_label!r} (it captures {others})",
    )


def speaker_honoured(devices: Devices, rendered: Measurement) -> DeviceProof:
    """Whether the far end's audio plays on the chosen speaker."""
    unprovable = choice_unprovable("speaker", devices.speakers)
    if unprovable is not None:
        return unprovable
    if not rendered.ok:
        return DeviceProof.of("speaker", False, f"nothing rendered the far end's audio ({rendered.text})")
    if rendered.where == devices.speaker_id:
        return DeviceProof.of("speaker", True, f"{rendered.text}, the chosen {devices.speaker_label!r}")
    return DeviceProof.of(
        "speaker",
        False,
        f"the far end's audio plays on {rendered.where or 'the default output'!s}, "
        f"not on the chosen {devices.speaker_label!r} ({rendered.text})",
    )


@dataclass(frozen=True)
class _Capture:
    """A getUserMedia call the audit saw."""

    constraints: str
    site: CallSite | None

    def describe(self) -> str:
        return f"getUserMedia({self.constraints}) at {self.site or 'an unknown site'}"


@dataclass(frozen=True)
class _SinkUse:
    """A setSinkId member the app called, and how often."""

    member: str
    count: object

    def describe(self) -> str:
        return f"{self.member} x{self.count}"


async def _device_finding(env: TargetContext, session: AppSession, failures: list[DeviceProof]) -> None:
    """A finding showing how the app captured and routed audio, with the call sites."""
    seen: list[_Capture | _SinkUse] = []
    for snap in await session.snapshots():
        for event in snap.get("events", []):
            if event.get("kind") == "capture":
                constraints = json.dumps(event.get("constraints"))[:200]
                seen.append(_Capture(constraints, CallSite.from_json(event.get("site"))))
        seen += [
            _SinkUse(key, entry.get("count"))
            for key, entry in (snap.get("usage") or {}).items()
            if key.endswith(".setSinkId")
        ]
    sites: list[CallSite] = []
    for item in seen:
        if isinstance(item, _Capture) and item.site is not None and item.site not in sites:
            sites.append(item.site)
    evidence = [item.describe() for item in seen]
    if not any(isinstance(item, _SinkUse) for item in seen):
        evidence.append("setSinkId was never called")
    message = " and ".join(f"the chosen {proof.device} is not used" for proof in failures)
    env.findings.append(
        RawFinding(
            "device-not-honoured",
            env.name,
            message,
            [*(proof.text for proof in failures), *evidence[-6:]],
            sites[-3:],
        )
    )
