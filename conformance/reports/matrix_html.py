"""matrix.html: the compatibility matrix as one self-contained, offline page.

The page has no external resource at all (inline CSS and JS, system fonts), so it can be
attached to a CI job, mailed to a customer or opened from disk. Its Content Security
Policy allows only its own style and script, by hash: even if some data slipped through
escaping, nothing injected could run or load.

Layout: a header with the run's identity, a summary (overall line, counts per column), a
legend, the matrix (rows: interfaces and their members; columns: targets, or run and target
when several runs are shown side by side; a summary line per interface), the documented
limitations met, the unexpected results, and every result's full record (status, message,
expectation, step log, console and ``mmrExtensionLog`` entries, artifact links).

A cell is a ``<details>`` element: opening it shows, in a side panel, the scenarios behind
it with their status and message. The small inline script then copies each result's full
record (step log, logs, artifacts) into the panel, closes the other panels, and opens a
record when a link to it is followed; without scripts the panel still lists the results
and links to their records.

The markup is in ``templates/matrix.html.j2`` (its pieces in ``matrix_parts.html.j2``),
the style and script in ``assets/matrix.css`` and ``assets/matrix.js``; this module
prepares what they show. Every string from results and run info is escaped by
:func:`conformance.reports.templating.escape` (after characters HTML cannot carry are made
visible), so a scenario title ``<script>alert(1)</script>`` shows as text. Artifact links
are emitted only for relative paths, never for ``javascript:`` or other URLs with a scheme.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from conformance.reports.matrix import Cell, Column, Matrix, Row, Tally, build_multi_run_matrix
from conformance.reports.matrix_links import RunChanges, is_trace, source_href, trace_command
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
    limitation_note,
    ordered_targets,
    sort_results,
    unexpected_pass_message,
)
from conformance.reports.templating import asset, csp_source, cut, relative_href, render
from conformance.results import LOG_ENTRY_LIMIT, RunInfo, ScenarioResult, StepRecord

__all__ = [
    "LOG_ENTRY_LIMIT",
    "LOG_TEXT_LIMIT",
    "REF_DEVIATION",
    "render_matrix_html",
    "render_runs_html",
]

#: Most console or mmrExtensionLog entries shown per result: all a result keeps
#: (:data:`conformance.results.LOG_ENTRY_LIMIT`, re-exported here).
#: Longest text shown for one log entry or message, in characters.
LOG_TEXT_LIMIT = 20_000

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
        self.by_test: dict[str, list[int]] = {}
        #: The kind (product or reference) of each limitation id the results name.
        self.kinds: dict[str, str] = {}
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
        seen: list[int] = []
        for test in tests:
            for number in self.by_test.get(test, []):
                if number not in seen:
                    seen.append(number)
        return seen

    def worst_first(self, tests: Iterable[str]) -> list[int]:
        """:meth:`numbers`, worst outcome first, so a failure is never buried under the
        passes of a busy row."""
        rank = {outcome: position for position, outcome in enumerate(PRECEDENCE)}
        return sorted(self.numbers(tests), key=lambda n: rank[classify(self.results[n])])

    def flaky_count(self, numbers: Iterable[int]) -> int:
        """How many of the results numbered ``numbers`` are flaky."""
        return sum(self.results[n].flaky for n in numbers)


def _repeat_counts(result: ScenarioResult) -> str:
    """How often each status came up in the item's repeated runs, e.g. ``1\u00d7 FAIL, 2\u00d7 PASS``."""
    return ", ".join(f"{n}\u00d7 {s}" for s, n in sorted(result.outcomes.items()))


def _message_of(result: ScenarioResult) -> str:
    if classify(result) is Outcome.UNEXPECTED_PASS:
        return unexpected_pass_message(result)
    return result.message


def _shown_limitation(result: ScenarioResult) -> tuple[str, str] | None:
    """The limitation id and note an entry names: for results it explains or contradicts."""
    ident = limitation_id(result)
    if ident and classify(result) in (Outcome.KNOWN_LIMITATION, Outcome.UNEXPECTED_PASS):
        return ident, limitation_note(result)
    return None


