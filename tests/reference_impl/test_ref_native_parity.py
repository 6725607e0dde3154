"""Behaviours the shim reproduces to match native Chromium: data channel closing and
bufferedAmount, setConfiguration, the setParameters transaction, stopped transceivers."""

# The JavaScript embedded in these tests reads better unwrapped.
# ruff: noqa: E501

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Page

from reference_impl import ReferenceHost

Run = Callable[[Awaitable[Any]], Any]

PAIR = """async () => {
  window.caller = new RTCPeerConnection();
  window.callee = new RTCPeerConnection();
  window.connectPair = async () => {
    caller.onicecandidate = (e) => e.candidate && callee.addIceCandidate(e.candidate);
    callee.onicecandidate = (e) => e.candidate && caller.addIceCandidate(e.candidate);
    await caller.setLocalDescription(await caller.createOffer());
    await callee.setRemoteDescription(caller.localDescription);
    await callee.setLocalDescription(await callee.createAnswer());
    await caller.setRemoteDescription(callee.localDescription);
  };
}"""


def test_data_channel_buffered_amount_and_remote_close(run: Run, redirected_page: Page) -> None:
    page = redirected_page

    async def scenario() -> None:
        await page.evaluate(PAIR)
        await page.evaluate("""async () => {
          window.channel = caller.createDataChannel('bulk');
          callee.ondatachannel = (e) => { window.remote = e.channel; };
          await connectPair();
        }""")
        await page.wait_for_function("channel.readyState === 'open' && window.remote && remote.readyState === 'open'", timeout=10_000)
        low = await page.evaluate("""() => new Promise((resolve) => {
          channel.bufferedAmountLowThreshold = 1024;
          channel.onbufferedamountlow = () => resolve({atEvent: channel.bufferedAmount, queued});
          for (let i = 0; i < 8; i += 1) channel.send(new ArrayBuffer(16384));
          const queued = channel.bufferedAmount;
        })""")
        assert low["queued"] == 8 * 16384 and low["atEvent"] <= 1024
        order = await page.evaluate("""() => new Promise((resolve) => {
          const seen = [];
          remote.onclosing = () => seen.push(`closing:${remote.readyState}`);
          remote.onclose = () => { seen.push(`close:${remote.readyState}`); resolve(seen); };
          channel.onclosing = () => seen.push('local closing');
          channel.close();
          seen.push(`after close():${channel.readyState}`);
        })""")
        # The remote end goes through closing; the end that called close() fires no closing event.
        assert order == ["after close():closing", "closing:closing", "close:closed"]
        await page.evaluate("caller.close(); callee.close()")
    run(scenario())


