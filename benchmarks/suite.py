"""Whole-suite figures: wall time with one and two workers, and memory.

Memory is read from ``/proc``: ``VmHWM`` is the kernel's record of a process's peak
resident set, so sampling the process tree every 100 ms and keeping the largest ``VmHWM``
seen per process loses nothing between samples (except processes shorter than a sample).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.proctree import children
from conformance.harness import Harness
from conformance.loader import load_scenarios
from conformance.targets import ReferenceTarget

__all__ = ["host_memory_over_repetitions", "suite_wall_time"]


def _peak_kib(pid: int) -> tuple[int, str]:
    try:
        status = (Path(f"/proc/{pid}/status")).read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return 0, ""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]), cmdline
    return 0, cmdline


class _PeakSampler(threading.Thread):
    """Keeps the peak RSS of the harness processes and of reference hosts below a pid."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.harness_kib = 0
        self.host_kib = 0
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(0.1):
            tree, todo = children(), [self.root]
            while todo:
                pid = todo.pop()
                todo.extend(tree.get(pid, []))
                kib, cmdline = _peak_kib(pid)
                if "reference_impl.host" in cmdline:
                    self.host_kib = max(self.host_kib, kib)
                elif "pytest" in cmdline or "conformance" in cmdline:
                    self.harness_kib = max(self.harness_kib, kib)

    def stop(self) -> None:
        self._stopping.set()
        self.join(5)


def suite_wall_time(root: Path, workdir: Path) -> dict[str, Any]:
    """The bundled suite on both targets with ``-n 1`` and ``-n 2``."""
    figures: dict[str, Any] = {}
    for workers in ("1", "2"):
        report_dir = workdir / f"suite-n{workers}"
        started = time.perf_counter()
        output = workdir / f"suite-n{workers}.log"
        with output.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "conformance.cli", "run", "-n", workers, "--report-dir",
                 str(report_dir)],
                cwd=root, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
            sampler = _PeakSampler(process.pid)
            sampler.start()
            code = process.wait(timeout=3600)
            sampler.stop()
        wall = time.perf_counter() - started
        results = report_dir / "latest" / "results.json"
        if not results.is_file():
            tail = output.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the suite run with -n {workers} wrote no results (exit {code}):\n{tail}")
        document = json.loads(results.read_text())
        items = len(document["results"])
        expected = sum(1 for r in document["results"] if r["expected"])
        figures[f"n{workers}"] = {
            "wall_s": round(wall, 1), "items": items, "as_expected": expected, "exit_code": code,
            "items_per_s": round(items / wall, 2),
            "peak_rss_mib": {"harness_process": round(sampler.harness_kib / 1024, 1),
                             "reference_host": round(sampler.host_kib / 1024, 1)},
        }
    figures["speedup"] = round(figures["n1"]["wall_s"] / figures["n2"]["wall_s"], 2)
    figures["target"] = "-n 2 <= 60 s; speedup >= 1.6 on 2 cores"
    return figures


def host_memory_over_repetitions(root: Path, repetitions: int) -> dict[str, Any]:
    """The redirected suite run ``repetitions`` times on one host: does its memory grow?"""
    scenarios, failures = load_scenarios([root / "scenarios"], root=root)
    assert not failures, [f.render() for f in failures]
    harness = Harness(mounts=None)
    rss: list[float] = []
    try:
        for _ in range(repetitions):
            for scenario in scenarios:
                if "redirected" in scenario.expect:
                    harness.run_item(scenario, "redirected")
            target = harness._target("redirected")
            assert isinstance(target, ReferenceTarget)
            host = harness._runner.run(target.host())
            rss.append(round((host.memory_rss_bytes() or 0) / 2**20, 1))
    finally:
        harness.close()
    growth = (rss[-1] - rss[0]) / rss[0] if rss and rss[0] else 0.0
    return {"host_rss_mib_after_each_repetition": rss, "growth_first_to_last": round(growth, 3),
            "scenarios_per_repetition": len(scenarios), "target": "growth <= 0.10"}
