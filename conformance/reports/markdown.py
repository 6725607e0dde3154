"""Escaping untrusted text for Markdown (GitHub-flavoured, tables included).

Titles, messages and log text come from scenario files and from the page under test, so
they are data, never markup: a title ``<script>alert(1)</script>`` must show as text and a
``|`` in a message must not split a table cell.
"""

from __future__ import annotations

import re

__all__ = ["md_code", "md_escape", "md_truncate"]

# HTML-significant characters become entities (so no raw HTML ever reaches a renderer);
# Markdown punctuation that could start emphasis, code, links or strike-through gets a
# backslash; ``|`` is escaped as GFM tables require even inside code spans.
_MD_ESCAPES: dict[int, str] = {
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",
    ord("\\"): "\\\\",
    ord("|"): "\\|",
    ord("`"): "\\`",
    ord("*"): "\\*",
    ord("_"): "\\_",
    ord("["): "\\[",
    ord("]"): "\\]",
    ord("~"): "\\~",
}

# Line breaks would end a table row or a list item; other control characters (ANSI colour
# codes in console output) render as garbage.
_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


def md_escape(text: str) -> str:
    """``text`` as inert Markdown: one line, shown exactly as written."""
    return _BREAKS.sub(" ", text).translate(_MD_ESCAPES)


def md_code(text: str) -> str:
    """``text`` as a code span (item names stay copyable: ``demo.x[native]``).

    Falls back to :func:`md_escape` for text a code span cannot hold safely (backticks,
    table pipes, line breaks).
    """
    if any(c in text for c in "`|\r\n") or not text:
        return md_escape(text)
    return f"`{text}`"


def md_truncate(text: str, limit: int = 300) -> str:
    """``text`` on one line, cut to at most ``limit`` characters with a trailing ``…``.

    Truncate before escaping, so the cut never falls inside an entity or an escape.
    """
    flat = " ".join(_BREAKS.sub(" ", text).split())
    if len(flat) <= limit:
        return flat
    return flat[: max(limit - 1, 0)].rstrip() + "…"
