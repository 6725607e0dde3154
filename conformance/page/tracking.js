// One registry of the live WebRTC and media objects a page creates, shared by the scenario
// runtime (runtime.js closes them after an item) and the certification audit (audit.js
// reports what a hang-up left open).
//
// Injected at document start, after any redirection shim and before runtime.js or audit.js
// (either, or both: a second copy of this file does nothing). Loading it only defines the
// API; the hooks go in at the first `install()`, on top of whatever implementation (native
// or a redirection) is there at that moment. Each user picks that moment: the audit at
// document start, before it wraps the same interfaces (so every call it sees passes through
// here); the runtime once the document is parsed (so a redirection installed after the
// document-start scripts, such as a browser extension, is below the hooks too). The first
// `install()` of a page wins.
//
// Recorded, in creation order, per document (a new document starts empty):
//   "peerConnection" new RTCPeerConnection()
//   "audioContext"   new AudioContext()
//   "capturedTrack"  every track of a stream getUserMedia() resolved with
//   "clonedTrack"    MediaStreamTrack.prototype.clone()
//   "remoteTrack"    the track of a `track` event on a recorded peer connection (`from`)
//
// API, on the non-enumerable global `__conformanceTracking`:
//   install()          put the hooks in (idempotent)
//   list(...kinds)     the objects recorded as any of `kinds`, oldest first
//   entry(object)      {kind, from} for a recorded object, else undefined
//   observe(listener)  call listener(kind, object, from) each time a hook sees an object
//
// The hooks never change arguments or results. Their own bookkeeping calls (reading a
// stream's tracks, an event's track) run in frames of this file, which the audit does not
// attribute to the page.
(() => {
  "use strict";
  if (Object.prototype.hasOwnProperty.call(window, "__conformanceTracking")) return;

  // Captured before anything above this file (the audit) wraps it: adding our listener
  // must not look like the page's.
  const addEventListener = EventTarget.prototype.addEventListener;
  const entries = new Map(); // object -> {kind, from}; a Map keeps creation order
  const observers = [];

  function record(kind, object, from = null) {
    if (!object || (typeof object !== "object" && typeof object !== "function")) return;
    if (!entries.has(object)) entries.set(object, Object.freeze({ kind, from }));
    // Observers hear of every sighting: a track can come back in a later `track` event.
    for (const observer of observers) {
      try {
        observer(kind, object, from);
      } catch (_) { /* an observer must not break the page or the other observers */ }
    }
  }

  function recordStream(stream, kind) {
    try {
      if (stream && typeof stream.getTracks === "function") {
        for (const track of stream.getTracks()) record(kind, track);
      }
    } catch (_) { /* an exotic stream: nothing to record, and nothing to report to the page */ }
  }

  // Constructors are wrapped in a Proxy: `new`, `instanceof`, `.prototype` and static
  // members behave as before, whichever implementation is below.
  function wrapConstructor(name, onCreate) {
    const Original = window[name];
    if (typeof Original !== "function") return;
    const descriptor = Object.getOwnPropertyDescriptor(window, name);
    if (descriptor && !descriptor.configurable && !descriptor.writable) return;
    const proxy = new Proxy(Original, {
      construct(target, args, newTarget) {
        const object = Reflect.construct(target, args, newTarget === proxy ? target : newTarget);
        onCreate(object);
        return object;
      },
    });
    Object.defineProperty(window, name, { value: proxy, writable: true, configurable: true, enumerable: false });
  }

  // A method is wrapped where its implementation lives now: an own property of `object`
  // (as some redirections define it) or the prototype that holds it.
  function wrapMethod(object, name, after) {
    let holder = object;
    while (holder && !Object.prototype.hasOwnProperty.call(holder, name)) holder = Object.getPrototypeOf(holder);
    if (!holder) return;
    const descriptor = Object.getOwnPropertyDescriptor(holder, name);
    const original = descriptor.value;
    if (typeof original !== "function" || !descriptor.configurable) return;
    const wrapper = {
      [name](...args) {
        return after(Reflect.apply(original, this, args));
      },
    }[name];
    Object.defineProperty(wrapper, "length", { value: original.length });
    Object.defineProperty(holder, name, { ...descriptor, value: wrapper });
  }

  let installed = false;
  function install() {
    if (installed) return;
    installed = true;
    wrapConstructor("RTCPeerConnection", (pc) => {
      record("peerConnection", pc);
      addEventListener.call(pc, "track", (event) => record("remoteTrack", event.track, pc));
    });
    wrapConstructor("AudioContext", (context) => record("audioContext", context));
    if (navigator.mediaDevices) {
      wrapMethod(navigator.mediaDevices, "getUserMedia", (promise) => {
        // A side branch: the page gets the very promise the implementation returned.
        if (promise && typeof promise.then === "function") {
          promise.then((stream) => recordStream(stream, "capturedTrack"), () => {});
        }
        return promise;
      });
    }
    if (window.MediaStreamTrack) {
      wrapMethod(MediaStreamTrack.prototype, "clone", (copy) => {
        record("clonedTrack", copy);
        return copy;
      });
    }
  }

  function list(...kinds) {
    const out = [];
    for (const [object, entry] of entries) if (kinds.includes(entry.kind)) out.push(object);
    return out;
  }

  Object.defineProperty(window, "__conformanceTracking", {
    value: Object.freeze({
      install,
      list,
      entry: (object) => entries.get(object),
      observe: (listener) => { observers.push(listener); },
    }),
    enumerable: false,
  });
})();
//# sourceURL=conformance-tracking.js
