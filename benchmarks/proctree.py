"""The process tree under a pid, read from ``/proc`` (Linux): for memory figures and for
tests that prove nothing outlives a run."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

__all__ = ["TreeSampler", "children", "command_line", "descendants", "memory_kib"]


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
            line = command_line(child)
            if line is not None:
                found[child] = line
                todo.append(child)
    return found


def command_line(pid: int) -> str | None:
    """The command line of ``pid`` (arguments joined by spaces); ``None`` when it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None


def memory_kib(pid: int, field: str = "VmRSS") -> int:
    """A memory figure of ``/proc/<pid>/status`` in KiB (``VmRSS`` now, ``VmHWM`` peak);
    0 for a process that is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


class TreeSampler(threading.Thread):
    """Calls ``sample(processes)`` every ``interval`` seconds, with ``root`` and its live
    descendants (pid -> command line), until :meth:`stop`."""

    def __init__(self, root: int, interval: float, sample: Callable[[dict[int, str]], None]) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.sample = sample
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(self.interval):
            processes = descendants(self.root)
            line = command_line(self.root)
            if line is not None:
                processes[self.root] = line
            self.sample(processes)

    def stop(self) -> None:
        """Stop sampling (the last sample is kept)."""
        self._stopping.set()
        self.join(5)
