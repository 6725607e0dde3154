"""Rules: turn the audit's record of one target into findings.

Each rule has a stable id, a severity, the check it belongs to (an ``error`` finding fails
that check; what the page did on its own, e.g. a dialog, belongs to the check that was
running when it happened: :attr:`RawFinding.check`), the documented limitation it relates
to (ids of ``scenarios/limitations.yaml``) and a fix hint. Findings carry the evidence
(what was called, with what) and the call sites in the app's scripts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from conformance.certify.model import CallSite, Finding, RawFinding, Severity

__all__ = ["DETECTION", "DIAGNOSTICS", "RULES", "RawFinding", "Rule", "evaluate", "merge_findings"]

#: The diagnostics the vendor recommends collecting, besides the detection flag.
DIAGNOSTICS: tuple[str, ...] = (
    "mmrClientVersion",
    "mmrHostVersion",
    "mmrExtensionVersion",
    "activityId",
    "connectionId",
)
#: The detection flag and the diagnostics: what an app should read, and reports show.
DETECTION: tuple[str, ...] = ("isCallRedirectionEnabled", *DIAGNOSTICS)
_SUPPORTED_NODES = ("MediaStreamAudioSourceNode, AnalyserNode, MediaStreamAudioDestinationNode and the "
                    "context's destination (its speaker, as AudioContext.setSinkId chooses)")


@dataclass(frozen=True)
class Rule:
    """A rule's fixed facts; the message and evidence come from what the audit saw."""

    id: str
    severity: Severity
    title: str
    hint: str
    check: str | None = None
    limitation: str | None = None


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule(
            "webaudio-unsupported-node",
            "error",
            "Call audio feeds an unsupported Web Audio node",
            f"Under call redirection only {_SUPPORTED_NODES} work with redirected media. Measure "
            "levels with an AnalyserNode; leave gain, filters and effects to getUserMedia constraints "
            "or to the far end; degrade gracefully where Web Audio fails.",
            "webaudio-supported-nodes",
            "webaudio-node-limit",
        ),
        Rule(
            "setsinkid-local-playback",
            "error",
            "setSinkId used on local playback",
            "Local playback (a ringtone or notification from a URL) always plays on the remote "
            "session's default output under call redirection, whatever setSinkId says: do not rely "
            "on it. Call setSinkId only on the element whose srcObject carries the call's remote "
            "stream.",
            "local-playback-sink",
            "local-playback-default-output",
        ),
        Rule(
            "sync-proxy-state-read",
            "error",
            "Proxied state read synchronously right after creation",
            "Under call redirection this state arrives asynchronously from the local device: a "
            "read in the same task returns a placeholder. Read it later, when an event or promise "
            "says it is ready (e.g. after `unmute`, `negotiationneeded`, `open`, or the next "
            "setLocalDescription), or keep the value the app asked for.",
            "async-proxy-state",
            "async-proxy-state",
        ),
        Rule(
            "unredirected-call",
            "error",
            "Call attempted while redirection was expected but not active",
            "When isCallRedirectionEnabled is false after redirection was active (or the "
            "rdpClientConnectionStateChanged event said `disconnected`), refuse the call visibly "
            "and wait for `connected`: a call placed now would not be redirected.",
            "no-unredirected-call",
        ),
        Rule(
            "unredirected-call-attempt",
            "info",
            "A call was attempted while redirection was inactive, and did not proceed",
            "Refuse calls visibly while isCallRedirectionEnabled is false and wait for "
            "`connected`; this attempt failed cleanly, so no call bypassed the redirection.",
            None,
        ),
        Rule(
            "dead-object-use",
            "error",
            "Objects killed by a disconnect were used again",
            "On rdpClientConnectionStateChanged `disconnected` every redirected object dies: drop "
            "every peer connection, stream, track and audio element, and create new ones on "
            "`connected`.",
            "reconnect-recovery",
        ),
        Rule(
            "dead-object-use-native",
            "warning",
            "A closed or ended object was used",
            "Calls on a closed peer connection or with an ended track fail; create new objects.",
            None,
        ),
        Rule(
            "hang-up-leak",
            "error",
            "Hang-up leaves media objects alive",
            "On hang-up stop every captured track (`track.stop()`) and close every peer connection "
            "(`pc.close()`): under call redirection they hold the local device's microphone and "
            "connections.",
            "hang-up-releases",
        ),
        Rule(
            "device-not-honoured",
            "error",
            "The chosen device is not used",
            "Capture with `getUserMedia({audio: {deviceId: {exact: id}}})` and play the call with "
            "`audio.setSinkId(id)` on the element that holds the remote stream, using the ids that "
            "enumerateDevices() lists.",
            "devices-honoured",
        ),
        Rule(
            "no-connection-state-listener",
            "warning",
            "No rdpClientConnectionStateChanged listener",
            "Register `navigator.mediaDevices.addEventListener('rdpClientConnectionStateChanged', "
            "...)`: tear everything down on `disconnected` and recreate it on `connected`, so calls "
            "work again without a page reload.",
            "reconnect-recovery",
        ),
        Rule(
            "no-detection",
            "error",
            "Redirection is never detected",
            "Read `navigator.mediaDevices.isCallRedirectionEnabled` (true: redirected; false or "
            "undefined: not) to adapt the experience and to refuse calls when redirection is "
            "expected but not active.",
            "detection-diagnostics",
        ),
        Rule(
            "diagnostics-not-collected",
            "error",
            "Redirection diagnostics are not collected",
            "Put mmrClientVersion, mmrHostVersion, mmrExtensionVersion, activityId and connectionId "
            "into the app's telemetry (and read connectionId again after a reconnect): support "
            "needs them.",
            "detection-diagnostics",
        ),
        Rule(
            "insertable-streams",
            "error",
            "Insertable streams / encoded transforms on call media",
            "Raw or encoded media access (createEncodedStreams, RTCRtpScriptTransform, "
            "MediaStreamTrackProcessor/Generator) cannot reach redirected media, which lives on "
            "the local device: disable this path when isCallRedirectionEnabled is true.",
            "supported-apis",
        ),
        Rule(
            "video-capture",
            "warning",
            "Video capture or rendering of call media",
            "Call redirection carries audio calls: video capture is rejected (NotSupportedError). "
            "Offer audio-only calls when isCallRedirectionEnabled is true.",
            "supported-apis",
            "ref-video-capture",
        ),
        Rule(
            "display-capture",
            "warning",
            "Screen capture (getDisplayMedia)",
            "getDisplayMedia is not among the redirected interfaces: screen sharing runs in the "
            "remote session, not on the local device.",
            "supported-apis",
        ),
        Rule(
            "outside-api",
            "warning",
            "Media API outside the supported interfaces",
            "This API is not among the 13 interfaces call redirection supports: check that the "
            "app copes when it fails or runs un-redirected.",
            "supported-apis",
        ),
        Rule(
            "outside-members",
            "info",
            "Members outside the supported interfaces' registry",
            "Informational: these members are not in the suite's registry of the supported "
            "interfaces; they may behave natively under redirection.",
            None,
        ),
        Rule(
            "page-dialog",
            "warning",
            "The page showed a dialog",
            "A dialog (alert, confirm, prompt, beforeunload) blocks the page until someone answers "
            "it: nothing of the app runs meanwhile, and during a call nobody may be there to press "
            "OK. Show the message in the page instead. The certification accepted it, as a user "
            "would to go on.",
        ),
        Rule(
            "page-popup",
            "warning",
            "The page opened a popup",
            "A window the app opens by itself (window.open, a target=_blank link) may be blocked "
            "or hidden behind the remote session's windows. Open windows only on the user's "
            "request. The certification closed it.",
        ),
        Rule(
            "page-unresponsive",
            "error",
            "The page stopped answering",
            "A script that never yields (a busy loop, a long synchronous computation) freezes the "
            "whole app, its call controls included. Split long work into tasks, or move it to a "
            "Worker. The certification closed the page, which ends its renderer, as a browser offers "
            "to.",
        ),
        Rule(
            "page-left-origin",
            "error",
            "The page left the app",
            "While a call was being made the page navigated away from the app's origin: the app "
            "and its call are gone. Open other sites in a new window on the user's request, or "
            "say in the profile's set-up how to come back.",
        ),
        Rule(
            "page-crashed",
            "error",
            "The page crashed",
            "The page's renderer died (out of memory, or a browser bug the app triggers). The "
            "page's console and the trace kept with the failing check show what ran last.",
        ),
        Rule(
            "uncaught-errors",
            "warning",
            "Uncaught errors in the page",
            "An uncaught exception or unhandled rejection often means a missing fallback "
            "(e.g. Web Audio on redirected media): catch it and degrade gracefully.",
            None,
        ),
    )
}

