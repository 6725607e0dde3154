// rtp.js: RTCRtpSender, RTCRtpReceiver and RTCRtpTransceiver proxies. Their state is
// mirrored from the host's transceiver descriptions (see PeerConnection._applySnapshot).

import { channel } from "./channel.js";
import { INTERNAL, Native, defineToStringTag, objects, uuid } from "./core.js";
import { RTCDTMFSender } from "./dtmf.js";
import { domError, invalidState, rejected } from "./errors.js";
import { log } from "./integration.js";
import { MediaStreamTrack, isShimTrack } from "./mediastream.js";

const AUDIO_CAPABILITIES = Object.freeze({
  codecs: [
    { mimeType: "audio/opus", clockRate: 48000, channels: 2, sdpFmtpLine: "minptime=10;useinbandfec=1" },
    { mimeType: "audio/PCMU", clockRate: 8000, channels: 1 },
    { mimeType: "audio/PCMA", clockRate: 8000, channels: 1 },
    // RTCDTMFSender's events (reference_impl/rfc4733.py), at opus's and the 8 kHz codecs' rates.
    { mimeType: "audio/telephone-event", clockRate: 48000, channels: 1 },
    { mimeType: "audio/telephone-event", clockRate: 8000, channels: 1 },
  ],
  headerExtensions: [
    { uri: "urn:ietf:params:rtp-hdrext:sdes:mid" },
    { uri: "urn:ietf:params:rtp-hdrext:ssrc-audio-level" },
  ],
});

