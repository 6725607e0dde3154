"""Loading and validating scenario files.

Validation is in two layers. The JSON Schema shipped in ``conformance/schema`` checks the
shape (and gives editors completion); the loader then checks what a schema cannot say
well: which step kind a step is (with a "did you mean" for typos), covered members
against the interface registry, limitation ids against the registry, durations and their
bounds, and ids unique across files. Every error carries ``file:line:col``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar, cast

import jsonschema

from conformance.errors import ScenarioError, ScenarioFileError, did_you_mean
from conformance.interfaces import is_known_member, known_names
from conformance.jscheck import JsForm
from conformance.limitations import Limitation, load_limitations, registries_for
from conformance.model import EXPECTATION_KINDS, Expectation, Mark, Scenario, Step, StepKind
from conformance.yamlcore import (
    DEFAULT_STEP_TIMEOUT,
    MAX_TIMEOUT,
    WAIT_HEADROOM,
    DocumentChecker,
    load_schema,
    parse_duration,
    read_document,
    step_validators,
    validator,
)
from conformance.yamlmarks import MarkedDocument
from conformance.yamlmarks import Path as KeyPath

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

STEP_KINDS: tuple[str, ...] = ("run", "expect", "expect_error", "wait_for", "wait_event", "fault",
                               "speaker", "console")
#: Steps that only make sense under redirection default to the redirected target.
_REDIRECTED_ONLY_KINDS = ("fault",)
#: Steps every target runs where it can: on native targets (the suite's sound card) a
#: ``speaker`` step is skipped alone when the target has no speaker records.
_OPTIONAL_NATIVE_KINDS = ("speaker",)
_COMMON_STEP_KEYS = ("timeout", "targets", "note")
#: The JavaScript keys of each step kind, compiled as the page runtime compiles them.
_JS_FORMS: dict[str, dict[str, JsForm]] = {
    "run": {"run": "body"},
    "expect": {"expect": "expression"},
    "wait_for": {"wait_for": "expression"},
    "expect_error": {"expect_error": "action"},
    "wait_event": {"on": "expression", "until": "expression", "trigger": "body"},
}
_FORM_WORDS: dict[str, str] = {
    "body": "compiled as the body of an async function (`await` works)",
    "expression": "compiled as one expression",
    "action": "compiled as an expression, or else as the body of an async function",
}


def scenario_schema() -> dict[str, Any]:
    """The scenario JSON Schema shipped with the package."""
    return load_schema("scenario")


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


class _Checker(DocumentChecker):
    """Collects the errors of one scenario file while converting it into a :class:`Scenario`."""

    WHAT: ClassVar[str] = "a scenario"
    QUOTE_HINT: ClassVar[str] = ("JavaScript starting with `[` or `{` must be quoted or written as a "
                                 "block scalar (`expect: |` followed by indented lines)")
    SCALAR_HINT: ClassVar[str] = "quote JavaScript that YAML would read as another type, e.g. `'true'`"
    FORMAT_KEY: ClassVar[str | None] = "scenario"

    def __init__(self, doc: MarkedDocument, limitations: dict[str, Limitation] | None,
                 strict_javascript: bool = False) -> None:
        super().__init__(doc)
        self.limitations = limitations
        #: Whether JavaScript syntax errors are errors of the file (``validate``), or only
        #: recorded on the steps for the run to report where the page's compile fails.
        self.strict_javascript = strict_javascript

    def special_schema_error(self, err: jsonschema.ValidationError, path: KeyPath) -> bool:
        if err.validator == "oneOf" and path and path[-1] in EXPECTATION_KINDS and path[:1] == ("expect",):
            self.error(self.doc.mark(path), f"invalid expectation {err.instance!r}",
                       "use `pass`, or `{limitation: <id>, fails_with: <error>, note: ...}`")
            return True
        if err.validator == "pattern" and path == ("id",):
            self.error(self.doc.mark(path), f"invalid id {err.instance!r}",
                       "use lower-case kebab-case parts separated by dots, e.g. "
                       "`media-stream.get-tracks`")
            return True
        return False


def _inside_a_step(path: KeyPath) -> bool:
    """Steps are checked one by one against their kind's definition, not by the file's."""
    return len(path) >= 2 and path[0] == "steps"


def load_scenario(path: Path, limitations: dict[str, Limitation] | None = None,
                  display_path: str | None = None, strict_javascript: bool = False) -> Scenario:
    """Load one scenario file; raise :class:`ScenarioFileError` listing every problem.

    ``limitations`` is the registry to check expectation ids against; when ``None`` the
    bundled registry and the nearest ``limitations.yaml`` above the file are used. With
    ``strict_javascript`` (``conformance validate``), a syntax error in a step's JavaScript
    is an error of the file; otherwise it is kept on the step for the run to report.
    """
    doc = read_document(path, display_path)
    if limitations is None:
        limitations = {}
        for registry in registries_for(path):
            limitations.update(load_limitations(registry))
    checker = _Checker(doc, limitations, strict_javascript)
    scenario = _check(checker)
    if checker.errors or scenario is None:
        raise checker.fail()
    return scenario


def _check(c: _Checker) -> Scenario | None:
    doc, data = c.doc, c.doc.data
    if not isinstance(data, dict):
        c.error(doc.mark(()), "a scenario is a mapping with id, title, covers, steps and expect")
        return None
    c.schema_errors(validator("scenario"), data, skip=_inside_a_step)
    per_kind = step_validators("scenario", STEP_KINDS)
    default_timeout = c.duration(data.get("timeout"), ("timeout",)) or DEFAULT_STEP_TIMEOUT

    covers = data.get("covers")
    for i, name in enumerate(covers if isinstance(covers, list) else []):
        if isinstance(name, str) and not is_known_member(name):
            hint = did_you_mean(name, known_names())
            c.error(
                doc.mark(("covers", i)),
                f"{name!r} is not one of the supported interfaces or their members",
                f"did you mean {hint!r}?" if hint else "see conformance/interfaces.py",
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
        for target in EXPECTATION_KINDS:
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
    checked = c.step(raw, path, per_kind, _COMMON_STEP_KEYS, "- run: ...", default_timeout)
    if checked is None:
        return None
    kind, timeout = checked
    options = {k: v for k, v in raw.items() if k not in (kind, *_COMMON_STEP_KEYS)}
    for key in ("eventually", "latency"):
        if key in options:
            seconds = c.duration(options[key], (*path, key))
            if seconds is None:
                return None
            options[key] = seconds
            if "timeout" not in raw:
                # A wait must fit inside its step: give the step the wait plus headroom.
                timeout = max(timeout, seconds + WAIT_HEADROOM)
            elif seconds > timeout:
                c.error(
                    doc.mark((*path, key)),
                    f"{key} {raw[key]!r} is longer than the step's timeout {raw['timeout']!r}",
                )
                return None
    if kind == "wait_for":
        # The waiting construct of every format: re-check until the step's own bound, and
        # give the step headroom so the wait's message (with the last value) is reported.
        options["eventually"] = timeout
        timeout += WAIT_HEADROOM
    if kind == "console":
        try:
            re.compile(str(raw[kind]))
        except re.error as exc:
            c.error(doc.mark((*path, kind)), f"invalid regular expression: {exc}",
                    "escape regex characters such as `[` and `(` with a backslash")
            return None
    syntax = _javascript_errors(c, path, kind, raw)
    if c.strict_javascript:
        for mark, message, hint in syntax:
            c.error(mark, f"JavaScript syntax error: {message}", hint)
    redirected_only = kind in _REDIRECTED_ONLY_KINDS and raw[kind] != "crash-page"
    default_targets = ("redirected",) if redirected_only else EXPECTATION_KINDS
    return Step(
        index=index,
        kind=cast(StepKind, kind),
        source=str(raw[kind]),
        options=options,
        timeout=timeout,
        targets=tuple(raw.get("targets", default_targets)),
        mark=doc.mark(path),
        source_mark=doc.mark((*path, kind)),
        source_line=_first_source_line(doc, doc.mark((*path, kind))),
        javascript_errors=tuple((mark, message) for mark, message, _ in syntax),
        optional_on=("native",) if kind in _OPTIONAL_NATIVE_KINDS and "targets" not in raw else (),
    )


def _javascript_errors(c: _Checker, path: KeyPath, kind: str, raw: dict[str, Any]
                       ) -> list[tuple[Mark, str, str]]:
    """The syntax errors of every JavaScript source of a step, at their YAML positions, with
    a hint saying how the runtime compiles that source."""
    return [(mark, f"{message} (in `{key}`)", f"`{key}` is {_FORM_WORDS[form]}")
            for key, form in _JS_FORMS.get(kind, {}).items()
            for mark, message in c.javascript(raw.get(key), (*path, key), form)]


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
    if not isinstance(ident, str):
        return None  # the schema already reported it (a list, a number...)
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


def load_scenarios(paths: Iterable[Path], root: Path | None = None, strict_javascript: bool = False
                   ) -> tuple[list[Scenario], list[ScenarioFileError]]:
    """Load every scenario under ``paths``; return the scenarios and the files' errors.

    Duplicate ids across files are reported on the later file. ``strict_javascript`` as for
    :func:`load_scenario`.
    """
    scenarios: list[Scenario] = []
    failures: list[ScenarioFileError] = []
    seen: dict[str, Scenario] = {}
    for file in discover_scenario_files(paths):
        display = _display(file, root)
        try:
            scenario = load_scenario(file, display_path=display, strict_javascript=strict_javascript)
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