_EVENT_RULES = {
    "webaudio-unsupported-node": "webaudio-unsupported-node",
    "sink-local": "setsinkid-local-playback",
    "sync-read": "sync-proxy-state-read",
    "unredirected": "unredirected-call",
    "unredirected-attempt": "unredirected-call-attempt",
    "insertable-streams": "insertable-streams",
    "video-capture": "video-capture",
    "display-capture": "display-capture",
    "outside-api": "outside-api",
}
_HANDLED_OUTSIDE = (
    "MediaDevices.getDisplayMedia",
    "createEncodedStreams",
    "captureStream",
    ".constructor",
    ".transform",
)


def _message(kind: str, event: dict[str, Any]) -> str:
    if kind == "webaudio-unsupported-node":
        return f"{event.get('media', 'call')} audio feeds a {event.get('node')}"
    if kind == "sink-local":
        source = _source(event.get("source"))
        return f"setSinkId() on {event.get('element')}, which plays {source} (local playback)"
    if kind == "sync-read":
        return f"{event.get('member')} read in the same task as {event.get('after')}"
    if kind == "unredirected":
        return f"{event.get('what')} (redirection had been active)"
    if kind == "unredirected-attempt":
        return (f"{event.get('what')} attempted while isCallRedirectionEnabled was false; "
                "the call did not proceed")
    if kind == "dead-object":
        return str(event.get("what"))
    return str(event.get("api") or kind)


