"""The pytest side of recording a run: results arrive from workers, reports are written.

Registered only in the controlling process (not in xdist workers). Each result is appended
to ``results.jsonl`` the moment its item finishes, so a killed run keeps what it finished;
the final files (run_info.json rewritten among them) are written atomically at session end,
also after an interruption (``run_info.interrupted`` says so). What a run is (its id,
versions, file names) lives in :mod:`conformance.runinfo`; how reports look, in
:mod:`conformance.reports`.
"""

from __future__ import annotations

import json
import platform
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.browser import BrowserNotFoundError, chromium_version, find_chromium
from conformance.reports.atomic import update_latest_pointer
from conformance.reports.baseline import write_baseline
from conformance.reports.jsonl import ResultsLog
from conformance.reports.writer import write_reports, write_run_info
from conformance.results import RunInfo, ScenarioResult
from conformance.runinfo import (
    RESULT_PROPERTY,
    RESULTS_JSONL,
    TARGET_PROPERTY,
    git_revision,
    new_run_id,
    now_utc,
    suite_version,
)
from conformance.targets import target_order

__all__ = ["RunRecorder", "reports_root"]


def reports_root(config: pytest.Config) -> Path:
    """Where run folders go: ``--report-dir``, or ``reports`` in the working directory."""
    option = config.getoption("report_dir")
    return Path(option).resolve() if option else config.invocation_params.dir / "reports"


class RunRecorder:
    """Collects results as items finish and writes the run's reports."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.results: list[ScenarioResult] = []
        self.run_dir: Path | None = None
        self._log: ResultsLog | None = None
        self.written: dict[str, Path] = {}
        self.run_info = RunInfo(
            run_id=config.getoption("run_id") or new_run_id(),
            suite_version=suite_version(),
            targets=[],
            platform=platform.platform(),
            python=sys.version.split()[0],
            start_time=now_utc(),
            command=shlex.join(["pytest", *config.invocation_params.args]),
        )

    @property
    def reports_root(self) -> Path:
        """Where run folders go (``--report-dir`` or ``./reports``)."""
        return reports_root(self.config)

    def _start(self) -> None:
        """Create the run folder on the first result (runs without scenarios write nothing)."""
        self.run_dir = self.reports_root / self.run_info.run_id
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._log = ResultsLog(self.run_dir / RESULTS_JSONL)
        self._describe_environment()
        # A run killed before its end keeps its metadata beside results.jsonl (the final
        # one, with the targets that ran and the end time, is written with the reports).
        write_run_info(self.run_dir, self.run_info)

    def _describe_environment(self) -> None:
        info = self.run_info
        info.git_revision = git_revision(self.config.rootpath)
        workers = getattr(self.config.option, "numprocesses", None)
        info.workers = int(workers) if isinstance(workers, int) else 1
        try:
            chromium = find_chromium(self.config.getoption("browser_path"))
            # `chromium --version` prints e.g. "Chromium 156.0.8078.73 built on Debian ...".
            words = chromium_version(chromium.path).split()
            info.browser = words[0] if words else Path(chromium.path).name
            info.browser_version = next((w for w in words if w[:1].isdigit()), "")
        except BrowserNotFoundError as exc:
            info.browser = f"not found: {exc}"
        try:
            from reference_impl import VERSION
        except ImportError:
            info.reference_impl_version = None
        else:
            info.reference_impl_version = VERSION
        shard = self.config.getoption("shard")
        info.shard = f"{shard[0]}/{shard[1]}" if shard else ""

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return  # teardown reports carry the same user_properties again
        for name, value in report.user_properties:
            if name == TARGET_PROPERTY:
                identity = json.loads(str(value))
                known = self.run_info.target_details.get(identity.get("name", ""))
                if known is None or "error" in known:
                    self.run_info.target_details[identity.get("name", "")] = identity
                continue
            if name != RESULT_PROPERTY:
                continue
            result = ScenarioResult.from_json(json.loads(str(value)))
            if self.run_dir is None:
                self._start()
            assert self._log is not None
            # In memory first: a Ctrl-C that lands while the log line is being synced (a
            # reader already sees the line) must still find the result for the final files.
            self.results.append(result)
            if result.target not in self.run_info.targets:
                self.run_info.targets.append(result.target)
            self._log.append(result)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.run_dir is None:
            return
        if self._log is not None:
            self._log.close()  # every result is in it; the final files come next
            self._log = None
        self.run_info.end_time = now_utc()
        self.run_info.interrupted = exitstatus == pytest.ExitCode.INTERRUPTED or bool(
            session.shouldstop and exitstatus != pytest.ExitCode.OK
        )
        self.run_info.targets.sort(key=target_order)
        extra = self.config.getoption("limitations", None)
        self.written = write_reports(self.run_dir, self.run_info, self.results,
                                     Path(extra) if extra else None)
        update_latest_pointer(self.reports_root, self.run_dir)
        baseline = self.config.getoption("update_baseline")
        if baseline:
            self.written["baseline"] = write_baseline(self.results, Path(baseline),
                                                      run_info=self.run_info)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.written:
            return
        expected = sum(r.expected for r in self.results)
        terminalreporter.write_sep("-", "conformance reports")
        terminalreporter.write_line(
            f"{len(self.results)} results, {expected} as expected, "
            f"{len(self.results) - expected} not as expected (SKIP counts as not run)"
        )
        for name, path in self.written.items():
            terminalreporter.write_line(f"{name}: {path}")
