"""``conformance certify [PROFILE] [--target native|reference|attach|all] [--report-dir DIR]``.

:func:`add_certify_command` adds the sub-command to the ``conformance`` parser. Exit codes:
0 certified, 1 not certified, 2 the certification could not run (invalid profile, no
browser).
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
from pathlib import Path
from typing import Any

from conformance.backends.internet import TURN_TRANSPORTS
from conformance.certify.profile.apps import APPS_DIR
from conformance.certify.profile.loader import load_profile
from conformance.errors import ScenarioFileError
from conformance.network.topology import TOPOLOGIES
from conformance.options import add_target_arguments
from conformance.targets import options_from

__all__ = ["DEFAULT_PROFILE", "add_certify_command", "cmd_certify"]

#: The profile used without an argument: the bundled sample app's own.
DEFAULT_PROFILE = APPS_DIR / "sample" / "profile.yaml"
_EXIT_CERTIFIED, _EXIT_NOT_CERTIFIED, _EXIT_CANNOT_RUN = 0, 1, 2


def add_certify_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``certify`` to the ``conformance`` sub-commands (``parser.add_subparsers()``)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "certify",
        help="certify a calling app (a profile) on both targets; exit 0 only when certified",
        description="Drive a calling app through its profile on native Chromium and under the "
        "reference redirection, audit its API usage, and write a certification report "
        "(JSON, Markdown, HTML) to <report-dir>/certify/<run-id>/.",
    )
    parser.add_argument("profile", nargs="?", help="the app profile (default: the bundled sample app)")
    add_target_arguments(parser, default="all")
    parser.add_argument("--report-dir", help="reports folder (default: ./reports)")
    parser.add_argument("--validate", action="store_true", help="only check the profile; exit 1 on errors")
    parser.add_argument("--min-mos", type=float, metavar="X",
                        help="fail call-quality when the measured score (ViSQOL MOS-LQO, 1-5) is under X "
                             "(default: the score is reported only)")
    parser.add_argument("--far-end-network", choices=tuple(TOPOLOGIES),
                        help="put the suite's far end behind a NAT of its own (a topology of "
                             "--network): the peer-to-peer case; the run offers STUN from its own "
                             "coturn, to the far end and to the app through {ice_servers}")
    parser.add_argument("--turn", choices=TURN_TRANSPORTS,
                        help="also offer TURN over UDP or TCP (port 443) in {ice_servers}, from "
                             "the run's own coturn")
    parser.set_defaults(func=cmd_certify)
    return parser


def cmd_certify(args: argparse.Namespace, _extra: list[str] | None = None) -> int:
    """Run a certification from parsed arguments; the exit code."""
    from conformance.browser import BrowserNotFoundError
    from conformance.certify.report.folder import EVIDENCE_DIR, certification_folder, write_certification
    from conformance.certify.runner import certify, target_names
    from conformance.network.netns import NamespaceError
    from conformance.runinfo import new_run_id

    path = Path(args.profile) if args.profile else DEFAULT_PROFILE
    try:
        profile = load_profile(path, display_path=args.profile or "the bundled sample app's profile")
    except ScenarioFileError as exc:
        print(exc.render(), file=sys.stderr)
        return _EXIT_NOT_CERTIFIED if args.validate else _EXIT_CANNOT_RUN
    if args.validate:
        print(f"{profile.file}: valid profile of {profile.app.name!r}")
        return _EXIT_CERTIFIED
    command = "conformance certify " + shlex.join(sys.argv[2:] if sys.argv[1:2] == ["certify"] else [])
    run_id = new_run_id()
    reports_root = Path(args.report_dir or "reports")
    try:
        cert = asyncio.run(
            certify(
                profile,
                target_names(args.target),
                run_id=run_id,
                options=options_from(args),
                command=command.strip(),
                evidence_dir=certification_folder(reports_root, run_id) / EVIDENCE_DIR,
                min_mos=args.min_mos,
                far_end_network=args.far_end_network,
                turn=args.turn,
            )
        )
    except (BrowserNotFoundError, NamespaceError, ValueError) as exc:
        print(f"conformance certify: {exc}", file=sys.stderr)
        return _EXIT_CANNOT_RUN
    written = write_certification(cert, reports_root)
    _print_summary(cert, written)
    return _EXIT_CERTIFIED if cert.certified else _EXIT_NOT_CERTIFIED


def _print_summary(cert: Any, written: dict[str, Path]) -> None:
    from conformance.certify.checks import CHECKS
    from conformance.certify.report.markdown import SYMBOLS

    width = max(len(c.id) for c in CHECKS)
    print(f"{cert.app.name}: {cert.verdict.upper()}")
    for check in CHECKS:
        cells = []
        for target in cert.targets:
            result = cert.result(check.id, target)
            cells.append(
                f"{target} {SYMBOLS[result.verdict]} {result.verdict:<14}" if result else f"{target} ?"
            )
        print(f"  {check.id:<{width}}  " + "  ".join(cells))
    for result in cert.results:
        if result.verdict in ("fail", "error"):
            print(f"  - {result.check} on {result.target}: {result.summary}")
    errors = [f for f in cert.findings if f.severity == "error"]
    warnings = [f for f in cert.findings if f.severity == "warning"]
    print(f"findings: {len(errors)} error(s), {len(warnings)} warning(s)")
    for kind, path in written.items():
        print(f"{kind}: {path}")
