"""The benchmark measures, each an async function returning JSON-ready figures.

Every comparison is measured side by side in one run, interleaved, so both sides see the
same machine load (these machines are shared and noisy); ratios are what to read.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page

from conformance.artifacts import ArtifactPolicy
from conformance.harness import Harness
from conformance.loader import load_scenario
from conformance.page_scripts import RUNTIME_SCRIPTS
from conformance.parties import AiortcParty, NativePageParty
from conformance.server import PageServer
from reference_impl import ReferenceHost
from reference_impl.tones import AIORTC_FAR_END_TONE_HZ, FAR_END_TONE_AMPLITUDE, TONE_TOLERANCE_HZ

__all__ = [
    "call_setup",
    "harness_overhead",
    "media_path",
    "proxy_round_trip",
]

EMPTY_SCENARIO = """\
id: bench.empty
title: an item whose step does nothing
covers: [MediaStream]
steps:
  - run: "void 0"
expect:
  native: pass
  redirected: pass
"""


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "n": len(ordered)}


def harness_overhead(rounds: int, workdir: Path) -> dict[str, Any]:
    """An empty scenario through the harness vs the same page work hand-written (the floor).

    The floor is the cheapest safe way to run items one after another by hand: one kept
    context and page, the runtime script in it, and per item a navigation, one evaluation
    and the reset isolation needs (``about:blank``, the origin's storage cleared). Two
    harness variants: bare (no artifacts) and as ``conformance run`` runs items (a run
    folder, a trace chunk per item kept for failing ones). The old floor, a fresh context
    per item, is measured beside them for reference.
    """
    folder = workdir / "scenarios"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "limitations.yaml").write_text("limitations: []\n")
    (folder / "empty.yaml").write_text(EMPTY_SCENARIO)
    scenario = load_scenario(folder / "empty.yaml")
    harness = Harness()
    as_run = Harness(artifacts=ArtifactPolicy(workdir / "run", "retain-on-failure"))
    try:
        harness.run_item(scenario, "native")  # warm up: browser launch, server start
        as_run.run_item(scenario, "native")
        browser: Browser = harness.run_async(harness.browsers.launched())
        url = harness.server.url("index.html")
        kept: Page = harness.run_async(_kept_page(browser))

        async def floor_item() -> None:
            await kept.goto(url)
            await kept.evaluate("() => void 0")
            origin = await kept.evaluate("() => location.origin")
            await kept.goto("about:blank")
            session = await kept.context.new_cdp_session(kept)
            await session.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
            await session.detach()

        async def fresh_item() -> None:
            context = await browser.new_context()
            page = await context.new_page()
            await page.goto(url)
            await page.evaluate("() => void 0")
            await context.close()

        timings: dict[str, list[float]] = {"harness": [], "as_run": [], "floor": [], "fresh": []}
        for _ in range(rounds):
            # Interleaved, so that load on this shared machine hits all of them alike.
            for name, one in (("harness", harness), ("as_run", as_run)):
                started = time.perf_counter()
                result = one.run_item(scenario, "native")
                timings[name].append((time.perf_counter() - started) * 1000)
                assert result.status == "PASS", result.message
            started = time.perf_counter()
            harness.run_async(floor_item())
            timings["floor"].append((time.perf_counter() - started) * 1000)
        # Apart: closing a context leaves the browser work that would land on the next item.
        for _ in range(rounds):
            started = time.perf_counter()
            harness.run_async(fresh_item())
            timings["fresh"].append((time.perf_counter() - started) * 1000)
    finally:
        harness.close()
        as_run.close()
    p50 = {name: statistics.median(values) for name, values in timings.items()}
    return {"harness_ms_p50": round(p50["harness"], 1), "floor_ms_p50": round(p50["floor"], 1),
            "ratio": round(p50["harness"] / p50["floor"], 3),
            "as_run_ms_p50": round(p50["as_run"], 1), "as_run_ratio": round(p50["as_run"] / p50["floor"], 3),
            "fresh_context_ms_p50": round(p50["fresh"], 1),
            "rounds": rounds, "target": "<= 1.10"}


async def _kept_page(browser: Browser) -> Page:
    context = await browser.new_context()
    for script in RUNTIME_SCRIPTS:
        await context.add_init_script(script=script)
    return await context.new_page()


async def proxy_round_trip(browser: Browser, server: PageServer, host: ReferenceHost,
                           calls: int) -> dict[str, Any]:
    """A promise call that does no host work, and a read that must reach the host."""
    context = await browser.new_context()
    try:
        await host.prepare_context(context)
        page = await context.new_page()
        await page.goto(server.url("index.html"))
        samples = await page.evaluate("""async (calls) => {
          const shim = window.__mmrReferenceShim;
          for (let i = 0; i < 100; i++) await shim.ping();  // warm up
          const ping = [], devices = [];
          for (let i = 0; i < calls; i++) {
            let t0 = performance.now(); await shim.ping(); ping.push(performance.now() - t0);
            t0 = performance.now(); await navigator.mediaDevices.enumerateDevices();
            devices.push(performance.now() - t0);
          }
          return {ping, devices};
        }""", calls)
    finally:
        await context.close()
    return {"noop_promise_ms": _percentiles(samples["ping"]),
            "enumerate_devices_ms": _percentiles(samples["devices"]),
            "target": "no-op p50 <= 1 ms"}


_CALL = """async ({kind, tone}) => {
  const t0 = performance.now();
  const party = await farEnd(kind, {tone});
  const stream = await navigator.mediaDevices.getUserMedia({audio: true});
  const pc = new RTCPeerConnection();
  pc.addTrack(stream.getAudioTracks()[0], stream);
  await party.call(pc);
  await until(() => pc.connectionState === 'connected', 15000, 'connected');
  const ms = performance.now() - t0;
  pc.close(); stream.getTracks().forEach((t) => t.stop()); await party.hangup();
  return ms;
}"""


async def _harness_page(browser: Browser, server: PageServer, host: ReferenceHost | None
                        ) -> tuple[BrowserContext, Page, Any]:
    """A page like the harness's: runtime helpers and far ends through the binding."""
    from conformance.parties import BINDING_NAME, PartyBroker
    from conformance.parties.native_party import DEFAULT_TONE_HZ

    async def open_native(tone: float | None) -> NativePageParty:
        return await NativePageParty.open(browser, server.url("far-end.html"), tone or DEFAULT_TONE_HZ)

    broker = PartyBroker(open_native)
    context = await browser.new_context()
    await context.expose_binding(BINDING_NAME, broker.handle)
    if host is not None:
        await host.prepare_context(context)
    for script in RUNTIME_SCRIPTS:
        await context.add_init_script(script=script)
    page = await context.new_page()
    await page.goto(server.url("index.html"))
    return context, page, broker


async def call_setup(browser: Browser, server: PageServer, host: ReferenceHost,
                     rounds: int) -> dict[str, Any]:
    """getUserMedia to `connected`, per far end, redirected vs native, interleaved."""
    pages = {
        "native": await _harness_page(browser, server, None),
        "redirected": await _harness_page(browser, server, host),
    }
    figures: dict[str, Any] = {}
    try:
        for far_end in ("aiortc", "native"):
            samples: dict[str, list[float]] = {"native": [], "redirected": []}
            for _ in range(rounds):
                for target, (_context, page, _broker) in pages.items():
                    call = {"kind": far_end, "tone": AIORTC_FAR_END_TONE_HZ}
                    samples[target].append(await page.evaluate(_CALL, call))
            native, redirected = (statistics.median(samples[t]) for t in ("native", "redirected"))
            figures[f"{far_end}_far_end"] = {
                "native_ms_p50": round(native, 1), "redirected_ms_p50": round(redirected, 1),
                "ratio": round(redirected / native, 3), "rounds": rounds,
            }
    finally:
        for context, _page, broker in pages.values():
            await broker.close()
            await context.close()
    figures["target"] = "redirected / native <= 1.5"
    return figures


async def media_path(browser: Browser, server: PageServer, host: ReferenceHost,
                     rounds: int) -> dict[str, Any]:
    """Far end's tone onset until detected: at the local speaker (redirected) vs the page."""
    samples: dict[str, list[float]] = {"native": [], "redirected": []}
    for _ in range(rounds):
        for target in ("native", "redirected"):
            samples[target].append(await _tone_onset_ms(browser, server, host, target))
    native, redirected = (statistics.median(samples[t]) for t in ("native", "redirected"))
    return {"native_ms_p50": round(native, 1), "redirected_ms_p50": round(redirected, 1),
            "ratio": round(redirected / native, 3), "rounds": rounds,
            "how": f"far end switches its {AIORTC_FAR_END_TONE_HZ:g} Hz tone on; native: the page's "
                   "analyser peak; redirected: the host's speaker record (both polled every ~10 ms)"}


async def _tone_onset_ms(browser: Browser, server: PageServer, host: ReferenceHost,
                         target: str) -> float:
    party = AiortcParty(AIORTC_FAR_END_TONE_HZ)
    tone = party.tone
    assert tone is not None
    tone.amplitude = 0.0  # silence until the onset
    context = await browser.new_context()
    try:
        if target == "redirected":
            await host.prepare_context(context)
            await host.reset_speakers()
        for script in RUNTIME_SCRIPTS:
            await context.add_init_script(script=script)
        page = await context.new_page()
        await page.goto(server.url("index.html"))
        offer = await page.evaluate("""async () => {
          pc = new RTCPeerConnection();
          pc.addTransceiver('audio', {direction: 'recvonly'});
          pc.ontrack = (e) => {
            player = new Audio(); player.srcObject = new MediaStream([e.track]); player.play();
            if (!navigator.mediaDevices.isCallRedirectionEnabled) {
              ctx = new AudioContext(); analyser = ctx.createAnalyser(); analyser.fftSize = 2048;
              ctx.createMediaStreamSource(new MediaStream([e.track])).connect(analyser);
            }
          };
          await pc.setLocalDescription(await pc.createOffer());
          await iceGatheringComplete(pc);
          return pc.localDescription.sdp;
        }""")
        answer = await party.answer(offer)
        await page.evaluate("""async (sdp) => {
          await pc.setRemoteDescription({type: 'answer', sdp});
          await until(() => pc.connectionState === 'connected', 15000, 'connected');
        }""", answer)
        # The onset is measured on a flowing stream: wait until silent audio arrives.
        await page.evaluate("""async () => until(async () => {
          let packets = 0;
          const stats = await pc.getStats();
          stats.forEach((s) => { if (s.type === "inbound-rtp") packets += s.packetsReceived || 0; });
          return packets > 25;
        }, 10000, 'audio flowing')""")
        onset = time.perf_counter()
        tone.amplitude = FAR_END_TONE_AMPLITUDE
        deadline = onset + 10.0
        while time.perf_counter() < deadline:
            if target == "redirected":
                record = await host.speaker_record(1)
                loud = (record.get("rmsDbfs") or -200.0) > -40
                heard_hz = float(record.get("dominantHz") or 0)
                heard = loud and abs(heard_hz - AIORTC_FAR_END_TONE_HZ) < TONE_TOLERANCE_HZ
            else:
                heard = await page.evaluate("""(hz) => {
                  if (typeof analyser === 'undefined') return false;
                  const s = new Float32Array(analyser.frequencyBinCount); analyser.getFloatFrequencyData(s);
                  let p = 1; for (let i = 2; i < s.length; i++) if (s[i] > s[p]) p = i;
                  return Math.abs(p * ctx.sampleRate / analyser.fftSize - hz) < 30 && s[p] > -60;
                }""", AIORTC_FAR_END_TONE_HZ)
            if heard:
                return (time.perf_counter() - onset) * 1000
            await asyncio.sleep(0.01)
        raise TimeoutError(f"tone never detected on the {target} target")
    finally:
        await context.close()
        await party.close()
