"""The registry of documented limitations (``scenarios/limitations.yaml``).

Two kinds are kept apart: ``product`` limitations come from the vendor's developer page;
``reference`` limitations are the reference implementation's own (aiortc's, ours). A
scenario expectation names a limitation by id; an unknown id is a validation error.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from conformance.interfaces import is_known_member, known_names
from conformance.model import Mark
from conformance.yamlcore import DocumentChecker, read_document, validator

__all__ = ["BUNDLED_REGISTRY", "REGISTRY_FILENAME", "Limitation", "find_registry",
           "load_limitations", "registries_for"]

REGISTRY_FILENAME = "limitations.yaml"
#: The suite's own registry (product limitations and the reference implementation's), known
#: to every scenario wherever it lives.
BUNDLED_REGISTRY = Path(__file__).resolve().parent.parent / "scenarios" / REGISTRY_FILENAME


@dataclass(frozen=True)
class Limitation:
    """One documented limitation."""

    id: str
    kind: Literal["product", "reference"]
    title: str
    behaviour: str
    affects: tuple[str, ...] = ()
    vendor_wording: str = ""
    untestable: str = ""
    mark: Mark | None = None
    #: Patterns over WPT subtest names this limitation explains (``conformance wpt``).
    wpt_subtests: tuple[str, ...] = ()


def find_registry(scenario_path: Path) -> Path | None:
    """The nearest ``limitations.yaml`` in the scenario's folder or any folder above it."""
    for folder in scenario_path.resolve().parents:
        candidate = folder / REGISTRY_FILENAME
        if candidate.is_file():
            return candidate
    return None


def registries_for(scenario_path: Path, extra: Path | None = None) -> list[Path]:
    """The registries whose ids a scenario may name, later ones overriding earlier: the
    bundled one, the nearest ``limitations.yaml`` above the scenario, and ``extra``
    (``--limitations FILE``, a vendor's own)."""
    found = [p for p in (BUNDLED_REGISTRY if BUNDLED_REGISTRY.is_file() else None,
                         find_registry(scenario_path), extra) if p is not None]
    return list(dict.fromkeys(p.resolve() for p in found))


class _Checker(DocumentChecker):
    """Collects the errors of one registry (its shape is ``limitations.schema.json``'s)."""

    WHAT: ClassVar[str] = "a registry"
    FORMAT_KEY: ClassVar[str | None] = "registry"


def load_limitations(path: Path) -> dict[str, Limitation]:
    """Load and check a registry; raise :class:`~conformance.errors.SpecFileError` listing
    every problem.

    Every scenario file names the registries it may use, so one run reads the same registry
    once per scenario: the result is kept per file version (path, size, modification time).
    """
    try:
        stat = path.stat()
    except OSError:
        return _load(path, 0, 0)  # read_document reports the file as unreadable
    return dict(_load(path.resolve(), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=32)
def _load(path: Path, _mtime_ns: int, _size: int) -> dict[str, Limitation]:
    c = _Checker(read_document(path))
    if not isinstance(c.doc.data, dict):
        c.error(c.doc.mark(()), "expected a mapping with a `limitations` list")
        raise c.fail()
    c.schema_errors(validator("limitations"), c.doc.data)
    entries: Any = c.doc.data.get("limitations")
    result: dict[str, Limitation] = {}
    entry_shape = validator("limitations", "#/$defs/limitation")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        where = ("limitations", index)
        if not entry_shape.is_valid(entry):
            continue  # the schema reported it
        if entry["id"] in result:
            c.error(c.doc.mark((*where, "id")), f"duplicate limitation id {entry['id']!r}",
                    "ids are stable and unique: rename one of them")
            continue
        affects = tuple(entry.get("affects") or ())
        for i, name in enumerate(affects):
            if not is_known_member(name):
                c.error(c.doc.mark((*where, "affects", i)),
                        f"{name!r} is not a supported interface or member",
                        c.hint(name, known_names(), "see conformance/interfaces.py; names"))
        patterns = tuple(entry.get("wpt_subtests") or ())
        for i, pattern in enumerate(patterns):
            try:
                re.compile(pattern)
            except re.error as error:
                c.error(c.doc.mark((*where, "wpt_subtests", i)),
                        f"{pattern!r} is not a regular expression: {error}")
        result[entry["id"]] = Limitation(
            id=entry["id"],
            kind=entry["kind"],
            title=entry["title"],
            behaviour=entry["behaviour"],
            affects=affects,
            vendor_wording=entry.get("vendor_wording", ""),
            untestable=str(entry.get("untestable") or ""),
            mark=c.doc.mark((*where, "id")),
            wpt_subtests=patterns,
        )
    if c.errors:
        raise c.fail()
    return result
