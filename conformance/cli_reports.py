"""The report commands of the ``conformance`` command line: compare, baseline, merge, report.

:func:`add_report_commands` adds them to the main parser's subcommands. Each command's
function takes ``(args, extra)`` like the others in :mod:`conformance.cli` and returns the
exit code:

- ``compare``: 0 the gate passes, 1 it fails (a regression, missing items, an interrupted
  run), 2 a side could not be read;
- ``baseline``, ``merge``, ``report``: 0 done, 1 could not be done (the reason on stderr),
  2 an input file could not be read (not JSON, not UTF-8, too large or too deep).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from conformance.reports.atomic import atomic_write_text
from conformance.reports.jsonio import InputError
from conformance.runinfo import LATEST_LINK, RESULTS_JSONL

if TYPE_CHECKING:
    from conformance.reports.rundir import LoadedRun
    from conformance.results import ScenarioResult

__all__ = [
    "DEFAULT_REPORTS",
    "add_report_commands",
    "cmd_baseline",
    "cmd_compare",
    "cmd_merge",
    "cmd_report",
]

#: Where runs go by default (``conformance run`` writes ``reports/<run-id>``).
DEFAULT_REPORTS = Path("reports")


def _error(command: str, message: object) -> None:
    print(f"conformance {command}: {message}", file=sys.stderr)


def cmd_compare(args: argparse.Namespace, _extra: list[str]) -> int:
    """Compare a run with a baseline; exit 1 on any regression."""
    from conformance.reports.compare import compare
    from conformance.reports.compare_report import comparison_to_json, render_comparison_md

    try:
        comparison = compare(
            args.baseline, args.current, flaky_as_regression=args.flaky_is_regression,
            allow_missing=args.allow_missing,
        )
    except ValueError as exc:
        _error("compare", exc)
        return 2
    if args.format == "json":
        text = json.dumps(comparison_to_json(comparison), indent=2, ensure_ascii=False) + "\n"
    else:
        text = render_comparison_md(comparison)
    if args.output:
        output = Path(args.output)
        output.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(output, text)
        # The report went to a file: still say on the console what decided the exit code.
        if comparison.has_regressions:
            print(f"{len(comparison.regressions)} regression(s):")
            for change in comparison.regressions:
                print(f"  {change.test}: {', '.join(change.kinds)}")
        else:
            print("no regressions")
        for problem in comparison.gate_problems:
            print(f"the gate fails: {problem}")
        print(f"comparison written to {output}")
    else:
        sys.stdout.write(text)
    for warning in comparison.warnings:
        _error("compare", f"warning: {warning}")
    for problem in comparison.gate_problems:
        _error("compare", f"the gate fails: {problem}")
    return 1 if comparison.fails_gate else 0


def cmd_baseline(args: argparse.Namespace, _extra: list[str]) -> int:
    """Write a baseline file from a run."""
    from conformance.reports.baseline import write_baseline
    from conformance.reports.rundir import load_run

    try:
        run = load_run(args.run)
    except InputError as exc:
        _error("baseline", exc)
        return 2
    except ValueError as exc:
        _error("baseline", exc)
        return 1
    if run.run_info.interrupted:
        _error(
            "baseline",
            f"warning: run {run.label} was interrupted; the baseline holds only the "
            f"{len(run.results)} items that finished",
        )
    path = write_baseline(run.results, args.output, run_info=run.run_info)
    print(f"baseline of run {run.label} ({len(run.results)} items) written to {path}")
    return 0


def cmd_merge(args: argparse.Namespace, _extra: list[str]) -> int:
    """Merge runs (typically shards) into one run folder with all its reports."""
    from conformance.reports.merge import write_merged_run

    try:
        run_dir, written = write_merged_run(
            args.runs,
            args.report_dir,
            allow_mixed_versions=args.allow_mixed_versions,
            duplicates="later" if args.prefer_later else "error",
            run_id=args.run_id,
        )
    except InputError as exc:
        _error("merge", exc)
        return 2
    except (ValueError, OSError) as exc:
        _error("merge", exc)
        return 1
    print(f"merged {len(args.runs)} runs into {run_dir}")
    for name, path in written.items():
        print(f"{name}: {path}")
    return 0


def _relinked(run: LoadedRun, out_dir: Path) -> list[ScenarioResult]:
    """The run's results with artifact paths made relative to ``out_dir``."""
    results = []
    for result in run.results:
        artifacts = {}
        for name, path in result.artifacts.items():
            pure = PurePosixPath(path.replace("\\", "/"))
            if pure.is_absolute() or ":" in path:
                artifacts[name] = path
                continue
            target = run.folder.resolve() / pure
            artifacts[name] = Path(os.path.relpath(target, out_dir.resolve())).as_posix()
        results.append(replace(result, artifacts=artifacts))
    return results


def _unique_labels(runs: list[LoadedRun]) -> list[str]:
    labels: list[str] = []
    for run in runs:
        label = run.label or run.folder.name
        candidate, number = label, 2
        while candidate in labels:
            candidate, number = f"{label} #{number}", number + 1
        labels.append(candidate)
    return labels


