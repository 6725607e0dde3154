"""Recording a run's results on the pytest controller and writing its reports.

Registered only in the controlling process (not in xdist workers). Each result is appended
to ``results.jsonl`` the moment its item finishes, so a killed run keeps what it finished;
the final files are written atomically at session end, also after an interruption
(``run_info.interrupted`` says so).
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import platform
import secrets
import shlex
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conformance.browser import BrowserNotFoundError, chromium_version, find_chromium
from conformance.results import RunInfo, ScenarioResult
from conformance.targets import TARGETS

if TYPE_CHECKING:
    from conformance.reports import ResultsLog

__all__ = ["RESULT_PROPERTY", "TARGET_PROPERTY", "RunRecorder", "new_run_id", "reports_root",
           "suite_version"]

#: The user property that carries an item's result from a worker to the controller.
RESULT_PROPERTY = "conformance_result"
#: A worker's description of a target (browser, redirection, versions) for run_info.
TARGET_PROPERTY = "conformance_target"


def new_run_id() -> str:
    """A sortable, unique run id: ``20261123-184500-3fa9``."""
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def suite_version() -> str:
    """The installed suite's version."""
    try:
        return importlib.metadata.version("mmr-conformance")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


def git_revision(cwd: Path) -> str | None:
    """The checkout's commit, when this is a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def reports_root(config: pytest.Config) -> Path:
    """Where run folders go: ``--report-dir``, or ``reports`` in the working directory."""
    option = config.getoption("report_dir")
    return Path(option).resolve() if option else config.invocation_params.dir / "reports"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


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
            start_time=_now(),
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
        from conformance.reports import ResultsLog

        self._log = ResultsLog(self.run_dir / "results.jsonl")
        self._describe_environment()
        from conformance.reports.atomic import atomic_write_text
        from conformance.reports.rundir import RUN_INFO_FILE

        # A run killed before its end keeps its metadata beside results.jsonl.
        atomic_write_text(self.run_dir / RUN_INFO_FILE, json.dumps(self.run_info.to_json(), indent=2))

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
            self._log.append(result)
            self.results.append(result)
            if result.target not in self.run_info.targets:
                self.run_info.targets.append(result.target)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.run_dir is None:
            return
        if self._log is not None:
            self._log.close()  # every result is in it; the final files come next
            self._log = None
        self.run_info.end_time = _now()
        self.run_info.interrupted = exitstatus == pytest.ExitCode.INTERRUPTED or bool(
            session.shouldstop and exitstatus != pytest.ExitCode.OK
        )
        order = {name: index for index, name in enumerate(TARGETS)}
        self.run_info.targets.sort(key=lambda t: order.get(t, 9))
        from conformance.reports import update_latest_pointer, write_reports

        self.written = write_reports(self.run_dir, self.run_info, self.results)
        update_latest_pointer(self.reports_root, self.run_dir)
        baseline = self.config.getoption("update_baseline")
        if baseline:
            from conformance.reports.baseline import write_baseline

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
