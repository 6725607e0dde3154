// webaudio.js: AudioContext, MediaStreamAudioSourceNode, AnalyserNode and
// MediaStreamAudioDestinationNode under redirection.
//
// A redirected AudioContext IS a native one (a subclass): local nodes (oscillators, decoded
// buffers, gains...) keep working natively. Only a graph that touches redirected media
// lives in the host, as the "redirected half" of the context:
//
// - createMediaStreamSource(redirected stream) -> a source node whose audio is the host's;
// - an AnalyserNode fed by redirected media computes its data in the host and mirrors it
//   here (the data getters are synchronous: they read the latest host push, which is the
//   asynchronous proxy state documented in docs/async-proxy-state.md);
// - createMediaStreamDestination() -> its `stream` is a redirected stream (sendable in a
//   call, playable on a local speaker);
// - connecting any of these to the context's `destination` plays on the context's local
//   speaker (setSinkId moves it).
//
// Every other node kind combined with redirected media fails in one defined way:
// connect() throws NotSupportedError and logs a `warning` (limitation webaudio-node-limit).
// Each redirected node also exists natively (silent), so native validation, `instanceof`
// and the native graph's bookkeeping stay exact.

import { channel } from "./channel.js";
import { INTERNAL, Native, installGlobal, living, newHandle, objects, uuid } from "./core.js";
import { domError, invalidState, rejected } from "./errors.js";
import { integration, log } from "./integration.js";
import { REMOTE_DEFAULT_OUTPUT, elementState, isLocalSink } from "./mediaelement.js";
import { MediaStream, MediaStreamTrack } from "./mediastream.js";

const contextState = new WeakMap(); // AudioContext -> RedirectedGraph
export const nodeState = new WeakMap(); // shim node -> {kind, handle, graph, mode, outputs, ...}

const SUPPORTED_NODES = "AudioContext, MediaStreamAudioSourceNode, AnalyserNode and MediaStreamAudioDestinationNode";

function base64Floats(text) {
  const binary = Native.atob(text);
  const bytes = new Native.Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return new Native.Float32Array(bytes.buffer);
}

// The redirected half of one AudioContext, created when a graph first needs the host.
class RedirectedGraph {
  constructor(context) {
    this.context = context;
    this.handle = newHandle();
    this.created = false;
    this.dead = false;
    this.sinkId = "";
  }

  // Host operations for this context run in call order (the host chains them on `ctx`).
  post(op, args) {
    if (this.dead) return;
    this.ensureCreated();
    channel.post(op, { ...args, ctx: this.handle });
  }

  request(op, args) {
    if (this.dead) return Promise.resolve(undefined);
    this.ensureCreated();
    return channel.request(op, { ...args, ctx: this.handle });
  }

  ensureCreated() {
    if (this.created || this.dead) return;
    if (!integration.connected) {
      this.dead = true;
      log("warning", "AudioContext: redirected media while the RDP client is disconnected renders nothing");
      return;
    }
    this.created = true;
    living.add(this);
    objects.set(this.handle, this);
    const state = this.context.state === "closed" ? "suspended" : this.context.state;
    this.hostState = state;
    channel.post("audio.createContext", {
      ctx: this.handle, sampleRate: this.context.sampleRate, state, sinkId: this.sinkId,
    });
  }

  // Tell the host the context's state (resume/suspend/close, or a native change); resolves
  // once the host follows, so a promise of the page settles after both halves changed.
  followState(wanted) {
    const state = wanted || this.context.state;
    if (state === this.hostState) return this.stateChange || Promise.resolve(undefined);
    if (!this.created || this.dead) return Promise.resolve(undefined);
    this.hostState = state;
    if (state === "closed") this.dead = true;
    this.stateChange = channel.request("audio.setState", { ctx: this.handle, state }).then(() => undefined, (error) => {
      log("warning", `AudioContext: the host could not follow ${state}: ${error.message}`);
    });
    return this.stateChange;
  }

  // The RDP connection dropped: redirected audio stops; analysers read silence.
  _die() {
    this.dead = true;
    objects.delete(this.handle);
    for (const node of this.nodes()) {
      const state = nodeState.get(node);
      if (state.kind === "analyser") state.mirror = null;
    }
  }

  nodes() {
    return this._nodes || (this._nodes = new Set());
  }
}

function graphOf(context) {
  let graph = contextState.get(context);
  if (!graph) {
    graph = new RedirectedGraph(context);
    contextState.set(context, graph);
  }
  return graph;
}

