"""Loading and validating scenario files.

Validation is in two layers. The JSON Schema shipped in ``conformance/schema`` checks the
shape (and gives editors completion); the loader then checks what a schema cannot say
well: which step kind a step is (with a "did you mean" for typos), covered members
against the interface registry, limitation ids against the registry, durations and their
bounds, and ids unique across files. Every error carries ``file:line:col``.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from conformance.errors import ScenarioError, ScenarioFileError, did_you_mean
from conformance.limitations import Limitation, load_limitations, registries_for
from conformance.model import TARGETS, Expectation, Mark, Scenario, Step
from conformance.registry import is_known_member, known_names
from conformance.yamlmarks import MarkedDocument, load_marked

__all__ = [
    "DEFAULT_STEP_TIMEOUT",
    "MAX_TIMEOUT",
    "STEP_KINDS",
    "discover_scenario_files",
    "is_scenario_file",
    "load_scenario",
    "load_scenarios",
    "parse_duration",
    "scenario_schema",
]

DEFAULT_STEP_TIMEOUT = 10.0
MAX_TIMEOUT = 600.0
STEP_KINDS: tuple[str, ...] = ("run", "expect", "expect_error", "wait_event", "fault", "speaker",
                               "console")
#: Steps that only make sense under redirection default to the redirected target.
_REDIRECTED_ONLY_KINDS = ("fault", "speaker")
_COMMON_STEP_KEYS = ("timeout", "targets", "note")
_DURATION = re.compile(r"^(?P<value>[0-9]+(?:\.[0-9]+)?)(?P<unit>ms|s)$")


@functools.cache
def scenario_schema() -> dict[str, Any]:
    """The scenario JSON Schema shipped with the package."""
    text = resources.files("conformance").joinpath("schema/scenario.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validators() -> tuple[jsonschema.Draft202012Validator, dict[str, jsonschema.Draft202012Validator]]:
    """One validator for the file without its steps, and one per step kind."""
    schema = scenario_schema()
    # Steps are checked one by one against their kind's definition: a `oneOf` over all
    # kinds would only say "is not valid under any of the given schemas".
    outer = copy.deepcopy(schema)
    outer["properties"]["steps"]["items"] = {"type": "object"}
    per_kind = {
        kind: jsonschema.Draft202012Validator(
            {"$defs": schema["$defs"], "$ref": f"#/$defs/step_{kind}"}
        )
        for kind in STEP_KINDS
    }
    return jsonschema.Draft202012Validator(outer), per_kind


def parse_duration(value: Any) -> float:
    """Seconds from ``"500ms"``, ``"2s"`` or a number of seconds; ``ValueError`` otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value.strip())):
        seconds = float(match["value"]) / (1000.0 if match["unit"] == "ms" else 1.0)
    else:
        raise ValueError(f"invalid duration {value!r} (use `500ms`, `2s` or a number of seconds)")
    if seconds <= 0:
        raise ValueError(f"duration {value!r} must be greater than zero")
    if seconds > MAX_TIMEOUT:
        raise ValueError(f"duration {value!r} exceeds the maximum of {MAX_TIMEOUT:g}s")
    return seconds


def is_scenario_file(path: Path, roots: Iterable[Path] = ()) -> bool:
    """Scenario files are ``*.yaml``/``*.yml`` (not a registry) under a ``scenarios`` folder
    or under one of ``roots`` (the paths a user named, whatever their folders are called)."""
    if path.suffix not in (".yaml", ".yml") or path.name == "limitations.yaml":
        return False
    resolved = path.resolve()
    return "scenarios" in resolved.parts[:-1] or any(
        resolved == root or resolved.is_relative_to(root) for root in roots)


