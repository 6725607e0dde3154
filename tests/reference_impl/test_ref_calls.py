"""Real calls from a redirected page: to an aiortc far end and to a native Chromium page."""

# The JavaScript embedded in these tests reads better unwrapped.
# ruff: noqa: E501

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Browser, Page
from ref_speakers import wait_record

from conformance.parties import AiortcParty
from reference_impl import ReferenceHost
from reference_impl.tones import CERTIFY_FAR_END_TONE_HZ as FAR_END_TONE_HZ

Run = Callable[[Awaitable[Any]], Any]

OFFER_FROM_MIC_2 = """async ({micId}) => {
  window.stream = await navigator.mediaDevices.getUserMedia({audio: {deviceId: {exact: micId}}});
  window.pc = new RTCPeerConnection();
  window.candidates = [];
  pc.onicecandidate = (e) => candidates.push(e.candidate ? e.candidate.candidate : null);
  window.remoteTracks = [];
  pc.ontrack = (e) => { remoteTracks.push(e.track); window.remoteStream = e.streams[0]; };
  pc.addTrack(stream.getAudioTracks()[0], stream);
  window.dc = pc.createDataChannel('chat');
  window.echoes = [];
  dc.onmessage = (e) => echoes.push(e.data);
  await pc.setLocalDescription(await pc.createOffer());
  return pc.localDescription.sdp;
}"""


async def _call_far_end(page: Page, host: ReferenceHost, far: AiortcParty) -> None:
    offer = await page.evaluate(OFFER_FROM_MIC_2, {"micId": host.microphone(2).device_id})
    answer = await far.answer(offer)
    await page.evaluate("(sdp) => pc.setRemoteDescription({type: 'answer', sdp})", answer)
    await page.wait_for_function("pc.connectionState === 'connected'", timeout=15_000)


def test_call_to_aiortc_far_end_carries_mic2_audio_and_data(
        run: Run, host: ReferenceHost, redirected_page: Page) -> None:
    page = redirected_page

    async def scenario() -> None:
        far = AiortcParty(FAR_END_TONE_HZ)
        try:
            await _call_far_end(page, host, far)
            heard = await far.wait_for_tone(880.0)
            assert heard.level_dbfs > -30
            # Trickle ICE was synthesised and ended with the null candidate.
            candidates = await page.evaluate("candidates")
            assert candidates and candidates[-1] is None
            assert all("127.0.0.1" in c for c in candidates[:-1])
            # Data channel echo through the far end.
            await page.wait_for_function("dc.readyState === 'open'", timeout=10_000)
            await page.evaluate("dc.send('hello over redirection')")
            await page.wait_for_function("echoes.includes('hello over redirection')", timeout=10_000)
            assert "hello over redirection" in far.messages
            # The far end's tone arrives as a remote track with the track event's stream.
            assert await page.evaluate("remoteTracks.length === 1 && remoteStream.getTracks()[0] === remoteTracks[0]")
        finally:
            await page.evaluate("pc.close(); stream.getTracks().forEach((t) => t.stop())")
            await far.close()

    run(scenario())


def test_redirection_is_real(run: Run, host: ReferenceHost, redirected_page: Page) -> None:
    """The page's SDP is the host's and the far end hears the virtual tone, not Chromium's."""
    page = redirected_page

    async def scenario() -> None:
        far = AiortcParty(None)
        try:
            await _call_far_end(page, host, far)
            host_pcs = await host.peer_connections()
            assert len(host_pcs) == 1
            page_sdp = await page.evaluate("pc.localDescription.sdp")
            assert host_pcs[0]["localDescription"]["sdp"] == page_sdp
            await far.wait_for_tone(880.0)
            # Proxies, not natives: the class is the shim's, toString tag matches native.
            assert await page.evaluate("Object.prototype.toString.call(pc)") == "[object RTCPeerConnection]"
            assert await page.evaluate("__mmrReferenceShim.isRedirected(pc) && __mmrReferenceShim.isRedirected(stream)")
        finally:
            await page.evaluate("pc.close(); stream.getTracks().forEach((t) => t.stop())")
            await far.close()

    run(scenario())


def test_far_end_audio_renders_on_chosen_speaker(
        run: Run, host: ReferenceHost, redirected_page: Page) -> None:
    page = redirected_page

    async def scenario() -> None:
        far = AiortcParty(FAR_END_TONE_HZ)
        try:
            await _call_far_end(page, host, far)
            await page.evaluate("""async (sinkId) => {
              window.audio = new Audio();
              audio.srcObject = remoteStream;
              await audio.setSinkId(sinkId);
              await audio.play();
            }""", host.speaker(2).device_id)
            record = await wait_record(
                host, 2,
                lambda r: r["frames"] > 20 and r["dominantHz"] is not None
                and abs(r["dominantHz"] - FAR_END_TONE_HZ) < 15,
                timeout=10,
            )
            remote_id = await page.evaluate("remoteTracks[0].id")
            assert remote_id in record["trackIds"]
            assert await page.evaluate("remoteStream.id") in record["streamIds"]
            assert (await host.speaker_record(1))["frames"] == 0
            assert await page.evaluate("audio.sinkId") == host.speaker(2).device_id
        finally:
            await page.evaluate("audio.pause(); pc.close(); stream.getTracks().forEach((t) => t.stop())")
            await far.close()

    run(scenario())


