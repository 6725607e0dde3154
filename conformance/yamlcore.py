"""The shared core of every YAML format the suite reads: scenarios, app profiles, and the
limitation registry.

Each format is checked in the same two layers. Its JSON Schema (``conformance/schema``,
whose shared definitions live in ``common.schema.json``) checks the shape and gives editors
completion; a :class:`DocumentChecker` subclass then checks what a schema says badly. The core
gives every format the same parts, so they cannot drift apart:

- reading a file (:func:`read_document`, bounded and located by :mod:`conformance.yamlmarks`);
- one error class (:class:`~conformance.errors.SpecError`, every error at ``file:line:col``);
- schema errors mapped to the exact key or value, with "did you mean" for unknown keys;
- one-key steps (:meth:`DocumentChecker.step_kind`): a step's *kind* is its one deciding key,
  with hints for typos, a missing kind and two kinds;
- durations (:func:`parse_duration`) and one default step timeout
  (:data:`DEFAULT_STEP_TIMEOUT`);
- one waiting construct, ``wait_for`` bounded by the step's ``timeout``, in both step
  languages.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar, cast

import jsonschema
import referencing
import referencing.jsonschema

from conformance.errors import SpecError, SpecFileError, did_you_mean
from conformance.jscheck import JsForm, javascript_errors, yaml_position
from conformance.model import Mark
from conformance.schemas import load_schema
from conformance.yamlmarks import MarkedDocument, load_marked
from conformance.yamlmarks import Path as KeyPath

__all__ = [
    "DEFAULT_STEP_TIMEOUT",
    "MAX_TIMEOUT",
    "WAIT_HEADROOM",
    "DocumentChecker",
    "load_schema",
    "parse_duration",
    "read_document",
    "step_validators",
    "validator",
]

#: The bound of a step (scenario or profile) that neither it nor its file bounds otherwise.
DEFAULT_STEP_TIMEOUT = 10.0
#: The longest duration any file may ask for.
MAX_TIMEOUT = 600.0
#: What a step that waits gets beyond its wait, so the wait's own message (with the last
#: value seen) is reported rather than the step's time-out.
WAIT_HEADROOM = 5.0
_DURATION = re.compile(r"^(?P<value>[0-9]+(?:\.[0-9]+)?)(?P<unit>ms|s)$")
_SCHEMAS = ("common", "scenario", "profile", "limitations")


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


@functools.cache
def _registry() -> referencing.Registry[Any]:
    """Every schema under its ``$id``, so ``common.schema.json#/...`` references resolve."""
    resources_ = [referencing.jsonschema.DRAFT202012.create_resource(load_schema(name))
                  for name in _SCHEMAS]
    return referencing.Registry().with_resources(
        (resource.contents["$id"], resource) for resource in resources_)


def validator(name: str, pointer: str = "") -> jsonschema.Draft202012Validator:
    """A validator for schema ``name``, or for its definition at ``pointer`` (``#/$defs/x``)."""
    schema = load_schema(name)
    target = {"$ref": f"{schema['$id']}{pointer}"} if pointer else schema
    return jsonschema.Draft202012Validator(target, registry=_registry())


@functools.cache
def step_validators(name: str, kinds: tuple[str, ...]) -> dict[str, jsonschema.Draft202012Validator]:
    """One validator per step kind (``#/$defs/step_<kind>``): checking a step against its own
    kind gives precise errors, where a ``oneOf`` over all kinds would only say "not valid
    under any of the given schemas"."""
    return {kind: validator(name, f"#/$defs/step_{kind}") for kind in kinds}


def read_document(path: Path, display_path: str | None = None) -> MarkedDocument:
    """Read and parse one YAML file; raise :class:`SpecFileError` when it cannot be."""
    file = display_path or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecFileError(file, [SpecError(Mark(file, 1, 1), f"cannot read: {exc}")]) from None
    try:
        return load_marked(text, file)
    except SpecError as exc:
        raise SpecFileError(file, [exc], text) from None


