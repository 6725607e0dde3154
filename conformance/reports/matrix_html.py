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

Every string from results and run info is escaped with :func:`html.escape` (after
characters HTML cannot carry are made visible), so a scenario title
``<script>alert(1)</script>`` shows as text. Artifact links are emitted only for relative
paths, never for ``javascript:`` or other URLs with a scheme.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from conformance.reports.matrix import (
    Cell,
    Column,
    Matrix,
    Row,
    Tally,
    build_multi_run_matrix,
)
from conformance.reports.outcome import (
    PRECEDENCE,
    Outcome,
    classify,
    limitation_id,
    limitation_note,
    ordered_targets,
    sort_results,
    unexpected_pass_message,
)
from conformance.results import RunInfo, ScenarioResult

__all__ = ["LOG_ENTRY_LIMIT", "LOG_TEXT_LIMIT", "render_matrix_html", "render_runs_html"]

#: Most console or mmrExtensionLog entries shown per result (results.json has them all).
LOG_ENTRY_LIMIT = 500
#: Longest text shown for one log entry or message, in characters.
LOG_TEXT_LIMIT = 20_000

_SYMBOL = {
    Outcome.UNEXPECTED_FAILURE: "\u2717",  # ✗
    Outcome.UNEXPECTED_PASS: "!",
    Outcome.KNOWN_LIMITATION: "\u26a0",  # ⚠
    Outcome.PASS: "\u2713",  # ✓
    Outcome.NOT_RUN: "\u2298",  # ⊘
    Outcome.NOT_APPLICABLE: "\u2013",  # en dash
}
_LABEL = {
    Outcome.UNEXPECTED_FAILURE: "unexpected failure",
    Outcome.UNEXPECTED_PASS: "unexpected pass",
    Outcome.KNOWN_LIMITATION: "known limitation",
    Outcome.PASS: "pass",
    Outcome.NOT_RUN: "not run",
    Outcome.NOT_APPLICABLE: "n/a",
}
_MEANING = {
    Outcome.UNEXPECTED_FAILURE: "a result failed (FAIL, ERROR or TIMEOUT) and no documented "
    "limitation explains it",
    Outcome.UNEXPECTED_PASS: "a result passed where a documented limitation said it would "
    "fail: update the expectation",
    Outcome.KNOWN_LIMITATION: "failed as a documented limitation predicts (its id is shown)",
    Outcome.PASS: "every result passed as expected",
    Outcome.NOT_RUN: "every result was skipped",
    Outcome.NOT_APPLICABLE: "no scenario covers this on this target",
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
# Summary order: the common case first (as in matrix.md).
_SUMMARY_ORDER = (
    Outcome.PASS,
    Outcome.KNOWN_LIMITATION,
    Outcome.UNEXPECTED_FAILURE,
    Outcome.UNEXPECTED_PASS,
    Outcome.NOT_RUN,
)
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

# Characters HTML cannot carry (C0/C1 controls other than tab and newlines, lone
# surrogates, non-characters): console output holds ANSI colour codes, and a lone
# surrogate from a JSON escape would even make encoding the page fail.
_INVALID = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufdcf\ufdf0-\ufffd\U00010000-\U0010ffff]")
# A URL scheme ("javascript:", "https:", "C:" on Windows): never turned into a link.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def _visible(text: str) -> str:
    """``text`` with characters HTML cannot carry replaced by ``\\xNN``/``\\uNNNN``."""
    return _INVALID.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _e(value: object) -> str:
    """Escape any value for HTML text or a double-quoted attribute."""
    return html.escape(_visible(str(value)), quote=True)


