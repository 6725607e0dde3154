"""matrix.html: the compatibility matrix as one self-contained, offline page.

The page has no external resource at all (inline CSS and JS, system fonts), so it can be
attached to a CI job, mailed to a customer or opened from disk. Its Content Security
Policy allows only its own style and script, by hash: even if some data slipped through
escaping, nothing injected could run or load.

Layout: a header with the run's identity, a summary (overall line, counts per column), a
legend, the matrix (rows: interfaces and their members; columns: targets, or run and target
when several runs are shown side by side; a summary line per interface), the unexpected
results, the flaky items, the documented limitations met, and every result's full record
(status, message, expectation, step log, console and ``mmrExtensionLog`` entries, artifact
links).

The page opens on what a reader looks at first (the markup: header, summary, matrix and the
lists above) and builds the rest when asked, so a run of 10,000 results opens as fast as
one of 300: the results and their records are compact JSON data in the page
(:mod:`~conformance.reports.matrix_data`); the page's script lists the results a page of
:data:`RESULTS_PER_PAGE` at a time (status and search filter them), fills a cell's side
panel with its results when the cell is opened, and a result's full record when the
result is opened. Following a link to a result (``#r-<number>``) shows and opens it.

The markup is in ``templates/matrix.html.j2`` (its pieces in ``matrix_parts.html.j2``),
the style and script in ``assets/matrix.css`` and ``assets/matrix.js``; this module
prepares what they show and :func:`write_matrix_html` writes the page as it is made, never
holding it whole. Every string from results and run info is escaped by
:func:`conformance.reports.templating.escape` (after characters HTML cannot carry are made
visible) or, in the data, made visible and put into the page by the script as text only,
so a scenario title ``<script>alert(1)</script>`` shows as text. Artifact links are
emitted only for relative paths, never for ``javascript:`` or other URLs with a scheme.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from conformance.reports.atomic import atomic_write_chunks
from conformance.reports.matrix import Cell, Column, Matrix, Row, Tally, build_multi_run_matrix
from conformance.reports.matrix_data import (
    DATA_ID,
    DETAILS_ID,
    LOG_ENTRY_LIMIT,
    LOG_TEXT_LIMIT,
    Records,
    message_of,
    repeat_counts,
    script_json,
)
from conformance.reports.matrix_links import RunChanges
from conformance.reports.outcome import (
    LABEL,
    MEANING,
    PRECEDENCE,
    SUMMARY_ORDER,
    SYMBOL,
    Outcome,
    classify,
    is_reference_deviation,
    limitation_id,
    limitation_kind,
    ordered_targets,
    sort_results,
)
from conformance.reports.templating import asset, csp_source, cut, environment, visible
from conformance.results import RunInfo, ScenarioResult

__all__ = [
    "LOG_ENTRY_LIMIT",
    "LOG_TEXT_LIMIT",
    "REF_DEVIATION",
    "RESULTS_PER_PAGE",
    "iter_matrix_html",
    "iter_runs_html",
    "render_matrix_html",
    "render_runs_html",
    "write_matrix_html",
]

#: How many results the page lists at a time (its pager shows the others).
RESULTS_PER_PAGE = 100

_SYMBOL = {outcome: symbol.text for outcome, symbol in SYMBOL.items()}
_MEANING = {
    **MEANING,
    Outcome.KNOWN_LIMITATION: MEANING[Outcome.KNOWN_LIMITATION] + " (its id is shown)",
}
# CSS class suffix of each outcome ("n/a" is not a valid class name).
_CLASS = {
    Outcome.UNEXPECTED_FAILURE: "o-unexpected-failure",
    Outcome.UNEXPECTED_PASS: "o-unexpected-pass",
    Outcome.KNOWN_LIMITATION: "o-known-limitation",
    Outcome.PASS: "o-pass",
    Outcome.NOT_RUN: "o-not-run",
    Outcome.NOT_APPLICABLE: "o-na",
}
# A reference deviation is a known limitation of kind `reference`: the reference
# implementation's own, never the product's, so it has its own chip, colour and filter.
REF_DEVIATION = "reference-deviation"
_REF_CLASS = "o-ref-deviation"
_REF_SYMBOL = "\u2205"  # ∅
_REF_LABEL = "reference deviation"
_REF_MEANING = ("failed as a deviation of the suite's reference implementation predicts "
                "(kind: reference, ids ref-*): not a product limitation")

# Row attention levels for the page's filter: 2 = unexpected results, 1 = known
# limitations or skips, 0 = all passing or nothing.
_LEVEL = {
    Outcome.UNEXPECTED_FAILURE: 2,
    Outcome.UNEXPECTED_PASS: 2,
    Outcome.KNOWN_LIMITATION: 1,
    Outcome.NOT_RUN: 1,
    Outcome.PASS: 0,
    Outcome.NOT_APPLICABLE: 0,
}

# A URL scheme ("javascript:", "https:", "C:" on Windows): never turned into a link.

_CSS = "matrix.css"
_JS = "matrix.js"


def _tally_text(tally: Tally) -> str:
    parts = [f"{tally.counts[o]} {LABEL[o]}" for o in SUMMARY_ORDER if tally.counts[o]]
    noun = "result" if tally.total == 1 else "results"
    return f"{tally.total} {noun}" + (": " + ", ".join(parts) if parts else "")


def _member_tally(row: Row, columns: Sequence[Column]) -> Tally:
    """A member row's results over every column (its summary cell)."""
    total = Tally()
    for column in columns:
        for outcome, count in row.cells[column.key].tally.counts.items():
            total.counts[outcome] += count
    return total