class DocumentChecker:
    """Collects the errors of one file while a format's loader converts it.

    Subclasses set :attr:`WHAT` (``"a scenario"``), :attr:`QUOTE_HINT` (how to write a value
    YAML would read as a list or mapping) and may override :meth:`special_schema_error`.
    """

    #: The file as a noun phrase, for messages ("unknown key 'x' in a scenario").
    WHAT: ClassVar[str] = "a file"
    #: The hint for a string that YAML read as a list or a mapping.
    QUOTE_HINT: ClassVar[str] = "a value starting with `[` or `{` must be quoted"
    #: The hint for a string that YAML read as a boolean, a number or null.
    SCALAR_HINT: ClassVar[str] = "quote values that YAML would read as another type, e.g. `'true'`"
    #: The key holding the format version (``profile``, ``scenario``), if the format has one.
    FORMAT_KEY: ClassVar[str | None] = None

    def __init__(self, doc: MarkedDocument) -> None:
        self.doc = doc
        self.errors: list[SpecError] = []

    def error(self, mark: Mark, message: str, hint: str | None = None) -> None:
        """Record one problem."""
        self.errors.append(SpecError(mark, message, hint))

    def has_error_at(self, path: KeyPath) -> bool:
        """Whether a problem was already recorded at the value ``path`` (not to report twice)."""
        mark = self.doc.mark(path)
        return any(error.mark == mark for error in self.errors)

    def fail(self) -> SpecFileError:
        """The file's error, listing every problem recorded."""
        return SpecFileError(self.doc.file, self.errors, self.doc.text)

    # --- schema errors -------------------------------------------------------------------

    def schema_errors(self, validator_: jsonschema.Draft202012Validator, data: Any, base: KeyPath = (),
                      kind: str | None = None, skip: Callable[[KeyPath], bool] | None = None) -> None:
        """Record the schema's errors for ``data`` (found at ``base``), each at its place."""
        for err in sorted(validator_.iter_errors(data), key=lambda e: [str(p) for p in e.path]):
            path = (*base, *err.absolute_path)
            if skip is not None and skip(path):
                continue
            if not self.special_schema_error(err, path):
                self._schema_error(err, path, kind)

    def special_schema_error(self, err: jsonschema.ValidationError, path: KeyPath) -> bool:
        """A format's own wording for some schema errors; ``True`` when it recorded one."""
        return False

    def _schema_error(self, err: jsonschema.ValidationError, path: KeyPath, kind: str | None) -> None:
        mark = self.doc.mark(path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            schema = err.schema if isinstance(err.schema, dict) else {}
            allowed = list(schema.get("properties", {}))
            where = f"step kind {kind!r}" if kind else (f"{path[-1]!r}" if path else self.WHAT)
            for key in err.instance:
                if key not in allowed:
                    self.error(self.doc.key_mark((*path, key)), f"unknown key {key!r} in {where}",
                               self.hint(key, allowed, "allowed keys"))
        elif err.validator == "required":
            self.error(mark, err.message.replace("property", "key"))
        elif err.validator == "const" and self.FORMAT_KEY and path == (self.FORMAT_KEY,):
            self.error(mark, f"unsupported {self.FORMAT_KEY} format {err.instance!r}",
                       f"this suite reads `{self.FORMAT_KEY}: 1`")
        elif err.validator == "oneOf" and _is_duration(err.schema):
            self.error(mark, f"invalid duration {err.instance!r}",
                       "use `500ms`, `2s` or a positive number of seconds")
        elif err.validator == "type" and isinstance(err.instance, list | dict):
            self.error(mark, f"expected {err.validator_value} here, got a YAML "
                       f"{type(err.instance).__name__}", self.QUOTE_HINT)
        elif err.validator == "type" and isinstance(err.instance, bool | int | float | None):
            self.error(mark, f"expected {err.validator_value} here, got {json.dumps(err.instance)}",
                       self.SCALAR_HINT)
        elif err.validator == "enum":
            choices = [str(choice) for choice in cast(Iterable[Any], err.validator_value)]
            self.error(mark, f"{err.instance!r} is not one of {', '.join(choices)}",
                       self.hint(str(err.instance), choices, "choose one of"))
        else:
            self.error(mark, err.message)

    # --- values --------------------------------------------------------------------------

    @staticmethod
    def hint(word: str, choices: Iterable[str], listing: str) -> str:
        """``did you mean 'x'?`` for a near miss, else ``<listing>: a, b, c``."""
        choices = list(choices)
        near = did_you_mean(word, choices)
        return f"did you mean {near!r}?" if near else f"{listing}: {', '.join(choices)}"

    def duration(self, value: Any, path: KeyPath) -> float | None:
        """Seconds of the duration at ``path``; ``None`` (and an error) when it is not one."""
        if value is None or self.has_error_at(path):
            return None  # absent, or the schema already reported it
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.error(self.doc.mark(path), str(exc))
            return None

    def javascript(self, source: Any, path: KeyPath, form: JsForm) -> list[tuple[Mark, str]]:
        """The syntax errors of the JavaScript ``source`` at ``path`` (compiled as ``form``),
        each at its YAML position."""
        if not isinstance(source, str):
            return []
        mark = self.doc.mark(path)
        return [(yaml_position(self.doc.text, mark, row, column), message)
                for row, column, message in javascript_errors(source, form)]

    def step(self, raw: Any, path: KeyPath, validators: dict[str, jsonschema.Draft202012Validator],
             other_keys: Iterable[str], example: str, default_timeout: float) -> tuple[str, float] | None:
        """The kind and timeout of the one-key step ``raw`` at ``path``, checked against its
        kind's schema (``validators``, from :func:`step_validators`); ``None`` when it is not
        well-formed (the problems are recorded)."""
        kind = self.step_kind(raw, path, tuple(validators), other_keys, example)
        if kind is None:
            return None
        before = len(self.errors)
        self.schema_errors(validators[kind], raw, path, kind)
        if len(self.errors) > before:
            return None
        return kind, self.duration(raw.get("timeout"), (*path, "timeout")) or default_timeout

    def step_kind(self, raw: Any, path: KeyPath, kinds: tuple[str, ...], other_keys: Iterable[str],
                  example: str) -> str | None:
        """The kind of the one-key step ``raw`` at ``path`` (its one key among ``kinds``).

        ``other_keys`` are the keys steps may carry beside their kind; ``example`` shows a
        well-formed step (``- run: ...``). Records the problem and returns ``None`` otherwise.
        """
        number = int(path[-1]) + 1
        if not isinstance(raw, dict):
            self.error(self.doc.mark(path), f"step {number} must be a mapping such as `{example}`")
            return None
        found = [key for key in raw if key in kinds]
        if len(found) == 1:
            return str(found[0])
        if found:
            self.error(self.doc.key_mark((*path, found[1])),
                       f"step {number} has two kinds ({found[0]!r} and {found[1]!r})",
                       "split it into two steps")
            return None
        if not raw:
            self.error(self.doc.mark(path), f"step {number} is empty",
                       f"step kinds: {', '.join(kinds)}")
            return None
        extra = set(other_keys)
        unknown = [key for key in raw if key not in extra]
        for key in unknown or list(raw)[:1]:
            self.error(self.doc.key_mark((*path, key)),
                       f"unknown step kind {key!r}" if key in unknown else f"step {number} has no kind",
                       self.hint(str(key), kinds, "step kinds"))
        return None


def _is_duration(schema: Any) -> bool:
    """Whether a (resolved) schema is the shared duration definition."""
    return bool(schema == load_schema("common")["$defs"]["duration"])
