"""Merging runs: the shards of one suite run (``conformance run --shard K/N`` on several
machines) become one run with one set of reports.

Rules:

- **Versions.** Runs of different suite versions measure different things, so they are
  refused unless ``allow_mixed_versions`` (the error names each version and its runs). A
  run read from results.jsonl alone (killed before its end) has an unknown version and is
  therefore refused too unless allowed.
- **Duplicates.** Shards are disjoint, so an item (``<scenario>[<target>]``) present in
  two runs usually means a shard was re-run or given twice. If both results agree (same
  status, same expected-ness, same flakiness) the one from the later run is kept.
  Otherwise merging fails and names every conflicting item, unless
  ``duplicates="later"``, which keeps the later run's result (how a re-run of a failed
  shard replaces it). "Later" is by ``run_info.start_time`` when every run has one, else
  by the order the runs were given.
- **Run info.** Targets are the union; ``start_time`` the earliest, ``end_time`` the
  latest; ``interrupted`` if any run was; ``workers`` the sum; fields that differ
  (browser version, platform...) list the distinct values, comma-separated;
  ``merged_from`` records each run.
- **Artifacts.** :func:`write_merged_run` copies each kept result's artifact files into
  the new run folder, at the same relative path (renamed into
  ``artifacts/merged/<run-id>/`` if two runs collide), so its reports link to them.
"""

from __future__ import annotations

import filecmp
import shlex
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Literal

from conformance.reports.atomic import update_latest_pointer
from conformance.reports.jsonl import ResultsLog
from conformance.reports.outcome import ordered_targets, sort_results
from conformance.reports.rundir import UNKNOWN_VERSION, LoadedRun, load_run
from conformance.reports.writer import write_reports
from conformance.results import RunInfo, ScenarioResult
from conformance.runinfo import ARTIFACTS_DIR, RESULTS_JSONL, new_run_id

__all__ = [
    "DuplicatePolicy",
    "MergeError",
    "MergedRun",
    "merge_loaded_runs",
    "merge_runs",
    "write_merged_run",
]

DuplicatePolicy = Literal["error", "later"]


class MergeError(ValueError):
    """The runs cannot be merged as asked; the message says why and what to do."""


@dataclass
class MergedRun:
    """The outcome of a merge: the combined run, and where each result came from."""

    run_info: RunInfo
    results: list[ScenarioResult]
    #: For each result (same order), the run it was taken from.
    origins: list[LoadedRun]
    #: Items found in more than one run, and which run's result was kept.
    duplicates: dict[str, str]


def _check_versions(runs: Sequence[LoadedRun], allow_mixed: bool) -> None:
    versions: dict[str, list[str]] = {}
    for run in runs:
        versions.setdefault(run.run_info.suite_version, []).append(run.label)
    if len(versions) <= 1 or allow_mixed:
        return
    listed = "; ".join(f"{version} ({', '.join(labels)})" for version, labels in versions.items())
    hint = ""
    if UNKNOWN_VERSION in versions:
        hint = (
            f" Version '{UNKNOWN_VERSION}' means the run was killed before writing results.json, "
            "so only its results.jsonl was read."
        )
    raise MergeError(
        f"cannot merge runs of different suite versions: {listed}.{hint} "
        "Re-run them with one suite version, or pass --allow-mixed-versions "
        "(allow_mixed_versions=True) to merge anyway."
    )


def _chronological(runs: Sequence[LoadedRun]) -> list[int]:
    """Indices of ``runs`` from earliest to latest (see the module docstring)."""
    order = list(range(len(runs)))
    if all(run.run_info.start_time for run in runs):
        order.sort(key=lambda i: (runs[i].run_info.start_time, i))
    return order


def _same_outcome(a: ScenarioResult, b: ScenarioResult) -> bool:
    return (a.status, a.expected, a.flaky) == (b.status, b.expected, b.flaky)


