// datachannel.js: RTCDataChannel proxy. Text goes as JSON strings, binary as base64.

import { channel } from "./channel.js";
import { INTERNAL, Native, defineToStringTag, living, objects } from "./core.js";
import { invalidState } from "./errors.js";
import { defineEventHandlers, fire, fireSimple } from "./events.js";
import { log } from "./integration.js";

function toBase64(bytes) {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// createDataChannel's arguments as Chromium checks them: the label and the channel's
// options for the host.
export function dataChannelInit(label, init) {
  const options = init || {};
  const text = String(label);
  if (new Native.TextEncoder().encode(text).length > 65535) throw new TypeError("The label is longer than 65535 bytes.");
  if (options.maxPacketLifeTime !== undefined && options.maxPacketLifeTime !== null &&
      options.maxRetransmits !== undefined && options.maxRetransmits !== null) {
    throw new TypeError("Failed to execute 'createDataChannel' on 'RTCPeerConnection': RTCDataChannelInit can not have both maxPacketLifeTime and maxRetransmits set.");
  }
  const negotiated = Boolean(options.negotiated);
  const id = options.id === undefined || options.id === null ? null : Number(options.id);
  if (negotiated && id === null) throw new TypeError("Failed to execute 'createDataChannel' on 'RTCPeerConnection': RTCDataChannelInit.negotiated is true, but no id was given.");
  if (id !== null && (id < 0 || id > 65534 || !Number.isInteger(id))) throw new TypeError("RTCDataChannelInit.id is out of range.");
  const wire = {
    ordered: options.ordered !== false,
    maxPacketLifeTime: options.maxPacketLifeTime ?? null,
    maxRetransmits: options.maxRetransmits ?? null,
    protocol: options.protocol === undefined ? "" : String(options.protocol),
    negotiated,
    id: negotiated ? id : null,
  };
  return { text, wire };
}

// The stream id Chromium gives a new channel once the DTLS role is known (RFC 8832: the
// DTLS client uses even ids, the server odd ones): the lowest one no open channel uses.
export function freeStreamId(channels, role) {
  const used = new Set(channels.filter((dc) => dc._id !== null && dc._readyState !== "closed").map((dc) => dc._id));
  let id = role === "server" ? 1 : 0;
  while (used.has(id)) id += 2;
  return id;
}

export class RTCDataChannel extends Native.EventTarget {
  constructor(token, pc, init) {
    if (token !== INTERNAL) throw new TypeError("Illegal constructor");
    super();
    this._pc = pc;
    this._handle = init.channel;
    this._label = init.label || "";
    this._ordered = init.ordered !== false;
    this._maxPacketLifeTime = init.maxPacketLifeTime ?? null;
    this._maxRetransmits = init.maxRetransmits ?? null;
    this._protocol = init.protocol || "";
    this._negotiated = Boolean(init.negotiated);
    this._id = init.id ?? null;
    this._readyState = init.readyState || "connecting";
    this._hostBuffered = 0;
    this._unacked = 0;
    this._threshold = 0;
    this._binaryType = "arraybuffer"; // Chromium's default
    this._sendChain = Promise.resolve();
    objects.set(this._handle, this);
    living.add(this);
  }

  get label() { return this._label; }
  get ordered() { return this._ordered; }
  get maxPacketLifeTime() { return this._maxPacketLifeTime; }
  get maxRetransmits() { return this._maxRetransmits; }
  get protocol() { return this._protocol; }
  get negotiated() { return this._negotiated; }
  get id() { return this._id; }
  get readyState() { return this._readyState; }
  get bufferedAmount() { return this._unacked + this._hostBuffered; }
  get bufferedAmountLowThreshold() { return this._threshold; }
  set bufferedAmountLowThreshold(value) {
    const n = Number(value) >>> 0;
    this._threshold = n;
    if (this._readyState !== "closed") channel.post("dc.setBufferedAmountLowThreshold", { dc: this._handle, value: n });
  }
  get binaryType() { return this._binaryType; }
  set binaryType(value) { if (value === "blob" || value === "arraybuffer") this._binaryType = value; }
  get reliable() { return this._maxPacketLifeTime === null && this._maxRetransmits === null; }

  send(data) {
    if (this._readyState !== "open") {
      throw invalidState(`Failed to execute 'send' on 'RTCDataChannel': RTCDataChannel.readyState is not 'open'`);
    }
    let payload;
    let size;
    if (typeof data === "string") {
      payload = Promise.resolve({ data });
      size = new Native.TextEncoder().encode(data).length;
    } else if (data instanceof Native.ArrayBuffer) {
      payload = Promise.resolve({ binary: toBase64(new Uint8Array(data)) });
      size = data.byteLength;
    } else if (ArrayBuffer.isView(data)) {
      payload = Promise.resolve({ binary: toBase64(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) });
      size = data.byteLength;
    } else if (data instanceof Native.Blob) {
      payload = data.arrayBuffer().then((buffer) => ({ binary: toBase64(new Uint8Array(buffer)) }));
      size = data.size;
    } else {
      payload = Promise.resolve({ data: String(data) });
      size = new Native.TextEncoder().encode(String(data)).length;
    }
    // Chromium refuses what the far end cannot take (RFC 8841 a=max-message-size).
    const sctp = this._pc.sctp;
    if (sctp && size > sctp.maxMessageSize) {
      throw new TypeError("Failed to execute 'send' on 'RTCDataChannel': Trying to send message larger than max-message-size");
    }
    this._unacked += size;
    // Requests leave in call order (a Blob has to be read first), without waiting for the
    // previous reply: the host runs one channel's sends in arrival order anyway.
    const issued = this._sendChain.then(() => payload).then((fields) => (
      this._readyState === "closed" ? { reply: null } : { reply: channel.request("dc.send", { dc: this._handle, ...fields }) }
    ));
    this._sendChain = issued.then(() => undefined, () => undefined);
    issued.then(({ reply }) => reply).then((result) => {
      if (!result) return;
      // The host now holds these bytes: move them from "unacknowledged" to the host's count.
      this._updateBuffered(() => {
        this._unacked -= size;
        size = 0;
        this._hostBuffered = result.bufferedAmount || 0;
      });
    }).catch((error) => {
      log("error", `RTCDataChannel.send failed: ${error.name}: ${error.message}`);
    }).finally(() => {
      if (size) this._updateBuffered(() => { this._unacked -= size; });
    });
  }

  // bufferedAmount is what the page queued and the host has not sent yet. It only goes
  // down here, and `bufferedamountlow` fires when it crosses the threshold, as natively:
  // the shim judges the crossing on the total, so the event never comes while bytes the
  // page queued are still on their way to the host.
  _updateBuffered(change) {
    const before = this.bufferedAmount;
    change();
    const after = this.bufferedAmount;
    if (before > this._threshold && after <= this._threshold && this._readyState === "open") {
      fireSimple(this, "bufferedamountlow");
    }
  }

  close() {
    if (this._readyState === "closing" || this._readyState === "closed") return;
    this._readyState = "closing";
    channel.post("dc.close", { dc: this._handle });
  }

  // Host events ---------------------------------------------------------------------
  _onState(message) {
    if (message.id !== undefined && message.id !== null) this._id = message.id;
    if (message.bufferedAmount !== undefined) this._hostBuffered = message.bufferedAmount;
    const state = message.readyState;
    if (state === this._readyState) return;
    if (state === "open" && this._readyState === "connecting") {
      this._readyState = "open";
      fireSimple(this, "open");
    } else if (state === "closing" && this._readyState !== "closed") {
      this._readyState = "closing";
      fireSimple(this, "closing");
    } else if (state === "closed") {
      this._closeWith(message.error || null);
    }
  }

  // Closed by the far end or the transport, not by close(): natively the channel goes
  // through `closing` first (aiortc reports only the end, so the shim adds it); when the
  // association was aborted (`error`: the far end closed its peer connection) Chromium
  // fires an RTCErrorEvent between the two.
  _closeWith(error) {
    if (this._readyState === "closed") return;
    if (this._readyState === "open" || this._readyState === "connecting") {
      this._readyState = "closing";
      fireSimple(this, "closing");
    }
    if (error) {
      const rtcError = new Native.RTCError({ errorDetail: error.errorDetail, sctpCauseCode: error.sctpCauseCode }, error.message);
      fire(this, new Native.RTCErrorEvent("error", { error: rtcError }));
    }
    this._close(true);
  }

  _onMessage(message) {
    if (this._readyState !== "open") return;
    let data;
    if (message.binary !== undefined) {
      const bytes = fromBase64(message.binary);
      data = this._binaryType === "blob" ? new Native.Blob([bytes]) : bytes.buffer;
    } else {
      data = message.data;
    }
    fire(this, new Native.MessageEvent("message", { data }));
  }

  // The host's send buffer drained (`dc.buffered`, `dc.bufferedamountlow`).
  _onBuffered(message) {
    this._updateBuffered(() => { this._hostBuffered = message.bufferedAmount || 0; });
  }

  _close(withEvent) {
    if (this._readyState === "closed") return;
    this._readyState = "closed";
    living.delete(this);
    objects.delete(this._handle);
    if (withEvent) fireSimple(this, "close");
  }

  _die() {
    this._close(true);
  }
}
defineEventHandlers(RTCDataChannel.prototype, ["open", "message", "bufferedamountlow", "error", "closing", "close"]);
defineToStringTag(RTCDataChannel, "RTCDataChannel");
