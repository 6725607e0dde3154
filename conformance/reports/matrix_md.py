"""matrix.md: the compatibility matrix rendered as GitHub-flavoured Markdown.

Every piece of text that comes from results or run info goes through
:func:`~conformance.reports.markdown.md_escape`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from conformance.reports.markdown import md_escape, md_truncate
from conformance.reports.matrix import Cell, Matrix, Row, Tally
from conformance.reports.outcome import (
    LABEL,
    MEANING,
    PRECEDENCE,
    SUMMARY_ORDER,
    SYMBOL,
    Outcome,
    classify,
    unexpected_pass_message,
)
from conformance.results import RunInfo

__all__ = ["MESSAGE_LIMIT", "render_cell", "render_matrix_md"]

#: Longest failure message or note shown below the tables, in characters.
MESSAGE_LIMIT = 500

_SYMBOL = {outcome: symbol.emoji for outcome, symbol in SYMBOL.items()}
_MEANING = {
    **MEANING,
    Outcome.KNOWN_LIMITATION: MEANING[Outcome.KNOWN_LIMITATION] + " (ids listed)",
}


def render_cell(cell: Cell) -> str:
    """A cell's Markdown: symbol, state and count (or the limitation ids)."""
    state = cell.state
    if state is Outcome.NOT_APPLICABLE:
        return _SYMBOL[state]
    if state is Outcome.KNOWN_LIMITATION:
        ids = ", ".join(md_escape(ident) for ident in cell.limitations)
        return f"{_SYMBOL[state]} known limitation: {ids}"
    if state is Outcome.NOT_RUN:
        return f"{_SYMBOL[state]} not run"
    return f"{_SYMBOL[state]} {LABEL[state]} ({cell.tally.counts[state]})"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def _tally_text(tally: Tally) -> str:
    parts = [
        f"{tally.counts[o]} {_SYMBOL[o]} {LABEL[o]}" for o in SUMMARY_ORDER if tally.counts[o]
    ]
    noun = "result" if tally.total == 1 else "results"
    return f"{tally.total} {noun}" + (": " + ", ".join(parts) if parts else "")


def _header(run_info: RunInfo) -> list[str]:
    browser = " ".join(p for p in (run_info.browser, run_info.browser_version) if p) or "unknown"
    facts = [
        f"Run **{md_escape(run_info.run_id)}**",
        f"browser **{md_escape(browser)}**",
        f"suite **{md_escape(run_info.suite_version)}**",
    ]
    if run_info.start_time:
        facts.append(f"started {md_escape(run_info.start_time)}")
    lines = ["# Call-redirection conformance matrix", "", " · ".join(facts), ""]
    if run_info.interrupted:
        lines += [
            "> ⚠️ This run was interrupted: only the scenarios that finished are shown.",
            "",
        ]
    return lines


def _legend() -> list[str]:
    lines = ["## Legend", ""]
    for outcome in (*PRECEDENCE, Outcome.NOT_APPLICABLE):
        label = LABEL[outcome]
        lines.append(f"- {_SYMBOL[outcome]} **{label}**: {_MEANING[outcome]}")
    lines += [
        "",
        "A cell shows the worst state among its results, in the order above; the number "
        "is how many results (one per scenario and target) have that state. A result "
        "covering `Interface.member` also counts for the interface's row.",
        "",
    ]
    return lines


def _summary(matrix: Matrix) -> list[str]:
    header = ["Outcome", *(md_escape(t) for t in matrix.targets), "All"]
    rows = [
        [
            f"{_SYMBOL[o]} {LABEL[o]}",
            *(str(matrix.by_target[t].counts[o]) for t in matrix.targets),
            str(matrix.overall.counts[o]),
        ]
        for o in SUMMARY_ORDER
    ]
    return [
        "## Summary",
        "",
        *_table(header, rows),
        "",
        f"**Overall:** {_tally_text(matrix.overall)}.",
        "",
    ]


def _row_label(row: Row) -> str:
    if row.member is None:
        return f"**{md_escape(row.interface)}**"
    # &emsp; indents members under their interface (Markdown strips leading spaces).
    return f"&emsp;↳ {md_escape(row.member)}"


def _sections(matrix: Matrix) -> list[str]:
    header = ["Interface / member", *(md_escape(t) for t in matrix.targets)]
    lines = ["## Overview", ""]
    lines += _table(
        header,
        ([_row_label(s.row), *(render_cell(s.row.cells[t]) for t in matrix.targets)]
         for s in matrix.sections),
    )
    lines += ["", "## By interface", ""]
    for section in matrix.sections:
        rows = [section.row, *section.members]
        lines += [f"### {md_escape(section.interface)}", ""]
        lines += _table(
            header,
            ([_row_label(r), *(render_cell(r.cells[t]) for t in matrix.targets)] for r in rows),
        )
        lines += ["", f"{md_escape(section.interface)}: {_tally_text(section.tally)}.", ""]
    return lines


def _limitations(matrix: Matrix) -> list[str]:
    if not matrix.limitations:
        return []
    lines = ["## Known limitations", ""]
    for entry in matrix.limitations:
        notes = "; ".join(md_escape(md_truncate(n, MESSAGE_LIMIT)) for n in entry.notes)
        shown = ", ".join(md_escape(t) for t in entry.tests[:10])
        more = f" and {len(entry.tests) - 10} more" if len(entry.tests) > 10 else ""
        text = f"- ⚠️ **{md_escape(entry.id)}**"
        if notes:
            text += f": {notes}"
        lines.append(f"{text} (tests: {shown}{more})")
    return [*lines, ""]


def _failures(matrix: Matrix) -> list[str]:
    lines = ["## Failures", ""]
    if not matrix.unexpected:
        return [*lines, "None: every result matched its expectation.", ""]
    for result in matrix.unexpected:
        outcome = classify(result)
        message = (
            unexpected_pass_message(result)
            if outcome is Outcome.UNEXPECTED_PASS
            else result.message or "(no message)"
        )
        title = f" — {md_escape(md_truncate(result.title, 200))}" if result.title else ""
        status = md_escape(result.status)
        lines.append(
            f"- {_SYMBOL[outcome]} **{md_escape(result.test)}** ({status}){title}: "
            f"{md_escape(md_truncate(message, MESSAGE_LIMIT))}"
        )
    return [*lines, ""]


def render_matrix_md(matrix: Matrix, run_info: RunInfo) -> str:
    """matrix.md: header, legend, summary, matrix tables, known limitations, failures.

    Every piece of text that comes from results or run info is escaped with
    :func:`~conformance.reports.markdown.md_escape`.
    """
    lines = [
        *_header(run_info),
        *_legend(),
        *_summary(matrix),
        *_sections(matrix),
        *_limitations(matrix),
        *_failures(matrix),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"
