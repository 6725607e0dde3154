// peerconnection.js: RTCPeerConnection proxy. Operations run in the host's aiortc peer
// connection, in call order (the host keeps one operations chain per connection); state
// is mirrored from reply snapshots and `pc.state` events, firing the change events.

import { channel } from "./channel.js";
import { INTERNAL, Native, defineToStringTag, living, newHandle, objects, uuid } from "./core.js";
import { RTCDataChannel, dataChannelInit, freeStreamId } from "./datachannel.js";
import { domError, invalidState, rejected } from "./errors.js";
import { RTCDataChannelEvent, defineEventHandlers, fire, fireSimple } from "./events.js";
import { integration, log } from "./integration.js";
import { isShimTrack, nativeTrackLimitation } from "./mediastream.js";
import { descriptionInit, legacyCallbacks, nextConfiguration, normalizeConfiguration, offerOptions, wireConfiguration } from "./pcoptions.js";
import { applyRemoteMedia } from "./remotemedia.js";
import { DIRECTIONS, RTCRtpSender, RTCRtpTransceiver } from "./rtp.js";
import { RTCStatsReport } from "./stats.js";
import { RTCDtlsTransport, RTCSctpTransport, replayCandidates } from "./transport.js";

const CLOSED_MESSAGE = "The RTCPeerConnection's signalingState is 'closed'.";

// Chromium refuses a page more than 500 peer connections: its counter goes up at
// construction and down when the object is garbage-collected (closing is not enough).
const MAX_PEER_CONNECTIONS = 500;
let livePeerConnections = 0;
const peerConnectionsCollected = new Native.FinalizationRegistry(() => { livePeerConnections -= 1; });

export class RTCPeerConnection extends Native.EventTarget {
  constructor(configuration) {
    if (livePeerConnections >= MAX_PEER_CONNECTIONS) {
      throw domError("UnknownError", "Failed to construct 'RTCPeerConnection': Cannot create so many PeerConnections");
    }
    const normalized = normalizeConfiguration(configuration, "Failed to construct 'RTCPeerConnection': ");
    super();
    livePeerConnections += 1;
    peerConnectionsCollected.register(this, null);
    this._handle = newHandle();
    this._configuration = normalized;
    this._signalingState = "stable";
    this._iceGatheringState = "new";
    this._iceConnectionState = "new";
    this._connectionState = "new";
    this._descriptions = {};
    this._descriptionCache = {};
    this._transceivers = [];
    this._removedTransceivers = new Set();
    this._channels = [];
    this._remoteStreams = new Native.Map();
    this._dtls = new RTCDtlsTransport(INTERNAL, this); // one bundled transport per connection
    this._sctp = null; // once a description with an m=application section is applied
    this._sctpRole = null; // our DTLS role for stream ids, once the descriptions fix it
    this._closed = false;
    this._gathered = false;
    this._canTrickle = null;
    this._negotiation = { queued: false, dirty: false };
    objects.set(this._handle, this);
    if (!integration.connected) {
      // Nothing to redirect to: the connection is born closed (ref-disconnected-construction).
      log("warning", "RTCPeerConnection created while the RDP client is disconnected: it is closed");
      this._closed = true;
      this._signalingState = "closed";
      this._iceConnectionState = "closed";
      this._connectionState = "closed";
      return;
    }
    living.add(this);
    log("verbose", `RTCPeerConnection ${this._handle} created`);
    this._chainPost("pc.create", { configuration: wireConfiguration(this._configuration) });
  }

  // --- state ------------------------------------------------------------------------
  get signalingState() { return this._signalingState; }
  get iceGatheringState() { return this._iceGatheringState; }
  get iceConnectionState() { return this._iceConnectionState; }
  get connectionState() { return this._connectionState; }
  get canTrickleIceCandidates() { return this._canTrickle; }
  get sctp() { return this._sctp; }
  get localDescription() { return this._description("localDescription"); }
  get remoteDescription() { return this._description("remoteDescription"); }
  get currentLocalDescription() { return this._description("currentLocalDescription"); }
  get pendingLocalDescription() { return this._description("pendingLocalDescription"); }
  get currentRemoteDescription() { return this._description("currentRemoteDescription"); }
  get pendingRemoteDescription() { return this._description("pendingRemoteDescription"); }

  _description(name) {
    const init = this._descriptions[name];
    if (!init) return null;
    const cached = this._descriptionCache[name];
    if (cached && cached.type === init.type && cached.sdp === init.sdp) return cached;
    const description = new Native.RTCSessionDescription(init);
    this._descriptionCache[name] = description;
    return description;
  }

