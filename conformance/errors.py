"""Errors found in the suite's input files, rendered as ``file:line:col`` with the offending lines.

One error class serves every format (scenarios, profiles, the limitation registry):
:class:`SpecError` is one problem at one place, :class:`SpecFileError` all the problems of one
file. ``ScenarioError`` and ``ScenarioFileError`` are their older names, kept as aliases.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from conformance.model import Mark

__all__ = ["ScenarioError", "ScenarioFileError", "SpecError", "SpecFileError", "did_you_mean"]


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ``word``, or ``None`` when nothing is close."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


#: Characters of a long line shown around an error's column.
_WINDOW = 120


def _excerpt(mark: Mark, text: str | None, context: int = 1) -> str:
    """The lines around ``mark`` with a line-number gutter and a caret under the column."""
    if text is None:
        try:
            text = Path(mark.file).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
    lines = text.splitlines()
    if not 1 <= mark.line <= len(lines):
        return ""
    first = max(1, mark.line - context)
    last = min(len(lines), mark.line + context)
    width = len(str(last))
    # A very long line (a huge scalar, 5000 brackets) is shown as a window around the column.
    start = max(0, mark.column - 1 - _WINDOW // 2) if len(lines[mark.line - 1]) > _WINDOW else 0
    out = []
    for number in range(first, last + 1):
        pointer = ">" if number == mark.line else " "
        line = lines[number - 1]
        offset = start if number == mark.line else 0
        shown = line[offset:offset + _WINDOW]
        if offset:
            shown = "..." + shown
        if len(line) > offset + _WINDOW:
            shown += "..."
        out.append(f" {pointer} {number:>{width}} | {shown}")
        if number == mark.line:
            caret = mark.column - 1 - start + (3 if start else 0)
            out.append(f"   {' ' * width} | {' ' * caret}^")
    return "\n".join(out)


class SpecError(Exception):
    """One problem in an input file (scenario, profile, registry), at a precise place."""

    def __init__(self, mark: Mark, message: str, hint: str | None = None) -> None:
        super().__init__(f"{mark}: {message}")
        self.mark = mark
        self.message = message
        self.hint = hint

    def render(self, text: str | None = None) -> str:
        """The error with its location, the offending lines and the suggestion."""
        parts = [f"{self.mark}: error: {self.message}"]
        excerpt = _excerpt(self.mark, text)
        if excerpt:
            parts.append(excerpt)
        if self.hint:
            parts.append(f"   hint: {self.hint}")
        return "\n".join(parts)


class SpecFileError(Exception):
    """All the problems found in one file (the loaders report them together)."""

    def __init__(self, path: str, errors: list[SpecError], text: str | None = None) -> None:
        self.path = path
        self.errors = sorted(errors, key=lambda e: (e.mark.line, e.mark.column))
        self.text = text
        super().__init__(self.render())

    def render(self) -> str:
        """Every error of the file, rendered, separated by blank lines."""
        return "\n\n".join(error.render(self.text) for error in self.errors)


#: The older names of :class:`SpecError` and :class:`SpecFileError` (same classes).
ScenarioError = SpecError
ScenarioFileError = SpecFileError
