"""Property-based fuzzing of every YAML input: mutated scenarios, profiles and registries.

Whatever the mutation (lines dropped, duplicated or re-indented, characters flipped,
control characters, anchors and aliases, deep nesting, huge scalars, wrong types at every
key), loading ends in a value or in a located :class:`ScenarioFileError` (``file:line:col``),
within a time bound, never in another exception.

CI runs a bounded number of examples; ``CONFORMANCE_FUZZ_EXAMPLES=10000 python -m pytest
tests/test_fuzz_inputs.py -p no:xdist`` runs the long campaign (see docs/reliability.md).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.certify.profile.loader import load_profile
from conformance.errors import ScenarioFileError
from conformance.limitations import load_limitations
from conformance.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").rglob("*.yaml"))
SCENARIO_FILES = [p for p in SCENARIOS if p.name != "limitations.yaml"]
PROFILES = [*sorted((ROOT / "profiles").glob("*.yaml")), ROOT / "conformance/apps/sample/profile.yaml"]
REGISTRY = ROOT / "scenarios" / "limitations.yaml"
EXAMPLES = int(os.environ.get("CONFORMANCE_FUZZ_EXAMPLES", "60"))
#: Per example: parsing and checking one mutated file must stay well under this much CPU
#: time (this process's, so a loaded machine does not make it flaky; a hang or an
#: exponential expansion burns CPU).
BOUND_S = 2.0
LOCATED = re.compile(r"^\S.*:\d+:\d+: error: ", re.MULTILINE)

_WRONG_VALUES = ["true", "12", "null", "[]", "{}", "[1, 2]", "{a: 1}", '"x"', "-1", "1e999", "~"]


_KEY_LINE = re.compile(r"^(\s*(?:- )?)([A-Za-z_]+):")


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _retype(line: str, value: str) -> str:
    """``key: <anything>`` as ``key: <value>`` (a block scalar's body stays, now stray)."""
    match = _KEY_LINE.match(line)
    assert match is not None
    return f"{match[1]}{match[2]}: {value}"


@st.composite
def mutated(draw: st.DrawFn, sources: list[Path]) -> tuple[Path, str]:
    """A bundled file with one to three mutations."""
    path = draw(st.sampled_from(sources))
    text = path.read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 3))):
        lines = _lines(text)
        at = draw(st.integers(0, max(0, len(lines) - 1)))
        kind = draw(st.sampled_from([
            "drop", "duplicate", "indent", "dedent", "flip", "control", "anchor", "deep",
            "huge", "wrong-type", "tab", "truncate",
        ]))
        if kind == "drop" and lines:
            del lines[at]
        elif kind == "duplicate" and lines:
            lines.insert(at, lines[at])
        elif kind == "indent":
            lines[at] = " " * draw(st.integers(1, 6)) + lines[at]
        elif kind == "dedent":
            lines[at] = lines[at].lstrip()
        elif kind == "flip" and lines[at]:
            col = draw(st.integers(0, len(lines[at]) - 1))
            char = draw(st.characters(codec="utf-8"))
            lines[at] = lines[at][:col] + char + lines[at][col + 1:]
        elif kind == "control":
            col = draw(st.integers(0, len(lines[at])))
            char = chr(draw(st.sampled_from([0, 1, 7, 8, 11, 12, 27, 127, 0xFFFE])))
            lines[at] = lines[at][:col] + char + lines[at][col:]
        elif kind == "anchor":
            depth = draw(st.integers(2, 12))
            laughs = ['x0: &x0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
            laughs += [f"x{i}: &x{i} [" + ",".join([f"*x{i - 1}"] * 9) + "]" for i in range(1, depth)]
            lines[at:at] = laughs
        elif kind == "deep":
            depth = draw(st.sampled_from([50, 200, 5000]))
            lines.insert(at, "deep: " + "[" * depth + "]" * depth)
        elif kind == "huge":
            size = draw(st.sampled_from([10_000, 200_000, 2_000_000]))
            lines.insert(at, "huge: " + "x" * size)
        elif kind == "wrong-type":
            keyed = [i for i, line in enumerate(lines) if _KEY_LINE.match(line)]
            if keyed:
                at = draw(st.sampled_from(keyed))
                lines[at] = _retype(lines[at], draw(st.sampled_from(_WRONG_VALUES)))
        elif kind == "tab":
            lines[at] = "\t" + lines[at]
        elif kind == "truncate":
            lines = lines[:at]
        text = "\n".join(lines)
    return path, text


def _assert_clean(load: Callable[[Path], Any], path: Path, text: str, tmp: Path) -> None:
    target = tmp / path.name
    target.write_text(text, encoding="utf-8", errors="surrogatepass")
    started = time.process_time()
    try:
        load(target)
    except ScenarioFileError as exc:
        rendered = exc.render()
        assert LOCATED.search(rendered), rendered[:2000]
    elapsed = time.process_time() - started
    assert elapsed < BOUND_S, f"{elapsed:.2f} s of CPU on a mutation of {path.name}"


_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 200,
                     suppress_health_check=[HealthCheck.function_scoped_fixture,
                                            HealthCheck.too_slow, HealthCheck.data_too_large])


