// transport.js: RTCIceTransport, RTCDtlsTransport and RTCSctpTransport proxies. The host
// bundles a connection on one transport, so each connection has one of each, created
// with it and mirrored from the `transport` member of its snapshots and `pc.state` events.
// A state change fires `statechange` on the transport before the connection's own events.

import { INTERNAL, Native, defineToStringTag } from "./core.js";
import { defineEventHandlers, fire, fireSimple } from "./events.js";

// The candidates of a description's m-sections (for getRemoteCandidates).
function sdpCandidates(description) {
  if (!description) return [];
  const found = [];
  let mid = null;
  let index = -1;
  for (const line of description.sdp.split(/\r?\n/)) {
    if (line.startsWith("m=")) { index += 1; mid = null; }
    else if (line.startsWith("a=mid:")) mid = line.slice(6).trim();
    else if (line.startsWith("a=candidate:")) found.push({ candidate: line.slice(2), sdpMid: mid, sdpMLineIndex: index });
  }
  return found;
}

// a=ice-ufrag / a=ice-pwd of a description (its first m-section's: they are bundled).
function sdpIceParameters(description) {
  if (!description) return null;
  const ufrag = /a=ice-ufrag:([^\r\n]+)/.exec(description.sdp);
  const pwd = /a=ice-pwd:([^\r\n]+)/.exec(description.sdp);
  return ufrag && pwd ? { usernameFragment: ufrag[1], password: pwd[1] } : null;
}

export class RTCIceTransport extends Native.EventTarget {
  constructor(token, pc) {
    if (token !== INTERNAL) throw new TypeError("Illegal constructor");
    super();
    this._pc = pc;
    this._state = "new";
    this._gatheringState = "new";
    this._pair = null;
    this._pairKey = null;
    this._localCandidates = [];
  }
  // Chromium does not report the ICE role (null), nor a component.
  get role() { return null; }
  get state() { return this._state; }
  get gatheringState() { return this._gatheringState; }
  getLocalCandidates() { return this._localCandidates.map((init) => new Native.RTCIceCandidate(init)); }
  getRemoteCandidates() {
    return sdpCandidates(this._pc.remoteDescription).map((init) => new Native.RTCIceCandidate(init));
  }
  getLocalParameters() { return sdpIceParameters(this._pc.localDescription); }
  getRemoteParameters() { return sdpIceParameters(this._pc.remoteDescription); }
  getSelectedCandidatePair() {
    if (!this._pair) return null;
    return { local: new Native.RTCIceCandidate(this._pair.local), remote: new Native.RTCIceCandidate(this._pair.remote) };
  }

  _setGathering(state, candidates) {
    if (candidates) this._localCandidates = candidates;
    if (state === this._gatheringState) return;
    this._gatheringState = state;
    fireSimple(this, "gatheringstatechange");
  }

  _apply(state) {
    if (state.selectedCandidatePair !== undefined) {
      const pair = state.selectedCandidatePair;
      const key = pair ? `${pair.local.candidate}|${pair.remote.candidate}` : null;
      if (key !== this._pairKey) {
        this._pairKey = key;
        this._pair = pair;
        if (pair) fireSimple(this, "selectedcandidatepairchange");
      }
    }
    if (state.iceState && state.iceState !== this._state && this._state !== "closed") {
      this._state = state.iceState;
      fireSimple(this, "statechange");
    }
  }
}
defineEventHandlers(RTCIceTransport.prototype, ["statechange", "gatheringstatechange", "selectedcandidatepairchange"]);
defineToStringTag(RTCIceTransport, "RTCIceTransport");

export class RTCDtlsTransport extends Native.EventTarget {
  constructor(token, pc) {
    if (token !== INTERNAL) throw new TypeError("Illegal constructor");
    super();
    this._state = "new";
    this._certificates = [];
    this._iceTransport = new RTCIceTransport(INTERNAL, pc);
  }
  get iceTransport() { return this._iceTransport; }
  get state() { return this._state; }
  // The far end's certificates, DER in ArrayBuffers (fresh copies, as natively).
  getRemoteCertificates() {
    return this._certificates.map((der) => Native.Uint8Array.from(Native.atob(der), (c) => c.charCodeAt(0)).buffer);
  }

  _apply(state) {
    if (state.remoteCertificates && state.remoteCertificates.length) this._certificates = state.remoteCertificates;
    this._iceTransport._apply(state);
    if (state.dtlsState && state.dtlsState !== this._state && this._state !== "closed") {
      this._state = state.dtlsState;
      fireSimple(this, "statechange");
    }
  }

  // close(): every transport is closed at once, without events (as natively).
  _close() {
    this._state = "closed";
    this._iceTransport._state = "closed";
  }
}
defineEventHandlers(RTCDtlsTransport.prototype, ["statechange", "error"]);
defineToStringTag(RTCDtlsTransport, "RTCDtlsTransport");

// Chromium can send messages up to this size; the far end's a=max-message-size may lower it.
const SCTP_LOCAL_MAX_MESSAGE_SIZE = 262144;

export class RTCSctpTransport extends Native.EventTarget {
  constructor(token, pc, dtls) {
    if (token !== INTERNAL) throw new TypeError("Illegal constructor");
    super();
    this._pc = pc;
    this._transport = dtls;
    this._state = "connecting";
    this._maxChannels = null;
  }
  get transport() { return this._transport; }
  get state() { return this._state; }
  get maxChannels() { return this._maxChannels; }
  // RFC 8841: the far end's a=max-message-size (65536 when absent, 0 = no limit), capped
  // by what this end can send.
  get maxMessageSize() {
    const remote = this._pc.remoteDescription;
    const match = remote && /a=max-message-size:(\d+)/.exec(remote.sdp);
    const theirs = match ? Number(match[1]) : 65536;
    return theirs === 0 ? SCTP_LOCAL_MAX_MESSAGE_SIZE : Math.min(theirs, SCTP_LOCAL_MAX_MESSAGE_SIZE);
  }

  _apply(state) {
    if (state.maxChannels !== undefined && state.maxChannels !== null) this._maxChannels = state.maxChannels;
    if (state.sctpState && state.sctpState !== "new" && state.sctpState !== this._state && this._state !== "closed") {
      this._state = state.sctpState;
      fireSimple(this, "statechange");
    }
  }

  _close() { this._state = "closed"; }
}
defineEventHandlers(RTCSctpTransport.prototype, ["statechange"]);
defineToStringTag(RTCSctpTransport, "RTCSctpTransport");

// aiortc gathers every candidate inside setLocalDescription (ref-half-trickle-ice): the
// shim replays them as trickle events after the promise resolves, then ends with null.
export function replayCandidates(pc, candidates) {
  Native.setTimeout(() => {
    if (pc._closed) return;
    pc._dtls.iceTransport._setGathering("gathering");
    pc._iceGatheringState = "gathering";
    fireSimple(pc, "icegatheringstatechange");
    for (const init of candidates) {
      if (pc._closed) return;
      const candidate = new Native.RTCIceCandidate(init);
      fire(pc, new Native.RTCPeerConnectionIceEvent("icecandidate", { candidate }));
    }
    if (pc._closed) return;
    pc._dtls.iceTransport._setGathering("complete", candidates);
    pc._iceGatheringState = "complete";
    fireSimple(pc, "icegatheringstatechange");
    fire(pc, new Native.RTCPeerConnectionIceEvent("icecandidate", { candidate: null }));
  }, 0);
}