  // --- host plumbing ------------------------------------------------------------------
  _chain(op, args) {
    return channel.request(op, { ...args, pc: this._handle });
  }

  _chainPost(op, args) {
    channel.post(op, { ...args, pc: this._handle });
  }

  _closedError() {
    return invalidState(CLOSED_MESSAGE);
  }

  _applySnapshot(snapshot) {
    if (this._closed || !snapshot) return;
    for (const name of ["localDescription", "remoteDescription", "currentLocalDescription", "pendingLocalDescription",
      "currentRemoteDescription", "pendingRemoteDescription"]) {
      if (name in snapshot) this._descriptions[name] = snapshot[name];
    }
    if (snapshot.sctpRole) this._sctpRole = snapshot.sctpRole;
    for (const description of snapshot.transceivers || []) {
      if (this._removedTransceivers.has(description.transceiver)) continue;
      let transceiver = this._transceivers.find((t) => t._handle === description.transceiver);
      if (!transceiver) {
        transceiver = new RTCRtpTransceiver(INTERNAL, this, description);
        this._transceivers.push(transceiver);
      }
      transceiver._apply(description);
      if (description.removed) {
        // Stopped and rejected on both sides: disassociated (mid null) and no longer listed.
        this._removedTransceivers.add(description.transceiver);
        this._transceivers = this._transceivers.filter((t) => t !== transceiver);
      }
    }
    this._applyStates(snapshot);
  }

  _applyStates(states) {
    if (this._closed) return;
    if (states.transport) {
      this._dtls._apply(states.transport);
      if (this._sctp) this._sctp._apply(states.transport);
    }
    if (states.signalingState && states.signalingState !== this._signalingState && states.signalingState !== "closed") {
      this._signalingState = states.signalingState;
      fireSimple(this, "signalingstatechange");
      if (this._signalingState === "stable" && this._negotiation.dirty) this._negotiationNeeded();
    }
    if (states.iceConnectionState && states.iceConnectionState !== this._iceConnectionState && states.iceConnectionState !== "closed") {
      this._iceConnectionState = states.iceConnectionState;
      fireSimple(this, "iceconnectionstatechange");
    }
    if (states.connectionState && states.connectionState !== this._connectionState && states.connectionState !== "closed") {
      this._connectionState = states.connectionState;
      fireSimple(this, "connectionstatechange");
    }
  }

  // A description was applied: transceivers with a mid now use the transport, and an
  // m=application section brings the SCTP transport.
  _associateTransports() {
    for (const transceiver of this._transceivers) {
      if (transceiver._mid !== null) transceiver._transportAssociated = true;
    }
    const descriptions = [this._descriptions.localDescription, this._descriptions.remoteDescription];
    if (!this._sctp && descriptions.some((d) => d && /\nm=application /.test(d.sdp))) {
      this._sctp = new RTCSctpTransport(INTERNAL, this, this._dtls);
    }
  }

  _negotiationNeeded() {
    if (this._closed) return;
    this._negotiation.dirty = true;
    if (this._negotiation.queued) return;
    this._negotiation.queued = true;
    Native.setTimeout(() => {
      this._negotiation.queued = false;
      if (!this._closed && this._negotiation.dirty && this._signalingState === "stable") {
        fireSimple(this, "negotiationneeded");
      }
    }, 0);
  }

  _stats(args) {
    if (this._closed) return Promise.resolve(new RTCStatsReport(INTERNAL, []));
    return this._chain("pc.getStats", args).then((list) => new RTCStatsReport(INTERNAL, list.map((s) => [s.id, s])));
  }

  // --- offer/answer ---------------------------------------------------------------------
  createOffer(...args) {
    if (args.length >= 2) return legacyCallbacks("createOffer", args, 1, () => this._createOffer(args[2]));
    return this._createOffer(args[0]);
  }

  _createOffer(options) {
    if (this._closed) return rejected(this._closedError());
    let wire;
    try { wire = offerOptions(options); } catch (error) { return rejected(error); }
    return this._chain("pc.createOffer", { options: wire }).then((result) => {
      this._applySnapshot(result);
      return descriptionInit(result.description); // a plain RTCSessionDescriptionInit, as Chromium's
    });
  }

  createAnswer(...args) {
    if (args.length >= 2) return legacyCallbacks("createAnswer", args, 1, () => this._createAnswer(args[2]));
    return this._createAnswer(args[0]);
  }

