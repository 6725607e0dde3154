// pcoptions.js: RTCPeerConnection's arguments as Chromium reads them: RTCConfiguration,
// offer options, description inits and the legacy callback overloads.

import { Native } from "./core.js";
import { domError, rejected } from "./errors.js";

// RTCOfferOptions/RTCAnswerOptions for the host, with the legacy offerToReceiveAudio and
// offerToReceiveVideo (a boolean, or a count as old pages write it) kept as booleans.
export function offerOptions(options) {
  const input = options === undefined || options === null ? {} : options;
  if (typeof input !== "object" && typeof input !== "function") {
    throw new TypeError("Failed to execute 'createOffer' on 'RTCPeerConnection': The provided value is not of type 'RTCOfferOptions'.");
  }
  const wire = { iceRestart: Boolean(input.iceRestart) };
  for (const name of ["offerToReceiveAudio", "offerToReceiveVideo"]) {
    if (input[name] !== undefined) wire[name] = Boolean(input[name]);
  }
  return wire;
}

export function descriptionInit(description) {
  if (description === undefined || description === null) return null;
  if (typeof description !== "object") throw new TypeError("The provided value is not of type 'RTCSessionDescriptionInit'.");
  const init = typeof description.toJSON === "function" ? description.toJSON() : description;
  return { type: init.type, sdp: init.sdp === undefined || init.sdp === null ? "" : String(init.sdp) };
}

// RTCConfiguration as Chromium reads it: defaults filled in, enums and URLs checked, the
// result shaped like Chromium's getConfiguration(). `prefix` starts every error message.
const CONFIGURATION_ENUMS = {
  iceTransportPolicy: ["relay", "all"],
  bundlePolicy: ["balanced", "max-compat", "max-bundle"],
  rtcpMuxPolicy: ["negotiate", "require"],
};
const CONFIGURATION_TYPES = {
  iceTransportPolicy: "RTCIceTransportPolicy", bundlePolicy: "RTCBundlePolicy", rtcpMuxPolicy: "RTCRtcpMuxPolicy",
};

export function normalizeConfiguration(configuration, prefix) {
  const fail = (message) => `${prefix}${message}`;
  const input = configuration === undefined || configuration === null ? {} : configuration;
  if (typeof input !== "object") throw new TypeError(fail("The provided value is not of type 'RTCConfiguration'."));
  const result = {
    alwaysNegotiateDataChannels: Boolean(input.alwaysNegotiateDataChannels),
    bundlePolicy: "balanced",
    certificates: [],
    encodedInsertableStreams: Boolean(input.encodedInsertableStreams),
    iceCandidatePoolSize: 0,
    iceServers: [],
    iceTransportPolicy: "all",
    rtcpMuxPolicy: "require",
  };
  for (const [key, allowed] of Object.entries(CONFIGURATION_ENUMS)) {
    if (input[key] === undefined) continue;
    const value = String(input[key]);
    if (!allowed.includes(value)) {
      throw new TypeError(fail(`Failed to read the '${key}' property from 'RTCConfiguration': The provided value '${value}' is not a valid enum value of type ${CONFIGURATION_TYPES[key]}.`));
    }
    result[key] = value;
  }
  if (input.iceCandidatePoolSize !== undefined) {
    const size = Number(input.iceCandidatePoolSize);
    if (!Number.isFinite(size) || size < 0 || size > 255) {
      throw new TypeError(fail("Failed to read the 'iceCandidatePoolSize' property from 'RTCConfiguration': Value is outside the 'octet' value range."));
    }
    result.iceCandidatePoolSize = Math.trunc(size);
  }
  if (Array.isArray(input.certificates)) result.certificates = [...input.certificates];
  for (const server of input.iceServers || []) {
    if (!server || typeof server !== "object" || server.urls === undefined) {
      throw new TypeError(fail("Failed to read the 'urls' property from 'RTCIceServer': Required member is undefined."));
    }
    const urls = [].concat(server.urls).map(String);
    for (const url of urls) {
      const scheme = /^(stuns?|turns?):/i.exec(url);
      if (!scheme) throw domError("SyntaxError", fail(`'${url}' is not a valid stun or turn URL.`));
      if (/^turns?$/i.test(scheme[1]) && (server.username === undefined || server.credential === undefined)) {
        throw domError("InvalidAccessError", fail("Both username and credential are required when the URL scheme is \"turn\" or \"turns\"."));
      }
    }
    result.iceServers.push({
      credential: server.credential === undefined ? "" : String(server.credential),
      urls,
      username: server.username === undefined ? "" : String(server.username),
    });
  }
  return result;
}

// The legacy callback overloads Chromium still supports (createOffer(success, failure,
// options), setLocalDescription(description, success, failure), ...): the callbacks get the
// result or the error, and the returned promise resolves with undefined. `first` is the
// 1-based position of the success callback, for Chromium's error messages.
export function legacyCallbacks(method, args, first, operation) {
  for (const [offset, callback] of [args[first - 1], args[first]].entries()) {
    if (typeof callback !== "function") {
      return rejected(new TypeError(`Failed to execute '${method}' on 'RTCPeerConnection': parameter ${first + offset} is not of type 'Function'.`));
    }
  }
  const [success, failure] = [args[first - 1], args[first]];
  return operation().then((result) => { success.call(undefined, result); }, (error) => { failure.call(undefined, error); });
}

// What goes to the host: plain JSON (certificates are native objects and stay here).
export function wireConfiguration(configuration) {
  const { certificates: _certificates, ...rest } = configuration;
  return Native.JSON.parse(Native.JSON.stringify(rest));
}

// setConfiguration's argument against the current configuration: policies fixed at
// construction may not change (certificates neither, when given).
export function nextConfiguration(current, configuration) {
  const next = normalizeConfiguration(configuration, "Failed to execute 'setConfiguration' on 'RTCPeerConnection': ");
  const certificatesChanged = configuration && Array.isArray(configuration.certificates) &&
    (next.certificates.length !== current.certificates.length ||
     next.certificates.some((c, i) => c !== current.certificates[i]));
  if (next.bundlePolicy !== current.bundlePolicy || next.rtcpMuxPolicy !== current.rtcpMuxPolicy ||
      certificatesChanged) {
    throw domError("InvalidModificationError", "Failed to execute 'setConfiguration' on 'RTCPeerConnection': Attempted to modify the PeerConnection's configuration in an unsupported way.");
  }
  next.certificates = current.certificates;
  return next;
}
