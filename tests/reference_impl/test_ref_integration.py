"""The MMR integration surface in Chromium, and the fault paths."""

# The JavaScript embedded in these tests reads better unwrapped.
# ruff: noqa: E501

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import BrowserContext, Page

from reference_impl import EXTENSION_VERSION, ReferenceHost

Run = Callable[[Awaitable[Any]], Any]

LISTEN = """() => {
  window.stateEvents = [];
  window.logEntries = [];
  navigator.mediaDevices.addEventListener('rdpClientConnectionStateChanged',
    (e) => stateEvents.push({state: e.detail.state, isCustom: e instanceof CustomEvent}));
  document.addEventListener('mmrExtensionLog', (e) => logEntries.push(e.detail));
}"""


def test_detection_and_diagnostics(run: Run, host: ReferenceHost, redirected_page: Page) -> None:
    page = redirected_page

    async def scenario() -> None:
        values = await page.evaluate("""() => {
          const md = navigator.mediaDevices;
          return {enabled: md.isCallRedirectionEnabled, client: md.mmrClientVersion, host: md.mmrHostVersion,
                  extension: md.mmrExtensionVersion, activity: md.activityId, connection: md.connectionId,
                  logging: md.mmrConsoleLoggingEnabled};
        }""")
        assert values["enabled"] is True
        assert values["extension"] == EXTENSION_VERSION
        assert values["client"] and values["host"]
        assert values["connection"] == host.connection_id
        assert values["logging"] is False
        assert len(values["activity"]) == 36
        # activityId is per page.
        other = await page.context.new_page()
        await other.goto(page.url)
        assert await other.evaluate("navigator.mediaDevices.activityId") != values["activity"]
        await other.close()

    run(scenario())


def test_native_context_has_no_integration_surface(run: Run, context: BrowserContext, page_url: str) -> None:
    async def scenario() -> None:
        page = await context.new_page()
        await page.goto(page_url)
        assert await page.evaluate("navigator.mediaDevices.isCallRedirectionEnabled") is None
        assert await page.evaluate("typeof window.__mmrReferenceShim") == "undefined"

    run(scenario())


def test_logging_events_and_console_flag(run: Run, redirected_page: Page) -> None:
    page = redirected_page

    async def scenario() -> None:
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        await page.evaluate(LISTEN)
        await page.evaluate("navigator.mediaDevices.getUserMedia({video: true}).catch((e) => window.videoError = e)")
        await page.wait_for_function("window.videoError !== undefined", timeout=5_000)
        error = await page.evaluate("({name: videoError.name, message: videoError.message})")
        assert error["name"] == "NotSupportedError" and "ref-video-capture" in error["message"]
        await page.wait_for_function(
            "logEntries.some((e) => e.level === 'warning' && e.message.includes('ref-video-capture'))", timeout=5_000)
        entries = await page.evaluate("logEntries")
        assert all(e["level"] in ("info", "verbose", "warning", "error") for e in entries)
        assert not any("[MMR" in line for line in console)  # off by default
        await page.evaluate("navigator.mediaDevices.mmrConsoleLoggingEnabled = true")
        await page.evaluate("navigator.mediaDevices.getUserMedia({video: true}).catch(() => {})")
        await page.wait_for_function("navigator.mediaDevices.mmrConsoleLoggingEnabled === true")
        await page.wait_for_function("logEntries.filter((e) => e.message.includes('ref-video-capture')).length >= 2",
                                     timeout=5_000)
        assert any("[MMR" in line for line in console)

    run(scenario())


