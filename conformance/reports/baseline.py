"""Baselines: the small, committable record of what a run's items did.

A baseline keeps, per item (``<scenario>[<target>]``), only what gating compares: the
status, whether it was expected, and the members the item covers. It is meant to live in
a repository (e.g. ``ci/baseline.json``) and be updated on purpose, so it is written one
item per line, in report order, without timestamps: regenerating it from an identical run
changes only the run id and revision lines, and a review diff shows exactly which items
moved.

``{
  "kind": "mmr-conformance-baseline", "schema_version": 1, "suite_version": "0.1.0",
  "run_id": "...", "git_revision": "...", "browser": "...", "browser_version": "...",
  "targets": ["native", "redirected"],
  "items": {"pc.offer[native]": {"status": "PASS", "expected": true, "covers": [...]}}
}``

The format is described by ``conformance/schema/baseline.schema.json``. A comparison side
(:class:`Snapshot`) can be read from a baseline, a results.json, a run folder or a reports
root alike (:func:`load_snapshot`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from conformance.reports.atomic import atomic_write_text
from conformance.reports.jsonio import read_json
from conformance.reports.outcome import (
    FAILING_STATUSES,
    Outcome,
    ordered_targets,
    sort_results,
)
from conformance.reports.rundir import load_run
from conformance.results import RunInfo, ScenarioResult
from conformance.runinfo import suite_version
from conformance.schemas import load_schema
from conformance.targets.registry import unalias

__all__ = [
    "BASELINE_KIND",
    "BASELINE_VERSION",
    "ItemState",
    "Snapshot",
    "baseline_document",
    "baseline_schema",
    "load_snapshot",
    "snapshot_from_results",
    "write_baseline",
]

#: Value of a baseline's ``kind``: tells it apart from a results.json at a glance.
BASELINE_KIND = "mmr-conformance-baseline"
#: Version of the baseline format (bump on incompatible changes).
BASELINE_VERSION = 1


@dataclass(frozen=True)
class ItemState:
    """What one item did, as far as gating is concerned."""

    status: str
    expected: bool
    covers: tuple[str, ...] = ()
    limitation: str | None = None
    #: With ``--repeat``: the runs of the item did not all end the same way.
    flaky: bool = False
    #: With ``--repeat``: status -> how many runs ended so (empty otherwise).
    outcomes: tuple[tuple[str, int], ...] = ()
    #: Only known when read from results (a baseline does not keep them).
    title: str = ""
    message: str = ""

    @property
    def outcome(self) -> Outcome:
        """The report outcome (same rules as :func:`conformance.reports.outcome.classify`)."""
        if self.status == "SKIP":
            return Outcome.NOT_RUN
        if self.status == "PASS":
            return Outcome.PASS if self.expected else Outcome.UNEXPECTED_PASS
        return Outcome.KNOWN_LIMITATION if self.expected else Outcome.UNEXPECTED_FAILURE

    @property
    def ran(self) -> bool:
        """Whether the item ran (a SKIP says nothing about conformance)."""
        return self.status != "SKIP"

    @property
    def unexpected(self) -> bool:
        """Whether the item ran and did not do what its expectation says."""
        return self.ran and not self.expected

    @property
    def failing(self) -> bool:
        """FAIL, ERROR or TIMEOUT, expected or not."""
        return self.status in FAILING_STATUSES

    def describe(self) -> str:
        """``PASS``, ``FAIL (expected)``, ``ERROR (unexpected)`` and so on."""
        if not self.ran:
            return self.status
        if self.status == "PASS":
            return "PASS" if self.expected else "PASS (unexpected)"
        return f"{self.status} ({'expected' if self.expected else 'unexpected'})"

    @classmethod
    def from_result(cls, result: ScenarioResult) -> ItemState:
        """The state of a full result."""
        return cls(
            status=result.status,
            expected=result.expected,
            covers=tuple(result.covers),
            limitation=result.limitation or _str_or_none(result.expectation.get("limitation")),
            flaky=result.flaky,
            outcomes=tuple(sorted(result.outcomes.items())),
            title=result.title,
            message=result.message,
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ItemState:
        """The inverse of :meth:`to_json` (one entry of a baseline's ``items``)."""
        return cls(
            status=str(data["status"]),
            expected=bool(data["expected"]),
            covers=tuple(str(c) for c in data.get("covers", ())),
            limitation=_str_or_none(data.get("limitation")),
            flaky=bool(data.get("flaky", False)),
            outcomes=tuple(sorted((str(k), int(v)) for k, v in data.get("outcomes", {}).items())),
        )

    def to_json(self) -> dict[str, Any]:
        """One entry of a baseline's ``items``: optional keys only when they say something."""
        data: dict[str, Any] = {
            "status": self.status, "expected": self.expected, "covers": list(self.covers),
        }
        if self.limitation:
            data["limitation"] = self.limitation
        if self.flaky:
            data["flaky"] = True
            data["outcomes"] = dict(self.outcomes)
        return data


def _str_or_none(value: Any) -> str | None:
    return str(value) if value else None


# Worst first: when the same item appears more than once in one side (hand-concatenated
# results), the side keeps its worst state, so a gate never overlooks a failure.
_SEVERITY = {
    Outcome.UNEXPECTED_FAILURE: 0,
    Outcome.UNEXPECTED_PASS: 1,
    Outcome.KNOWN_LIMITATION: 2,
    Outcome.PASS: 3,
    Outcome.NOT_RUN: 4,
}
_STATUS_SEVERITY = {"ERROR": 0, "TIMEOUT": 1, "FAIL": 2, "PASS": 3, "SKIP": 4}


def _severity(state: ItemState) -> tuple[int, int]:
    return (_SEVERITY[state.outcome], _STATUS_SEVERITY.get(state.status, 0))


@dataclass
class Snapshot:
    """One side of a comparison: the items of a run or of a baseline."""

    #: Where it was read from, for messages.
    source: str
    #: ``"baseline"``, ``"results.json"`` or ``"results.jsonl"``.
    kind: str
    suite_version: str
    run_id: str
    targets: list[str]
    items: dict[str, ItemState]
    interrupted: bool = False
    #: ``(K, N)`` when the side is the K-th of N shards of a suite.
    shard: tuple[int, int] | None = None
    #: Items that appeared more than once (the worst state was kept).
    duplicates: list[str] = field(default_factory=list)

    def covered(self) -> set[tuple[str, str]]:
        """(target, member) pairs exercised by items that ran."""
        pairs: set[tuple[str, str]] = set()
        for test, state in self.items.items():
            if state.ran:
                target = _target_of(test)
                pairs.update((target, name) for name in state.covers)
        return pairs


def _target_of(test: str) -> str:
    """The target of an item name ``scenario[target]``."""
    return test[test.rfind("[") + 1 : -1] if test.endswith("]") and "[" in test else ""


def snapshot_from_results(
    run_info: RunInfo, results: Iterable[ScenarioResult], *, source: str = "", kind: str = "results.json"
) -> Snapshot:
    """The snapshot of a run's results (items in report order)."""
    ordered = sort_results(results)
    items: dict[str, ItemState] = {}
    duplicates: list[str] = []
    for result in ordered:
        state = ItemState.from_result(result)
        previous = items.get(result.test)
        if previous is not None:
            if result.test not in duplicates:
                duplicates.append(result.test)
            if _severity(previous) <= _severity(state):
                continue
        items[result.test] = state
    return Snapshot(
        source=source or run_info.run_id,
        kind=kind,
        suite_version=run_info.suite_version,
        run_id=run_info.run_id,
        targets=ordered_targets(run_info.targets, ordered),
        items=items,
        interrupted=run_info.interrupted,
        shard=_parse_shard(run_info.shard),
        duplicates=duplicates,
    )


def baseline_schema() -> dict[str, Any]:
    """The JSON Schema of baseline.json (shipped as package data)."""
    return load_schema("baseline")


def baseline_document(
    results: Iterable[ScenarioResult], run_info: RunInfo | None = None
) -> dict[str, Any]:
    """The baseline of a run as a JSON-ready dict."""
    if run_info is None:
        run_info = RunInfo(run_id="", suite_version=suite_version(), targets=[])
    snapshot = snapshot_from_results(run_info, results)
    return {
        "kind": BASELINE_KIND,
        "schema_version": BASELINE_VERSION,
        "suite_version": run_info.suite_version,
        "run_id": run_info.run_id,
        "git_revision": run_info.git_revision,
        "browser": run_info.browser,
        "browser_version": run_info.browser_version,
        "targets": snapshot.targets,
        "items": {test: state.to_json() for test, state in snapshot.items.items()},
    }


def _dump_baseline(document: dict[str, Any]) -> str:
    """The document with one item per line, for readable diffs of a committed file."""
    head = {k: v for k, v in document.items() if k != "items"}
    lines = ["{"]
    for key, value in head.items():
        lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},")
    items = list(document["items"].items())
    if not items:
        lines.append('  "items": {}')
    else:
        lines.append('  "items": {')
        for number, (test, entry) in enumerate(items):
            comma = "," if number < len(items) - 1 else ""
            lines.append(
                f"    {json.dumps(test, ensure_ascii=False)}: "
                f"{json.dumps(entry, ensure_ascii=False)}{comma}"
            )
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_baseline(
    results: Iterable[ScenarioResult], path: Path | str, *, run_info: RunInfo | None = None
) -> Path:
    """Write the baseline of ``results`` to ``path`` atomically and return the path.

    ``run_info`` supplies the suite version and the run's identity; without it the
    installed suite's version is recorded. The parent folder is created if needed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = baseline_document(results, run_info)
    atomic_write_text(path, _dump_baseline(document))
    return path


def _validate_baseline(document: Any, path: Path) -> None:
    validator = jsonschema.Draft202012Validator(baseline_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(document)"
        raise ValueError(f"{path}: baseline is invalid at {where}: {error.message}")


def _parse_shard(text: str) -> tuple[int, int] | None:
    """``"K/N"`` as ``(K, N)``; ``None`` for an empty or malformed value."""
    k, slash, n = text.partition("/")
    if slash and k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n):
        return int(k), int(n)
    return None


def _current_item_name(name: str) -> str:
    """``id[redirected]`` (a baseline written before the target registry) as ``id[reference]``."""
    ident, bracket, target = name.partition("[")
    if not bracket or not target.endswith("]"):
        return name
    return f"{ident}[{unalias(target[:-1])}]"


def _snapshot_from_baseline(document: dict[str, Any], path: Path) -> Snapshot:
    version = document.get("schema_version")
    if version != BASELINE_VERSION:
        raise ValueError(
            f"{path}: baseline schema_version {version!r} is not supported "
            f"(this suite reads version {BASELINE_VERSION})"
        )
    _validate_baseline(document, path)
    items = {_current_item_name(str(k)): ItemState.from_json(v) for k, v in document["items"].items()}
    return Snapshot(
        source=str(path),
        kind="baseline",
        suite_version=str(document["suite_version"]),
        run_id=str(document.get("run_id") or ""),
        targets=[unalias(str(t)) for t in document.get("targets", [])],
        items=items,
    )


def load_snapshot(path: Path | str) -> Snapshot:
    """Read a comparison side from a baseline, a results.json, a run folder or a reports root.

    A JSON file is a baseline when its ``kind`` says so, a results.json otherwise; folders
    are read with :func:`conformance.reports.rundir.load_run` (so a killed run's
    results.jsonl works too). Raises ``ValueError`` with the path on anything unreadable.
    """
    path = Path(path)
    if path.is_file() and path.suffix == ".json":
        document = read_json(path)
        if isinstance(document, dict) and document.get("kind") == BASELINE_KIND:
            return _snapshot_from_baseline(document, path)
    run = load_run(path)
    return snapshot_from_results(run.run_info, run.results, source=str(path), kind=run.source)