function isShimContext(context) {
  return contextState.has(context);
}

// ---- AudioContext ---------------------------------------------------------------------
class AudioContext extends Native.AudioContext {
  constructor(options) {
    super(options);
    const graph = graphOf(this);
    // State changes the page did not ask for (autoplay policy, device loss) reach the host too.
    Native.addEventListener.call(this, "statechange", () => graph.followState());
  }

  createMediaStreamSource(mediaStream) {
    return new MediaStreamAudioSourceNode(this, { mediaStream });
  }

  createAnalyser() {
    return new AnalyserNode(this);
  }

  createMediaStreamDestination() {
    return new MediaStreamAudioDestinationNode(this);
  }

  resume() {
    return this._changeState(super.resume(), "running");
  }

  suspend() {
    return this._changeState(super.suspend(), "suspended");
  }

  close() {
    return this._changeState(super.close(), "closed");
  }

  // The native context decides (and validates); the host follows before the promise settles.
  _changeState(nativePromise, state) {
    const graph = contextState.get(this);
    return nativePromise.then(() => graph.followState(state));
  }

  get sinkId() {
    const graph = contextState.get(this);
    return graph.sinkId !== "" ? graph.sinkId : super.sinkId;
  }

  // The ids are the local device's: redirected rendering moves to that speaker; the
  // context's local (native) audio stays on the remote session's default output.
  setSinkId(sinkId) {
    if (sinkId !== null && typeof sinkId === "object") return super.setSinkId(sinkId);
    const wanted = String(sinkId);
    const graph = contextState.get(this);
    if (this.state === "closed") return rejected(invalidState("Failed to execute 'setSinkId' on 'AudioContext': Cannot invoke AudioContext.setSinkId() on a closed AudioContext."));
    const inHost = graph.created && !graph.dead;
    const check = inHost
      ? graph.request("audio.setSinkId", { sinkId: wanted })
      : channel.request("sink.check", { sinkId: wanted });
    return check.then(() => {
      graph.sinkId = wanted;
      // The graph reached the host while the id was being checked (setSinkId, then
      // createMediaStreamSource(...).connect(destination) in one task): move it there too.
      if (!inHost && graph.created && !graph.dead) return graph.request("audio.setSinkId", { sinkId: wanted });
      return undefined;
    }).then(() => {
      if (isLocalSink(wanted)) {
        log("info", `AudioContext local (non-redirected) audio renders on ${REMOTE_DEFAULT_OUTPUT}, not on the ` +
          `requested local speaker ${wanted} (limitation local-playback-default-output)`);
      }
    });
  }
}

// ---- nodes ------------------------------------------------------------------------------
// A silent native stream, so a redirected source node is also a real native node.
function silentNativeStream(context) {
  return new Native.MediaStreamAudioDestinationNode(context).stream;
}

class MediaStreamAudioSourceNode extends Native.MediaStreamAudioSourceNode {
  constructor(context, options) {
    const stream = options && options.mediaStream;
    if (!(stream instanceof MediaStream) || !isShimContext(context)) {
      super(context, options);
      return;
    }
    const tracks = stream.getAudioTracks().slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (tracks.length === 0) {
      throw invalidState("Failed to construct 'MediaStreamAudioSourceNode': MediaStream has no audio track");
    }
    super(context, { mediaStream: silentNativeStream(context) });
    const graph = graphOf(context);
    const state = { kind: "source", mode: "redirected", handle: newHandle(), graph, stream, outputs: new Set() };
    nodeState.set(this, state);
    graph.nodes().add(this);
    graph.post("audio.createSource", { node: state.handle, track: tracks[0]._handle });
  }

  get mediaStream() {
    const state = nodeState.get(this);
    return state ? state.stream : super.mediaStream;
  }
}

export class AnalyserNode extends Native.AnalyserNode {
  constructor(context, options) {
    super(context, options);
    if (!isShimContext(context)) return;
    const graph = graphOf(context);
    // mode: null until the first connection decides: "redirected" or "native".
    nodeState.set(this, { kind: "analyser", mode: null, handle: newHandle(), graph, outputs: new Set(), mirror: null });
    graph.nodes().add(this);
  }

  get fftSize() { return super.fftSize; }
  set fftSize(value) {
    super.fftSize = value;
    this._configure();
  }

  get smoothingTimeConstant() { return super.smoothingTimeConstant; }
  set smoothingTimeConstant(value) {
    super.smoothingTimeConstant = value;
    this._configure();
  }

