"""A run's identity: its id, the suite's version and revision, and its folder's file names.

One place for what every writer of a run folder (the pytest recorder, ``conformance
merge``, ``conformance report``, certification, WPT runs, benchmarks) must agree on, so the
report writers under :mod:`conformance.reports` need nothing from the pytest side.

A run folder ``reports/<run-id>/`` holds :data:`RESULTS_JSONL` (appended to as items
finish), :data:`RUN_INFO_JSON` (written when the run starts, so a killed run still says
what ran, and rewritten final at its end), and at the end :data:`RESULTS_JSON`,
:data:`JUNIT_XML`, :data:`MATRIX_MD`, :data:`MATRIX_HTML`, :data:`COMPAT_MD`,
:data:`COMPAT_HTML` and :data:`WPTREPORT_JSON`, plus :data:`ARTIFACTS_DIR` for failing
items. ``docs/reports.md`` describes each file. The reports root holds
:data:`LATEST_LINK` (or :data:`LATEST_FILE` where symlinks fail) naming the newest run.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import secrets
import subprocess
from pathlib import Path
from typing import Final

__all__ = [
    "ARTIFACTS_DIR",
    "COMPAT_HTML",
    "COMPAT_MD",
    "JUNIT_XML",
    "LATEST_FILE",
    "LATEST_LINK",
    "MATRIX_HTML",
    "MATRIX_MD",
    "RESULTS_JSON",
    "RESULTS_JSONL",
    "RESULT_PROPERTY",
    "RUN_INFO_JSON",
    "TARGET_PROPERTY",
    "UNKNOWN_SUITE_VERSION",
    "WPTREPORT_JSON",
    "git_revision",
    "new_run_id",
    "now_utc",
    "suite_version",
]

#: The user property that carries an item's result from a worker to the controller.
RESULT_PROPERTY: Final = "conformance_result"
#: A worker's description of a target (browser, redirection, versions) for run_info.
TARGET_PROPERTY: Final = "conformance_target"

#: The run's results and metadata, written at its end (shaped like WPT's wptreport).
RESULTS_JSON: Final = "results.json"
#: One result per line, appended the moment each item finishes.
RESULTS_JSONL: Final = "results.jsonl"
#: The run's metadata, written when it starts and rewritten final at its end.
RUN_INFO_JSON: Final = "run_info.json"
JUNIT_XML: Final = "junit.xml"
#: The engineer's matrix: every target, every result, drill-down.
MATRIX_MD: Final = "matrix.md"
MATRIX_HTML: Final = "matrix.html"
#: The customer's compatibility table: redirection targets, product limitations only.
COMPAT_MD: Final = "compat.md"
COMPAT_HTML: Final = "compat.html"
#: The run in wptrunner's ``--log-wptreport`` format.
WPTREPORT_JSON: Final = "wptreport.json"
#: Failure artifacts go to ``<run dir>/artifacts/<scenario-id>/<target>/``.
ARTIFACTS_DIR: Final = "artifacts"
#: Name of the symlink to the newest run under the reports root.
LATEST_LINK: Final = "latest"
#: Name of the text file holding the newest run's directory name, where symlinks fail.
LATEST_FILE: Final = "LATEST"

#: What :func:`suite_version` says when the suite is not installed (a bare checkout).
UNKNOWN_SUITE_VERSION: Final = "0+unknown"


def new_run_id() -> str:
    """A sortable, unique run id: ``20261123-184500-3fa9``."""
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def now_utc() -> str:
    """The current time as a run's ``start_time``/``end_time``: ISO 8601, UTC, seconds."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def suite_version() -> str:
    """The installed suite's version."""
    try:
        return importlib.metadata.version("mmr-conformance")
    except importlib.metadata.PackageNotFoundError:
        return UNKNOWN_SUITE_VERSION


def git_revision(cwd: Path) -> str | None:
    """The checkout's commit, when this is a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None
