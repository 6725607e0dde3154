"""The public surface of ``reference_impl`` and the harness runtime on top of the shim."""

from __future__ import annotations

# The JavaScript embedded in these tests reads better unwrapped.
# ruff: noqa: E501
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserContext

import reference_impl
from reference_impl import ReferenceHost

#: How often a bounded wait polls (a wait on a condition, not a fixed sleep).
POLL_INTERVAL_S = 0.05

Run = Callable[[Awaitable[Any]], Any]

async def _eventually(host: ReferenceHost, check: Callable[[dict[str, Any]], bool],
                      timeout: float = 5.0) -> bool:
    """Poll the host's status until ``check`` holds or ``timeout`` passes."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        if check(await host.status()):
            return True
        if loop.time() >= end:
            return False
        await asyncio.sleep(POLL_INTERVAL_S)


RUNTIME = Path(__file__).resolve().parents[2] / "conformance" / "page" / "runtime.js"


def test_public_api_is_explicit() -> None:
    assert sorted(reference_impl.__all__) == sorted([
        "CLIENT_VERSION", "EXTENSION_VERSION", "HOST_VERSION", "ICE_MODES", "PROTOCOL_VERSION",
        "VERSION", "Device", "HostError", "HostStartError", "ReferenceHost", "build_extension",
        "build_init_script", "page_init_script",
    ])
    for name in reference_impl.__all__:
        assert getattr(reference_impl, name) is not None
    assert reference_impl.__version__ == reference_impl.VERSION


def test_reference_impl_does_not_import_the_harness() -> None:
    package = Path(reference_impl.__file__).parent
    for source in package.rglob("*.py"):
        text = source.read_text()
        assert "import conformance" not in text and "from conformance" not in text, source


def test_no_native_peer_connection_is_ever_constructed(
        run: Run, host: ReferenceHost, context: BrowserContext, page_url: str) -> None:
    """A spy installed before the shim counts native constructions: a redirected call makes none."""

    async def scenario() -> None:
        await context.add_init_script(script="""
          window.__nativeCounts = {pc: 0, gum: 0};
          const NativePC = window.RTCPeerConnection;
          window.RTCPeerConnection = new Proxy(NativePC, {construct(t, a, n) { __nativeCounts.pc += 1; return Reflect.construct(t, a, n); }});
          const gum = MediaDevices.prototype.getUserMedia;
          MediaDevices.prototype.getUserMedia = function (c) { __nativeCounts.gum += 1; return gum.call(this, c); };
        """)
        await host.prepare_context(context)
        page = await context.new_page()
        await page.goto(page_url)
        counts = await page.evaluate("""async () => {
          const a = new RTCPeerConnection(), b = new RTCPeerConnection();
          const stream = await navigator.mediaDevices.getUserMedia({audio: true});
          a.addTrack(stream.getAudioTracks()[0], stream);
          await connectPairLocal(a, b);
          async function connectPairLocal(x, y) {
            await x.setLocalDescription(await x.createOffer());
            await y.setRemoteDescription(x.localDescription);
            await y.setLocalDescription(await y.createAnswer());
            await x.setRemoteDescription(y.localDescription);
          }
          const result = {...__nativeCounts, hostSdp: a.localDescription.sdp.includes('IN IP4 0.0.0.0')};
          a.close(); b.close(); stream.getTracks().forEach((t) => t.stop());
          return result;
        }""")
        assert counts == {"pc": 0, "gum": 0, "hostSdp": True}

    run(scenario())


def test_harness_runtime_works_on_top_of_the_shim(
        run: Run, host: ReferenceHost, context: BrowserContext, page_url: str) -> None:
    """The harness's page scripts (conformance/page: the tracking layer, then runtime.js) wrap
    constructors and getUserMedia; the shim must not mind."""
    if not RUNTIME.is_file():
        pytest.skip("the harness runtime is not in this checkout")
    from conformance.page_scripts import RUNTIME_SCRIPTS  # the suite, only when it is there

    async def scenario() -> None:
        await host.prepare_context(context)
        for script in RUNTIME_SCRIPTS:  # as the harness injects them
            await context.add_init_script(script=script)
        page = await context.new_page()
        await page.goto(page_url)
        result = await page.evaluate("""async () => {
          const stream = await navigator.mediaDevices.getUserMedia({audio: {deviceId: {exact: await mic(2)}}});
          const a = new RTCPeerConnection(), b = new RTCPeerConnection();
          a.addTrack(stream.getAudioTracks()[0], stream);
          await connectPair(a, b);
          await until(() => a.connectionState === 'connected' && b.connectionState === 'connected', 10000, 'connected');
          const outbound = await until(async () => (await statsOfType(a, 'outbound-rtp')).find((s) => s.packetsSent > 0), 10000, 'packets');
          const instance = a instanceof RTCPeerConnection;
          const counts = await __conformance.cleanup();
          return {instance, packets: outbound.packetsSent > 0, counts, closed: a.signalingState === 'closed' && b.signalingState === 'closed',
                  ended: stream.getAudioTracks()[0].readyState};
        }""")
        assert result["instance"] and result["packets"] and result["closed"]
        assert result["counts"]["peerConnections"] == 2 and result["counts"]["tracks"] >= 1
        assert result["ended"] == "ended"
        # close() is fire-and-forget in the page; the host releases its connections soon after.
        assert await _eventually(host, lambda status: all(
            not s["objects"].get("PeerHandle") for s in status["sessions"]))

    run(scenario())


def test_closing_a_page_releases_its_host_objects(
        run: Run, host: ReferenceHost, context: BrowserContext, page_url: str) -> None:
    async def scenario() -> None:
        await host.prepare_context(context)
        page = await context.new_page()
        await page.goto(page_url)
        await page.evaluate("""async () => {
          window.stream = await navigator.mediaDevices.getUserMedia({audio: true});
          window.pc = new RTCPeerConnection();
          pc.addTrack(stream.getAudioTracks()[0], stream);
          await pc.setLocalDescription(await pc.createOffer());
        }""")
        status = await host.status()
        assert any(s["objects"].get("PeerHandle") == 1 for s in status["sessions"])
        await page.close()
        assert await _eventually(host, lambda status: status["sessions"] == [])
        assert await host.peer_connections() == []

    run(scenario())
