// Sample calling app: a small WebRTC softphone that follows the call-redirection
// integration guidance (the vendor's "Developer integration with multimedia redirection"):
//
// - detects redirection through `navigator.mediaDevices.isCallRedirectionEnabled` only, and
//   works when it is absent (natively the property is undefined);
// - puts the diagnostics (client, host and extension versions, activityId, connectionId) and
//   the redirection's warning/error log entries into its own telemetry (`sampleApp.telemetry`);
// - on `rdpClientConnectionStateChanged` "disconnected" tears down every WebRTC object, track
//   and audio element, and on "connected" recreates them: no page reload;
// - never places a call while redirection is expected but not active: it refuses visibly;
// - routes the call's remote audio with `setSinkId` on the element whose `srcObject` carries
//   it, and accepts that the ringtone (local playback) plays on the default output;
// - uses Web Audio for an analyser level meter only, and degrades gracefully without it;
// - waits for events and promises instead of reading proxied state synchronously.
//
// Signalling: `?signal=<url>` names an HTTP endpoint. An outgoing call POSTs the complete
// offer (non-trickle: ICE gathering finished) as application/sdp and gets the answer back
// (201, `Location` names the call; DELETE it to hang up). Incoming calls arrive on a long
// poll of `<signal>/incoming` (200 with JSON {call, sdp, answer, resource}, or 204).
//
// `?flaw=<name>[,<name>]` switches on deliberate mistakes for the suite's own tests; see
// FLAWS in state.js. Without it the app does everything right.
//
// The page's modules: state.js (flaws, elements, telemetry, call state), redirection.js
// (detection and diagnostics), devices.js (device lists and choice), ringtone.js (its
// sound). This file keeps every call of the media and WebRTC APIs a certification judges
// (capture, peer connections, the meter's Web Audio, setSinkId), so their call sites are
// app.js's.

import { chosenMicrophone, chosenSpeaker, refreshDevices } from "./devices.js";
import {
  detectRedirection, onRedirectionLog, readDiagnostics, redirection, redirectionBlocksCalls, renderRedirection,
} from "./redirection.js";
import { misbehaveOnCall } from "./hostile.js";
import { makeRingtoneUrl } from "./ringtone.js";
import {
  ICE_SERVERS, SIGNAL, app, clearError, flawed, md, record, setState, showError, telemetry, ui,
} from "./state.js";

// --- redirection's connection state ------------------------------------------------------
function onConnectionStateChanged(event) {
  const state = event && event.detail ? event.detail.state : undefined;
  record("rdpClientConnectionStateChanged", { state });
  if (state === "disconnected") {
    redirection.state = "disconnected";
    redirection.expected = true;
    teardownEverything();
    setState("unavailable", "Call redirection is disconnected: calls resume when it reconnects.");
  } else if (state === "connected") {
    redirection.state = "connected";
    redirection.expected = true;
    if (!flawed("no-detection")) readDiagnostics(); // connectionId changes on every reconnect
    recreateMediaElements();
    refreshDevices().finally(() => {
      if (app.state === "unavailable") setState("idle", "Ready (call redirection reconnected).");
    });
  }
  renderRedirection();
}

// --- media elements: remote audio and ringtone -----------------------------------------
let remoteAudio = null;

function recreateMediaElements() {
  if (remoteAudio) {
    remoteAudio.pause();
    remoteAudio.srcObject = null;
    remoteAudio.remove();
  }
  remoteAudio = document.createElement("audio");
  remoteAudio.id = "remote-audio";
  ui.media.append(remoteAudio);
}

function removeMediaElements() {
  if (!remoteAudio) return;
  remoteAudio.pause();
  remoteAudio.srcObject = null;
  remoteAudio.remove();
  remoteAudio = null;
}

