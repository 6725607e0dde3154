// mediaelement.js: HTMLMediaElement (HTMLAudioElement) under redirection.
//
// An element whose srcObject is a redirected MediaStream renders on the local device:
// while it plays, the host feeds its audio tracks to the element's sink (a virtual
// speaker), scaled by volume and silenced by muted.
//
// Anything else (a URL, a non-redirected stream) is local playback: it stays native and
// therefore plays on the remote session's default output, whatever setSinkId asked for
// (limitation local-playback-default-output). setSinkId still validates the id against
// the local device's outputs and sinkId reflects the request; the shim logs an `info`
// entry naming the real sink whenever such playback starts.

import { channel } from "./channel.js";
import { Native, newHandle } from "./core.js";
import { rejected } from "./errors.js";
import { log } from "./integration.js";
import { MediaStream } from "./mediastream.js";

// A redirected stream has no native media, so the element would stay HAVE_NOTHING and
// fire no loading events. The shim gives the native element a silent native stand-in
// stream instead (one track from a destination node of a private AudioContext, live while
// the redirected stream is active): Chromium itself then drives readyState, networkState,
// the loading and playback events, autoplay, paused and currentTime exactly as for any live
// MediaStream, and the host renders the real audio while the native element is playing.

export const elementState = new WeakMap(); // element -> redirected rendering state
const requestedSinks = new WeakMap(); // element -> the sinkId the page asked for
// One host handle per element for its whole life: setSinkId, play and pause all name it, so
// the host applies them in the page's order (`srcObject = s; setSinkId(x); play()` in one
// task ends on x, though play() is sent before setSinkId's reply arrives).
const elementHandles = new WeakMap();
function handleOf(element) {
  let handle = elementHandles.get(element);
  if (handle === undefined) {
    handle = newHandle();
    elementHandles.set(element, handle);
  }
  return handle;
}
const localPlaybackWatched = new WeakSet();
const renderingWatched = new WeakSet();
let standInContext = null;

export const REMOTE_DEFAULT_OUTPUT = "the remote session's default output";

export function isLocalSink(sinkId) {
  return sinkId !== "" && sinkId !== "default";
}

function describeSource(element) {
  if (element.currentSrc) return String(element.currentSrc).slice(0, 120);
  return "a non-redirected MediaStream";
}

// Local playback starts (or its sink is changed while playing): record where it really goes.
function recordLocalPlayback(element) {
  const wanted = requestedSinks.get(element) || "";
  if (elementState.has(element) || !isLocalSink(wanted)) return;
  log("info", `local playback of ${describeSource(element)} renders on ${REMOTE_DEFAULT_OUTPUT}, ` +
    `not on the requested local speaker ${wanted} (limitation local-playback-default-output)`);
}

// A silent native stream standing in for a redirected one on the native element.
function newStandIn() {
  if (standInContext === null || standInContext.state === "closed") standInContext = new Native.AudioContext();
  const destination = Native.createMediaStreamDestination.call(standInContext);
  return Native.destinationStream.call(destination);
}

