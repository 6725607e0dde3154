"""Writing a run's final reports: every file of a run folder but results.jsonl.

Apart from the package's ``__init__`` so that modules inside the package (``merge``) can
write reports without importing the package that imports them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from conformance.reports.atomic import atomic_write_text
from conformance.reports.compat import build_compat
from conformance.reports.compat_html import render_compat_html
from conformance.reports.compat_md import render_compat_md
from conformance.reports.json_report import write_results_json
from conformance.reports.junit import write_junit
from conformance.reports.limitation_info import LimitationCatalog, annotate
from conformance.reports.matrix import build_matrix
from conformance.reports.matrix_html import write_matrix_html
from conformance.reports.matrix_md import render_matrix_md
from conformance.reports.outcome import ordered_targets
from conformance.reports.wptreport import write_wptreport
from conformance.results import RunInfo, ScenarioResult
from conformance.runinfo import (
    COMPAT_HTML,
    COMPAT_MD,
    JUNIT_XML,
    MATRIX_HTML,
    MATRIX_MD,
    RESULTS_JSON,
    RUN_INFO_JSON,
    WPTREPORT_JSON,
)

__all__ = ["write_reports", "write_run_info"]


def write_run_info(run_dir: Path, run_info: RunInfo) -> Path:
    """Write ``run_info.json`` into ``run_dir`` atomically and return its path (at a run's
    start, so a killed run keeps its metadata, and final with the reports)."""
    path = Path(run_dir) / RUN_INFO_JSON
    atomic_write_text(path, json.dumps(run_info.to_json(), indent=2) + "\n")
    return path


def write_reports(
    run_dir: Path,
    run_info: RunInfo,
    results: Iterable[ScenarioResult],
    limitations: Path | None = None,
) -> dict[str, Path]:
    """Write the run's reports into ``run_dir``, atomically, and return their paths.

    The keys are ``"json"`` (results.json), ``"run_info"``, ``"junit"``, ``"matrix"``
    (matrix.md), ``"html"`` (matrix.html), ``"compat"`` (compat.md), ``"compat_html"`` and
    ``"wptreport"``. ``run_dir`` is created if needed. The matrix has a column for every
    declared target and for any other target a result names. Each result's expectation
    records its limitation's kind (:func:`~conformance.reports.limitation_info.annotate`)
    before anything is written; ``limitations`` is the run's own registry
    (``--limitations FILE``), read besides the ones the scenario files may use.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    plain = list(results)
    catalog = LimitationCatalog.for_results(plain, limitations)
    results = annotate(plain, catalog)
    targets = ordered_targets(run_info.targets, results)
    matrix = build_matrix(results, targets)
    written: dict[str, Path] = {}
    written["json"] = write_results_json(run_dir / RESULTS_JSON, run_info, results)
    # Written at the start too: now final (targets, end time, interrupted).
    written["run_info"] = write_run_info(run_dir, run_info)
    written["junit"] = write_junit(run_dir / JUNIT_XML, run_info, results)
    written["matrix"] = run_dir / MATRIX_MD
    atomic_write_text(written["matrix"], render_matrix_md(matrix, run_info))
    written["html"] = write_matrix_html(run_dir / MATRIX_HTML, matrix, run_info, results,
                                        run_dir=run_dir)
    table = build_compat(results, run_info, targets, catalog)
    written["compat"] = run_dir / COMPAT_MD
    atomic_write_text(written["compat"], render_compat_md(table, run_info))
    written["compat_html"] = run_dir / COMPAT_HTML
    atomic_write_text(written["compat_html"], render_compat_html(table, run_info))
    written["wptreport"] = write_wptreport(run_dir / WPTREPORT_JSON, run_info, results)
    return written