  _createAnswer(options) {
    if (this._closed) return rejected(this._closedError());
    return this._chain("pc.createAnswer", { options: options || {} }).then((result) => {
      this._applySnapshot(result);
      return descriptionInit(result.description); // a plain RTCSessionDescriptionInit, as Chromium's
    });
  }

  setLocalDescription(...args) {
    if (args.length >= 2) return legacyCallbacks("setLocalDescription", args, 2, () => this._setLocalDescription(args[0]));
    return this._setLocalDescription(args[0]);
  }

  _setLocalDescription(description) {
    if (this._closed) return rejected(this._closedError());
    let init;
    try { init = descriptionInit(description); } catch (error) { return rejected(error); }
    // {type} without sdp means "the last offer/answer I created": implicit in aiortc.
    const wire = init && (init.sdp || init.type === "rollback") ? init : null;
    if (init && init.type === "rollback") {
      log("warning", "setLocalDescription(rollback) is not supported (limitation ref-no-rollback-pranswer)");
    }
    return this._chain("pc.setLocalDescription", { description: wire }).then((result) => {
      this._applySnapshot(result);
      this._associateTransports();
      this._negotiation.dirty = false;
      if (!this._gathered) {
        this._gathered = true;
        replayCandidates(this, result.candidates || []);
      }
    });
  }

  setRemoteDescription(description, ...callbacks) {
    if (callbacks.length >= 1) {
      return legacyCallbacks("setRemoteDescription", [description, ...callbacks], 2, () => this._setRemoteDescription(description));
    }
    return this._setRemoteDescription(description);
  }

  _setRemoteDescription(description) {
    if (this._closed) return rejected(this._closedError());
    let init;
    try { init = descriptionInit(description); } catch (error) { return rejected(error); }
    if (!init || !init.type) {
      return rejected(new TypeError("Failed to execute 'setRemoteDescription' on 'RTCPeerConnection': The provided value is not a valid RTCSessionDescriptionInit."));
    }
    return this._chain("pc.setRemoteDescription", { description: init }).then((result) => {
      this._applySnapshot(result);
      if (this._closed) return;
      this._associateTransports();
      this._canTrickle = /a=ice-options:[^\r\n]*trickle/.test(init.sdp);
      applyRemoteMedia(this, result.remoteMedia || []);
    });
  }

  addIceCandidate(...args) {
    if (args.length >= 2) return legacyCallbacks("addIceCandidate", args, 2, () => this._addIceCandidate(args[0]));
    return this._addIceCandidate(args[0]);
  }

  _addIceCandidate(candidate) {
    if (this._closed) return rejected(this._closedError());
    let init = null;
    if (candidate !== undefined && candidate !== null) {
      if (typeof candidate !== "object") return rejected(new TypeError("The provided value is not of type 'RTCIceCandidateInit'."));
      init = typeof candidate.toJSON === "function" ? candidate.toJSON() : { ...candidate };
      if (init.candidate && (init.sdpMid === undefined || init.sdpMid === null) &&
          (init.sdpMLineIndex === undefined || init.sdpMLineIndex === null)) {
        return rejected(new TypeError("Failed to execute 'addIceCandidate' on 'RTCPeerConnection': Candidate missing values for both sdpMid and sdpMLineIndex"));
      }
    }
    return this._chain("pc.addIceCandidate", { candidate: init }).then(() => undefined);
  }

  // --- media ------------------------------------------------------------------------------
  _newTransceiver(kind, direction) {
    const trackHandle = newHandle();
    const description = {
      transceiver: newHandle(), sender: newHandle(), receiver: newHandle(),
      receiverTrack: { track: trackHandle, id: uuid(), kind, label: `remote ${kind}` }, kind, direction,
    };
    const transceiver = new RTCRtpTransceiver(INTERNAL, this, description);
    this._transceivers.push(transceiver);
    return { transceiver, description };
  }