export function installMediaElement() {
  if (typeof HTMLMediaElement === "undefined") return;
  const proto = HTMLMediaElement.prototype;
  const native = {
    srcObject: Object.getOwnPropertyDescriptor(proto, "srcObject"),
    paused: Object.getOwnPropertyDescriptor(proto, "paused"),
    ended: Object.getOwnPropertyDescriptor(proto, "ended"),
    volume: Object.getOwnPropertyDescriptor(proto, "volume"),
    muted: Object.getOwnPropertyDescriptor(proto, "muted"),
    sinkId: Object.getOwnPropertyDescriptor(proto, "sinkId"),
    play: proto.play,
    pause: proto.pause,
    setSinkId: proto.setSinkId,
  };
  if (!native.srcObject) return;

  function volumeOf(element) {
    return { volume: native.volume.get.call(element), muted: native.muted.get.call(element) };
  }

  // --- redirected rendering -------------------------------------------------------------
  // The host renders while the native element plays (not paused, not ended) and the stream
  // is active; sync() makes it so and is idempotent, so every trigger may call it.
  function sync(element, state) {
    const wanted = elementState.get(element) === state && state.stream.active &&
      !native.paused.get.call(element) && !native.ended.get.call(element);
    if (wanted === state.rendering) return state.started;
    state.rendering = wanted;
    if (!wanted) {
      state.started = Promise.resolve();
      channel.post("element.pause", { element: state.handle });
      return state.started;
    }
    const tracks = state.stream.getAudioTracks().filter((t) => t.readyState === "live").map((t) => t._handle);
    log("verbose", `rendering redirected stream ${state.stream.id} on the local device`);
    // No sinkId: the host keeps the sink the element's setSinkId calls chose, in call order.
    state.started = channel.request("element.play", {
      element: state.handle, tracks, streamIds: [state.stream.id], ...volumeOf(element),
    }).then(() => undefined, (error) => {
      state.rendering = false;
      throw error;
    });
    return state.started;
  }

  // Follow the native element's playback (autoplay included) and the stream's end.
  function watchRendering(element) {
    if (renderingWatched.has(element)) return;
    renderingWatched.add(element);
    for (const type of ["play", "pause", "ended", "emptied"]) {
      Native.addEventListener.call(element, type, () => {
        const state = elementState.get(element);
        if (state) sync(element, state).catch((error) => log("warning", `redirected playback failed: ${error.message}`));
      });
    }
  }

  // The stand-in lives while the redirected stream is active: when its last live track
  // ends, the native stream ends too, and the element reacts as natively.
  function followStream(element, state) {
    const check = () => {
      if (elementState.get(element) !== state || state.stream.active) return;
      for (const track of state.standIn.getTracks()) track.stop();
      sync(element, state).catch(() => {});
    };
    for (const track of state.stream.getTracks()) track._onEnd(check);
    state.unfollow = () => { for (const track of state.stream.getTracks()) track._offEnd(check); };
  }

  Object.defineProperty(proto, "srcObject", {
    configurable: true,
    enumerable: true,
    get() {
      const state = elementState.get(this);
      return state ? state.stream : native.srcObject.get.call(this);
    },
    set(value) {
      const previous = elementState.get(this);
      if (previous) {
        elementState.delete(this);
        previous.unfollow();
        sync(this, previous).catch(() => {});
        for (const track of previous.standIn.getTracks()) track.stop();
      }
      if (value instanceof MediaStream) {
        const state = {
          stream: value, handle: handleOf(this), rendering: false,
          started: Promise.resolve(), standIn: newStandIn(), unfollow: () => {},
        };
        if (!value.active) for (const track of state.standIn.getTracks()) track.stop();
        elementState.set(this, state);
        watchRendering(this);
        followStream(this, state);
        native.srcObject.set.call(this, state.standIn);
        return;
      }
      native.srcObject.set.call(this, value);
    },
  });

  // volume and muted stay native (validation, volumechange events); redirected audio follows.
  for (const name of ["volume", "muted"]) {
    Object.defineProperty(proto, name, {
      configurable: true,
      enumerable: true,
      get() { return native[name].get.call(this); },
      set(value) {
        native[name].set.call(this, value);
        const state = elementState.get(this);
        if (state) channel.post("element.setVolume", { element: state.handle, ...volumeOf(this) });
      },
    });
  }

  proto.play = function play() {
    const state = elementState.get(this);
    if (!state) return native.play.call(this);
    // A play() call is a user activation point: let a suspended stand-in context run.
    if (standInContext && standInContext.state === "suspended") standInContext.resume().catch(() => {});
    const played = native.play.call(this);
    const rendered = sync(this, state);
    return Promise.all([played, rendered]).then(() => undefined, (error) => {
      if (elementState.get(this) === state && !native.paused.get.call(this)) native.pause.call(this);
      throw error;
    });
  };

  // setSinkId: the ids are the local device's. Redirected audio moves to that speaker;
  // local playback keeps the native default output (and the shim says so).
  if (typeof native.setSinkId === "function") {
    proto.setSinkId = function setSinkId(sinkId) {
      if (arguments.length === 0) {
        return rejected(new TypeError("Failed to execute 'setSinkId' on 'HTMLMediaElement': 1 argument required, but only 0 present."));
      }
      const wanted = String(sinkId);
      const state = elementState.get(this);
      // The host validates the id and keeps it for the element even before it plays
      // redirected audio (a later srcObject and play() render there).
      return channel.request("element.setSinkId", { element: handleOf(this), sinkId: wanted }).then(() => {
        requestedSinks.set(this, wanted);
        if (state) return;
        if (!localPlaybackWatched.has(this)) {
          localPlaybackWatched.add(this);
          this.addEventListener("playing", () => recordLocalPlayback(this));
        }
        if (!native.paused.get.call(this)) recordLocalPlayback(this);
      });
    };
  }
  if (native.sinkId && native.sinkId.get) {
    Object.defineProperty(proto, "sinkId", {
      configurable: true,
      enumerable: true,
      get() {
        return requestedSinks.has(this) ? requestedSinks.get(this) : native.sinkId.get.call(this);
      },
    });
  }
}
