"""Scenario folders for the tests that run pytest on them through ``pytester`` (the plugin's
tests, the report tests of a real run): the files, the run, its results."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

__all__ = ["LIMITATIONS", "results", "run", "scenario", "write"]

LIMITATIONS = """\
limitations:
  - id: demo-limit
    kind: product
    title: A demo limitation
    behaviour: fails with NotSupportedError
"""


def write(pytester: pytest.Pytester, files: dict[str, str]) -> Path:
    """``files`` (name -> text) in ``scenarios/`` beside a registry with ``demo-limit``."""
    folder = pytester.path / "scenarios"
    folder.mkdir(exist_ok=True)
    (folder / "limitations.yaml").write_text(LIMITATIONS)
    for name, body in files.items():
        (folder / name).write_text(textwrap.dedent(body))
    return folder


def scenario(ident: str, steps: str, redirected: str = "pass", native: str = "pass",
             covers: str = "MediaStream") -> str:
    """A scenario file's text: ``steps`` (YAML, dedented) and the two expectations."""
    return (
        f"id: {ident}\ntitle: {ident} title\ncovers: [{covers}]\nsteps:\n"
        + textwrap.indent(textwrap.dedent(steps), "  ")
        + f"expect:\n  native: {native}\n  redirected: {redirected}\n"
    )


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """pytest on the folder in a subprocess, as a user runs it, reports in ``out/``."""
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--report-dir",
                                         str(pytester.path / "out"), *args, timeout=240)


def results(pytester: pytest.Pytester) -> dict[str, dict[str, object]]:
    """The latest run's results by item name."""
    document = json.loads((pytester.path / "out" / "latest" / "results.json").read_text())
    return {r["test"]: r for r in document["results"]}
