"""``conformance wpt-fetch``: a named set of web-platform-tests files, gathered into the cache.

The project ships no WPT files. A *set* (``conformance/wpt/sets/<name>.txt``, committed)
names each file by the WPT commit it was taken at, its path and its SHA-256; the command
copies exactly those files from a *source* into ``$CONFORMANCE_CACHE/wpt-tree/<name>/``
(outside git), checks every digest, and writes ``FETCHED.json`` there: what it got and
from which commit. A source is either

- a git clone of web-platform-tests: each file is read with ``git show <commit>:<path>``, or
- an export folder laid out ``<source>/<commit>/<path>`` (one folder per commit, as files
  read one by one from a store of the public repository are saved).

A set is bounded (:data:`MAX_FILES` files, :data:`MAX_BYTES` bytes); a source file that
is missing, too large or has another digest stops the fetch before anything is replaced.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from conformance.npm import cache_dir

__all__ = ["DEFAULT_SET", "MAX_BYTES", "MAX_FILES", "SETS_DIR", "FetchError", "SetEntry",
           "fetch_set", "parse_set", "read_set", "tree_dir"]

SETS_DIR = Path(__file__).resolve().parent / "sets"
DEFAULT_SET = "webrtc-audio"
#: Bounds of one set: a fetch never writes more into the cache.
MAX_FILES = 200
MAX_BYTES = 4 * 1024 * 1024
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_TOP = ("webrtc", "mediacapture-streams", "resources")


class FetchError(Exception):
    """The set file is malformed or the source cannot give the set; the message says where."""


@dataclass(frozen=True)
class SetEntry:
    """One file of a set: the WPT commit it is taken at, its path in the tree, its digest."""

    commit: str
    path: str
    sha256: str


def _checked_path(text: str) -> str | None:
    """``text`` as a relative POSIX path under one of the set's top folders, else ``None``."""
    path = PurePosixPath(text)
    if path.is_absolute() or not path.parts or path.parts[0] not in _TOP:
        return None
    if any(part in ("", ".", "..") or part.startswith(".") for part in path.parts):
        return None
    return path.as_posix()


def parse_set(text: str, name: str) -> list[SetEntry]:
    """The entries of a set file's ``text``; a bad line is a :class:`FetchError` naming
    ``name:line:col``. Lines are ``<commit> <path> <sha256>``; ``#`` starts a comment."""
    entries: list[SetEntry] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0]
        if not content.strip():
            continue
        fields = content.split()
        column = len(content) - len(content.lstrip()) + 1
        if len(fields) != 3:
            raise FetchError(f"{name}:{number}:{column}: expected '<commit> <path> <sha256>', "
                             f"got {len(fields)} field(s)")
        commit, raw_path, digest = fields
        if not _COMMIT.match(commit):
            raise FetchError(f"{name}:{number}:{column}: {commit!r} is not a 40-hex commit")
        path = _checked_path(raw_path)
        path_column = content.index(raw_path, column - 1 + len(commit)) + 1
        if path is None:
            raise FetchError(f"{name}:{number}:{path_column}: {raw_path!r} is not a relative path "
                             f"under {', '.join(_TOP)}")
        if path in seen:
            raise FetchError(f"{name}:{number}:{path_column}: {path} is listed twice")
        if not _DIGEST.match(digest):
            digest_column = content.rindex(digest) + 1
            raise FetchError(f"{name}:{number}:{digest_column}: {digest!r} is not a SHA-256 digest")
        seen.add(path)
        entries.append(SetEntry(commit, path, digest))
    if not entries:
        raise FetchError(f"{name}:1:1: the set lists no file")
    if len(entries) > MAX_FILES:
        raise FetchError(f"{name}:1:1: {len(entries)} files, more than the bound of {MAX_FILES}")
    return entries


def read_set(set_name_or_file: str) -> tuple[str, list[SetEntry]]:
    """``(name, entries)`` of a bundled set name or a set file's path."""
    candidate = Path(set_name_or_file)
    file = candidate if candidate.suffix == ".txt" else SETS_DIR / f"{set_name_or_file}.txt"
    if not file.is_file():
        known = ", ".join(sorted(p.stem for p in SETS_DIR.glob("*.txt")))
        raise FetchError(f"no WPT set {set_name_or_file!r} (bundled sets: {known})")
    return file.stem, parse_set(file.read_text(encoding="utf-8"), str(file))


def tree_dir(name: str) -> Path:
    """Where the set ``name`` is gathered: ``$CONFORMANCE_CACHE/wpt-tree/<name>``."""
    return cache_dir() / "wpt-tree" / name


def _from_source(source: Path, entry: SetEntry) -> bytes:
    """The bytes of ``entry`` from a git clone or an export folder."""
    if (source / ".git").exists():
        done = subprocess.run(["git", "-C", str(source), "show", f"{entry.commit}:{entry.path}"],
                              capture_output=True, timeout=60, check=False)
        if done.returncode != 0:
            raise FetchError(f"{entry.path} at {entry.commit[:12]}: not in the clone {source} "
                             f"({done.stderr.decode(errors='replace').strip()})")
        return done.stdout
    file = source / entry.commit / entry.path
    if not file.is_file():
        raise FetchError(f"{entry.path} at {entry.commit[:12]}: no file {file}")
    if file.stat().st_size > MAX_BYTES:
        raise FetchError(f"{file}: larger than the bound of {MAX_BYTES} bytes")
    return file.read_bytes()


def fetch_set(name: str, entries: list[SetEntry], source: Path,
              dest: Path | None = None) -> dict[str, Any]:
    """Gather ``entries`` from ``source`` into ``dest`` (default :func:`tree_dir`), replacing
    it whole only once every file was read and checked; the listing written as FETCHED.json."""
    target = dest or tree_dir(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    files: list[dict[str, Any]] = []
    total = 0
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}-") as staging:
        root = Path(staging) / "tree"
        for entry in entries:
            data = _from_source(source, entry)
            digest = hashlib.sha256(data).hexdigest()
            if digest != entry.sha256:
                raise FetchError(f"{entry.path} at {entry.commit[:12]}: SHA-256 {digest} is not "
                                 f"the set's {entry.sha256}")
            total += len(data)
            if total > MAX_BYTES:
                raise FetchError(f"the set passes the bound of {MAX_BYTES} bytes at {entry.path}")
            out = root / entry.path
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
            files.append({"path": entry.path, "commit": entry.commit, "bytes": len(data),
                          "sha256": digest})
        listing = {"set": name, "files": files, "total_bytes": total,
                   "commits": dict(Counter(f["commit"] for f in files).most_common())}
        (root / "FETCHED.json").write_text(json.dumps(listing, indent=1) + "\n", encoding="utf-8")
        old = Path(staging) / "old"
        if target.exists():
            target.rename(old)  # removed with the staging folder
        root.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    return {**listing, "tree": str(target)}