  addTrack(track, ...streams) {
    if (this._closed) throw this._closedError();
    if (!isShimTrack(track)) {
      log("warning", `addTrack: only redirected tracks can be sent (limitation ${nativeTrackLimitation(track)})`);
      throw new TypeError("Failed to execute 'addTrack' on 'RTCPeerConnection': parameter 1 is not of type 'MediaStreamTrack'.");
    }
    if (this.getSenders().some((s) => s.track === track)) {
      throw domError("InvalidAccessError", "A sender already exists for the track.");
    }
    const streamIds = streams.map((s) => s.id);
    // The spec's reuse rule: an unused transceiver of the same kind that never sent.
    let transceiver = this._transceivers.find((t) => !t._stopped && t._kind === track.kind && t.sender.track === null && !t._everSent);
    let args;
    if (transceiver) {
      transceiver._direction = { recvonly: "sendrecv", inactive: "sendonly" }[transceiver._direction] || transceiver._direction;
      args = { transceiver: transceiver._handle };
    } else {
      const created = this._newTransceiver(track.kind, "sendrecv");
      transceiver = created.transceiver;
      const d = created.description;
      args = { transceiver: d.transceiver, sender: d.sender, receiver: d.receiver, receiverTrack: d.receiverTrack.track, receiverTrackId: d.receiverTrack.id };
    }
    transceiver._everSent = true;
    transceiver.sender._track = track;
    transceiver.sender._streams = streams;
    this._chainPost("pc.addTrack", { ...args, track: track._handle, streams: streamIds });
    this._negotiationNeeded();
    return transceiver.sender;
  }

  removeTrack(sender) {
    if (this._closed) throw this._closedError();
    if (!(sender instanceof RTCRtpSender)) throw new TypeError("Failed to execute 'removeTrack' on 'RTCPeerConnection': parameter 1 is not of type 'RTCRtpSender'.");
    if (sender._pc !== this) throw domError("InvalidAccessError", "The sender was not created by this peer connection.");
    if (sender.track === null) return;
    sender._track = null;
    const transceiver = sender._transceiver;
    transceiver._direction = { sendrecv: "recvonly", sendonly: "inactive" }[transceiver._direction] || transceiver._direction;
    this._chainPost("pc.removeTrack", { transceiver: transceiver._handle });
    this._negotiationNeeded();
  }

  addTransceiver(trackOrKind, init = {}) {
    if (this._closed) throw this._closedError();
    let kind;
    let track = null;
    if (isShimTrack(trackOrKind)) {
      track = trackOrKind;
      kind = track.kind;
    } else if (typeof trackOrKind === "string") {
      kind = trackOrKind;
      if (kind !== "audio" && kind !== "video") {
        throw new TypeError(`Failed to execute 'addTransceiver' on 'RTCPeerConnection': The track kind '${kind}' is invalid.`);
      }
    } else {
      throw new TypeError("Failed to execute 'addTransceiver' on 'RTCPeerConnection': parameter 1 is not a MediaStreamTrack or a kind.");
    }
    if (kind === "video") {
      // Negotiated, never captured or rendered (no redirected track can be video).
      log("verbose", "addTransceiver('video'): video is negotiated but not rendered on the local device (limitation ref-video-capture)");
    }
    const direction = (init && init.direction) || "sendrecv";
    if (!DIRECTIONS.includes(direction)) {
      throw new TypeError(`Failed to execute 'addTransceiver' on 'RTCPeerConnection': The provided value '${direction}' is not a valid enum value of type RTCRtpTransceiverDirection.`);
    }
    const streams = (init && init.streams) || [];
    const { transceiver, description: d } = this._newTransceiver(kind, direction);
    if (init && Array.isArray(init.sendEncodings) && init.sendEncodings.length) {
      transceiver.sender._parameters = { encodings: init.sendEncodings.map((e) => ({ active: true, ...e })) };
    }
    if (track) {
      transceiver.sender._track = track;
      transceiver.sender._streams = streams;
      if (direction === "sendrecv" || direction === "sendonly") transceiver._everSent = true;
    }
    this._chainPost("pc.addTransceiver", {
      transceiver: d.transceiver, sender: d.sender, receiver: d.receiver,
      receiverTrack: d.receiverTrack.track, receiverTrackId: d.receiverTrack.id,
      kind, track: track ? track._handle : null, direction, streams: streams.map((s) => s.id),
    });
    this._negotiationNeeded();
    return transceiver;
  }

  getTransceivers() { return [...this._transceivers]; }
  getSenders() { return this._transceivers.filter((t) => !t._stopped).map((t) => t.sender); }
  getReceivers() { return this._transceivers.filter((t) => !t._stopped).map((t) => t.receiver); }