@_SETTINGS
@given(case=mutated(SCENARIO_FILES))
def test_mutated_scenarios_load_or_fail_located(case: tuple[Path, str], tmp_path: Path) -> None:
    registry = load_limitations(REGISTRY)
    path, text = case
    _assert_clean(lambda p: load_scenario(p, registry), path, text, tmp_path)


@_SETTINGS
@given(case=mutated(PROFILES))
def test_mutated_profiles_load_or_fail_located(case: tuple[Path, str], tmp_path: Path) -> None:
    path, text = case
    _assert_clean(load_profile, path, text, tmp_path)


@_SETTINGS
@given(case=mutated([REGISTRY]))
def test_mutated_registries_load_or_fail_located(case: tuple[Path, str], tmp_path: Path) -> None:
    path, text = case
    _assert_clean(load_limitations, path, text, tmp_path)


@pytest.mark.parametrize("path", [
    ROOT / "scenarios/media-devices/enumerate-kinds.yaml",
    ROOT / "scenarios/rtc-data-channel/negotiated-pair.yaml",
    ROOT / "scenarios/integration/reconnect-recreates-call.yaml",
    ROOT / "profiles/sample.yaml",
    REGISTRY,
], ids=lambda p: p.name)
def test_wrong_types_at_every_key(path: Path, tmp_path: Path) -> None:
    """Every key of a file, given every wrong value in turn: a value or a located error."""
    registry = load_limitations(REGISTRY)
    loaders: dict[str, Callable[[Path], Any]] = {
        "profiles": load_profile, "scenarios": lambda p: load_scenario(p, registry)}
    load = load_limitations if path == REGISTRY else loaders[path.parent.parent.name if
                                                             path.parent.name != "profiles" else "profiles"]
    lines = _lines(path.read_text(encoding="utf-8"))
    for at, line in enumerate(lines):
        if not _KEY_LINE.match(line):
            continue
        for value in _WRONG_VALUES:
            text = "\n".join([*lines[:at], _retype(line, value), *lines[at + 1:]])
            _assert_clean(load, path, text, tmp_path)


@pytest.mark.parametrize("depth", [9])
def test_billion_laughs_is_refused_fast_and_small(tmp_path: Path, depth: int) -> None:
    """Nine nested anchors (10^9 values expanded) are refused with a location in under a
    second, without building them."""
    import resource

    laughs = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    laughs += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, depth)]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(laughs) + "\n")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.process_time()
    with pytest.raises(ScenarioFileError) as caught:
        load_scenario(path, {})
    assert time.process_time() - started < 1.0  # CPU seconds
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KiB
    rendered = caught.value.render()
    # Located at the anchor whose expansion passes the bound, not at the top of the file.
    assert re.search(r"laughs\.yaml:5:\d+: error: the document expands to more than", rendered), rendered


def test_yaml_bounds_are_what_the_docs_say() -> None:
    """docs/reliability.md quotes the bounds; keep them in step."""
    from conformance import yamlmarks

    docs = (ROOT / "docs" / "reliability.md").read_text()
    for name in ("MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "MAX_ALIASES"):
        assert f"{getattr(yamlmarks, name):,}".replace(",", " ") in docs.replace(",", " "), name