def test_replace_track_switches_microphone_at_far_end(
        run: Run, host: ReferenceHost, redirected_page: Page) -> None:
    page = redirected_page

    async def scenario() -> None:
        far = AiortcParty(None)
        try:
            await _call_far_end(page, host, far)
            await far.wait_for_tone(880.0)
            await page.evaluate("""async (micId) => {
              window.mic1 = await navigator.mediaDevices.getUserMedia({audio: {deviceId: {exact: micId}}});
              await pc.getSenders()[0].replaceTrack(mic1.getAudioTracks()[0]);
            }""", host.microphone(1).device_id)
            await far.wait_for_tone(440.0)
            assert await page.evaluate("pc.getSenders()[0].track === mic1.getAudioTracks()[0]")
        finally:
            await page.evaluate("pc.close(); stream.getTracks().forEach((t) => t.stop()); mic1.getTracks().forEach((t) => t.stop())")
            await far.close()

    run(scenario())


def test_get_stats_has_real_counters(run: Run, host: ReferenceHost, redirected_page: Page) -> None:
    page = redirected_page

    async def scenario() -> None:
        far = AiortcParty(FAR_END_TONE_HZ)
        try:
            await _call_far_end(page, host, far)
            await far.wait_for_tone(880.0)
            stats = await page.evaluate("""async () => {
              const report = await pc.getStats();
              const out = {isMap: report instanceof RTCStatsReport && typeof report.get === 'function', types: []};
              report.forEach((s) => { out.types.push(s.type); if (s.type === 'outbound-rtp') out.outbound = s; });
              const senderReport = await pc.getSenders()[0].getStats();
              out.senderTypes = [...senderReport.values()].map((s) => s.type);
              return out;
            }""")
            assert stats["isMap"]
            assert stats["outbound"]["packetsSent"] > 10 and stats["outbound"]["bytesSent"] > 500
            assert {"outbound-rtp", "transport", "codec", "peer-connection", "data-channel"} <= set(stats["types"])
            assert "outbound-rtp" in stats["senderTypes"] and "inbound-rtp" not in stats["senderTypes"]
            parameters = await page.evaluate("""async () => {
              const sender = pc.getSenders()[0];
              const p = sender.getParameters();
              p.encodings[0].maxBitrate = 32000;
              await sender.setParameters(p);
              let stale = null;
              try { await sender.setParameters(p); } catch (e) { stale = e.name; }
              return {codec: p.codecs[0].mimeType, after: sender.getParameters().encodings[0].maxBitrate, stale};
            }""")
            assert parameters == {"codec": "audio/opus", "after": 32000, "stale": "InvalidStateError"}
            # Synchronisation sources are reported once the host has answered (async state).
            await page.wait_for_function(
                "pc.getReceivers()[0].getSynchronizationSources().length > 0", timeout=5_000)
        finally:
            await page.evaluate("pc.close(); stream.getTracks().forEach((t) => t.stop())")
            await far.close()

    run(scenario())


def test_call_to_native_chromium_page(run: Run, host: ReferenceHost, redirected_page: Page,
                                      browser: Browser, page_url: str) -> None:
    """Redirected page -> a plain Chromium page: audio, data channel echo, trickle both ways."""
    page = redirected_page

    async def scenario() -> None:
        native_context = await browser.new_context()
        try:
            native = await native_context.new_page()
            await native.goto(page_url)
            assert await native.evaluate("navigator.mediaDevices.isCallRedirectionEnabled") is None
            offer = await page.evaluate(OFFER_FROM_MIC_2, {"micId": host.microphone(2).device_id})
            answer = await native.evaluate("""async (sdp) => {
              window.pc = new RTCPeerConnection();
              window.candidates = [];
              pc.onicecandidate = (e) => { if (e.candidate) candidates.push(e.candidate.toJSON()); };
              pc.ondatachannel = (e) => { e.channel.onmessage = (m) => e.channel.send('echo:' + m.data); };
              pc.ontrack = (e) => {
                window.ctx = new AudioContext();
                window.analyser = ctx.createAnalyser();
                analyser.fftSize = 8192;
                ctx.createMediaStreamSource(e.streams[0]).connect(analyser);
                // Chromium only pulls remote WebRTC audio into Web Audio while it is played.
                window.sink = new Audio(); sink.srcObject = e.streams[0]; sink.muted = true; sink.play();
              };
              await pc.setRemoteDescription({type: 'offer', sdp});
              await pc.setLocalDescription(await pc.createAnswer());
              await new Promise((resolve) => { if (pc.iceGatheringState === 'complete') resolve(); else pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); }); });
              return pc.localDescription.sdp;
            }""", offer)
            await page.evaluate("(sdp) => pc.setRemoteDescription({type: 'answer', sdp})", answer)
            # Trickle the native side's candidates too (they are also in its SDP; harmless).
            for candidate in await native.evaluate("candidates"):
                await page.evaluate("(c) => pc.addIceCandidate(c).catch(() => {})", candidate)
            await page.wait_for_function("pc.connectionState === 'connected'", timeout=15_000)
            await native.wait_for_function("pc.connectionState === 'connected'", timeout=15_000)
            await page.wait_for_function("dc.readyState === 'open'", timeout=10_000)
            await page.evaluate("dc.send('ping')")
            await page.wait_for_function("echoes.includes('echo:ping')", timeout=10_000)
            peak = await native.wait_for_function("""() => {
              if (!window.analyser) return false;
              const bins = new Float32Array(analyser.frequencyBinCount);
              analyser.getFloatFrequencyData(bins);
              let best = 0; for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
              const hz = best * ctx.sampleRate / analyser.fftSize;
              return bins[best] > -60 && Math.abs(hz - 880) < 15 ? hz : false;
            }""", timeout=15_000)
            assert abs(await peak.json_value() - 880) < 15
            await native.evaluate("pc.close(); ctx.close()")
        finally:
            await page.evaluate("pc.close(); stream.getTracks().forEach((t) => t.stop())")
            await native_context.close()

    run(scenario())
