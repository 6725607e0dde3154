"""The ``conformance`` command line: run, list, validate, open, setup, and the report
commands (compare, baseline, merge, report) from :mod:`conformance.cli_reports`.

``run`` is a thin layer over pytest (the plugin does the work), so ``pytest scenarios/``
behaves the same; the CLI adds defaults (the ``scenarios`` folder, reports on) and options
in the suite's vocabulary.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from conformance.browser import BrowserNotFoundError
from conformance.errors import ScenarioFileError
from conformance.limitations import REGISTRY_FILENAME, load_limitations
from conformance.loader import iter_registry_usage, load_scenarios
from conformance.options import RUN_OPTIONS, add_options, add_target_arguments, forward
from conformance.targets import channel_problem, options_from

__all__ = ["main"]

DEFAULT_SCENARIOS = Path("scenarios")
#: The plugin's options that ``conformance run`` offers and forwards to pytest.
_RUN_OPTIONS = tuple(option for option in RUN_OPTIONS if option.run)


def _paths(values: Sequence[str]) -> list[Path]:
    paths = [Path(v) for v in values] or [DEFAULT_SCENARIOS]
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise SystemExit(f"conformance: no such file or folder: {', '.join(map(str, missing))}")
    return paths


#: pytest's own re-run selections, offered as they are (pytest's cache keeps the last run).
_PYTEST_SELECTION = {
    "--lf": "only the items that failed last time",
    "--ff": "the items that failed last time first, then the rest",
    "--sw": "stop at the first failure; the next run starts from it",
}


def cmd_run(args: argparse.Namespace, extra: list[str]) -> int:
    """Run scenarios through pytest with the suite's defaults."""
    import pytest

    problem = channel_problem(args.browser) if args.browser else None
    if problem:
        print(f"conformance run: {problem}", file=sys.stderr)
        return 2
    pytest_args = [str(p) for p in _paths(args.paths)]
    pytest_args += forward(args, _RUN_OPTIONS)
    if args.k:
        pytest_args += ["-k", args.k]
    if args.n is not None and args.n != "0":
        pytest_args += ["-n", args.n]
    if args.verbose:
        pytest_args.append("-v")
    pytest_args += [flag for flag in _PYTEST_SELECTION if getattr(args, flag.lstrip("-"))]
    # This process imported the plugin before pytest could rewrite its asserts (it has none).
    pytest_args += ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
    pytest_args += ["-rfE", *extra]
    return int(pytest.main(pytest_args))


def cmd_list(args: argparse.Namespace, _extra: list[str]) -> int:
    """Print the scenarios with their covered members and targets."""
    scenarios, failures = load_scenarios(_paths(args.paths))
    if args.format == "json":
        rows = [{"id": s.id, "title": s.title, "file": s.path, "covers": list(s.covers),
                 "targets": {t: e.to_json() for t, e in s.expect.items()}} for s in scenarios]
        print(json.dumps(rows, indent=2))
    else:
        for s in scenarios:
            targets = ", ".join(
                t if e.outcome == "pass" else f"{t} (limitation {e.limitation})"
                for t, e in s.expect.items()
            )
            print(f"{s.id}\n    {s.title}\n    covers: {', '.join(s.covers)}\n    targets: {targets}")
        print(f"\n{len(scenarios)} scenarios")
    for failure in failures:
        print(failure.render(), file=sys.stderr)
    return 1 if failures else 0


def cmd_validate(args: argparse.Namespace, _extra: list[str]) -> int:
    """Check scenario files and limitation registries; non-zero exit on any error."""
    paths = _paths(args.paths)
    problems = 0
    registries = sorted({r for p in paths for r in _registries(p)})
    for registry in registries:
        try:
            load_limitations(registry)
        except ScenarioFileError as exc:
            print(exc.render(), file=sys.stderr)
            problems += 1
    scenarios, failures = load_scenarios(paths, strict_javascript=True)
    for failure in failures:
        print(failure.render(), "\n", file=sys.stderr)
    problems += len(failures)
    used = set(iter_registry_usage(scenarios))
    for registry in registries:
        try:
            entries = load_limitations(registry)
        except ScenarioFileError:
            continue
        for ident, limitation in entries.items():
            if ident not in used and not limitation.untestable:
                print(f"{limitation.mark}: warning: limitation {ident!r} is not exercised by any "
                      "scenario", file=sys.stderr)
    print(f"{len(scenarios)} scenarios valid, {len(failures)} files with errors"
          + (f", {len(registries)} limitation registries checked" if registries else ""))
    return 1 if problems else 0


def _registries(path: Path) -> list[Path]:
    if path.is_dir():
        return [p.resolve() for p in path.rglob(REGISTRY_FILENAME)]
    from conformance.limitations import find_registry

    found = find_registry(path)
    return [found] if found else []


