"""enumerateDevices, getUserMedia, MediaStream and MediaStreamTrack under redirection."""

# The JavaScript embedded in these tests reads better unwrapped.
# ruff: noqa: E501

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Page

from reference_impl import ReferenceHost

Run = Callable[[Awaitable[Any]], Any]


def test_enumerate_devices_lists_the_local_device(run: Run, host: ReferenceHost, redirected_page: Page) -> None:
    devices = run(redirected_page.evaluate("""async () => (await navigator.mediaDevices.enumerateDevices())
        .map((d) => ({...d.toJSON(), input: d instanceof InputDeviceInfo, info: d instanceof MediaDeviceInfo}))"""))
    inputs = [d for d in devices if d["kind"] == "audioinput"]
    outputs = [d for d in devices if d["kind"] == "audiooutput"]
    assert [d["deviceId"] for d in inputs] == [m.device_id for m in host.microphones]
    assert [d["deviceId"] for d in outputs] == [s.device_id for s in host.speakers]
    assert all(d["input"] and d["info"] for d in inputs)
    assert all(d["info"] and not d["input"] for d in outputs)
    assert inputs[0]["groupId"] == outputs[0]["groupId"]  # mic 1 and speaker 1 are one headset
    assert "440 Hz" in inputs[0]["label"] and "880 Hz" in inputs[1]["label"]


def test_get_user_media_selects_microphone_and_reports_settings(
        run: Run, host: ReferenceHost, redirected_page: Page) -> None:
    result = run(redirected_page.evaluate("""async (micId) => {
      const stream = await navigator.mediaDevices.getUserMedia({audio: {deviceId: {exact: micId}, echoCancellation: false}});
      const track = stream.getAudioTracks()[0];
      const out = {
        streamOk: stream instanceof MediaStream && stream.active && stream.getVideoTracks().length === 0,
        trackOk: track instanceof MediaStreamTrack && track.kind === 'audio' && track.readyState === 'live',
        settings: track.getSettings(), label: track.label,
        byId: stream.getTrackById(track.id) === track,
      };
      const copy = track.clone();
      out.clone = copy !== track && copy.id !== track.id && copy.readyState === 'live';
      track.enabled = false;
      out.enabled = track.enabled;
      let endedEvents = 0;
      track.onended = () => { endedEvents += 1; };
      track.stop();
      out.afterStop = {state: track.readyState, endedEvents, active: stream.active};
      out.cloneAlive = copy.readyState === 'live';
      copy.stop();
      const wrapped = new MediaStream([copy]);
      out.wrapped = wrapped.getTracks()[0] === copy && wrapped.id !== stream.id;
      return out;
    }""", host.microphone(2).device_id))
    assert result["streamOk"] and result["trackOk"] and result["byId"]
    assert result["settings"]["deviceId"] == host.microphone(2).device_id
    assert result["settings"]["echoCancellation"] is False
    assert result["settings"]["sampleRate"] == 48000
    assert "880 Hz" in result["label"]
    assert result["clone"] and result["enabled"] is False
    assert result["afterStop"] == {"state": "ended", "endedEvents": 0, "active": False}
    assert result["cloneAlive"] and result["wrapped"]


def test_get_user_media_errors_match_native_names(run: Run, redirected_page: Page) -> None:
    errors = run(redirected_page.evaluate("""async () => {
      const attempt = async (constraints) => {
        try { await navigator.mediaDevices.getUserMedia(constraints); return 'resolved'; }
        catch (e) { return {name: e.name, constraint: e.constraint, dom: e instanceof DOMException}; }
      };
      return {
        nope: await attempt({audio: {deviceId: {exact: 'nope'}}}),
        nothing: await attempt({}),
        noArgs: await attempt(undefined),
        video: await attempt({audio: true, video: true}),
        sampleRate: await attempt({audio: {sampleRate: {exact: 8000}}}),
        idealUnknown: await attempt({audio: {deviceId: 'unknown-but-ideal'}}),
      };
    }"""))
    assert errors["nope"] == {"name": "OverconstrainedError", "constraint": "deviceId", "dom": True}
    assert errors["nothing"]["name"] == "TypeError" and errors["noArgs"]["name"] == "TypeError"
    assert errors["video"]["name"] == "NotSupportedError"
    assert errors["sampleRate"]["constraint"] == "sampleRate"
    assert errors["idealUnknown"] == "resolved"


def test_proxies_keep_instanceof_and_handlers(run: Run, redirected_page: Page) -> None:
    result = run(redirected_page.evaluate("""async () => {
      const stream = await navigator.mediaDevices.getUserMedia({audio: true});
      const track = stream.getAudioTracks()[0];
      const pc = new RTCPeerConnection();
      const sender = pc.addTrack(track, stream);
      const transceiver = pc.getTransceivers()[0];
      const dc = pc.createDataChannel('x');
      let viaProperty = 0, viaListener = 0;
      pc.onnegotiationneeded = () => { viaProperty += 1; };
      pc.addEventListener('negotiationneeded', () => { viaListener += 1; });
      // Wait for the (coalesced) event, then one more task in which a second one would show.
      await new Promise((resolve) => pc.addEventListener('negotiationneeded', () => setTimeout(resolve, 0), {once: true}));
      const out = {
        pc: pc instanceof RTCPeerConnection && pc instanceof EventTarget,
        sender: sender instanceof RTCRtpSender && sender === transceiver.sender && sender.track === track,
        receiver: transceiver.receiver instanceof RTCRtpReceiver && transceiver.receiver.track instanceof MediaStreamTrack,
        transceiver: transceiver instanceof RTCRtpTransceiver && transceiver.direction === 'sendrecv' && transceiver.mid === null,
        dc: dc instanceof RTCDataChannel && dc.label === 'x' && dc.readyState === 'connecting',
        handlerType: typeof pc.onnegotiationneeded, viaProperty, viaListener,
        tags: [pc, track, stream, dc, sender].map((o) => Object.prototype.toString.call(o)),
        illegal: (() => { try { new RTCRtpSender(); return 'constructed'; } catch (e) { return e.name; } })(),
      };
      pc.onnegotiationneeded = null;
      out.cleared = pc.onnegotiationneeded === null;
      pc.close();
      track.stop();
      return out;
    }"""))
    assert all(result[k] for k in ("pc", "sender", "receiver", "transceiver", "dc", "cleared"))
    assert result["handlerType"] == "function"
    assert result["viaProperty"] == 1 and result["viaListener"] == 1
    assert result["tags"] == ["[object RTCPeerConnection]", "[object MediaStreamTrack]", "[object MediaStream]",
                              "[object RTCDataChannel]", "[object RTCRtpSender]"]
    assert result["illegal"] == "TypeError"
