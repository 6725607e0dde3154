// core.js: natives captured before any page script runs, handles, the object registry.
//
// Everything the shim needs from the platform is read here once, at document start, so a
// page that later replaces a global (WebSocket, Promise, console...) cannot break the shim.
export const Native = {
  RTCPeerConnection: window.RTCPeerConnection,
  RTCSessionDescription: window.RTCSessionDescription,
  RTCIceCandidate: window.RTCIceCandidate,
  RTCPeerConnectionIceEvent: window.RTCPeerConnectionIceEvent,
  RTCError: window.RTCError,
  RTCErrorEvent: window.RTCErrorEvent,
  RTCDTMFToneChangeEvent: window.RTCDTMFToneChangeEvent,
  MediaStream: window.MediaStream,
  MediaStreamTrack: window.MediaStreamTrack,
  WebSocket: window.WebSocket,
  EventTarget: window.EventTarget,
  Event: window.Event,
  CustomEvent: window.CustomEvent,
  MessageEvent: window.MessageEvent,
  DOMException: window.DOMException,
  OverconstrainedError: window.OverconstrainedError,
  Blob: window.Blob,
  ArrayBuffer: window.ArrayBuffer,
  TextEncoder: window.TextEncoder,
  Map: window.Map,
  FinalizationRegistry: window.FinalizationRegistry,
  JSON: window.JSON,
  setTimeout: window.setTimeout.bind(window),
  queueMicrotask: window.queueMicrotask.bind(window),
  consoleLog: console.log.bind(console),
  dispatchEvent: EventTarget.prototype.dispatchEvent,
  addEventListener: EventTarget.prototype.addEventListener,
  randomUUID: (window.crypto && typeof crypto.randomUUID === "function") ? crypto.randomUUID.bind(crypto) : null,
  // Web Audio: a redirected AudioContext is a native one with the redirected part added.
  AudioContext: window.AudioContext,
  AudioNode: window.AudioNode,
  AudioParam: window.AudioParam,
  AudioDestinationNode: window.AudioDestinationNode,
  AnalyserNode: window.AnalyserNode,
  MediaStreamAudioSourceNode: window.MediaStreamAudioSourceNode,
  MediaStreamAudioDestinationNode: window.MediaStreamAudioDestinationNode,
  MediaElementAudioSourceNode: window.MediaElementAudioSourceNode,
  // For media elements' silent stand-ins: read before any page (or audit) script wraps them.
  // (Through `window.`: the shim declares classes of the same names later in this scope.)
  createMediaStreamDestination: window.AudioContext && window.AudioContext.prototype.createMediaStreamDestination,
  destinationStream: window.MediaStreamAudioDestinationNode &&
    Object.getOwnPropertyDescriptor(window.MediaStreamAudioDestinationNode.prototype, "stream").get,
  Float32Array: window.Float32Array,
  Uint8Array: window.Uint8Array,
  atob: window.atob.bind(window),
  performanceNow: performance.now.bind(performance),
};

export function uuid() {
  if (Native.randomUUID) return Native.randomUUID();
  // Insecure contexts have no crypto.randomUUID; ids need to be unique, not secret.
  return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, (c) => {
    const r = (Math.random() * 16) | 0;
    return (c === "x" ? r : (r & 0x3) | 0x8).toString(16);
  });
}

// Handles name redirected objects in the protocol. The shim names what the DOM creates
// synchronously ("s" prefix); the host names what appears during negotiation ("h").
let handleCounter = 0;
export function newHandle() {
  handleCounter += 1;
  return `s${handleCounter}`;
}

// handle -> proxy, for routing host events. Entries leave when the object dies.
export const objects = new Native.Map();
// Every live redirected object with a _die() method, killed on disconnect.
export const living = new Set();

// A token only shim code holds: proxies with "Illegal constructor" natively can still be
// created internally.
export const INTERNAL = Symbol("mmr-internal");

export function defineToStringTag(cls, tag) {
  Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: tag, configurable: true });
}

// Replace a global the way WebIDL defines interface objects: writable, configurable,
// not enumerable.
export function installGlobal(name, value) {
  Object.defineProperty(window, name, { value, writable: true, configurable: true, enumerable: false });
}
