"""Checks of a profile's values that need more than its schema: a ``goto`` step's URL and
the app's ``storage_state`` file. Each records located errors with hints on the loader's
checker (:class:`~conformance.yamlcore.DocumentChecker`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance.yamlcore import DocumentChecker
from conformance.yamlmarks import Path as KeyPath

__all__ = ["check_goto", "check_storage_state", "read_storage_state"]

_SAVE_HINT = ("save a login with `playwright codegen --save-storage=login.json <the app's URL>` "
              "(paths are relative to the profile file)")


def check_goto(c: DocumentChecker, value: Any, path: KeyPath) -> None:
    """A ``goto`` is an http(s) URL or a path relative to the app's URL: never another
    scheme (``javascript:`` belongs in an ``evaluate`` step)."""
    if not isinstance(value, str):
        return
    scheme = urlsplit(value.replace("{", "").replace("}", "")).scheme
    if scheme and scheme not in ("http", "https"):
        c.error(c.doc.mark(path),
                f"goto takes an http(s) URL or a path relative to the app's URL, not {scheme!r}",
                "e.g. `goto: settings.html` or `goto: https://app.example/login`; run JavaScript "
                "with an `evaluate` step")


def read_storage_state(file: Path) -> dict[str, Any]:
    """The storage state in ``file`` (``cookies`` and ``origins`` lists); ``ValueError``
    saying what is wrong otherwise (never quoting the file: it holds a login)."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {file}: {type(exc).__name__}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{file} is not JSON (line {exc.lineno})") from None
    lists = ("cookies", "origins")
    if not isinstance(data, dict) or not all(isinstance(data.get(k, []), list) for k in lists):
        raise ValueError(f"{file} is not a Playwright storage state (`cookies` and `origins` lists)")
    return data


def check_storage_state(c: DocumentChecker, value: Any, base: Path) -> Path | None:
    """The storage-state file named at ``app.storage_state`` (relative to ``base``, the
    profile's folder); ``None`` (with an error when it is named) when there is none."""
    if not isinstance(value, str):
        return None
    path = ("app", "storage_state")
    file = Path(value) if Path(value).is_absolute() else base / value
    if not file.is_file():
        c.error(c.doc.mark(path), f"no storage-state file {value!r} (from {file})", _SAVE_HINT)
        return None
    try:
        read_storage_state(file)
    except ValueError as exc:
        c.error(c.doc.mark(path), str(exc), _SAVE_HINT)
        return None
    return file
