"""``conformance wpt``: web-platform-tests testharness.js files on the suite's targets.

A differential instrument: the same W3C test files run natively and under a redirection
(the reference one, or a product through ``attach``); the command writes a wptreport JSON
per target and a difference report (what passes natively and not there, grouped by the
first error message, mapped to named limitations). The project ships no WPT files: point
``--wpt-root`` at a checkout, or gather a named set of files into the cache with
``conformance wpt-fetch`` (:mod:`conformance.wpt.fetch`). See ``docs/wpt.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["NOT_APPLICABLE", "add_wpt_command", "run_wpt"]

DEFAULT_REPORTS = Path("reports") / "wpt"
#: Limitations whose differences are outside the measured share: the product redirects audio
#: calls (video is the reference's ref-video-capture) and documents its Web Audio node limit.
NOT_APPLICABLE = ("ref-video-capture", "webaudio-node-limit")


async def run_wpt(root: Path, paths: list[str], targets: tuple[str, ...], options: Any, *,
                  report_dir: Path, multiplier: float = 1.0,
                  limitations_file: Path | None = None,
                  not_applicable: tuple[str, ...] = NOT_APPLICABLE) -> dict[str, Any]:
    """Run the tests on each target, write the reports into ``report_dir``; the summary."""
    from conformance.limitations import load_limitations
    from conformance.reports.atomic import atomic_write_text
    from conformance.reports.wptreport import save_wptreport
    from conformance.wpt.report import differences, differences_markdown
    from conformance.wpt.runner import discover, run_target
    from conformance.wpt.server import WptServer
    from conformance.wpt.testharness import HarnessUnavailable, fetch_testharness

    tests = discover(root, paths)
    testharness = None
    if not (root / "resources" / "testharness.js").is_file():
        try:
            testharness = fetch_testharness()
        except HarnessUnavailable as error:
            raise SystemExit(f"conformance wpt: {error}") from None
    server = WptServer(root, testharness)
    reports: dict[str, dict[str, Any]] = {}
    try:
        for name in targets:
            reports[name] = await run_target(name, tests, server, options, multiplier=multiplier)
    finally:
        server.close()
    report_dir.mkdir(parents=True, exist_ok=True)
    for name, report in reports.items():
        save_wptreport(report_dir / f"wptreport-{name}.json", report)
    registry = limitations_file if limitations_file and limitations_file.is_file() else None
    diff = differences(reports, load_limitations(registry) if registry else {},
                       not_applicable=not_applicable)
    atomic_write_text(report_dir / "differences.json", json.dumps(diff, indent=1) + "\n")
    atomic_write_text(report_dir / "differences.md", differences_markdown(diff))
    return {"tests": len(tests), "report_dir": str(report_dir), "differences": diff}


def _cmd_wpt(args: argparse.Namespace, _extra: list[str]) -> int:
    from conformance.reports.atomic import update_latest_pointer
    from conformance.runinfo import new_run_id
    from conformance.targets import options_from, parse_targets

    root = Path(args.wpt_root)
    if not root.is_dir():
        print(f"conformance wpt: --wpt-root {root}: not a folder", file=sys.stderr)
        return 2
    reports_root = Path(args.report_dir) if args.report_dir else DEFAULT_REPORTS
    run_dir = reports_root / new_run_id()
    try:
        summary = asyncio.run(run_wpt(root, args.paths, parse_targets(args.target), options_from(args),
                                      report_dir=run_dir, multiplier=args.timeout_multiplier,
                                      limitations_file=Path(args.limitations),
                                      not_applicable=tuple(args.not_applicable)))
    except FileNotFoundError as error:
        print(f"conformance wpt: {error}", file=sys.stderr)
        return 2
    update_latest_pointer(reports_root, run_dir)
    print(f"{summary['tests']} test files; reports in {run_dir}")
    for target, data in summary["differences"]["targets"].items():
        print(f"{target}: {data['also_passing']} of {data['applicable']} applicable subtests "
              f"pass ({data['percent']} %; {data['native_passing']} pass natively, "
              f"{data['not_applicable']} not applicable), {len(data['groups'])} difference groups")
    return 0 if summary["tests"] else 2


def add_wpt_command(commands: Any) -> None:
    """Register ``conformance wpt`` on the CLI's sub-command parsers."""
    from conformance.options import add_target_arguments

    wpt = commands.add_parser("wpt", help="run web-platform-tests files on targets and diff them")
    wpt.add_argument("--wpt-root", required=True, help="a web-platform-tests checkout (or WPT-layout folder)")
    wpt.add_argument("paths", nargs="*", help="files or folders inside the tree (default: all)")
    add_target_arguments(wpt, default="all")
    wpt.add_argument("--report-dir", help=f"reports folder (default: {DEFAULT_REPORTS})")
    wpt.add_argument("--timeout-multiplier", type=float, default=1.0,
                     help="scale the per-file deadlines (10 s, 60 s for timeout=long)")
    wpt.add_argument("--limitations", default="scenarios/limitations.yaml",
                     help="the limitation registry differences are mapped to")
    wpt.add_argument("--not-applicable", type=lambda text: [i for i in text.split(",") if i],
                     default=list(NOT_APPLICABLE), metavar="ID,...",
                     help="limitation ids whose differences leave the share's denominator "
                     f"(default: {','.join(NOT_APPLICABLE)})")
    wpt.set_defaults(func=_cmd_wpt)

    fetch = commands.add_parser("wpt-fetch", help="gather a named set of WPT files into the cache")
    fetch.add_argument("--from", dest="source", required=True,
                       help="a web-platform-tests git clone, or an export folder <commit>/<path>")
    fetch.add_argument("--set", default=None, help="a bundled set name or a set file "
                       "(default: webrtc-audio)")
    fetch.add_argument("--dest", help="where to gather it (default: $CONFORMANCE_CACHE/wpt-tree/<set>)")
    fetch.set_defaults(func=_cmd_wpt_fetch)


def _cmd_wpt_fetch(args: argparse.Namespace, _extra: list[str]) -> int:
    from conformance.wpt.fetch import DEFAULT_SET, FetchError, fetch_set, read_set

    try:
        name, entries = read_set(args.set or DEFAULT_SET)
        got = fetch_set(name, entries, Path(args.source), Path(args.dest) if args.dest else None)
    except FetchError as error:
        print(f"conformance wpt-fetch: {error}", file=sys.stderr)
        return 2
    for item in got["files"]:
        print(f"{item['commit'][:12]}  {item['bytes']:>7}  {item['path']}")
    commits = ", ".join(f"{c[:12]} ({n})" for c, n in got["commits"].items())
    print(f"{len(got['files'])} files, {got['total_bytes']} bytes, from commits {commits}; "
          f"in {got['tree']} (conformance wpt --wpt-root {got['tree']})")
    return 0
