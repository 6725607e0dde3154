// Call redirection as the sample app sees it: detection through
// `navigator.mediaDevices.isCallRedirectionEnabled` only, the diagnostics in its telemetry,
// whether a call may be placed now, and the redirection's warning and error log entries.

import { flawed, md, record, telemetry, ui } from "./state.js";

// state: "connected" | "disconnected" (redirection present, not active) | "absent" | "unknown"
export const redirection = { state: "unknown", expected: false };

export function readDiagnostics() {
  // The documented surface only. Natively every value is undefined.
  telemetry.redirection = {
    isCallRedirectionEnabled: md.isCallRedirectionEnabled,
    mmrClientVersion: md.mmrClientVersion,
    mmrHostVersion: md.mmrHostVersion,
    mmrExtensionVersion: md.mmrExtensionVersion,
    activityId: md.activityId,
    connectionId: md.connectionId,
    readAt: new Date().toISOString(),
  };
  return telemetry.redirection;
}

export function detectRedirection() {
  if (flawed("no-detection")) return;
  const enabled = readDiagnostics().isCallRedirectionEnabled;
  if (enabled === true) {
    redirection.state = "connected";
    redirection.expected = true;
  } else if (enabled === false) {
    // The redirection is installed but not active: calls would not be redirected.
    redirection.state = "disconnected";
    redirection.expected = true;
  } else {
    redirection.state = "absent";
  }
}

// Whether placing a call now would silently bypass an expected redirection.
export function redirectionBlocksCalls() {
  if (flawed("no-guard")) return false;
  if (redirection.expected && !flawed("no-detection")) return md.isCallRedirectionEnabled !== true;
  return redirection.state === "disconnected";
}

export function renderRedirection() {
  const d = telemetry.redirection;
  ui.redirected.textContent = redirection.state;
  const versions = [d.mmrClientVersion, d.mmrHostVersion, d.mmrExtensionVersion];
  ui.versions.textContent = versions.some((v) => v !== undefined) ? versions.map((v) => v ?? "?").join(" / ") : "–";
  ui.connection.textContent = d.connectionId || "–";
}

export function onRedirectionLog(event) {
  const detail = event.detail || {};
  if (detail.level === "warning" || detail.level === "error") {
    record("mmrExtensionLog", { level: detail.level, message: String(detail.message).slice(0, 300) });
  }
}
