"""Finding and reading a run: a run folder, its results.json, or a reports root.

``compare``, ``merge`` and ``report`` all take "a run" on the command line, and users point
at whatever they have at hand: ``reports/latest``, ``reports/<run-id>``,
``reports/<run-id>/results.json``, or just ``reports`` (meaning its newest run). This module
turns any of those into the run's :class:`RunInfo` and results.

A run folder whose run was killed before the end holds only ``results.jsonl``; it is read
as an interrupted run whose metadata is unknown (see :func:`load_run`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from conformance.reports.json_report import load_results_json
from conformance.reports.jsonio import read_json
from conformance.reports.jsonl import read_results_log
from conformance.reports.outcome import ordered_targets
from conformance.results import RunInfo, ScenarioResult
from conformance.runinfo import (
    LATEST_FILE,
    LATEST_LINK,
    RESULTS_JSON,
    RESULTS_JSONL,
    RUN_INFO_JSON,
)

__all__ = [
    "UNKNOWN_VERSION",
    "LoadedRun",
    "RunNotFoundError",
    "Source",
    "load_run",
    "resolve_run_dir",
]

#: Which file a run's results were read from (:data:`~conformance.runinfo.RESULTS_JSON`
#: or :data:`~conformance.runinfo.RESULTS_JSONL`).
Source = Literal["results.json", "results.jsonl"]

#: ``suite_version`` of a run rebuilt from results.jsonl alone: its metadata was never
#: written, and guessing the installed version could hide a real version mismatch.
UNKNOWN_VERSION = "unknown"


class RunNotFoundError(ValueError):
    """A path that holds no run; the message says what was looked for."""


@dataclass
class LoadedRun:
    """A run read from disk."""

    #: The run folder (artifact paths are relative to it).
    folder: Path
    run_info: RunInfo
    results: list[ScenarioResult]
    #: Which file the results came from.
    source: Source

    @property
    def label(self) -> str:
        """A short name for messages: the run id."""
        return self.run_info.run_id


def _latest_of(root: Path) -> Path | None:
    """The run a reports root's ``latest`` symlink or ``LATEST`` file points at."""
    link = root / LATEST_LINK
    if link.is_dir():
        return link
    pointer = root / LATEST_FILE
    if pointer.is_file():
        name = pointer.read_text(encoding="utf-8").strip()
        if name:
            return root / name
    return None


def resolve_run_dir(path: Path | str) -> Path:
    """The run folder ``path`` designates.

    ``path`` may be a run folder, a ``results.json``/``results.jsonl`` inside one, or a
    reports root (a folder with a ``latest`` pointer), which means its newest run. Raises
    :class:`RunNotFoundError` otherwise.
    """
    path = Path(path)
    if path.is_file():
        return path.parent
    if not path.exists():
        raise RunNotFoundError(f"{path}: no such file or folder")
    if (path / RESULTS_JSON).is_file() or (path / RESULTS_JSONL).is_file():
        return path
    latest = _latest_of(path)
    if latest is not None and ((latest / RESULTS_JSON).is_file() or (latest / RESULTS_JSONL).is_file()):
        return latest
    raise RunNotFoundError(
        f"{path}: not a run folder (no {RESULTS_JSON} or {RESULTS_JSONL}) nor a reports folder "
        f"with a '{LATEST_LINK}' run"
    )


def _from_jsonl(folder: Path, log: Path) -> LoadedRun:
    results = read_results_log(log)
    header = folder / RUN_INFO_JSON
    run_info: RunInfo | None = None
    if header.is_file():
        try:
            run_info = RunInfo.from_json(read_json(header))
        except (ValueError, TypeError):
            run_info = None  # a damaged header is no worse than a missing one
    if run_info is None:
        run_info = RunInfo(run_id=folder.resolve().name, suite_version=UNKNOWN_VERSION, targets=[])
    run_info.targets = ordered_targets(run_info.targets, results)
    # Only a run that never reached its end leaves a log without results.json.
    run_info.interrupted = True
    return LoadedRun(folder, run_info, results, RESULTS_JSONL)


def load_run(path: Path | str) -> LoadedRun:
    """Read the run at ``path`` (anything :func:`resolve_run_dir` accepts).

    results.json is preferred; a folder with only results.jsonl (a killed run) gives the
    finished results with ``interrupted`` set, ``run_id`` the folder's name and
    ``suite_version`` :data:`UNKNOWN_VERSION`. A file path names the file to read. Raises
    ``ValueError`` (or its subclass :class:`RunNotFoundError`) when nothing readable is
    there.
    """
    given = Path(path)
    folder = resolve_run_dir(given)
    if given.is_file():
        if given.suffix == ".jsonl":
            return _from_jsonl(folder, given)
        run_info, results = load_results_json(given)
        return LoadedRun(folder, run_info, results, RESULTS_JSON)
    if (folder / RESULTS_JSON).is_file():
        run_info, results = load_results_json(folder / RESULTS_JSON)
        return LoadedRun(folder, run_info, results, RESULTS_JSON)
    return _from_jsonl(folder, folder / RESULTS_JSONL)