def _row_level(row: Row, columns: Sequence[Column]) -> int:
    return max((_LEVEL[row.cells[c.key].state] for c in columns), default=0)


def _all_rows(matrix: Matrix) -> list[Row]:
    """Every row of the matrix: each interface's, then its members'."""
    return [row for section in matrix.sections for row in (section.row, *section.members)]


def _column_label(column: Column) -> str:
    return f"{column.run} \u00b7 {column.target}" if column.run is not None else column.target


def _column_groups(columns: Sequence[Column]) -> list[tuple[str, int]]:
    """The runs of a multi-run matrix's columns with how many columns each spans."""
    groups: list[tuple[str, int]] = []
    for column in columns:
        label = column.run or ""
        if groups and groups[-1][0] == label:
            groups[-1] = (label, groups[-1][1] + 1)
        else:
            groups.append((label, 1))
    return groups


def _browser(info: RunInfo) -> str:
    return " ".join(p for p in (info.browser, info.browser_version) if p) or "unknown"


def _facts(info: RunInfo) -> list[tuple[str, str]]:
    facts = [("run", info.run_id), ("browser", _browser(info)), ("suite", info.suite_version)]
    if info.reference_impl_version:
        facts.append(("reference implementation", info.reference_impl_version))
    if info.git_revision:
        facts.append(("revision", info.git_revision[:12]))
    if info.platform:
        facts.append(("platform", info.platform))
    if info.start_time:
        facts.append(("started", info.start_time))
    if info.end_time:
        facts.append(("ended", info.end_time))
    facts.append(("workers", str(info.workers)))
    return facts


def _state(result: ScenarioResult) -> str:
    """A result's state for the page's status filter: its outcome, or a reference deviation."""
    return REF_DEVIATION if is_reference_deviation(result) else classify(result).value


