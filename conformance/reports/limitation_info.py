"""Whose deviation a result's documented limitation is, and what the registry says about it.

The limitation registry (``scenarios/limitations.yaml``) keeps two kinds apart: ``product``
limitations (the vendor's documented ones) and ``reference`` ones (deviations of the suite's
reference implementation only, ids ``ref-*``). The reports must never present the second
kind as the first: the customer's compatibility table says nothing about the product from a
reference deviation, and the engineer's matrix gives it its own label and colour.

:func:`annotate` writes the kind into each result's ``expectation`` (``limitation_kind``)
so that results.json records it and every report reads it from one place,
:func:`~conformance.reports.outcome.limitation_kind`. The kind comes from the registries
the scenario could name (:func:`conformance.limitations.registries_for`); a result whose
registry cannot be read falls back on the id convention (``ref-*`` is a reference deviation).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from conformance.errors import SpecFileError
from conformance.limitations import Limitation, load_limitations, registries_for
from conformance.reports.outcome import LIMITATION_KIND_KEY, limitation_id, limitation_kind
from conformance.results import ScenarioResult

__all__ = ["LimitationCatalog", "annotate"]


class LimitationCatalog:
    """The registry entries the results of a run can name, by id."""

    def __init__(self, entries: Mapping[str, Limitation] | None = None) -> None:
        self.entries: dict[str, Limitation] = dict(entries or {})

    @classmethod
    def for_results(
        cls, results: Iterable[ScenarioResult], extra: Path | None = None
    ) -> LimitationCatalog:
        """The entries of every registry the results' scenario files may use (the bundled
        one, the nearest ``limitations.yaml`` above each file, and ``extra``); a registry
        that cannot be read is left out rather than failing the report."""
        files = sorted({r.file for r in results if r.file}) or [""]
        paths: list[Path] = []
        for file in files:
            for path in registries_for(Path(file or "."), extra):
                if path not in paths:
                    paths.append(path)
        entries: dict[str, Limitation] = {}
        for path in paths:
            try:
                entries.update(load_limitations(path))
            except (SpecFileError, OSError):
                continue  # the reports still show the ids; validation reports the file
        return cls(entries)

    def get(self, ident: str | None) -> Limitation | None:
        """The registry entry ``ident`` names, if it is known."""
        return self.entries.get(ident) if ident else None

    def kind_of(self, result: ScenarioResult) -> str | None:
        """``product`` or ``reference`` for a result that names a limitation, else ``None``.

        The registry's word wins over what the result recorded, which wins over the id
        convention (:func:`~conformance.reports.outcome.limitation_kind`).
        """
        entry = self.get(limitation_id(result))
        return entry.kind if entry is not None else limitation_kind(result)


def annotate(
    results: Iterable[ScenarioResult], catalog: LimitationCatalog | None = None
) -> list[ScenarioResult]:
    """Copies of ``results`` whose expectation records its limitation's kind.

    Results that name no limitation are returned as they are; ``catalog`` defaults to
    :meth:`LimitationCatalog.for_results` of ``results``.
    """
    results = list(results)
    catalog = catalog or LimitationCatalog.for_results(results)
    annotated = []
    for result in results:
        kind = catalog.kind_of(result)
        if kind is None or result.expectation.get(LIMITATION_KIND_KEY) == kind:
            annotated.append(result)
            continue
        expectation = {**result.expectation, LIMITATION_KIND_KEY: kind}
        annotated.append(replace(result, expectation=expectation))
    return annotated
