"""``conformance host`` and ``conformance extension build``: the reference redirection for
browsers the suite did not start.

``conformance host`` runs a standalone reference host (the local device) until Ctrl-C or
SIGTERM and writes what a page needs to reach it (its loopback URL and page secret) to a
file readable by the owner only. ``conformance extension build OUTDIR`` turns that into an
unpacked Manifest V3 extension that redirects every page of a Chrome or Edge it is loaded
into (see ``docs/targets.md``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_host_commands"]


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (it holds a secret), atomically:
    a reader waiting for the file never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(partial, path)


async def _serve(args: argparse.Namespace) -> int:
    from reference_impl import ReferenceHost, build_extension

    host = await ReferenceHost.start()
    try:
        binding = host.page_binding()
        print(f"reference host {host.version} listening on {host.url} (pid {host.pid})", flush=True)
        # The extension first: whoever waits for the info file may use the extension at once.
        if args.extension:
            folder = build_extension(args.extension, binding)
            print(f"extension for this host: {folder} (load it unpacked in Chrome or Edge)", flush=True)
        if args.info:
            _write_private(Path(args.info), json.dumps({**binding, "pid": host.pid}, indent=2) + "\n")
            print(f"host info (URL and page secret, owner-only): {args.info}", flush=True)
        print("press Ctrl-C to stop", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        watch = asyncio.ensure_future(host.wait_exit(timeout=10 ** 9))
        stopper = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({watch, stopper}, timeout=args.timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        for task in (watch, stopper):
            task.cancel()
        if watch in done:
            print(f"the reference host exited; its last output:\n{host.stderr_tail()}", file=sys.stderr)
            return 1
        return 0
    finally:
        await host.close()


def cmd_host(args: argparse.Namespace, _extra: list[str]) -> int:
    """Run a standalone reference host until interrupted."""
    return asyncio.run(_serve(args))


def cmd_extension_build(args: argparse.Namespace, _extra: list[str]) -> int:
    """Write the reference redirection extension bound to a running host."""
    from reference_impl import build_extension

    binding: dict[str, Any]
    if args.host_info:
        try:
            binding = json.loads(Path(args.host_info).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"conformance extension build: cannot read {args.host_info}: {exc}", file=sys.stderr)
            return 2
    elif args.url and args.secret:
        binding = {"url": args.url, "secret": args.secret}
    else:
        print("conformance extension build: give --host-info FILE (from `conformance host --info`) "
              "or --url and --secret", file=sys.stderr)
        return 2
    try:
        folder = build_extension(args.out_dir, {k: str(v) for k, v in binding.items()})
    except (ValueError, OSError) as exc:
        print(f"conformance extension build: {exc}", file=sys.stderr)
        return 2
    print(f"extension written to {folder}: load it unpacked in Chrome or Edge, or start "
          f"Chromium with --load-extension={folder}")
    return 0


def add_host_commands(commands: Any) -> None:
    """Add ``host`` and ``extension`` to the ``conformance`` sub-commands."""
    host = commands.add_parser("host", help="run a standalone reference host (the local device)")
    host.add_argument("--info", metavar="FILE",
                      help="write the host's URL and page secret here (owner-only file)")
    host.add_argument("--extension", metavar="DIR",
                      help="also build the reference redirection extension for this host in DIR")
    host.add_argument("--timeout", type=float, default=None,
                      help="stop after this many seconds (default: until Ctrl-C or SIGTERM)")
    host.set_defaults(func=cmd_host)

    extension = commands.add_parser("extension", help="the reference redirection as a browser extension")
    actions = extension.add_subparsers(dest="action", required=True)
    build = actions.add_parser("build", help="write an unpacked Manifest V3 extension bound to a host")
    build.add_argument("out_dir", metavar="OUTDIR")
    build.add_argument("--host-info", metavar="FILE", help="the file `conformance host --info` wrote")
    build.add_argument("--url", help="the host's ws://127.0.0.1:PORT URL")
    build.add_argument("--secret", help="the host's page secret")
    build.set_defaults(func=cmd_extension_build)
