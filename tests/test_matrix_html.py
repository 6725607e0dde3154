"""matrix.html: escaping and structure on synthetic results, then the page in real Chromium."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_samples import page_data

from conformance.reports import build_matrix, build_multi_run_matrix, render_matrix_html
from conformance.reports.matrix_html import LOG_ENTRY_LIMIT, render_runs_html
from conformance.reports.outcome import ordered_targets
from conformance.results import RunInfo, ScenarioResult, StepRecord

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "reports" / "ci-artifacts"

XSS = "<script>alert(1)</script>"
# If this markup were ever parsed, its handler would set window.__pwned.
IMG = '<img src=x onerror="window.__pwned = 1">'
FAILURE = "expected 'connected' but got 'failed'"


def run_info(**overrides: Any) -> RunInfo:
    values: dict[str, Any] = {
        "run_id": "20240601-120000-abcd",
        "suite_version": "0.1.0",
        "targets": ["native", "reference"],
        "browser": "Chromium",
        "browser_version": "156.0",
        "git_revision": "0123456789abcdef0123",
        "start_time": "2024-06-01T12:00:00+00:00",
        "end_time": "2024-06-01T12:03:00+00:00",
        "workers": 2,
        "command": "conformance run -n 2",
    }
    values.update(overrides)
    return RunInfo(**values)


STEPS_FAILED = [
    StepRecord(0, "run", 5, 0.2, "ok"),
    StepRecord(1, "expect", 9, 2.0, "failed", FAILURE),
    StepRecord(2, "expect", 12, 0.0, "not-run"),
]


def sample() -> list[ScenarioResult]:
    """Every cell state, hostile text in every field that reaches the page."""
    ok = {"outcome": "pass"}
    limit = {"outcome": "fail", "limitation": "webaudio-node-limit",
             "note": "Only some Web Audio nodes are redirected"}
    return [
        ScenarioResult("pc.offer", "native", "PASS", True, ok, covers=["RTCPeerConnection.createOffer"],
                       title="createOffer works", steps=[StepRecord(0, "run", 5, 0.1, "ok")]),
        ScenarioResult("pc.offer", "reference", "PASS", True, ok,
                       covers=["RTCPeerConnection.createOffer"], title="createOffer works"),
        ScenarioResult("pc.state", "native", "PASS", True, ok,
                       covers=["RTCPeerConnection.connectionState"], title=IMG),
        ScenarioResult(
            "pc.state", "reference", "FAIL", False, ok, covers=["RTCPeerConnection.connectionState"],
            title=IMG, message=f"{FAILURE}\n{XSS}", duration=2.2, steps=STEPS_FAILED,
            console=[{"type": "error", "text": f"ICE failed {XSS}"}, {"type": "log", "text": "hello"}],
            mmr_log=[{"level": "info", "message": "redirection <b>on</b>"}],
            artifacts={"screenshot": "artifacts/pc.state/redirected/screenshot.png",
                       "trace": "artifacts/pc.state/redirected/trace.zip",
                       "evil": "javascript:alert(1)"},
        ),
        ScenarioResult("audio.gain", "native", "PASS", True, ok, covers=["AudioContext.createGain"]),
        ScenarioResult("audio.gain", "reference", "FAIL", True, limit, covers=["AudioContext.createGain"],
                       limitation="webaudio-node-limit", title=XSS,
                       message="NotSupportedError: createGain is not supported"),
        ScenarioResult("md.enum", "reference", "PASS", False,
                       {"outcome": "fail", "limitation": "async-proxy-state"},
                       limitation="async-proxy-state", covers=["MediaDevices.enumerateDevices"]),
        ScenarioResult("track.stop", "reference", "SKIP", False, ok, covers=["MediaStreamTrack.stop"],
                       message="target unavailable"),
        ScenarioResult("track.enabled", "reference", "TIMEOUT", False, ok,
                       covers=["MediaStreamTrack.enabled"], message="step 1 did not finish in 10s"),
    ]


def render(results: list[ScenarioResult] | None = None, info: RunInfo | None = None) -> str:
    results = sample() if results is None else results
    info = info or run_info()
    matrix = build_matrix(results, ordered_targets(info.targets, results))
    return render_matrix_html(matrix, info, results)


# --- the page's text ----------------------------------------------------------------------


def test_data_is_escaped_everywhere() -> None:
    info = run_info(run_id="run<1>", command=f"conformance run {XSS}")
    page = render(info=info)
    # The only script that runs is the page's own (the other two hold JSON data, and no
    # data can end them); no markup from data survives.
    assert page.count("<script>") == 1
    assert page.count('<script type="application/json" id="') == 2
    assert page.count("<script") == page.count("</script>") == 3
    assert "<script>alert" not in page
    assert "<img" not in page
    assert "<b>on</b>" not in page
    assert "&lt;img src=x onerror=&quot;window.__pwned = 1&quot;&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "run&lt;1&gt;" in page


def test_artifact_links_only_for_relative_paths() -> None:
    result = sample()[3]
    result.artifacts.update({"a": "https://example.com/x.png", "b": "/etc/passwd",
                             "c": "C:\\x\\y.png", "d": "artifacts/with space/#1.png"})
    page = render([result])
    hrefs = re.findall(r'href="([^"]*)"', page)
    _, records = page_data(page)
    artifacts = {name: (path, href, command) for name, path, href, command in records[0]["a"]}
    hrefs += [href for _, href, _ in artifacts.values() if href is not None]
    assert "artifacts/pc.state/redirected/screenshot.png" in hrefs
    assert "artifacts/with%20space/%231.png" in hrefs
    assert not [h for h in hrefs if ":" in h and h != "data:,"]
    # Shown as code, never linked.
    assert artifacts["evil"] == ("javascript:alert(1)", None, None)
    assert artifacts["trace"][2].startswith("playwright show-trace")


def test_page_loads_nothing_from_anywhere() -> None:
    page = render()
    sources = re.findall(r'\b(?:src|href|action|poster|data)\s*=\s*"([^"]*)"', page)
    for value in sources:
        assert value.startswith(("#", "artifacts/")) or value == "data:,", value
    assert "@import" not in page and "url(" not in page


def test_content_security_policy_allows_only_the_pages_own_style_and_script() -> None:
    page = render()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert csp is not None
    policy = csp.group(1).replace("&#x27;", "'")
    assert "default-src 'none'" in policy
    for tag in ("style", "script"):
        body = re.search(rf"<{tag}>(.*?)</{tag}>", page, re.S)
        assert body is not None
        digest = base64.b64encode(hashlib.sha256(body.group(1).encode()).digest()).decode()
        assert f"{tag}-src 'sha256-{digest}'" in policy


def test_cells_have_text_labels_and_limitation_ids() -> None:
    page = render()
    for label in ("unexpected failure", "unexpected pass", "known limitation", "pass", "not run",
                  "n/a"):
        assert f"</span> {label}</span>" in page, label
    cell = re.search(r'<td class="cell o-known-limitation">.*?</summary>', page, re.S)
    assert cell is not None and "webaudio-node-limit" in cell.group(0)
    # The per-interface summary line and the overall one.
    assert "2 results: 1 pass, 1 known limitation" in page
    assert "<b>Overall:</b> 9 results: 4 pass, 1 known limitation, 2 unexpected failure, " \
           "1 unexpected pass, 1 not run." in page


def test_cell_panel_lists_its_results_and_records_hold_the_logs() -> None:
    page = render()
    data, records = page_data(page)
    row = re.search(r'<tr class="member" data-level="2" data-name="rtcpeerconnection.connectionstate"'
                    r'[^>]*>.*?</tr>', page, re.S)
    assert row is not None
    cell = re.search(r'<td class="cell o-unexpected-failure">.*?</td>', row.group(0), re.S)
    assert cell is not None
    number = re.search(r'data-cell="(\d+)"', cell.group(0))
    assert number is not None
    (result,) = data["cells"][int(number.group(1))]
    record = records[result]
    assert data["results"][result][0] == "pc.state[reference]"
    assert record["m"].startswith(FAILURE)
    assert [step[4] for step in record["s"]] == ["ok", "failed", "not-run"]
    assert len(record["c"]) == record["cn"] == 2 and len(record["x"]) == record["xn"] == 1
    assert record["c"][0] == ["error", "error", f"ICE failed {XSS}"]
    # The data cannot end its script element.
    assert "ICE failed \\u003cscript\\u003e" in page


def test_characters_html_cannot_carry_are_made_visible() -> None:
    result = ScenarioResult("a.b", "native", "FAIL", False, {"outcome": "pass"},
                            covers=["MediaStream"], message="red \x1b[31m\x00 lone \ud800 end")
    page = render([result], run_info(targets=["native"]))
    page.encode("utf-8")  # a lone surrogate would make this raise
    assert "red \\x1b[31m\\x00 lone \\ud800 end" in page


def test_long_logs_are_capped() -> None:
    console = [{"type": "log", "text": f"line {i}"} for i in range(LOG_ENTRY_LIMIT + 7)]
    result = ScenarioResult("a.b", "native", "FAIL", False, {"outcome": "pass"},
                            covers=["MediaStream"], console=console)
    _, (record,) = page_data(render([result], run_info(targets=["native"])))
    assert record["cn"] == LOG_ENTRY_LIMIT + 7
    assert len(record["c"]) == LOG_ENTRY_LIMIT


def test_flaky_items_are_marked_and_listed() -> None:
    flaky = ScenarioResult("a.b", "native", "PASS", True, {"outcome": "pass"}, covers=["MediaStream"],
                           flaky=True, outcomes={"PASS": 2, "FAIL": 1})
    page = render([flaky], run_info(targets=["native"]))
    assert '<section id="flaky"><h2>Flaky items</h2>' in page
    assert "flaky: 1\u00d7 FAIL, 2\u00d7 PASS" in page
    assert '<span class="flk">1 flaky</span>' in page
    assert 'id="flaky"' not in render()


def test_header_interrupted_and_merged_runs() -> None:
    page = render(info=run_info(interrupted=True, merged_from=[
        {"run_id": "shard-1", "results": 5}, {"run_id": "shard-<2>", "results": 4}]))
    assert "This run was interrupted" in page
    assert "Merged from 2 runs: shard-1 (5 results), shard-&lt;2&gt; (4 results)" in page
    assert "No results." in render([], run_info())


def test_multi_run_matrix_has_a_column_group_per_run() -> None:
    first = sample()
    second = [r for r in sample() if r.target == "reference"]
    matrix, placed = build_multi_run_matrix([
        ("before", ["native", "reference"], first), ("after", ["reference"], second),
    ])
    assert matrix.multi_run
    assert matrix.targets == ["before \u00b7 native", "before \u00b7 reference",
                              "after \u00b7 reference"]
    assert matrix.column("after \u00b7 reference").run == "after"
    assert len({r.test for r in placed}) == len(first) + len(second)
    page = render_matrix_html(matrix, {"before": run_info(), "after": run_info(run_id="r2")}, placed)
    assert '<th scope="colgroup" colspan="2">before</th>' in page
    assert '<th scope="colgroup" colspan="1">after</th>' in page
    assert len(page_data(page)[0]["results"]) == len(placed)
    with pytest.raises(ValueError, match="unique"):
        build_multi_run_matrix([("x", ["native"], []), ("x", ["native"], [])])
    side = render_runs_html([("a", run_info(), first), ("b", run_info(), second)])
    assert "b \u00b7 reference" in side


# --- in Chromium --------------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """matrix.html of the sample on a loopback HTTP server; every other path is a 404."""
    body = render(info=run_info()).encode("utf-8")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/matrix.html":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/matrix.html"
    server.shutdown()
    server.server_close()


async def _check_page(url: str) -> None:
    from playwright.async_api import Route, async_playwright

    from conformance.browser import launch_chromium

    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 1000})
            requests: list[str] = []
            blocked: list[str] = []
            problems: list[str] = []
            dialogs: list[str] = []

            async def only_the_page(route: Route) -> None:
                if route.request.url == url:
                    await route.continue_()
                else:
                    blocked.append(route.request.url)
                    await route.abort()

            await page.route("**", only_the_page)
            page.on("request", lambda request: requests.append(request.url))
            # A CSP violation (a wrong hash, an injected script) is reported as a console error.
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("dialog", lambda dialog: dialogs.append(dialog.message))
            await page.goto(url, wait_until="load", timeout=15_000)

            # A known-limitation cell names its limitation.
            limited = page.locator(
                'tr[data-name="audiocontext.creategain"] td.o-known-limitation > details > summary')
            assert "webaudio-node-limit" in await limited.inner_text(timeout=5_000)

            # SCREENSHOT of the matrix, for the CI artifacts.
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SCREENSHOTS / "matrix.png"), full_page=True)

            # Opening a failing cell shows its scenarios with their message and, filled in
            # by the page's script, the step log and logs.
            failing = page.locator(
                'tr[data-name="rtcpeerconnection.connectionstate"] td.o-unexpected-failure')
            drawer = failing.locator(".drawer")
            assert not await drawer.is_visible()
            await failing.locator("details.cell-d > summary").click(timeout=5_000)
            await drawer.wait_for(state="visible", timeout=5_000)
            text = await drawer.inner_text()
            assert FAILURE in text
            assert XSS in text  # the message's markup, shown as text
            assert IMG in text  # the title's markup, shown as text
            await drawer.locator("table.steps").wait_for(state="visible", timeout=5_000)
            assert "ICE failed" in await drawer.inner_text()
            assert await drawer.locator('a[href="artifacts/pc.state/redirected/trace.zip"]').count() == 1
            await page.screenshot(path=str(SCREENSHOTS / "matrix-cell.png"))

            # Opening another cell closes the first; Escape closes it.
            await limited.click(timeout=5_000)
            await drawer.wait_for(state="hidden", timeout=5_000)
            await page.keyboard.press("Escape")
            await page.locator("details.cell-d[open]").wait_for(state="detached", timeout=5_000)

            # The filter keeps only rows with unexpected results.
            await page.select_option("#show", "2")
            visible = await page.locator("table.matrix tbody tr:visible").count()
            assert visible == 6  # 3 interfaces with unexpected results, one member each
            await page.select_option("#show", "0")

            # Following a link to a record opens it.
            await page.locator("#failures a[href^='#r-']").first.click()
            assert await page.locator("details.result[open]").count() == 1

            # Nothing from the data ran, nothing was loaded, nothing complained.
            assert await page.evaluate("window.__pwned") is None
            assert await page.locator("img").count() == 0
            assert dialogs == []
            assert blocked == []
            assert requests == [url]
            assert problems == []
        finally:
            await browser.close()


def test_matrix_html_in_chromium(served: str) -> None:
    asyncio.run(asyncio.wait_for(_check_page(served), 90))
    assert (SCREENSHOTS / "matrix.png").stat().st_size > 10_000
