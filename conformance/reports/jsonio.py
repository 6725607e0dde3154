"""Reading the JSON files that report commands take as input, boundedly.

``compare``, ``merge``, ``report`` and ``baseline`` read files that may come from anywhere
(another machine's run, a hand-edited baseline). Every way such a file can be unreadable
(not UTF-8, not JSON, too large, nested deeper than any report is) is an
:class:`InputError` naming the file, never a traceback; the commands exit 2 on it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_INPUT_BYTES", "MAX_JSON_DEPTH", "InputError", "parse_json", "read_json",
]

#: Largest JSON input read (a results.json of 10,000 items with logs is about 50 MiB).
MAX_INPUT_BYTES = 512 * 1024 * 1024
#: Deepest nesting accepted; the suite's own files nest about 6 levels.
MAX_JSON_DEPTH = 64


class InputError(ValueError):
    """An input file cannot be read; the message names it and says why."""


def read_json(path: Path | str) -> Any:
    """The JSON document in ``path``, or :class:`InputError`."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise InputError(f"{path}: {size} bytes is larger than the {MAX_INPUT_BYTES >> 20} MiB "
                             "a report input may be")
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text: {exc}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_json(text, str(path))


def parse_json(text: str, where: str) -> Any:
    """``text`` parsed as JSON, or :class:`InputError` naming ``where``."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON: {exc}") from None
    except RecursionError:
        raise InputError(f"{where}: JSON nested too deeply to be a report") from None
    _check_depth(document, where)
    return document


def _check_depth(document: Any, where: str) -> None:
    """Refuse documents nested deeper than :data:`MAX_JSON_DEPTH` (iteratively: the schema
    validators that come next recurse once per level)."""
    # Only containers are visited (a large report is mostly strings and numbers).
    todo: list[tuple[Any, int]] = [(document, 1)]
    while todo:
        value, depth = todo.pop()
        if depth > MAX_JSON_DEPTH:
            raise InputError(f"{where}: JSON nested deeper than {MAX_JSON_DEPTH} levels")
        items = value.values() if isinstance(value, dict) else value
        todo.extend((item, depth + 1) for item in items if isinstance(item, (dict, list)))