// Route the call's remote audio to the chosen speaker. Under call redirection this works
// because the element's srcObject carries redirected WebRTC audio.
async function routeRemoteAudio(element) {
  const sinkId = chosenSpeaker();
  if (!sinkId || !element) return;
  if (typeof element.setSinkId !== "function") {
    record("setSinkId-unsupported");
    return;
  }
  try {
    await element.setSinkId(sinkId);
    record("speaker", { sinkId });
  } catch (error) {
    showError(`The speaker could not be selected (${error.name}); the default output is used.`);
  }
}

// The ringtone is local playback (a URL): under call redirection it plays on the remote
// session's default output whatever the chosen speaker is, so the app does not route it.
const ringtone = new Audio(makeRingtoneUrl());
ringtone.loop = true;

function ring(on) {
  if (on) {
    ringtone.play().catch((error) => record("ringtone-not-played", { error: error.name }));
  } else {
    ringtone.pause();
  }
}

async function onSpeakerChosen() {
  if (flawed("ringtone-sink") && typeof ringtone.setSinkId === "function") {
    try {
      await ringtone.setSinkId(ui.speaker.value);
    } catch (error) {
      record("ringtone-sink-failed", { error: error.name });
    }
  }
  if (call && remoteAudio && remoteAudio.srcObject) await routeRemoteAudio(remoteAudio);
}

// --- level meter (AnalyserNode only) ----------------------------------------------------
let meter = null;

function startMeter(stream) {
  stopMeter();
  const Context = window.AudioContext;
  if (typeof Context !== "function") {
    meterUnavailable("Web Audio is not available");
    return;
  }
  let context = null;
  try {
    context = new Context();
    const source = context.createMediaStreamSource(stream);
    const analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    if (flawed("gain-node")) {
      const gain = context.createGain();
      gain.gain.value = 2;
      source.connect(gain);
      gain.connect(analyser);
    } else {
      source.connect(analyser);
    }
    const samples = new Float32Array(analyser.fftSize);
    const current = { context, frame: 0 };
    meter = current;
    const tick = () => {
      if (meter !== current) return;
      try {
        analyser.getFloatTimeDomainData(samples);
      } catch (error) {
        meterUnavailable(error);
        return;
      }
      let sum = 0;
      for (const sample of samples) sum += sample * sample;
      ui.level.value = Math.min(1, Math.sqrt(sum / samples.length) * 4);
      current.frame = requestAnimationFrame(tick);
    };
    ui.meterNote.hidden = true;
    tick();
  } catch (error) {
    // Under call redirection only a few Web Audio nodes work with redirected media: the
    // meter is a nicety, the call goes on without it.
    if (context) context.close().catch(() => {});
    meterUnavailable(error);
  }
}

function meterUnavailable(reason) {
  stopMeter();
  ui.meterNote.hidden = false;
  record("level-meter-unavailable", { reason: String(reason && reason.name ? `${reason.name}: ${reason.message}` : reason) });
}

function stopMeter() {
  const current = meter;
  meter = null;
  ui.level.value = 0;
  if (!current) return;
  cancelAnimationFrame(current.frame);
  current.context.close().catch(() => {});
}

// --- calls ------------------------------------------------------------------------------
let call = null; // {direction, stream, pc, sender, muted, resource, offer, answered}
// The call's audio sender, for the keypad (keypad.js); null outside a call.
app.sender = () => (call && call.sender) || null;

class CallAborted extends Error {
  constructor() {
    super("the call was ended");
    this.name = "CallAborted";
  }
}

function stopStream(stream) {
  for (const track of stream.getTracks()) track.stop();
}

function ensureCurrent(current) {
  if (call !== current) throw new CallAborted();
}

async function openMicrophone(current) {
  const deviceId = chosenMicrophone();
  const stream = await md.getUserMedia({ audio: deviceId ? { deviceId: { exact: deviceId } } : true });
  if (call !== current) {
    stopStream(stream);
    throw new CallAborted();
  }
  current.stream = stream;
  if (flawed("sync-settings")) {
    telemetry.microphone = stream.getAudioTracks()[0].getSettings().deviceId;
  } else {
    telemetry.microphone = deviceId || "default";
  }
  applyMute(current);
  startMeter(stream);
}

