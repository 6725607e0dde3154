"""ICE in the reference host: the hermetic loopback mode, the `all` mode, the page's
servers and transport policy, and the host's view of what ICE selected."""

# ruff: noqa: E501

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aioice.ice
import pytest
from playwright.async_api import BrowserContext, Page
from ref_speakers import POLL_INTERVAL_S

from conformance.parties import AiortcParty
from reference_impl import ReferenceHost
from reference_impl.host.ice import restrict_ice_to_loopback, rtc_configuration, use_ice_mode

Run = Callable[[Awaitable[Any]], Any]

OFFER = """async ({micId, config}) => {
  window.stream = await navigator.mediaDevices.getUserMedia({audio: {deviceId: {exact: micId}}});
  window.pc = new RTCPeerConnection(config);
  window.candidates = [];
  window.gathered = new Promise((resolve) => { pc.onicecandidate = (e) => { if (e.candidate) candidates.push({address: e.candidate.address, type: e.candidate.type}); else resolve() } });
  pc.addTrack(stream.getAudioTracks()[0], stream);
  await pc.setLocalDescription(await pc.createOffer());
  await gathered;
  return pc.localDescription.sdp;
}"""

CLEANUP = "pc.close(); stream.getTracks().forEach((t) => t.stop())"


async def _open(host: ReferenceHost, context: BrowserContext, url: str) -> Page:
    await host.prepare_context(context)
    page = await context.new_page()
    await page.goto(url)
    await page.wait_for_function("__mmrReferenceShim.channelState() === 'open'", timeout=10_000)
    return page


async def _call(page: Page, host: ReferenceHost, config: dict[str, Any] | None = None) -> AiortcParty:
    far = AiortcParty(None)
    offer = await page.evaluate(OFFER, {"micId": host.microphone(1).device_id, "config": config or {}})
    answer = await far.answer(offer)
    await page.evaluate("(sdp) => pc.setRemoteDescription({type: 'answer', sdp})", answer)
    await page.wait_for_function("pc.connectionState === 'connected'", timeout=15_000)
    return far


def test_the_hosts_view_shows_the_sending_microphone_and_what_it_encodes(
        run: Run, host: ReferenceHost, redirected_page: Page) -> None:
    page = redirected_page

    async def media() -> dict[str, Any]:
        (pc,) = await host.peer_connections()
        (entry,) = pc["media"]
        return dict(entry)

    async def scenario() -> None:
        far = await _call(page, host)
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            entry = await media()
            while loop.time() < deadline and not (entry["encoded"]["dominantHz"] and entry["sent"].get("packetsSent", 0) > 10):
                await asyncio.sleep(POLL_INTERVAL_S)
                entry = await media()
            assert entry["sentTrack"]["microphone"]["index"] == 1
            assert abs(entry["encoded"]["dominantHz"] - 440) <= 15 and entry["encoded"]["rmsDbfs"] > -30
            assert entry["sent"]["packetsSent"] > 10
            await page.evaluate("stream.getAudioTracks()[0].enabled = false")
            deadline = loop.time() + 10
            while loop.time() < deadline and entry["encoded"]["rmsDbfs"] != -200.0:
                await asyncio.sleep(POLL_INTERVAL_S)
                entry = await media()
            assert entry["encoded"]["rmsDbfs"] == -200.0 and entry["sentTrack"]["enabled"] is False
        finally:
            await page.evaluate(CLEANUP)
            await far.close()

    run(scenario())


def test_loopback_mode_selects_a_loopback_host_pair(run: Run, host: ReferenceHost, redirected_page: Page) -> None:
    page = redirected_page

    async def scenario() -> None:
        far = await _call(page, host)
        try:
            assert host.ice == "loopback"
            assert {c["address"] for c in await page.evaluate("candidates")} == {"127.0.0.1"}
            (pc,) = await host.peer_connections()
            assert pc["iceMode"] == "loopback"
            selected = [t["selectedPair"] for t in pc["iceTransports"] if t["selectedPair"]]
            assert selected and selected[0]["local"]["type"] == "host"
            assert selected[0]["local"]["address"] == "127.0.0.1"
        finally:
            await page.evaluate(CLEANUP)
            await far.close()

    run(scenario())


