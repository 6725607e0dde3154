"""The loader and the schema: golden error messages for broken files, and the rules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conformance.errors import ScenarioFileError
from conformance.interfaces import SUPPORTED_INTERFACES, is_known_member
from conformance.loader import (
    MAX_TIMEOUT,
    load_scenario,
    load_scenarios,
    parse_duration,
)
from conformance.yamlcore import DEFAULT_STEP_TIMEOUT, WAIT_HEADROOM

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
BROKEN = DATA / "broken" / "scenarios"
GOLDEN = DATA / "golden"
BROKEN_FILES = sorted(p.name for p in BROKEN.glob("*.yaml") if p.name != "limitations.yaml")


def _render(name: str) -> str:
    with pytest.raises(ScenarioFileError) as caught:
        load_scenario(BROKEN / name, display_path=f"scenarios/{name}")
    return caught.value.render() + "\n"


@pytest.mark.parametrize("name", BROKEN_FILES)
def test_broken_file_error_matches_golden(name: str) -> None:
    """Each broken file's rendered errors are exactly the reviewed golden text.

    Set UPDATE_GOLDEN=1 to rewrite the golden files after an intended change, then review
    the diff.
    """
    rendered = _render(name)
    golden = GOLDEN / (Path(name).stem + ".txt")
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(rendered)
    assert rendered == golden.read_text()


@pytest.mark.parametrize("name", BROKEN_FILES)
def test_every_error_names_file_line_and_column(name: str) -> None:
    with pytest.raises(ScenarioFileError) as caught:
        load_scenario(BROKEN / name, display_path=f"scenarios/{name}")
    for error in caught.value.errors:
        assert str(error.mark).startswith(f"scenarios/{name}:")
        assert error.mark.line >= 1 and error.mark.column >= 1


def test_typo_in_step_kind_suggests_the_kind() -> None:
    text = _render("typo-step-kind.yaml")
    assert "scenarios/typo-step-kind.yaml:5:5: error: unknown step kind 'rnu'" in text
    assert "did you mean 'run'?" in text


def test_unknown_limitation_suggests_nearest_id() -> None:
    text = _render("unknown-limitation.yaml")
    assert ":8:28: error: unknown limitation id 'webaudio-nodes-limit'" in text
    assert "did you mean 'webaudio-node-limit'?" in text


def test_duplicate_ids_across_files_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "limitations.yaml").write_text("limitations: []\n")
    body = ("id: same.id\ntitle: twice the same id\ncovers: [MediaStream]\nsteps:\n"
            "  - run: x = 1\nexpect:\n  native: pass\n  redirected: pass\n")
    (folder / "a.yaml").write_text(body)
    (folder / "b.yaml").write_text(body)
    scenarios, failures = load_scenarios([folder], root=tmp_path)
    assert [s.path for s in scenarios] == ["scenarios/a.yaml"]
    assert len(failures) == 1
    rendered = failures[0].render()
    assert rendered.startswith("scenarios/b.yaml:1:5: error: duplicate scenario id 'same.id'")
    assert "also in scenarios/a.yaml" in rendered


def test_valid_scenario_loads_with_defaults(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "limitations.yaml").write_text(
        "limitations:\n  - id: some-limit\n    kind: product\n    title: t\n    behaviour: b\n"
    )
    (folder / "ok.yaml").write_text(
        "id: ok.scenario\ntitle: fine\ncovers: [MediaStream.getTracks]\ntimeout: 3s\n"
        "steps:\n  - run: |\n      x = 1\n  - expect: x\n    equals: 1\n    eventually: 5s\n"
        "  - fault: disconnect\nexpect:\n  native: pass\n"
        "  redirected: {limitation: some-limit, fails_with: InvalidStateError}\n"
    )
    scenario = load_scenario(folder / "ok.yaml")
    run, expect, fault = scenario.steps
    assert run.timeout == 3.0 and run.source_line == 7
    # A wait longer than the default timeout stretches its step's timeout to fit.
    assert expect.options["eventually"] == 5.0 and expect.timeout == 10.0
    assert fault.targets == ("redirected",)
    assert scenario.expect["redirected"].limitation == "some-limit"
    assert scenario.expect["native"].outcome == "pass"


def test_wait_for_is_an_expect_rechecked_until_its_timeout(tmp_path: Path) -> None:
    """The waiting construct shared with profiles: `wait_for`, bounded by the step's timeout."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "ok.yaml").write_text(
        "scenario: 1\nid: ok.wait\ntitle: fine\ncovers: [MediaStream]\nsteps:\n"
        "  - wait_for: x\n    equals: 1\n    timeout: 3s\n  - wait_for: y\n"
        "expect:\n  native: pass\n  redirected: pass\n"
    )
    bounded, default = load_scenario(folder / "ok.yaml").steps
    assert (bounded.kind, bounded.source) == ("wait_for", "x")
    assert bounded.options == {"equals": 1, "eventually": 3.0}
    assert bounded.timeout == 3.0 + WAIT_HEADROOM  # the wait's own message wins the race
    assert default.options == {"eventually": DEFAULT_STEP_TIMEOUT}


