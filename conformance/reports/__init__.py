"""Reports of a run: results.json, results.jsonl, junit.xml, matrix.md and matrix.html.

Also what CI does with runs: baselines and gating (:mod:`~conformance.reports.baseline`,
:mod:`~conformance.reports.compare`), and merging the runs of several machines
(:mod:`~conformance.reports.merge`).

A run directory looks like ``reports/<run-id>/`` (see ``reports/README.md``). During the
run, :class:`ResultsLog` appends each finished result to ``results.jsonl``; at the end,
:func:`write_reports` writes the other files atomically, and :func:`update_latest_pointer`
makes ``reports/latest`` point at the run.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from conformance.reports.atomic import (
    atomic_write_bytes,
    atomic_write_text,
    update_latest_pointer,
)
from conformance.reports.baseline import load_snapshot, write_baseline
from conformance.reports.compare import (
    Comparison,
    compare,
    comparison_to_json,
    render_comparison_md,
)
from conformance.reports.json_report import (
    build_results_document,
    load_results_json,
    validate_results_document,
    write_results_json,
)
from conformance.reports.jsonl import ResultsLog, read_results_log
from conformance.reports.junit import build_junit, write_junit
from conformance.reports.matrix import (
    Column,
    Matrix,
    build_matrix,
    build_multi_run_matrix,
    render_matrix_md,
)
from conformance.reports.matrix_html import render_matrix_html
from conformance.reports.merge import MergeError, merge_runs, write_merged_run
from conformance.reports.outcome import Outcome, classify, ordered_targets
from conformance.reports.rundir import LoadedRun, load_run
from conformance.results import RunInfo, ScenarioResult

__all__ = [
    "JSONL_NAME",
    "JSON_NAME",
    "JUNIT_NAME",
    "MATRIX_HTML_NAME",
    "MATRIX_NAME",
    "Column",
    "Comparison",
    "LoadedRun",
    "Matrix",
    "MergeError",
    "Outcome",
    "ResultsLog",
    "atomic_write_bytes",
    "atomic_write_text",
    "build_junit",
    "build_matrix",
    "build_multi_run_matrix",
    "build_results_document",
    "classify",
    "compare",
    "comparison_to_json",
    "load_results_json",
    "load_run",
    "load_snapshot",
    "merge_runs",
    "read_results_log",
    "render_comparison_md",
    "render_matrix_html",
    "render_matrix_md",
    "update_latest_pointer",
    "validate_results_document",
    "write_baseline",
    "write_junit",
    "write_merged_run",
    "write_reports",
    "write_results_json",
]

#: File names inside a run directory.
JSON_NAME = "results.json"
JSONL_NAME = "results.jsonl"
JUNIT_NAME = "junit.xml"
MATRIX_NAME = "matrix.md"
MATRIX_HTML_NAME = "matrix.html"


def write_reports(
    run_dir: Path, run_info: RunInfo, results: Iterable[ScenarioResult]
) -> dict[str, Path]:
    """Write results.json, junit.xml, matrix.md and matrix.html into ``run_dir``, atomically.

    Returns their paths keyed ``"json"``, ``"junit"``, ``"matrix"`` and ``"html"``.
    ``run_dir`` is created if needed. The matrix has a column for every declared target and
    for any other target a result names.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    results = list(results)  # iterated once per report
    matrix = build_matrix(results, ordered_targets(run_info.targets, results))
    matrix_path = run_dir / MATRIX_NAME
    atomic_write_text(matrix_path, render_matrix_md(matrix, run_info))
    html_path = run_dir / MATRIX_HTML_NAME
    atomic_write_text(html_path, render_matrix_html(matrix, run_info, results))
    return {
        "json": write_results_json(run_dir / JSON_NAME, run_info, results),
        "junit": write_junit(run_dir / JUNIT_NAME, run_info, results),
        "matrix": matrix_path,
        "html": html_path,
    }