def _source(source: Any) -> str:
    """What an element plays, without run-specific URLs: ``a blob: URL``, ``a captured stream``."""
    text = str(source)
    scheme = text.split(":", 1)[0] if ":" in text and " " not in text.split(":", 1)[0] else ""
    return f"a {scheme}: URL" if scheme else text


def _evidence(kind: str, event: dict[str, Any]) -> list[str]:
    if kind == "sink-local":
        return [
            # The whole id: the certificate shows it as its device's label.
            f"setSinkId({event.get('sinkId') or 'the default output'}) on {event.get('element')} playing "
            f"{str(event.get('source'))[:100]}"
        ]
    return []


def _group(raws: Iterable[RawFinding]) -> list[RawFinding]:
    """One raw finding per (rule, message), with every distinct call site."""
    grouped: dict[tuple[str, str], RawFinding] = {}
    for raw in raws:
        key = (raw.rule, raw.message)
        if key not in grouped:
            grouped[key] = RawFinding(raw.rule, raw.target, raw.message, list(raw.evidence), [])
        into = grouped[key]
        for site in raw.sites:
            if site not in into.sites and len(into.sites) < 5:
                into.sites.append(site)
        for item in raw.evidence:
            if item not in into.evidence and len(into.evidence) < 10:
                into.evidence.append(item)
    return list(grouped.values())


