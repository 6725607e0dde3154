"""results.json: the documented, versioned record of a run.

The shape follows WPT's wptreport (``run_info`` plus a ``results`` list) with a
``summary`` of counts; ``conformance/schema/results.schema.json`` documents every field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema

from conformance.reports.atomic import atomic_write_text
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


def validate_results_document(document: Any) -> None:
    """Raise ``ValueError`` naming the first problem if ``document`` breaks the schema."""
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
    targets = ordered_targets(run_info.targets, ordered)
    by_target = {
        target: _counts(r for r in ordered if r.target == target) for target in targets
    }
    return {
        "schema_version": SCHEMA_VERSION,
        "run_info": run_info.to_json(),
        "results": [result.to_json() for result in ordered],
        "summary": {"by_target": by_target, "overall": _counts(ordered)},
    }


def write_results_json(
    path: Path | str, run_info: RunInfo, results: Iterable[ScenarioResult]
) -> Path:
    """Write results.json atomically and return its path."""
    path = Path(path)
    document = build_results_document(run_info, results)
    # ensure_ascii=False keeps titles and messages readable; the file is UTF-8.
    atomic_write_text(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
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
