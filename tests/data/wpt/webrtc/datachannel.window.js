// META: title=A data channel message arrives (a window-scope script test)
// META: script=support/helper.js
"use strict";

promise_test(async (t) => {
  const caller = new RTCPeerConnection();
  const callee = new RTCPeerConnection();
  t.add_cleanup(() => { caller.close(); callee.close(); });
  const channel = caller.createDataChannel("chat");
  caller.onicecandidate = (e) => { if (e.candidate) callee.addIceCandidate(e.candidate); };
  callee.onicecandidate = (e) => { if (e.candidate) caller.addIceCandidate(e.candidate); };
  const remote = new Promise((resolve) => { callee.ondatachannel = (e) => resolve(e.channel); });
  await caller.setLocalDescription(await caller.createOffer());
  await callee.setRemoteDescription(caller.localDescription);
  await callee.setLocalDescription(await callee.createAnswer());
  await caller.setRemoteDescription(callee.localDescription);
  const other = await remote;
  await new Promise((resolve) => { if (channel.readyState === "open") resolve(); else channel.onopen = resolve; });
  const message = new Promise((resolve) => { other.onmessage = (e) => resolve(e.data); });
  channel.send("hello");
  assert_equals(await message, "hello");
  assert_equals(helperExpectedTracks(), 1, "META: script loaded the helper");
}, "a message sent on a data channel arrives");
