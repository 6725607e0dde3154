// Part 1 of the certification audit layer: the record and what it knows about objects.
//
// The usage record, the notable events, the call sites (the first stack frame outside the
// audit), the redirection state as the page sees it, the natives the audit relies on
// (captured before anything is wrapped), and the classification of media objects (captured,
// received, fresh, page-created) over tracking.js's live-object registry.
//
// The layer as a whole (the four parts): injected at document start in every frame, after
// any redirection shim, on every target. It wraps the methods, accessors and constructors of the 13 interfaces call redirection
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
//   check can tell what a hang-up released: tracking.js (injected just before the audit)
//   records them; the audit reports those the page created.
//
// Only calls made by page scripts are recorded: the first stack frame outside the audit
// must be a script with an http(s), file or blob URL. Calls made by the shim itself, by
// Playwright's evaluate or by the audit are not. The audit never changes arguments or
// results: it observes, then calls the original.
//
// config: {supported: {Interface: [member...]}, measure: bool, maxSites, maxEvents}
//
// The four parts are joined in order into one init script by
// conformance/certify/audit/layer.py (audit_init_scripts), inside one function that declares
// `config` and `audit`, the namespace the parts share: each part reads what it needs from
// the parts before it (the `const { ... } = audit` line below) and adds what later parts use
// (`Object.assign(audit, ...)` at its end). Nothing else is shared.
/* global audit */
((audit) => {
  "use strict";
  const { config } = audit;

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
  const listeners = new Map(); // "Interface:type" -> {count, sites}
  const pageErrors = [];
  const mmrLog = [];
  const token = Math.random().toString(36).slice(2) + Date.now().toString(36);
  // Counters the wrappers update and the snapshot reads (one object: parts share it).
  const counters = { droppedEvents: 0, pending: 0, lastActivity: N.now() };

  const created = new WeakMap(); // object -> call site where the page created it
  const elements = new Set(); // media elements the page gave a srcObject
  const fresh = new WeakMap(); // object -> what created it, until the next task

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
      counters.droppedEvents += 1;
      return;
    }
    events.push({ kind, ...data, site, time: Math.round(N.now()), afterDisconnect: redirection.sawDisconnect });
    counters.lastActivity = N.now();
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

  Object.assign(audit, {
    MAX_SITES, supported, N, descriptor, peek, originals, usage, events, listeners, pageErrors, mmrLog,
    token, counters, created, elements, fresh, redirection, redirectionActive, callSite, note, event,
    describeError, tagOf, tracksOf, live, isCaptured, isRemote, mediaOrigin, markFresh, describeElement,
    shortUrl, safeJson,
  });
})(audit);