class _Index:
    """Numbers every result once; a cell refers to its results by these numbers."""

    def __init__(self, results: Sequence[ScenarioResult]) -> None:
        self.results = list(results)
        self.outcomes = [classify(result) for result in self.results]
        self.by_test: dict[str, list[int]] = {}
        #: The kind (product or reference) of each limitation id the results name.
        self.kinds: dict[str, str] = {}
        #: Each cell's result numbers, in the order the page's cells are written.
        self.cells: list[list[int]] = []
        for number, result in enumerate(self.results):
            self.by_test.setdefault(result.test, []).append(number)
            ident, kind = limitation_id(result), limitation_kind(result)
            if ident and kind:
                self.kinds.setdefault(ident, kind)

    def is_reference(self, ident: str) -> bool:
        """Whether the limitation ``ident`` is a reference implementation deviation."""
        return self.kinds.get(ident) == "reference"

    def cell_kind(self, cell: Cell) -> str:
        """``reference`` for a known-limitation cell whose limitations are all reference
        deviations, else ``product``."""
        ids = list(cell.limitations)
        if cell.state is Outcome.KNOWN_LIMITATION and ids and all(map(self.is_reference, ids)):
            return "reference"
        return "product"

    def row_numbers(self, row: Row) -> str:
        """The numbers of a row's results on every column, for the page's filters."""
        tests = [test for cell in row.cells.values() for test in cell.tests]
        return " ".join(str(n) for n in sorted(self.numbers(tests)))

    def reference_count(self, key: str | None = None) -> int:
        """How many results (of the column ``key``, or all) are reference deviations."""
        return sum(is_reference_deviation(r) for r in self.results
                   if key is None or r.target == key)

    def numbers(self, tests: Iterable[str]) -> list[int]:
        """The numbers of the results of ``tests``, each once, in the order given."""
        seen: dict[int, None] = {}
        for test in tests:
            for number in self.by_test.get(test, []):
                seen.setdefault(number)
        return list(seen)

    def worst_first(self, tests: Iterable[str]) -> list[int]:
        """:meth:`numbers`, worst outcome first, so a failure is never buried under the
        passes of a busy row."""
        rank = {outcome: position for position, outcome in enumerate(PRECEDENCE)}
        return sorted(self.numbers(tests), key=lambda n: rank[self.outcomes[n]])

    def flaky_count(self, numbers: Iterable[int]) -> int:
        """How many of the results numbered ``numbers`` are flaky."""
        return sum(self.results[n].flaky for n in numbers)

    def cell(self, numbers: list[int]) -> int:
        """Keep a cell's result numbers for the page's data; its number in that data."""
        self.cells.append(numbers)
        return len(self.cells) - 1

    def data(self) -> Markup:
        """The ``mmr-data`` JSON (see :mod:`~conformance.reports.matrix_data`)."""
        chips = {outcome.value: [_CLASS[outcome], _SYMBOL[outcome], LABEL[outcome]]
                 for outcome in _CLASS}
        chips[REF_DEVIATION] = [_REF_CLASS, _REF_SYMBOL, _REF_LABEL]
        results = [
            [visible(r.test), r.status, _state(r), visible(r.title),
             visible(repeat_counts(r)) if r.flaky else ""]
            for r in self.results
        ]
        return Markup(script_json({"results": results, "cells": self.cells, "chips": chips,
                                   "perPage": RESULTS_PER_PAGE, "logLimit": LOG_ENTRY_LIMIT}))


#: What the templates use besides the page's data.
_HELPERS: dict[str, Any] = {
    "Outcome": Outcome,
    "SUMMARY_ORDER": SUMMARY_ORDER,
    "LEGEND_ORDER": (*PRECEDENCE, Outcome.NOT_APPLICABLE),
    "PRECEDENCE_ORDER": PRECEDENCE,
    "SYMBOL": _SYMBOL,
    "LABEL": LABEL,
    "MEANING": _MEANING,
    "CLASS": _CLASS,
    "classify": classify,
    "tally_text": _tally_text,
    "member_tally": _member_tally,
    "row_level": _row_level,
    "all_rows": _all_rows,
    "column_label": _column_label,
    "column_groups": _column_groups,
    "browser": _browser,
    "facts": _facts,
    "repeat_counts": repeat_counts,
    "message_of": message_of,
    "cut": lambda text, limit=LOG_TEXT_LIMIT: cut(text, limit),
    "is_reference_deviation": is_reference_deviation,
    "REF_CLASS": _REF_CLASS,
    "REF_SYMBOL": _REF_SYMBOL,
    "REF_LABEL": _REF_LABEL,
    "REF_MEANING": _REF_MEANING,
    "REF_DEVIATION": REF_DEVIATION,
}


# Where the template leaves the records' JSON, written in chunks as it is made.
_DETAILS_SLOT = Markup("<!--mmr-details-->")


