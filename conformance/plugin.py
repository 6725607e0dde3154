"""The pytest plugin: scenario files become items named ``<scenario-id>[<target>]``.

Collection validates every file (a broken file is a collection error with ``file:line:col``)
and yields one item per target in a fixed order, so pytest-xdist workers collect the same
list. Each worker runs items on its own :class:`~conformance.harness.Harness` (one browser
per worker). Results travel to the controller in ``report.user_properties``; the
controller appends each to ``results.jsonl`` as it arrives and writes the reports at the end
(also after Ctrl-C, marked as interrupted).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import pytest

from conformance.artifacts import ArtifactPolicy
from conformance.errors import ScenarioFileError
from conformance.harness import Harness
from conformance.limitations import Limitation, find_registry, load_limitations
from conformance.loader import duplicate_id_error, is_scenario_file, load_scenario
from conformance.model import Scenario
from conformance.recorder import (
    RESULT_PROPERTY,
    TARGET_PROPERTY,
    RunRecorder,
    new_run_id,
    reports_root,
)
from conformance.results import ScenarioResult
from conformance.targets import TARGET_OPTIONS, TARGETS, options_from, parse_targets, target_choices

__all__ = ["ScenarioFile", "ScenarioItem", "combine_repeats"]

_harness_key = pytest.StashKey[Harness]()
_registries_key = pytest.StashKey[dict[Path, dict[str, Limitation]]]()
_ids_key = pytest.StashKey[dict[str, Scenario]]()
_described_key = pytest.StashKey[set[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "call-redirection conformance scenarios")
    group.addoption("--target", default="all", type=_targets, metavar="|".join(target_choices()),
                    help="targets to run on, comma-separated ('redirected' is the old name of "
                         "'reference'; default: all = native,reference)")
    group.addoption("--report-dir", default=None,
                    help="where runs write their reports (default: <rootdir>/reports)")
    group.addoption("--no-reports", action="store_true", help="do not write report files")
    for flags, kwargs in TARGET_OPTIONS:
        group.addoption(*flags, **kwargs)
    group.addoption("--run-id", default=None, help="name of the run's report folder")
    group.addoption("--shard", default=None, metavar="K/N", type=_shard,
                    help="run the K-th of N deterministic slices of the scenarios (1-based)")
    group.addoption("--repeat", default=1, type=int, metavar="N",
                    help="run each item N times and report items with differing outcomes as flaky")
    group.addoption("--update-baseline", default=None, metavar="PATH",
                    help="also write this run's outcomes as a baseline file for `conformance compare`")
    group.addoption("--trace-mode", choices=("off", "on", "retain-on-failure"),
                    default="retain-on-failure",
                    help="record Playwright traces: keep them for failing items (default), "
                         "for all, or not at all (fastest)")
    group.addoption("--trace-snapshots", action="store_true", default=False,
                    help="also record DOM snapshots in traces (slower; useful for pages with UI)")


def _targets(text: str) -> tuple[str, ...]:
    """Parse ``--target`` (``all``, a name or alias, or a comma-separated list)."""
    try:
        chosen = parse_targets(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not chosen:
        raise argparse.ArgumentTypeError(f"--target {text!r} names no target")
    return chosen


def pytest_configure(config: pytest.Config) -> None:
    for target in TARGETS:
        config.addinivalue_line("markers", f"{target}: a scenario item on the {target} target")
    config.stash[_registries_key] = {}
    config.stash[_ids_key] = {}
    is_worker = hasattr(config, "workerinput")
    if not is_worker and reports_enabled(config):
        # Fix the run id before xdist starts workers: they receive the options and write
        # failure artifacts into the same run folder.
        config.option.run_id = config.option.run_id or new_run_id()
        config.pluginmanager.register(RunRecorder(config), "conformance-recorder")


def _shard(text: str) -> tuple[int, int]:
    """Parse ``K/N`` (1 <= K <= N)."""
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard wants K/N such as 1/2, not {text!r}") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"--shard {text}: K must be between 1 and N")
    return k, n


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep only this shard's scenarios (both targets of a scenario stay together)."""
    shard = config.getoption("shard")
    if shard is None:
        return
    k, n = shard
    # Slices are dealt round-robin over the sorted scenario ids, so they stay balanced and
    # identical on every machine that has the same scenarios.
    ids = sorted({item.scenario.id for item in items if isinstance(item, ScenarioItem)})
    mine = {ident for index, ident in enumerate(ids) if index % n == k - 1}
    kept = [i for i in items if not isinstance(i, ScenarioItem) or i.scenario.id in mine]
    deselected = [i for i in items if isinstance(i, ScenarioItem) and i.scenario.id not in mine]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    items[:] = kept


def reports_enabled(config: pytest.Config) -> bool:
    """Whether this session writes reports (and artifacts)."""
    return not config.getoption("no_reports") and not config.getoption("collectonly")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if is_scenario_file(file_path):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


def selected_targets(config: pytest.Config) -> tuple[str, ...]:
    """The targets ``--target`` selects, in report order."""
    choice = config.getoption("target")
    return choice if isinstance(choice, tuple) else _targets(str(choice))


def _collects(scenario: Scenario, target: str) -> bool:
    """Whether ``scenario`` has an item on ``target``: an expectation for the target's kind
    (any expectation where the kind is only known from a page)."""
    kind = TARGETS[target].fixed_kind
    return bool(scenario.expect) if kind is None else kind in scenario.expect


class ScenarioFile(pytest.File):
    """A scenario YAML file."""

    def collect(self) -> list[ScenarioItem]:
        config = self.config
        display = os.path.relpath(self.path, config.rootpath)
        registry_path = find_registry(self.path)
        registries = config.stash[_registries_key]
        try:
            if registry_path is not None and registry_path not in registries:
                registries[registry_path] = load_limitations(registry_path)
            limitations = registries.get(registry_path) if registry_path else {}
            scenario = load_scenario(self.path, limitations, display_path=display)
        except ScenarioFileError as exc:
            raise self.CollectError(exc.render()) from None
        seen = config.stash[_ids_key]
        first = seen.setdefault(scenario.id, scenario)
        if first.path != scenario.path:
            raise self.CollectError(duplicate_id_error(scenario, first, self.path).render())
        return [
            ScenarioItem.from_parent(self, name=f"{scenario.id}[{target}]",
                                     scenario=scenario, target=target)
            for target in selected_targets(config)
            if _collects(scenario, target)
        ]


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
        result = harness.run_item(self.scenario, self.target)
        repeat = max(1, int(self.config.getoption("repeat")))
        if repeat > 1:
            again = [harness.run_item(self.scenario, self.target) for _ in range(repeat - 1)]
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
        return self.path, self.scenario.mark.line - 1, f"{self.scenario.id}[{self.target}]"


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


def pytest_unconfigure(config: pytest.Config) -> None:
    harness = config.stash.get(_harness_key, None)
    if harness is not None:
        harness.close()
        del config.stash[_harness_key]