def _log_entries(entries: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    """(level, its CSS class suffix, text) of the entries shown, whatever their shape."""
    shown = []
    for entry in entries[:LOG_ENTRY_LIMIT]:
        level = str(entry.get("type") or entry.get("level") or "")
        text = entry.get("text", entry.get("message", entry.get("msg")))
        if text is None:
            text = json.dumps(dict(entry), ensure_ascii=False, sort_keys=True, default=str)
        shown.append((level, re.sub(r"[^a-z]", "", level.lower()), cut(str(text), LOG_TEXT_LIMIT)))
    return shown


def _step_time(step: StepRecord) -> str:
    return f"{step.duration:.3f}s"


def _expectation_text(result: ScenarioResult) -> str:
    expectation = result.expectation
    if not expectation:
        return "(none recorded)"
    parts = [str(expectation.get("outcome", "?"))]
    for key in ("limitation", "fails_with", "note"):
        if expectation.get(key):
            parts.append(f"{key}: {expectation[key]}")
    return "; ".join(parts)


def _source_line(result: ScenarioResult) -> int:
    """The scenario line to open: the failed step's, else the first step's (0: unknown)."""
    lines = [s.line for s in result.steps if s.outcome == "failed" and s.line]
    lines = lines or [s.line for s in result.steps if s.line]
    return lines[0] if lines else 0


def _record_facts(result: ScenarioResult, column_label: str) -> list[tuple[str, str]]:
    facts = [
        ("status", result.status),
        ("outcome", LABEL[classify(result)]),
        ("target", column_label),
        ("expectation", _expectation_text(result)),
        ("duration", f"{result.duration:.3f}s"),
        ("covers", ", ".join(result.covers) or "(nothing)"),
    ]
    if result.file:
        line = _source_line(result)
        facts.append(("file", f"{result.file}:{line}" if line else result.file))
    if result.flaky or result.outcomes:
        facts.append(("repeats", ("flaky: " if result.flaky else "") + _repeat_counts(result)))
    return facts


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
    "LOG_ENTRY_LIMIT": LOG_ENTRY_LIMIT,
    "classify": classify,
    "cut": lambda text, limit=LOG_TEXT_LIMIT: cut(text, limit),
    "artifact_href": relative_href,
    "tally_text": _tally_text,
    "member_tally": _member_tally,
    "row_level": _row_level,
    "all_rows": _all_rows,
    "column_label": _column_label,
    "column_groups": _column_groups,
    "browser": _browser,
    "facts": _facts,
    "repeat_counts": _repeat_counts,
    "message_of": _message_of,
    "shown_limitation": _shown_limitation,
    "log_entries": _log_entries,
    "step_time": _step_time,
    "record_facts": _record_facts,
    "state_of": _state,
    "is_reference_deviation": is_reference_deviation,
    "is_trace": is_trace,
    "REF_CLASS": _REF_CLASS,
    "REF_SYMBOL": _REF_SYMBOL,
    "REF_LABEL": _REF_LABEL,
    "REF_MEANING": _REF_MEANING,
    "REF_DEVIATION": REF_DEVIATION,
}


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
    context = {
        **_HELPERS,
        "css": _CSS,
        "js": _JS,
        "csp": csp,
        "title": title,
        "info": run_info if runs is None else None,
        "runs": runs,
        "matrix": matrix,
        "columns": [matrix.column(key) for key in matrix.targets],
        "index": _Index(ordered),
        "changes": RunChanges([matrix.column(key) for key in matrix.targets]),
        "source_href": lambda file: source_href(file, run_dir),
        "trace_command": lambda path: trace_command(path, run_dir),
    }
    return render("matrix.html.j2", context)


def render_runs_html(
    runs: Sequence[tuple[str, RunInfo, Sequence[ScenarioResult]]], run_dir: Path | None = None
) -> str:
    """A side-by-side matrix.html of several runs: one column group per run.

    ``runs`` holds each run's label (unique), info and results. Artifact paths are used as
    given, so make them relative to where the page will be written (``run_dir``, which
    scenario links are relative to). Each cell whose state differs from the same target's
    cell in the run before it is highlighted, with the state it had.
    """
    matrix, placed = build_multi_run_matrix(
        [(label, ordered_targets(info.targets, results), results) for label, info, results in runs]
    )
    return render_matrix_html(matrix, {label: info for label, info, _ in runs}, placed, run_dir)
