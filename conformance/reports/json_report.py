"""results.json: the documented, versioned record of a run.

The shape follows WPT's wptreport (``run_info`` plus a ``results`` list) with a
``summary`` of counts; ``conformance/schema/results.schema.json`` documents every field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs

from conformance.reports.atomic import atomic_write_chunks
from conformance.reports.jsonio import read_json
from conformance.reports.outcome import ordered_targets, sort_results
from conformance.results import SCHEMA_VERSION, STATUSES, RunInfo, ScenarioResult
from conformance.schemas import load_schema

__all__ = [
    "build_results_document",
    "load_results_json",
    "results_schema",
    "validate_results_document",
    "write_results_json",
]


def results_schema() -> dict[str, Any]:
    """The JSON Schema of results.json (shipped as package data)."""
    return load_schema("results")


@cache
def _fast_validator() -> Any:
    return jsonschema_rs.validator_for(results_schema())


def validate_results_document(document: Any) -> None:
    """Raise ``ValueError`` naming the first problem if ``document`` breaks the schema.

    A compiled validator says whether it does (a 10,000-result document in milliseconds,
    where :mod:`jsonschema` takes a minute); only a document that breaks it is walked again
    by :mod:`jsonschema`, whose best match names the problem as it always has.
    """
    if _fast_validator().is_valid(document):
        return
    validator = jsonschema.Draft202012Validator(results_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(document)"
        raise ValueError(f"results.json is invalid at {where}: {error.message}")


def _counts(results: Iterable[ScenarioResult]) -> dict[str, int]:
    """Counts per status plus expected/unexpected, every key present even when zero.

    A SKIP is counted under ``SKIP`` only: it says nothing about conformance (the engine
    marks a skipped item not-expected), and a gate reading ``unexpected`` must not fail a
    run because a target was unavailable. Hence expected + unexpected + SKIP = total.
    """
    counts = {"total": 0, **dict.fromkeys(STATUSES, 0), "expected": 0, "unexpected": 0}
    for result in results:
        counts["total"] += 1
        counts[result.status] += 1
        if result.status != "SKIP":
            counts["expected" if result.expected else "unexpected"] += 1
    return counts


def build_results_document(
    run_info: RunInfo, results: Iterable[ScenarioResult]
) -> dict[str, Any]:
    """The results.json document for a run: run_info, sorted results and summary."""
    ordered = sort_results(results)
    return {
        "schema_version": SCHEMA_VERSION,
        "run_info": run_info.to_json(),
        "results": [result.to_json() for result in ordered],
        "summary": _summary(run_info, ordered),
    }


def _summary(run_info: RunInfo, ordered: Sequence[ScenarioResult]) -> dict[str, Any]:
    targets = ordered_targets(run_info.targets, ordered)
    return {"by_target": {t: _counts(r for r in ordered if r.target == t) for t in targets},
            "overall": _counts(ordered)}


def write_results_json(
    path: Path | str, run_info: RunInfo, results: Iterable[ScenarioResult]
) -> Path:
    """Write results.json atomically and return its path.

    The document is written as it is made, one line per result (the run's metadata and
    summary indented), so a run of 10,000 results is never held as one text in memory.
    """
    path = Path(path)
    ordered = sort_results(results)
    summary = _summary(run_info, ordered)

    def indented(value: Any) -> str:
        # ensure_ascii=False keeps titles and messages readable; the file is UTF-8.
        return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")

    def chunks() -> Iterator[str]:
        yield f'{{\n  "schema_version": {SCHEMA_VERSION},\n  "run_info": {indented(run_info.to_json())},\n'
        yield '  "results": ['
        for number, result in enumerate(ordered):
            yield ("," if number else "") + "\n    " + json.dumps(result.to_json(), ensure_ascii=False)
        yield ("\n  ]" if ordered else "]") + f',\n  "summary": {indented(summary)}\n}}\n'

    atomic_write_chunks(path, chunks())
    return path


def load_results_json(path: Path | str) -> tuple[RunInfo, list[ScenarioResult]]:
    """Read a results.json back into its run info and results.

    Raises ``ValueError`` if the file is not JSON, is of another ``schema_version``, or
    does not match the schema; a baseline comparison must never run on a misread file.
    """
    path = Path(path)
    document = read_json(path)
    version = document.get("schema_version") if isinstance(document, dict) else None
    if version != SCHEMA_VERSION:
        raise ValueError(
            f"{path}: schema_version {version!r} is not supported "
            f"(this suite reads version {SCHEMA_VERSION})"
        )
    try:
        validate_results_document(document)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    run_info = RunInfo.from_json(document["run_info"])
    results = [ScenarioResult.from_json(entry) for entry in document["results"]]
    return run_info, results