def test_disconnect_kills_everything_and_reconnect_recovers(
        run: Run, host: ReferenceHost, redirected_page: Page) -> None:
    page = redirected_page

    async def scenario() -> None:
        await page.evaluate(LISTEN)
        await page.evaluate("""async () => {
          window.stream = await navigator.mediaDevices.getUserMedia({audio: true});
          window.track = stream.getAudioTracks()[0];
          window.ended = 0;
          track.onended = () => { ended += 1; };
          window.pc = new RTCPeerConnection();
          window.pcEvents = [];
          pc.onconnectionstatechange = () => pcEvents.push('connection:' + pc.connectionState);
          pc.onsignalingstatechange = () => pcEvents.push('signaling:' + pc.signalingState);
          pc.addTrack(track, stream);
          window.dc = pc.createDataChannel('d');
          window.dcClosed = false;
          dc.onclose = () => { dcClosed = true; };
          await pc.setLocalDescription(await pc.createOffer());
          window.firstConnectionId = navigator.mediaDevices.connectionId;
        }""")
        await host.disconnect()
        await page.wait_for_function("stateEvents.length === 1", timeout=5_000)
        state = await page.evaluate("""async () => {
          let addIce = null, createDc = null, offer = null, gum = null;
          try { await pc.addIceCandidate(null); } catch (e) { addIce = e.name; }
          try { pc.createDataChannel('late'); } catch (e) { createDc = e.name; }
          try { await pc.createOffer(); } catch (e) { offer = e.name; }
          try { await navigator.mediaDevices.getUserMedia({audio: true}); } catch (e) { gum = e.name; }
          return {events: stateEvents, enabled: navigator.mediaDevices.isCallRedirectionEnabled,
                  connection: pc.connectionState, signaling: pc.signalingState, pcEvents,
                  track: track.readyState, ended, dc: dc.readyState, dcClosed, addIce, createDc, offer, gum,
                  devices: (await navigator.mediaDevices.enumerateDevices()).length};
        }""")
        assert state["events"] == [{"state": "disconnected", "isCustom": True}]
        assert state["enabled"] is False
        assert state["connection"] == "closed" and state["signaling"] == "closed"
        assert "connection:closed" in state["pcEvents"] and "signaling:closed" in state["pcEvents"]
        assert state["track"] == "ended" and state["ended"] == 1
        assert state["dc"] == "closed" and state["dcClosed"] is True
        assert state["addIce"] == "InvalidStateError" and state["createDc"] == "InvalidStateError"
        assert state["offer"] == "InvalidStateError"
        assert state["gum"] == "NotReadableError"
        assert state["devices"] == 0
        assert (await host.peer_connections()) == []

        await host.reconnect()
        await page.wait_for_function("stateEvents.length === 2", timeout=5_000)
        after = await page.evaluate("""async () => {
          const stream2 = await navigator.mediaDevices.getUserMedia({audio: true});
          const pc2 = new RTCPeerConnection();
          pc2.addTrack(stream2.getAudioTracks()[0], stream2);
          await pc2.setLocalDescription(await pc2.createOffer());
          const result = {events: stateEvents.map((e) => e.state), enabled: navigator.mediaDevices.isCallRedirectionEnabled,
                          newId: navigator.mediaDevices.connectionId !== firstConnectionId,
                          oldStillDead: pc.signalingState === 'closed' && track.readyState === 'ended',
                          newWorks: pc2.signalingState === 'have-local-offer' && stream2.getAudioTracks()[0].readyState === 'live'};
          pc2.close(); stream2.getTracks().forEach((t) => t.stop());
          return result;
        }""")
        assert after == {"events": ["disconnected", "connected"], "enabled": True, "newId": True,
                         "oldStillDead": True, "newWorks": True}
        assert await page.evaluate("navigator.mediaDevices.connectionId") == host.connection_id

    run(scenario())


def test_host_crash_is_seen_as_a_disconnect(run: Run, host: ReferenceHost, redirected_page: Page) -> None:
    page = redirected_page

    async def scenario() -> None:
        await page.evaluate(LISTEN)
        await page.evaluate("""async () => {
          window.stream = await navigator.mediaDevices.getUserMedia({audio: true});
          window.ended = false;
          stream.getAudioTracks()[0].onended = () => { ended = true; };
          window.pc = new RTCPeerConnection();
        }""")
        host.kill()
        await page.wait_for_function("stateEvents.length === 1 && ended", timeout=10_000)
        state = await page.evaluate("""async () => {
          let ping = null;
          try { await __mmrReferenceShim.ping(); } catch (e) { ping = e.name; }
          return {enabled: navigator.mediaDevices.isCallRedirectionEnabled, pc: pc.connectionState, ping,
                  errorLogged: logEntries.some((e) => e.level === 'error')};
        }""")
        assert state == {"enabled": False, "pc": "closed", "ping": "InvalidStateError", "errorLogged": True}
        assert await host.wait_exit(5) == -9
        assert not host.alive

    run(scenario())


def test_pages_without_webrtc_are_unaffected(run: Run, redirected_page: Page) -> None:
    page = redirected_page

    async def scenario() -> None:
        result = await page.evaluate("""async () => {
          const frame = document.createElement('iframe');
          frame.srcdoc = '<p>child</p>';
          document.body.appendChild(frame);
          await new Promise((resolve) => frame.onload = resolve);
          const audio = new Audio();
          return {text: document.body.innerText.includes('reference implementation test page'),
                  frameShim: typeof frame.contentWindow.__mmrReferenceShim,
                  audioSrcObject: audio.srcObject, fetchOk: typeof fetch === 'function',
                  enumerable: Object.keys(window).includes('__mmrReferenceShim')};
        }""")
        assert result == {"text": True, "frameShim": "object", "audioSrcObject": None, "fetchOk": True,
                          "enumerable": False}

    run(scenario())


def test_channel_latency_makes_state_visibly_asynchronous(
        run: Run, host: ReferenceHost, redirected_page: Page) -> None:
    page = redirected_page

    async def scenario() -> None:
        await host.set_latency(150)
        timing = await page.evaluate("""async () => {
          const t0 = performance.now();
          await __mmrReferenceShim.ping();
          const ping = performance.now() - t0;
          const pc = new RTCPeerConnection();
          const dc = pc.createDataChannel('x', {negotiated: true, id: 3});
          const early = {id: dc.id, state: dc.readyState, signaling: pc.signalingState};
          const p = pc.setLocalDescription(await pc.createOffer());
          const during = pc.signalingState;
          await p;
          const result = {ping, early, during, after: pc.signalingState};
          pc.close();
          return result;
        }""")
        assert timing["ping"] >= 150
        assert timing["early"] == {"id": 3, "state": "connecting", "signaling": "stable"}
        assert timing["during"] == "stable" and timing["after"] == "have-local-offer"

    run(scenario())
