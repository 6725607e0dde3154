"""Writing a run's final reports: results.json, junit.xml, matrix.md and matrix.html.

Apart from the package's ``__init__`` so that modules inside the package (``merge``) can
write reports without importing the package that imports them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from conformance.reports.atomic import atomic_write_text
from conformance.reports.json_report import write_results_json
from conformance.reports.junit import write_junit
from conformance.reports.matrix import build_matrix
from conformance.reports.matrix_html import render_matrix_html
from conformance.reports.matrix_md import render_matrix_md
from conformance.reports.outcome import ordered_targets
from conformance.results import RunInfo, ScenarioResult
from conformance.runinfo import JUNIT_XML, MATRIX_HTML, MATRIX_MD, RESULTS_JSON

__all__ = ["write_reports"]


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
    matrix_path = run_dir / MATRIX_MD
    atomic_write_text(matrix_path, render_matrix_md(matrix, run_info))
    html_path = run_dir / MATRIX_HTML
    atomic_write_text(html_path, render_matrix_html(matrix, run_info, results))
    return {
        "json": write_results_json(run_dir / RESULTS_JSON, run_info, results),
        "junit": write_junit(run_dir / JUNIT_XML, run_info, results),
        "matrix": matrix_path,
        "html": html_path,
    }