def iter_matrix_html(
    matrix: Matrix,
    run_info: RunInfo | Mapping[str, RunInfo],
    results: Iterable[ScenarioResult],
    run_dir: Path | None = None,
) -> Iterator[str]:
    """matrix.html in pieces, as it is made (see the module docstring and
    :func:`render_matrix_html`)."""
    keys = set(matrix.targets)
    ordered = [r for r in sort_results(results) if r.target in keys]
    if isinstance(run_info, RunInfo):
        title = f"Conformance matrix \u2014 {run_info.run_id}"
        runs = None
    else:
        title = "Conformance matrix \u2014 " + ", ".join(run_info)
        runs = dict(run_info)
    csp = (
        "default-src 'none'; img-src data:; "
        f"style-src {csp_source(asset(_CSS))}; script-src {csp_source(asset(_JS))}; "
        "base-uri 'none'; form-action 'none'"
    )
    index = _Index(ordered)
    columns = [matrix.column(key) for key in matrix.targets]
    labels = {column.key: _column_label(column) for column in columns}
    context = {
        **_HELPERS,
        "css": _CSS,
        "js": _JS,
        "csp": csp,
        "title": title,
        "info": run_info if runs is None else None,
        "runs": runs,
        "matrix": matrix,
        "columns": columns,
        "index": index,
        "changes": RunChanges(columns),
        "DATA_ID": DATA_ID,
        "DETAILS_ID": DETAILS_ID,
        "details": _DETAILS_SLOT,
    }
    records = Records(run_dir, index.is_reference)
    for chunk in environment().get_template("matrix.html.j2").generate(context):
        if _DETAILS_SLOT not in chunk:
            yield chunk
            continue
        before, after = chunk.split(_DETAILS_SLOT, 1)
        yield before
        yield from records.chunks(ordered, lambda result: labels[result.target])
        yield after


def render_matrix_html(
    matrix: Matrix,
    run_info: RunInfo | Mapping[str, RunInfo],
    results: Iterable[ScenarioResult],
    run_dir: Path | None = None,
) -> str:
    """matrix.html: a self-contained page (see the module docstring).

    ``results`` are the results the matrix was built from (for a multi-run matrix, the
    placed copies :func:`~conformance.reports.matrix.build_multi_run_matrix` returns);
    results of columns the matrix does not have are left out. ``run_info`` is the run's
    info, or for a multi-run matrix each run's info keyed by its column-group label.
    ``run_dir`` is the folder the page is written to: links to scenario files are relative
    to it and trace commands name absolute paths (without it: ``file://`` links for
    absolute scenario paths, trace paths as recorded).
    """
    return "".join(iter_matrix_html(matrix, run_info, results, run_dir))


def write_matrix_html(
    path: Path,
    matrix: Matrix,
    run_info: RunInfo | Mapping[str, RunInfo],
    results: Iterable[ScenarioResult],
    run_dir: Path | None = None,
) -> Path:
    """Write :func:`render_matrix_html`'s page to ``path`` atomically, as it is made (the
    page is never held whole in memory); return ``path``."""
    atomic_write_chunks(path, iter_matrix_html(matrix, run_info, results, run_dir))
    return path


def render_runs_html(
    runs: Sequence[tuple[str, RunInfo, Sequence[ScenarioResult]]], run_dir: Path | None = None
) -> str:
    """A side-by-side matrix.html of several runs: one column group per run.

    ``runs`` holds each run's label (unique), info and results. Artifact paths are used as
    given, so make them relative to where the page will be written (``run_dir``, which
    scenario links are relative to). Each cell whose state differs from the same target's
    cell in the run before it is highlighted, with the state it had.
    """
    return "".join(iter_runs_html(runs, run_dir))


def iter_runs_html(
    runs: Sequence[tuple[str, RunInfo, Sequence[ScenarioResult]]], run_dir: Path | None = None
) -> Iterator[str]:
    """:func:`render_runs_html`'s page in pieces, as it is made (for
    :func:`~conformance.reports.atomic.atomic_write_chunks`)."""
    matrix, placed = build_multi_run_matrix(
        [(label, ordered_targets(info.targets, results), results) for label, info, results in runs]
    )
    return iter_matrix_html(matrix, {label: info for label, info, _ in runs}, placed, run_dir)
