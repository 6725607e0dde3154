// The certification audit layer: records how a page uses the media and WebRTC APIs.
//
// Injected at document start in every frame, after any redirection shim, on every target.
// It wraps the methods, accessors and constructors of the 13 interfaces call redirection
// supports (whatever implementation is below: native or proxies) and a list of APIs outside
// them, and keeps:
//
// - usage: one entry per `Interface.member` the page called, with a count and the first call
//   sites (script URL, line, column from `new Error().stack`);
// - notable events the certification rules turn into findings (an unsupported Web Audio node
//   fed by captured or received media, setSinkId on local playback, a synchronous read of
//   proxied state right after the object was created, a peer connection or a capture while
//   an expected redirection was not active, use of objects that died, video capture...);
// - live objects (peer connections, captured and received tracks, audio contexts) so a
//   check can tell what a hang-up released: tracking.js (injected just before this file)
//   records them; the audit reports those the page created.
//
// Only calls made by page scripts are recorded: the first stack frame outside this file
// must be a script with an http(s), file or blob URL. Calls made by the shim itself, by
// Playwright's evaluate or by this file are not. The audit never changes arguments or
// results: it observes, then calls the original.
//
// config: {supported: {Interface: [member...]}, measure: bool, maxSites, maxEvents}
(function (config) {
  "use strict";
  if (Object.prototype.hasOwnProperty.call(window, "__mmrCertifyAudit")) return;

  const SELF = "mmr-certify-audit.js";
  const MAX_SITES = config.maxSites || 3;
  const MAX_EVENTS = config.maxEvents || 300;
  const supported = config.supported || {};

  // --- natives this file relies on (captured before anything is wrapped) ---------------
  const N = {
    addEventListener: EventTarget.prototype.addEventListener,
    setTimeout: window.setTimeout.bind(window),
    now: () => performance.now(),
    toStringTag: (value) => Object.prototype.toString.call(value).slice(8, -1),
    Error: window.Error,
    Reflect: { apply: Reflect.apply, construct: Reflect.construct },
    getOwnPropertyDescriptor: Object.getOwnPropertyDescriptor,
    defineProperty: Object.defineProperty,
    getPrototypeOf: Object.getPrototypeOf,
    AudioContext: window.AudioContext,
    MediaStream: window.MediaStream,
  };
  // The live-object registry goes in now, below the wrappers of this file: every creation
  // the audit sees passes through it, and its own calls are never the page's.
  const tracking = window.__conformanceTracking;
  if (!tracking) throw new Error("certification audit: tracking.js must be injected before audit.js");
  tracking.install();
  const descriptor = (object, name) => {
    for (let o = object; o; o = N.getPrototypeOf(o)) {
      const d = N.getOwnPropertyDescriptor(o, name);
      if (d) return d;
    }
    return undefined;
  };
  // Read a property without being recorded (our frames are never attributed to the page,
  // but reading through the original getter also spares the stack capture).
  function peek(object, name) {
    try {
      const d = descriptor(object, name);
      if (!d) return undefined;
      if (d.get) return N.Reflect.apply(originals.get(d.get) || d.get, object, []);
      return d.value;
    } catch (_) {
      return undefined;
    }
  }
  const originals = new WeakMap(); // wrapper -> original function

  // --- the record ------------------------------------------------------------------------
  const usage = new Map(); // "Interface.member" -> {count, kind, sites: []}
  const events = [];
  let droppedEvents = 0;
  const listeners = new Map(); // "Interface:type" -> {count, sites}
  const pageErrors = [];
  const mmrLog = [];
  const token = Math.random().toString(36).slice(2) + Date.now().toString(36);
  let pending = 0;
  let lastActivity = N.now();

  const created = new WeakMap(); // object -> call site where the page created it
  const elements = new Set(); // media elements the page gave a srcObject
  const fresh = new WeakMap(); // object -> what created it, until the next task
  const nodes = new WeakMap(); // AudioNode -> {type, media: bool, id}
  const edges = new WeakMap(); // AudioNode -> Set of downstream AudioNodes
  let nodeIds = 0;
  const pendingSink = new WeakMap(); // element -> {sinkId, site} set while the element had no source

  // Redirection state as the page sees it (the documented surface only).
  const redirection = { active: false, everActive: false, sawDisconnect: false, events: [] };
  function redirectionActive() {
    const md = navigator.mediaDevices;
    return Boolean(md && peek(md, "isCallRedirectionEnabled") === true);
  }
  redirection.active = redirectionActive();
  redirection.everActive = redirection.active;

  // --- call sites -----------------------------------------------------------------------
  const FRAME = /^\s*at (?:async )?(?:(.*?) \()?((?:https?|file|blob):.*?):(\d+):(\d+)\)?\s*$/;
  function callSite() {
    const stack = String(new N.Error().stack || "").split("\n");
    for (let i = 1; i < stack.length; i += 1) {
      const line = stack[i];
      if (line.includes(SELF)) continue;
      // The first frame outside this file decides: a page script or not.
      const match = FRAME.exec(line);
      if (!match) return null;
      return { url: match[2], line: Number(match[3]), column: Number(match[4]), function: match[1] || "" };
    }
    return null;
  }
  function siteText(site) {
    return site ? `${site.url}:${site.line}:${site.column}` : "";
  }

  function note(key, kind, site) {
    let entry = usage.get(key);
    if (!entry) {
      entry = { count: 0, kind, sites: [] };
      usage.set(key, entry);
    }
    entry.count += 1;
    if (entry.sites.length < MAX_SITES && !entry.sites.some((s) => siteText(s) === siteText(site))) {
      entry.sites.push(site);
    }
  }
  function event(kind, data, site) {
    if (events.length >= MAX_EVENTS) {
      droppedEvents += 1;
      return;
    }
    events.push({ kind, ...data, site, time: Math.round(N.now()), afterDisconnect: redirection.sawDisconnect });
    lastActivity = N.now();
  }
  function describeError(error) {
    return error && typeof error === "object" ? `${error.name}: ${error.message}` : String(error);
  }

  // --- object classification ----------------------------------------------------------
  const tagOf = (value) => {
    try {
      return N.toStringTag(value);
    } catch (_) {
      return "Object";
    }
  };
  function tracksOf(stream) {
    try {
      return stream && typeof stream.getTracks === "function" ? stream.getTracks() : [];
    } catch (_) {
      return [];
    }
  }
  // --- live objects: what tracking.js recorded that the page made --------------------------
  const pageCreated = (kind) => tracking.list(kind).filter((object) => created.has(object));
  const live = {
    peerConnections: () => pageCreated("peerConnection"),
    captured: () => pageCreated("capturedTrack"),
    remote: () => tracking.list("remoteTrack").filter(isRemote),
    audioContexts: () => pageCreated("audioContext"),
  };
  // A track the page captured, or one that a peer connection the page created received.
  function isCaptured(track) {
    const entry = tracking.entry(track);
    return Boolean(entry && entry.kind === "capturedTrack" && created.has(track));
  }
  function isRemote(track) {
    const entry = tracking.entry(track);
    return Boolean(entry && entry.kind === "remoteTrack" && created.has(entry.from));
  }
  function mediaOrigin(stream) {
    const tracks = tracksOf(stream);
    if (tracks.some(isRemote)) return "received";
    if (tracks.some(isCaptured)) return "captured";
    return "other";
  }
  function markFresh(object, origin) {
    if (!object || (typeof object !== "object" && typeof object !== "function")) return;
    fresh.set(object, origin);
    N.setTimeout(() => fresh.delete(object), 0);
  }
  // A received track is fresh in the task of its `track` event. Not the event's
  // transceiver: its mid and currentDirection arrive with the track event under
  // redirection too (docs/async-proxy-state.md), so reading them is fine.
  tracking.observe((kind, track, pc) => {
    if (kind === "remoteTrack" && created.has(pc)) markFresh(track, "track event");
  });

  // --- Web Audio graph ---------------------------------------------------------------------
  // The context's own `destination` is supported too: redirected audio connected to it plays
  // on the context's speaker (the limitation registry's `webaudio-supported-nodes`), which
  // AudioContext.setSinkId chooses.
  const SUPPORTED_NODES = new Set(["AnalyserNode", "MediaStreamAudioSourceNode", "MediaStreamAudioDestinationNode",
    "AudioDestinationNode"]);
  // Contexts whose destination plays call media, contexts playing local audio there, and a
  // context's setSinkId not judged yet (it is local playback only when local audio plays).
  const mediaOutputs = new WeakSet();
  const localOutputs = new WeakSet();
  const pendingContextSink = new WeakMap();
  function nodeInfo(node) {
    let info = nodes.get(node);
    if (!info && node && typeof node === "object") {
      nodeIds += 1;
      info = { type: tagOf(node), media: false, id: nodeIds };
      nodes.set(node, info);
    }
    return info;
  }
  function feedMedia(node, origin, site, seen = new Set()) {
    const info = nodeInfo(node);
    if (!info || seen.has(node)) return;
    seen.add(node);
    if (!info.media) {
      info.media = origin;
      if (!SUPPORTED_NODES.has(info.type)) {
        event("webaudio-unsupported-node", { node: info.type, media: origin }, site);
      }
      if (info.type === "AudioDestinationNode") {
        const context = peek(node, "context");
        if (context) {
          mediaOutputs.add(context);
          pendingContextSink.delete(context);
        }
      }
    }
    for (const next of edges.get(node) || []) feedMedia(next, origin, site, seen);
  }
  function onConnect(source, destination, site) {
    if (!destination || typeof destination !== "object") return;
    // An AudioParam destination belongs to a node we cannot see from the param: count it
    // as an unsupported processing node when media feeds it.
    const target = tagOf(destination) === "AudioParam" ? { __param: true } : destination;
    if (target.__param) {
      const info = nodeInfo(source);
      if (info && info.media) event("webaudio-unsupported-node", { node: "AudioParam", media: info.media }, site);
      return;
    }
    let downstream = edges.get(source);
    if (!downstream) {
      downstream = new Set();
      edges.set(source, downstream);
    }
    downstream.add(target);
    const info = nodeInfo(source);
    if (info && info.media) {
      feedMedia(target, info.media, site);
    } else if (tagOf(target) === "AudioDestinationNode") {
      const context = peek(target, "context");
      if (context) {
        localOutputs.add(context);
        settleContextSink(context);
      }
    }
  }
  function contextSink(context, sinkId, site) {
    if (mediaOutputs.has(context)) return; // call media: it plays on the chosen speaker
    pendingContextSink.set(context, { sinkId, site });
    if (localOutputs.has(context)) settleContextSink(context);
  }
  function settleContextSink(context) {
    const waiting = pendingContextSink.get(context);
    if (!waiting || mediaOutputs.has(context)) return;
    pendingContextSink.delete(context);
    event("sink-local", { element: "AudioContext", sinkId: waiting.sinkId, source: "local Web Audio" }, waiting.site);
  }

  // --- hooks: what happens around particular members ------------------------------------
  // before(self, args, site) runs before the original; after(self, args, result, site) after
  // it returned (for promises: when they fulfil).
  const SYNC_STATE = {
    "MediaStreamTrack.getSettings": true,
    "MediaStreamTrack.getCapabilities": true,
    "RTCRtpSender.getParameters": true,
    "RTCRtpReceiver.getParameters": true,
    "RTCRtpTransceiver.mid": true,
    "RTCRtpTransceiver.currentDirection": true,
    "RTCDataChannel.id": true,
  };
  const DEAD_PC_EXEMPT = new Set(["close", "signalingState", "connectionState", "iceConnectionState",
    "iceGatheringState", "localDescription", "remoteDescription", "currentLocalDescription",
    "currentRemoteDescription", "pendingLocalDescription", "pendingRemoteDescription",
    "getSenders", "getReceivers", "getTransceivers", "getConfiguration", "getStats",
    "onconnectionstatechange", "oniceconnectionstatechange", "onsignalingstatechange",
    "onicegatheringstatechange", "onicecandidate", "ontrack", "ondatachannel", "onnegotiationneeded",
    "canTrickleIceCandidates", "sctp"]);

  // A call attempt while redirection is expected but inactive is only an "attempt" (an info
  // finding: a good app may retry while disconnected, and the attempt fails cleanly). It
  // becomes "unredirected" (an error) only when the call really proceeds outside redirection:
  // the connection connects, or the capture yields live audio.
  function expectedButInactive() {
    return redirection.everActive && !redirectionActive();
  }
  function unredirectedAttempt(what, site) {
    if (expectedButInactive()) event("unredirected-attempt", { what }, site);
    return expectedButInactive();
  }
  function watchUnredirectedPeer(pc, site) {
    N.addEventListener.call(pc, "connectionstatechange", () => {
      if (peek(pc, "connectionState") === "connected") {
        event("unredirected", { what: "an RTCPeerConnection created while redirection was inactive connected" }, site);
      }
    });
  }

  const hooks = {
    "MediaDevices.getUserMedia": {
      before(self, args, site) {
        const constraints = args[0] || {};
        if (constraints && constraints.video) event("video-capture", { api: "getUserMedia" }, site);
        unredirectedAttempt("getUserMedia", site);
        let deviceId = null;
        try {
          const audio = constraints.audio;
          if (audio && typeof audio === "object" && audio.deviceId !== undefined) deviceId = audio.deviceId;
        } catch (_) { /* exotic constraints: not our business */ }
        event("capture", { constraints: safeJson(constraints), deviceId: safeJson(deviceId) }, site);
      },
      after(self, args, stream, site) {
        if (expectedButInactive() && tracksOf(stream).some((t) => peek(t, "kind") === "audio" && peek(t, "readyState") === "live")) {
          event("unredirected", { what: "getUserMedia while redirection was inactive yielded live audio" }, site);
        }
        for (const track of tracksOf(stream)) {
          created.set(track, site);
          markFresh(track, "getUserMedia");
        }
      },
    },
    "MediaDevices.getDisplayMedia": {
      before(self, args, site) { event("display-capture", {}, site); },
    },
    "RTCPeerConnection.constructor": {
      before(self, args, site) { unredirectedAttempt("RTCPeerConnection", site); },
      after(self, args, pc, site) {
        created.set(pc, site);
        if (expectedButInactive()) watchUnredirectedPeer(pc, site);
      },
    },
    "RTCPeerConnection.addTrack": {
      before(self, args, site) {
        const track = args[0];
        if (track && peek(track, "readyState") === "ended") event("dead-object", { what: "addTrack() with an ended track" }, site);
        if (track && peek(track, "kind") === "video") event("video-capture", { api: "addTrack(video track)" }, site);
      },
      after(self, args, sender) { markFresh(sender, "addTrack"); },
    },
    "RTCPeerConnection.addTransceiver": {
      before(self, args, site) {
        const kind = typeof args[0] === "string" ? args[0] : peek(args[0], "kind");
        if (kind === "video") event("video-capture", { api: "addTransceiver('video')" }, site);
      },
      after(self, args, transceiver) {
        markFresh(transceiver, "addTransceiver");
        markFresh(peek(transceiver, "sender"), "addTransceiver");
      },
    },
    "RTCPeerConnection.createDataChannel": {
      after(self, args, channel) { markFresh(channel, "createDataChannel"); },
    },
    "RTCPeerConnection.setLocalDescription": { after: freshTransceivers("setLocalDescription") },
    "RTCPeerConnection.setRemoteDescription": { after: freshTransceivers("setRemoteDescription") },
    "RTCPeerConnection.replaceTrack": {},
    "RTCRtpSender.replaceTrack": {
      before(self, args, site) {
        const track = args[0];
        if (track && peek(track, "readyState") === "ended") event("dead-object", { what: "replaceTrack() with an ended track" }, site);
      },
    },
    "RTCRtpSender.createEncodedStreams": { before(self, args, site) { event("insertable-streams", { api: "RTCRtpSender.createEncodedStreams" }, site); } },
    "RTCRtpReceiver.createEncodedStreams": { before(self, args, site) { event("insertable-streams", { api: "RTCRtpReceiver.createEncodedStreams" }, site); } },
    "RTCRtpSender.transform": { set(self, value, site) { event("insertable-streams", { api: "RTCRtpSender.transform" }, site); } },
    "RTCRtpReceiver.transform": { set(self, value, site) { event("insertable-streams", { api: "RTCRtpReceiver.transform" }, site); } },
    "AudioContext.constructor": {
      after(self, args, context, site) {
        created.set(context, site);
      },
    },
    "AudioContext.createMediaStreamSource": {
      before(self, args, site) {
        event("webaudio-source", { media: mediaOrigin(args[0]) }, site);
      },
      after(self, args, node) {
        const origin = mediaOrigin(args[0]);
        const info = nodeInfo(node);
        if (info && origin !== "other") info.media = origin;
      },
    },
    "AudioContext.createMediaElementSource": {
      before(self, args, site) {
        const element = args[0];
        const stream = element ? peek(element, "srcObject") : null;
        if (stream && mediaOrigin(stream) !== "other") event("webaudio-unsupported-node", { node: "MediaElementAudioSourceNode", media: mediaOrigin(stream) }, site);
      },
    },
    "AudioContext.setSinkId": {
      before(self, args, site) { contextSink(self, String(args[0]), site); },
    },
    "AudioNode.connect": {
      before(self, args, site) { onConnect(self, args[0], site); },
    },
    "HTMLMediaElement.setSinkId": {
      before(self, args, site) { checkSink(self, String(args[0]), site); },
    },
    "HTMLMediaElement.srcObject": {
      set(self, value, site) {
        elements.add(self);
        const tracks = tracksOf(value);
        if (tracks.length && tracks.every((t) => peek(t, "readyState") === "ended")) {
          event("dead-object", { what: "srcObject set to a stream whose tracks all ended" }, site);
        }
        if (tracks.some((t) => peek(t, "kind") === "video" && (isRemote(t) || isCaptured(t)))) {
          event("video-capture", { api: "video element rendering call media" }, site);
        }
        settleSink(self, value ? mediaOrigin(value) : null);
      },
    },
    "HTMLMediaElement.src": {
      set(self, value, site) { if (value) settleSink(self, "url"); },
    },
    "HTMLMediaElement.captureStream": { before(self, args, site) { event("outside-api", { api: "HTMLMediaElement.captureStream" }, site); } },
    "MediaRecorder.constructor": { before(self, args, site) { event("outside-api", { api: "MediaRecorder", media: mediaOrigin(args[0]) }, site); } },
    "MediaStreamTrackProcessor.constructor": { before(self, args, site) { event("insertable-streams", { api: "MediaStreamTrackProcessor" }, site); } },
    "MediaStreamTrackGenerator.constructor": { before(self, args, site) { event("insertable-streams", { api: "MediaStreamTrackGenerator" }, site); } },
    "RTCRtpScriptTransform.constructor": { before(self, args, site) { event("insertable-streams", { api: "RTCRtpScriptTransform" }, site); } },
    "ImageCapture.constructor": { before(self, args, site) { event("outside-api", { api: "ImageCapture" }, site); } },
    "AudioWorkletNode.constructor": { before(self, args, site) { event("outside-api", { api: "AudioWorkletNode" }, site); } },
  };
  function freshTransceivers(origin) {
    return (self) => {
      let transceivers = [];
      try {
        transceivers = self.getTransceivers();
      } catch (_) { /* closed */ }
      for (const t of transceivers) markFresh(t, origin);
    };
  }

  function checkSink(element, sinkId, site) {
    const stream = peek(element, "srcObject");
    if (stream) {
      const origin = mediaOrigin(stream);
      if (origin !== "received") event("sink-local", { element: describeElement(element), sinkId, source: `a ${origin} stream` }, site);
      return;
    }
    const src = peek(element, "currentSrc") || peek(element, "src");
    if (src) {
      event("sink-local", { element: describeElement(element), sinkId, source: shortUrl(src) }, site);
      return;
    }
    // No source yet: judge when one arrives.
    pendingSink.set(element, { sinkId, site });
  }
  function settleSink(element, origin) {
    const waiting = pendingSink.get(element);
    if (!waiting || origin === null) return;
    pendingSink.delete(element);
    if (origin !== "received") {
      event("sink-local", { element: describeElement(element), sinkId: waiting.sinkId, source: origin === "url" ? "a URL" : `a ${origin} stream` }, waiting.site);
    }
  }
  function describeElement(element) {
    const id = peek(element, "id");
    return `<${String(element.localName || "audio")}${id ? `#${id}` : ""}>`;
  }
  function shortUrl(url) {
    const text = String(url);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  }
  function safeJson(value) {
    try {
      return JSON.parse(JSON.stringify(value === undefined ? null : value));
    } catch (_) {
      return String(value);
    }
  }

  // --- wrapping ------------------------------------------------------------------------------
  const wrappedOwners = new Set();
  // The label recorded for a call: the receiver's interface, named by its toStringTag
  // (native classes and the shim's proxies both define it); `fallback` when it has none.
  function labelOf(self, fallback) {
    const tag = tagOf(self);
    return tag && tag !== "Object" && tag !== "Function" ? tag : fallback;
  }
  // Hooks are written against the interface that defines a member; a call on a subclass
  // (GainNode.connect, HTMLAudioElement.setSinkId) finds them through `owner`.
  function hookFor(owner, label, member) {
    return hooks[`${label}.${member}`] || hooks[`${owner}.${member}`];
  }
  function isSupported(label, member) {
    const members = supported[label];
    return Boolean(members && (member === "constructor" || members.includes(member)));
  }
  function pcIsDead(self) {
    return tagOf(self) === "RTCPeerConnection" && peek(self, "signalingState") === "closed";
  }

  function around(ownerName, member, self, site, call, args) {
    const label = labelOf(self, ownerName);
    const key = `${label}.${member}`;
    if (site) {
      note(key, isSupported(label, member) ? "supported" : "outside", site);
      if (SYNC_STATE[key] && fresh.has(self)) event("sync-read", { member: key, after: fresh.get(self) }, site);
      if (!DEAD_PC_EXEMPT.has(member) && pcIsDead(self)) event("dead-object", { what: `${key}() on a closed peer connection` }, site);
    }
    const hook = site ? hookFor(ownerName, label, member) : undefined;
    if (hook && hook.before) safely(() => hook.before(self, args, site));
    const result = call();
    if (site && member === "constructor") lastActivity = N.now();
    if (site && result && typeof result.then === "function") {
      pending += 1;
      lastActivity = N.now();
      result.then((value) => {
        pending -= 1;
        lastActivity = N.now();
        if (hook && hook.after) safely(() => hook.after(self, args, value, site));
      }, () => {
        pending -= 1;
        lastActivity = N.now();
      });
    } else if (hook && hook.after) {
      safely(() => hook.after(self, args, result, site));
    }
    return result;
  }
  function safely(fn) {
    try {
      fn();
    } catch (_) { /* the audit must never break the page */ }
  }

  function wrapOwner(ownerName, proto) {
    if (!proto || wrappedOwners.has(proto)) return;
    wrappedOwners.add(proto);
    for (const member of Object.getOwnPropertyNames(proto)) {
      if (member === "constructor") continue;
      const d = N.getOwnPropertyDescriptor(proto, member);
      if (!d || !d.configurable) continue;
      if (typeof d.value === "function") {
        const original = d.value;
        const wrapper = {
          [member](...args) {
            const site = callSite();
            return around(ownerName, member, this, site, () => N.Reflect.apply(original, this, args), args);
          },
        }[member];
        originals.set(wrapper, original);
        N.defineProperty(wrapper, "length", { value: original.length });
        N.defineProperty(proto, member, { ...d, value: wrapper });
      } else if (d.get || d.set) {
        const { get, set } = d;
        const replacement = { ...d };
        if (get) {
          replacement.get = {
            get [member]() {
              const site = callSite();
              return around(ownerName, member, this, site, () => N.Reflect.apply(get, this, []), []);
            },
          }.__lookupGetter__(member);
          originals.set(replacement.get, get);
        }
        if (set) {
          replacement.set = {
            set [member](value) {
              const site = callSite();
              const label = labelOf(this, ownerName);
              if (site) {
                note(`${label}.${member}`, isSupported(label, member) ? "supported" : "outside", site);
                const hook = hookFor(ownerName, label, member);
                if (hook && hook.set) safely(() => hook.set(this, value, site));
              }
              N.Reflect.apply(set, this, [value]);
            },
          }.__lookupSetter__(member);
          originals.set(replacement.set, set);
        }
        N.defineProperty(proto, member, replacement);
      }
    }
  }

  // Walk an interface's prototype chain up to (not including) the DOM's generic bases.
  const STOP = new Set([Object.prototype, EventTarget.prototype,
    typeof Node === "function" ? Node.prototype : null,
    typeof Element === "function" ? Element.prototype : null,
    typeof HTMLElement === "function" ? HTMLElement.prototype : null].filter(Boolean));
  function wrapInterface(name) {
    const ctor = window[name];
    if (typeof ctor !== "function" || !ctor.prototype) return;
    for (let proto = ctor.prototype; proto && !STOP.has(proto); proto = N.getPrototypeOf(proto)) {
      const owner = proto.constructor && proto.constructor.name ? proto.constructor.name : name;
      wrapOwner(owner === "BaseAudioContext" ? "AudioContext" : owner, proto);
    }
  }

  function wrapConstructor(name, label = name) {
    const Original = window[name];
    if (typeof Original !== "function") return;
    const d = N.getOwnPropertyDescriptor(window, name);
    if (d && !d.configurable && !d.writable) return;
    const proxy = new Proxy(Original, {
      construct(target, args, newTarget) {
        const site = callSite();
        const object = around(label, "constructor", { [Symbol.toStringTag]: label }, site,
          () => N.Reflect.construct(target, args, newTarget === proxy ? target : newTarget), args);
        return object;
      },
    });
    N.defineProperty(window, name, { value: proxy, writable: true, configurable: true, enumerable: false });
  }

  const INTERFACES = Object.keys(supported);
  const OUTSIDE_INTERFACES = [
    "MediaStreamAudioSourceNode", "MediaStreamAudioDestinationNode", "AnalyserNode",
    "GainNode", "BiquadFilterNode", "DelayNode", "DynamicsCompressorNode", "ConvolverNode",
    "PannerNode", "StereoPannerNode", "ChannelSplitterNode", "ChannelMergerNode",
    "ScriptProcessorNode", "OscillatorNode", "AudioBufferSourceNode", "WaveShaperNode",
    "IIRFilterNode", "ConstantSourceNode", "MediaElementAudioSourceNode", "AudioWorkletNode",
    "OfflineAudioContext", "HTMLVideoElement", "HTMLMediaElement", "RTCDTMFSender",
  ];
  for (const name of [...INTERFACES, ...OUTSIDE_INTERFACES]) wrapInterface(name);
  const CONSTRUCTORS = [
    "RTCPeerConnection", "MediaStream", "AudioContext", "AnalyserNode",
    "MediaStreamAudioSourceNode", "MediaStreamAudioDestinationNode", "GainNode",
    "BiquadFilterNode", "DelayNode", "DynamicsCompressorNode", "ConvolverNode", "PannerNode",
    "StereoPannerNode", "ChannelSplitterNode", "ChannelMergerNode", "OscillatorNode",
    "AudioBufferSourceNode", "WaveShaperNode", "IIRFilterNode", "ConstantSourceNode",
    "MediaElementAudioSourceNode", "AudioWorkletNode", "OfflineAudioContext", "MediaRecorder",
    "MediaStreamTrackProcessor", "MediaStreamTrackGenerator", "RTCRtpScriptTransform",
    "ImageCapture",
  ];
  for (const name of CONSTRUCTORS) wrapConstructor(name);
  wrapConstructor("Audio", "HTMLAudioElement");
  // Node constructors (`new GainNode(ctx)`) register the node in the graph.
  for (const name of CONSTRUCTORS.filter((n) => n.endsWith("Node"))) {
    hooks[`${name}.constructor`] = Object.assign(hooks[`${name}.constructor`] || {}, {
      after(self, args, node) { nodeInfo(node); },
    });
  }

  // Listeners the page registers on the objects that matter.
  const INTERESTING_EVENTS = new Set(["rdpClientConnectionStateChanged", "mmrExtensionLog", "track",
    "connectionstatechange", "iceconnectionstatechange", "icegatheringstatechange", "icecandidate",
    "negotiationneeded", "ended", "devicechange", "datachannel", "signalingstatechange"]);
  const addEventListener = EventTarget.prototype.addEventListener;
  const listenerWrapper = {
    addEventListener(type, listener, options) {
      if (INTERESTING_EVENTS.has(type)) {
        const site = callSite();
        if (site) {
          const key = `${labelOf(this, "EventTarget")}:${type}`;
          let entry = listeners.get(key);
          if (!entry) {
            entry = { count: 0, sites: [] };
            listeners.set(key, entry);
          }
          entry.count += 1;
          if (entry.sites.length < MAX_SITES) entry.sites.push(site);
        }
      }
      return N.Reflect.apply(addEventListener, this, [type, listener, options]);
    },
  }.addEventListener;
  originals.set(listenerWrapper, addEventListener);
  N.defineProperty(EventTarget.prototype, "addEventListener", {
    ...N.getOwnPropertyDescriptor(EventTarget.prototype, "addEventListener"), value: listenerWrapper,
  });

  // --- what the page and the redirection say ----------------------------------------------
  if (navigator.mediaDevices) {
    N.addEventListener.call(navigator.mediaDevices, "rdpClientConnectionStateChanged", (e) => {
      const state = e && e.detail ? e.detail.state : undefined;
      redirection.active = state === "connected";
      if (redirection.active) redirection.everActive = true;
      if (state === "disconnected") redirection.sawDisconnect = true;
      if (redirection.events.length < 50) redirection.events.push({ state, time: Math.round(N.now()) });
    });
  }
  N.addEventListener.call(document, "mmrExtensionLog", (e) => {
    const detail = e.detail || {};
    if (mmrLog.length < 200) mmrLog.push({ level: String(detail.level), message: String(detail.message).slice(0, 500) });
  });
  N.addEventListener.call(window, "error", (e) => {
    if (pageErrors.length < 50) pageErrors.push({ message: String(e.message), url: String(e.filename || ""), line: e.lineno || 0 });
  });
  N.addEventListener.call(window, "unhandledrejection", (e) => {
    if (pageErrors.length < 50) pageErrors.push({ message: `unhandled rejection: ${describeError(e.reason)}`, url: "", line: 0 });
  });

  // --- snapshots for the harness ------------------------------------------------------------
  function liveState() {
    const peerConnections = live.peerConnections();
    const captured = live.captured();
    const remote = live.remote();
    const audioContexts = live.audioContexts();
    const open = peerConnections.filter((pc) => peek(pc, "signalingState") !== "closed");
    const liveCaptured = captured.filter((t) => peek(t, "readyState") === "live");
    const liveRemote = remote.filter((t) => peek(t, "readyState") === "live");
    const openContexts = audioContexts.filter((c) => peek(c, "state") !== "closed");
    return {
      peerConnections: {
        created: peerConnections.length,
        open: open.length,
        openSites: open.map((pc) => created.get(pc) || null).slice(0, 10),
        states: open.map((pc) => peek(pc, "connectionState")).slice(0, 10),
      },
      capturedTracks: {
        created: captured.length,
        live: liveCaptured.length,
        liveSites: liveCaptured.map((t) => created.get(t) || null).slice(0, 10),
        liveLabels: liveCaptured.map((t) => String(peek(t, "label"))).slice(0, 10),
      },
      remoteTracks: { received: remote.length, live: liveRemote.length, liveIds: liveRemote.map((t) => peek(t, "id")).slice(0, 10) },
      audioContexts: {
        created: audioContexts.length,
        open: openContexts.length,
        openSites: openContexts.map((c) => created.get(c) || null).slice(0, 10),
      },
    };
  }

  // Which device each live captured track uses, and what plays where (read after the fact,
  // never right after creation).
  function media() {
    const captured = live.captured().filter((t) => peek(t, "readyState") === "live").map((t) => {
      let settings = {};
      try {
        settings = originalCall(t, "getSettings") || {};
      } catch (_) { /* not available */ }
      return { id: peek(t, "id"), label: peek(t, "label"), enabled: peek(t, "enabled"), deviceId: settings.deviceId || null };
    });
    const sent = [];
    for (const pc of live.peerConnections()) {
      if (peek(pc, "signalingState") === "closed") continue;
      let senders = [];
      try {
        senders = originalCall(pc, "getSenders") || [];
      } catch (_) { /* closed */ }
      for (const sender of senders) {
        const track = peek(sender, "track");
        if (track) sent.push({ id: peek(track, "id"), readyState: peek(track, "readyState"), enabled: peek(track, "enabled") });
      }
    }
    const playing = [...elements].map((element) => {
      const stream = peek(element, "srcObject");
      const tracks = tracksOf(stream);
      return {
        element: describeElement(element),
        connected: Boolean(element.isConnected),
        paused: peek(element, "paused"),
        sinkId: peek(element, "sinkId"),
        origin: stream ? mediaOrigin(stream) : null,
        trackIds: tracks.map((t) => peek(t, "id")),
        liveTracks: tracks.filter((t) => peek(t, "readyState") === "live").length,
      };
    });
    return { captured, sent, elements: playing };
  }
  function originalCall(object, name) {
    const d = descriptor(object, name);
    if (!d || typeof d.value !== "function") return undefined;
    const fn = originals.get(d.value) || d.value;
    return N.Reflect.apply(fn, object, []);
  }

  function diagnostics() {
    const md = navigator.mediaDevices;
    const out = {};
    for (const name of ["isCallRedirectionEnabled", "mmrClientVersion", "mmrHostVersion", "mmrExtensionVersion", "activityId", "connectionId"]) {
      out[name] = md ? safeJson(peek(md, name)) : null;
    }
    return out;
  }

  // Measure what the page renders natively: the dominant frequency and level of the audio
  // tracks of every playing element, with a private AudioContext (never the page's).
  async function measureRendering(maxMs = 2000) {
    if (typeof N.AudioContext !== "function") return { error: "no AudioContext" };
    const results = [];
    for (const element of elements) {
      const stream = peek(element, "srcObject");
      const tracks = tracksOf(stream).filter((t) => peek(t, "kind") === "audio" && peek(t, "readyState") === "live");
      if (!tracks.length || !element.isConnected || peek(element, "paused")) continue;
      const context = new N.AudioContext();
      try {
        const source = context.createMediaStreamSource(new N.MediaStream(tracks));
        const analyser = context.createAnalyser();
        analyser.fftSize = 8192;
        analyser.smoothingTimeConstant = 0;
        source.connect(analyser);
        // Read until the analyser's window holds signal and two readings agree on the peak.
        const bins = new Float32Array(analyser.frequencyBinCount);
        const samples = new Float32Array(analyser.fftSize);
        const deadline = N.now() + maxMs;
        let peak = 0;
        let previous = -1;
        let rms = 0;
        for (;;) {
          await new Promise((resolve) => N.setTimeout(resolve, 50));
          analyser.getFloatFrequencyData(bins);
          analyser.getFloatTimeDomainData(samples);
          peak = 1;
          for (let i = 2; i < bins.length; i += 1) if (bins[i] > bins[peak]) peak = i;
          let sum = 0;
          for (const s of samples) sum += s * s;
          rms = Math.sqrt(sum / samples.length);
          if ((rms > 0 && samples[0] !== 0 && peak === previous) || N.now() >= deadline) break;
          previous = peak;
        }
        results.push({
          element: describeElement(element), sinkId: peek(element, "sinkId"),
          trackIds: tracks.map((t) => peek(t, "id")), origin: mediaOrigin(stream),
          dominantHz: Math.round((peak * context.sampleRate / analyser.fftSize) * 10) / 10,
          levelDbfs: rms > 0 ? Math.round(200 * Math.log10(rms)) / 10 : -200,
        });
      } catch (error) {
        results.push({ element: describeElement(element), error: describeError(error) });
      } finally {
        context.close().catch(() => {});
      }
    }
    return { elements: results };
  }

  // The page's own connections as getStats shows them: the evidence a certification has
  // about a call to the app's own backend on a target without a host to ask. Calls the
  // original getStats, so the app's usage record is unchanged.
  async function connections() {
    const out = [];
    for (const pc of live.peerConnections()) {
      const entry = { connectionState: peek(pc, "connectionState"), iceConnectionState: peek(pc, "iceConnectionState"),
        packetsSent: 0, packetsReceived: 0, audioLevel: null, selectedPair: null };
      if (peek(pc, "signalingState") === "closed") continue;
      try {
        const d = descriptor(pc, "getStats");
        const report = await N.Reflect.apply(originals.get(d.value) || d.value, pc, []);
        const byId = Object.create(null);
        report.forEach((stat) => { byId[stat.id] = stat; });
        const describe = (id) => {
          const c = byId[id];
          return c ? { type: c.candidateType, protocol: c.protocol, address: c.address || c.ip, port: c.port } : null;
        };
        report.forEach((stat) => {
          if (stat.type === "outbound-rtp" && stat.kind === "audio") entry.packetsSent += stat.packetsSent || 0;
          if (stat.type === "inbound-rtp" && stat.kind === "audio") entry.packetsReceived += stat.packetsReceived || 0;
          if (stat.type === "media-source" && stat.kind === "audio" && typeof stat.audioLevel === "number") {
            entry.audioLevel = Math.max(entry.audioLevel || 0, stat.audioLevel);
          }
          if (stat.type === "transport" && stat.selectedCandidatePairId) {
            const pair = byId[stat.selectedCandidatePairId];
            if (pair) entry.selectedPair = { local: describe(pair.localCandidateId), remote: describe(pair.remoteCandidateId) };
          }
        });
      } catch (error) {
        entry.error = describeError(error);
      }
      out.push(entry);
    }
    return out;
  }

  // Resolve once the page is quiet: no audited promise pending and no audited call for
  // `quietMs`; or after `timeoutMs` with `settled: false`.
  function settled(quietMs = 300, timeoutMs = 5000) {
    const start = N.now();
    return new Promise((resolve) => {
      const check = () => {
        const now = N.now();
        if (pending === 0 && now - lastActivity >= quietMs) resolve({ settled: true, waitedMs: Math.round(now - start) });
        else if (now - start >= timeoutMs) resolve({ settled: false, pending, waitedMs: Math.round(now - start) });
        else N.setTimeout(check, 25);
      };
      check();
    });
  }

  function snapshot() {
    const usageOut = {};
    for (const [key, entry] of usage) usageOut[key] = { count: entry.count, kind: entry.kind, sites: entry.sites };
    const listenersOut = {};
    for (const [key, entry] of listeners) listenersOut[key] = entry;
    return {
      version: 1,
      url: location.href,
      token,
      top: window === window.top,
      usage: usageOut,
      listeners: listenersOut,
      events: events.slice(),
      droppedEvents,
      redirection: { active: redirection.active, everActive: redirection.everActive, events: redirection.events.slice(), diagnostics: diagnostics() },
      live: liveState(),
      pageErrors: pageErrors.slice(),
      mmrLog: mmrLog.slice(),
    };
  }

  N.defineProperty(window, "__mmrCertifyAudit", {
    value: Object.freeze({ snapshot, live: liveState, media, connections, diagnostics, measureRendering, settled, token }),
    enumerable: false,
  });
})(__CONFIG__);
//# sourceURL=mmr-certify-audit.js