  _configure() {
    const state = nodeState.get(this);
    if (state && state.mode === "redirected") {
      state.graph.post("audio.configureAnalyser", {
        node: state.handle, fftSize: super.fftSize, smoothingTimeConstant: super.smoothingTimeConstant,
      });
    }
  }

  // Native first (argument checks, and the right answer for a native-mode analyser); a
  // redirected analyser then overwrites with the host's latest data.
  getFloatFrequencyData(array) {
    super.getFloatFrequencyData(array);
    const data = this._mirror("frequency");
    if (data === undefined) return;
    const count = Math.min(array.length, super.frequencyBinCount);
    for (let i = 0; i < count; i += 1) array[i] = data ? data[i] : -Infinity;
  }

  getByteFrequencyData(array) {
    super.getByteFrequencyData(array);
    const data = this._mirror("frequency");
    if (data === undefined) return;
    const min = super.minDecibels;
    const scale = 255 / (super.maxDecibels - min);
    const count = Math.min(array.length, super.frequencyBinCount);
    for (let i = 0; i < count; i += 1) {
      const value = data ? Math.floor(scale * (data[i] - min)) : 0;
      array[i] = value < 0 ? 0 : value > 255 ? 255 : value;
    }
  }

  getFloatTimeDomainData(array) {
    super.getFloatTimeDomainData(array);
    const data = this._mirror("time");
    if (data === undefined) return;
    const count = Math.min(array.length, super.fftSize);
    for (let i = 0; i < count; i += 1) array[i] = data ? data[i] : 0;
  }

  getByteTimeDomainData(array) {
    super.getByteTimeDomainData(array);
    const data = this._mirror("time");
    if (data === undefined) return;
    const count = Math.min(array.length, super.fftSize);
    for (let i = 0; i < count; i += 1) {
      const value = data ? Math.floor(128 * (1 + data[i])) : 128;
      array[i] = value < 0 ? 0 : value > 255 ? 255 : value;
    }
  }

  // undefined: not redirected (native data stands). null: no host data for the current
  // fftSize yet (silence). Otherwise the host's latest frequency or time data, the time
  // data trimmed to its last fftSize samples.
  _mirror(which) {
    const state = nodeState.get(this);
    if (!state || state.mode !== "redirected") return undefined;
    const mirror = state.mirror;
    const size = super.fftSize;
    if (!mirror) return null;
    if (which === "time") return mirror.time.length >= size ? mirror.time.subarray(mirror.time.length - size) : null;
    return mirror.fftSize === size ? mirror.frequency : null;
  }

  _onData(message) {
    const state = nodeState.get(this);
    if (!state || state.graph.dead) return;
    state.mirror = {
      fftSize: message.fftSize, contextTime: message.contextTime,
      frequency: base64Floats(message.frequency), time: base64Floats(message.time),
    };
  }
}

class MediaStreamAudioDestinationNode extends Native.MediaStreamAudioDestinationNode {
  constructor(context, options) {
    super(context, options);
    if (!isShimContext(context)) return;
    const graph = graphOf(context);
    const trackHandle = newHandle();
    const connected = integration.connected;
    const track = new MediaStreamTrack(INTERNAL, {
      track: trackHandle, id: uuid(), kind: "audio", label: "MediaStreamAudioDestinationNode",
      readyState: connected ? "live" : "ended",
    });
    const stream = new MediaStream();
    stream._tracks.push(track);
    const state = { kind: "destination", mode: "redirected", handle: newHandle(), graph, stream, outputs: new Set() };
    nodeState.set(this, state);
    graph.nodes().add(this);
    graph.post("audio.createDestination", { node: state.handle, track: trackHandle, trackId: track.id });
  }

  get stream() {
    const state = nodeState.get(this);
    return state ? state.stream : super.stream;
  }
}

// ---- connect / disconnect -----------------------------------------------------------------
// How a node takes part in redirection:
//   "redirected"  carries redirected media (a source, a destination, a redirected analyser)
//   "open"        an analyser not decided yet (no connection)
//   "sink"        the context's own destination (the speakers): accepts both worlds
//   "foreign"     an unsupported node carrying redirected media (a MediaElementAudioSourceNode
//                 on an element that plays a redirected stream)
//   "native"      anything else, AudioParams included
function roleOf(target) {
  const state = nodeState.get(target);
  if (state) return state.mode || "open";
  if (Native.AudioDestinationNode && target instanceof Native.AudioDestinationNode && isShimContext(target.context)) return "sink";
  if (Native.MediaElementAudioSourceNode && target instanceof Native.MediaElementAudioSourceNode &&
      elementState.has(target.mediaElement)) return "foreign";
  return "native";
}

