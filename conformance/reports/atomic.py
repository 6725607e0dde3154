"""Atomic file writes and the ``reports/latest`` pointer.

A report is either the old file or the complete new one, never a half-written file: the
data goes to a temporary file in the same directory (so ``os.replace`` is a rename within
one filesystem), is flushed and fsynced, then renamed over the destination.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from conformance.runinfo import LATEST_FILE, LATEST_LINK

__all__ = [
    "atomic_write_bytes",
    "atomic_write_chunks",
    "atomic_write_text",
    "update_latest_pointer",
]


def _temp_name(path: Path) -> Path:
    """A hidden, unique sibling of ``path`` (same directory, hence same filesystem)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")


def _fsync_dir(directory: Path) -> None:
    """Persist a rename in ``directory``; best effort, as Windows cannot open directories."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file, flush, fsync, ``os.replace``).

    The parent directory must exist. On any error the temporary file is removed and the
    previous content of ``path``, if any, is left untouched.
    """
    atomic_write_chunks(path, [data])


def atomic_write_chunks(path: Path | str, chunks: Iterable[bytes | str], encoding: str = "utf-8") -> None:
    """Write ``chunks`` one after the other to ``path`` atomically, like :func:`atomic_write_bytes`.

    A large report is written as it is produced (text chunks are encoded as they come), so
    it is never held whole in memory.
    """
    path = Path(path)
    while True:
        temp = _temp_name(path)
        try:
            # os.open with mode 0o666 lets the umask decide the permissions, as a plain
            # open() would; tempfile's 0o600 would hide reports from CI artifact servers.
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o666)
        except FileExistsError:
            continue
        break
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as handle:
            for chunk in chunks:
                handle.write(chunk.encode(encoding) if isinstance(chunk, str) else chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: Path | str, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically; newlines are written as given, untranslated."""
    atomic_write_bytes(path, text.encode(encoding))


def update_latest_pointer(reports_root: Path | str, run_dir: Path | str) -> Path:
    """Point ``reports_root/latest`` at ``run_dir`` and return the pointer's path.

    The symlink is created under a temporary name and renamed over ``latest`` so readers
    never see it missing. Its target is relative, so the reports tree can be moved or
    archived as a whole. Where symlinks are unavailable (Windows without the privilege),
    ``reports_root/LATEST`` is written instead, holding the run directory's relative path.
    """
    root = Path(reports_root)
    try:
        target = os.path.relpath(Path(run_dir), root)
    except ValueError:  # Windows: run_dir on another drive; no relative path exists
        target = str(Path(run_dir).resolve())
    link = root / LATEST_LINK
    temp = _temp_name(link)
    try:
        os.symlink(target, temp, target_is_directory=True)
    except (OSError, NotImplementedError, AttributeError):
        pointer = root / LATEST_FILE
        atomic_write_text(pointer, target + "\n")
        return pointer
    try:
        os.replace(temp, link)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_dir(root)
    return link
