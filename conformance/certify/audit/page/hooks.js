// Part 2 of the certification audit layer: what happens around particular members.
//
// The hooks table (`Interface.member` -> before/after/set) that turns calls into the notable
// events the certification rules judge: the Web Audio graph fed by call media, setSinkId on
// local playback, calls while an expected redirection is inactive, dead objects, video and
// capture outside call redirection. Hooks observe; they never change arguments or results.
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
    N, peek, created, elements, redirection, redirectionActive, event, tagOf, tracksOf, isCaptured,
    isRemote, mediaOrigin, markFresh, describeElement, shortUrl, safeJson,
  } = audit;

  const nodes = new WeakMap(); // AudioNode -> {type, media: bool, id}
  const edges = new WeakMap(); // AudioNode -> Set of downstream AudioNodes
  let nodeIds = 0;
  const pendingSink = new WeakMap(); // element -> {sinkId, site} set while the element had no source

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
  // context -> the received streams its MediaStreamAudioSourceNodes read: what the audit
  // measures for a graph that plays call media (snapshot.js's measureRendering).
  const contextSources = new WeakMap();
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
        if (origin === "received") {
          if (!contextSources.has(self)) contextSources.set(self, []);
          contextSources.get(self).push(args[0]);
        }
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

  Object.assign(audit, { nodeInfo, mediaOutputs, contextSources, SYNC_STATE, DEAD_PC_EXEMPT, hooks });
})(audit);
