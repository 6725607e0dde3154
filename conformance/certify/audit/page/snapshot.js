// Part 4 of the certification audit layer: what the harness reads, as `window.__mmrCertifyAudit`.
//
// The snapshot of the record, the live objects a hang-up must release, the devices and
// elements in use, the page's rendering measured with a private AudioContext, the page's
// connections from getStats, and a wait until the page is quiet.
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
    N, descriptor, peek, originals, usage, events, listeners, pageErrors, mmrLog, token, counters, created,
    elements, redirection, describeError, tracksOf, live, mediaOrigin, describeElement, safeJson, mediaOutputs,
    contextSources,
  } = audit;

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

  // How this document plays the call's received audio, for the evidence of the checks that
  // read what a speaker played: its players of call media, with their sinks, and its frame.
  // Sinks show as their labels: device ids are per origin (a cross-origin frame's are not the
  // top page's, which the certificate maps to labels).
  async function renderers() {
    const labels = new Map();
    try {
      for (const device of await navigator.mediaDevices.enumerateDevices()) labels.set(device.deviceId, device.label);
    } catch (_) { /* no labels: ids stay */ }
    const found = players().filter((player) => player.origin === "received")
      .map(({ kind, element, detached, sinkId }) => ({ kind, element, detached, sinkId, sinkLabel: labels.get(sinkId) || "" }));
    let frame = null;
    if (window !== window.top) {
      // A cross-origin frame cannot see its <iframe>: its document's file name says which it is.
      const holder = window.frameElement;
      frame = holder ? describeFrame(holder) : `of another origin (${location.pathname.split("/").pop().slice(0, 60)})`;
    }
    return { frame, renderers: found };
  }
  function describeFrame(holder) {
    const id = holder.id ? `#${holder.id}` : holder.name ? `[name=${holder.name}]` : "";
    return `<iframe${id}>`;
  }

  // What plays the call's audio audibly: elements that play (in the document or detached:
  // removing one from the document pauses it), not muted, and AudioContexts whose
  // destination call media reaches (their received sources).
  function players() {
    const found = [];
    const audio = (streams) => streams.flatMap((stream) => tracksOf(stream))
      .filter((t) => peek(t, "kind") === "audio" && peek(t, "readyState") === "live");
    for (const element of elements) {
      const stream = peek(element, "srcObject");
      if (peek(element, "paused") || peek(element, "muted")) continue;
      found.push({ kind: "element", element: describeElement(element), detached: !element.isConnected,
        sinkId: String(peek(element, "sinkId") || ""), origin: mediaOrigin(stream), tracks: audio([stream]) });
    }
    for (const context of live.audioContexts()) {
      if (!mediaOutputs.has(context) || peek(context, "state") !== "running") continue;
      const sink = peek(context, "sinkId");
      found.push({ kind: "graph", element: "AudioContext", detached: false, sinkId: typeof sink === "string" ? sink : "",
        origin: "received", tracks: audio(contextSources.get(context) || []) });
    }
    return found.filter((player) => player.tracks.length);
  }

  // Measure what the page renders natively: the dominant frequency and level of the audio
  // tracks of every player, with a private AudioContext (never the page's).
  async function measureRendering(maxMs = 2000) {
    if (typeof N.AudioContext !== "function") return { error: "no AudioContext" };
    const results = [];
    for (const { tracks, ...player } of players()) {
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
          ...player, trackIds: tracks.map((t) => peek(t, "id")),
          dominantHz: Math.round((peak * context.sampleRate / analyser.fftSize) * 10) / 10,
          levelDbfs: rms > 0 ? Math.round(200 * Math.log10(rms)) / 10 : -200,
        });
      } catch (error) {
        results.push({ element: player.element, error: describeError(error) });
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
        if (counters.pending === 0 && now - counters.lastActivity >= quietMs) resolve({ settled: true, waitedMs: Math.round(now - start) });
        else if (now - start >= timeoutMs) resolve({ settled: false, pending: counters.pending, waitedMs: Math.round(now - start) });
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
      droppedEvents: counters.droppedEvents,
      redirection: { active: redirection.active, everActive: redirection.everActive, events: redirection.events.slice(), diagnostics: diagnostics() },
      live: liveState(),
      pageErrors: pageErrors.slice(),
      mmrLog: mmrLog.slice(),
    };
  }

  N.defineProperty(window, "__mmrCertifyAudit", {
    value: Object.freeze({
      snapshot, live: liveState, media, connections, diagnostics, measureRendering, renderers, settled, token,
    }),
    enumerable: false,
  });
})(audit);
