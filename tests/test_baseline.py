"""Baselines: writing, reading and comparing against any kind of side."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from run_samples import BEFORE, info, res, write_run

from conformance.reports.baseline import BASELINE_KIND, load_snapshot, snapshot_from_results, write_baseline
from conformance.reports.compare import compare
from conformance.reports.jsonl import ResultsLog
from conformance.reports.rundir import RunNotFoundError

ROOT = Path(__file__).resolve().parent.parent
BASELINE_SCHEMA = ROOT / "conformance" / "schema" / "baseline.schema.json"


def test_baseline_round_trip(tmp_path: Path) -> None:
    flaky = res("pc.z", status="FAIL", expected=False, flaky=True, outcomes={"FAIL": 1, "PASS": 1})
    results = [*BEFORE, flaky]
    path = write_baseline(results, tmp_path / "ci" / "baseline.json", run_info=info("base"))
    document = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(json.loads(BASELINE_SCHEMA.read_text())).validate(document)
    assert document["kind"] == BASELINE_KIND
    assert document["suite_version"] == "0.1.0"
    assert document["items"]["pc.f[reference]"] == {
        "status": "FAIL", "expected": True, "covers": ["RTCPeerConnection.f"],
        "limitation": "webaudio-node-limit",
    }
    assert document["items"]["pc.z[native]"]["outcomes"] == {"FAIL": 1, "PASS": 1}
    # One item per line, for reviewable diffs of a committed file.
    lines = path.read_text(encoding="utf-8").splitlines()
    assert sum(1 for line in lines if line.startswith('    "pc.')) == len(results)
    loaded = load_snapshot(path)
    direct = snapshot_from_results(info("base"), results)
    assert loaded.kind == "baseline"
    assert {t: (s.status, s.expected, s.covers, s.limitation, s.flaky, s.outcomes)
            for t, s in loaded.items.items()} == {
        t: (s.status, s.expected, s.covers, s.limitation, s.flaky, s.outcomes)
        for t, s in direct.items.items()
    }
    result = compare(path, direct)
    assert result.unchanged == len(BEFORE)
    assert [change.test for change in result.flaky] == ["pc.z[native]"]  # reported, not gated
    assert not (result.regressions or result.changes or result.improvements)


def test_compare_accepts_baseline_results_json_run_folder_or_reports_root(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    run_dir = write_run(reports, info("run-1"), BEFORE)
    baseline = write_baseline(BEFORE, tmp_path / "baseline.json", run_info=info("run-1"))
    sides: list[Path] = [baseline, run_dir / "results.json", run_dir, reports, reports / "latest"]
    for before in sides:
        for after in sides:
            result = compare(before, after)
            assert result.unchanged == len(BEFORE), (before, after)
            assert not result.has_regressions


def test_load_snapshot_reads_a_killed_runs_log(tmp_path: Path) -> None:
    run_dir = tmp_path / "killed"
    run_dir.mkdir()
    with ResultsLog(run_dir / "results.jsonl") as log:
        log.append(res("pc.a"))
    side = load_snapshot(run_dir)
    assert side.kind == "results.jsonl"
    assert side.interrupted
    assert list(side.items) == ["pc.a[native]"]


def test_unreadable_sides_are_errors(tmp_path: Path) -> None:
    with pytest.raises(RunNotFoundError, match="no such file"):
        load_snapshot(tmp_path / "missing")
    with pytest.raises(RunNotFoundError, match="not a run folder"):
        load_snapshot(tmp_path)
    bad = tmp_path / "baseline.json"
    bad.write_text(json.dumps({"kind": BASELINE_KIND, "schema_version": 99, "items": {}}))
    with pytest.raises(ValueError, match="schema_version 99"):
        load_snapshot(bad)
    bad.write_text(json.dumps({"kind": BASELINE_KIND, "schema_version": 1, "suite_version": "1",
                               "items": {"a[native]": {"status": "MAYBE", "expected": True,
                                                       "covers": []}}}))
    with pytest.raises(ValueError, match="baseline is invalid at items/a\\[native\\]/status"):
        load_snapshot(bad)
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_snapshot(bad)