function nameOf(target) {
  if (Native.AudioParam && target instanceof Native.AudioParam) return "an AudioParam";
  const name = target && target.constructor ? target.constructor.name : "object";
  return `a ${name}`;
}

function refuse(from, to) {
  const message = `${nameOf(from)} cannot be connected to ${nameOf(to)}: with redirected media only ` +
    `${SUPPORTED_NODES} are supported (limitation webaudio-node-limit)`;
  log("warning", `Web Audio: ${message}`);
  return domError("NotSupportedError", `Failed to execute 'connect' on 'AudioNode': ${message}`);
}

// Decide an open analyser's mode, and that of every open analyser connected to it.
function settle(node, mode) {
  const state = nodeState.get(node);
  if (!state || state.mode !== null) return;
  state.mode = mode;
  if (mode === "redirected") {
    objects.set(state.handle, node); // host pushes its data to this handle
    state.graph.post("audio.createAnalyser", {
      node: state.handle, fftSize: node.fftSize, smoothingTimeConstant: node.smoothingTimeConstant,
    });
  }
  for (const other of state.graph.nodes()) {
    const otherState = nodeState.get(other);
    if (otherState.mode === null && (state.outputs.has(other) || otherState.outputs.has(node))) settle(other, mode);
  }
  if (mode === "redirected") {
    for (const target of state.outputs) hostConnect(node, target);
  }
}

function hostConnect(from, to) {
  const state = nodeState.get(from);
  const target = roleOf(to) === "sink" ? "destination" : nodeState.get(to).handle;
  state.graph.post("audio.connect", { from: state.handle, to: target });
}

export function installWebAudio() {
  if (typeof Native.AudioContext !== "function" || typeof Native.AudioNode !== "function") return;
  const proto = Native.AudioNode.prototype;
  const nativeConnect = proto.connect;
  const nativeDisconnect = proto.disconnect;

  Object.defineProperty(proto, "connect", {
    configurable: true, enumerable: true, writable: true,
    value: function connect(destination, ...rest) {
      const from = roleOf(this);
      const to = destination === undefined || destination === null ? "native" : roleOf(destination);
      const isParam = Native.AudioParam && destination instanceof Native.AudioParam;
      if (from === "foreign" || to === "foreign") throw refuse(this, destination);
      if (from === "redirected" && (isParam || to === "native")) throw refuse(this, destination);
      if (to === "redirected" && from === "native") throw refuse(this, destination);
      if (from === "native" || to === "native") {
        // A purely native connection; an analyser joining it becomes native for good.
        const result = nativeConnect.call(this, destination, ...rest);
        if (from === "open") settle(this, "native");
        if (to === "open") settle(destination, "native");
        return result;
      }
      // Both sides can carry redirected media: connect natively too (validation, topology).
      const result = nativeConnect.call(this, destination, ...rest);
      const state = nodeState.get(this);
      if (state) state.outputs.add(destination);
      if (from === "redirected" || to === "redirected") {
        settle(this, "redirected");
        if (to === "open") settle(destination, "redirected");
        if (from === "redirected") hostConnect(this, destination);
      }
      return result;
    },
  });

  Object.defineProperty(proto, "disconnect", {
    configurable: true, enumerable: true, writable: true,
    value: function disconnect(...args) {
      const result = nativeDisconnect.apply(this, args);
      const state = nodeState.get(this);
      if (!state) return result;
      const target = args[0];
      const all = target === undefined || typeof target === "number";
      const removed = all ? [...state.outputs] : [...state.outputs].filter((t) => t === target);
      for (const to of removed) state.outputs.delete(to);
      if (state.mode === "redirected" && removed.length) {
        const to = all ? null : (roleOf(target) === "sink" ? "destination" : nodeState.get(target).handle);
        state.graph.post("audio.disconnect", { from: state.handle, to });
      }
      return result;
    },
  });

  installGlobal("AudioContext", AudioContext);
  installGlobal("MediaStreamAudioSourceNode", MediaStreamAudioSourceNode);
  installGlobal("AnalyserNode", AnalyserNode);
  installGlobal("MediaStreamAudioDestinationNode", MediaStreamAudioDestinationNode);
}
