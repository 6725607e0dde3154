"""npm packages fetched at set-up time into a cache outside the repository, never committed.

One mechanism for every package the suite takes from the npm registry: ``testharness.js``
(:mod:`conformance.wpt.testharness`) and the stacks catalog's client libraries and servers
(:mod:`conformance.catalog`). The cache is ``$CONFORMANCE_CACHE`` (default
``~/.cache/mmr-conformance``); a package is fetched once per pinned version:

- :func:`unpacked` (``npm pack``): the package's own files, no dependencies (browser bundles);
- :func:`installed` (``npm install``): a package with its dependencies (a server run by node);
- :func:`bundled`: a package published without a browser build, bundled as its own build does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

__all__ = ["ESBUILD", "NpmUnavailable", "bundled", "cache_dir", "installed", "unpacked"]

_NPM_TIMEOUT_S = 300


class NpmUnavailable(Exception):
    """A package is not cached and cannot be fetched; the message says why."""


def cache_dir() -> Path:
    """The suite's cache folder (``$CONFORMANCE_CACHE`` or ``~/.cache/mmr-conformance``)."""
    root = os.environ.get("CONFORMANCE_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "mmr-conformance"


def _folder(kind: str, spec: str) -> Path:
    return cache_dir() / kind / spec.replace("/", "+").replace("@", "-").lstrip("-")


def _npm(args: list[str], spec: str, cwd: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise NpmUnavailable(f"npm is not installed: install Node.js's npm to fetch {spec}")
    try:
        done = subprocess.run([npm, *args], cwd=cwd, capture_output=True, text=True,
                              timeout=_NPM_TIMEOUT_S, check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise NpmUnavailable(f"`npm {args[0]} {spec}` did not finish in {_NPM_TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise NpmUnavailable(f"`npm {args[0]} {spec}` failed: {(done.stderr or done.stdout).strip()[-300:]}")


def unpacked(spec: str, *, fetch: bool = True) -> Path:
    """The folder holding the files of the npm package ``spec`` (``name@version``), fetched
    with ``npm pack`` and unpacked first if needed (``fetch=False``: raise instead)."""
    target = _folder("npm", spec)
    if (target / "package.json").is_file():
        return target
    if not fetch:
        raise NpmUnavailable(f"{spec} is not fetched yet (`conformance catalog fetch` fetches it)")
    with tempfile.TemporaryDirectory() as scratch:
        _npm(["pack", spec, "--silent", "--pack-destination", scratch], spec, Path(scratch))
        tarballs = sorted(Path(scratch).glob("*.tgz"))
        if not tarballs:
            raise NpmUnavailable(f"`npm pack {spec}` made no tarball")
        unpack = Path(scratch) / "unpacked"
        with tarfile.open(tarballs[0]) as archive:
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: refuses links out of it
                archive.extractall(unpack, filter="data")
            else:  # pragma: no cover - older 3.11 releases
                archive.extractall(unpack)
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(unpack / "package", partial)
        partial.replace(target)  # atomic: a reader never sees half a package
    return target


def installed(spec: str, *, fetch: bool = True) -> Path:
    """The ``node_modules/<name>`` folder of ``spec`` installed with its dependencies
    (``npm install`` into the cache), installing it first if needed."""
    name = spec.rsplit("@", 1)[0] if spec.rfind("@") > 0 else spec
    prefix = _folder("npm-install", spec)
    target = prefix / "node_modules" / name
    if (target / "package.json").is_file():
        return target
    if not fetch:
        raise NpmUnavailable(f"{spec} is not installed yet (`conformance catalog fetch` installs it)")
    prefix.mkdir(parents=True, exist_ok=True)
    _npm(["install", "--no-audit", "--no-fund", "--silent", "--prefix", str(prefix), spec], spec, prefix)
    if not (target / "package.json").is_file():
        raise NpmUnavailable(f"`npm install {spec}` left no {target}")
    return target


#: The bundler for libraries published without a browser build (JsSIP's own build uses it).
ESBUILD = "esbuild@0.27.7"


def bundled(spec: str, entry: str, global_name: str, *, fetch: bool = True) -> Path:
    """A folder holding ``<name>.min.js``: the npm package ``spec`` (installed with its
    dependencies) bundled from its ``entry`` module into one script that defines
    ``global_name``, as a package's own browser build does (esbuild, IIFE, minified)."""
    name = spec.rsplit("@", 1)[0]
    folder = _folder("npm-bundle", spec)
    script = folder / f"{name.rsplit('/', 1)[-1]}.min.js"
    if script.is_file():
        return folder
    if not fetch:
        raise NpmUnavailable(f"{spec} is not bundled yet (`conformance catalog fetch` bundles it)")
    package = installed(spec)
    esbuild = installed(ESBUILD).parent / ".bin" / "esbuild"
    folder.mkdir(parents=True, exist_ok=True)
    partial = script.with_name(script.name + ".partial")
    try:
        done = subprocess.run([str(esbuild), str(package / entry), "--bundle", "--minify", "--format=iife",
                               f"--global-name={global_name}", "--platform=browser", "--target=es2015",
                               f"--outfile={partial}"], capture_output=True, text=True,
                              timeout=_NPM_TIMEOUT_S, check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NpmUnavailable(f"bundling {spec} failed: {exc}") from None
    if done.returncode != 0 or not partial.is_file():
        raise NpmUnavailable(f"bundling {spec} failed: {(done.stderr or done.stdout).strip()[-300:]}")
    partial.replace(script)
    return folder
