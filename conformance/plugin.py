"""The pytest plugin: scenario files become items named ``<scenario-id>[<target>]``.

Collection validates every file (a broken file is a collection error with ``file:line:col``)
and yields one item per target in a fixed order, so pytest-xdist workers collect the same
list. Each worker runs items on its own :class:`~conformance.harness.Harness` (one browser
per worker). Results travel to the controller in ``report.user_properties``; the
controller appends each to ``results.jsonl`` as it arrives and writes the reports at the end
(also after Ctrl-C, marked as interrupted).
"""

from __future__ import annotations

import json
import os
import signal
import threading
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from conformance.artifacts import ArtifactPolicy
from conformance.errors import ScenarioFileError
from conformance.harness import Harness
from conformance.limitations import Limitation, load_limitations, registries_for
from conformance.loader import (
    discover_scenario_files,
    duplicate_id_error,
    is_scenario_file,
    load_scenario,
)
from conformance.model import Scenario, shard_of
from conformance.network.netns import NamespaceError
from conformance.network.topology import DEFAULT_TOPOLOGY, home_network
from conformance.options import RUN_OPTIONS, add_options
from conformance.recorder import RunRecorder, reports_root
from conformance.results import ScenarioResult
from conformance.runinfo import RESULT_PROPERTY, TARGET_PROPERTY, new_run_id
from conformance.targets import TARGETS, options_from, parse_targets

__all__ = ["INVALID_TARGET", "InvalidScenarioItem", "ScenarioFile", "ScenarioItem", "combine_repeats"]

