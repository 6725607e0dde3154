// The sample app's state and page: its flaws (?flaw=), its signalling URL (?signal=), the
// elements it drives, its telemetry (`sampleApp.telemetry`) and the call state shown.

const VERSION = "1.0.0";

const FLAWS = {
  "no-reconnect": "ignores rdpClientConnectionStateChanged (no teardown, no recreation)",
  "gain-node": "puts a GainNode between the microphone and the level meter's analyser",
  "ringtone-sink": "routes the ringtone (local playback) with setSinkId",
  "sync-settings": "reads getSettings() right after getUserMedia resolves",
  "no-detection": "never reads isCallRedirectionEnabled or the diagnostics",
  "no-guard": "places calls even when redirection is expected but not active",
  "leak-on-hangup": "hang-up leaves the microphone and the peer connection open",
  "ignore-devices": "ignores the chosen microphone and speaker",
  "hostile": "shows an alert and a popup when a call starts, then blocks its main thread for 60 s",
};

const params = new URLSearchParams(location.search);
export const SIGNAL = params.get("signal");
// `?ice=<JSON>`: the RTCConfiguration.iceServers to use (the suite's `{ice_servers}`: STUN
// and TURN on its "internet"); none by default, as before.
export const ICE_SERVERS = parseIceServers(params.get("ice"));
function parseIceServers(text) {
  if (!text) return [];
  try {
    const servers = JSON.parse(text);
    return Array.isArray(servers) ? servers : [];
  } catch {
    return [];
  }
}
const activeFlaws = new Set((params.get("flaw") || "").split(",").map((f) => f.trim()).filter(Boolean));
export const flawed = (name) => activeFlaws.has(name);

export const md = navigator.mediaDevices;
const $ = (id) => document.getElementById(id);
export const ui = {
  status: $("status"), error: $("error"), mic: $("mic"), speaker: $("speaker"), level: $("level"),
  meterNote: $("meter-note"), call: $("call"), answer: $("answer"), mute: $("mute"),
  hangup: $("hangup"), redirected: $("redirected"), versions: $("versions"),
  connection: $("connection"), media: $("media"),
};

// --- telemetry -------------------------------------------------------------------------
export const telemetry = { appVersion: VERSION, redirection: {}, microphone: null, events: [] };
export function record(event, data = {}) {
  telemetry.events.push({ time: new Date().toISOString(), event, ...data });
  if (telemetry.events.length > 200) telemetry.events.shift();
}

export const app = {
  version: VERSION,
  state: "starting",
  telemetry,
  flaws: [...activeFlaws],
  knownFlaws: FLAWS,
};
window.sampleApp = app;

export function setState(state, message) {
  app.state = state;
  document.body.dataset.state = state;
  ui.status.textContent = message;
  const inCall = ["calling", "connecting", "in-call"].includes(state);
  ui.call.disabled = inCall || state === "ringing" || state === "starting";
  ui.hangup.disabled = !(inCall || state === "ringing");
  ui.mute.disabled = !inCall;
  ui.answer.hidden = state !== "ringing";
}
export function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = false;
  record("error", { message });
}
export function clearError() {
  ui.error.hidden = true;
  ui.error.textContent = "";
}
