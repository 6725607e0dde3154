"""Reports of a run: results.json, results.jsonl, run_info.json, junit.xml, matrix.md and
matrix.html (the engineer's views), compat.md and compat.html (the customer's), wptreport.json.

Also what CI does with runs: baselines and gating (:mod:`~conformance.reports.baseline`,
:mod:`~conformance.reports.compare`), and merging the runs of several machines
(:mod:`~conformance.reports.merge`).

A run directory looks like ``reports/<run-id>/`` (see ``reports/README.md``). During the
run, :class:`ResultsLog` appends each finished result to ``results.jsonl``; at the end,
:func:`write_reports` writes the other files atomically, and :func:`update_latest_pointer`
makes ``reports/latest`` point at the run. The folder's file names are in
:mod:`conformance.runinfo`.
"""

from __future__ import annotations

from conformance.reports.atomic import (
    atomic_write_bytes,
    atomic_write_text,
    update_latest_pointer,
)
from conformance.reports.baseline import load_snapshot, write_baseline
from conformance.reports.compare import Comparison, compare
from conformance.reports.compare_report import comparison_to_json, render_comparison_md
from conformance.reports.compat import CompatTable, build_compat
from conformance.reports.compat_html import render_compat_html
from conformance.reports.compat_md import render_compat_md
from conformance.reports.json_report import (
    build_results_document,
    load_results_json,
    validate_results_document,
    write_results_json,
)
from conformance.reports.jsonl import ResultsLog, read_results_log
from conformance.reports.junit import build_junit, write_junit
from conformance.reports.limitation_info import LimitationCatalog, annotate
from conformance.reports.matrix import Column, Matrix, build_matrix, build_multi_run_matrix
from conformance.reports.matrix_html import render_matrix_html
from conformance.reports.matrix_md import render_matrix_md
from conformance.reports.merge import MergeError, merge_runs, write_merged_run
from conformance.reports.outcome import Outcome, classify
from conformance.reports.rundir import LoadedRun, load_run
from conformance.reports.wptreport import build_wptreport, validate_wptreport, write_wptreport
from conformance.reports.writer import write_reports

__all__ = [
    "Column",
    "Comparison",
    "CompatTable",
    "LimitationCatalog",
    "LoadedRun",
    "Matrix",
    "MergeError",
    "Outcome",
    "ResultsLog",
    "annotate",
    "atomic_write_bytes",
    "atomic_write_text",
    "build_compat",
    "build_junit",
    "build_matrix",
    "build_multi_run_matrix",
    "build_results_document",
    "build_wptreport",
    "classify",
    "compare",
    "comparison_to_json",
    "load_results_json",
    "load_run",
    "load_snapshot",
    "merge_runs",
    "read_results_log",
    "render_comparison_md",
    "render_compat_html",
    "render_compat_md",
    "render_matrix_html",
    "render_matrix_md",
    "update_latest_pointer",
    "validate_results_document",
    "validate_wptreport",
    "write_baseline",
    "write_junit",
    "write_merged_run",
    "write_reports",
    "write_results_json",
    "write_wptreport",
]
