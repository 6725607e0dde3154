// integration.js: the MMR integration surface on navigator.mediaDevices: detection,
// connection-state events, diagnostics and logging.

import { config } from "./config.js";
import { Native, living, uuid } from "./core.js";
import { fire } from "./events.js";

export const integration = {
  connected: Boolean(config.connected),
  connectionId: config.connectionId || "",
  activityId: uuid(), // per page (per frame)
  clientVersion: config.clientVersion,
  hostVersion: config.hostVersion,
  extensionVersion: config.extensionVersion,
  consoleLogging: Boolean(config.consoleLogging),
};

// One log entry: optionally to the console, always as an mmrExtensionLog event on document.
const LOG_LEVELS = new Set(["info", "verbose", "warning", "error"]);
export function log(level, message) {
  if (!LOG_LEVELS.has(level)) level = "info";
  const text = String(message);
  if (integration.consoleLogging) {
    try { Native.consoleLog(`[MMR ${level}] ${text}`); } catch (_) { /* console may be gone */ }
  }
  if (typeof document !== "undefined" && document) {
    try {
      Native.dispatchEvent.call(document, new Native.CustomEvent("mmrExtensionLog", { detail: { level, message: text } }));
    } catch (_) { /* a page listener threw: the platform reports it */ }
  }
}

export function setConnectionState(state, connectionId) {
  const connected = state === "connected";
  if (connectionId) integration.connectionId = connectionId;
  if (connected === integration.connected) return;
  integration.connected = connected;
  if (!connected) killEverything();
  log("info", `RDP client ${state}${connectionId ? ` (connectionId ${connectionId})` : ""}`);
  const target = navigator.mediaDevices;
  if (target) fire(target, new Native.CustomEvent("rdpClientConnectionStateChanged", { detail: { state } }));
}

// Disconnect: every redirected object dies, like its real counterpart on the lost device.
function killEverything() {
  const doomed = [...living];
  living.clear();
  for (const object of doomed) {
    try { object._die(); } catch (error) { log("error", `tearing down ${object}: ${error}`); }
  }
}

export function installIntegration() {
  if (typeof MediaDevices === "undefined") return;
  const proto = MediaDevices.prototype;
  const readOnly = (name, get) => Object.defineProperty(proto, name, {
    configurable: true, enumerable: true, get,
    // The vendor's page shows assignments to these; ignoring them keeps sloppy pages alive.
    set(_value) { log("verbose", `ignored assignment to mediaDevices.${name}`); },
  });
  readOnly("isCallRedirectionEnabled", () => integration.connected);
  readOnly("mmrClientVersion", () => integration.clientVersion);
  readOnly("mmrHostVersion", () => integration.hostVersion);
  readOnly("mmrExtensionVersion", () => integration.extensionVersion);
  readOnly("activityId", () => integration.activityId);
  readOnly("connectionId", () => integration.connectionId);
  Object.defineProperty(proto, "mmrConsoleLoggingEnabled", {
    configurable: true, enumerable: true,
    get() { return integration.consoleLogging; },
    set(value) { integration.consoleLogging = Boolean(value); },
  });
}
