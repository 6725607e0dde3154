"""RTCPeerConnection semantics under redirection: errors, states, trickle ICE, two
redirected connections calling each other in one page."""

# The JavaScript embedded in these tests reads better unwrapped.
# ruff: noqa: E501

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Page

from reference_impl import ReferenceHost

Run = Callable[[Awaitable[Any]], Any]


def test_dom_exception_names(run: Run, redirected_page: Page) -> None:
    names = run(redirected_page.evaluate("""async () => {
      const name = async (fn) => { try { await fn(); return 'ok'; } catch (e) { return e.name; } };
      const pc = new RTCPeerConnection();
      const out = {
        iceBeforeRemote: await name(() => pc.addIceCandidate({candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0'})),
        answerInStable: await name(() => pc.createAnswer()),
        badKind: await name(() => pc.addTransceiver('text')),
        badDirection: await name(() => pc.addTransceiver('audio', {direction: 'sideways'})),
        bothLimits: await name(() => pc.createDataChannel('x', {maxRetransmits: 1, maxPacketLifeTime: 1})),
        negotiatedNoId: await name(() => pc.createDataChannel('x', {negotiated: true})),
        garbageSdp: await name(() => pc.setRemoteDescription({type: 'offer', sdp: 'garbage'})),
        noDescription: await name(() => pc.setRemoteDescription()),
        sendBeforeOpen: await name(() => pc.createDataChannel('y').send('x')),
        nativeTrack: await name(() => pc.addTrack({kind: 'audio'})),
      };
      pc.close();
      out.afterClose = {
        createDataChannel: await name(() => pc.createDataChannel('z')),
        createOffer: await name(() => pc.createOffer()),
        addTrack: await name(async () => pc.addTrack((await navigator.mediaDevices.getUserMedia({audio: true})).getAudioTracks()[0])),
        state: pc.signalingState + '/' + pc.connectionState,
        closeTwice: await name(() => pc.close()),
      };
      return out;
    }"""))
    assert names == {
        "iceBeforeRemote": "InvalidStateError",
        "answerInStable": "InvalidStateError",
        "badKind": "TypeError",
        "badDirection": "TypeError",
        "bothLimits": "TypeError",
        "negotiatedNoId": "TypeError",
        "garbageSdp": "OperationError",
        "noDescription": "TypeError",
        "sendBeforeOpen": "InvalidStateError",
        "nativeTrack": "TypeError",
        "afterClose": {"createDataChannel": "InvalidStateError", "createOffer": "InvalidStateError",
                       "addTrack": "InvalidStateError", "state": "closed/closed", "closeTwice": "ok"},
    }


def test_two_redirected_connections_in_one_page(run: Run, host: ReferenceHost, redirected_page: Page) -> None:
    """Both ends redirected: trickle in both directions, states and events, binary data."""
    result = run(redirected_page.evaluate("""async () => {
      const a = new RTCPeerConnection(), b = new RTCPeerConnection();
      const log = [];
      for (const [name, pc] of [['a', a], ['b', b]]) {
        pc.onicegatheringstatechange = () => log.push(name + ':gathering:' + pc.iceGatheringState);
        pc.onsignalingstatechange = () => log.push(name + ':signaling:' + pc.signalingState);
        pc.onconnectionstatechange = () => log.push(name + ':connection:' + pc.connectionState);
      }
      let aNull = false, bNull = false;
      a.onicecandidate = (e) => { if (e.candidate) b.addIceCandidate(e.candidate); else aNull = true; };
      b.onicecandidate = (e) => { if (e.candidate) a.addIceCandidate(e.candidate); else bNull = true; };
      const stream = await navigator.mediaDevices.getUserMedia({audio: true});
      a.addTrack(stream.getAudioTracks()[0], stream);
      const dc = a.createDataChannel('bin', {ordered: true, protocol: 'p'});
      const received = new Promise((resolve) => {
        b.ondatachannel = (e) => {
          const ch = e.channel;
          ch.binaryType = 'arraybuffer';
          ch.onmessage = (m) => resolve({label: ch.label, protocol: ch.protocol, bytes: [...new Uint8Array(m.data)], isBuffer: m.data instanceof ArrayBuffer});
        };
      });
      const tracked = new Promise((resolve) => { b.ontrack = (e) => resolve({id: e.streams[0].id, same: e.track === e.receiver.track, mid: e.transceiver.mid}); });
      await a.setLocalDescription(await a.createOffer());
      await b.setRemoteDescription(a.localDescription);
      await b.setLocalDescription(await b.createAnswer());
      await a.setRemoteDescription(b.localDescription);
      const track = await tracked;
      await new Promise((resolve) => { if (dc.readyState === 'open') resolve(); else dc.onopen = resolve; });
      dc.send(new Uint8Array([1, 2, 3, 250]));
      const message = await received;
      await new Promise((resolve) => { const check = () => (a.connectionState === 'connected' && b.connectionState === 'connected') ? resolve() : setTimeout(check, 20); check(); });
      const out = {track, streamId: stream.id, message, aNull, bNull, log,
                   current: a.currentLocalDescription && a.currentLocalDescription.type,
                   pending: a.pendingLocalDescription, bRemote: b.currentRemoteDescription.type,
                   transceiverMid: a.getTransceivers()[0].mid, currentDirection: a.getTransceivers()[0].currentDirection,
                   dcId: dc.id};
      a.close(); b.close(); stream.getTracks().forEach((t) => t.stop());
      return out;
    }"""))
    assert result["track"]["id"] == result["streamId"]  # the far end sees the page's stream id
    assert result["track"]["same"] and result["track"]["mid"] == "0"
    assert result["message"] == {"label": "bin", "protocol": "p", "bytes": [1, 2, 3, 250], "isBuffer": True}
    assert result["aNull"] and result["bNull"]
    assert result["log"].index("a:gathering:gathering") < result["log"].index("a:gathering:complete")
    assert "a:signaling:have-local-offer" in result["log"] and "b:signaling:have-remote-offer" in result["log"]
    assert "a:connection:connected" in result["log"] and "b:connection:connected" in result["log"]
    assert result["current"] == "offer" and result["pending"] is None and result["bRemote"] == "offer"
    assert result["transceiverMid"] == "0" and result["currentDirection"] == "sendonly"  # b sends nothing
    assert isinstance(result["dcId"], int)
