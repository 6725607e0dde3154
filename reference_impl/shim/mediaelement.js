// mediaelement.js: HTMLMediaElement (HTMLAudioElement) under redirection.
//
// An element whose srcObject is a redirected MediaStream renders on the local device:
// while it plays, the host feeds its audio tracks to the element's sink (a virtual
// speaker), scaled by volume and silenced by muted. play/pause/paused/currentTime and the
// play, playing and pause events behave as natively; the native element itself has no
// source.
//
// Anything else (a URL, a non-redirected stream) is local playback: it stays native and
// therefore plays on the remote session's default output, whatever setSinkId asked for
// (limitation local-playback-default-output). setSinkId still validates the id against
// the local device's outputs and sinkId reflects the request; the shim logs an `info`
// entry naming the real sink whenever such playback starts.

const elementState = new WeakMap(); // element -> redirected rendering state
const requestedSinks = new WeakMap(); // element -> the sinkId the page asked for
const localPlaybackWatched = new WeakSet();

const REMOTE_DEFAULT_OUTPUT = "the remote session's default output";

function isLocalSink(sinkId) {
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

function installMediaElement() {
  if (typeof HTMLMediaElement === "undefined") return;
  const proto = HTMLMediaElement.prototype;
  const native = {
    srcObject: Object.getOwnPropertyDescriptor(proto, "srcObject"),
    paused: Object.getOwnPropertyDescriptor(proto, "paused"),
    currentTime: Object.getOwnPropertyDescriptor(proto, "currentTime"),
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
  function render(element, state) {
    const tracks = state.stream.getAudioTracks().filter((t) => t.readyState === "live").map((t) => t._handle);
    const wasPaused = state.paused;
    state.paused = false;
    if (wasPaused) Native.setTimeout(() => fireSimple(element, "play"), 0);
    const generation = ++state.generation;
    return channel.request("element.play", {
      element: state.handle, tracks, streamIds: [state.stream.id], sinkId: requestedSinks.get(element) || "",
      ...volumeOf(element),
    }).then(() => {
      if (state.paused || generation !== state.generation) return;
      state.playingSince = Native.performanceNow();
      fireSimple(element, "playing");
    }, (error) => {
      state.paused = true;
      throw error;
    });
  }

  function stopRendering(element, state, withEvent) {
    if (state.paused) return;
    state.paused = true;
    state.generation += 1;
    if (state.playingSince !== null) {
      state.position += (Native.performanceNow() - state.playingSince) / 1000;
      state.playingSince = null;
    }
    channel.post("element.pause", { element: state.handle });
    if (withEvent) Native.setTimeout(() => fireSimple(element, "pause"), 0);
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
      if (previous) stopRendering(this, previous, false);
      if (value instanceof MediaStream) {
        const state = {
          stream: value, handle: previous ? previous.handle : newHandle(), paused: true,
          position: 0, playingSince: null, generation: 0,
        };
        elementState.set(this, state);
        native.srcObject.set.call(this, null);
        if (this.autoplay) render(this, state).catch((error) => log("warning", `autoplay of redirected audio failed: ${error.message}`));
        return;
      }
      if (previous) elementState.delete(this);
      native.srcObject.set.call(this, value);
    },
  });

  Object.defineProperty(proto, "paused", {
    configurable: true,
    enumerable: true,
    get() {
      const state = elementState.get(this);
      return state ? state.paused : native.paused.get.call(this);
    },
  });

  // A MediaStream's position is the time it has played (it cannot be sought).
  Object.defineProperty(proto, "currentTime", {
    configurable: true,
    enumerable: true,
    get() {
      const state = elementState.get(this);
      if (!state) return native.currentTime.get.call(this);
      const running = state.playingSince === null ? 0 : (Native.performanceNow() - state.playingSince) / 1000;
      return state.position + running;
    },
    set(value) {
      if (elementState.has(this)) return; // ignored for streams, as natively
      native.currentTime.set.call(this, value);
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
    log("verbose", `rendering redirected stream ${state.stream.id} on the local device`);
    return render(this, state);
  };

  proto.pause = function pause() {
    const state = elementState.get(this);
    if (state) {
      stopRendering(this, state, true);
      return undefined;
    }
    return native.pause.call(this);
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
      const request = state
        ? channel.request("element.setSinkId", { element: state.handle, sinkId: wanted })
        : channel.request("sink.check", { sinkId: wanted });
      return request.then(() => {
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
