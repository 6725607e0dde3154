// A small softphone for the suite's own tests: it calls an echoing backend of its own
// (`?signal=<url>`: POST the complete offer as application/sdp, get the answer; DELETE the
// call's Location to hang up) and plays the far end's audio in the way `?render=` names
// (render.js). It follows the call-redirection guidance (detection, diagnostics, teardown on
// disconnect, no call while redirection is expected but inactive, release on hang-up).
// `?flaw=wrong-speaker` plays the call on another speaker than the chosen one;
// `?flaw=ui-mute` has a mute button that only changes the UI.

import { RENDER_MODES } from "./render.js";

const params = new URLSearchParams(location.search);
const SIGNAL = params.get("signal");
const RENDER = RENDER_MODES[params.get("render") || "detached"];
const flaw = params.get("flaw") || "";
const md = navigator.mediaDevices;
const $ = (id) => document.getElementById(id);
const ui = { status: $("status"), mic: $("mic"), speaker: $("speaker"), call: $("call"), mute: $("mute"), hangup: $("hangup") };

export const telemetry = { events: [], redirection: {} };
window.renderApp = { telemetry };
const note = (event, data = {}) => telemetry.events.push({ event, ...data });

function setState(state, text) {
  document.body.dataset.state = state;
  ui.status.textContent = text;
}

// --- call redirection: detection and diagnostics -----------------------------------------
let redirectionExpected = false;
function readDiagnostics() {
  telemetry.redirection = {
    isCallRedirectionEnabled: md.isCallRedirectionEnabled, mmrClientVersion: md.mmrClientVersion,
    mmrHostVersion: md.mmrHostVersion, mmrExtensionVersion: md.mmrExtensionVersion,
    activityId: md.activityId, connectionId: md.connectionId,
  };
  if (telemetry.redirection.isCallRedirectionEnabled !== undefined) redirectionExpected = true;
}
function onConnectionState(event) {
  const state = event.detail && event.detail.state;
  note("rdpClientConnectionStateChanged", { state });
  if (state === "disconnected") {
    if (call) endCall(call);
    setState("unavailable", "Call redirection is disconnected.");
  } else if (state === "connected") {
    readDiagnostics();
    fillDevices().finally(() => setState("idle", "Ready."));
  }
}

// --- devices -------------------------------------------------------------------------------
async function fillDevices() {
  const devices = (await md.enumerateDevices()).filter((d) => !["default", "communications"].includes(d.deviceId));
  for (const [select, kind] of [[ui.mic, "audioinput"], [ui.speaker, "audiooutput"]]) {
    const keep = select.value;
    select.replaceChildren(new Option("Default", ""));
    for (const d of devices.filter((x) => x.kind === kind)) select.add(new Option(d.label || d.deviceId, d.deviceId));
    if ([...select.options].some((o) => o.value === keep)) select.value = keep;
  }
}
// The speaker the call plays on: the chosen one, or (flawed) another listed one.
function playbackSpeaker() {
  const chosen = ui.speaker.value;
  if (flaw !== "wrong-speaker") return chosen;
  const other = [...ui.speaker.options].find((o) => o.value && o.value !== chosen);
  return other ? other.value : "";
}

// --- the call ----------------------------------------------------------------------------
let call = null; // {stream, pc, resource, stopRendering, muted}

function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") resolve();
    });
  });
}

async function onTrack(current, event) {
  if (call !== current || event.track.kind !== "audio") return;
  const stream = event.streams[0] || new MediaStream([event.track]);
  try {
    const stop = await RENDER(stream, playbackSpeaker(), () => call === current);
    if (call === current) current.stopRendering = stop;
    else stop();
  } catch (error) {
    note("render-failed", { error: `${error.name}: ${error.message}` });
  }
}

async function startCall() {
  if (call || !SIGNAL) return;
  if (redirectionExpected && md.isCallRedirectionEnabled !== true) {
    note("call-refused");
    ui.status.textContent = "Call redirection is expected but not active: no call.";
    return;
  }
  const current = { muted: false, stopRendering: null };
  call = current;
  setState("calling", "Calling…");
  try {
    const mic = ui.mic.value;
    current.stream = await md.getUserMedia({ audio: mic ? { deviceId: { exact: mic } } : true });
    if (call !== current) throw new Error("ended");
    const pc = current.pc = new RTCPeerConnection();
    pc.addEventListener("track", (event) => onTrack(current, event));
    pc.addEventListener("connectionstatechange", () => {
      if (call === current && pc.connectionState === "connected") setState("in-call", "In call.");
    });
    for (const track of current.stream.getAudioTracks()) pc.addTrack(track, current.stream);
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const response = await fetch(SIGNAL, { method: "POST", headers: { "Content-Type": "application/sdp" }, body: pc.localDescription.sdp });
    if (!response.ok) throw new Error(`signalling answered ${response.status}`);
    const location = response.headers.get("Location");
    current.resource = location ? new URL(location, SIGNAL).href : null;
    const answer = await response.text();
    if (call === current) await pc.setRemoteDescription({ type: "answer", sdp: answer });
  } catch (error) {
    note("call-failed", { error: `${error.name}: ${error.message}` });
    endCall(current);
  }
}

function endCall(current) {
  if (call !== current) return;
  call = null;
  if (current.stopRendering) current.stopRendering();
  if (current.stream) for (const track of current.stream.getTracks()) track.stop();
  if (current.pc) current.pc.close();
  if (current.resource) fetch(current.resource, { method: "DELETE" }).catch(() => {});
  setState("idle", "Ready.");
}

function toggleMute() {
  if (!call) return;
  call.muted = !call.muted;
  if (flaw !== "ui-mute") for (const track of call.stream.getAudioTracks()) track.enabled = !call.muted;
  ui.mute.textContent = call.muted ? "Unmute" : "Mute";
  ui.mute.setAttribute("aria-pressed", String(call.muted));
}

async function init() {
  readDiagnostics();
  md.addEventListener("rdpClientConnectionStateChanged", onConnectionState);
  ui.call.addEventListener("click", startCall);
  ui.hangup.addEventListener("click", () => call && endCall(call));
  ui.mute.addEventListener("click", toggleMute);
  await fillDevices();
  setState("idle", "Ready.");
}

init().catch((error) => setState("broken", `The app failed to start: ${error.name}: ${error.message}`));
