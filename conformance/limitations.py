"""The registry of documented limitations (``scenarios/limitations.yaml``).

Two kinds are kept apart: ``product`` limitations come from the vendor's developer page;
``reference`` limitations are the reference implementation's own (aiortc's, ours). A
scenario expectation names a limitation by id; an unknown id is a validation error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from conformance.errors import ScenarioError, ScenarioFileError, did_you_mean
from conformance.model import Mark
from conformance.registry import is_known_member, known_names
from conformance.yamlmarks import load_marked

__all__ = ["BUNDLED_REGISTRY", "REGISTRY_FILENAME", "Limitation", "find_registry",
           "load_limitations", "registries_for"]

REGISTRY_FILENAME = "limitations.yaml"
#: The suite's own registry (product limitations and the reference implementation's), known
#: to every scenario wherever it lives.
BUNDLED_REGISTRY = Path(__file__).resolve().parent.parent / "scenarios" / REGISTRY_FILENAME

_REQUIRED = ("id", "kind", "title", "behaviour")
# `untestable` gives the reason no scenario can show the deviation (validate stays quiet).
_ALLOWED = (*_REQUIRED, "vendor_wording", "affects", "note", "untestable")


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


def load_limitations(path: Path) -> dict[str, Limitation]:
    """Load and check a registry; raise :class:`ScenarioFileError` listing every problem."""
    text = path.read_text(encoding="utf-8")
    file = str(path)
    try:
        doc = load_marked(text, file)
    except ScenarioError as exc:
        raise ScenarioFileError(file, [exc], text) from None
    errors: list[ScenarioError] = []
    entries: Any = doc.data.get("limitations") if isinstance(doc.data, dict) else None
    if not isinstance(entries, list):
        raise ScenarioFileError(
            file, [ScenarioError(doc.mark(()), "expected a mapping with a `limitations` list")], text
        )
    result: dict[str, Limitation] = {}
    for index, entry in enumerate(entries):
        path_ = ("limitations", index)
        if not isinstance(entry, dict):
            errors.append(ScenarioError(doc.mark(path_), "each limitation is a mapping"))
            continue
        for key in entry:
            if key not in _ALLOWED:
                hint = did_you_mean(key, _ALLOWED)
                errors.append(
                    ScenarioError(
                        doc.key_mark((*path_, key)),
                        f"unknown key {key!r} in a limitation",
                        f"did you mean {hint!r}?" if hint else f"allowed: {', '.join(_ALLOWED)}",
                    )
                )
        missing = [key for key in _REQUIRED if key not in entry]
        if missing:
            errors.append(ScenarioError(doc.mark(path_), f"missing {', '.join(missing)}"))
            continue
        wrong = [key for key in entry if key != "affects" and not isinstance(entry[key], str)]
        if "affects" in entry and not (isinstance(entry["affects"], list | type(None))
                                       and all(isinstance(a, str) for a in entry["affects"] or ())):
            wrong.append("affects")
        if wrong:
            for key in wrong:
                what = "a list of member names" if key == "affects" else "a string"
                errors.append(ScenarioError(doc.mark((*path_, key)), f"`{key}` must be {what}"))
            continue
        if entry["kind"] not in ("product", "reference"):
            errors.append(
                ScenarioError(doc.mark((*path_, "kind")), "kind is `product` or `reference`")
            )
            continue
        if entry["id"] in result:
            errors.append(
                ScenarioError(doc.mark((*path_, "id")), f"duplicate limitation id {entry['id']!r}")
            )
            continue
        affects = tuple(entry.get("affects") or ())
        for i, name in enumerate(affects):
            if not is_known_member(name):
                hint = did_you_mean(name, known_names())
                errors.append(
                    ScenarioError(
                        doc.mark((*path_, "affects", i)),
                        f"{name!r} is not a supported interface or member",
                        f"did you mean {hint!r}?" if hint else None,
                    )
                )
        result[entry["id"]] = Limitation(
            id=entry["id"],
            kind=entry["kind"],
            title=entry["title"],
            behaviour=entry["behaviour"],
            affects=affects,
            vendor_wording=entry.get("vendor_wording", ""),
            untestable=str(entry.get("untestable") or ""),
            mark=doc.mark((*path_, "id")),
        )
    if errors:
        raise ScenarioFileError(file, errors, text)
    return result
