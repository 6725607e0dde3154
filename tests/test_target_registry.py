"""The target registry: each target module declares itself, and everything reads the registry.

A target defined in this test (as a new module of ``conformance/targets/`` would be) and
registered is offered by the command line, ordered in reports, made by the harness and runs
a scenario, with no other file touched; :class:`OpenTargets` closes what it opened, also when
the work inside failed.
"""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

import conformance.targets
from conformance.cli import build_parser
from conformance.harness import Harness
from conformance.loader import load_scenario
from conformance.reports.outcome import target_sort_key
from conformance.targets import (
    ALIASES,
    TARGETS,
    OpenTargets,
    Target,
    TargetOptions,
    default_targets,
    parse_targets,
    register,
    target_choices,
    unalias,
    unregister,
)


class DemoTarget(Target):
    """A throwaway target: the browser's own stack, with a mark in every page."""

    name = "demo"
    description = "a target defined by a test"
    aliases = ("demo-former",)
    report_order = 50

    async def init_scripts(self) -> tuple[str, ...]:
        """A mark the scenario below looks for: the page ran on this target."""
        return ("window.onDemoTarget = true;",)


@pytest.fixture
def demo() -> Iterator[type[Target]]:
    register(DemoTarget)
    try:
        yield DemoTarget
    finally:
        unregister(DemoTarget.name)


def test_every_target_module_is_found_without_a_list() -> None:
    declared = []
    for info in pkgutil.iter_modules(conformance.targets.__path__):
        module = importlib.import_module(f"conformance.targets.{info.name}")
        if hasattr(module, "TARGET"):
            declared.append(module.TARGET.name)
    assert sorted(declared) == sorted(TARGETS) == ["attach", "native", "reference"]
    assert list(TARGETS) == ["native", "reference", "attach"]  # their report_order
    assert default_targets() == ("native", "reference")
    assert ALIASES == {"redirected": "reference"}


def test_a_registered_target_is_offered_and_ordered_everywhere(
        demo: type[Target], capsys: pytest.CaptureFixture[str]) -> None:
    assert target_choices() == ["native", "reference", "attach", "demo", "redirected",
                                "demo-former", "all"]
    args = build_parser().parse_args(["run", "--target", "demo-former,native"])
    assert parse_targets(args.target) == ("native", "demo")
    assert build_parser().parse_args(["open", "http://127.0.0.1/", "--target", "demo"]).target == "demo"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--help"])
    assert "native|reference|attach|demo|redirected|demo-former|all" in capsys.readouterr().out
    assert parse_targets("all") == ("native", "reference")  # not runs_by_default
    assert unalias("demo-former") == "demo"
    assert sorted(["zzz", "demo", "attach", "native"], key=target_sort_key) == [
        "native", "attach", "demo", "zzz"]


def test_a_target_once_removed_is_refused(demo: type[Target]) -> None:
    unregister(demo.name)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--target", "demo"])
    register(demo)  # the fixture removes it again


def test_a_taken_name_or_alias_is_refused() -> None:
    class Clash(Target):
        name = "clash"
        aliases = ("redirected",)

    with pytest.raises(ValueError, match="'redirected' is taken by ReferenceTarget"):
        register(Clash)
    assert "clash" not in TARGETS


def test_the_harness_runs_a_scenario_on_a_registered_target(demo: type[Target],
                                                             tmp_path: Path) -> None:
    path = tmp_path / "demo.on-target.yaml"
    path.write_text("id: demo.on-target\ntitle: the page is on the demo target\n"
                    "covers: [MediaStream]\nsteps:\n  - expect: window.onDemoTarget\n"
                    "    equals: true\nexpect:\n  native: pass\n  redirected: pass\n")
    scenario = load_scenario(path, limitations={})
    harness = Harness()
    try:
        result = harness.run_item(scenario, "demo-former")
    finally:
        harness.close()
    assert (result.target, result.status) == ("demo", "PASS"), result.message


class _Closes(Target):
    """A target that remembers being closed, and fails to close when asked to."""

    name = "closes"
    closed: ClassVar[list[str]] = []
    fail = False

    async def close(self) -> None:
        """Record the close; raise if this one should fail."""
        _Closes.closed.append(self.name)
        if self.fail:
            raise RuntimeError("cannot close")


def test_open_targets_closes_everything_also_after_a_failure() -> None:
    register(_Closes)
    _Closes.closed.clear()

    async def work() -> Target:
        async with OpenTargets(TargetOptions()) as opened:
            target = opened.get("closes")
            assert opened.get("closes") is target  # made once
            await opened.browsers.launched()
            raise LookupError("the work failed")

    async def failing_close() -> bool:
        opened = OpenTargets()
        target = opened.get("closes")
        assert isinstance(target, _Closes)
        target.fail = True
        browser = await opened.browsers.launched()
        await opened.close()  # the target's failure does not keep the browser open
        return browser.is_connected()

    try:
        with pytest.raises(LookupError):
            asyncio.run(work())
        assert _Closes.closed == ["closes"]
        assert asyncio.run(failing_close()) is False
        assert _Closes.closed == ["closes", "closes"]
    finally:
        unregister("closes")


def test_the_targets_doc_describes_the_registry() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "targets.md").read_text(encoding="utf-8")
    table = []
    for line in text.split("| target |", 1)[1].splitlines()[2:]:
        if not line.startswith("|"):
            break  # the end of the table
        table.append(line)
    rows = {}
    for line in table:
        first = line.split("|")[1]
        names = re.findall(r"`([^`]+)`", first)
        rows[names[0]] = names[1:]
    assert list(rows) == list(TARGETS), "docs/targets.md's table lists the registry's targets"
    for name, cls in TARGETS.items():
        assert rows[name] == list(cls.aliases), f"docs/targets.md: {name}'s former names"
    assert f"`--target all` means `{','.join(default_targets())}`" in text