// Video is negotiated (aiortc's codecs) but never captured or rendered on the local
// device (limitation ref-video-capture): an app that offers or receives video still
// completes its audio call.
const VIDEO_CAPABILITIES = Object.freeze({
  codecs: [
    { mimeType: "video/VP8", clockRate: 90000 },
    { mimeType: "video/rtx", clockRate: 90000 },
    { mimeType: "video/H264", clockRate: 90000, sdpFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f" },
    { mimeType: "video/H264", clockRate: 90000, sdpFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f" },
  ],
  headerExtensions: [
    { uri: "urn:ietf:params:rtp-hdrext:sdes:mid" },
    { uri: "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time" },
  ],
});

function capabilitiesFor(kind) {
  const capabilities = { audio: AUDIO_CAPABILITIES, video: VIDEO_CAPABILITIES }[kind];
  return capabilities ? JSON.parse(JSON.stringify(capabilities)) : null;
}

// A sender's or receiver's RTCDtlsTransport: the connection's, once a description gave
// its transceiver a mid (null before, as natively; kept after close).
function transportOf(senderOrReceiver) {
  const transceiver = senderOrReceiver._transceiver;
  return transceiver && transceiver._transportAssociated ? senderOrReceiver._pc._dtls : null;
}

export class RTCRtpSender {
  constructor(token, pc, handle) {
    if (token !== INTERNAL) throw new TypeError("Illegal constructor");
    this._pc = pc;
    this._handle = handle;
    this._transceiver = null;
    this._track = null;
    this._streams = [];
    this._codecs = [];
    this._headerExtensions = [];
    this._parameters = { encodings: [{ active: true }] };
    this._transactionId = null;
    this._dtmf = null;
  }
  get track() { return this._track; }
  get transport() { return transportOf(this); }
  // Audio senders have one RTCDTMFSender, made when first asked for; video senders none.
  get dtmf() {
    if (!this._transceiver || this._transceiver._kind !== "audio") return null;
    if (!this._dtmf) this._dtmf = new RTCDTMFSender(INTERNAL, this);
    return this._dtmf;
  }
  static getCapabilities(kind) { return capabilitiesFor(kind); }

  replaceTrack(track) {
    if (this._pc._closed) return rejected(invalidState("The RTCPeerConnection's signalingState is 'closed'."));
    if (track !== null && !isShimTrack(track)) {
      return rejected(new TypeError("Failed to execute 'replaceTrack' on 'RTCRtpSender': parameter 1 is not of type 'MediaStreamTrack'."));
    }
    if (this._transceiver && this._transceiver._stopped) return rejected(invalidState("The transceiver is stopped."));
    if (track && track.kind !== this._transceiver._kind) return rejected(new TypeError("The track kind does not match the sender's."));
    return this._pc._chain("sender.replaceTrack", {
      transceiver: this._transceiver._handle, track: track ? track._handle : null,
    }).then(() => { this._track = track; });
  }

  getParameters() {
    // The spec (and Chromium) keep the returned parameters only until the current task
    // ends: setParameters must follow getParameters in the same task.
    const transactionId = uuid();
    this._transactionId = transactionId;
    Native.setTimeout(() => { if (this._transactionId === transactionId) this._transactionId = null; }, 0);
    const encodings = (this._parameters.encodings || [{ active: true }]).map((e) => ({ ...e }));
    return {
      transactionId,
      encodings,
      headerExtensions: this._headerExtensions.map((h) => ({ ...h })),
      rtcp: { cname: "", reducedSize: false },
      codecs: this._codecs.map((c) => ({ ...c })),
      degradationPreference: this._parameters.degradationPreference,
    };
  }

  setParameters(parameters) {
    if (this._pc._closed) return rejected(invalidState("The RTCPeerConnection's signalingState is 'closed'."));
    if (!parameters || typeof parameters !== "object") return rejected(new TypeError("parameters must be an object"));
    if (this._transactionId === null) {
      return rejected(invalidState("Failed to execute 'setParameters' on 'RTCRtpSender': getParameters() needs to be called before setParameters()."));
    }
    if (parameters.transactionId !== this._transactionId) {
      return rejected(domError("InvalidModificationError", "Failed to execute 'setParameters' on 'RTCRtpSender': Read-only field modified in setParameters()."));
    }
    const current = this._parameters.encodings || [{ active: true }];
    if (!Array.isArray(parameters.encodings) || parameters.encodings.length !== current.length) {
      return rejected(domError("InvalidModificationError", "Read-only field modified in setParameters(): encodings length."));
    }
    this._transactionId = null;
    const stored = { encodings: parameters.encodings.map((e) => ({ ...e })), degradationPreference: parameters.degradationPreference };
    return this._pc._chain("sender.setParameters", { transceiver: this._transceiver._handle, parameters: stored })
      .then(() => { this._parameters = stored; });
  }

  setStreams(...streams) {
    if (this._pc._closed) throw invalidState("The RTCPeerConnection's signalingState is 'closed'.");
    this._streams = streams;
  }

  getStats() {
    return this._pc._stats({ transceiver: this._transceiver._handle, side: "sender" });
  }

  _apply(description) {
    this._codecs = description.codecs || [];
    this._headerExtensions = description.headerExtensions || [];
  }
}
defineToStringTag(RTCRtpSender, "RTCRtpSender");

export class RTCRtpReceiver {
  constructor(token, pc, handle, track) {
    if (token !== INTERNAL) throw new TypeError("Illegal constructor");
    this._pc = pc;
    this._handle = handle;
    this._track = track;
    this._transceiver = null;
    this._codecs = [];
    this._headerExtensions = [];
    this._sources = [];
    this._contributing = [];
    this._refreshing = false;
  }
  get track() { return this._track; }
  get transport() { return transportOf(this); }
  static getCapabilities(kind) { return capabilitiesFor(kind); }

  getParameters() {
    return {
      headerExtensions: this._headerExtensions.map((h) => ({ ...h })),
      rtcp: { cname: "", reducedSize: false },
      codecs: this._codecs.map((c) => ({ ...c })),
    };
  }

  getStats() {
    return this._pc._stats({ transceiver: this._transceiver._handle, side: "receiver" });
  }

  // Synchronous natively; here they return what the host last reported and ask for a
  // fresh list (limitation async-proxy-state: poll again to see new sources).
  getSynchronizationSources() {
    this._refresh();
    return this._sources.map((s) => ({ ...s }));
  }

  getContributingSources() {
    this._refresh();
    return this._contributing.map((s) => ({ ...s }));
  }

  _refresh() {
    if (this._refreshing || this._pc._closed) return;
    this._refreshing = true;
    channel.request("receiver.getSynchronizationSources", { pc: this._pc._handle, transceiver: this._transceiver._handle })
      .then((result) => {
        // The host reports epoch milliseconds, the page's clock as Chromium reports it
        // (performance.timeOrigin + performance.now(): one machine, one wall clock).
        this._sources = result.synchronizationSources.map((s) => ({ ...s }));
        this._contributing = (result.contributingSources || []).map((s) => ({ ...s }));
      }, () => {})
      .finally(() => { this._refreshing = false; });
  }

  _apply(description) {
    this._codecs = description.codecs || [];
    this._headerExtensions = description.headerExtensions || [];
  }
}
defineToStringTag(RTCRtpReceiver, "RTCRtpReceiver");

export const DIRECTIONS = ["sendrecv", "sendonly", "recvonly", "inactive"];

export class RTCRtpTransceiver {
  constructor(token, pc, description) {
    if (token !== INTERNAL) throw new TypeError("Illegal constructor");
    this._pc = pc;
    this._handle = description.transceiver;
    this._kind = description.kind;
    this._mid = null;
    this._direction = description.direction || "sendrecv";
    this._currentDirection = null;
    this._stopped = false;
    this._everSent = false;
    this._firedReceiving = false;
    this._transportAssociated = false; // the spec's [[FiredDirection]] includes receiving
    this._remoteStreams = []; // the receiver's associated remote streams
    this.__sender = new RTCRtpSender(INTERNAL, pc, description.sender);
    const track = new MediaStreamTrack(INTERNAL, { ...description.receiverTrack, remote: true });
    this.__receiver = new RTCRtpReceiver(INTERNAL, pc, description.receiver, track);
    this.__sender._transceiver = this;
    this.__receiver._transceiver = this;
    objects.set(this._handle, this);
  }
  get mid() { return this._mid; }
  get sender() { return this.__sender; }
  get receiver() { return this.__receiver; }
  get stopped() { return this._stopped; }
  get currentDirection() { return this._currentDirection; }
  get direction() { return this._direction; }
  set direction(value) {
    if (!DIRECTIONS.includes(value) && value !== "stopped") {
      throw new TypeError(`Failed to set the 'direction' property on 'RTCRtpTransceiver': The provided value '${value}' is not a valid enum value of type RTCRtpTransceiverDirection.`);
    }
    if (this._pc._closed) throw invalidState("The RTCPeerConnection's signalingState is 'closed'.");
    if (this._stopped) throw invalidState("The transceiver is stopped.");
    if (value === "stopped") throw new TypeError("The direction cannot be set to 'stopped'; call stop().");
    if (value === this._direction) return;
    this._direction = value;
    this._pc._chainPost("transceiver.setDirection", { transceiver: this._handle, direction: value });
    this._pc._negotiationNeeded();
  }

  stop() {
    if (this._pc._closed) throw invalidState("The RTCPeerConnection's signalingState is 'closed'.");
    if (this._stopped) return;
    this._stopped = true;
    this._direction = "stopped";
    this.__receiver._track._end(true);
    this._pc._chainPost("transceiver.stop", { transceiver: this._handle });
    this._pc._negotiationNeeded();
  }

  setCodecPreferences(codecs) {
    if (!Array.isArray(codecs)) throw new TypeError("setCodecPreferences needs a sequence of codecs");
    const known = capabilitiesFor(this._kind).codecs.map((c) => c.mimeType.toLowerCase());
    for (const codec of codecs) {
      if (!codec || !known.includes(String(codec.mimeType).toLowerCase())) {
        throw domError("InvalidModificationError", `Invalid codec preference: ${codec && codec.mimeType}`);
      }
    }
    // Accepted and validated; aiortc applies its own order (limitation ref-codec-preferences).
    log("verbose", "setCodecPreferences accepted without effect (limitation ref-codec-preferences)");
  }

  _apply(description) {
    this._mid = description.mid;
    if (description.stopped && !this._stopped) {
      // Stopped by the far end rejecting its m-section.
      this._stopped = true;
      this._direction = "stopped";
      this._currentDirection = "stopped";
    } else if (!this._stopped) {
      this._direction = description.direction;
      this._currentDirection = description.currentDirection;
      if (description.currentDirection === "sendrecv" || description.currentDirection === "sendonly") this._everSent = true;
    } else {
      this._currentDirection = "stopped";
    }
    this.__sender._apply(description);
    this.__receiver._apply(description);
  }

  _die() {
    this._stopped = true;
    this._currentDirection = "stopped";
    this._direction = "stopped";
    this.__receiver._track._end(true);
    objects.delete(this._handle);
  }
}
defineToStringTag(RTCRtpTransceiver, "RTCRtpTransceiver");