_harness_key = pytest.StashKey[Harness]()
_network_key = pytest.StashKey[AbstractContextManager[Any]]()
_registries_key = pytest.StashKey[dict[Path, dict[str, Limitation]]]()
_ids_key = pytest.StashKey[dict[str, Scenario]]()
_described_key = pytest.StashKey[set[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "call-redirection conformance scenarios")
    add_options(group.addoption, RUN_OPTIONS)


#: ``-n auto``: scenario items per worker (measured on 2 cores, see docs/performance.md:
#: below about this many items a second worker's browser and host start-up cost more than
#: it saves).
ITEMS_PER_WORKER = 25


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto`` for scenario runs: a worker per :data:`ITEMS_PER_WORKER` items, at most
    one per core, and no worker process at all for one (``0``: the items run in this
    process); ``None`` (xdist's own choice) when no scenario is named: a test suite."""
    paths = [(config.invocation_params.dir / str(arg).split("::")[0]).resolve()
             for arg in config.args]
    files = [path for path in discover_scenario_files(paths) if is_scenario_file(path, paths)]
    if not files:
        return None
    items = len(files) * len(selected_targets(config))
    workers = min(os.cpu_count() or 1, items // ITEMS_PER_WORKER)
    return workers if workers > 1 else 0


def _interrupt(signum: int, frame: Any) -> None:
    """SIGTERM and SIGHUP (CI time-outs, `docker stop`, a closed terminal) end a run as Ctrl-C
    does: the finished results are kept, the reports written and marked interrupted, and
    every process the run started is stopped."""
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


def pytest_configure(config: pytest.Config) -> None:
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, _interrupt)
    for target in TARGETS:
        config.addinivalue_line("markers", f"{target}: a scenario item on the {target} target")
    config.stash[_registries_key] = {}
    config.stash[_ids_key] = {}
    is_worker = hasattr(config, "workerinput")
    network, impair = config.getoption("network", None), config.getoption("impair", None)
    if not is_worker and (network or impair):
        # The home network before any browser starts (workers inherit it: NETWORK_ENV).
        run_network = home_network(network or DEFAULT_TOPOLOGY, impair)
        config.stash[_network_key] = run_network
        run_network.__enter__()
    if not is_worker and reports_enabled(config):
        # Fix the run id before xdist starts workers: they receive the options and write
        # failure artifacts into the same run folder.
        config.option.run_id = config.option.run_id or new_run_id()
        config.pluginmanager.register(RunRecorder(config), "conformance-recorder")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep only this shard's scenarios (both targets of a scenario stay together)."""
    shard = config.getoption("shard")
    if shard is None:
        return
    k, n = shard
    mine = shard_of({item.scenario.id for item in items if isinstance(item, ScenarioItem)}, k, n)
    kept = [i for i in items if not isinstance(i, ScenarioItem) or i.scenario.id in mine]
    deselected = [i for i in items if isinstance(i, ScenarioItem) and i.scenario.id not in mine]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    items[:] = kept


def reports_enabled(config: pytest.Config) -> bool:
    """Whether this session writes reports (and artifacts)."""
    return not config.getoption("no_reports") and not config.getoption("collectonly")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if is_scenario_file(file_path, _named_roots(parent.config)):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


def _named_roots(config: pytest.Config) -> tuple[Path, ...]:
    """The files and folders named on the command line: scenarios there are collected
    whatever their folders are called (not only under ``scenarios/``)."""
    roots = []
    for arg in config.args:
        path = Path(str(arg).split("::")[0])
        if not path.is_absolute():
            path = config.invocation_params.dir / path
        if path.exists() and path.resolve() != config.rootpath.resolve():
            roots.append(path.resolve())
    return tuple(roots)


def display_path(path: Path) -> str:
    """``path`` as printed and reported: relative to the working directory when inside it
    (clickable in a terminal), absolute otherwise."""
    resolved, here = path.resolve(), Path.cwd().resolve()
    return str(resolved.relative_to(here)) if resolved.is_relative_to(here) else str(resolved)


def selected_targets(config: pytest.Config) -> tuple[str, ...]:
    """The targets ``--target`` selects, in report order."""
    return parse_targets(str(config.getoption("target")))  # checked when parsed


def _collects(scenario: Scenario, target: str) -> bool:
    """Whether ``scenario`` has an item on ``target``: an expectation for the target's kind
    (any expectation where the kind is only known from a page)."""
    kind = TARGETS[target].fixed_kind
    return bool(scenario.expect) if kind is None else kind in scenario.expect


class ScenarioFile(pytest.File):
    """A scenario YAML file."""

    def collect(self) -> list[pytest.Item]:
        config = self.config
        display = display_path(self.path)
        registries = config.stash[_registries_key]
        extra = config.getoption("limitations")
        try:
            limitations: dict[str, Limitation] = {}
            for registry_path in registries_for(self.path, Path(extra) if extra else None):
                if registry_path not in registries:
                    registries[registry_path] = load_limitations(registry_path)
                limitations.update(registries[registry_path])
            scenario = load_scenario(self.path, limitations, display_path=display)
        except ScenarioFileError as exc:
            # One broken file is one failed item, not a dead run: the rest still runs.
            return [InvalidScenarioItem.from_parent(self, **_leaf(self, display, INVALID_TARGET),
                                                    file=display, error=exc.render())]
        seen = config.stash[_ids_key]
        first = seen.setdefault(scenario.id, scenario)
        if first.path != scenario.path:
            return [InvalidScenarioItem.from_parent(
                self, **_leaf(self, display, INVALID_TARGET), file=display,
                error=duplicate_id_error(scenario, first, self.path).render())]
        return [
            ScenarioItem.from_parent(self, **_leaf(self, scenario.id, target),
                                     scenario=scenario, target=target)
            for target in selected_targets(config)
            if _collects(scenario, target)
        ]


def _leaf(parent: pytest.File, name: str, target: str) -> dict[str, str]:
    """The name and node id of the item ``<name>[<target>]``.

    The id is given as text, so pytest parses ``[<target>]`` as the item's parameters, as it
    does for the ids it reads back from its cache: ``--lf``/``--ff`` then recognise the items.
    """
    return {"name": f"{name}[{target}]", "nodeid": f"{parent.nodeid}::{name}[{target}]"}


#: The target name of the one result an invalid scenario file gets.
INVALID_TARGET = "invalid"


class InvalidScenarioItem(pytest.Item):
    """An invalid scenario file: one ERROR result with the ``file:line:col`` error."""

    def __init__(self, *, file: str, error: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.file = file
        self.error = error

    def runtest(self) -> None:
        result = ScenarioResult(scenario=self.file, target=INVALID_TARGET, status="ERROR",
                                expected=False, expectation={}, message=self.error,
                                file=self.file, title="invalid scenario file")
        self.user_properties.append((RESULT_PROPERTY, json.dumps(result.to_json())))
        raise InvalidScenarioFile(self.error)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.file} (invalid)"


class InvalidScenarioFile(Exception):
    """A scenario file that does not load."""


class ScenarioFailed(Exception):
    """The item's outcome differs from its expectation."""

    def __init__(self, result: ScenarioResult) -> None:
        super().__init__(result.message)
        self.result = result


class ScenarioItem(pytest.Item):
    """One scenario on one target."""

    def __init__(self, *, scenario: Scenario, target: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.target = target
        self.result: ScenarioResult | None = None
        # Tags are keywords (selectable with -k) rather than markers, so scenario authors
        # need not register them.
        for tag in scenario.tags:
            self.keywords[tag] = True
        self.add_marker(target)

    def runtest(self) -> None:
        harness = _harness(self.config)
        scenario = self.scenario.scaled(float(self.config.getoption("timeout_multiplier")))
        result = harness.run_item(scenario, self.target)
        repeat = max(1, int(self.config.getoption("repeat")))
        if repeat > 1:
            again = [harness.run_item(scenario, self.target) for _ in range(repeat - 1)]
            result = combine_repeats([result, *again])
        self.result = result
        self.user_properties.append((RESULT_PROPERTY, json.dumps(result.to_json())))
        described = self.config.stash.setdefault(_described_key, set())
        if self.target not in described:
            try:
                identity = harness.identity(self.target)
            except Exception as exc:  # a target that never came up has no identity to give
                identity = {"name": self.target, "error": str(exc).splitlines()[0] if str(exc) else ""}
            else:
                described.add(self.target)
            self.user_properties.append((TARGET_PROPERTY, json.dumps(identity)))
        if result.status == "SKIP":
            pytest.skip(result.message)
        if result.flaky:
            raise ScenarioFailed(result)
        if not result.expected:
            raise ScenarioFailed(result)
        if result.status != "PASS":
            pytest.xfail(result.message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            return format_failure(self.scenario, excinfo.value.result)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        # pytest's verbose line turns the dots of a domain that ends the node id into `::`
        # (Python's `module.Class`): `media-stream.get-tracks` would print as
        # `media-stream::get-tracks`. A domain that is not the node id's suffix (one trailing
        # space, invisible in failure headers) keeps `-v` lines as `<file>::<id>[<target>]`.
        return self.path, self.scenario.mark.line - 1, f"{self.scenario.id}[{self.target}] "


def combine_repeats(runs: list[ScenarioResult]) -> ScenarioResult:
    """Stability mode (like WPT's): the first run's result, with the count of every status
    seen; differing statuses make the item flaky."""
    first = runs[0]
    statuses = [run.status for run in runs]
    first.outcomes = {status: statuses.count(status) for status in dict.fromkeys(statuses)}
    first.flaky = len(first.outcomes) > 1
    return first


def format_failure(scenario: Scenario, result: ScenarioResult) -> str:
    """A failing item's report: what was expected, what happened, and the step log."""
    expectation = result.expectation
    wanted = ("pass" if expectation.get("outcome") == "pass"
              else f"known limitation {expectation.get('limitation')}")
    flaky = f", FLAKY over {sum(result.outcomes.values())} runs: {result.outcomes}" if result.flaky else ""
    lines = [
        f"{scenario.id}[{result.target}]: {result.status} (expected: {wanted}){flaky}",
        f"  {scenario.title}",
        f"  {result.message}",
        "  steps:",
    ]
    for step in result.steps:
        lines.append(f"    {step.index + 1:>2}. {step.kind:<12} line {step.line:<4} "
                     f"{step.outcome:<8} {step.duration * 1000:7.1f} ms")
    errors = [c for c in result.console if c.get("type") in ("error", "pageerror")]
    if errors:
        lines.append("  console errors:")
        lines.extend(f"    {entry['text']}" for entry in errors[:20])
    notes = [c for c in result.console if c.get("type") == "harness"]
    if notes:
        lines.append("  harness notes:")
        lines.extend(f"    {entry['text']}" for entry in notes[:20])
    if result.artifacts:
        lines.append("  artifacts: " + ", ".join(f"{k}={v}" for k, v in result.artifacts.items()))
    return "\n".join(lines)


def _harness(config: pytest.Config) -> Harness:
    if _harness_key not in config.stash:
        run_dir = None
        if reports_enabled(config) and config.getoption("run_id"):
            run_dir = reports_root(config) / config.getoption("run_id")
        config.stash[_harness_key] = Harness(
            options_from(config.option),
            artifacts=ArtifactPolicy(run_dir, config.getoption("trace_mode"),
                                     snapshots=config.getoption("trace_snapshots")),
        )
    return config.stash[_harness_key]


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Remove the run's home network (``--network``); anything left of it fails the run."""
    config = session.config
    run_network = config.stash.get(_network_key, None)
    if run_network is None:
        return
    del config.stash[_network_key]
    harness = config.stash.get(_harness_key, None)
    if harness is not None:  # its hosts run on the home's device: they stop first
        harness.close()
        del config.stash[_harness_key]
    try:
        run_network.__exit__(None, None, None)
    except NamespaceError as exc:
        config.get_terminal_writer().line(str(exc), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    harness = config.stash.get(_harness_key, None)
    if harness is not None:
        harness.close()
        del config.stash[_harness_key]