def _cut(text: str, limit: int = LOG_TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _artifact_href(path: str) -> str | None:
    """A safe ``href`` for a relative artifact path, or ``None`` if it must not be a link."""
    cleaned = path.replace("\\", "/").strip()
    if not cleaned or cleaned.startswith("/") or _SCHEME.match(cleaned) or _INVALID.search(cleaned):
        return None
    return quote(cleaned, safe="/-_.~")


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _tally_text(tally: Tally) -> str:
    parts = [f"{tally.counts[o]} {_LABEL[o]}" for o in _SUMMARY_ORDER if tally.counts[o]]
    noun = "result" if tally.total == 1 else "results"
    return f"{tally.total} {noun}" + (": " + ", ".join(parts) if parts else "")


def _sum(tallies: Iterable[Tally]) -> Tally:
    total = Tally()
    for tally in tallies:
        for outcome, count in tally.counts.items():
            total.counts[outcome] += count
    return total


def _chip(outcome: Outcome, text: str | None = None) -> str:
    label = _LABEL[outcome] if text is None else text
    return (
        f'<span class="chip {_CLASS[outcome]}"><span class="sym" aria-hidden="true">'
        f"{_SYMBOL[outcome]}</span> {_e(label)}</span>"
    )


# --- header ---------------------------------------------------------------------------


def _facts(info: RunInfo) -> list[tuple[str, str]]:
    browser = " ".join(p for p in (info.browser, info.browser_version) if p) or "unknown"
    facts = [("run", info.run_id), ("browser", browser), ("suite", info.suite_version)]
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


def _run_header(info: RunInfo) -> list[str]:
    # Joined with spaces: the facts are unbreakable units, the gaps are where lines wrap.
    items = " ".join(
        f'<span class="fact"><span class="k">{_e(k)}</span> <b>{_e(v)}</b></span>'
        for k, v in _facts(info)
    )
    out = [f'<p class="facts">{items}</p>']
    if info.merged_from:
        runs = ", ".join(
            f"{_e(m.get('run_id', '?'))} ({_e(m.get('results', '?'))} results)"
            for m in info.merged_from
        )
        out.append(
            f'<p class="facts">Merged from {len(info.merged_from)} runs: {runs}</p>'
        )
    if info.command:
        out.append(f'<p class="facts"><span class="k">command</span> <code>{_e(info.command)}</code></p>')
    if info.interrupted:
        out.append(
            '<p class="banner" role="alert"><b>This run was interrupted:</b> only the '
            "scenarios that finished are shown.</p>"
        )
    return out


def _multi_header(infos: Mapping[str, RunInfo]) -> list[str]:
    rows = []
    for label, info in infos.items():
        browser = " ".join(p for p in (info.browser, info.browser_version) if p) or "unknown"
        state = "interrupted" if info.interrupted else ""
        rows.append(
            f"<tr><th scope=\"row\">{_e(label)}</th><td>{_e(info.run_id)}</td>"
            f"<td>{_e(browser)}</td><td>{_e(info.suite_version)}</td>"
            f"<td>{_e(info.start_time)}</td><td>{_e(state)}</td></tr>"
        )
    return [
        '<table class="runs"><thead><tr><th>Column group</th><th>Run</th><th>Browser</th>'
        "<th>Suite</th><th>Started</th><th></th></tr></thead><tbody>",
        *rows,
        "</tbody></table>",
    ]


# --- summary and legend -------------------------------------------------------------


def _column_label(column: Column) -> str:
    return f"{column.run} \u00b7 {column.target}" if column.run is not None else column.target


def _summary(matrix: Matrix) -> list[str]:
    columns = [matrix.column(key) for key in matrix.targets]
    head = "".join(f"<th scope=\"col\">{_e(_column_label(c))}</th>" for c in columns)
    rows = []
    for outcome in _SUMMARY_ORDER:
        counts = "".join(
            f'<td class="num">{matrix.by_target[c.key].counts[outcome]}</td>' for c in columns
        )
        rows.append(
            f"<tr><th scope=\"row\">{_chip(outcome)}</th>{counts}"
            f'<td class="num"><b>{matrix.overall.counts[outcome]}</b></td></tr>'
        )
    return [
        '<section id="summary"><h2>Summary</h2>',
        f'<p class="overall"><b>Overall:</b> {_e(_tally_text(matrix.overall))}.</p>',
        f'<table class="summary"><thead><tr><th scope="col">Outcome</th>{head}'
        '<th scope="col">All</th></tr></thead><tbody>',
        *rows,
        "</tbody></table></section>",
    ]


def _legend() -> list[str]:
    items = "".join(
        f"<li>{_chip(o)} <span>{_e(_MEANING[o])}</span></li>" for o in (*PRECEDENCE, Outcome.NOT_APPLICABLE)
    )
    return [
        '<section id="legend"><h2>Legend</h2>',
        f'<ul class="legend">{items}</ul>',
        "<p class=\"note\">A cell shows the worst state among its results, in the order "
        "above, and how many results have that state. A result covering "
        "<code>Interface.member</code> also counts for the interface's row. Open a cell to "
        "see the scenarios behind it.</p></section>",
    ]


# --- the matrix -----------------------------------------------------------------------


class _Index:
    """Numbers every result once; a cell refers to its results by these numbers."""

    def __init__(self, results: Sequence[ScenarioResult]) -> None:
        self.results = list(results)
        self.by_test: dict[str, list[int]] = {}
        for number, result in enumerate(self.results):
            self.by_test.setdefault(result.test, []).append(number)

    def numbers(self, tests: Iterable[str]) -> list[int]:
        seen: list[int] = []
        for test in tests:
            for number in self.by_test.get(test, []):
                if number not in seen:
                    seen.append(number)
        return seen


def _cell_summary(cell: Cell) -> str:
    state = cell.state
    if state is Outcome.KNOWN_LIMITATION:
        ids = ", ".join(cell.limitations) or "(unnamed)"
        return f"{_chip(state)} <span class=\"ids\">{_e(ids)}</span>"
    if state is Outcome.NOT_RUN:
        return _chip(state)
    return f'{_chip(state)} <span class="n">({cell.tally.counts[state]})</span>'


def _flaky_badge(result: ScenarioResult) -> str:
    """A text badge for an item whose repeated runs (``--repeat N``) disagreed."""
    if not result.flaky:
        return ""
    counts = ", ".join(f"{n}\u00d7 {s}" for s, n in sorted(result.outcomes.items()))
    return f' <span class="flk" title="{_e(counts)}">flaky: {_e(counts)}</span>'


def _message_of(result: ScenarioResult) -> str:
    if classify(result) is Outcome.UNEXPECTED_PASS:
        return unexpected_pass_message(result)
    return result.message


def _entry(number: int, result: ScenarioResult) -> str:
    outcome = classify(result)
    title = f' <span class="title">{_e(result.title)}</span>' if result.title else ""
    message = _message_of(result)
    msg = f'<pre class="msg">{_e(_cut(message))}</pre>' if message else ""
    limitation = ""
    ident = limitation_id(result)
    if ident and outcome in (Outcome.KNOWN_LIMITATION, Outcome.UNEXPECTED_PASS):
        note = limitation_note(result)
        limitation = (
            f'<p class="lim">limitation <b>{_e(ident)}</b>'
            + (f": {_e(note)}" if note else "")
            + "</p>"
        )
    return (
        f'<li class="entry {_CLASS[outcome]}">'
        f'<div class="entry-head"><span class="status">{_e(result.status)}</span> '
        f"{_chip(outcome)} <a href=\"#r-{number}\">{_e(result.test)}</a>{_flaky_badge(result)}"
        f"{title}</div>"
        f"{limitation}{msg}"
        # Open for results that did not simply pass: those are what the reader came for.
        f'<details class="more"{"" if outcome is Outcome.PASS else " open"}>'
        "<summary>Step log, logs and artifacts</summary>"
        f'<div class="full" data-fill="{number}"><a href="#r-{number}">Full record of this '
        "result</a></div></details></li>"
    )


def _cell(row: Row, column: Column, index: _Index) -> str:
    cell = row.cells[column.key]
    state = cell.state
    if state is Outcome.NOT_APPLICABLE:
        return f'<td class="cell {_CLASS[state]}">{_chip(state)}</td>'
    numbers = index.numbers(cell.tests)
    limitations = ""
    if cell.limitations:
        items = "".join(
            f"<li><b>{_e(ident)}</b>" + (": " + _e("; ".join(notes)) if notes else "") + "</li>"
            for ident, notes in cell.limitations.items()
        )
        limitations = f'<ul class="lims">{items}</ul>'
    # Worst first, so a failure is never buried under the passes of a busy row.
    rank = {outcome: position for position, outcome in enumerate(PRECEDENCE)}
    numbers.sort(key=lambda n: rank[classify(index.results[n])])
    entries = "".join(_entry(n, index.results[n]) for n in numbers)
    where = _column_label(column)
    flaky = sum(index.results[n].flaky for n in numbers)
    flaky_mark = f' <span class="flk">{flaky} flaky</span>' if flaky else ""
    return (
        f'<td class="cell {_CLASS[state]}"><details class="cell-d" name="cell">'
        f"<summary>{_cell_summary(cell)}{flaky_mark}</summary>"
        f'<div class="drawer" role="dialog" aria-label="{_e(row.name)} on {_e(where)}">'
        f'<div class="drawer-head"><div><h3>{_e(row.name)}</h3><p>on <b>{_e(where)}</b> '
        f"\u2014 {_e(_tally_text(cell.tally))}</p></div>"
        '<button type="button" class="close" aria-label="Close">\u00d7</button></div>'
        f'{limitations}<ol class="entries">{entries}</ol></div></details></td>'
    )


def _row(row: Row, columns: Sequence[Column], index: _Index, summary: str) -> str:
    level = max((_LEVEL[row.cells[c.key].state] for c in columns), default=0)
    if row.member is None:
        kind, label = "iface", f"<b>{_e(row.interface)}</b>"
    else:
        kind = "member"
        label = f'<span class="arrow" aria-hidden="true">\u21b3</span> {_e(row.member)}'
    cells = "".join(_cell(row, c, index) for c in columns)
    return (
        f'<tr class="{kind}" data-level="{level}" data-name="{_e(row.name.lower())}">'
        f'<th scope="row">{label}</th>{cells}<td class="sum">{_e(summary)}</td></tr>'
    )


def _matrix_table(matrix: Matrix, index: _Index) -> list[str]:
    columns = [matrix.column(key) for key in matrix.targets]
    if matrix.multi_run:
        groups: list[tuple[str, int]] = []
        for column in columns:
            label = column.run or ""
            if groups and groups[-1][0] == label:
                groups[-1] = (label, groups[-1][1] + 1)
            else:
                groups.append((label, 1))
        head = (
            '<tr><th scope="col" rowspan="2" class="corner">Interface / member</th>'
            + "".join(f'<th scope="colgroup" colspan="{n}">{_e(g)}</th>' for g, n in groups)
            + '<th scope="col" rowspan="2">Summary</th></tr><tr class="second">'
            + "".join(f'<th scope="col">{_e(c.target)}</th>' for c in columns)
            + "</tr>"
        )
    else:
        head = (
            '<tr><th scope="col" class="corner">Interface / member</th>'
            + "".join(f'<th scope="col">{_e(c.target)}</th>' for c in columns)
            + '<th scope="col">Summary</th></tr>'
        )
    out = [
        '<section id="matrix"><h2>Matrix</h2>',
        '<div class="toolbar"><label>Show <select id="show">'
        '<option value="0">all rows</option>'
        '<option value="1">rows with limitations, skips or problems</option>'
        '<option value="2">rows with unexpected results</option></select></label> '
        '<label>Filter <input type="search" id="filter" placeholder="interface or member">'
        "</label></div>",
        f'<table class="matrix"><thead>{head}</thead>',
    ]
    if not matrix.sections:
        out.append(
            f'<tbody><tr><td colspan="{len(columns) + 2}" class="empty">No results.</td></tr></tbody>'
        )
    for section in matrix.sections:
        out.append(f'<tbody class="section" data-name="{_e(section.interface.lower())}">')
        out.append(
            _row(section.row, columns, index, _tally_text(section.tally))
        )
        for member in section.members:
            tally = _sum(member.cells[c.key].tally for c in columns)
            out.append(_row(member, columns, index, _tally_text(tally)))
        out.append("</tbody>")
    out.append("</table></section>")
    return out


# --- lists below the matrix -----------------------------------------------------------


def _limitations(matrix: Matrix, index: _Index) -> list[str]:
    if not matrix.limitations:
        return []
    items = []
    for entry in matrix.limitations:
        notes = "; ".join(entry.notes)
        links = ", ".join(
            f'<a href="#r-{n}">{_e(index.results[n].test)}</a>' for n in index.numbers(entry.tests)
        )
        items.append(
            f"<li>{_chip(Outcome.KNOWN_LIMITATION, entry.id)}"
            + (f" {_e(notes)}" if notes else "")
            + f' <span class="tests">({links})</span></li>'
        )
    return ['<section id="limitations"><h2>Known limitations met</h2>',
            f'<ul class="plain">{"".join(items)}</ul></section>']


def _unexpected(matrix: Matrix, index: _Index) -> list[str]:
    out = ['<section id="failures"><h2>Unexpected results</h2>']
    if not matrix.unexpected:
        out.append("<p>None: every result matched its expectation.</p></section>")
        return out
    items = []
    for result in matrix.unexpected:
        numbers = index.numbers([result.test])
        anchor = f"#r-{numbers[0]}" if numbers else "#results"
        message = _message_of(result) or "(no message)"
        title = f' <span class="title">{_e(result.title)}</span>' if result.title else ""
        items.append(
            f'<li>{_chip(classify(result))} <span class="status">{_e(result.status)}</span> '
            f'<a href="{anchor}">{_e(result.test)}</a>{title}'
            f'<pre class="msg">{_e(_cut(message, 2000))}</pre></li>'
        )
    out += [f'<ul class="plain">{"".join(items)}</ul>', "</section>"]
    return out


def _flaky(index: _Index) -> list[str]:
    flaky = [(n, r) for n, r in enumerate(index.results) if r.flaky]
    if not flaky:
        return []
    items = "".join(
        f'<li><span class="status">{_e(r.status)}</span> {_chip(classify(r))} '
        f'<a href="#r-{n}">{_e(r.test)}</a>{_flaky_badge(r)}</li>'
        for n, r in flaky
    )
    return [
        '<section id="flaky"><h2>Flaky items</h2>',
        '<p class="note">Their repeated runs (<code>--repeat N</code>) did not all end the same '
        "way; each shows the first run's status and every status's count.</p>",
        f'<ul class="plain">{items}</ul></section>',
    ]


def _entry_parts(entry: Mapping[str, Any]) -> tuple[str, str]:
    """(level, text) of a console or mmrExtensionLog entry, whatever its shape."""
    level = entry.get("type") or entry.get("level") or ""
    text = entry.get("text", entry.get("message", entry.get("msg")))
    if text is None:
        text = json.dumps(dict(entry), ensure_ascii=False, sort_keys=True, default=str)
    return str(level), str(text)


def _log_list(title: str, entries: Sequence[Mapping[str, Any]]) -> str:
    if not entries:
        return ""
    items = []
    for entry in entries[:LOG_ENTRY_LIMIT]:
        level, text = _entry_parts(entry)
        level_html = ""
        if level:
            css = re.sub(r"[^a-z]", "", level.lower())
            level_html = f'<span class="lvl lvl-{css}">{_e(level)}</span> '
        items.append(f"<li>{level_html}<span class=\"txt\">{_e(_cut(text))}</span></li>")
    more = ""
    if len(entries) > LOG_ENTRY_LIMIT:
        more = f'<p class="note">{len(entries) - LOG_ENTRY_LIMIT} more entries in results.json.</p>'
    return f'<h4>{_e(title)} ({len(entries)})</h4><ol class="log">{"".join(items)}</ol>{more}'


def _steps_table(result: ScenarioResult) -> str:
    if not result.steps:
        return ""
    rows = "".join(
        f'<tr class="step-{_e(s.outcome)}"><td class="num">{s.index}</td><td>{_e(s.kind)}</td>'
        f'<td class="num">{s.line}</td><td class="num">{s.duration:.3f}s</td>'
        f"<td>{_e(s.outcome)}</td><td>{_e(_cut(s.message))}</td></tr>"
        for s in result.steps
    )
    return (
        f"<h4>Step log ({len(result.steps)})</h4>"
        '<table class="steps"><thead><tr><th>#</th><th>kind</th><th>line</th><th>time</th>'
        f"<th>outcome</th><th>message</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _artifacts(result: ScenarioResult) -> str:
    if not result.artifacts:
        return ""
    items = []
    for name, path in sorted(result.artifacts.items()):
        href = _artifact_href(path)
        shown = f'<a href="{_e(href)}">{_e(path)}</a>' if href else f"<code>{_e(path)}</code>"
        hint = ""
        if path.endswith(".zip") and "trace" in name.lower():
            hint = ' <span class="note">(open with <code>playwright show-trace</code>)</span>'
        items.append(f"<li><b>{_e(name)}</b>: {shown}{hint}</li>")
    return f'<h4>Artifacts</h4><ul class="plain">{"".join(items)}</ul>'


def _expectation_text(result: ScenarioResult) -> str:
    expectation = result.expectation
    if not expectation:
        return "(none recorded)"
    parts = [str(expectation.get("outcome", "?"))]
    for key in ("limitation", "fails_with", "note"):
        if expectation.get(key):
            parts.append(f"{key}: {expectation[key]}")
    return "; ".join(parts)


def _result_record(number: int, result: ScenarioResult, column_label: str) -> str:
    outcome = classify(result)
    facts = [
        ("status", result.status),
        ("outcome", _LABEL[outcome]),
        ("target", column_label),
        ("expectation", _expectation_text(result)),
        ("duration", f"{result.duration:.3f}s"),
        ("covers", ", ".join(result.covers) or "(nothing)"),
    ]
    if result.file:
        facts.append(("file", result.file))
    if result.flaky or result.outcomes:
        counts = ", ".join(f"{n}\u00d7 {s}" for s, n in sorted(result.outcomes.items()))
        facts.append(("repeats", ("flaky: " if result.flaky else "") + counts))
    fact_html = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    message = _message_of(result)
    message_html = (
        f'<div class="message"><h4>Message</h4><pre class="msg">{_e(_cut(message))}</pre></div>'
        if message else ""
    )
    title = f' <span class="title">{_e(result.title)}</span>' if result.title else ""
    return (
        f'<details class="result {_CLASS[outcome]}" id="r-{number}">'
        f'<summary><span class="status">{_e(result.status)}</span> {_chip(outcome)} '
        f"<b>{_e(result.test)}</b>{_flaky_badge(result)}{title}</summary>"
        f'<div class="result-body"><dl class="facts">{fact_html}</dl>{message_html}'
        f"{_steps_table(result)}{_log_list('Console', result.console)}"
        f"{_log_list('mmrExtensionLog', result.mmr_log)}{_artifacts(result)}</div></details>"
    )


def _records(matrix: Matrix, index: _Index) -> list[str]:
    records = [
        _result_record(n, r, _column_label(matrix.column(r.target)))
        for n, r in enumerate(index.results)
    ]
    return ['<section id="results"><h2>All results</h2>',
            f'<p class="note">{len(records)} results, one per scenario and target.</p>',
            *records, "</section>"]


# --- page -----------------------------------------------------------------------------

_CSS = """
:root{--fg:#1d2125;--muted:#5f6b76;--line:#d7dce1;--bg:#fff;--head:#f4f6f8;
--pass-bg:#e3f4e8;--pass-fg:#14622f;--lim-bg:#fff1cc;--lim-fg:#6e4a00;--uf-bg:#fde2e4;
--uf-fg:#9b1020;--up-bg:#efe3fc;--up-fg:#571c94;--nr-bg:#eceff2;--nr-fg:#4a545e;
--na-bg:#fafbfc;--na-fg:#8a949e}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,
"Noto Sans","DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
header.top{padding:16px 24px 8px;border-bottom:1px solid var(--line)}
h1{font-size:20px;margin:0 0 6px}h2{font-size:17px;margin:28px 0 10px}
h3{font-size:15px;margin:0}h4{font-size:13px;margin:14px 0 6px;color:var(--muted);
text-transform:uppercase;letter-spacing:.03em}
main{padding:0 24px 48px}
.facts{margin:4px 0;color:var(--muted)}.fact{margin-right:14px;white-space:nowrap}
.k{color:var(--muted)}code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,
"DejaVu Sans Mono",monospace}
.banner{background:var(--lim-bg);color:var(--lim-fg);border:1px solid #e8c766;padding:8px 12px;
border-radius:6px}
.note{color:var(--muted)}
.chip{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;
white-space:nowrap;border:1px solid transparent}
.chip .sym{font-weight:700}
.chip.o-pass{background:var(--pass-bg);color:var(--pass-fg)}
.chip.o-known-limitation{background:var(--lim-bg);color:var(--lim-fg)}
.chip.o-unexpected-failure{background:var(--uf-bg);color:var(--uf-fg);border-color:#f3a3ab;
font-weight:600}
.chip.o-unexpected-pass{background:var(--up-bg);color:var(--up-fg);border-color:#c9a4f2;
font-weight:600}
.chip.o-not-run{background:var(--nr-bg);color:var(--nr-fg)}
.chip.o-na{background:transparent;color:var(--na-fg)}
table{border-collapse:collapse}
table.summary td,table.summary th,table.runs td,table.runs th{border:1px solid var(--line);
padding:3px 10px;text-align:left}
.num{text-align:right;font-variant-numeric:tabular-nums}
ul.legend{list-style:none;padding:0;margin:0;display:grid;gap:4px 10px;
grid-template-columns:max-content 1fr}ul.legend li{display:contents}
ul.legend .chip{justify-self:start;align-self:start}
ul.plain{padding-left:18px}ul.plain li{margin:4px 0}
.toolbar{display:flex;gap:16px;align-items:center;margin:0 0 8px;flex-wrap:wrap}
.toolbar select,.toolbar input{font:inherit;padding:2px 6px}
table.matrix{font-size:13px;min-width:60%}
.overview{display:flex;flex-wrap:wrap;gap:8px 48px;align-items:flex-start}
.overview>section{flex:0 0 auto}.overview>#legend{flex:1 1 28rem;max-width:50rem}
table.matrix th,table.matrix td{border-bottom:1px solid var(--line);padding:3px 8px;
text-align:left;vertical-align:top}
table.matrix thead th{position:sticky;top:0;background:var(--head);z-index:2;
border-bottom:2px solid var(--line)}
table.matrix thead tr.second th{top:27px}
table.matrix tr.iface th,table.matrix tr.iface td{background:#f9fafb;
border-top:2px solid var(--line)}
table.matrix tr.member th{font-weight:400;padding-left:22px}
.arrow{color:var(--muted)}
td.sum{color:var(--muted);font-size:12px}tr.iface td.sum{color:var(--fg)}
td.cell{white-space:nowrap}
td.cell.o-pass{background:#f3fbf5}td.cell.o-known-limitation{background:#fffaeb}
td.cell.o-unexpected-failure{background:#fff1f2}td.cell.o-unexpected-pass{background:#f8f2fe}
.ids{font-family:ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:12px;
color:var(--lim-fg)}
.n{color:var(--muted)}
details.cell-d>summary{cursor:pointer;list-style:none;border-radius:4px;padding:1px 2px}
details.cell-d>summary::-webkit-details-marker{display:none}
details.cell-d>summary:hover,details.cell-d>summary:focus-visible{outline:2px solid #5b8def}
details.cell-d[open]>summary{outline:2px solid #1f5fd6}
.drawer{position:fixed;top:0;right:0;bottom:0;width:min(48rem,96vw);overflow:auto;
background:#fff;border-left:1px solid var(--line);box-shadow:-8px 0 24px rgba(0,0,0,.15);
z-index:10;padding:14px 18px;white-space:normal}
.drawer-head{display:flex;justify-content:space-between;gap:12px;align-items:flex-start;
border-bottom:1px solid var(--line);padding-bottom:8px}
.drawer-head p{margin:2px 0 0;color:var(--muted)}
.close{font-size:20px;line-height:1;border:1px solid var(--line);background:#fff;
border-radius:4px;cursor:pointer;padding:2px 8px}
ol.entries{list-style:none;padding:0;margin:10px 0}
li.entry{border:1px solid var(--line);border-radius:6px;padding:8px 10px;margin:0 0 10px}
li.entry.o-unexpected-failure{border-left:4px solid var(--uf-fg)}
li.entry.o-unexpected-pass{border-left:4px solid var(--up-fg)}
li.entry.o-known-limitation{border-left:4px solid #d9a400}
li.entry.o-pass{border-left:4px solid var(--pass-fg)}
.status{font:600 11px/1 ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace;
padding:2px 5px;border:1px solid var(--line);border-radius:3px;background:var(--head)}
.title{color:var(--muted)}
pre.msg{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;border:1px solid var(--line);
border-radius:4px;padding:6px 8px;margin:6px 0;max-height:22em;overflow:auto}
.lim{margin:4px 0}
details.more>summary{cursor:pointer;color:var(--muted);font-size:12px;margin-top:4px}
details.result{border:1px solid var(--line);border-radius:6px;margin:0 0 6px;padding:4px 10px}
details.result>summary{cursor:pointer}
details.result[open]{background:#fcfcfd}
.result-body{padding:4px 0 8px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;word-break:break-word}
table.steps{font-size:12px;width:100%}
table.steps td,table.steps th{border-bottom:1px solid var(--line);padding:2px 6px;
text-align:left;vertical-align:top}
tr.step-failed td{background:var(--uf-bg)}tr.step-not-run td,tr.step-skipped td{color:var(--muted)}
ol.log{font:12px/1.4 ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace;
padding-left:36px;margin:4px 0;max-height:24em;overflow:auto}
ol.log .txt{white-space:pre-wrap;word-break:break-word}
.lvl{color:var(--muted)}.lvl-error{color:var(--uf-fg);font-weight:600}
.lvl-warning,.lvl-warn{color:var(--lim-fg)}
.empty{color:var(--muted);padding:12px}
.flk{display:inline-block;font-size:11px;padding:0 5px;border-radius:3px;border:1px dashed #8a6d00;
color:#6e4a00;background:#fffbe6;margin-left:4px}
:target{scroll-margin-top:48px}
@media print{.drawer{position:static;box-shadow:none}.toolbar{display:none}}
"""

_JS = """
(function () {
  'use strict';
  function fill(drawer) {
    drawer.querySelectorAll('[data-fill]').forEach(function (slot) {
      if (slot.dataset.filled) { return; }
      var record = document.getElementById('r-' + slot.dataset.fill);
      var body = record && record.querySelector('.result-body');
      if (!body) { return; }
      var copy = body.cloneNode(true);
      copy.querySelectorAll('[id]').forEach(function (el) { el.removeAttribute('id'); });
      // The entry already shows the message above.
      copy.querySelectorAll('.message').forEach(function (el) { el.remove(); });
      slot.replaceChildren(copy);
      slot.dataset.filled = '1';
    });
  }
  document.addEventListener('toggle', function (event) {
    var details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.classList.contains('cell-d')) {
      return;
    }
    if (details.open) {
      document.querySelectorAll('details.cell-d[open]').forEach(function (other) {
        if (other !== details) { other.open = false; }
      });
      fill(details.querySelector('.drawer'));
    }
  }, true);
  document.addEventListener('click', function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) { return; }
    var close = target.closest('button.close');
    if (close) {
      var owner = close.closest('details');
      if (owner) { owner.open = false; owner.querySelector('summary').focus(); }
      return;
    }
    var link = target.closest('a[href^="#r-"]');
    if (link) { openRecord(link.getAttribute('href').slice(1)); }
  });
  function openRecord(id) {
    var record = document.getElementById(id);
    if (record && record.tagName === 'DETAILS') { record.open = true; }
    var drawer = document.querySelector('details.cell-d[open]');
    if (drawer && record) { drawer.open = false; }
  }
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') {
      document.querySelectorAll('details.cell-d[open]').forEach(function (d) { d.open = false; });
    }
  });
  var show = document.getElementById('show');
  var filter = document.getElementById('filter');
  function apply() {
    var level = show ? Number(show.value) : 0;
    var query = filter ? filter.value.trim().toLowerCase() : '';
    document.querySelectorAll('tbody.section').forEach(function (section) {
      var all = query !== '' && section.dataset.name.indexOf(query) !== -1;
      section.querySelectorAll('tr').forEach(function (row) {
        var byLevel = Number(row.dataset.level) >= level;
        var byName = query === '' || all || row.dataset.name.indexOf(query) !== -1;
        row.hidden = !(byLevel && byName);
      });
    });
  }
  if (show) { show.addEventListener('change', apply); }
  if (filter) { filter.addEventListener('input', apply); }
  if (location.hash.indexOf('#r-') === 0) { openRecord(location.hash.slice(1)); }
})();
"""


def render_matrix_html(
    matrix: Matrix,
    run_info: RunInfo | Mapping[str, RunInfo],
    results: Iterable[ScenarioResult],
) -> str:
    """matrix.html: a self-contained page (see the module docstring).

    ``results`` are the results the matrix was built from (for a multi-run matrix, the
    placed copies :func:`~conformance.reports.matrix.build_multi_run_matrix` returns);
    results of columns the matrix does not have are left out. ``run_info`` is the run's
    info, or for a multi-run matrix each run's info keyed by its column-group label.
    """
    keys = set(matrix.targets)
    ordered = [r for r in sort_results(results) if r.target in keys]
    index = _Index(ordered)
    if isinstance(run_info, RunInfo):
        title = f"Conformance matrix \u2014 {run_info.run_id}"
        header = _run_header(run_info)
    else:
        title = "Conformance matrix \u2014 " + ", ".join(run_info)
        header = _multi_header(run_info)
    csp = (
        "default-src 'none'; img-src data:; "
        f"style-src {_csp_hash(_CSS)}; script-src {_csp_hash(_JS)}; "
        "base-uri 'none'; form-action 'none'"
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">',
        '<meta name="referrer" content="no-referrer">',
        # An explicit (empty) icon: otherwise a browser serving the page over HTTP asks the
        # server for /favicon.ico, the page's only outgoing request.
        '<link rel="icon" href="data:,">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        '<header class="top"><h1>Call-redirection conformance matrix</h1>',
        *header,
        "</header><main>",
        '<div class="overview">',
        *_summary(matrix),
        *_legend(),
        "</div>",
        *_matrix_table(matrix, index),
        *_unexpected(matrix, index),
        *_flaky(index),
        *_limitations(matrix, index),
        *_records(matrix, index),
        f"</main><script>{_JS}</script></body></html>",
    ]
    return "\n".join(parts) + "\n"


def render_runs_html(runs: Sequence[tuple[str, RunInfo, Sequence[ScenarioResult]]]) -> str:
    """A side-by-side matrix.html of several runs: one column group per run.

    ``runs`` holds each run's label (unique), info and results. Artifact paths are used as
    given, so make them relative to where the page will be written.
    """
    matrix, placed = build_multi_run_matrix(
        [(label, ordered_targets(info.targets, results), results) for label, info, results in runs]
    )
    return render_matrix_html(matrix, {label: info for label, info, _ in runs}, placed)
