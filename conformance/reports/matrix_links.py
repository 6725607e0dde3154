"""What matrix.html links to and compares: scenario files, traces, the previous run's cells.

Kept apart from :mod:`~conformance.reports.matrix_html` (which prepares the page) because
each answers one question about a result or a cell:

- :func:`source_href`: a link from the run folder to the scenario's YAML file;
- :func:`trace_command`: the exact ``playwright show-trace`` command for a trace artifact;
- :class:`RunChanges`: in a side-by-side view of several runs, the cells whose state
  differs from the same target's cell in the run shown before.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from conformance.reports.matrix import Cell, Column, Row

__all__ = ["RunChanges", "is_trace", "source_href", "trace_command"]


def source_href(file: str, run_dir: Path | None) -> str | None:
    """An ``href`` for a scenario file, as the page in ``run_dir`` should reach it.

    A relative path from the run folder when the file and the folder are known (it keeps
    working when the checkout and its ``reports/`` move together), else a ``file://`` URL
    of an absolute path; ``None`` when the file is not known.
    """
    if not file:
        return None
    path = Path(file)
    if run_dir is not None:
        target = path if path.is_absolute() else Path.cwd() / path
        try:
            relative = os.path.relpath(target.resolve(), run_dir.resolve())
        except ValueError:  # another drive on Windows
            return target.resolve().as_uri()
        return quote(PurePosixPath(Path(relative).as_posix()).as_posix(), safe="/-_.~")
    return path.resolve().as_uri() if path.is_absolute() else None


def is_trace(name: str, path: str) -> bool:
    """Whether an artifact is a Playwright trace (a ``.zip`` whose name says trace)."""
    return path.endswith(".zip") and "trace" in name.lower()


def trace_command(path: str, run_dir: Path | None) -> str:
    """The exact command opening the trace at ``path`` (relative to the run folder).

    With the run folder known the path is absolute, so the command works from anywhere;
    otherwise it is the path as recorded, to run from the run folder.
    """
    given = Path(path)
    if run_dir is not None and not given.is_absolute():
        given = (run_dir / given).resolve()
    return "playwright show-trace " + shlex.quote(str(given))


class RunChanges:
    """Cells of a multi-run matrix whose state differs from the run shown before it.

    Each run's column of a target is compared with the same target's column of the
    previous column group (the left-hand run for two runs side by side); the first run's
    columns, and columns whose target the previous run did not have, never count as changed.
    """

    def __init__(self, columns: Sequence[Column]) -> None:
        self.previous: dict[str, str] = {}
        runs: list[str] = []
        for column in columns:
            if column.run is not None and column.run not in runs:
                runs.append(column.run)
        by_run_target = {(c.run, c.target): c.key for c in columns}
        for column in columns:
            if column.run is None or runs.index(column.run) == 0:
                continue
            before = runs[runs.index(column.run) - 1]
            key = by_run_target.get((before, column.target))
            if key is not None:
                self.previous[column.key] = key

    def before(self, row: Row, column: Column) -> Cell | None:
        """The previous run's cell of ``row`` on the same target, if the cell changed."""
        key = self.previous.get(column.key)
        if key is None:
            return None
        earlier = row.cells[key]
        return earlier if earlier.state is not row.cells[column.key].state else None

    def row_changed(self, row: Row, columns: Sequence[Column]) -> bool:
        """Whether any cell of ``row`` changed."""
        return any(self.before(row, column) is not None for column in columns)

    def count(self, rows: Sequence[Row], columns: Sequence[Column]) -> int:
        """How many cells of ``rows`` changed."""
        return sum(self.before(row, c) is not None for row in rows for c in columns)