def _distinct(values: Sequence[str | None]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


def _joined(values: Sequence[str | None]) -> str:
    return ", ".join(_distinct(values))


def _combined_info(
    runs: Sequence[LoadedRun], results: Sequence[ScenarioResult], run_id: str,
    kept: dict[int, int], command: str,
) -> RunInfo:
    infos = [run.run_info for run in runs]
    starts = [i.start_time for i in infos if i.start_time]
    ends = [i.end_time for i in infos if i.end_time]
    targets: list[str] = []
    for info in infos:
        targets.extend(t for t in info.targets if t not in targets)
    return RunInfo(
        run_id=run_id,
        suite_version=" + ".join(_distinct([i.suite_version for i in infos])),
        targets=ordered_targets(targets, results),
        browser=_joined([i.browser for i in infos]),
        browser_version=_joined([i.browser_version for i in infos]),
        platform=_joined([i.platform for i in infos]),
        python=_joined([i.python for i in infos]),
        git_revision=_joined([i.git_revision for i in infos]) or None,
        reference_impl_version=_joined([i.reference_impl_version for i in infos]) or None,
        start_time=min(starts) if starts else "",
        end_time=max(ends) if ends else "",
        interrupted=any(i.interrupted for i in infos),
        workers=sum(max(i.workers, 1) for i in infos),
        command=command,
        merged_from=[
            {
                "run_id": run.run_info.run_id,
                "suite_version": run.run_info.suite_version,
                "targets": list(run.run_info.targets),
                "browser_version": run.run_info.browser_version,
                "start_time": run.run_info.start_time,
                "end_time": run.run_info.end_time,
                "interrupted": run.run_info.interrupted,
                "results": kept.get(index, 0),
                "source": str(run.folder),
            }
            for index, run in enumerate(runs)
        ],
    )


def merge_loaded_runs(
    runs: Sequence[LoadedRun],
    *,
    allow_mixed_versions: bool = False,
    duplicates: DuplicatePolicy = "error",
    run_id: str | None = None,
    command: str = "",
) -> MergedRun:
    """Merge runs already read (see the module docstring for the rules)."""
    if not runs:
        raise MergeError("nothing to merge: give at least one run")
    _check_versions(runs, allow_mixed_versions)
    chosen: dict[str, tuple[int, ScenarioResult]] = {}
    duplicated: dict[str, str] = {}
    conflicts: list[str] = []
    for index in _chronological(runs):
        for result in runs[index].results:
            previous = chosen.get(result.test)
            if previous is not None:
                earlier_index, earlier = previous
                duplicated[result.test] = runs[index].label
                if not _same_outcome(earlier, result) and duplicates == "error":
                    conflicts.append(
                        f"{result.test}: {earlier.status} in {runs[earlier_index].label} "
                        f"({runs[earlier_index].folder}), {result.status} in {runs[index].label} "
                        f"({runs[index].folder})"
                    )
            chosen[result.test] = (index, result)
    if conflicts:
        shown = "\n  ".join(conflicts[:20])
        more = f"\n  and {len(conflicts) - 20} more" if len(conflicts) > 20 else ""
        raise MergeError(
            f"{len(conflicts)} item(s) appear in more than one run with different outcomes:\n"
            f"  {shown}{more}\nGive each item once, or pass --prefer-later "
            "(duplicates='later') to keep the later run's result."
        )
    ordered = sort_results(result for _, result in chosen.values())
    origin_of = {result.test: runs[index] for index, result in chosen.values()}
    kept: dict[int, int] = {}
    for index, _ in chosen.values():
        kept[index] = kept.get(index, 0) + 1
    info = _combined_info(runs, ordered, new_run_id() if run_id is None else run_id, kept, command)
    return MergedRun(info, ordered, [origin_of[r.test] for r in ordered], duplicated)


def merge_runs(
    run_dirs_or_files: Sequence[Path | str],
    *,
    allow_mixed_versions: bool = False,
    duplicates: DuplicatePolicy = "error",
    run_id: str | None = None,
) -> tuple[RunInfo, list[ScenarioResult]]:
    """Merge runs given as run folders, results.json files or reports roots.

    Returns the combined run info and results (in report order). Raises
    :class:`MergeError` on mixed suite versions (unless ``allow_mixed_versions``) or on
    conflicting duplicates (unless ``duplicates="later"``), ``ValueError`` when a run
    cannot be read.
    """
    merged = _merge_paths(run_dirs_or_files, allow_mixed_versions, duplicates, run_id)
    return merged.run_info, merged.results


def _merge_paths(
    sources: Sequence[Path | str], allow_mixed_versions: bool, duplicates: DuplicatePolicy,
    run_id: str | None,
) -> MergedRun:
    runs = [load_run(source) for source in sources]
    command = shlex.join(["conformance", "merge", *(str(s) for s in sources)])
    return merge_loaded_runs(
        runs, allow_mixed_versions=allow_mixed_versions, duplicates=duplicates,
        run_id=run_id, command=command,
    )


def _safe_relative(path: str) -> PurePosixPath | None:
    """``path`` if it is a plain relative path inside a run folder, else ``None``."""
    pure = PurePosixPath(path.replace("\\", "/"))
    if not pure.parts or pure.is_absolute() or ".." in pure.parts or ":" in pure.parts[0]:
        return None
    return pure


def _copy_artifacts(result: ScenarioResult, origin: LoadedRun, run_dir: Path) -> ScenarioResult:
    """Copy the result's artifact files into ``run_dir``; return it with updated paths."""
    artifacts: dict[str, str] = {}
    for name, relative in result.artifacts.items():
        pure = _safe_relative(relative)
        source = origin.folder / pure if pure is not None else None
        if pure is None or source is None or not source.is_file():
            artifacts[name] = relative  # keep the record as it was: nothing to copy
            continue
        target = run_dir / pure
        if target.exists() and not filecmp.cmp(source, target, shallow=False):
            pure = PurePosixPath(ARTIFACTS_DIR, "merged", origin.label, *pure.parts)
            target = run_dir / pure
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.copy2(source, target)
        artifacts[name] = pure.as_posix()
    return replace(result, artifacts=artifacts)


def write_merged_run(
    run_dirs_or_files: Sequence[Path | str],
    report_dir: Path | str,
    *,
    allow_mixed_versions: bool = False,
    duplicates: DuplicatePolicy = "error",
    run_id: str | None = None,
    update_latest: bool = True,
) -> tuple[Path, dict[str, Path]]:
    """Merge runs and write the result as a normal run folder under ``report_dir``.

    The folder gets results.jsonl, every report (see
    :func:`conformance.reports.writer.write_reports`) and the artifacts of the kept results;
    ``report_dir/latest`` then points at it unless ``update_latest`` is false. Returns the
    run folder and the written reports' paths.
    """
    merged = _merge_paths(run_dirs_or_files, allow_mixed_versions, duplicates, run_id)
    root = Path(report_dir)
    run_dir = root / merged.run_info.run_id
    if run_dir.exists() and any(run_dir.iterdir()):
        raise MergeError(f"{run_dir} already exists and is not empty: choose another run id")
    run_dir.mkdir(parents=True, exist_ok=True)
    results = [
        _copy_artifacts(result, origin, run_dir)
        for result, origin in zip(merged.results, merged.origins, strict=True)
    ]
    # A normal run folder has its log too: `conformance report` and later merges read it.
    with ResultsLog(run_dir / RESULTS_JSONL) as log:
        log.extend(results)
    written = write_reports(run_dir, merged.run_info, results)
    if update_latest:
        update_latest_pointer(root, run_dir)
    return run_dir, written