def evaluate(target: str, record: dict[str, Any], *, redirected: bool) -> list[RawFinding]:
    """The raw findings of one target's merged audit record (``redirected``: whether the
    target's pages are redirected)."""
    raws: list[RawFinding] = []
    redirected_active = redirected and bool(record.get("everActive"))
    for event in record.get("events", []):
        kind = str(event.get("kind"))
        site = CallSite.from_json(event.get("site"))
        sites = [site] if site else []
        if kind == "dead-object":
            rule = (
                "dead-object-use"
                if redirected_active and event.get("afterDisconnect")
                else "dead-object-use-native"
            )
            raws.append(RawFinding(rule, target, _message(kind, event), [], sites))
        elif kind in _EVENT_RULES:
            raws.append(
                RawFinding(_EVENT_RULES[kind], target, _message(kind, event), _evidence(kind, event), sites)
            )
    usage: dict[str, Any] = record.get("usage", {})
    listeners: dict[str, Any] = record.get("listeners", {})
    if redirected_active:
        raws.extend(_redirection_rules(target, usage, listeners))
    outside = sorted(
        key
        for key, entry in usage.items()
        if entry.get("kind") == "outside" and not any(h in key for h in _HANDLED_OUTSIDE)
    )
    if outside:
        raws.append(
            RawFinding(
                "outside-members",
                target,
                f"{len(outside)} member(s) outside the registry",
                [", ".join(outside[:40])],
                [],
            )
        )
    errors = record.get("pageErrors", [])
    if errors:
        raws.append(
            RawFinding(
                "uncaught-errors",
                target,
                f"{len(errors)} uncaught errors in the page",
                [str(e.get("message"))[:300] for e in errors[:10]],
                [],
            )
        )
    return _group(raws)


def _redirection_rules(target: str, usage: dict[str, Any], listeners: dict[str, Any]) -> list[RawFinding]:
    raws = []
    if "MediaDevices.isCallRedirectionEnabled" not in usage:
        raws.append(
            RawFinding(
                "no-detection",
                target,
                "the app never read navigator.mediaDevices.isCallRedirectionEnabled",
                [],
                [],
            )
        )
    missing = [name for name in DIAGNOSTICS if f"MediaDevices.{name}" not in usage]
    if missing:
        read = [name for name in DIAGNOSTICS if name not in missing]
        raws.append(
            RawFinding(
                "diagnostics-not-collected",
                target,
                f"the app never read {', '.join(missing)}",
                [f"read: {', '.join(read) or 'none'}"],
                [],
            )
        )
    if "MediaDevices:rdpClientConnectionStateChanged" not in listeners:
        raws.append(
            RawFinding(
                "no-connection-state-listener",
                target,
                "the app registered no rdpClientConnectionStateChanged listener on navigator.mediaDevices",
                [],
                [],
            )
        )
    return raws


def merge_findings(raws: Iterable[RawFinding]) -> list[Finding]:
    """Findings over every target: the same rule and message on several targets is one
    finding listing them. Ids are ``<rule>-<n>`` in a stable order."""
    merged: dict[tuple[str, str, str | None], Finding] = {}
    counters: dict[str, int] = {}
    for raw in raws:
        rule = RULES[raw.rule]
        key = (raw.rule, raw.message, raw.check or rule.check)
        finding = merged.get(key)
        if finding is None:
            counters[raw.rule] = counters.get(raw.rule, 0) + 1
            finding = Finding(
                id=f"{raw.rule}-{counters[raw.rule]}",
                rule=raw.rule,
                severity=rule.severity,
                title=rule.title,
                message=raw.message,
                hint=rule.hint,
                check=raw.check or rule.check,
                limitation=rule.limitation,
            )
            merged[key] = finding
        if raw.target not in finding.targets:
            finding.targets.append(raw.target)
        for site in raw.sites:
            if site not in finding.sites and len(finding.sites) < 5:
                finding.sites.append(site)
        for item in raw.evidence:
            if item not in finding.evidence:
                finding.evidence.append(item)
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(merged.values(), key=lambda f: (order[f.severity], f.id))
