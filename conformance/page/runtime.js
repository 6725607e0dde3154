// The harness's page-side runtime, injected at document start after any redirection shim.
//
// It gives the step engine one entry point per step kind (`__conformance.run`, `.expect`,
// `.expectError`, `.waitEvent`), closes the WebRTC and media objects a scenario created
// after the item (tracking.js, injected just before, records them), and offers small
// helpers to scenario authors
// (`mic(n)`, `micTone(n)`, `speaker(n)`, `until`, `nextEvent`, `connectPair`, `describe`).
//
// Step sources run as bodies of sloppy-mode async functions: a name assigned without
// let/const/var becomes a global and so persists into later steps.
(() => {
  "use strict";
  if (window.__conformance) return;

  const AsyncFunction = (async () => {}).constructor;
  // The live objects a scenario creates, recorded by tracking.js (injected before this).
  const tracking = window.__conformanceTracking;
  if (!tracking) throw new Error("conformance runtime: tracking.js must be injected before runtime.js");

  // --- object tracking (for cleanup) -----------------------------------------------
  // The hooks go in once the document is parsed (or at the first step, if that comes
  // first), not at document start: a redirection the suite did not inject (a browser
  // extension, as in a real session) may install itself after this script, and hooks on the
  // native objects below it would bypass it. By then every document-start script has run.
  // (With the audit in the same page, the hooks are already in, from document start.)
  const installTracking = () => tracking.install();

  // Close and stop what the item left; every document is new, so nothing earlier is listed.
  async function cleanup() {
    const counts = { peerConnections: 0, tracks: 0, audioContexts: 0 };
    for (const pc of tracking.list("peerConnection")) {
      try {
        if (pc.signalingState !== "closed") { pc.close(); counts.peerConnections += 1; }
      } catch (_) { /* a broken object must not stop the rest of the cleanup */ }
    }
    for (const track of tracking.list("capturedTrack", "clonedTrack")) {
      try { if (track.readyState !== "ended") { track.stop(); counts.tracks += 1; } } catch (_) {}
    }
    for (const context of tracking.list("audioContext")) {
      try { if (context.state !== "closed") { await context.close(); counts.audioContexts += 1; } } catch (_) {}
    }
    return counts;
  }

  // --- values and errors as the harness reports them -------------------------------
  function describe(value, depth = 0) {
    if (value === undefined) return "undefined";
    if (typeof value === "function") return `[function ${value.name || "anonymous"}]`;
    if (typeof value === "symbol" || typeof value === "bigint") return String(value);
    if (value instanceof Error || (typeof DOMException !== "undefined" && value instanceof DOMException)) {
      return `${value.name}: ${value.message}`;
    }
    if (typeof value !== "object" || value === null) return JSON.stringify(value);
    if (depth > 2) return "[…]";
    if (value instanceof Map || (typeof RTCStatsReport !== "undefined" && value instanceof RTCStatsReport)) {
      return `Map(${value.size})`;
    }
    if (typeof value.toJSON === "function") {
      try { return truncate(JSON.stringify(value.toJSON())); } catch (_) { /* fall through */ }
    }
    try { return truncate(JSON.stringify(value)); } catch (_) {
      return `[object ${value.constructor ? value.constructor.name : "Object"}]`;
    }
  }
  function truncate(text, limit = 500) {
    return text.length > limit ? `${text.slice(0, limit)}…` : text;
  }
  // A JSON-safe copy for `equals` comparisons done by the harness.
  function jsonable(value) {
    if (value === undefined) return { undefined: true };
    try {
      const text = JSON.stringify(value, (_key, v) => (v instanceof Map ? Object.fromEntries(v) : v));
      return { value: text === undefined ? null : JSON.parse(text) };
    } catch (_) {
      return { unserialisable: true };
    }
  }
  function errorInfo(error) {
    if (error === null || typeof error !== "object") {
      return { name: "Error", message: `non-Error thrown: ${describe(error)}`, stack: "" };
    }
    return {
      name: String(error.name || (error.constructor && error.constructor.name) || "Error"),
      message: String(error.message || ""),
      stack: String(error.stack || ""),
      constraint: error.constraint,
    };
  }

  // --- compiling step sources -------------------------------------------------------
  function compileBody(source) {
    return new AsyncFunction(source);
  }
  function compileExpression(source) {
    // The newline keeps a trailing `// comment` in the source from eating the parenthesis.
    return new AsyncFunction(`return (\n${source}\n);`);
  }
  // `expect_error` accepts an expression or a statement body.
  function compileAction(source) {
    try {
      return { fn: compileExpression(source), offset: 1 };
    } catch (_) {
      return { fn: compileBody(source), offset: 0 };
    }
  }
  // Exceptions in `new AsyncFunction` are reported as a syntax error of the step.
  function compile(kind, source) {
    try {
      if (kind === "body") return { fn: compileBody(source), offset: 0 };
      if (kind === "expression") return { fn: compileExpression(source), offset: 1 };
      return compileAction(source);
    } catch (error) {
      return { syntaxError: errorInfo(error) };
    }
  }

  const deadline = (ms) => performance.now() + ms;
  const nextTick = () => new Promise((resolve) => setTimeout(resolve, 15));

  // --- step kinds -------------------------------------------------------------------
  async function run(source) {
    installTracking();
    const compiled = compile("body", source);
    if (compiled.syntaxError) return { ok: false, syntax: true, error: compiled.syntaxError };
    try {
      await compiled.fn();
      return { ok: true };
    } catch (error) {
      return { ok: false, error: errorInfo(error), offset: compiled.offset };
    }
  }

  // Evaluate `source` until `check` accepts the value or `waitMs` passes (0: once).
  async function expect(source, waitMs, expected) {
    installTracking();
    const compiled = compile("expression", source);
    if (compiled.syntaxError) return { ok: false, syntax: true, error: compiled.syntaxError };
    const end = deadline(waitMs);
    let attempts = 0;
    for (;;) {
      attempts += 1;
      let outcome;
      try {
        const value = await compiled.fn();
        const copy = jsonable(value);
        const holds = expected.has ? sameJson(copy, expected.value) : Boolean(value);
        outcome = { ok: holds, actual: describe(value), json: copy, attempts };
      } catch (error) {
        outcome = { ok: false, error: errorInfo(error), offset: compiled.offset, attempts };
      }
      if (outcome.ok || performance.now() >= end) return outcome;
      await nextTick();
    }
  }
  function sameJson(copy, expected) {
    if (!("value" in copy)) return false;
    return canonical(copy.value) === canonical(expected);
  }
  function canonical(value) {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (value && typeof value === "object") {
      return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
    }
    return JSON.stringify(value);
  }

  async function expectError(source) {
    installTracking();
    const compiled = compile("action", source);
    if (compiled.syntaxError) return { ok: false, syntax: true, error: compiled.syntaxError };
    try {
      const value = await compiled.fn();
      return { threw: false, actual: describe(value) };
    } catch (error) {
      return { threw: true, error: errorInfo(error) };
    }
  }

  async function waitEvent(onSource, type, untilSource, triggerSource, timeoutMs) {
    installTracking();
    const target = compile("expression", onSource);
    if (target.syntaxError) return { ok: false, syntax: true, error: target.syntaxError, part: "on" };
    const until = untilSource ? compile("expression", untilSource) : null;
    if (until && until.syntaxError) return { ok: false, syntax: true, error: until.syntaxError, part: "until" };
    const trigger = triggerSource ? compile("body", triggerSource) : null;
    if (trigger && trigger.syntaxError) return { ok: false, syntax: true, error: trigger.syntaxError, part: "trigger" };

    let object;
    try {
      object = await target.fn();
    } catch (error) {
      return { ok: false, error: errorInfo(error), part: "on" };
    }
    if (!object || typeof object.addEventListener !== "function") {
      return { ok: false, error: { name: "TypeError", message: `\`on\` is not an EventTarget: ${describe(object)}` }, part: "on" };
    }
    let count = 0;
    let settle;
    const done = new Promise((resolve) => { settle = resolve; });
    const check = async () => {
      if (!until) return count > 0;
      return Boolean(await until.fn());
    };
    const listener = (event) => {
      count += 1;
      // Check after every listener of this dispatch has run (page handlers added in
      // `trigger` come after ours), with `event` bound to this very event.
      setTimeout(async () => {
        globalThis.event = event; // `window.event` is [Replaceable]: this shadows it
        try { if (await check()) settle({ ok: true, count }); } catch (error) { settle({ ok: false, error: errorInfo(error), part: "until" }); }
      }, 0);
    };
    // A previous step's event must not satisfy this step's condition.
    globalThis.event = undefined;
    object.addEventListener(type, listener);
    try {
      if (until) {
        // Before any event, a condition that reads `event` may throw: that means "not yet".
        let already = false;
        try { already = Boolean(await until.fn()); } catch (_) { already = false; }
        if (already) return { ok: true, count, already: true };
      }
      if (trigger) {
        try { await trigger.fn(); } catch (error) { return { ok: false, error: errorInfo(error), part: "trigger" }; }
      }
      const timer = new Promise((resolve) => setTimeout(() => resolve({ ok: false, timedOut: true, count }), timeoutMs));
      return await Promise.race([done, timer]);
    } finally {
      object.removeEventListener(type, listener);
    }
  }

  // --- the redirection log (`mmrExtensionLog` events on document) -------------------
  const mmrLog = [];
  document.addEventListener("mmrExtensionLog", (event) => {
    const detail = event.detail || {};
    if (mmrLog.length < 500) {
      mmrLog.push({ level: String(detail.level), message: String(detail.message), time: performance.now() });
    }
  });

  // --- helpers for scenario authors ------------------------------------------------
  async function devicesOfKind(kind) {
    const all = await navigator.mediaDevices.enumerateDevices();
    // Chromium lists a "default" alias first; the numbered helpers skip aliases.
    return all.filter((d) => d.kind === kind && d.deviceId !== "default" && d.deviceId !== "communications");
  }
  async function mic(n = 1) {
    const list = await devicesOfKind("audioinput");
    if (!list[n - 1]) throw new Error(`no microphone ${n}: ${list.length} available`);
    return list[n - 1].deviceId;
  }
  // The tone microphone n plays, from its label ("... (440 Hz)": the reference host's and
  // the suite's sound card's microphones), or null (Chromium's fake microphone, a real one).
  async function micTone(n = 1) {
    const list = await devicesOfKind("audioinput");
    const match = /\((\d+(?:\.\d+)?) Hz\)/.exec((list[n - 1] || {}).label || "");
    return match ? Number(match[1]) : null;
  }
  async function speaker(n = 1) {
    const list = await devicesOfKind("audiooutput");
    if (!list[n - 1]) throw new Error(`no speaker ${n}: ${list.length} available`);
    return list[n - 1].deviceId;
  }
  async function until(condition, timeoutMs = 5000, what = "condition") {
    const end = deadline(timeoutMs);
    for (;;) {
      const value = await condition();
      if (value) return value;
      if (performance.now() >= end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await nextTick();
    }
  }
  function nextEvent(target, type, timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { target.removeEventListener(type, on); reject(new Error(`no ${type} event within ${timeoutMs} ms`)); }, timeoutMs);
      function on(event) { clearTimeout(timer); target.removeEventListener(type, on); resolve(event); }
      target.addEventListener(type, on);
    });
  }
  // Offer/answer between two peer connections in this page, with trickle ICE both ways.
  async function connectPair(caller, callee) {
    caller.addEventListener("icecandidate", (e) => { if (e.candidate) callee.addIceCandidate(e.candidate).catch(() => {}); });
    callee.addEventListener("icecandidate", (e) => { if (e.candidate) caller.addIceCandidate(e.candidate).catch(() => {}); });
    await caller.setLocalDescription(await caller.createOffer());
    await callee.setRemoteDescription(caller.localDescription);
    await callee.setLocalDescription(await callee.createAnswer());
    await caller.setRemoteDescription(callee.localDescription);
  }
  // --- remote parties ----------------------------------------------------------------
  // A far end run by the harness: `aiortc` (a Python peer) or `native` (a second Chromium
  // page). It answers with a known tone, echoes data-channel messages, and reports what
  // audio it received (`stats()`), measured by the far end itself.
  function iceGatheringComplete(pc, timeoutMs = 10000) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { pc.removeEventListener("icegatheringstatechange", on); reject(new Error(`ICE gathering did not complete within ${timeoutMs} ms`)); }, timeoutMs);
      function on() {
        if (pc.iceGatheringState === "complete") { clearTimeout(timer); pc.removeEventListener("icegatheringstatechange", on); resolve(); }
      }
      pc.addEventListener("icegatheringstatechange", on);
    });
  }
  async function farEnd(kind = "aiortc", options = {}) {
    const party = window.__conformanceParty;
    if (typeof party !== "function") throw new Error("far ends need the conformance harness");
    const id = await party("create", { kind, tone: options.tone });
    return {
      id,
      kind,
      // Offer from `pc` (set up its tracks and channels first), get the far end's answer.
      async call(pc) {
        await pc.setLocalDescription(await pc.createOffer());
        await iceGatheringComplete(pc);
        const sdp = await party("answer", { id, sdp: pc.localDescription.sdp });
        await pc.setRemoteDescription({ type: "answer", sdp });
      },
      // The far end calls `pc` (it offers audio and a data channel); `pc` answers.
      async answerOn(pc) {
        const offer = await party("offer", { id });
        await pc.setRemoteDescription({ type: "offer", sdp: offer });
        await pc.setLocalDescription(await pc.createAnswer());
        await iceGatheringComplete(pc);
        await party("accept", { id, sdp: pc.localDescription.sdp });
      },
      stats: () => party("stats", { id }),
      hangup: () => party("close", { id }),
    };
  }

  async function statsOfType(pcOrSender, type) {
    const report = await pcOrSender.getStats();
    const found = [];
    report.forEach((stat) => { if (stat.type === type) found.push(stat); });
    return found;
  }

  Object.assign(window, { mic, micTone, speaker, until, nextEvent, connectPair, statsOfType, describe, farEnd, iceGatheringComplete });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", installTracking, { once: true });
  } else {
    installTracking();
  }

  Object.defineProperty(window, "__conformance", {
    value: Object.freeze({ run, expect, expectError, waitEvent, cleanup, describe, mmrLog: () => mmrLog.slice() }),
    enumerable: false,
  });
})();
