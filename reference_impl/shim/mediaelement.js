// mediaelement.js: the minimal HTMLMediaElement hook. An element whose srcObject is a
// redirected MediaStream renders on the local device: while it plays, the host feeds its
// audio tracks to the element's sink (a virtual speaker). Anything else stays native.
// (Full HTMLAudioElement behaviour and the setSinkId limitation are later work.)

const elementState = new WeakMap(); // element -> {stream, handle, sinkId, playing}

function installMediaElement() {
  if (typeof HTMLMediaElement === "undefined") return;
  const proto = HTMLMediaElement.prototype;
  const srcObject = Object.getOwnPropertyDescriptor(proto, "srcObject");
  const play = proto.play;
  const pause = proto.pause;
  const setSinkId = proto.setSinkId;
  const sinkId = Object.getOwnPropertyDescriptor(proto, "sinkId");
  if (!srcObject) return;

  function render(element, state) {
    const tracks = state.stream.getAudioTracks().filter((t) => t.readyState === "live").map((t) => t._handle);
    state.playing = true;
    return channel.request("element.play", { element: state.handle, tracks, streamIds: [state.stream.id], sinkId: state.sinkId })
      .then(() => undefined);
  }

  function stopRendering(state) {
    if (state.playing) {
      state.playing = false;
      channel.post("element.pause", { element: state.handle });
    }
  }

  Object.defineProperty(proto, "srcObject", {
    configurable: true,
    enumerable: true,
    get() {
      const state = elementState.get(this);
      return state ? state.stream : srcObject.get.call(this);
    },
    set(value) {
      const previous = elementState.get(this);
      if (value instanceof MediaStream) {
        if (previous) stopRendering(previous);
        const state = { stream: value, handle: previous ? previous.handle : newHandle(), sinkId: previous ? previous.sinkId : "", playing: false };
        elementState.set(this, state);
        srcObject.set.call(this, null);
        if (this.autoplay) render(this, state).catch((error) => log("warning", `autoplay of redirected audio failed: ${error.message}`));
        return;
      }
      if (previous) {
        stopRendering(previous);
        elementState.delete(this);
      }
      srcObject.set.call(this, value);
    },
  });

  proto.play = function play_() {
    const state = elementState.get(this);
    if (!state) return play.call(this);
    log("verbose", `rendering redirected stream ${state.stream.id} on the local device`);
    return render(this, state);
  };

  proto.pause = function pause_() {
    const state = elementState.get(this);
    if (state) stopRendering(state);
    return pause.call(this);
  };

  if (typeof setSinkId === "function") {
    proto.setSinkId = function setSinkId_(id) {
      const state = elementState.get(this);
      if (!state) return setSinkId.call(this, id);
      const wanted = String(id);
      return channel.request("element.setSinkId", { element: state.handle, sinkId: wanted }).then(() => {
        state.sinkId = wanted;
      });
    };
  }
  if (sinkId && sinkId.get) {
    Object.defineProperty(proto, "sinkId", {
      configurable: true,
      enumerable: true,
      get() {
        const state = elementState.get(this);
        return state ? state.sinkId : sinkId.get.call(this);
      },
    });
  }
}
