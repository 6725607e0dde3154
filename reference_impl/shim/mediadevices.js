// mediadevices.js: getUserMedia and enumerateDevices answered by the local device.

import { channel } from "./channel.js";
import { INTERNAL, Native, defineToStringTag, installGlobal } from "./core.js";
import { domError, rejected } from "./errors.js";
import { integration, log } from "./integration.js";
import { MediaStream, MediaStreamTrack } from "./mediastream.js";

class MediaDeviceInfo {
  constructor(token, init) {
    if (token !== INTERNAL) throw new TypeError("Illegal constructor");
    this._deviceId = init.deviceId;
    this._kind = init.kind;
    this._label = init.label;
    this._groupId = init.groupId;
  }
  get deviceId() { return this._deviceId; }
  get kind() { return this._kind; }
  get label() { return this._label; }
  get groupId() { return this._groupId; }
  toJSON() { return { deviceId: this._deviceId, kind: this._kind, label: this._label, groupId: this._groupId }; }
}
defineToStringTag(MediaDeviceInfo, "MediaDeviceInfo");

class InputDeviceInfo extends MediaDeviceInfo {
  constructor(token, init) {
    super(token, init);
    // The host's, the same as a track from this microphone reports (latency included).
    this._capabilities = init.capabilities || { deviceId: init.deviceId, groupId: init.groupId };
  }
  getCapabilities() { return Native.JSON.parse(Native.JSON.stringify(this._capabilities)); }
}
defineToStringTag(InputDeviceInfo, "InputDeviceInfo");

function getUserMedia(constraints) {
  if (constraints === undefined || constraints === null || typeof constraints !== "object") {
    return rejected(new TypeError("Failed to execute 'getUserMedia' on 'MediaDevices': The provided value is not of type 'MediaStreamConstraints'."));
  }
  if (!constraints.audio && !constraints.video) {
    return rejected(new TypeError("Failed to execute 'getUserMedia' on 'MediaDevices': At least one of audio and video must be requested"));
  }
  if (!integration.connected) {
    log("warning", "getUserMedia while the RDP client is disconnected");
    return rejected(domError("NotReadableError", "call redirection is disconnected: the local device's microphones are unavailable"));
  }
  let wire;
  try {
    wire = Native.JSON.parse(Native.JSON.stringify({ audio: constraints.audio || false, video: constraints.video || false }));
  } catch (error) {
    return rejected(new TypeError(`getUserMedia: constraints are not serialisable: ${error}`));
  }
  log("verbose", `getUserMedia(${Native.JSON.stringify(wire)})`);
  return channel.request("getUserMedia", { constraints: wire }).then((result) => {
    const stream = new MediaStream();
    for (const init of result.tracks) stream._tracks.push(new MediaStreamTrack(INTERNAL, init));
    return stream;
  }, (error) => {
    log(error.name === "NotSupportedError" ? "warning" : "error", `getUserMedia failed: ${error.name}: ${error.message}`);
    throw error;
  });
}

function enumerateDevices() {
  return channel.request("enumerateDevices", {}).then((devices) => devices.map((d) => (
    new (d.kind === "audioinput" ? InputDeviceInfo : MediaDeviceInfo)(INTERNAL, d)
  )), (error) => {
    log("warning", `enumerateDevices failed: ${error.message}`);
    return [];
  });
}

export function installMediaDevices() {
  if (typeof MediaDevices === "undefined") return;
  const proto = MediaDevices.prototype;
  const method = (name, fn) => Object.defineProperty(proto, name, {
    configurable: true, enumerable: true, writable: true,
    value: { [name](...args) { return fn.apply(this, args); } }[name],
  });
  method("getUserMedia", getUserMedia);
  method("enumerateDevices", enumerateDevices);
  installGlobal("MediaDeviceInfo", MediaDeviceInfo);
  installGlobal("InputDeviceInfo", InputDeviceInfo);
}
