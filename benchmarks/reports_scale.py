"""Reports at scale: a real run's results repeated under new ids, and its reports measured.

    .venv/bin/python -m benchmarks.reports_scale RUN [--sizes 330,3300,9900] [--out DIR]

:func:`make_scaled_run` writes a run folder whose results are a real run's repeated under new
scenario ids (``<id>~2``, ``<id>~3``...; same targets, covers, logs and artifacts), so the
matrix keeps its rows and each cell holds more results, as with ``--repeat`` or merged
shards. :func:`reports_at_scale` then measures, per size: ``conformance report`` on the
folder as its own process (wall time, peak RSS from the kernel's accounting of that process),
the size of each page it writes, and matrix.html in headless Chromium from ``file://``: time
to the ``load`` event, and the time one keystroke in the matrix filter and in the results
search takes until the next frame can be painted.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from conformance.reports.json_report import load_results_json, write_results_json
from conformance.reports.writer import write_run_info
from conformance.results import ScenarioResult
from conformance.runinfo import COMPAT_HTML, JUNIT_XML, MATRIX_HTML, RESULTS_JSON

__all__ = ["SIZES", "make_scaled_run", "markdown_rows", "measure_page", "measure_writer",
           "reports_at_scale", "scaled", "source_run"]

#: The bundled run's 330 results, times 1, 10 and 30.
SIZES = (330, 3_300, 9_900)

# One keystroke: the input event, then until the frame after it can be painted (style,
# layout and the page's own work included).
_KEYSTROKE_JS = """async ([id, text]) => {
  const box = document.getElementById(id);
  if (!box) { return -1; }
  const started = performance.now();
  box.value = text;
  box.dispatchEvent(new Event('input', {bubbles: true}));
  void document.body.offsetHeight;
  await new Promise(done => requestAnimationFrame(() => setTimeout(done, 0)));
  return performance.now() - started;
}"""
_LOAD_JS = "performance.getEntriesByType('navigation')[0].loadEventEnd"


def scaled(results: Sequence[ScenarioResult], size: int) -> Iterator[ScenarioResult]:
    """``size`` results: ``results`` again and again, each round under new scenario ids."""
    for number in range(size):
        result = results[number % len(results)]
        round_ = number // len(results)
        yield result if round_ == 0 else replace(result, scenario=f"{result.scenario}~{round_ + 1}")


def make_scaled_run(source: Path, folder: Path, size: int) -> Path:
    """A run folder of ``size`` results made from the run whose results.json is ``source``."""
    info, results = load_results_json(source)
    info = replace(info, run_id=f"{info.run_id}-x{size}")
    folder.mkdir(parents=True, exist_ok=True)
    write_results_json(folder / RESULTS_JSON, info, list(scaled(results, size)))
    write_run_info(folder, info)
    return folder


def measure_writer(folder: Path, tree: Path | None = None) -> dict[str, float]:
    """``conformance report FOLDER`` as a process of its own: wall seconds and peak RSS.

    ``tree``: a checkout whose code writes the reports instead (e.g. a worktree of the
    commit before a change), for before/after figures.
    """
    env = None if tree is None else {**os.environ, "PYTHONPATH": str(tree)}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "conformance.cli", "report", str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                               cwd=tree)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        assert process.stderr is not None
        raise RuntimeError(f"conformance report {folder} failed: {process.stderr.read()[-2000:]!r}")
    if process.stderr is not None:
        process.stderr.close()
    # ru_maxrss is in KiB on Linux.
    return {"wall_s": round(wall, 2), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1)}


async def measure_page(path: Path, keystrokes: int = 5) -> dict[str, Any]:
    """matrix.html in headless Chromium: load time, filter and search keystroke times (ms)."""
    from playwright.async_api import async_playwright

    from conformance.browser import launch_chromium

    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 1000})
            loads = []
            for _ in range(3):
                await page.goto(path.as_uri(), wait_until="load", timeout=120_000)
                loads.append(await page.evaluate(_LOAD_JS))
            figures: dict[str, Any] = {"load_ms": round(statistics.median(loads))}
            for box, words in (("filter", ("r", "rt", "rtc", "rtcp", "")),
                               ("search", ("i", "ic", "ice", "icec", ""))):
                times = [await page.evaluate(_KEYSTROKE_JS, [box, w]) for w in words[:keystrokes]]
                figures[f"{box}_first_ms"] = round(times[0])
                figures[f"{box}_ms"] = round(statistics.median(times))
            return figures
        finally:
            await browser.close()


def source_run(given: str | None, root: Path, workdir: Path) -> Path:
    """The results.json of the real run to repeat: ``given`` (a run folder or results.json),
    else ``reports/latest``'s, else the real run kept in ``tests/data`` (its passing results'
    step logs and every console entry dropped, so its pages are smaller than a fresh run's)."""
    if given:
        path = Path(given)
        return path / RESULTS_JSON if path.is_dir() else path
    latest = root / "reports" / "latest" / RESULTS_JSON
    if latest.is_file():
        return latest
    kept = workdir / "real-run.json"
    kept.write_bytes(gzip.decompress((root / "tests" / "data" / "reports" / "real-run.json.gz")
                                     .read_bytes()))
    return kept


