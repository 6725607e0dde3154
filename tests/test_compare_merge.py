"""Gating (compare, baselines), merging runs and the report commands: synthetic runs on disk."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conformance.cli_reports import add_report_commands
from conformance.reports import (
    load_results_json,
    read_results_log,
    update_latest_pointer,
    write_reports,
    write_results_json,
)
from conformance.reports.baseline import (
    BASELINE_KIND,
    load_snapshot,
    snapshot_from_results,
    write_baseline,
)
from conformance.reports.compare import compare, compare_snapshots
from conformance.reports.compare_report import comparison_to_json, render_comparison_md
from conformance.reports.jsonl import ResultsLog
from conformance.reports.merge import MergeError, merge_runs, write_merged_run
from conformance.reports.rundir import RunNotFoundError, load_run
from conformance.results import RunInfo, ScenarioResult, Status

ROOT = Path(__file__).resolve().parent.parent
BASELINE_SCHEMA = ROOT / "conformance" / "schema" / "baseline.schema.json"
RESULTS_SCHEMA = ROOT / "conformance" / "schema" / "results.schema.json"

LIMIT = {"outcome": "fail", "limitation": "webaudio-node-limit", "note": "node not redirected"}


def info(run_id: str = "run-a", **overrides: Any) -> RunInfo:
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
    return {change.test: change.kinds for change in changes}


# --- compare: each kind ---------------------------------------------------------------

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


def comparison() -> Any:
    return compare(snapshot_from_results(info("base"), BEFORE),
                   snapshot_from_results(info("cur"), AFTER))


def test_compare_regression_kinds() -> None:
    result = comparison()
    assert kinds(result.regressions) == {
        "pc.a[native]": ("pass-now-failing", "became-unexpected"),
        "pc.b[native]": ("pass-now-failing",),
        "pc.c[native]": ("new-error",),
        "pc.d[native]": ("new-timeout",),
        "pc.f[reference]": ("became-unexpected",),
        "pc.g[reference]": ("unexpected-pass",),
        "pc.o[native]": ("new-unexpected",),
        "pc.p[native]": ("new-error", "new-unexpected"),
    }
    assert result.has_regressions
    assert result.regressed_tests[0] == "pc.a[native]"
    assert result.regressions[0].message == "expected 'stable' but got 'closed'"


def test_compare_improvements_changes_and_unchanged() -> None:
    result = comparison()
    assert kinds(result.improvements) == {
        "pc.h[native]": ("fixed", "now-expected"),
        "pc.i[native]": ("now-expected",),
        "pc.j[reference]": ("fixed",),
    }
    assert kinds(result.changes) == {
        "pc.e[native]": ("status-changed",),
        "pc.k[native]": ("now-skipped",),
    }
    assert result.unchanged == 1


def test_compare_coverage_changes() -> None:
    result = comparison()
    assert result.items_added == ["pc.n[native]", "pc.o[native]", "pc.p[native]"]
    assert result.items_removed == ["pc.m[native]"]
    # pc.k is skipped now, so its member is no longer covered; pc.m was removed.
    assert result.members_removed == [
        ("native", "MediaStream.clone"), ("native", "RTCPeerConnection.k"),
    ]
    assert ("native", "AudioContext.createGain") in result.members_added


def test_compare_identical_runs_pass_the_gate() -> None:
    side = snapshot_from_results(info(), BEFORE)
    result = compare(side, side)
    assert not result.has_regressions
    assert result.unchanged == len(BEFORE)
    assert not (result.improvements or result.changes or result.items_added or result.warnings)


def test_compare_flaky_items_listed_apart() -> None:
    before = snapshot_from_results(info(), [res("pc.a"), res("pc.b")])
    flaky = res("pc.a", status="FAIL", expected=False, flaky=True, outcomes={"FAIL": 1, "PASS": 2})
    after = snapshot_from_results(info(), [flaky, res("pc.b")])
    result = compare(before, after)
    assert not result.has_regressions
    assert kinds(result.flaky) == {"pc.a[native]": ("flaky", "pass-now-failing", "became-unexpected")}
    strict = compare(before, after, flaky_as_regression=True)
    assert strict.regressed_tests == ["pc.a[native]"]


def test_compare_failure_of_an_item_known_flaky_in_the_baseline_is_a_change() -> None:
    known = res("pc.a", flaky=True, outcomes={"PASS": 2, "FAIL": 1})
    before = snapshot_from_results(info(), [known])
    after = snapshot_from_results(info(), [res("pc.a", status="FAIL", expected=False)])
    result = compare(before, after)
    assert not result.has_regressions
    assert kinds(result.changes)["pc.a[native]"][0] == "known-flaky"
    # A status the baseline never saw is still a regression.
    timeout = snapshot_from_results(info(), [res("pc.a", status="TIMEOUT", expected=False)])
    assert compare(before, timeout).regressed_tests == ["pc.a[native]"]


def test_compare_warnings() -> None:
    before = snapshot_from_results(info(), [res("pc.a"), res("pc.b", "reference")])
    after = snapshot_from_results(
        info(suite_version="0.2.0", interrupted=True, targets=["native"]), [res("pc.a")]
    )
    warnings = "\n".join(compare(before, after).warnings)
    assert "suite 0.1.0" in warnings and "suite 0.2.0" in warnings
    assert "interrupted" in warnings
    assert "reference" in warnings


def test_duplicate_items_in_one_side_keep_the_worst() -> None:
    side = snapshot_from_results(info(), [res("pc.a"), res("pc.a", status="ERROR", expected=False)])
    assert side.items["pc.a[native]"].status == "ERROR"
    assert side.duplicates == ["pc.a[native]"]


def test_comparison_json_and_markdown() -> None:
    result = comparison()
    data = comparison_to_json(result)
    json.dumps(data)  # serialisable
    assert data["gate"] == "fail"
    assert data["regressed"][:2] == ["pc.a[native]", "pc.b[native]"]
    assert data["counts"]["regressions"] == 8
    assert data["regressions"][0]["before"] == {"status": "PASS", "expected": True}
    assert data["coverage"]["items_removed"] == ["pc.m[native]"]
    text = render_comparison_md(result)
    assert "8 regressions**: the gate fails" in text
    assert "`pc.a[native]`" in text
    assert "## Improvements (3)" in text


def test_comparison_markdown_escapes_messages() -> None:
    before = snapshot_from_results(info(), [res("pc.a")])
    after = snapshot_from_results(
        info(), [res("pc.a", status="FAIL", expected=False, message="<script>x</script> | a\nb")]
    )
    text = render_comparison_md(compare(before, after))
    assert "<script>" not in text
    assert "&lt;script&gt;x&lt;/script&gt; \\| a b" in text
    assert "No regressions" in render_comparison_md(compare(before, before))


# --- baselines ----------------------------------------------------------------------------


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


# --- merge --------------------------------------------------------------------------------

SHARD_1 = [res("pc.a"), res("pc.a", "reference"), res("pc.c", status="FAIL", expected=False)]
SHARD_2 = [res("pc.b"), res("pc.b", "reference", "FAIL", True, limited=True)]


def test_merge_unions_results_and_run_info(tmp_path: Path) -> None:
    one = write_run(tmp_path / "m1", info("shard-1", workers=2, targets=["native", "reference"],
                                          start_time="2024-06-01T12:00:00+00:00",
                                          end_time="2024-06-01T12:04:00+00:00"), SHARD_1)
    two = write_run(tmp_path / "m2", info("shard-2", workers=3, targets=["reference", "native"],
                                          browser_version="157.0", interrupted=True,
                                          start_time="2024-06-01T11:59:00+00:00",
                                          end_time="2024-06-01T12:06:00+00:00"), SHARD_2)
    run_info, results = merge_runs([one, two / "results.json"], run_id="merged")
    assert sorted(r.test for r in results) == sorted(r.test for r in [*SHARD_1, *SHARD_2])
    assert [r.test for r in results][:2] == ["pc.a[native]", "pc.a[reference]"]  # report order
    assert run_info.run_id == "merged"
    assert run_info.targets == ["native", "reference"]
    assert run_info.start_time == "2024-06-01T11:59:00+00:00"
    assert run_info.end_time == "2024-06-01T12:06:00+00:00"
    assert run_info.interrupted
    assert run_info.workers == 5
    assert run_info.suite_version == "0.1.0"
    assert run_info.browser_version == "156.0, 157.0"
    assert [(m["run_id"], m["results"]) for m in run_info.merged_from] == [
        ("shard-1", 3), ("shard-2", 2),
    ]


def test_merge_refuses_mixed_versions_unless_allowed(tmp_path: Path) -> None:
    one = write_run(tmp_path / "m1", info("shard-1"), SHARD_1)
    two = write_run(tmp_path / "m2", info("shard-2", suite_version="0.2.0"), SHARD_2)
    with pytest.raises(MergeError) as caught:
        merge_runs([one, two])
    message = str(caught.value)
    assert "different suite versions" in message
    assert "0.1.0 (shard-1)" in message and "0.2.0 (shard-2)" in message
    assert "--allow-mixed-versions" in message
    run_info, results = merge_runs([one, two], allow_mixed_versions=True)
    assert run_info.suite_version == "0.1.0 + 0.2.0"
    assert len(results) == 5


def test_merge_duplicates(tmp_path: Path) -> None:
    early = info("early", start_time="2024-06-01T10:00:00+00:00")
    late = info("late", start_time="2024-06-01T11:00:00+00:00")
    first = write_run(tmp_path / "a", early, [res("pc.a", duration=1.0), res("pc.b")])
    same = write_run(tmp_path / "b", late, [res("pc.a", duration=2.0)])
    # Agreeing duplicates: the later run's copy is kept, whatever the argument order.
    _, results = merge_runs([same, first])
    assert next(r for r in results if r.test == "pc.a[native]").duration == 2.0
    conflicting = write_run(tmp_path / "c", late, [res("pc.a", status="FAIL", expected=False)])
    with pytest.raises(MergeError, match=r"pc\.a\[native\]: PASS in early .* FAIL in late"):
        merge_runs([first, conflicting])
    _, results = merge_runs([conflicting, first], duplicates="later")
    assert next(r for r in results if r.test == "pc.a[native]").status == "FAIL"


def test_merge_needs_a_run(tmp_path: Path) -> None:
    with pytest.raises(MergeError, match="nothing to merge"):
        merge_runs([])
    with pytest.raises(ValueError, match="not a run folder"):
        merge_runs([tmp_path])


def test_write_merged_run_is_a_normal_run_folder(tmp_path: Path) -> None:
    shard = tmp_path / "s1"
    artifact = "artifacts/pc.c/native/screenshot.png"
    with_artifact = replace(SHARD_1[2], artifacts={"screenshot": artifact, "gone": "artifacts/x.png"})
    one = write_run(shard, info("shard-1"), [*SHARD_1[:2], with_artifact])
    (one / artifact).parent.mkdir(parents=True)
    (one / artifact).write_bytes(b"\x89PNG one")
    two = write_run(tmp_path / "s2", info("shard-2"), SHARD_2)
    reports = tmp_path / "reports"
    run_dir, written = write_merged_run([one, two], reports, run_id="merged-1")
    assert run_dir == reports / "merged-1"
    assert set(written) == {"json", "junit", "matrix", "html"}
    assert (reports / "latest").resolve() == run_dir.resolve()
    schema = json.loads(RESULTS_SCHEMA.read_text(encoding="utf-8"))
    document = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)
    assert document["run_info"]["merged_from"][0]["run_id"] == "shard-1"
    _, results = load_results_json(run_dir / "results.json")
    assert len(results) == 5
    assert len(read_results_log(run_dir / "results.jsonl")) == 5
    assert (run_dir / artifact).read_bytes() == b"\x89PNG one"
    copied = next(r for r in results if r.test == "pc.c[native]")
    assert copied.artifacts == {"screenshot": artifact, "gone": "artifacts/x.png"}
    assert 'href="artifacts/pc.c/native/screenshot.png"' in written["html"].read_text("utf-8")
    with pytest.raises(MergeError, match="already exists"):
        write_merged_run([one, two], reports, run_id="merged-1")


def test_merged_artifacts_that_collide_are_renamed(tmp_path: Path) -> None:
    path = "artifacts/shared.png"
    one = write_run(tmp_path / "a", info("one"), [res("pc.a", artifacts={"shot": path})])
    two = write_run(tmp_path / "b", info("two"), [res("pc.b", artifacts={"shot": path})])
    for run_dir, data in ((one, b"one"), (two, b"two")):
        (run_dir / "artifacts").mkdir()
        (run_dir / path).write_bytes(data)
    run_dir, _ = write_merged_run([one, two], tmp_path / "out", run_id="m")
    _, results = load_results_json(run_dir / "results.json")
    paths = {r.test: r.artifacts["shot"] for r in results}
    assert paths["pc.a[native]"] == path
    assert paths["pc.b[native]"] == "artifacts/merged/two/artifacts/shared.png"
    assert (run_dir / paths["pc.b[native]"]).read_bytes() == b"two"


def test_run_info_without_merged_from_is_unchanged_on_disk(tmp_path: Path) -> None:
    # Files of normal runs keep the exact shape readers of the first v1 files expect.
    plain = info().to_json()
    assert "merged_from" not in plain
    assert RunInfo.from_json(plain) == info()
    merged = info(merged_from=[{"run_id": "x"}])
    assert RunInfo.from_json(merged.to_json()) == merged
    path = write_results_json(tmp_path / "results.json", merged, [])
    assert load_results_json(path)[0].merged_from == [{"run_id": "x"}]


# --- the commands -------------------------------------------------------------------------


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="conformance")
    add_report_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args, []))


def test_cli_compare_exit_codes_and_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reports = tmp_path / "reports"
    before = write_run(reports, info("run-1"), BEFORE)
    after = write_run(reports, info("run-2"), AFTER)
    baseline = tmp_path / "ci" / "baseline.json"
    assert cli("baseline", str(before), "-o", str(baseline)) == 0
    assert cli("compare", str(baseline), str(before)) == 0
    assert "No regressions" in capsys.readouterr().out
    assert cli("compare", str(baseline), str(reports)) == 1
    out = capsys.readouterr().out
    assert "`pc.a[native]`" in out and "`pc.p[native]`" in out
    assert cli("compare", str(baseline), str(after), "--format", "json") == 1
    data = json.loads(capsys.readouterr().out)
    assert "pc.o[native]" in data["regressed"]
    report = tmp_path / "out" / "comparison.md"
    assert cli("compare", str(baseline), str(after), "-o", str(report)) == 1
    out = capsys.readouterr().out
    assert "8 regression(s):" in out and "pc.g[reference]: unexpected-pass" in out
    assert report.read_text(encoding="utf-8").startswith("# Conformance comparison")
    assert cli("compare", str(baseline), str(tmp_path / "nowhere")) == 2
    assert "no such file" in capsys.readouterr().err


def test_cli_baseline_defaults_to_reports_latest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("baseline") == 1
    assert "reports" in capsys.readouterr().err
    write_run(tmp_path / "reports", info("run-1", interrupted=True), BEFORE)
    assert cli("baseline") == 0
    captured = capsys.readouterr()
    assert "interrupted" in captured.err
    assert load_snapshot(tmp_path / "baseline.json").run_id == "run-1"


def test_cli_merge_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = write_run(tmp_path / "s1", info("shard-1"), SHARD_1)
    two = write_run(tmp_path / "s2", info("shard-2", suite_version="9"), SHARD_2)
    reports = tmp_path / "reports"
    assert cli("merge", str(one), str(two), "--report-dir", str(reports)) == 1
    assert "0.1.0 (shard-1); 9 (shard-2)" in capsys.readouterr().err
    assert cli("merge", str(one), str(two), "--report-dir", str(reports),
               "--allow-mixed-versions", "--run-id", "all") == 0
    assert (reports / "all" / "matrix.html").is_file()
    # A killed run: only its log. `report` turns it into reports marked interrupted.
    killed = tmp_path / "killed"
    killed.mkdir()
    (killed / "results.jsonl").write_bytes((one / "results.jsonl").read_bytes() + b'{"scen')
    assert cli("report", str(killed)) == 0
    assert "rebuilt from results.jsonl" in capsys.readouterr().out
    run_info, results = load_results_json(killed / "results.json")
    assert run_info.interrupted and len(results) == 3
    assert {p.name for p in killed.iterdir()} >= {"junit.xml", "matrix.md", "matrix.html"}
    assert load_run(killed).source == "results.json"
    # Several runs: one side-by-side page.
    assert cli("report", str(one), str(two)) == 1
    page = tmp_path / "side" / "both.html"
    assert cli("report", str(one), str(two), "-o", str(page)) == 0
    text = page.read_text(encoding="utf-8")
    assert "shard-1 \u00b7 native" in text and "shard-2 \u00b7 reference" in text


# --- a gate that cannot pass by accident -------------------------------------------------
def _baseline_of(ids: list[str]) -> Any:
    return snapshot_from_results(info(), [res(i) for i in ids])


def test_missing_items_fail_the_gate_and_are_named() -> None:
    ids = [f"pc.{n:02d}" for n in range(20)]
    partial = snapshot_from_results(info("run-b"), [res(ids[0])])
    comparison = compare_snapshots(_baseline_of(ids), partial)
    assert not comparison.regressions and comparison.fails_gate
    assert len(comparison.missing) == 19 and "19 baseline item(s) are missing" in comparison.gate_problems[0]
    assert "pc.01[native]" in comparison.gate_problems[0]
    assert "The gate fails" in render_comparison_md(comparison)
    allowed = compare_snapshots(_baseline_of(ids), partial, allow_missing=True)
    assert not allowed.fails_gate and len(allowed.missing) == 19


def test_a_shard_is_expected_to_hold_only_its_slice() -> None:
    ids = [f"pc.{n:02d}" for n in range(10)]
    baseline = _baseline_of(ids)
    mine = sorted(i for n, i in enumerate(sorted(ids)) if n % 2 == 0)  # shard 1/2
    shard = snapshot_from_results(info("run-b", shard="1/2"), [res(i) for i in mine])
    assert not compare_snapshots(baseline, shard).fails_gate
    short = snapshot_from_results(info("run-b", shard="1/2"), [res(i) for i in mine[1:]])
    failed = compare_snapshots(baseline, short)
    assert failed.fails_gate and failed.missing == [f"{mine[0]}[native]"]


def test_an_interrupted_run_fails_the_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = ["pc.a", "pc.b"]
    write_run(tmp_path / "base", info("base"), [res(i) for i in ids])
    write_run(tmp_path / "cut", info("cut", interrupted=True), [res(i) for i in ids])
    parser = argparse.ArgumentParser()
    add_report_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["compare", str(tmp_path / "base" / "base"), str(tmp_path / "cut" / "cut")])
    assert args.func(args, []) == 1
    assert "interrupted" in capsys.readouterr().err
    args = parser.parse_args(["compare", "--allow-missing", str(tmp_path / "base" / "base"),
                              str(tmp_path / "cut" / "cut")])
    assert args.func(args, []) == 0


@pytest.mark.parametrize("content", [
    "[" * 100_000 + "]" * 100_000,            # deeper than the JSON decoder's recursion
    '{"a": ' * 200 + "1" + "}" * 200,          # decodes, but deeper than any report
    "\xff\xfe not utf-8",
    "{not json",
], ids=["recursion", "deep", "not-utf8", "not-json"])
def test_unreadable_json_inputs_exit_2_with_the_file_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str) -> None:
    bad = tmp_path / "results.json"
    bad.write_bytes(content.encode("latin-1"))
    good = write_run(tmp_path / "good", info("good"), [res("pc.a")])
    for command in (["compare", str(bad), str(good)], ["compare", str(good), str(bad)],
                    ["merge", str(bad), str(good), "--report-dir", str(tmp_path / "m")],
                    ["report", str(bad)]):
        assert cli(*command) == 2, command
        err = capsys.readouterr().err
        assert str(bad) in err and "Traceback" not in err, (command, err)
