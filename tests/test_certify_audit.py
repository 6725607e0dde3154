"""The audit layer in real Chromium (native): what page scripts do is recorded with call
sites, what the harness evaluates is not, and the rules turn it into the right findings."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.browser import find_chromium, launch_chromium
from conformance.certify.audit.layer import AUDIT_GLOBAL, audit_init_scripts, merge_snapshots
from conformance.certify.audit.rules import evaluate, merge_findings
from conformance.page_scripts import RUNTIME_SCRIPTS
from conformance.server import PageServer

PROBE = Path(__file__).resolve().parent / "data" / "apps" / "audit-probe"


def with_probe_page(body: Callable[[Any], Awaitable[Any]],
                    scripts: tuple[str, ...] = audit_init_scripts()) -> Any:
    """Run ``body(page)`` on the probe page, audited (by default), in a fresh native context."""
    from playwright.async_api import async_playwright

    async def main() -> Any:
        server = PageServer({"probe": PROBE})
        try:
            async with async_playwright() as playwright:
                browser = await launch_chromium(playwright, find_chromium())
                try:
                    context = await browser.new_context()
                    for script in scripts:
                        await context.add_init_script(script)
                    page = await context.new_page()
                    await page.goto(server.url("probe/index.html"))
                    return await body(page)
                finally:
                    await browser.close()
        finally:
            server.close()

    return asyncio.run(main())


async def probe(page: Any, *names: str) -> dict[str, Any]:
    for name in names:
        await page.evaluate(f"() => window.probes[{name!r}]()")
    snapshot: dict[str, Any] = await page.evaluate(f"() => window.{AUDIT_GLOBAL}.snapshot()")
    return snapshot


def kinds(snapshot: dict[str, Any]) -> list[str]:
    return [event["kind"] for event in snapshot["events"]]


@pytest.fixture(scope="module")
def snapshots() -> dict[str, dict[str, Any]]:
    """One page, every probe in turn; the audit's snapshot after each."""

    async def body(page: Any) -> dict[str, dict[str, Any]]:
        out = {"start": await probe(page)}
        # The harness's own calls are not the page's: nothing is recorded for them.
        await page.evaluate(
            "async () => { const pc = new RTCPeerConnection(); pc.close(); "
            "(await navigator.mediaDevices.getUserMedia({audio: true})).getTracks()[0].stop(); }"
        )
        out["harness"] = await probe(page)
        for name in (
            "syncRead",
            "senderParameters",
            "webAudio",
            "webAudioOnMic",
            "sinkBeforeSource",
            "deadPeer",
            "video",
            "encoded",
            "listen",
            "contextSink",
        ):
            out[name] = await probe(page, name)
        return out

    result: dict[str, dict[str, Any]] = with_probe_page(body)
    return result


