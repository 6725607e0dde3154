"""Audit rules: each event kind becomes the right finding; findings fail their checks;
every id the rules and checks name exists."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from conformance.certify.audit.judge import apply_findings, audit_results
from conformance.certify.audit.layer import audit_init_scripts, merge_snapshots
from conformance.certify.audit.rules import RULES, evaluate, merge_findings
from conformance.certify.checks import CHECKS, check_ids
from conformance.certify.evidence.records import Telemetry
from conformance.certify.model import make_result
from conformance.limitations import load_limitations

ROOT = Path(__file__).resolve().parent.parent
SITE = {"url": "http://localhost:1/app.js", "line": 12, "column": 3, "function": "startMeter"}


def snapshot(
    events: Sequence[dict[str, Any]] = (),
    usage: dict[str, Any] | None = None,
    listeners: dict[str, Any] | None = None,
    active: bool = False,
) -> dict[str, Any]:
    return {
        "token": "t",
        "usage": usage or {},
        "listeners": listeners or {},
        "events": list(events),
        "pageErrors": [],
        "mmrLog": [],
        "redirection": {"everActive": active, "diagnostics": {}},
    }


def findings_for(target: str, *snaps: dict[str, Any]) -> list[Any]:
    return merge_findings(evaluate(target, merge_snapshots(list(snaps)),
                                   redirected=target != "native"))


def test_every_rule_and_check_names_known_ids() -> None:
    limitations = load_limitations(ROOT / "scenarios" / "limitations.yaml")
    assert len(set(check_ids())) == len(CHECKS)
    for rule in RULES.values():
        assert rule.check is None or rule.check in check_ids(), rule.id
        assert rule.limitation is None or rule.limitation in limitations, rule.id
        assert rule.hint and rule.title
    for check in CHECKS:
        assert check.limitation is None or check.limitation in limitations, check.id


@pytest.mark.parametrize(
    ("event", "rule", "check", "text"),
    [
        (
            {"kind": "webaudio-unsupported-node", "node": "GainNode", "media": "captured"},
            "webaudio-unsupported-node",
            "webaudio-supported-nodes",
            "captured audio feeds a GainNode",
        ),
        (
            {"kind": "sink-local", "element": "<audio>", "sinkId": "abc", "source": "blob:http://x/1"},
            "setsinkid-local-playback",
            "local-playback-sink",
            "which plays a blob: URL (local playback)",
        ),
        (
            {"kind": "sync-read", "member": "MediaStreamTrack.getSettings", "after": "getUserMedia"},
            "sync-proxy-state-read",
            "async-proxy-state",
            "getSettings read in the same task as getUserMedia",
        ),
        (
            {"kind": "unredirected", "what": "an RTCPeerConnection created while inactive connected"},
            "unredirected-call",
            "no-unredirected-call",
            "an RTCPeerConnection created while inactive connected",
        ),
        (
            {"kind": "insertable-streams", "api": "RTCRtpScriptTransform"},
            "insertable-streams",
            "supported-apis",
            "RTCRtpScriptTransform",
        ),
        ({"kind": "video-capture", "api": "getUserMedia"}, "video-capture", "supported-apis", "getUserMedia"),
        ({"kind": "display-capture"}, "display-capture", "supported-apis", "display-capture"),
    ],
)
def test_events_become_findings_with_site_limitation_and_hint(
    event: dict[str, Any], rule: str, check: str, text: str
) -> None:
    (finding,) = findings_for("native", snapshot([{**event, "site": SITE}]))
    assert (finding.rule, finding.check, finding.targets) == (rule, check, ["native"])
    assert text in finding.message
    assert str(finding.sites[0]) == "startMeter (http://localhost:1/app.js:12:3)"
    assert finding.severity == RULES[rule].severity and finding.hint == RULES[rule].hint


def test_a_call_attempt_that_did_not_proceed_is_only_information() -> None:
    (finding,) = findings_for("redirected", snapshot([
        {"kind": "unredirected-attempt", "what": "RTCPeerConnection", "site": SITE}]))
    assert (finding.rule, finding.severity, finding.check) == ("unredirected-call-attempt", "info", None)
    assert "the call did not proceed" in finding.message


def test_same_finding_on_both_targets_is_one_finding() -> None:
    event = {"kind": "sync-read", "member": "RTCDataChannel.id", "after": "createDataChannel", "site": SITE}
    raws = evaluate("native", merge_snapshots([snapshot([event])]), redirected=False)
    raws += evaluate("redirected", merge_snapshots([snapshot([event, event])]), redirected=True)
    (finding,) = merge_findings(raws)
    assert finding.targets == ["native", "redirected"] and finding.id == "sync-proxy-state-read-1"
    assert len(finding.sites) == 1


def test_dead_objects_after_a_disconnect_fail_the_reconnect_check() -> None:
    dead = {"kind": "dead-object", "what": "addTrack() with an ended track", "site": SITE}
    listener = {"MediaDevices:rdpClientConnectionStateChanged": {"count": 1, "sites": []}}
    usage = {
        f"MediaDevices.{n}": {"count": 1, "kind": "supported", "sites": []}
        for n in (
            "isCallRedirectionEnabled",
            "mmrClientVersion",
            "mmrHostVersion",
            "mmrExtensionVersion",
            "activityId",
            "connectionId",
        )
    }
    after = findings_for("redirected", snapshot([{**dead, "afterDisconnect": True}], usage, listener, True))
    assert [(f.rule, f.severity, f.check) for f in after] == [
        ("dead-object-use", "error", "reconnect-recovery")
    ]
    before = findings_for("native", snapshot([dead]))
    assert [(f.rule, f.severity) for f in before] == [("dead-object-use-native", "warning")]


def test_redirection_rules_only_where_redirection_was_active() -> None:
    assert findings_for("native", snapshot()) == []
    assert findings_for("redirected", snapshot(active=False)) == []
    rules = {f.rule: f for f in findings_for("redirected", snapshot(active=True))}
    assert set(rules) == {"no-detection", "diagnostics-not-collected", "no-connection-state-listener"}
    assert rules["no-connection-state-listener"].severity == "warning"
    assert "mmrClientVersion, mmrHostVersion" in rules["diagnostics-not-collected"].message


def test_error_findings_fail_their_check_and_warnings_do_not() -> None:
    results = [
        make_result("webaudio-supported-nodes", "native", "pass", "fine"),
        make_result("webaudio-supported-nodes", "redirected", "pass", "fine"),
        make_result("reconnect-recovery", "redirected", "pass", "recovered"),
    ]
    findings = findings_for(
        "native",
        snapshot(
            [
                {
                    "kind": "webaudio-unsupported-node",
                    "node": "BiquadFilterNode",
                    "media": "received",
                    "site": SITE,
                }
            ]
        ),
    )
    findings += findings_for(
        "redirected",
        snapshot(
            active=True,
            usage={"MediaDevices.isCallRedirectionEnabled": {"count": 1, "kind": "supported", "sites": []}},
        ),
    )
    apply_findings(results, findings)
    native, redirected, reconnect = results
    assert (
        native.verdict == "fail" and "BiquadFilterNode" in native.summary and "app.js:12:3" in native.summary
    )
    assert native.findings == ["webaudio-unsupported-node-1"]
    assert redirected.verdict == "pass" and redirected.findings == []
    assert reconnect.verdict == "pass" and reconnect.findings == ["no-connection-state-listener-1"]
    assert any("warning" in line for line in reconnect.evidence)


def test_audit_results_summarise_usage_and_detection() -> None:
    usage = {
        "AudioContext.createAnalyser": {"count": 2, "kind": "supported", "sites": [SITE]},
        "HTMLAudioElement.setSinkId": {"count": 1, "kind": "supported", "sites": [SITE]},
    }
    record = merge_snapshots([snapshot(usage=usage, active=True)])
    results = {r.check: r for r in audit_results("redirected", record, None, True, False)}
    assert results["webaudio-supported-nodes"].evidence == ["AudioContext.createAnalyser x2 at app.js:12"]
    assert results["detection-diagnostics"].verdict == "fail"
    assert "never reads isCallRedirectionEnabled" in results["detection-diagnostics"].summary
    native = {r.check: r for r in audit_results("native", record, None, False, False)}
    assert native["detection-diagnostics"].verdict == "not-applicable"


def test_telemetry_must_hold_the_diagnostic_values() -> None:
    names = (
        "isCallRedirectionEnabled",
        "mmrClientVersion",
        "mmrHostVersion",
        "mmrExtensionVersion",
        "activityId",
        "connectionId",
    )
    usage = {f"MediaDevices.{n}": {"count": 1, "kind": "supported", "sites": []} for n in names}
    record = merge_snapshots([snapshot(usage=usage, active=True)])
    actual = {
        "mmrClientVersion": "1",
        "mmrHostVersion": "2",
        "mmrExtensionVersion": "3",
        "activityId": "a",
        "connectionId": "c-1",
    }
    good = Telemetry(
        value={"x": {"client": "1", "host": "2", "ext": "3"}, "ids": ["a", "c-1"]},
        diagnostics=actual,
    )
    (result,) = [
        r for r in audit_results("redirected", record, good, True, True) if r.check == "detection-diagnostics"
    ]
    assert result.verdict == "pass"
    stale = Telemetry(
        value={"client": "1", "host": "2", "ext": "3", "ids": ["a", "c-0"]},
        diagnostics=actual,
    )
    (result,) = [
        r
        for r in audit_results("redirected", record, stale, True, True)
        if r.check == "detection-diagnostics"
    ]
    assert result.verdict == "fail" and "connectionId='c-1'" in result.summary


def test_audit_script_carries_the_registry_and_names_itself() -> None:
    tracking, script = audit_init_scripts()
    assert tracking.rstrip().endswith("//# sourceURL=conformance-tracking.js")
    assert "__CONFIG__" not in script
    assert '"RTCPeerConnection": [' in script
    assert script.rstrip().endswith("//# sourceURL=mmr-certify-audit.js")