TWO_SYNTAX_ERRORS = """\
id: demo.two-syntax-errors
title: two syntax errors
covers: [MediaStream]
steps:
  - run: |
      x = 1
      if (x {
        y = 2
      }
  - expect: "x === = 1"
  - wait_event: ping
    on: document
    until: event.type ==
expect:
  native: pass
  redirected: pass
"""


def test_every_javascript_syntax_error_is_located_in_the_yaml(tmp_path: Path) -> None:
    """`validate` (strict) reports each syntax error at the YAML line and column of the
    JavaScript, whatever the scalar's style (block, quoted, plain)."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "two.yaml").write_text(TWO_SYNTAX_ERRORS)
    with pytest.raises(ScenarioFileError) as caught:
        load_scenario(folder / "two.yaml", display_path="two.yaml", strict_javascript=True)
    rendered = caught.value.render()
    assert "two.yaml:7:12: error: JavaScript syntax error: missing `)` (in `run`)" in rendered
    assert "two.yaml:10:20: error: JavaScript syntax error: unexpected `=` (in `expect`)" in rendered
    assert "two.yaml:13:25: error: JavaScript syntax error: missing identifier (in `until`)" in rendered
    assert "hint: `run` is compiled as the body of an async function" in rendered
    # A run loads the file and keeps the errors on the steps, for the page's compile error.
    run, expect, wait = load_scenario(folder / "two.yaml", display_path="two.yaml").steps
    assert [str(mark) for mark, _ in run.javascript_errors] == ["two.yaml:7:12"]
    assert len(expect.javascript_errors) == 1 and len(wait.javascript_errors) == 1


def test_bundled_scenarios_have_no_javascript_syntax_errors() -> None:
    """No false positive of the parser on the 165 bundled files' JavaScript."""
    scenarios, failures = load_scenarios([ROOT / "scenarios"], strict_javascript=True)
    assert failures == [] and len(scenarios) > 100


@pytest.mark.parametrize(("text", "where", "hint"), [
    ("steps:\n  - run: x = 1\n   - run: y\n", "x.yaml:3:4",
     "check the indentation: line 3 starts at column 4, the lines above at column 3"),
    ("steps:\n  - run: x = 1\n    note: a\n     b: c\n", "x.yaml:4:7",
     "check the indentation: line 4 starts at column 6, the lines above at column 5"),
    ("steps:\n  - run: f({audio: true})\n", "x.yaml:2:18",
     "JavaScript containing `: ` must be quoted"),
])
def test_malformed_yaml_gets_a_hint(tmp_path: Path, text: str, where: str, hint: str) -> None:
    """PyYAML's messages are located and explained: a misaligned line, JavaScript with `: `."""
    (tmp_path / "x.yaml").write_text(text)
    with pytest.raises(ScenarioFileError) as caught:
        load_scenario(tmp_path / "x.yaml", display_path="x.yaml")
    rendered = caught.value.render()
    assert f"{where}: error: malformed YAML" in rendered and f"hint: {hint}" in rendered, rendered


def test_unsupported_scenario_format_is_located(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "v2.yaml").write_text(
        "scenario: 2\nid: ok.v2\ntitle: fine\ncovers: [MediaStream]\nsteps:\n  - run: x = 1\n"
        "expect:\n  native: pass\n  redirected: pass\n"
    )
    with pytest.raises(ScenarioFileError) as caught:
        load_scenario(folder / "v2.yaml")
    assert "v2.yaml:1:11: error: unsupported scenario format 2" in caught.value.render()
    assert "hint: this suite reads `scenario: 1`" in caught.value.render()


@pytest.mark.parametrize(("text", "seconds"), [("500ms", 0.5), ("2s", 2.0), ("1.5s", 1.5), (3, 3.0)])
def test_parse_duration_accepts(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["0s", "-1s", "5 seconds", True, f"{MAX_TIMEOUT + 1:g}s", "2m"])
def test_parse_duration_rejects(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_registry_has_the_thirteen_supported_interfaces() -> None:
    assert len(SUPPORTED_INTERFACES) == 13
    assert is_known_member("RTCPeerConnection.createOffer")
    assert is_known_member("MediaDevices.isCallRedirectionEnabled")
    assert not is_known_member("RTCPeerConnection.createOfer")
    assert not is_known_member("GainNode")


def test_bundled_scenarios_are_valid() -> None:
    root = Path(__file__).parent.parent
    scenarios, failures = load_scenarios([root / "scenarios"], root=root)
    assert not failures, "\n\n".join(f.render() for f in failures)
    assert len(scenarios) >= 1
