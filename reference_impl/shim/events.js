// events.js: `on<event>` attributes and event dispatch for the proxy classes.

import { Native, defineToStringTag } from "./core.js";
import { log } from "./integration.js";

const handlerSlots = new WeakMap();

// Define `on<name>` accessors on a prototype, with native semantics: one listener per
// attribute, registered when first set, keeping its place when replaced, removed on null.
export function defineEventHandlers(proto, names) {
  for (const name of names) {
    Object.defineProperty(proto, `on${name}`, {
      configurable: true,
      enumerable: true,
      get() {
        const slots = handlerSlots.get(this);
        const slot = slots && slots[name];
        return slot ? slot.handler : null;
      },
      set(value) {
        let slots = handlerSlots.get(this);
        if (!slots) { slots = Object.create(null); handlerSlots.set(this, slots); }
        let slot = slots[name];
        const handler = typeof value === "function" || (value && typeof value === "object") ? value : null;
        if (handler === null) {
          if (slot) { this.removeEventListener(name, slot.listener); delete slots[name]; }
          return;
        }
        if (!slot) {
          slot = { handler, listener: null };
          slot.listener = function (event) {
            const current = slot.handler;
            return typeof current === "function" ? current.call(this, event) : undefined;
          };
          slots[name] = slot;
          this.addEventListener(name, slot.listener);
        }
        slot.handler = handler;
      },
    });
  }
}

// Dispatch without letting a throwing page listener break the shim's own bookkeeping
// (the platform reports listener exceptions itself).
export function fire(target, event) {
  try {
    Native.dispatchEvent.call(target, event);
  } catch (error) {
    log("error", `dispatching ${event.type} failed: ${error}`);
  }
}

export function fireSimple(target, type) {
  fire(target, new Native.Event(type));
}

// RTCTrackEvent, RTCDataChannelEvent and MediaStreamTrackEvent: the native constructors
// insist on native members, so the shim ships its own with the same shape.
export class RTCTrackEvent extends Native.Event {
  constructor(type, init) {
    super(type, init);
    if (!init || !init.receiver || !init.track || !init.transceiver) {
      throw new TypeError("RTCTrackEvent needs receiver, track and transceiver");
    }
    this._receiver = init.receiver;
    this._track = init.track;
    this._streams = Object.freeze([...(init.streams || [])]);
    this._transceiver = init.transceiver;
  }
  get receiver() { return this._receiver; }
  get track() { return this._track; }
  get streams() { return this._streams; }
  get transceiver() { return this._transceiver; }
}
defineToStringTag(RTCTrackEvent, "RTCTrackEvent");

export class RTCDataChannelEvent extends Native.Event {
  constructor(type, init) {
    super(type, init);
    if (!init || !init.channel) throw new TypeError("RTCDataChannelEvent needs a channel");
    this._channel = init.channel;
  }
  get channel() { return this._channel; }
}
defineToStringTag(RTCDataChannelEvent, "RTCDataChannelEvent");

export class MediaStreamTrackEvent extends Native.Event {
  constructor(type, init) {
    super(type, init);
    if (!init || !init.track) throw new TypeError("MediaStreamTrackEvent needs a track");
    this._track = init.track;
  }
  get track() { return this._track; }
}
defineToStringTag(MediaStreamTrackEvent, "MediaStreamTrackEvent");