def cmd_report(args: argparse.Namespace, _extra: list[str]) -> int:
    """Re-render a run's reports, or render several runs side by side."""
    from conformance.reports import build_matrix, write_reports
    from conformance.reports.atomic import atomic_write_chunks
    from conformance.reports.limitation_info import annotate
    from conformance.reports.matrix_html import iter_runs_html, write_matrix_html
    from conformance.reports.outcome import ordered_targets
    from conformance.reports.rundir import load_run

    try:
        runs = [load_run(path) for path in args.runs]
    except InputError as exc:
        _error("report", exc)
        return 2
    except ValueError as exc:
        _error("report", exc)
        return 1
    if len(runs) == 1 and not args.output:
        run = runs[0]
        if run.source == RESULTS_JSONL:
            print(
                f"{run.folder}: no results.json (the run did not finish): reports rebuilt from "
                f"results.jsonl ({len(run.results)} finished results, marked interrupted)"
            )
        written = write_reports(run.folder, run.run_info, run.results)
        for name, path in written.items():
            print(f"{name}: {path}")
        return 0
    if not args.output:
        _error("report", "several runs are shown side by side in one page: give --output FILE")
        return 1
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    if len(runs) == 1:
        run = runs[0]
        results = annotate(_relinked(run, output.parent))
        matrix = build_matrix(results, ordered_targets(run.run_info.targets, results))
        write_matrix_html(output, matrix, run.run_info, results, run_dir=output.parent)
        print(f"html: {output}")
        return 0
    labels = _unique_labels(runs)
    atomic_write_chunks(output, iter_runs_html(
        [(label, run.run_info, annotate(_relinked(run, output.parent)))
         for label, run in zip(labels, runs, strict=True)],
        run_dir=output.parent,
    ))
    print(f"html: {output} ({len(runs)} runs side by side)")
    return 0


def add_report_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add ``compare``, ``baseline``, ``merge`` and ``report`` to the CLI's subcommands."""
    comp = subparsers.add_parser(
        "compare",
        help="compare a run with a baseline; exit 1 on any regression",
        description="List regressions (an expected pass now failing, a new ERROR or TIMEOUT, "
        "an outcome that became unexpected), improvements and coverage changes between "
        "BASELINE and CURRENT. Each may be a baseline file, a results.json, a run folder "
        "or a reports folder (its latest run). Exit status: 0 no regression, 1 "
        "regressions, 2 an input could not be read.",
    )
    comp.add_argument("baseline", metavar="BASELINE")
    comp.add_argument("current", metavar="CURRENT")
    comp.add_argument("--format", choices=("md", "json"), default="md",
                      help="report format (default: md)")
    comp.add_argument("--output", "-o", metavar="FILE",
                      help="write the report to FILE (the verdict still goes to stdout)")
    comp.add_argument("--allow-missing", action="store_true",
                      help="do not fail when baseline items are missing from the run (for a "
                           "--shard run only its shard's items are expected anyway) or when "
                           "the run was interrupted")
    comp.add_argument("--flaky-is-regression", action="store_true",
                      help="a flaky item (--repeat) whose reported status regressed fails the gate")
    comp.set_defaults(func=cmd_compare)

    base = subparsers.add_parser(
        "baseline",
        help="write a baseline file from a run",
        description="Write the baseline of RUN (default: reports/latest): per item its "
        "status, whether it was expected and what it covers; commit it and gate later runs "
        "with `conformance compare`.",
    )
    base.add_argument("run", metavar="RUN", nargs="?", default=str(DEFAULT_REPORTS / LATEST_LINK))
    base.add_argument("-o", "--output", default="baseline.json", metavar="FILE",
                      help="where to write it (default: baseline.json)")
    base.set_defaults(func=cmd_baseline)

    merge = subparsers.add_parser(
        "merge",
        help="merge runs (e.g. --shard K/N runs) into one run with one matrix",
        description="Combine runs into a new run folder under --report-dir with every "
        "report, and point its 'latest' at it. Runs of different suite versions are refused "
        "unless --allow-mixed-versions. An item present in two runs with different outcomes "
        "is an error unless --prefer-later (the later run's result is kept).",
    )
    merge.add_argument("runs", metavar="RUN", nargs="+",
                       help="run folders, results.json files or reports folders")
    merge.add_argument("--report-dir", default=str(DEFAULT_REPORTS), metavar="DIR",
                       help="where the merged run folder goes (default: reports)")
    merge.add_argument("--allow-mixed-versions", action="store_true",
                       help="merge runs of different suite versions")
    merge.add_argument("--prefer-later", action="store_true",
                       help="for an item in several runs, keep the later run's result")
    merge.add_argument("--run-id", help="id of the merged run (default: a new one)")
    merge.set_defaults(func=cmd_merge)

    report = subparsers.add_parser(
        "report",
        help="re-render a run's reports (also from an interrupted run's results.jsonl)",
        description="Rewrite the reports of RUN (results.json, run_info.json, junit.xml, "
        "matrix.md, matrix.html, compat.md, compat.html, wptreport.json; docs/reports.md) from "
        "its results.json or, when the run was killed before writing it, its results.jsonl. "
        "With several RUNs, write one side-by-side matrix.html to --output, each cell that "
        "changed from the run before it highlighted.",
    )
    report.add_argument("runs", metavar="RUN", nargs="+")
    report.add_argument("--output", "-o", metavar="FILE",
                        help="write only matrix.html, to FILE (required with several runs: "
                        "one column group per run)")
    report.set_defaults(func=cmd_report)