function createPeerConnection(current) {
  const pc = new RTCPeerConnection({ iceServers: ICE_SERVERS });
  current.pc = pc;
  pc.addEventListener("track", (event) => onRemoteTrack(current, event));
  pc.onconnectionstatechange = () => onPeerStateChange(current);
  return pc;
}

function addMicrophone(current) {
  for (const track of current.stream.getAudioTracks()) current.sender = current.pc.addTrack(track, current.stream);
}

function onPeerStateChange(current) {
  if (call !== current) return;
  const state = current.pc.connectionState;
  record("peer-connection", { state });
  if (state === "connected") {
    ring(false);
    setState("in-call", "In call.");
  } else if (state === "failed") {
    failCall(current, new Error("the connection failed"));
  }
}

async function onRemoteTrack(current, event) {
  if (call !== current || event.track.kind !== "audio" || !remoteAudio) return;
  const element = remoteAudio;
  element.srcObject = event.streams[0] || new MediaStream([event.track]);
  await routeRemoteAudio(element);
  try {
    await element.play();
  } catch (error) {
    if (call === current) showError(`The call's audio cannot play (${error.name}).`);
  }
}

function gatheringComplete(pc, timeoutMs = 10000) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
    };
    const check = () => {
      if (pc.iceGatheringState === "complete") {
        done();
        resolve();
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`ICE gathering did not complete within ${timeoutMs} ms`));
    }, timeoutMs);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

