"""Verdicts from the audit: the audit checks' own results, and findings folded into checks.

An audit check passes with a summary of what the app did (so a pass has evidence too); an
``error`` finding that names a check fails it on the targets where it was seen, whatever
the check's behavioural evidence said; warnings and infos are listed without failing.
"""

from __future__ import annotations

from typing import Any

from conformance.certify.audit.rules import DETECTION, DIAGNOSTICS
from conformance.certify.evidence.records import Telemetry
from conformance.certify.model import CheckResult, Finding, make_result

__all__ = ["apply_findings", "audit_results"]

_SYNC_MEMBERS = (
    "MediaStreamTrack.getSettings",
    "MediaStreamTrack.getCapabilities",
    "RTCRtpSender.getParameters",
    "RTCRtpReceiver.getParameters",
    "RTCRtpTransceiver.mid",
    "RTCRtpTransceiver.currentDirection",
    "RTCDataChannel.id",
)


def _sites(entry: dict[str, Any]) -> str:
    sites = [f"{s.get('url', '').rsplit('/', 1)[-1]}:{s.get('line')}" for s in entry.get("sites", [])]
    return f" at {', '.join(sites)}" if sites else ""


def _count(usage: dict[str, Any], key: str) -> str:
    entry = usage.get(key)
    return f"{key} x{entry['count']}{_sites(entry)}" if entry else ""


def audit_results(
    target: str,
    record: dict[str, Any],
    telemetry: Telemetry | None,
    redirected: bool,
    has_diagnostics: bool,
) -> list[CheckResult]:
    """The audit checks' results on ``target`` before findings are folded in (``telemetry``:
    what the app's diagnostics expression returned, ``None`` when it was never read)."""
    usage: dict[str, Any] = record.get("usage", {})
    out = [_detection(target, record, telemetry or Telemetry(), redirected, has_diagnostics)]
    webaudio = sorted(
        k
        for k in usage
        if k.startswith(("AudioContext.create", "AudioContext.constructor"))
        or (k.endswith(".connect") and "Node" in k)
    )
    out.append(
        make_result(
            "webaudio-supported-nodes",
            target,
            "pass",
            "no call audio feeds an unsupported Web Audio node"
            if webaudio
            else "the app does not use Web Audio",
            [_count(usage, k) for k in webaudio],
        )
    )
    sinks = [k for k in usage if k.endswith(".setSinkId")]
    out.append(
        make_result(
            "local-playback-sink",
            target,
            "pass",
            "setSinkId is only used on the call's received audio"
            if sinks
            else "the app does not call setSinkId",
            [_count(usage, k) for k in sinks],
        )
    )
    reads = [k for k in _SYNC_MEMBERS if k in usage]
    out.append(
        make_result(
            "async-proxy-state",
            target,
            "pass",
            "no asynchronous state is read in the task that created its object",
            [f"read later (fine): {_count(usage, k)}" for k in reads],
        )
    )
    outside = sorted(k for k, v in usage.items() if v.get("kind") == "outside")
    out.append(
        make_result(
            "supported-apis",
            target,
            "pass",
            "no insertable streams or encoded transforms on call media",
            [f"{len(outside)} members outside the registry (see the outside-members finding)"]
            if outside
            else ["every member used is in the registry of the supported interfaces"],
        )
    )
    return out


def _detection(
    target: str, record: dict[str, Any], telemetry: Telemetry, redirected: bool, has_diagnostics: bool
) -> CheckResult:
    check = "detection-diagnostics"
    if not redirected:
        return make_result(
            check,
            target,
            "not-applicable",
            "natively isCallRedirectionEnabled is undefined: there is nothing to detect "
            "(the native checks show the app works without redirection)",
        )
    if not record.get("everActive"):
        return make_result(check, target, "error", "redirection never became active on this target")
    usage: dict[str, Any] = record.get("usage", {})
    evidence = [
        _count(usage, f"MediaDevices.{name}") or f"MediaDevices.{name} never read"
        for name in DETECTION
    ]
    unread = [
        name for name in DETECTION if f"MediaDevices.{name}" not in usage
    ]
    if unread:
        return make_result(check, target, "fail", f"the app never reads {', '.join(unread)}", evidence)
    if not has_diagnostics:
        evidence.append(
            "the profile names no `diagnostics` expression: the telemetry itself is not inspected"
        )
        return make_result(
            check, target, "pass", "the app reads the detection flag and the diagnostics", evidence
        )
    actual = telemetry.diagnostics
    if telemetry.error is not None:
        return make_result(
            check, target, "fail", f"the diagnostics expression failed: {telemetry.error}", evidence
        )
    values = set(_leaves(telemetry.value))
    missing = [
        f"{name}={actual[name]!r}"
        for name in DIAGNOSTICS
        if isinstance(actual.get(name), str) and actual[name] and actual[name] not in values
    ]
    if missing:
        return make_result(
            check,
            target,
            "fail",
            f"the app's telemetry lacks {', '.join(missing)}",
            [*evidence, f"telemetry: {str(telemetry.value)[:300]}"],
        )
    evidence.append("the app's telemetry holds every diagnostic value the page exposes")
    return make_result(
        check, target, "pass", "the app detects redirection and records its diagnostics", evidence
    )


def _leaves(value: Any, depth: int = 0) -> list[str]:
    """Every string in a JSON value (the app may name its telemetry keys as it likes)."""
    if depth > 6:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v, depth + 1)]
    if isinstance(value, list):
        return [leaf for v in value[:200] for leaf in _leaves(v, depth + 1)]
    return []


def apply_findings(results: list[CheckResult], findings: list[Finding]) -> None:
    """Attach findings to the results of their check and target; ``error`` findings fail them."""
    for result in results:
        related = [f for f in findings if f.check == result.check and result.target in f.targets]
        result.findings = [f.id for f in related]
        errors = [f for f in related if f.severity == "error"]
        if errors and result.verdict in ("pass", "not-applicable", "not-evaluated"):
            first = errors[0]
            where = f" at {first.sites[0]}" if first.sites else ""
            result.verdict = "fail"
            result.summary = f"{first.title}: {first.message}{where}"
        for finding in related:
            result.evidence.append(f"finding {finding.id} ({finding.severity}): {finding.message}")
