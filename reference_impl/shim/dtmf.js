// dtmf.js: RTCDTMFSender, an audio sender's `dtmf`. The tone buffer and its timing live
// here, as in Blink (which asks libwebrtc to play one tone at a time); each tone is played
// by the host, which sends it as RFC 4733 telephone-event packets on the sender's stream
// (reference_impl/rfc4733.py) with the payload type negotiated beside the send codec.

import { channel } from "./channel.js";
import { INTERNAL, Native, defineToStringTag } from "./core.js";
import { domError } from "./errors.js";
import { defineEventHandlers, fire } from "./events.js";

// Blink's and libwebrtc's bounds (milliseconds), and the pause a "," stands for.
const MIN_DURATION = 40;
const MAX_DURATION = 6000;
const MIN_GAP = 30;
const MAX_GAP = 6000;
const COMMA_DELAY = 2000;
const VALID_TONES = /^[0-9A-D#*,]*$/i;
const TELEPHONE_EVENT = "audio/telephone-event";

function clamp(value, low, high) {
  return Math.min(Math.max(value, low), high);
}

// A WebIDL `long` from an argument (NaN and infinities become 0, others wrap to 32 bits).
function toLong(value) {
  const number = Number(value);
  return Number.isFinite(number) ? Math.trunc(number) | 0 : 0;
}

export class RTCDTMFSender extends Native.EventTarget {
  constructor(token, sender) {
    if (token !== INTERNAL) throw new TypeError("Illegal constructor");
    super();
    this._sender = sender;
    this._buffer = "";
    this._duration = 100;
    this._gap = 70;
    this._scheduled = false;
  }

  get toneBuffer() { return this._buffer; }

  // As libwebrtc answers it: a description that sends audio on this sender was applied
  // and telephone-event was negotiated with it.
  get canInsertDTMF() {
    const transceiver = this._sender._transceiver;
    if (!transceiver || this._sender._pc._closed || transceiver._stopped) return false;
    if (transceiver._currentDirection !== "sendrecv" && transceiver._currentDirection !== "sendonly") return false;
    return this._sender._codecs.some((codec) => String(codec.mimeType).toLowerCase() === TELEPHONE_EVENT);
  }

  insertDTMF(tones, duration = 100, interToneGap = 70) {
    if (arguments.length === 0) {
      throw new TypeError("Failed to execute 'insertDTMF' on 'RTCDTMFSender': 1 argument required, but only 0 present.");
    }
    if (!this.canInsertDTMF) {
      throw domError("InvalidStateError", "Failed to execute 'insertDTMF' on 'RTCDTMFSender': The 'canInsertDTMF' attribute is false: this sender cannot send DTMF.");
    }
    const text = String(tones);
    if (!VALID_TONES.test(text)) {
      throw domError("InvalidCharacterError", "Failed to execute 'insertDTMF' on 'RTCDTMFSender': Illegal characters in InsertDTMF tone argument");
    }
    this._duration = clamp(toLong(duration), MIN_DURATION, MAX_DURATION);
    this._gap = clamp(toLong(interToneGap), MIN_GAP, MAX_GAP);
    this._buffer = text.toUpperCase();
    if (this._buffer === "" || this._scheduled) return;
    this._scheduled = true;
    Native.setTimeout(() => this._playout(), 0);
  }

  // Blink's playout task: the next tone leaves the buffer, plays, and its event fires; the
  // task runs again once the tone and its gap (a "," : two seconds) have passed. An empty
  // buffer ends with an event whose tone is "".
  _playout() {
    this._scheduled = false;
    if (!this.canInsertDTMF) return;
    if (this._buffer === "") {
      fire(this, new Native.RTCDTMFToneChangeEvent("tonechange", { tone: "" }));
      return;
    }
    const tone = this._buffer[0];
    this._buffer = this._buffer.slice(1);
    if (tone !== ",") {
      const transceiver = this._sender._transceiver;
      channel.post("sender.playTone", {
        pc: this._sender._pc._handle, transceiver: transceiver._handle, tone, duration: this._duration,
      });
    }
    this._scheduled = true;
    // libwebrtc starts the tone 1 ms after it is asked to, and reports its end after the gap.
    Native.setTimeout(() => this._playout(), 1 + (tone === "," ? COMMA_DELAY : this._duration + this._gap));
    fire(this, new Native.RTCDTMFToneChangeEvent("tonechange", { tone }));
  }
}
defineEventHandlers(RTCDTMFSender.prototype, ["tonechange"]);
defineToStringTag(RTCDTMFSender, "RTCDTMFSender");
