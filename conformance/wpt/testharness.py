"""``testharness.js`` for ``conformance wpt``: taken at set-up time from an npm package.

The project ships no WPT files. ``conformance setup`` (and so ``scripts/bootstrap.sh``)
runs ``npm pack`` for :data:`PACKAGE` and keeps its ``testharness/testharness.js`` in a
cache outside the repository (``$CONFORMANCE_CACHE``, default ``~/.cache/mmr-conformance``),
so it is never committed. A WPT checkout's own ``resources/testharness.js`` is preferred
when the tree has one (it matches its tests); the cached copy serves trees without it and
the project's own test files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

__all__ = ["PACKAGE", "HarnessUnavailable", "cached_testharness", "fetch_testharness"]

#: The npm package (pinned) whose tarball contains a testharness.js.
PACKAGE = "wpt-runner@7.0.0"
_MEMBER = "package/testharness/testharness.js"
_NPM_TIMEOUT_S = 180


class HarnessUnavailable(Exception):
    """testharness.js is not cached and cannot be fetched; the message says why."""


def _cache_dir() -> Path:
    root = os.environ.get("CONFORMANCE_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "mmr-conformance"


def cached_testharness() -> Path | None:
    """The cached testharness.js, if set-up fetched it."""
    path = _cache_dir() / "wpt" / PACKAGE.replace("@", "-") / "testharness.js"
    return path if path.is_file() else None


def fetch_testharness() -> Path:
    """The cached testharness.js, fetching it with ``npm pack`` first if needed."""
    found = cached_testharness()
    if found is not None:
        return found
    npm = shutil.which("npm")
    if npm is None:
        raise HarnessUnavailable("npm is not installed: install Node.js's npm to fetch "
                                     f"testharness.js from {PACKAGE}")
    target = _cache_dir() / "wpt" / PACKAGE.replace("@", "-") / "testharness.js"
    with tempfile.TemporaryDirectory() as scratch:
        try:
            done = subprocess.run([npm, "pack", PACKAGE, "--silent", "--pack-destination", scratch],
                                  capture_output=True, text=True, timeout=_NPM_TIMEOUT_S,
                                  check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise HarnessUnavailable(f"`npm pack {PACKAGE}` did not finish in "
                                         f"{_NPM_TIMEOUT_S} s") from None
        tarballs = sorted(Path(scratch).glob("*.tgz"))
        if done.returncode != 0 or not tarballs:
            raise HarnessUnavailable(f"`npm pack {PACKAGE}` failed: "
                                         f"{(done.stderr or done.stdout).strip()[-300:]}")
        with tarfile.open(tarballs[0]) as archive:
            try:
                member = archive.extractfile(_MEMBER)
            except KeyError:
                member = None
            if member is None:
                raise HarnessUnavailable(f"{PACKAGE} has no {_MEMBER}")
            data = member.read()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_bytes(data)
    partial.replace(target)  # atomic: a reader never sees half a file
    return target