def test_configuration_and_parameters_follow_chromium(run: Run, redirected_page: Page) -> None:
    page = redirected_page

    async def scenario() -> None:
        result = await page.evaluate("""async () => {
          const attempt = async (fn) => { try { await fn(); return 'ok'; } catch (e) { return e.name; } };
          const pc = new RTCPeerConnection({bundlePolicy: 'max-bundle', iceServers: [{urls: 'stun:a.invalid'}]});
          const config = pc.getConfiguration();
          const out = {
            config: [config.bundlePolicy, config.rtcpMuxPolicy, config.iceTransportPolicy, config.iceCandidatePoolSize, config.iceServers[0].urls],
            empty: await attempt(() => pc.setConfiguration({})),
            same: await attempt(() => pc.setConfiguration({bundlePolicy: 'max-bundle', iceCandidatePoolSize: 2})),
            badEnum: await attempt(() => pc.setConfiguration({bundlePolicy: 'max-bundle', iceTransportPolicy: 'x'})),
            badUrl: await attempt(() => pc.setConfiguration({bundlePolicy: 'max-bundle', iceServers: [{urls: 'http://x'}]})),
            turnNoCredential: await attempt(() => pc.setConfiguration({bundlePolicy: 'max-bundle', iceServers: [{urls: 'turn:x'}]})),
            pool: pc.getConfiguration().iceCandidatePoolSize,
            ctor: await attempt(() => new RTCPeerConnection({rtcpMuxPolicy: 'nope'})),
            ctorUrl: await attempt(() => new RTCPeerConnection({iceServers: [{urls: 'http://x'}]})),
          };
          pc.close();
          out.closed = await attempt(() => pc.setConfiguration({bundlePolicy: 'max-bundle'}));
          const stream = await navigator.mediaDevices.getUserMedia({audio: true});
          const other = new RTCPeerConnection();
          const sender = other.addTrack(stream.getAudioTracks()[0], stream);
          const params = sender.getParameters();
          await new Promise((resolve) => setTimeout(resolve, 0));  // the next task
          out.nextTask = await attempt(() => sender.setParameters(params));
          const fresh = sender.getParameters();
          out.sameTask = await attempt(() => sender.setParameters(fresh));
          out.reused = await attempt(() => sender.setParameters(fresh));
          other.close();
          stream.getTracks().forEach((t) => t.stop());
          return out;
        }""")
        assert result["config"] == ["max-bundle", "require", "all", 0, ["stun:a.invalid"]]
        assert result["empty"] == "InvalidModificationError" and result["same"] == "ok" and result["pool"] == 2
        assert result["badEnum"] == "TypeError" and result["badUrl"] == "SyntaxError"
        assert result["turnNoCredential"] == "InvalidAccessError" and result["ctor"] == "TypeError"
        assert result["ctorUrl"] == "SyntaxError"
        assert result["closed"] == "InvalidStateError"
        assert result["nextTask"] == "InvalidStateError" and result["sameTask"] == "ok"
        assert result["reused"] == "InvalidStateError"
    run(scenario())


def test_stopped_transceiver_is_rejected_and_removed_on_both_ends(run: Run, redirected_page: Page) -> None:
    page = redirected_page

    async def scenario() -> None:
        await page.evaluate(PAIR)
        result = await page.evaluate("""async () => {
          const stream = await navigator.mediaDevices.getUserMedia({audio: true});
          const keep = caller.addTransceiver(stream.getAudioTracks()[0]);
          const doomed = caller.addTransceiver('audio');
          const remoteTracks = [];
          callee.ontrack = (e) => remoteTracks.push(e.track);
          await connectPair();
          const mids = [keep.mid, doomed.mid];
          doomed.stop();
          await connectPair();
          const offerLines = caller.localDescription.sdp.split(/\\r?\\n/);
          const out = {
            mids,
            after: [keep.mid, doomed.mid, doomed.currentDirection, doomed.direction],
            callerCount: caller.getTransceivers().length,
            calleeCount: callee.getTransceivers().length,
            rejected: offerLines.filter((l) => l.startsWith('m=audio 0 ')).length,
            bundle: offerLines.find((l) => l.startsWith('a=group:BUNDLE')),
            ended: remoteTracks.map((t) => t.readyState),
          };
          stream.getTracks().forEach((t) => t.stop());
          return out;
        }""")
        assert result["mids"] == ["0", "1"]
        assert result["after"] == ["0", None, "stopped", "stopped"]
        assert result["callerCount"] == 1 and result["calleeCount"] == 1
        assert result["rejected"] == 1 and result["bundle"] == "a=group:BUNDLE 0"
        assert result["ended"] == ["live", "ended"]
        await page.evaluate("caller.close(); callee.close()")
    run(scenario())


def test_faults_return_after_the_page_handled_them(run: Run, host: ReferenceHost, redirected_page: Page) -> None:
    page = redirected_page

    async def scenario() -> None:
        await page.evaluate("""() => {
          window.seen = [];
          navigator.mediaDevices.addEventListener('rdpClientConnectionStateChanged', (e) => seen.push(e.detail.state));
        }""")
        await host.set_latency(150)  # even with a slow channel
        await host.disconnect()
        # No waiting here: the control reply comes once the page's listeners ran.
        assert await page.evaluate("[seen.slice(), navigator.mediaDevices.isCallRedirectionEnabled]") == [["disconnected"], False]
        await host.reconnect()
        assert await page.evaluate("[seen.slice(), navigator.mediaDevices.isCallRedirectionEnabled]") == [["disconnected", "connected"], True]
        await host.set_latency(0)
    run(scenario())
