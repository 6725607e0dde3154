"""``testharness.js`` for ``conformance wpt``: taken at set-up time from an npm package.

The project ships no WPT files. ``conformance setup`` (and so ``scripts/bootstrap.sh``)
runs ``npm pack`` for :data:`PACKAGE` and keeps its ``testharness/testharness.js`` in a
cache outside the repository (``$CONFORMANCE_CACHE``, default ``~/.cache/mmr-conformance``),
so it is never committed. A WPT checkout's own ``resources/testharness.js`` is preferred
when the tree has one (it matches its tests); the cached copy serves trees without it and
the project's own test files.
"""

from __future__ import annotations

from pathlib import Path

from conformance.npm import NpmUnavailable, cache_dir, unpacked

__all__ = ["PACKAGE", "HarnessUnavailable", "cached_testharness", "fetch_testharness"]

#: The npm package (pinned) whose tarball contains a testharness.js.
PACKAGE = "wpt-runner@7.0.0"
_MEMBER = "package/testharness/testharness.js"


class HarnessUnavailable(Exception):
    """testharness.js is not cached and cannot be fetched; the message says why."""


def cached_testharness() -> Path | None:
    """The cached testharness.js, if set-up fetched it."""
    path = cache_dir() / "wpt" / PACKAGE.replace("@", "-") / "testharness.js"
    return path if path.is_file() else None


def fetch_testharness() -> Path:
    """The cached testharness.js, fetching it with ``npm pack`` first if needed."""
    found = cached_testharness()
    if found is not None:
        return found
    target = cache_dir() / "wpt" / PACKAGE.replace("@", "-") / "testharness.js"
    try:
        package = unpacked(PACKAGE)
    except NpmUnavailable as exc:
        raise HarnessUnavailable(str(exc)) from None
    member = package / _MEMBER.removeprefix("package/")
    if not member.is_file():
        raise HarnessUnavailable(f"{PACKAGE} has no {_MEMBER}")
    data = member.read_bytes()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_bytes(data)
    partial.replace(target)  # atomic: a reader never sees half a file
    return target