def test_all_mode_offers_the_machines_interfaces_and_still_reaches_loopback(
        run: Run, all_host: ReferenceHost, context: BrowserContext, page_url: str) -> None:
    async def scenario() -> None:
        page = await _open(all_host, context, page_url)
        far = await _call(page, all_host)
        try:
            # Chromium writes an IPv6 candidate's address in brackets.
            addresses = {c["address"].strip("[]") for c in await page.evaluate("candidates")}
            (pc,) = await all_host.peer_connections()
            local = {c["address"] for t in pc["iceTransports"] for c in t["localCandidates"]}
            # What the page sees is what the host gathered: its real candidates.
            assert addresses == local
            assert "127.0.0.1" in addresses
            if not any(a != "127.0.0.1" for a in addresses):
                pytest.skip("this machine has no interface besides loopback")
            assert pc["iceMode"] == "all"
        finally:
            await page.evaluate(CLEANUP)
            await far.close()

    run(scenario())


def test_relay_policy_without_turn_gathers_nothing_and_keeps_the_configuration(
        run: Run, all_host: ReferenceHost, context: BrowserContext, page_url: str) -> None:
    async def scenario() -> None:
        page = await _open(all_host, context, page_url)
        config = {"iceTransportPolicy": "relay", "iceServers": [{"urls": "stun:127.0.0.1:9"}]}
        try:
            await page.evaluate(OFFER, {"micId": all_host.microphone(1).device_id, "config": config})
            assert await page.evaluate("candidates") == []
            assert await page.evaluate("pc.getConfiguration().iceTransportPolicy") == "relay"
            assert await page.evaluate("pc.getConfiguration().iceServers[0].urls") == ["stun:127.0.0.1:9"]
        finally:
            await page.evaluate(CLEANUP)

    run(scenario())


def test_loopback_mode_uses_only_servers_on_loopback() -> None:
    page = {"iceServers": [
        {"urls": ["stun:127.0.0.1:3478", "stun:stun.example.invalid"], "username": "", "credential": ""},
        {"urls": "turn:[::1]:3478?transport=tcp", "username": "u", "credential": "p"},
        {"urls": ["turn:10.1.2.3:3478"], "username": "u", "credential": "p"},
    ], "iceTransportPolicy": "relay"}
    config = rtc_configuration(page, "loopback")
    assert [s.urls for s in config.iceServers or []] == [["stun:127.0.0.1:3478"], ["turn:[::1]:3478?transport=tcp"]]
    assert config.iceTransportPolicy.value == "relay"


def test_all_mode_uses_every_server_with_its_credential() -> None:
    page = {"iceServers": [{"urls": ["turn:10.1.2.3:3478?transport=tcp"], "username": "u", "credential": "p"}]}
    (server,) = rtc_configuration(page, "all").iceServers or []
    assert (server.urls, server.username, server.credential) == (["turn:10.1.2.3:3478?transport=tcp"], "u", "p")
    assert rtc_configuration(None, "all").iceServers == []  # never aiortc's default public STUN
    assert rtc_configuration(None, "all").iceTransportPolicy.value == "all"


def test_unknown_ice_mode_is_refused(run: Run) -> None:
    with pytest.raises(ValueError, match="ice must be one of loopback, all"):
        run(ReferenceHost.start(ice="everywhere"))


def test_the_target_registry_knows_the_hosts_ice_modes() -> None:
    from conformance.targets.reference import ICE_MODES as registry_modes
    from reference_impl import ICE_MODES

    assert registry_modes == ICE_MODES


def test_loopback_gathering_ends_with_its_block() -> None:
    """aioice's setting is process-wide: the block gives back what was there, even after a
    mode change inside it, so a test worker's later far ends (a home network's among them)
    gather as before (this folder's autouse fixture is such a block, per module)."""
    outside = aioice.ice.get_host_addresses
    with restrict_ice_to_loopback():
        assert aioice.ice.get_host_addresses(True, False) == ["127.0.0.1"]
        use_ice_mode("all")
        assert aioice.ice.get_host_addresses is not outside
    assert aioice.ice.get_host_addresses is outside


def test_a_device_on_a_host_of_its_own_offers_no_loopback_candidate() -> None:
    """`all` mode offers 127.0.0.1 on the machine's own stack (a far end there may be on
    loopback), not in a namespace of its own (a home's device): nothing could answer there,
    and aioice's STUN query from that socket held every gathering for its 5 s bound."""
    from conformance.network.netns import Namespace, namespace_unavailable
    from conformance.network.nsloop import NamespaceLoop
    from reference_impl.host.ice import _all_addresses

    if namespace_unavailable() is not None:
        pytest.skip(namespace_unavailable())

    async def listed() -> list[str]:
        return _all_addresses(True, False)

    async def main() -> None:
        # Unwired: its own loopback only, and no network change on this machine.
        with Namespace.create(wired=False, role="solo") as namespace, NamespaceLoop(namespace.name) as loop:
            assert await loop.run(listed()) == []
        assert "127.0.0.1" in await listed()

    asyncio.run(main())
