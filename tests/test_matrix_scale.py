"""matrix.html of a large run (3,300 results) in real Chromium, from disk: the page's
behaviour holds when most of it is built on demand (filter, status, search, a result's
record, a cell's panel, links to results and traces). How fast it is lives in the
benchmark (``benchmarks/reports_scale.py``), not here.

The run is the real run of ``tests/data/reports/real-run.json.gz`` repeated ten times
under new ids, as the benchmark makes it, with a few results changed: unexpected failures
with a trace, and hostile text.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import re
from pathlib import Path

from benchmarks.reports_scale import scaled
from conformance.reports import load_results_json, write_reports
from conformance.reports.matrix_html import RESULTS_PER_PAGE
from conformance.results import ScenarioResult

ROOT = Path(__file__).resolve().parent.parent
REAL_RUN = ROOT / "tests" / "data" / "reports" / "real-run.json.gz"
SIZE = 3_300
TOKEN = "zebra-token-4711"
IMG = '<img src=x onerror="window.__pwned = 1">'


def _large_run(tmp_path: Path) -> tuple[Path, list[ScenarioResult]]:
    document = tmp_path / "results.json"
    document.write_bytes(gzip.decompress(REAL_RUN.read_bytes()))
    info, results = load_results_json(document)
    changed: list[ScenarioResult] = []
    for number, result in enumerate(scaled(results, SIZE)):
        # An unexpected failure with a step log and a trace, about every 500 results.
        if result.steps and number >= 500 * sum(not r.expected for r in changed):
            result = dataclasses.replace(
                result, status="FAIL", expected=False, title=IMG,
                message=f"expected 'connected' but got 'failed' {TOKEN}-{number}",
                artifacts={"trace": f"artifacts/{result.scenario}/{result.target}/trace.zip"})
        changed.append(result)
    run_dir = tmp_path / "reports" / info.run_id
    write_reports(run_dir, info, changed)
    return run_dir, changed


async def _check(page_path: Path, run_dir: Path, failing: list[ScenarioResult]) -> None:
    from playwright.async_api import async_playwright

    from conformance.browser import launch_chromium

    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 1000})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            await page.goto(page_path.as_uri(), wait_until="load", timeout=30_000)

            # The list shows one page of results and says how many there are.
            records = page.locator("#records details.result")
            assert await records.count() == RESULTS_PER_PAGE
            assert f"of {SIZE}" in await page.locator("#pager").inner_text()
            await page.locator("#pager button", has_text="next").click()
            assert await records.first.get_attribute("id") == f"r-{RESULTS_PER_PAGE}"

            # The matrix filter keeps the rows whose name holds the text.
            await page.fill("#filter", "createoffer")
            names = await page.locator("table.matrix tbody tr:visible").evaluate_all(
                "rows => rows.map(r => r.dataset.name)")
            assert names and all("createoffer" in n or "." not in n for n in names)
            assert any(n.endswith(".createoffer") for n in names)
            await page.fill("#filter", "")

            # The status filter: exactly the unexpected failures, rows and results.
            await page.select_option("#status", "unexpected-failure")
            assert await page.locator("#shown").inner_text() == f"{len(failing)} of {SIZE} results"
            states = await records.locator("summary").evaluate_all(
                "els => els.map(e => e.dataset.state)")
            assert states == ["unexpected-failure"] * len(failing)
            await page.select_option("#status", "")

            # The search reads every record (its message here) and finds the one result.
            target = failing[0]
            number = re.search(r"\d+$", target.message)
            assert number is not None
            await page.fill("#search", f"{TOKEN}-{number.group()}")
            assert await page.locator("#shown").inner_text() == f"1 of {SIZE} results"
            assert await records.count() == 1
            record = records.first
            assert target.test in await record.locator("summary").inner_text()

            # Opening it shows its full record: message, step log, trace link and command.
            await record.locator("summary").click()
            body = record.locator(".result-body")
            await body.wait_for(state="visible", timeout=5_000)
            text = await body.text_content() or ""
            assert target.message in text
            assert f"Step log ({len(target.steps)})" in text
            assert await body.locator("table.steps tbody tr").count() == len(target.steps)
            trace = f"artifacts/{target.scenario}/{target.target}/trace.zip"
            assert await body.locator(f'a[href="{trace}"]').count() == 1
            command = await body.locator("code.cmd").inner_text()
            assert command == f"playwright show-trace {run_dir / trace}"
            # Hostile text is shown as text.
            assert IMG in await record.locator("summary").inner_text()
            await page.fill("#search", "")

            # A link in the unexpected results list opens that result, wherever it is.
            link = page.locator("#failures a[href^='#r-']").last
            href = await link.get_attribute("href")
            assert href is not None and int(href[3:]) >= RESULTS_PER_PAGE
            await link.click()
            opened = page.locator(f"details.result{href}")
            await opened.wait_for(state="visible", timeout=5_000)
            assert await opened.get_attribute("open") is not None
            assert await link.inner_text() in await opened.locator("summary").inner_text()

            # The busiest cell's panel lists its results a hundred at a time.
            busiest = await page.evaluate("""() => {
              const cells = JSON.parse(document.getElementById('mmr-data').textContent).cells;
              const sizes = cells.map(c => c.length);
              return [sizes.indexOf(Math.max(...sizes)), Math.max(...sizes)];
            }""")
            assert busiest[1] > RESULTS_PER_PAGE
            cell = page.locator(f'td.cell:has(ol.entries[data-cell="{busiest[0]}"])')
            await cell.locator("details.cell-d > summary").click()
            drawer = cell.locator(".drawer")
            await drawer.wait_for(state="visible", timeout=5_000)
            entries = drawer.locator("li.entry")
            assert await entries.count() == RESULTS_PER_PAGE
            await drawer.locator("button.more-entries").click()
            assert await entries.count() == min(busiest[1], 2 * RESULTS_PER_PAGE)
            await page.keyboard.press("Escape")

            assert await page.evaluate("window.__pwned") is None
            assert await page.locator("img").count() == 0
            assert problems == []
        finally:
            await browser.close()


def test_large_run_page_in_chromium(tmp_path: Path) -> None:
    run_dir, results = _large_run(tmp_path)
    failing = [r for r in results if r.status == "FAIL" and not r.expected]
    assert len(failing) >= 5
    asyncio.run(asyncio.wait_for(_check(run_dir / "matrix.html", run_dir, failing), 120))
