"""Whole-suite figures: wall time with one and two workers, and memory.

Memory is read from ``/proc``: ``VmHWM`` is the kernel's record of a process's peak
resident set, so sampling the process tree every 100 ms and keeping the largest ``VmHWM``
seen per process loses nothing between samples (except processes shorter than a sample).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.proctree import TreeSampler, memory_kib
from conformance.harness import Harness
from conformance.loader import load_scenarios
from conformance.targets import ReferenceTarget

__all__ = ["SELECTION", "host_memory_over_repetitions", "selection_wall_time", "suite_wall_time"]


class _Peaks:
    """The peak RSS of the harness processes and of the reference hosts below a pid."""

    def __init__(self) -> None:
        self.harness_kib = 0
        self.host_kib = 0

    def sample(self, processes: dict[int, str]) -> None:
        for pid, cmdline in processes.items():
            if "reference_impl.host" in cmdline:
                self.host_kib = max(self.host_kib, memory_kib(pid, "VmHWM"))
            elif "pytest" in cmdline or "conformance" in cmdline:
                self.harness_kib = max(self.harness_kib, memory_kib(pid, "VmHWM"))


#: The selection whose ``-n 2`` must not be slower than ``-n 1`` (issue 16's 60 items; 70 now).
SELECTION = ("scenarios/rtc-peer-connection", "scenarios/media-stream-track")


def _timed_run(root: Path, workdir: Path, name: str, args: list[str]) -> dict[str, Any]:
    """One ``conformance run`` with ``args``: wall time, items, peak memory."""
    report_dir = workdir / name
    output = workdir / f"{name}.log"
    started = time.perf_counter()
    with output.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "conformance.cli", "run", *args, "--report-dir", str(report_dir)],
            cwd=root, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        peaks = _Peaks()
        sampler = TreeSampler(process.pid, 0.1, peaks.sample)
        sampler.start()
        code = process.wait(timeout=3600)
        sampler.stop()
    wall = time.perf_counter() - started
    results = report_dir / "latest" / "results.json"
    if not results.is_file():
        tail = output.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"`conformance run {' '.join(args)}` wrote no results (exit {code}):\n{tail}")
    document = json.loads(results.read_text())
    items = len(document["results"])
    expected = sum(1 for r in document["results"] if r["expected"])
    return {
        "wall_s": round(wall, 1), "items": items, "as_expected": expected, "exit_code": code,
        "items_per_s": round(items / wall, 2),
        "peak_rss_mib": {"harness_process": round(peaks.harness_kib / 1024, 1),
                         "reference_host": round(peaks.host_kib / 1024, 1)},
    }


def suite_wall_time(root: Path, workdir: Path) -> dict[str, Any]:
    """The bundled suite on both targets with ``-n 1`` and ``-n 2``."""
    figures: dict[str, Any] = {}
    for workers in ("1", "2"):
        figures[f"n{workers}"] = _timed_run(root, workdir, f"suite-n{workers}", ["-n", workers])
    figures["speedup"] = round(figures["n1"]["wall_s"] / figures["n2"]["wall_s"], 2)
    figures["target"] = "-n 2 <= 60 s; speedup >= 1.6 on 2 cores"
    return figures


def selection_wall_time(root: Path, workdir: Path, rounds: int = 3) -> dict[str, Any]:
    """:data:`SELECTION` on both targets, ``-n 1`` and ``-n 2`` in turn: median walls, ratio."""
    walls: dict[str, list[float]] = {"1": [], "2": []}
    items = 0
    for index in range(rounds):
        for workers in ("1", "2"):
            run = _timed_run(root, workdir, f"selection-n{workers}-{index}",
                             [*SELECTION, "--target", "all", "-n", workers])
            walls[workers].append(run["wall_s"])
            items = run["items"]
    n1, n2 = statistics.median(walls["1"]), statistics.median(walls["2"])
    return {"selection": list(SELECTION), "items": items, "rounds": rounds,
            "n1_wall_s": n1, "n2_wall_s": n2, "ratio_n2_over_n1": round(n2 / n1, 3),
            "target": "<= 1.0"}


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
            target = harness.target("redirected")
            assert isinstance(target, ReferenceTarget)
            host = harness.run_async(target.host())
            rss.append(round((host.memory_rss_bytes() or 0) / 2**20, 1))
    finally:
        harness.close()
    growth = (rss[-1] - rss[0]) / rss[0] if rss and rss[0] else 0.0
    return {"host_rss_mib_after_each_repetition": rss, "growth_first_to_last": round(growth, 3),
            "scenarios_per_repetition": len(scenarios), "target": "growth <= 0.10"}
