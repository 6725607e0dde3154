"""Gating: what counts as a regression, improvement or change, and the gate's verdict."""

from __future__ import annotations

import json
from typing import Any

from run_samples import AFTER, BEFORE, info, kinds, res

from conformance.reports.baseline import snapshot_from_results
from conformance.reports.compare import compare, compare_snapshots
from conformance.reports.compare_report import comparison_to_json, render_comparison_md


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