def new_events(snapshots: dict[str, dict[str, Any]], before: str, after: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = snapshots[after]["events"][len(snapshots[before]["events"]) :]
    return events


def test_harness_calls_are_not_recorded(snapshots: dict[str, dict[str, Any]]) -> None:
    assert snapshots["harness"]["usage"] == {}
    assert snapshots["harness"]["live"]["peerConnections"]["created"] == 0
    assert snapshots["start"]["top"] is True


def test_sync_reads_are_flagged_only_in_the_creating_task(snapshots: dict[str, dict[str, Any]]) -> None:
    events = [e for e in new_events(snapshots, "harness", "syncRead") if e["kind"] == "sync-read"]
    assert [(e["member"], e["after"]) for e in events] == [("MediaStreamTrack.getSettings", "getUserMedia")]
    assert events[0]["site"]["url"].endswith("/probe/probe.js") and events[0]["site"]["line"] == 6
    assert snapshots["syncRead"]["usage"]["MediaStreamTrack.getSettings"]["count"] == 2
    events = [e for e in new_events(snapshots, "syncRead", "senderParameters") if e["kind"] == "sync-read"]
    assert [(e["member"], e["after"]) for e in events] == [("RTCRtpSender.getParameters", "addTrack")]


def test_web_audio_graph_is_judged_by_what_feeds_it(snapshots: dict[str, dict[str, Any]]) -> None:
    local = [
        e for e in new_events(snapshots, "senderParameters", "webAudio") if e["kind"].startswith("webaudio")
    ]
    assert local == []  # an oscillator through a gain: local audio, fine
    on_mic = [
        e
        for e in new_events(snapshots, "webAudio", "webAudioOnMic")
        if e["kind"] == "webaudio-unsupported-node"
    ]
    assert [(e["node"], e["media"]) for e in on_mic] == [("BiquadFilterNode", "captured")]
    usage = snapshots["webAudioOnMic"]["usage"]
    assert usage["BiquadFilterNode.constructor"]["kind"] == "outside"
    assert usage["AudioContext.createMediaStreamSource"]["kind"] == "supported"


def test_sink_set_before_a_local_source_is_flagged(snapshots: dict[str, dict[str, Any]]) -> None:
    events = [
        e for e in new_events(snapshots, "webAudioOnMic", "sinkBeforeSource") if e["kind"] == "sink-local"
    ]
    assert len(events) == 1 and events[0]["source"] == "a URL"
    assert events[0]["site"]["function"].endswith("sinkBeforeSource")


def test_call_media_to_a_context_destination_is_supported_and_local_audio_is_not(
        snapshots: dict[str, dict[str, Any]]) -> None:
    """The audit agrees with the limitation registry: redirected audio connected to the
    context's `destination` plays on the speaker `AudioContext.setSinkId` chose."""
    events = new_events(snapshots, "listen", "contextSink")
    assert [e for e in events if e["kind"] == "webaudio-unsupported-node"] == []
    sinks = [e for e in events if e["kind"] == "sink-local"]
    assert [(e["element"], e["source"]) for e in sinks] == [("AudioContext", "local Web Audio")]


def test_dead_objects_video_and_insertable_streams(snapshots: dict[str, dict[str, Any]]) -> None:
    dead = [e for e in new_events(snapshots, "sinkBeforeSource", "deadPeer") if e["kind"] == "dead-object"]
    assert [e["what"] for e in dead] == ["RTCPeerConnection.createOffer() on a closed peer connection"]
    assert "video-capture" in kinds(snapshots["video"])
    encoded = [e for e in new_events(snapshots, "video", "encoded") if e["kind"] == "insertable-streams"]
    assert [e["api"] for e in encoded] == ["RTCRtpSender.createEncodedStreams"]


def test_listeners_and_handler_properties(snapshots: dict[str, dict[str, Any]]) -> None:
    snap = snapshots["listen"]
    assert snap["listeners"]["MediaDevices:devicechange"]["count"] == 1
    assert snap["usage"]["MediaDevices.ondevicechange"]["count"] == 1
    assert snap["live"]["capturedTracks"]["live"] == 0
    assert snap["live"]["peerConnections"]["open"] == 0


def test_rules_on_the_recorded_probe(snapshots: dict[str, dict[str, Any]]) -> None:
    raws = evaluate("native", merge_snapshots([snapshots["listen"]]), redirected=False)
    findings = {f.rule: f for f in merge_findings(raws)}
    assert {
        "sync-proxy-state-read",
        "webaudio-unsupported-node",
        "setsinkid-local-playback",
        "video-capture",
        "insertable-streams",
        "dead-object-use-native",
    } <= set(findings)
    assert findings["insertable-streams"].severity == "error"
    assert all(s.url.endswith("/probe/probe.js") for f in findings.values() for s in f.sites)


def test_the_audit_and_the_scenario_runtime_share_one_page() -> None:
    """Both layers in one page, on one live-object registry: the audit reports what the
    page left open, the runtime's cleanup releases it (and what the harness made too)."""

    async def body(page: Any) -> dict[str, Any]:
        await page.evaluate("() => window.probes.leaveCall()")
        left = await page.evaluate(f"() => window.{AUDIT_GLOBAL}.live()")
        step = await page.evaluate(
            "() => window.__conformance.run('made = new RTCPeerConnection(); made.close(); "
            "harness_pc = new RTCPeerConnection()')")
        cleaned = await page.evaluate("() => window.__conformance.cleanup()")
        after = await page.evaluate(f"() => window.{AUDIT_GLOBAL}.live()")
        return {"left": left, "step": step, "cleaned": cleaned, "after": after}

    seen = with_probe_page(body, (*RUNTIME_SCRIPTS, *audit_init_scripts()))
    left = seen["left"]
    assert (left["peerConnections"]["created"], left["peerConnections"]["open"]) == (1, 1)
    assert left["peerConnections"]["openSites"][0]["url"].endswith("/probe/probe.js")
    assert (left["capturedTracks"]["created"], left["capturedTracks"]["live"]) == (1, 1)
    assert seen["step"] == {"ok": True}
    # The call's and the harness's peer connection; the captured track and its clone.
    assert seen["cleaned"] == {"peerConnections": 2, "tracks": 2, "audioContexts": 0}
    after = seen["after"]
    assert (after["peerConnections"]["created"], after["peerConnections"]["open"]) == (1, 0)
    assert after["capturedTracks"]["live"] == 0
