"""The benchmark entry point: writes ``reports/bench/<date>.json`` and ``<date>.md``.

    .venv/bin/python -m benchmarks.run            # all eight figures
    .venv/bin/python -m benchmarks.run --quick    # fewer rounds, no whole-suite runs
    .venv/bin/python -m benchmarks.run --only reports [--reports-run RUN]   # figure 7 only

Figures: (1) harness overhead per item vs hand-written Playwright, (2) proxy round trip,
(3) call set-up redirected vs native with both far ends, (4) media path (tone onset),
(5) whole-suite wall time with -n 1 and -n 2, (6) peak memory and host memory growth over
repeated runs, (7) reports at scale: a real run's results repeated to 330, 3,300 and 9,900
results, ``conformance report``'s time and memory, the pages' sizes, matrix.html's load and
keystroke times in headless Chromium (:mod:`benchmarks.reports_scale`). (8) call quality
(ViSQOL score and mouth-to-ear delay) per ``--network`` topology and impairment preset
(``--only quality``). Targets are reported, never asserted: humans and CI artifacts judge.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import measures, quality, reports_scale, suite
from conformance.browser import chromium_version, find_chromium, launch_chromium
from conformance.reports.atomic import atomic_write_text
from conformance.runinfo import git_revision, suite_version
from conformance.server import PageServer
from reference_impl import ReferenceHost

ROOT = Path(__file__).resolve().parent.parent


async def _browser_figures(rounds: int, calls: int) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    server = PageServer()
    host = await ReferenceHost.start()
    try:
        async with async_playwright() as playwright:
            browser = await launch_chromium(playwright)
            try:
                return {
                    "proxy_round_trip": await measures.proxy_round_trip(browser, server, host, calls),
                    "call_setup": await measures.call_setup(browser, server, host, rounds),
                    "media_path": await measures.media_path(browser, server, host, rounds),
                }
            finally:
                await browser.close()
    finally:
        await host.close()
        server.close()


def _markdown(data: dict[str, Any]) -> str:
    m = data["machine"]
    f = data["figures"]
    lines = [
        f"# Benchmarks {data['date']}",
        "",
        f"Machine: {m['cpus']} CPUs, {m['platform']}, {m['browser']}, load average at start "
        f"{m['load_average']}. Suite {data['suite_version']} ({data['git_revision'] or 'no git'}).",
        "",
        "| # | figure | value | target |",
        "|---|---|---|---|",
    ]
    h = f.get("harness_overhead")
    if h:
        lines.append(f"| 1 | harness overhead per item | harness {h['harness_ms_p50']} ms vs the "
                     f"hand-written floor {h['floor_ms_p50']} ms p50: **{h['ratio']}**; as "
                     f"`conformance run` runs items (run folder, traces kept on failure) "
                     f"{h.get('as_run_ms_p50')} ms: **{h.get('as_run_ratio')}**; a fresh context "
                     f"per item by hand: {h.get('fresh_context_ms_p50')} ms | {h['target']} |")
    p = f.get("proxy_round_trip")
    if p:
        lines.append(f"| 2 | proxy round trip (no-op promise) | p50 **{p['noop_promise_ms']['p50']} ms**, "
                     f"p95 {p['noop_promise_ms']['p95']}, p99 {p['noop_promise_ms']['p99']} "
                     f"(n={p['noop_promise_ms']['n']}); enumerateDevices p50 "
                     f"{p['enumerate_devices_ms']['p50']} ms, p99 {p['enumerate_devices_ms']['p99']} | "
                     f"{p['target']} |")
    c = f.get("call_setup")
    if c:
        for far_end in ("aiortc_far_end", "native_far_end"):
            x = c[far_end]
            lines.append(f"| 3 | call set-up, {far_end.replace('_', ' ')} | redirected "
                         f"{x['redirected_ms_p50']} ms vs native {x['native_ms_p50']} ms: "
                         f"**{x['ratio']}** | {c['target']} |")
    mp = f.get("media_path")
    if mp:
        lines.append(f"| 4 | media path (tone onset detected) | redirected {mp['redirected_ms_p50']} ms "
                     f"vs native {mp['native_ms_p50']} ms: **{mp['ratio']}** | reported |")
    s = f.get("suite")
    if s:
        lines.append(f"| 5 | whole suite, both targets ({s['n1']['items']} items) | "
                     f"-n 1 {s['n1']['wall_s']} s "
                     f"({s['n1']['items_per_s']} items/s), -n 2 {s['n2']['wall_s']} s "
                     f"({s['n2']['items_per_s']} items/s): speedup **{s['speedup']}** | {s['target']} |")
    sel = f.get("selection")
    if sel:
        lines.append(f"| 5 | {sel['items']} items ({' '.join(sel['selection'])} --target all), median "
                     f"of {sel['rounds']} in turn | -n 1 {sel['n1_wall_s']} s, -n 2 {sel['n2_wall_s']} s: "
                     f"-n 2 / -n 1 **{sel['ratio_n2_over_n1']}** | {sel['target']} |")
    if s:
        lines.append(f"| 6 | peak RSS (-n 1 run) | harness {s['n1']['peak_rss_mib']['harness_process']} MiB, "
                     f"host {s['n1']['peak_rss_mib']['reference_host']} MiB | reported |")
    mem = f.get("host_memory")
    if mem:
        lines.append(f"| 6 | host memory over {len(mem['host_rss_mib_after_each_repetition'])} "
                     f"repetitions | {mem['host_rss_mib_after_each_repetition']} MiB: growth "
                     f"**{mem['growth_first_to_last'] * 100:.1f} %** | {mem['target']} |")
    scale = f.get("reports_at_scale")
    if scale:
        lines.extend(reports_scale.markdown_rows(scale))
    if f.get("call_quality"):
        lines += quality.markdown_rows(f["call_quality"])
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the benchmarks and write the JSON and Markdown reports."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds; skip whole-suite runs")
    parser.add_argument("--out", default=str(ROOT / "reports" / "bench"))
    parser.add_argument("--only", choices=("micro", "suite", "reports", "quality"),
                        help="only figures 1-4 (micro), only 5-6 (whole suite, memory), only "
                        "7 (reports at scale) or only 8 (call quality per network and impairment)")
    parser.add_argument("--reports-run", metavar="RUN", help="the real run figure 7 repeats (a "
                        "run folder or results.json; default: reports/latest if it has "
                        "results.json, else tests/data/reports/real-run.json.gz)")
    args = parser.parse_args()
    rounds, calls, overhead_rounds = (3, 300, 15) if args.quick else (7, 1000, 40)
    chromium = find_chromium()
    data: dict[str, Any] = {
        "date": dt.datetime.now().strftime("%Y-%m-%d-%H%M"),
        "suite_version": suite_version(),
        "git_revision": git_revision(ROOT),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "browser": chromium_version(chromium.path), "load_average": os.getloadavg()},
        "figures": {},
    }
    figures = data["figures"]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def save() -> None:
        # After every phase, so a crash or Ctrl-C keeps the figures already measured.
        atomic_write_text(out / f"{data['date']}.json", json.dumps(data, indent=2))
        atomic_write_text(out / f"{data['date']}.md", _markdown(data))

    with tempfile.TemporaryDirectory() as workdir:
        if args.only in (None, "micro"):
            print("1/6 harness overhead", flush=True)
            figures["harness_overhead"] = measures.harness_overhead(overhead_rounds, Path(workdir))
            save()
            print("2-4/6 proxy round trip, call set-up, media path", flush=True)
            figures.update(asyncio.run(_browser_figures(rounds, calls)))
            save()
        if not args.quick and args.only in (None, "suite"):
            print("5/6 whole suite with -n 1 and -n 2", flush=True)
            figures["suite"] = suite.suite_wall_time(ROOT, Path(workdir))
            save()
            print("5/6 the selection with -n 1 and -n 2, 3 rounds in turn", flush=True)
            figures["selection"] = suite.selection_wall_time(ROOT, Path(workdir))
            save()
            print("6/6 host memory over 5 repetitions", flush=True)
            figures["host_memory"] = suite.host_memory_over_repetitions(ROOT, 5)
            save()
        if args.only in (None, "reports"):
            print("7 reports at scale: 330, 3,300 and 9,900 results", flush=True)
            source = reports_scale.source_run(args.reports_run, ROOT, Path(workdir))
            figures["reports_at_scale"] = reports_scale.reports_at_scale(
                source, Path(workdir) / "scale", reports_scale.SIZES)
            save()
        if args.only in (None, "quality"):
            print("8 call quality per network and impairment", flush=True)
            figures["call_quality"] = asyncio.run(quality.call_quality(1 if args.quick else 3))
            save()
    print(_markdown(data))


if __name__ == "__main__":
    main()