async function sendSdp(url, sdp) {
  const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/sdp" }, body: sdp });
  if (!response.ok) throw new Error(`the signalling endpoint answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  return response;
}

function refuseIfRedirectionInactive() {
  if (!redirectionBlocksCalls()) return false;
  record("call-refused", { reason: "call redirection is not active" });
  showError("Cannot place the call: call redirection is expected but not active. Calls resume when it reconnects.");
  return true;
}

async function startCall() {
  clearError();
  if (call) return;
  if (!SIGNAL) {
    showError("No signalling endpoint: open the app with ?signal=<url>.");
    return;
  }
  if (refuseIfRedirectionInactive()) return;
  const current = { direction: "outgoing", muted: false };
  call = current;
  setState("calling", "Calling…");
  ring(true);
  if (flawed("hostile")) await misbehaveOnCall();
  try {
    await openMicrophone(current);
    createPeerConnection(current);
    addMicrophone(current);
    await current.pc.setLocalDescription(await current.pc.createOffer());
    ensureCurrent(current);
    await gatheringComplete(current.pc);
    ensureCurrent(current);
    const response = await sendSdp(SIGNAL, current.pc.localDescription.sdp);
    const location = response.headers.get("Location");
    current.resource = location ? new URL(location, SIGNAL).href : null;
    const answer = await response.text();
    ensureCurrent(current);
    await current.pc.setRemoteDescription({ type: "answer", sdp: answer });
  } catch (error) {
    failCall(current, error);
  }
}

function onIncoming(offer) {
  if (call || app.state !== "idle") {
    fetch(offer.resource, { method: "DELETE" }).catch(() => {});
    return;
  }
  call = { direction: "incoming", muted: false, offer, resource: offer.resource, answered: false };
  record("incoming-call", { call: offer.call });
  setState("ringing", "Incoming call…");
  ring(true);
}

async function answerCall() {
  const current = call;
  if (!current || current.direction !== "incoming" || current.answered) return;
  clearError();
  if (refuseIfRedirectionInactive()) return;
  current.answered = true;
  ring(false);
  setState("connecting", "Connecting…");
  try {
    await openMicrophone(current);
    createPeerConnection(current);
    await current.pc.setRemoteDescription({ type: "offer", sdp: current.offer.sdp });
    ensureCurrent(current);
    addMicrophone(current);
    await current.pc.setLocalDescription(await current.pc.createAnswer());
    ensureCurrent(current);
    await gatheringComplete(current.pc);
    ensureCurrent(current);
    await sendSdp(current.offer.answer, current.pc.localDescription.sdp);
  } catch (error) {
    failCall(current, error);
  }
}

function applyMute(current) {
  if (current.stream) for (const track of current.stream.getAudioTracks()) track.enabled = !current.muted;
  ui.mute.textContent = current.muted ? "Unmute" : "Mute";
  ui.mute.setAttribute("aria-pressed", String(current.muted));
}

function toggleMute() {
  if (!call) return;
  call.muted = !call.muted;
  applyMute(call);
  record(call.muted ? "muted" : "unmuted");
}

// Switching the microphone mid-call: capture the new device, replace the sent track,
// stop the old one, keep the mute state.
async function switchMicrophone() {
  const current = call;
  if (!current || !current.stream || !current.sender) return;
  try {
    const deviceId = chosenMicrophone();
    const stream = await md.getUserMedia({ audio: deviceId ? { deviceId: { exact: deviceId } } : true });
    if (call !== current) {
      stopStream(stream);
      return;
    }
    await current.sender.replaceTrack(stream.getAudioTracks()[0]);
    stopStream(current.stream);
    current.stream = stream;
    applyMute(current);
    startMeter(stream);
  } catch (error) {
    showError(`The microphone could not be switched (${error.name}).`);
  }
}

// Release everything the call holds: tracks, peer connection, meter, remote audio.
function releaseCall(current) {
  if (flawed("leak-on-hangup")) return;
  stopMeter();
  if (current.stream) stopStream(current.stream);
  if (current.pc) {
    current.pc.onconnectionstatechange = null;
    current.pc.close();
  }
  if (remoteAudio) {
    remoteAudio.pause();
    remoteAudio.srcObject = null;
  }
}

function endCall(current, message, state = "idle") {
  if (call !== current) return;
  call = null;
  ring(false);
  releaseCall(current);
  if (current.resource) fetch(current.resource, { method: "DELETE" }).catch(() => {});
  setState(state, message);
}

function failCall(current, error) {
  if (error instanceof CallAborted || call !== current) return;
  showError(`The call failed: ${error.name}: ${error.message}`);
  endCall(current, "Call failed.");
}

function hangUp() {
  if (call) endCall(call, "Call ended.");
}

// Disconnect from the remote session: every redirected object is dead, so drop them all.
function teardownEverything() {
  if (call) endCall(call, "Call ended: call redirection disconnected.", "unavailable");
  stopMeter();
  ring(false);
  removeMediaElements();
}

// --- incoming calls: long poll -----------------------------------------------------------
async function pollIncoming() {
  for (;;) {
    try {
      const response = await fetch(`${SIGNAL}/incoming`, { cache: "no-store" });
      if (response.status === 200) onIncoming(await response.json());
      else if (response.status !== 204) throw new Error(`status ${response.status}`);
    } catch (error) {
      record("signalling-unreachable", { error: String(error) });
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

// --- start -------------------------------------------------------------------------------
async function init() {
  detectRedirection();
  renderRedirection();
  if (!flawed("no-reconnect")) md.addEventListener("rdpClientConnectionStateChanged", onConnectionStateChanged);
  document.addEventListener("mmrExtensionLog", onRedirectionLog);
  md.ondevicechange = () => refreshDevices();
  recreateMediaElements();
  ui.call.addEventListener("click", startCall);
  ui.answer.addEventListener("click", answerCall);
  ui.hangup.addEventListener("click", hangUp);
  ui.mute.addEventListener("click", toggleMute);
  ui.mic.addEventListener("change", switchMicrophone);
  ui.speaker.addEventListener("change", onSpeakerChosen);
  await refreshDevices();
  if (redirection.state === "disconnected") {
    setState("unavailable", "Call redirection is present but not active: calls are paused.");
  } else {
    setState("idle", SIGNAL ? "Ready." : "Ready (no signalling endpoint: calls are disabled).");
  }
  if (SIGNAL) pollIncoming();
}

init().catch((error) => showError(`The app failed to start: ${error.name}: ${error.message}`));
