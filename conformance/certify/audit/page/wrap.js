// Part 3 of the certification audit layer: wrapping the interfaces, constructors and listeners.
//
// Wraps every method, accessor and constructor of the supported interfaces and of a list of
// APIs outside them, counts each page call in the record (`note`), runs the hooks around it
// and then calls the original; listens to what the page and the redirection say.
//
// The four parts are joined in order into one init script by
// conformance/certify/audit/layer.py (audit_init_scripts), inside one function that declares
// `config` and `audit`, the namespace the parts share: each part reads what it needs from
// the parts before it (the `const { ... } = audit` line below) and adds what later parts use
// (`Object.assign(audit, ...)` at its end). Nothing else is shared.
/* global audit */
((audit) => {
  "use strict";
  const {
    MAX_SITES, supported, N, peek, originals, listeners, pageErrors, mmrLog, counters, fresh, redirection,
    callSite, note, event, describeError, tagOf, nodeInfo, SYNC_STATE, DEAD_PC_EXEMPT, hooks,
  } = audit;

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
    if (site && member === "constructor") counters.lastActivity = N.now();
    if (site && result && typeof result.then === "function") {
      counters.pending += 1;
      counters.lastActivity = N.now();
      result.then((value) => {
        counters.pending -= 1;
        counters.lastActivity = N.now();
        if (hook && hook.after) safely(() => hook.after(self, args, value, site));
      }, () => {
        counters.pending -= 1;
        counters.lastActivity = N.now();
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
})(audit);
