"""The certification checks: stable ids, what each proves, and where it applies.

Behavioural checks drive the app through its profile and prove the outcome with the
virtual devices and the far end (never with the app's UI alone). Audit checks judge the
API-usage record (:mod:`conformance.certify.audit.rules`): a finding of severity ``error`` that
names a check fails it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CHECKS", "Check", "check_ids", "checks_json"]


@dataclass(frozen=True)
class Check:
    """One certification check."""

    id: str
    title: str
    description: str
    kind: str  # "behaviour" or "audit"
    limitation: str | None = None


CHECKS: tuple[Check, ...] = (
    Check(
        "call-connects",
        "A call connects",
        "start_call brings the profile's call_up condition, and the far end's peer connection "
        "reaches `connected`.",
        "behaviour",
    ),
    Check(
        "audio-both-ways",
        "Audio flows both ways",
        "The far end receives the page's microphone (redirected: a virtual microphone's known "
        "tone; native: the sound card's or the fake capture's tone), and the page renders the far "
        "end's tone (redirected: on a virtual speaker; native: on the sound card's speaker, or "
        "without one measured on the remote track the app plays).",
        "behaviour",
    ),
    Check(
        "devices-honoured",
        "The chosen microphone and speaker are used",
        "After pick_microphone/pick_speaker with the suite's choice (never the default device), "
        "the far end hears that microphone and the far end's audio plays on that speaker.",
        "behaviour",
    ),
    Check(
        "call-quality",
        "Call quality is measured",
        "The far end sends speech for a few seconds; what the chosen speaker played is scored "
        "against it (ViSQOL MOS-LQO, 5 = a perfect copy) with the mouth-to-ear delay. "
        "Reported; `--min-mos X` fails it under X. Natively it needs a speaker that keeps "
        "what it played.",
        "behaviour",
    ),
    Check(
        "mute",
        "Mute mutes",
        "After mute the far end's received level drops to silence; after unmute the tone returns.",
        "behaviour",
    ),
    Check(
        "dtmf-reaches-far-end",
        "Keypad digits reach the far end",
        "send_dtmf, run once per digit of the suite's sequence ({digit}), makes the harness's far "
        "end decode the same digits as RFC 4733 telephone-events, in order. Not applicable without "
        "a send_dtmf action, or when the far end is the app's own backend (it cannot tell which "
        "digits arrived).",
        "behaviour",
    ),
    Check(
        "hang-up-releases",
        "Hang-up releases every track and peer connection",
        "After hang_up the audit layer counts no open peer connection and no live captured track.",
        "behaviour",
    ),
    Check(
        "incoming-call",
        "An incoming call can be answered",
        "The far end calls the app; after the answer action the call is up and audio flows.",
        "behaviour",
    ),
    Check(
        "reconnect-recovery",
        "Recovers from a disconnect without a reload",
        "Under redirection: a call is up, the RDP client disconnects (the app must end the call) "
        "and reconnects; the app then places a working call, in the same document.",
        "behaviour",
    ),
    Check(
        "detection-diagnostics",
        "Detects redirection and collects its diagnostics",
        "The app reads isCallRedirectionEnabled and the five diagnostics (mmrClientVersion, "
        "mmrHostVersion, mmrExtensionVersion, activityId, connectionId); with a `diagnostics` "
        "expression, its telemetry holds their values.",
        "audit",
    ),
    Check(
        "webaudio-supported-nodes",
        "No unsupported Web Audio node on call media",
        "Captured or received call audio only feeds MediaStreamAudioSourceNode, AnalyserNode, "
        "MediaStreamAudioDestinationNode and the context's destination.",
        "audit",
        "webaudio-node-limit",
    ),
    Check(
        "local-playback-sink",
        "No setSinkId on local playback",
        "setSinkId is only used on elements that play the call's received WebRTC audio; local "
        "playback (a ringtone from a URL) is left on the default output.",
        "audit",
        "local-playback-default-output",
    ),
    Check(
        "async-proxy-state",
        "No synchronous read of proxied state right after creation",
        "The app does not read state that arrives asynchronously under redirection "
        "(getSettings, getParameters, mid, currentDirection, RTCDataChannel.id) in the same task "
        "that created the object.",
        "audit",
        "async-proxy-state",
    ),
    Check(
        "no-unredirected-call",
        "Never places an un-redirected call while redirection is expected",
        "Every call the far end received under redirection was carried by the local device, and "
        "no call proceeds outside redirection while it is expected but not active: no peer "
        "connection created then connects, no capture then yields live audio, no call reaches "
        "the far end. An attempt that fails cleanly during a disconnect is an info finding.",
        "behaviour",
    ),
    Check(
        "supported-apis",
        "Uses no API that redirection cannot carry",
        "No insertable streams or encoded transforms on call media; other APIs outside the 13 "
        "supported interfaces (screen capture, video capture, MediaRecorder...) are reported as "
        "warnings.",
        "audit",
    ),
)


def check_ids() -> list[str]:
    """Every check id, in report order."""
    return [check.id for check in CHECKS]


def checks_json() -> list[dict[str, str]]:
    """The catalogue as the report's ``checks`` entries start."""
    return [
        {
            "id": c.id,
            "title": c.title,
            "description": c.description,
            "kind": c.kind,
            **({"limitation": c.limitation} if c.limitation else {}),
        }
        for c in CHECKS
    ]
