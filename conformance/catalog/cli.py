"""``conformance catalog run|fetch|list|merge``: the stacks catalog and its matrix.

- ``run [STACK...]``: certify every entry (or those named) on ``native`` and ``reference``
  (``--target`` adds ``attach``), ``--jobs`` at a time, and write the matrix to
  ``<report-dir>/catalog/`` (and ``--docs`` its Markdown, by default ``docs/stacks.md``
  when run in the project's folder with every entry);
- ``fetch [STACK...]``: fetch the entries' npm libraries into the cache (set-up does it);
- ``list``: the entries, their libraries and backends;
- ``merge JSON... --out DIR``: one matrix from several runs' ``stacks.json`` (one CI job
  per stack).

Exit codes of ``run``: 0 when every stack ran (whatever its verdict: the matrix is the
product), 1 when a stack's backend or certification could not run (an ERROR row).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["add_catalog_command"]


def add_catalog_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``catalog`` to the ``conformance`` sub-commands."""
    from conformance.options import add_target_arguments

    parser: argparse.ArgumentParser = subparsers.add_parser(
        "catalog", help="the open-source calling stacks: certify each against its real backend",
        description="Certify the catalog's stacks (catalog/<stack>/) and write the matrix.")
    commands = parser.add_subparsers(dest="catalog_command", required=True)
    run = commands.add_parser("run", help="certify the stacks and write the matrix")
    run.add_argument("stacks", nargs="*", metavar="STACK", help="entries to run (default: all)")
    add_target_arguments(run, default="all")
    run.add_argument("--jobs", "-j", type=int, default=min(2, os.cpu_count() or 1),
                     help="stacks certified at once (default: 2, or 1 on one core)")
    run.add_argument("--report-dir", default="reports", help="reports folder (default: ./reports)")
    run.add_argument("--catalog", type=Path, help="the catalog folder (default: the suite's catalog/)")
    run.add_argument("--docs", help="also write the Markdown matrix here (default: docs/stacks.md "
                     "when every entry of the project's catalog runs)")
    run.set_defaults(func=_cmd_run)
    fetch = commands.add_parser("fetch", help="fetch the stacks' npm libraries into the cache")
    fetch.add_argument("stacks", nargs="*", metavar="STACK")
    fetch.set_defaults(func=_cmd_fetch)
    listing = commands.add_parser("list", help="the catalog's entries")
    listing.set_defaults(func=_cmd_list)
    merge = commands.add_parser("merge", help="one matrix from several runs' stacks.json")
    merge.add_argument("files", nargs="+", type=Path, metavar="STACKS_JSON")
    merge.add_argument("--out", type=Path, required=True)
    merge.set_defaults(func=_cmd_merge)
    return parser


def _entries(names: list[str], root: Path | None = None) -> list[Any] | None:
    from conformance.catalog.entry import CATALOG_DIR, find_entries
    from conformance.errors import ScenarioFileError

    try:
        return find_entries(names or None, root or CATALOG_DIR)
    except ScenarioFileError as exc:
        print(exc.render(), file=sys.stderr)
    except KeyError as exc:
        print(f"conformance catalog: {exc.args[0]}", file=sys.stderr)
    return None


def _cmd_fetch(args: argparse.Namespace, _extra: list[str] | None = None) -> int:
    from conformance.catalog.runner import fetch
    from conformance.npm import NpmUnavailable

    entries = _entries(args.stacks)
    if entries is None:
        return 2
    try:
        for stack, folder in fetch(entries).items():
            print(f"{stack}: {folder}")
    except NpmUnavailable as exc:
        print(f"conformance catalog fetch: {exc}", file=sys.stderr)
        return 1
    return 0


def _cmd_list(args: argparse.Namespace, _extra: list[str] | None = None) -> int:
    entries = _entries([])
    if entries is None:
        return 2
    for entry in entries:
        print(f"{entry.id:<20} {entry.name:<28} {entry.library:<26} backend {entry.backend}")
    return 0


def _cmd_run(args: argparse.Namespace, _extra: list[str] | None = None) -> int:
    from conformance.catalog.entry import CATALOG_DIR
    from conformance.catalog.matrix import write_matrix
    from conformance.catalog.runner import fetch, run_entries
    from conformance.npm import NpmUnavailable
    from conformance.targets import options_from, parse_targets

    entries = _entries(args.stacks, args.catalog)
    if entries is None:
        return 2
    try:
        fetch(entries)
    except NpmUnavailable as exc:
        print(f"conformance catalog run: {exc}", file=sys.stderr)
        return 2
    targets = parse_targets(args.target)
    if getattr(args, "cdp", None) and "attach" not in targets:
        targets = (*targets, "attach")
    out = Path(args.report_dir) / "catalog"
    started = time.monotonic()
    rows = run_entries(entries, targets, out, jobs=max(1, args.jobs), options=options_from(args))
    duration = time.monotonic() - started
    docs = Path(args.docs) if args.docs else None
    project_docs = CATALOG_DIR.parent / "docs" / "stacks.md"
    if (docs is None and not args.stacks and args.catalog is None
            and Path.cwd().resolve() == CATALOG_DIR.parent):
        docs = project_docs
    written = write_matrix(rows, out, markdown_copy=docs, duration=duration)
    for row in rows:
        verdict = "ERROR: " + row["error"] if row.get("error") else row["certification"]["verdict"]
        print(f"{row['name']}: {verdict} ({row['duration']:.0f} s)")
    print(f"catalog: {len(rows)} stack(s) in {duration:.0f} s (jobs {args.jobs})")
    for kind, path in written.items():
        print(f"{kind}: {path}")
    return 1 if any(row.get("error") for row in rows) else 0


def _cmd_merge(args: argparse.Namespace, _extra: list[str] | None = None) -> int:
    from conformance.catalog.matrix import merge_rows, write_matrix

    written = write_matrix(merge_rows(args.files), args.out)
    for kind, path in written.items():
        print(f"{kind}: {path}")
    return 0
