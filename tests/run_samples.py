"""Synthetic runs for the gating, merge and report-command tests: results, run info, run folders."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from conformance.cli_reports import add_report_commands
from conformance.reports import update_latest_pointer, write_reports
from conformance.reports.jsonl import ResultsLog
from conformance.results import RunInfo, ScenarioResult, Status

__all__ = ["AFTER", "BEFORE", "LIMIT", "SHARD_1", "SHARD_2", "cli", "info", "kinds", "res", "write_run"]

LIMIT = {"outcome": "fail", "limitation": "webaudio-node-limit", "note": "node not redirected"}


def info(run_id: str = "run-a", **overrides: Any) -> RunInfo:
    """A finished run's info on both targets; ``overrides`` change any field."""
    values: dict[str, Any] = {
        "run_id": run_id,
        "suite_version": "0.1.0",
        "targets": ["native", "reference"],
        "browser": "Chromium",
        "browser_version": "156.0",
        "start_time": "2024-06-01T12:00:00+00:00",
        "end_time": "2024-06-01T12:05:00+00:00",
    }
    values.update(overrides)
    return RunInfo(**values)


def res(
    scenario: str,
    target: str = "native",
    status: Status = "PASS",
    expected: bool = True,
    *,
    limited: bool = False,
    covers: list[str] | None = None,
    **kw: Any,
) -> ScenarioResult:
    """A result; ``limited`` gives it a documented-limitation expectation."""
    expectation = dict(LIMIT) if limited else {"outcome": "pass"}
    return ScenarioResult(
        scenario, target, status, expected, expectation,
        covers=covers if covers is not None else [f"RTCPeerConnection.{scenario.split('.')[-1]}"],
        limitation="webaudio-node-limit" if limited else None,
        **kw,
    )


def write_run(root: Path, run_info: RunInfo, results: list[ScenarioResult]) -> Path:
    """A run folder as `conformance run` leaves it: log, reports, latest pointer."""
    run_dir = root / run_info.run_id
    run_dir.mkdir(parents=True)
    with ResultsLog(run_dir / "results.jsonl") as log:
        for result in results:
            log.append(result)
    write_reports(run_dir, run_info, results)
    update_latest_pointer(root, run_dir)
    return run_dir


def kinds(changes: list[Any]) -> dict[str, tuple[str, ...]]:
    """Each change's item and kinds."""
    return {change.test: change.kinds for change in changes}


#: A baseline and a current run with an item for every kind of change `compare` tells apart.
BEFORE = [
    res("pc.a"),                                                  # pass -> unexpected FAIL
    res("pc.b"),                                                  # pass -> expected FAIL
    res("pc.c", status="FAIL", expected=False),                   # FAIL -> ERROR
    res("pc.d", status="FAIL", expected=False),                   # FAIL -> TIMEOUT
    res("pc.e", status="ERROR", expected=False),                  # ERROR -> TIMEOUT: a change
    res("pc.f", "reference", "FAIL", True, limited=True),        # -> unexpected FAIL
    res("pc.g", "reference", "FAIL", True, limited=True),        # -> unexpected PASS
    res("pc.h", status="FAIL", expected=False),                   # -> fixed
    res("pc.i", status="FAIL", expected=False),                   # -> documented limitation
    res("pc.j", "reference", "FAIL", True, limited=True),        # -> pass, expectation updated
    res("pc.k"),                                                  # -> SKIP
    res("pc.l"),                                                  # unchanged
    res("pc.m", covers=["MediaStream.clone"]),                    # removed
]
AFTER = [
    res("pc.a", status="FAIL", expected=False, message="expected 'stable' but got 'closed'"),
    res("pc.b", status="FAIL", expected=True, limited=True),
    res("pc.c", status="ERROR", expected=False),
    res("pc.d", status="TIMEOUT", expected=False),
    res("pc.e", status="TIMEOUT", expected=False),
    res("pc.f", "reference", "FAIL", False, limited=True),
    res("pc.g", "reference", "PASS", False, limited=True),
    res("pc.h"),
    res("pc.i", status="FAIL", expected=True, limited=True),
    res("pc.j", "reference"),
    res("pc.k", status="SKIP", expected=False),
    res("pc.l"),
    res("pc.n"),                                                  # new, fine
    res("pc.o", status="FAIL", expected=False),                   # new, unexpected
    res("pc.p", status="ERROR", expected=False, covers=["AudioContext.createGain"]),
]

#: Two disjoint shards of one suite run.
SHARD_1 = [res("pc.a"), res("pc.a", "reference"), res("pc.c", status="FAIL", expected=False)]
SHARD_2 = [res("pc.b"), res("pc.b", "reference", "FAIL", True, limited=True)]


def cli(*argv: str) -> int:
    """Run a report command as ``conformance <argv>`` would; its exit code."""
    parser = argparse.ArgumentParser(prog="conformance")
    add_report_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args, []))
