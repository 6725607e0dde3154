"""The engineer's and the customer's pages of a real run, in real Chromium at 1280x900.

``tests/data/reports/real-run.json.gz`` is the results.json of a real ``conformance run
scenarios --target all -n 2`` (console and mmrExtensionLog entries and the step logs of
passing results dropped, paths made relative to the checkout, to keep it small).
Each page, and two runs side by side, must fit 1280 px without horizontal scrolling; the
status filter and the search must work from disk with the page's CSP. Screenshots go to
``reports/ci-artifacts/`` for the CI artifacts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
from pathlib import Path

from conformance.reports import load_results_json, write_reports
from conformance.reports.matrix_html import RESULTS_PER_PAGE, render_runs_html
from conformance.results import ScenarioResult

ROOT = Path(__file__).resolve().parent.parent
REAL_RUN = ROOT / "tests" / "data" / "reports" / "real-run.json.gz"
SCREENSHOTS = ROOT / "reports" / "ci-artifacts"
WIDTH = 1280


def _second_run(results: list[ScenarioResult]) -> list[ScenarioResult]:
    """The same run with a few outcomes changed, for the side-by-side page."""
    changed = []
    for number, result in enumerate(results):
        if number % 7 == 0 and result.status == "PASS":
            result = dataclasses.replace(result, status="FAIL", expected=False,
                                         message="expected 'connected' but got 'failed'")
        changed.append(result)
    return changed


async def _check(pages: dict[str, Path]) -> dict[str, int]:
    from playwright.async_api import async_playwright

    from conformance.browser import launch_chromium

    widths: dict[str, int] = {}
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page(viewport={"width": WIDTH, "height": 900})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            for name, path in pages.items():
                await page.goto(path.as_uri(), wait_until="load", timeout=15_000)
                widths[name] = await page.evaluate("document.documentElement.scrollWidth")
                await page.screenshot(path=str(SCREENSHOTS / f"{name}-1280.png"))
                if name != "matrix":
                    continue
                # The status filter keeps only the reference deviations, rows and records.
                await page.select_option("#status", "reference-deviation")
                records = page.locator("details.result:visible")
                states = await records.locator("summary").evaluate_all(
                    "els => els.map(e => e.dataset.state)")
                assert states and set(states) == {"reference-deviation"}
                assert "results" in await page.locator("#shown").inner_text()
                await page.select_option("#status", "")
                # The search reads every record's text (step log and logs too).
                await page.fill("#search", "ref-")
                kept, _, total, _ = (await page.locator("#shown").inner_text()).split(" ", 3)
                assert 0 < int(kept) < int(total)
                assert await records.count() == min(int(kept), RESULTS_PER_PAGE)
                await page.fill("#search", "")
            assert problems == []
        finally:
            await browser.close()
    return widths


def test_pages_fit_1280_px_and_filter_in_chromium(tmp_path: Path) -> None:
    document = tmp_path / "results.json"
    document.write_bytes(gzip.decompress(REAL_RUN.read_bytes()))
    info, results = load_results_json(document)
    run_dir = tmp_path / "reports" / info.run_id
    written = write_reports(run_dir, info, results)
    side = run_dir / "side-by-side.html"
    later = dataclasses.replace(info, run_id=info.run_id + "-b")
    side.write_text(render_runs_html([(info.run_id, info, results),
                                      (later.run_id, later, _second_run(results))], run_dir),
                    encoding="utf-8")
    pages = {"matrix": written["html"], "compat": written["compat_html"], "side-by-side": side}
    widths = asyncio.run(asyncio.wait_for(_check(pages), 120))
    assert set(widths) == set(pages)
    assert all(width <= WIDTH for width in widths.values()), widths
