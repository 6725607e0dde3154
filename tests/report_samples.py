"""Synthetic results for the report tests: one helper per outcome, and a mix of them all."""

from __future__ import annotations

import json
import re
from typing import Any

from conformance.reports.matrix_data import DATA_ID, DETAILS_ID
from conformance.results import RunInfo, ScenarioResult, Status, StepRecord

__all__ = [
    "COVER", "XSS", "limited", "page_data", "passed", "run_info", "sample_results", "skipped", "unexpected",
    "unexpected_pass",
]

#: Markup that must never survive into a report.
XSS = "<script>alert(1)</script>"
#: What a one-member result covers.
COVER = ["RTCPeerConnection.createOffer"]


def run_info(**overrides: Any) -> RunInfo:
    """A run's info on both targets; ``overrides`` change any field."""
    values: dict[str, Any] = {
        "run_id": "20240601-120000",
        "suite_version": "0.1.0",
        "targets": ["native", "reference"],
        "browser": "chromium",
        "browser_version": "126.0",
        "start_time": "2024-06-01T12:00:00",
    }
    values.update(overrides)
    return RunInfo(**values)


def passed(scenario: str, target: str, covers: list[str], **kw: Any) -> ScenarioResult:
    """A result that passed as expected."""
    return ScenarioResult(scenario, target, "PASS", True, {"outcome": "pass"}, covers=covers, **kw)


def unexpected(
    scenario: str, target: str, covers: list[str], status: Status = "FAIL", **kw: Any
) -> ScenarioResult:
    """A failure (``status``) no limitation explains."""
    kw.setdefault("message", "expected 'live' but got 'ended'")
    return ScenarioResult(scenario, target, status, False, {"outcome": "pass"}, covers=covers, **kw)


def limited(
    scenario: str, target: str, covers: list[str], ident: str = "webaudio-node-limit", **kw: Any
) -> ScenarioResult:
    """A failure the documented limitation ``ident`` predicts."""
    expectation = {"outcome": "fail", "limitation": ident, "note": f"{ident} applies"}
    kw.setdefault("message", "NotSupportedError: node not supported")
    return ScenarioResult(
        scenario, target, "FAIL", True, expectation, covers=covers, limitation=ident, **kw
    )


def unexpected_pass(scenario: str, target: str, covers: list[str]) -> ScenarioResult:
    """A pass where a documented limitation said it would fail."""
    expectation = {"outcome": "fail", "limitation": "async-proxy-state"}
    return ScenarioResult(
        scenario, target, "PASS", False, expectation, covers=covers, limitation="async-proxy-state"
    )


def skipped(scenario: str, target: str, covers: list[str]) -> ScenarioResult:
    """A result that did not run."""
    return ScenarioResult(
        scenario, target, "SKIP", True, {"outcome": "pass"}, covers=covers, message="filtered"
    )


def sample_results() -> list[ScenarioResult]:
    """A mix of every outcome, deliberately out of order."""
    return [
        limited("audio.gain-node", "reference", ["AudioContext.createGain"]),
        passed(
            "pc.offer", "native", ["RTCPeerConnection.createOffer"], duration=1.5,
            title="createOffer", steps=[StepRecord(0, "run", 7, 0.25, "ok")],
            console=[{"type": "log", "text": "hello"}],
            mmr_log=[{"level": "info", "message": "redirection on"}],
            artifacts={"screenshot": "artifacts/pc.offer-native.png"},
        ),
        unexpected(
            "pc.offer", "reference", ["RTCPeerConnection.createOffer"], duration=2.0,
            title=XSS, message=f"expected a | b\nbut got {XSS}",
            steps=[StepRecord(0, "expect", 9, 2.0, "failed", "value mismatch")],
            console=[{"type": "error", "text": "boom"}],
        ),
        passed("audio.gain-node", "native", ["AudioContext.createGain"]),
        unexpected("dc.send", "reference", ["RTCDataChannel.send"], status="TIMEOUT"),
        unexpected_pass("md.gum", "reference", ["MediaDevices.getUserMedia"]),
        skipped("md.gum", "native", ["MediaDevices.getUserMedia"]),
        passed("pc.offer", "chrome-beta", ["RTCPeerConnection.createOffer"]),
    ]


def page_data(page: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """matrix.html's data (results, cells, chips) and its results' records, as the page's
    script reads them (see conformance/reports/matrix_data.py)."""
    found = {}
    for ident in (DATA_ID, DETAILS_ID):
        match = re.search(rf'<script type="application/json" id="{ident}">(.*?)</script>', page, re.S)
        assert match is not None, ident
        found[ident] = json.loads(match.group(1))
    return found[DATA_ID], found[DETAILS_ID]
