"""Per-item overhead of the harness versus hand-written Playwright, side by side.

Runs, interleaved on one browser and one page server: (a) an empty scenario through the
harness (fresh context, runtime injection, one no-op step, cleanup, close), (b) the same
page work hand-written (fresh context + page + goto + one evaluate + close), and (c) a
page reused across items (what we do NOT do: it leaks state between items). Prints p50s
and the harness/raw ratio.

    .venv/bin/python benchmarks/harness_overhead.py [ROUNDS]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from conformance.harness import Harness
from conformance.loader import load_scenario

EMPTY = """\
id: bench.empty
title: an item whose step does nothing
covers: [MediaStream]
steps:
  - run: "void 0"
expect:
  native: pass
  redirected: pass
"""


def main(rounds: int) -> None:
    folder = Path("/tmp/conformance-bench/scenarios")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "limitations.yaml").write_text("limitations: []\n")
    (folder / "empty.yaml").write_text(EMPTY)
    scenario = load_scenario(folder / "empty.yaml")
    harness = Harness()
    harness.run_item(scenario, "native")  # warm up: browser launch, server start

    async def raw_item() -> None:
        browser = await harness._ensure_browser()
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(harness.server.url("index.html"))
        await page.evaluate("() => void 0")
        await context.close()

    shared: dict[str, object] = {}

    async def reused_page_item() -> None:
        if "page" not in shared:
            browser = await harness._ensure_browser()
            context = await browser.new_context()
            shared["page"] = await context.new_page()
        page = shared["page"]
        await page.goto(harness.server.url("index.html"))  # type: ignore[attr-defined]
        await page.evaluate("() => void 0")  # type: ignore[attr-defined]

    timings: dict[str, list[float]] = {"harness": [], "raw": [], "reused-page": []}
    for _ in range(rounds):
        started = time.perf_counter()
        result = harness.run_item(scenario, "native")
        timings["harness"].append(time.perf_counter() - started)
        assert result.status == "PASS", result.message
        for name, work in (("raw", raw_item), ("reused-page", reused_page_item)):
            started = time.perf_counter()
            harness._runner.run(work())
            timings[name].append(time.perf_counter() - started)
    harness.close()
    p50 = {name: statistics.median(values) * 1000 for name, values in timings.items()}
    for name, value in p50.items():
        print(f"{name:12} p50 {value:7.1f} ms  (n={rounds})")
    print(f"harness / raw = {p50['harness'] / p50['raw']:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