def _sizes(folder: Path) -> dict[str, float]:
    return {name: round((folder / name).stat().st_size / 2**20, 2)
            for name in (MATRIX_HTML, COMPAT_HTML, JUNIT_XML) if (folder / name).exists()}


def reports_at_scale(source: Path, workdir: Path, sizes: Sequence[int] = SIZES,
                     before: Path | None = None) -> dict[str, Any]:
    """The figure: per size, writer time and memory, page sizes, page load and keystrokes.

    With ``before`` (a checkout of older code, see :func:`measure_writer`), each size is
    measured with that code first, then with this one, in turn on the same folder.
    """
    rows = []
    for size in sizes:
        folder = make_scaled_run(source, workdir / f"x{size}", size)
        for tree, label in ((before, "before"), (None, "after")):
            if label == "before" and tree is None:
                continue
            row: dict[str, Any] = {"results": size, "code": label,
                                   "writer": measure_writer(folder, tree), "size_mib": _sizes(folder)}
            row["page"] = asyncio.run(measure_page(folder / MATRIX_HTML))
            rows.append(row)
            print(json.dumps(row), flush=True)
    return {"source": str(source), "sizes": rows,
            "target": "at 9,900: load <= 2 s, keystroke <= 200 ms, writer <= 4 s and 250 MB"}


def markdown_rows(figure: dict[str, Any]) -> list[str]:
    """The figure's rows of the benchmark table."""
    lines = []
    for row in figure["sizes"]:
        w, p, s = row["writer"], row["page"], row["size_mib"]
        lines.append(
            f"| 7 | reports at scale, {row['results']} results"
            f"{' (' + row['code'] + ')' if row.get('code') == 'before' else ''} | `conformance report` "
            f"{w['wall_s']} s / {w['peak_rss_mib']} MiB; matrix.html {s.get(MATRIX_HTML)} MiB "
            f"(compat.html {s.get(COMPAT_HTML)}, junit.xml {s.get(JUNIT_XML)}); load "
            f"**{p['load_ms']} ms**, filter keystroke **{p['filter_ms']} ms** (first "
            f"{p['filter_first_ms']}), search {p['search_ms']} ms (first {p['search_first_ms']}) "
            f"| {figure['target']} |")
    return lines


def main() -> None:
    """Measure the reports of a run (a results.json or run folder) at several sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", nargs="?", help="a real run's results.json or run folder "
                        "(default: see source_run)")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--out", default="reports/bench/scale", help="where the run folders go")
    parser.add_argument("--before", metavar="TREE", help="also measure the reports written by "
                        "the code of this checkout (e.g. a worktree of main), in turn")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    source = source_run(args.run, Path(__file__).resolve().parent.parent, out)
    figure = reports_at_scale(source, out, [int(s) for s in args.sizes.split(",")],
                              Path(args.before).resolve() if args.before else None)
    print("\n".join(markdown_rows(figure)))


if __name__ == "__main__":
    main()
