"""The soak: the whole bundled suite with ``--repeat N`` under extra CPU load.

    .venv/bin/python -m benchmarks.soak                      # --repeat 10, -n 2, one busy process
    .venv/bin/python -m benchmarks.soak --repeat 3 --load 2  # shorter, heavier

Reports how many items were flaky (differing outcomes over their repeats) or not as
expected, and the memory of every reference host (resident size sampled every 2 s: first,
peak and last sample) and of the machine. Writes ``reports/bench/soak-<date>.json`` and
``.md``. The busy processes are this command's children and end with it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.proctree import TreeSampler, memory_kib
from conformance.reports.atomic import atomic_write_text
from conformance.runinfo import git_revision

__all__ = ["main", "soak"]

ROOT = Path(__file__).resolve().parent.parent
_SAMPLE_S = 2.0
#: However long the suite takes, the whole soak stops here (a bound, not an expectation).
_TIMEOUT_S = 3 * 3600


def _busy(stop_at: float) -> None:
    # Extra CPU load: a loop that ends by itself at the soak's bound.
    while time.monotonic() < stop_at:
        pass


def _available_mib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return 0.0


class _HostMemory:
    """Every reference host's resident size over time, and the machine's available memory."""

    def __init__(self) -> None:
        self.hosts: dict[int, list[float]] = {}
        self.available: list[float] = []

    def sample(self, processes: dict[int, str]) -> None:
        self.available.append(_available_mib())
        for pid, cmdline in processes.items():
            mib = memory_kib(pid) / 1024
            if "reference_impl.host" in cmdline and mib:
                self.hosts.setdefault(pid, []).append(round(mib, 1))


def soak(repeat: int, workers: str, load: int, workdir: Path) -> dict[str, Any]:
    """Run the soak; its figures."""
    stop_at = time.monotonic() + _TIMEOUT_S
    busy = [multiprocessing.Process(target=_busy, args=(stop_at,), daemon=True) for _ in range(load)]
    for process in busy:
        process.start()
    report_dir = workdir / "reports"
    started = time.perf_counter()
    try:
        with (workdir / "run.log").open("wb") as log:
            run = subprocess.Popen(
                [sys.executable, "-m", "conformance.cli", "run", "--repeat", str(repeat), "-n", workers,
                 "--report-dir", str(report_dir)],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            memory = _HostMemory()
            sampler = TreeSampler(run.pid, _SAMPLE_S, memory.sample)
            sampler.start()
            try:
                code = run.wait(timeout=_TIMEOUT_S)
            finally:
                sampler.stop()
                if run.poll() is None:
                    run.terminate()
                    run.wait(30)
    finally:
        for process in busy:
            process.terminate()
            process.join(5)
    wall = time.perf_counter() - started
    results = json.loads((report_dir / "latest" / "results.json").read_text())["results"]
    flaky = [r["test"] for r in results if r.get("flaky")]
    unexpected = [r["test"] for r in results if not r["expected"]]
    hosts = {str(pid): {"first_mib": s[0], "peak_mib": max(s), "last_mib": s[-1], "samples": len(s)}
             for pid, s in memory.hosts.items()}
    return {
        "repeat": repeat, "workers": workers, "extra_busy_processes": load, "exit_code": code,
        "wall_s": round(wall, 1), "items": len(results), "item_runs": len(results) * repeat,
        "flaky": len(flaky), "flaky_items": flaky, "not_as_expected": len(unexpected),
        "not_as_expected_items": unexpected, "reference_hosts": hosts,
        "machine_available_mib": {"first": round(memory.available[0], 0) if memory.available else None,
                                  "min": round(min(memory.available), 0) if memory.available else None,
                                  "last": round(memory.available[-1], 0) if memory.available else None},
    }


def _markdown(data: dict[str, Any]) -> str:
    lines = [f"# Soak {data['date']} (revision {data['git_revision']})", "",
             f"`conformance run --repeat {data['repeat']} -n {data['workers']}` with "
             f"{data['extra_busy_processes']} extra busy process(es): {data['items']} items, "
             f"{data['item_runs']} runs, {data['wall_s']} s, exit {data['exit_code']}.", "",
             f"- flaky items: **{data['flaky']}** {', '.join(data['flaky_items'])}",
             f"- not as expected: **{data['not_as_expected']}** {', '.join(data['not_as_expected_items'])}",
             f"- machine MemAvailable (MiB): {data['machine_available_mib']}"]
    for pid, host in data["reference_hosts"].items():
        lines.append(f"- reference host {pid}: first {host['first_mib']} MiB, peak {host['peak_mib']} MiB, "
                     f"last {host['last_mib']} MiB ({host['samples']} samples)")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("-n", dest="workers", default="2")
    parser.add_argument("--load", type=int, default=1, help="extra busy processes (CPU load)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="soak-") as workdir:
        data = soak(args.repeat, args.workers, args.load, Path(workdir))
    data["date"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M%SZ")
    data["git_revision"] = git_revision(ROOT)
    out = ROOT / "reports" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / f"soak-{data['date']}.json", json.dumps(data, indent=2))
    atomic_write_text(out / f"soak-{data['date']}.md", _markdown(data))
    print(_markdown(data))


if __name__ == "__main__":
    main()
