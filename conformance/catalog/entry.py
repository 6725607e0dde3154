"""A catalog entry: ``catalog/<stack>/entry.yaml``, one open-source calling stack.

An entry names the stack's client library (an npm package at a pinned version, fetched into
the cache at set-up, or a Debian package), the launcher of its real backend, and the
certification profile that drives the app as the stack's documentation shows it. The
format is checked by ``conformance/schema/catalog-entry.schema.json`` through the suite's
YAML core, so a broken entry is reported at ``file:line:col``.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from conformance.yamlcore import DocumentChecker, read_document, validator

__all__ = ["CATALOG_DIR", "Entry", "deb_version", "find_entries", "load_entry"]

#: The catalog shipped with the suite (``catalog/`` beside ``conformance/``).
CATALOG_DIR = Path(__file__).resolve().parent.parent.parent / "catalog"
ENTRY_FILE = "entry.yaml"


class _EntryChecker(DocumentChecker):
    WHAT = "a catalog entry"
    FORMAT_KEY = "catalog"


@dataclass(frozen=True)
class Entry:
    """One stack of the catalog."""

    #: The entry's folder name: the stack's id on the command line and in the matrix.
    id: str
    folder: Path
    name: str
    stack: str
    backend: str
    profile: Path
    npm: str | None = None
    deb: str | None = None
    heavy: bool = False
    note: str = ""
    #: ``(entry module, global name)`` when the npm package must be bundled for browsers.
    bundle: tuple[str, str] | None = None

    @property
    def library(self) -> str:
        """The library as the matrix shows it (its version apart): ``npm peerjs`` or ``deb janus-demos``."""
        return f"npm {self.npm.rsplit('@', 1)[0]}" if self.npm else f"deb {self.deb}"

    def version(self) -> str:
        """The library's version: the npm pin, or the installed Debian package's."""
        return self.npm.rsplit("@", 1)[1] if self.npm else deb_version(str(self.deb))


def deb_version(package: str) -> str:
    """The installed version of Debian package ``package`` (``not installed``)."""
    try:
        done = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package],
                              capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "not installed"


def load_entry(folder: Path) -> Entry:
    """The entry in ``folder``; :class:`~conformance.errors.SpecFileError` when it is broken."""
    from conformance.catalog.launchers import LAUNCHERS

    path = folder / ENTRY_FILE
    doc = read_document(path)
    checker = _EntryChecker(doc)
    checker.schema_errors(validator("catalog-entry"), doc.data)
    data = doc.data if isinstance(doc.data, dict) else {}
    if not checker.errors:
        if data["backend"] not in LAUNCHERS:
            checker.error(doc.mark(("backend",)), f"unknown backend {data['backend']!r}",
                          checker.hint(data["backend"], LAUNCHERS, "backends"))
        if not (folder / data["profile"]).is_file():
            checker.error(doc.mark(("profile",)), f"no profile at {data['profile']!r} (relative to {folder})")
    if checker.errors:
        raise checker.fail()
    library = data["library"]
    return Entry(id=folder.name, folder=folder, name=data["name"], stack=data["stack"],
                 backend=data["backend"], profile=(folder / data["profile"]).resolve(),
                 npm=library.get("npm"), deb=library.get("deb"), heavy=bool(data.get("heavy")),
                 note=data.get("note", ""),
                 bundle=_bundle(library.get("bundle")))


def _bundle(data: dict[str, str] | None) -> tuple[str, str] | None:
    return (data["entry"], data["global"]) if data else None


def find_entries(names: list[str] | None = None, root: Path = CATALOG_DIR) -> list[Entry]:
    """The entries of ``root`` (all, or those named, in the order given); an unknown name is
    a :class:`KeyError` naming the known ones."""
    folders = sorted(p.parent for p in root.glob(f"*/{ENTRY_FILE}"))
    known = {folder.name: folder for folder in folders}
    if names:
        unknown = [name for name in names if name not in known]
        if unknown:
            raise KeyError(f"no catalog entry {', '.join(unknown)} (known: {', '.join(known)})")
        folders = [known[name] for name in names]
    return [load_entry(folder) for folder in folders]