def cmd_setup(args: argparse.Namespace, _extra: list[str]) -> int:
    """Find a Chromium (installing Debian's package when allowed); print where it is. With
    ``--test-backends``, also the real backends the project's tests run (never fatal)."""
    from conformance.setup import ensure_chromium, ensure_soundcard, ensure_test_backends

    try:
        info = ensure_chromium(args.browser_path, install=not args.no_install)
    except BrowserNotFoundError as exc:
        print(f"conformance setup: {exc}", file=sys.stderr)
        return 1
    print(f"chromium: {info.path} ({info.source})")
    from conformance.wpt.testharness import PACKAGE, HarnessUnavailable, fetch_testharness

    try:  # for `conformance wpt`; everything else works without it
        print(f"testharness.js: {fetch_testharness()} (npm {PACKAGE})")
    except HarnessUnavailable as exc:
        print(f"conformance setup: warning: {exc}; `conformance wpt` needs it", file=sys.stderr)
    missing = ensure_soundcard(install=not args.no_install)
    print("sound card: " + (f"missing {', '.join(missing)} (native pages use Chromium's fake "
                            "devices and no speaker records)" if missing else "pulseaudio"))
    if args.test_backends:
        from conformance.setup import TEST_BACKEND_PACKAGES

        missing = ensure_test_backends(install=not args.no_install)
        print("test backends: " + (f"missing {', '.join(missing)} (those tests skip)" if missing
                                   else ", ".join(TEST_BACKEND_PACKAGES)))
        _fetch_catalog()
    return 0


def _fetch_catalog() -> None:
    """The stacks catalog's npm libraries and servers, into the cache (never fatal)."""
    from conformance.catalog import find_entries
    from conformance.catalog.runner import fetch
    from conformance.npm import NpmUnavailable

    try:
        fetched = fetch(find_entries())
    except NpmUnavailable as exc:
        print(f"conformance setup: warning: {exc}; `conformance catalog` needs it", file=sys.stderr)
        return
    print(f"catalog libraries: {', '.join(sorted(fetched))}")


def cmd_open(args: argparse.Namespace, _extra: list[str]) -> int:
    """Open a URL under a target (headed unless --headless)."""
    import asyncio

    from conformance.open_page import open_page

    if args.headless:
        args.headed = False
    else:
        args.headed = True
    return asyncio.run(open_page(args.url, target_name=args.target, options=options_from(args),
                                 timeout=args.timeout, with_runtime=args.with_runtime))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="conformance",
        description="Conformance suite for WebRTC calling apps under call redirection.",
        epilog="Arguments after `--` go to pytest unchanged.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run scenarios and write reports")
    run.add_argument("paths", nargs="*", help="scenario files or folders (default: scenarios)")
    # Without defaults: what is not given is not forwarded, and the plugin's default holds.
    add_options(run.add_argument, _RUN_OPTIONS, with_defaults=False)
    run.add_argument("-k", help="only scenarios whose item name matches this pytest expression")
    run.add_argument("-n", help="parallel workers (pytest-xdist), e.g. 2 or auto")
    run.add_argument("-v", "--verbose", action="store_true", help="one line per item")
    for flag, meaning in _PYTEST_SELECTION.items():
        run.add_argument(flag, action="store_true", help=f"pytest's {flag}: {meaning}")
    run.set_defaults(func=cmd_run)

    listing = commands.add_parser("list", help="list scenarios, what they cover, their targets")
    listing.add_argument("paths", nargs="*")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.set_defaults(func=cmd_list)

    validate = commands.add_parser("validate", help="check scenario files; exit 1 on errors")
    validate.add_argument("paths", nargs="*")
    validate.set_defaults(func=cmd_validate)

    opener = commands.add_parser("open", help="open any page under a target for exploration")
    opener.add_argument("url")
    add_target_arguments(opener, default="reference", single=True)
    opener.add_argument("--headless", action="store_true",
                        help="no window; wait until --timeout, Ctrl-C or the page closes")
    opener.add_argument("--timeout", type=float, default=None, help="seconds before closing")
    opener.add_argument("--with-runtime", action="store_true",
                        help="also inject the harness helpers (mic(), farEnd() needs a run)")
    opener.set_defaults(func=cmd_open)

    setup = commands.add_parser("setup", help="find or install a Chromium; fetch testharness.js")
    setup.add_argument("--browser-path")
    setup.add_argument("--no-install", action="store_true",
                       help="only look; never install a package")
    setup.add_argument("--test-backends", action="store_true",
                       help="also the real backends of the project's tests and the stacks catalog "
                       "(Debian's janus, janus-demos, coturn, kamailio, nodejs, npm) and the "
                       "catalog's npm libraries")
    setup.set_defaults(func=cmd_setup)

    from conformance.catalog import add_catalog_command
    from conformance.certify import add_certify_command
    from conformance.cli_host import add_host_commands
    from conformance.cli_reports import add_report_commands
    from conformance.wpt import add_wpt_command

    add_report_commands(commands)
    add_certify_command(commands)
    add_catalog_command(commands)
    add_host_commands(commands)
    add_wpt_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``conformance`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1:]
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args, extra))
    except BrokenPipeError:
        # `conformance list | head`: the reader is gone; say nothing more, as Unix tools do.
        # Point stdout at /dev/null so the interpreter's final flush cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    raise SystemExit(main())
