"""The data of matrix.html: every result as compact JSON, rendered by the page when asked.

A page of 10,000 results cannot hold every result's full record as markup (about 6 KB
each: the page took 11 s to open). The page's markup holds the summary, the matrix and the
lists of unexpected, flaky and limited results; each result's line and full record (facts,
message, step log, console and ``mmrExtensionLog`` entries, artifacts) are JSON in two
``<script type="application/json">`` elements, which the browser never runs (the page's
CSP needs no hash for them) and the page's script reads:

- ``mmr-data`` (read at load, small): per result ``[test, status, state, title, flaky]``,
  each cell's result numbers (worst first) and each state's chip (class, symbol, label);
- ``mmr-details`` (read the first time a record or a cell is opened or the search is used,
  or after load to prepare the search): per result an object of short keys
  (:meth:`Records.record`).

Every string goes through :func:`~conformance.reports.templating.visible` first (as the
page's text does), and the JSON text escapes ``<``, ``>`` and ``&``, so no value can end the
script element; the page's script puts every value into the page with ``textContent``, and
links only the ``href`` values prepared here (relative paths, never a scheme).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from conformance.reports.matrix_links import is_trace, source_href, trace_command
from conformance.reports.outcome import (
    LABEL,
    Outcome,
    classify,
    limitation_id,
    limitation_note,
    unexpected_pass_message,
)
from conformance.reports.templating import cut, relative_href, visible
from conformance.results import LOG_ENTRY_LIMIT, ScenarioResult, StepRecord

__all__ = [
    "DATA_ID",
    "DETAILS_ID",
    "LOG_ENTRY_LIMIT",
    "LOG_TEXT_LIMIT",
    "Records",
    "message_of",
    "repeat_counts",
    "script_json",
    "shown_limitation",
]

#: The ids of the page's two data elements.
DATA_ID = "mmr-data"
DETAILS_ID = "mmr-details"
#: Longest text shown for one log entry or message, in characters.
LOG_TEXT_LIMIT = 20_000


def script_json(value: Any) -> str:
    """``value`` as JSON that can sit inside a ``<script>`` element: ``<``, ``>`` and ``&``
    are written as ``\\u`` escapes (only ever inside strings), so ``</script>`` or ``<!--``
    from the data cannot end or change the element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _v(value: object) -> str:
    text = str(value)
    # Most text is printable ASCII, which needs no change (both checks run in C).
    return text if text.isascii() and text.isprintable() else visible(text)


def repeat_counts(result: ScenarioResult) -> str:
    """How often each status came up in the item's repeated runs, e.g. ``1\u00d7 FAIL, 2\u00d7 PASS``."""
    return ", ".join(f"{n}\u00d7 {s}" for s, n in sorted(result.outcomes.items()))


def message_of(result: ScenarioResult) -> str:
    """The message a result shows (an unexpected pass says what was expected instead)."""
    if classify(result) is Outcome.UNEXPECTED_PASS:
        return unexpected_pass_message(result)
    return result.message


def shown_limitation(result: ScenarioResult) -> tuple[str, str] | None:
    """The limitation id and note an entry names: for results it explains or contradicts."""
    ident = limitation_id(result)
    if ident and classify(result) in (Outcome.KNOWN_LIMITATION, Outcome.UNEXPECTED_PASS):
        return ident, limitation_note(result)
    return None


def _log_entries(entries: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """[level, its CSS class suffix, text] of the entries shown, whatever their shape."""
    shown = []
    for entry in entries[:LOG_ENTRY_LIMIT]:
        level = str(entry.get("type") or entry.get("level") or "")
        text = entry.get("text", entry.get("message", entry.get("msg")))
        if text is None:
            text = json.dumps(dict(entry), ensure_ascii=False, sort_keys=True, default=str)
        shown.append([_v(level), re.sub(r"[^a-z]", "", level.lower()),
                      _v(cut(str(text), LOG_TEXT_LIMIT))])
    return shown


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


def _facts(result: ScenarioResult, column_label: str) -> list[list[str]]:
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
        facts.append(("repeats", ("flaky: " if result.flaky else "") + repeat_counts(result)))
    return [[key, _v(value)] for key, value in facts]


def _step(step: StepRecord) -> list[Any]:
    return [step.index + 1, _v(step.kind), step.line, f"{step.duration:.3f}s", _v(step.outcome),
            _v(cut(step.message, LOG_TEXT_LIMIT))]


class Records:
    """Each result's full record for the page written into ``run_dir`` (see the module
    docstring); ``is_reference`` says whether a limitation id is a reference deviation."""

    def __init__(self, run_dir: Path | None, is_reference: Callable[[str], bool]) -> None:
        self.run_dir = run_dir
        self.is_reference = is_reference
        # Many results share a scenario file; resolving its path costs file system calls.
        self._source: dict[str, str | None] = {}

    def record(self, result: ScenarioResult, column_label: str) -> dict[str, Any]:
        """One result's record, keys left out when empty: ``f`` facts (``[key, value]``),
        ``h`` the scenario file's ``href``, ``m`` the message, ``l`` the limitation shown
        (``[label, id, note]``), ``s`` the step log (``[number, kind, line, time, outcome,
        message]``), ``c``/``x`` the console and ``mmrExtensionLog`` entries shown
        (``[level, level class, text]``) with ``cn``/``xn`` their full counts, ``a`` the
        artifacts (``[name, path, href or null, trace command or null]``)."""
        record: dict[str, Any] = {"f": _facts(result, column_label)}
        if result.file not in self._source:
            self._source[result.file] = source_href(result.file, self.run_dir)
        href = self._source[result.file]
        if href:
            record["h"] = href
        message = message_of(result)
        if message:
            record["m"] = _v(cut(message, LOG_TEXT_LIMIT))
        limitation = shown_limitation(result)
        if limitation:
            label = ("reference implementation deviation" if self.is_reference(limitation[0])
                     else "limitation")
            record["l"] = [label, _v(limitation[0]), _v(limitation[1])]
        if result.steps:
            record["s"] = [_step(step) for step in result.steps]
        for key, entries in (("c", result.console), ("x", result.mmr_log)):
            if entries:
                record[key] = _log_entries(entries)
                record[key + "n"] = len(entries)
        if result.artifacts:
            record["a"] = [
                [_v(name), _v(path), relative_href(path),
                 _v(trace_command(path, self.run_dir)) if is_trace(name, path) else None]
                for name, path in sorted(result.artifacts.items(),
                                         key=lambda item: (item[0].lower(), item[0]))
            ]
        return record

    def chunks(self, results: Sequence[ScenarioResult],
               column_label: Callable[[ScenarioResult], str]) -> Iterator[str]:
        """The ``mmr-details`` array, a chunk per result (a page is written as it is made)."""
        yield "["
        for number, result in enumerate(results):
            yield ("," if number else "") + script_json(self.record(result, column_label(result)))
        yield "]"
