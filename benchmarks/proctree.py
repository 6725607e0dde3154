"""The process tree under a pid, read from ``/proc`` (Linux): for memory figures and for
tests that prove nothing outlives a run."""

from __future__ import annotations

from pathlib import Path

__all__ = ["children", "descendants"]


def children() -> dict[int, list[int]]:
    """Parent pid -> the pids of its live children."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(parent, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> dict[int, str]:
    """pid -> command line of every live descendant of ``pid``."""
    tree, found, todo = children(), {}, [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            try:
                found[child] = (Path(f"/proc/{child}/cmdline").read_bytes()
                                .replace(b"\0", b" ").decode(errors="replace"))
            except OSError:
                continue
            todo.append(child)
    return found