  // --- data channels --------------------------------------------------------------------
  createDataChannel(label, init = {}) {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'createDataChannel' on 'RTCPeerConnection': 1 argument required, but only 0 present.");
    if (this._closed) throw this._closedError();
    const { text, wire } = dataChannelInit(label, init);
    if (wire.id === null && this._sctpRole) wire.id = freeStreamId(this._channels, this._sctpRole);
    const handle = newHandle();
    const dc = new RTCDataChannel(INTERNAL, this, { channel: handle, label: text, ...wire, readyState: "connecting" });
    const first = this._channels.length === 0;
    this._channels.push(dc);
    this._chainPost("pc.createDataChannel", { channel: handle, label: text, init: wire });
    if (first) this._negotiationNeeded();
    return dc;
  }

  _incomingChannel(description) {
    if (this._closed) return;
    const dc = new RTCDataChannel(INTERNAL, this, description);
    this._channels.push(dc);
    fire(this, new RTCDataChannelEvent("datachannel", { channel: dc }));
    // The spec announces the channel as open right after the datachannel event.
    if (dc._readyState === "open") fireSimple(dc, "open");
  }

  // --- misc -----------------------------------------------------------------------------
  getStats(selector = undefined) {
    if (selector === undefined || selector === null) return this._stats({});
    // Chromium no longer has the legacy getStats(callback): a function is a wrong selector.
    if (!isShimTrack(selector)) return rejected(new TypeError("Failed to execute 'getStats' on 'RTCPeerConnection': parameter 1 is not of type 'MediaStreamTrack'."));
    const sending = this._transceivers.find((t) => t.sender.track === selector);
    if (sending) return this._stats({ transceiver: sending._handle, side: "sender" });
    const receiving = this._transceivers.find((t) => t.receiver.track === selector);
    if (receiving) return this._stats({ transceiver: receiving._handle, side: "receiver" });
    return rejected(domError("InvalidAccessError", "There is no sender or receiver for the track."));
  }

  getConfiguration() {
    const copy = Native.JSON.parse(Native.JSON.stringify(wireConfiguration(this._configuration)));
    copy.certificates = [...this._configuration.certificates];
    return copy;
  }

  setConfiguration(configuration) {
    if (this._closed) throw domError("InvalidStateError", `Failed to execute 'setConfiguration' on 'RTCPeerConnection': ${CLOSED_MESSAGE}`);
    this._configuration = nextConfiguration(this._configuration, configuration);
  }

  restartIce() {
    if (this._closed) return;
    log("warning", "restartIce() has no effect under the reference redirection (limitation ref-no-ice-restart)");
  }

  static generateCertificate(keygenAlgorithm) {
    return Native.RTCPeerConnection.generateCertificate(keygenAlgorithm);
  }

  close() {
    if (this._closed) return;
    this._closed = true;
    // Natively close() changes state without firing events.
    this._signalingState = "closed";
    this._iceConnectionState = "closed";
    this._connectionState = "closed";
    this._dtls._close();
    if (this._sctp) this._sctp._close();
    for (const transceiver of this._transceivers) {
      transceiver._stopped = true;
      transceiver._currentDirection = "stopped";
      transceiver._direction = "stopped";
      objects.delete(transceiver._handle);
    }
    // Chromium ends the received tracks (with `ended`) and closes open channels (`closing`,
    // `close`, no error) in a later task, not inside close().
    const tracks = this._transceivers.map((t) => t.receiver.track);
    const channels = [...this._channels];
    Native.setTimeout(() => {
      for (const track of tracks) track._end(true);
      for (const dc of channels) dc._closeWith(null);
    }, 0);
    living.delete(this);
    objects.delete(this._handle);
    log("verbose", `RTCPeerConnection ${this._handle} closed`);
    channel.post("pc.close", { pc: this._handle });
  }

  // The RDP connection dropped: the connection dies as a closed one, and says so.
  _die() {
    if (this._closed) return;
    this._closed = true;
    this._signalingState = "closed";
    fireSimple(this, "signalingstatechange");
    this._iceConnectionState = "closed";
    fireSimple(this, "iceconnectionstatechange");
    this._connectionState = "closed";
    fireSimple(this, "connectionstatechange");
    this._dtls._close();
    if (this._sctp) this._sctp._close();
    for (const transceiver of this._transceivers) transceiver._die();
    for (const dc of this._channels) dc._die();
    objects.delete(this._handle);
  }
}
defineEventHandlers(RTCPeerConnection.prototype, [
  "negotiationneeded", "icecandidate", "icecandidateerror", "signalingstatechange", "iceconnectionstatechange",
  "icegatheringstatechange", "connectionstatechange", "track", "datachannel",
]);
defineToStringTag(RTCPeerConnection, "RTCPeerConnection");