def discover_scenario_files(paths: Iterable[Path]) -> list[Path]:
    """Scenario files under ``paths`` (files or folders), sorted for a deterministic order."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(
                p for p in path.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml")
                and p.name != "limitations.yaml"
            )
        elif path.is_file():
            found.add(path)
    return sorted(found)


class _Checker:
    """Collects the errors of one file while converting it into a :class:`Scenario`."""

    def __init__(self, doc: MarkedDocument, limitations: dict[str, Limitation] | None) -> None:
        self.doc = doc
        self.limitations = limitations
        self.errors: list[ScenarioError] = []

    def error(self, mark: Mark, message: str, hint: str | None = None) -> None:
        self.errors.append(ScenarioError(mark, message, hint))

    def schema_errors(self, validator: jsonschema.Draft202012Validator, data: Any,
                      base: tuple[str | int, ...], kind: str | None) -> None:
        for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
            path = (*base, *err.absolute_path)
            self._schema_error(err, path, kind)

    def _schema_error(self, err: jsonschema.ValidationError, path: tuple[str | int, ...],
                      kind: str | None) -> None:
        where = f"step kind {kind!r}" if kind else "a scenario"
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            schema = err.schema if isinstance(err.schema, dict) else {}
            allowed = list(schema.get("properties", {}))
            for key in err.instance:
                if key in allowed:
                    continue
                hint = did_you_mean(key, allowed)
                self.error(
                    self.doc.key_mark((*path, key)),
                    f"unknown key {key!r} in {where if path[-1:] != ('expect',) else 'expect'}",
                    f"did you mean {hint!r}?" if hint else f"allowed keys: {', '.join(allowed)}",
                )
        elif err.validator == "required":
            self.error(self.doc.mark(path), err.message.replace("property", "key"))
        elif err.validator == "oneOf" and path and path[-1] in ("native", "redirected"):
            self.error(
                self.doc.mark(path),
                f"invalid expectation {err.instance!r}",
                "use `pass`, or `{limitation: <id>, fails_with: <error>, note: ...}`",
            )
        elif err.validator == "pattern" and path == ("id",):
            self.error(
                self.doc.mark(path),
                f"invalid id {err.instance!r}",
                "use lower-case kebab-case parts separated by dots, e.g. `media-stream.get-tracks`",
            )
        elif err.validator == "type" and isinstance(err.instance, list | dict):
            self.error(
                self.doc.mark(path),
                f"expected {err.validator_value} here, got a YAML {type(err.instance).__name__}",
                "JavaScript starting with `[` or `{` must be quoted or written as a block "
                "scalar (`expect: |` followed by indented lines)",
            )
        elif err.validator == "type" and isinstance(err.instance, bool | int | float | None):
            self.error(
                self.doc.mark(path),
                f"expected {err.validator_value} here, got {json.dumps(err.instance)}",
                "quote JavaScript that YAML would read as another type, e.g. `'true'`",
            )
        elif err.validator == "oneOf" and "duration" in json.dumps(err.schema)[:200]:
            self.error(
                self.doc.mark(path),
                f"invalid duration {err.instance!r}",
                "use `500ms`, `2s` or a positive number of seconds",
            )
        else:
            self.error(self.doc.mark(path), err.message)

    def duration(self, value: Any, path: tuple[str | int, ...]) -> float | None:
        mark = self.doc.mark(path)
        if any(error.mark == mark for error in self.errors):
            return None  # the schema already reported this value
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.error(self.doc.mark(path), str(exc))
            return None


def load_scenario(path: Path, limitations: dict[str, Limitation] | None = None,
                  display_path: str | None = None) -> Scenario:
    """Load one scenario file; raise :class:`ScenarioFileError` listing every problem.

    ``limitations`` is the registry to check expectation ids against; when ``None`` the
    bundled registry and the nearest ``limitations.yaml`` above the file are used.
    """
    file = display_path or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioFileError(file, [ScenarioError(Mark(file, 1, 1), f"cannot read: {exc}")]) from None
    try:
        doc = load_marked(text, file)
    except ScenarioError as exc:
        raise ScenarioFileError(file, [exc], text) from None
    if limitations is None:
        limitations = {}
        for registry in registries_for(path):
            limitations.update(load_limitations(registry))
    checker = _Checker(doc, limitations)
    scenario = _check(checker)
    if checker.errors or scenario is None:
        raise ScenarioFileError(file, checker.errors, text)
    return scenario


def _check(c: _Checker) -> Scenario | None:
    doc, data = c.doc, c.doc.data
    if not isinstance(data, dict):
        c.error(doc.mark(()), "a scenario is a mapping with id, title, covers, steps and expect")
        return None
    outer, per_kind = _validators()
    c.schema_errors(outer, data, (), None)
    default_timeout = DEFAULT_STEP_TIMEOUT
    if "timeout" in data:
        default_timeout = c.duration(data["timeout"], ("timeout",)) or DEFAULT_STEP_TIMEOUT

    covers = data.get("covers")
    for i, name in enumerate(covers if isinstance(covers, list) else []):
        if isinstance(name, str) and not is_known_member(name):
            hint = did_you_mean(name, known_names())
            c.error(
                doc.mark(("covers", i)),
                f"{name!r} is not one of the supported interfaces or their members",
                f"did you mean {hint!r}?" if hint else "see conformance/registry.py",
            )

    steps: list[Step] = []
    raw_steps = data.get("steps")
    for index, raw in enumerate(raw_steps if isinstance(raw_steps, list) else []):
        step = _check_step(c, per_kind, raw, index, default_timeout)
        if step is not None:
            steps.append(step)

    expect: dict[str, Expectation] = {}
    raw_expect = data.get("expect")
    if isinstance(raw_expect, dict):
        for target in TARGETS:
            if target in raw_expect:
                expectation = _check_expectation(c, raw_expect[target], ("expect", target))
                if expectation is not None:
                    expect[target] = expectation

    if c.errors:
        return None
    return Scenario(
        id=data["id"],
        title=data["title"],
        covers=tuple(data["covers"]),
        steps=tuple(steps),
        expect=expect,
        path=doc.file,
        mark=doc.mark(()),
        description=data.get("description", ""),
        tags=tuple(data.get("tags", ())),
    )


def _check_step(c: _Checker, per_kind: dict[str, jsonschema.Draft202012Validator], raw: Any,
                index: int, default_timeout: float) -> Step | None:
    doc, path = c.doc, ("steps", index)
    if not isinstance(raw, dict):
        c.error(doc.mark(path), f"step {index + 1} must be a mapping such as `- run: ...`")
        return None
    kinds = [key for key in raw if key in STEP_KINDS]
    if not kinds:
        unknown = [key for key in raw if key not in _COMMON_STEP_KEYS]
        for key in unknown or list(raw)[:1]:
            hint = did_you_mean(key, STEP_KINDS)
            c.error(
                doc.key_mark((*path, key)),
                f"unknown step kind {key!r}" if key in unknown else f"step {index + 1} has no kind",
                f"did you mean {hint!r}?" if hint else f"step kinds: {', '.join(STEP_KINDS)}",
            )
        if not raw:
            c.error(doc.mark(path), f"step {index + 1} is empty", f"step kinds: {', '.join(STEP_KINDS)}")
        return None
    if len(kinds) > 1:
        c.error(
            doc.key_mark((*path, kinds[1])),
            f"step {index + 1} has two kinds ({kinds[0]!r} and {kinds[1]!r})",
            "split it into two steps",
        )
        return None
    kind = kinds[0]
    before = len(c.errors)
    c.schema_errors(per_kind[kind], raw, path, kind)
    if len(c.errors) > before:
        return None
    timeout = default_timeout
    if "timeout" in raw:
        timeout = c.duration(raw["timeout"], (*path, "timeout")) or default_timeout
    options = {k: v for k, v in raw.items() if k not in (kind, *_COMMON_STEP_KEYS)}
    for key in ("eventually", "latency"):
        if key in options:
            seconds = c.duration(options[key], (*path, key))
            if seconds is None:
                return None
            options[key] = seconds
            if "timeout" not in raw:
                # A wait must fit inside its step: give the step the wait plus headroom.
                timeout = max(timeout, seconds + 5.0)
            elif seconds > timeout:
                c.error(
                    doc.mark((*path, key)),
                    f"{key} {raw[key]!r} is longer than the step's timeout {raw['timeout']!r}",
                )
                return None
    if kind == "console":
        try:
            re.compile(str(raw[kind]))
        except re.error as exc:
            c.error(doc.mark((*path, kind)), f"invalid regular expression: {exc}",
                    "escape regex characters such as `[` and `(` with a backslash")
            return None
    redirected_only = kind in _REDIRECTED_ONLY_KINDS and raw[kind] != "crash-page"
    default_targets = ("redirected",) if redirected_only else TARGETS
    return Step(
        index=index,
        kind=kind,
        source=str(raw[kind]),
        options=options,
        timeout=timeout,
        targets=tuple(raw.get("targets", default_targets)),
        mark=doc.mark(path),
        source_mark=doc.mark((*path, kind)),
        source_line=_first_source_line(doc, doc.mark((*path, kind))),
    )


def _first_source_line(doc: MarkedDocument, mark: Mark) -> int:
    """The YAML line holding the step's first line of JavaScript.

    A block scalar (``run: |``) starts on the line after its indicator.
    """
    lines = doc.text.splitlines()
    if 1 <= mark.line <= len(lines) and lines[mark.line - 1][mark.column - 1:][:1] in ("|", ">"):
        return mark.line + 1
    return mark.line


def _check_expectation(c: _Checker, raw: Any, path: tuple[str, str]) -> Expectation | None:
    if raw == "pass" or (isinstance(raw, dict) and raw.get("pass") is True):
        note = raw.get("note") if isinstance(raw, dict) else None
        return Expectation("pass", note=note)
    if not isinstance(raw, dict) or "limitation" not in raw:
        return None  # the schema already reported it
    ident = raw["limitation"]
    if c.limitations is not None and ident not in c.limitations:
        hint = did_you_mean(str(ident), c.limitations)
        c.error(
            c.doc.mark((*path, "limitation")),
            f"unknown limitation id {ident!r}",
            f"did you mean {hint!r}?" if hint else "ids live in scenarios/limitations.yaml",
        )
        return None
    entry = (c.limitations or {}).get(ident)
    return Expectation("fail", limitation=ident, fails_with=raw.get("fails_with"),
                       note=raw.get("note"), limitation_kind=entry.kind if entry else None)


def load_scenarios(paths: Iterable[Path], root: Path | None = None
                   ) -> tuple[list[Scenario], list[ScenarioFileError]]:
    """Load every scenario under ``paths``; return the scenarios and the files' errors.

    Duplicate ids across files are reported on the later file.
    """
    scenarios: list[Scenario] = []
    failures: list[ScenarioFileError] = []
    seen: dict[str, Scenario] = {}
    for file in discover_scenario_files(paths):
        display = _display(file, root)
        try:
            scenario = load_scenario(file, display_path=display)
        except ScenarioFileError as exc:
            failures.append(exc)
            continue
        if scenario.id in seen:
            failures.append(duplicate_id_error(scenario, seen[scenario.id], file))
            continue
        seen[scenario.id] = scenario
        scenarios.append(scenario)
    return scenarios, failures


def duplicate_id_error(scenario: Scenario, first: Scenario, file: Path) -> ScenarioFileError:
    """The error for a scenario (read from ``file``) whose id another file already uses."""
    text = file.read_text(encoding="utf-8")
    mark = _id_mark(scenario, text)
    return ScenarioFileError(
        scenario.path,
        [ScenarioError(mark, f"duplicate scenario id {scenario.id!r} (also in {first.path})",
                       "ids are stable and unique: rename one of them")],
        text,
    )


def _id_mark(scenario: Scenario, text: str | None) -> Mark:
    for number, line in enumerate((text or "").splitlines(), start=1):
        if line.startswith("id:"):
            return Mark(scenario.path, number, 5)
    return scenario.mark


def _display(file: Path, root: Path | None) -> str:
    base = (root or Path.cwd()).resolve()
    try:
        return str(file.resolve().relative_to(base))
    except ValueError:
        return str(file)


def iter_registry_usage(scenarios: Iterable[Scenario]) -> Iterator[str]:
    """Limitation ids that scenario expectations name."""
    for scenario in scenarios:
        for expectation in scenario.expect.values():
            if expectation.limitation:
                yield expectation.limitation
