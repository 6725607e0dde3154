"""JavaScript syntax checking of the sources written in YAML files, located in the YAML.

A step's JavaScript is parsed with tree-sitter's JavaScript grammar (a maintained,
error-recovering parser: it reports every syntax error of a source, not only the first) in
the form the page runtime compiles it (``conformance/page/runtime.js``): an async function
body (``run``, ``trigger``), an expression (``expect``, ``wait_for``, ``on``, ``until``) or
either (``expect_error``). Each error is mapped back from the source's line and column to
the YAML file's, through the scalar's style (plain, quoted or block).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Literal

import tree_sitter
import tree_sitter_javascript

from conformance.model import Mark

__all__ = ["JsForm", "SourceError", "javascript_errors", "yaml_position"]

#: How the runtime compiles a source: a function body, an expression, or either.
JsForm = Literal["body", "expression", "action"]
#: One syntax error: its line and column in the source (0-based) and what is wrong.
SourceError = tuple[int, int, str]

# The runtime's own wrappers (one line before the source), so positions match its compile.
_WRAPPERS: dict[str, tuple[str, str]] = {
    "body": ("async function __step() {\n", "\n}"),
    "expression": ("async function __step() { return (\n", "\n); }"),
}
_MAX_REPORTED = 10


@functools.cache
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_javascript.language()))


def _errors_as(source: str, form: Literal["body", "expression"]) -> list[SourceError]:
    before, after = _WRAPPERS[form]
    wrapped = (before + source + after).encode("utf-8")
    tree = _parser().parse(wrapped)
    if not tree.root_node.has_error:
        return []
    found: list[SourceError] = []
    source_lines = source.split("\n")
    for node in _error_nodes(tree.root_node):
        row, byte_column = node.start_point
        line = wrapped.split(b"\n")[row]
        column = len(line[:byte_column].decode("utf-8", errors="replace"))
        if node.is_missing:
            message = f"missing {node.type.replace('_', ' ')}" if node.is_named else f"missing `{node.type}`"
        else:
            text = wrapped[node.start_byte:node.end_byte].decode("utf-8", errors="replace")
            shown = text.strip().splitlines()[0][:30] if text.strip() else text
            message = f"unexpected `{shown}`" if shown else "unexpected end of the source"
        # Row 0 is the wrapper's first line (an error there is at the source's start); the
        # last is its closing line (an error there is at the source's end).
        if row == 0:
            found.append((0, 0, message))
        elif row > len(source_lines):
            found.append((len(source_lines) - 1, len(source_lines[-1]), message))
        else:
            found.append((row - 1, column, message))
    return found[:_MAX_REPORTED]


def _error_nodes(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """The outermost ERROR nodes and every MISSING node, in source order."""
    if node.is_missing or node.is_error:
        yield node
        if node.is_error:
            yield from (inner for child in node.children for inner in _error_nodes(child)
                        if inner.is_missing)
        return
    if node.has_error:
        for child in node.children:
            yield from _error_nodes(child)


def javascript_errors(source: str, form: JsForm) -> list[SourceError]:
    """The syntax errors of ``source`` compiled as ``form``; empty when it parses."""
    if form != "action":
        return _errors_as(source, form)
    as_expression = _errors_as(source, "expression")
    return as_expression and _errors_as(source, "body")


def yaml_position(text: str, mark: Mark, row: int, column: int) -> Mark:
    """The YAML position of ``(row, column)`` of the scalar whose value starts at ``mark``.

    A block scalar (``|``/``>``) starts on the next line at its indentation; a quoted one one
    column after its quote; a plain one at its mark. Escapes and folding can shift a column;
    the line is exact for literal blocks, plain and single-line scalars.
    """
    lines = text.splitlines()
    if not 1 <= mark.line <= len(lines):
        return mark
    head = lines[mark.line - 1][mark.column - 1:][:1]
    if head in ("|", ">"):
        first = mark.line + 1 + row
        content = lines[first - 1] if first <= len(lines) else ""
        indent = _block_indent(lines, mark.line)
        return Mark(mark.file, first, min(indent, len(content)) + column + 1)
    start = mark.column + (1 if head in ("'", '"') else 0)
    if row == 0:
        return Mark(mark.file, mark.line, start + column)
    following = lines[mark.line - 1 + row] if mark.line - 1 + row < len(lines) else ""
    return Mark(mark.file, mark.line + row, len(following) - len(following.lstrip()) + column + 1)


def _block_indent(lines: list[str], indicator_line: int) -> int:
    """The indentation of a block scalar's content: that of its first non-blank line."""
    for line in lines[indicator_line:]:
        if line.strip():
            return len(line) - len(line.lstrip(" "))
    return 0
