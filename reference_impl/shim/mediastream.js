// mediastream.js: MediaStreamTrack and MediaStream proxies. A track stands for a HostTrack
// (a virtual microphone capture or a received remote track); a stream is a page-side
// collection of tracks with an id, as natively.

import { channel } from "./channel.js";
import { INTERNAL, Native, defineToStringTag, living, newHandle, objects, uuid } from "./core.js";
import { MediaStreamTrackEvent, defineEventHandlers, fire, fireSimple } from "./events.js";
import { log } from "./integration.js";

// What Chromium reports for a received audio track: its source is named by the track id and
// has no processing to offer.
function remoteAudioSettings(id) {
  return { deviceId: id, sampleSize: 16 };
}
function remoteAudioCapabilities(id) {
  return {
    autoGainControl: [false], deviceId: id, echoCancellation: [false], noiseSuppression: [false],
    sampleSize: { max: 16, min: 16 }, voiceIsolation: [false],
  };
}

export class MediaStreamTrack extends Native.EventTarget {
  constructor(token, init) {
    if (token !== INTERNAL) throw new TypeError("Illegal constructor");
    super();
    this._handle = init.track;
    this._id = init.id || uuid();
    this._kind = init.kind || "audio";
    this._label = init.label || "";
    this._enabled = init.enabled !== false;
    this._muted = false;
    this._readyState = init.readyState === "ended" ? "ended" : "live";
    this._contentHint = "";
    const remoteAudio = Boolean(init.remote) && this._kind === "audio";
    this._settings = init.settings || (remoteAudio ? remoteAudioSettings(this._id) : {});
    this._capabilities = init.capabilities || (remoteAudio ? remoteAudioCapabilities(this._id) : {});
    this._constraints = init.constraints || {};
    this._remote = Boolean(init.remote);
    this._endWatchers = new Set(); // shim-internal callbacks run when the track ends
    objects.set(this._handle, this);
    if (this._readyState === "live") living.add(this);
  }

  get id() { return this._id; }
  get kind() { return this._kind; }
  get label() { return this._label; }
  get muted() { return this._muted; }
  get readyState() { return this._readyState; }
  get contentHint() { return this._contentHint; }
  set contentHint(value) { if (["", "speech", "speaking", "music"].includes(value)) this._contentHint = value; }
  get enabled() { return this._enabled; }
  set enabled(value) {
    const enabled = Boolean(value);
    if (enabled === this._enabled) return;
    this._enabled = enabled;
    if (this._readyState === "live") channel.post("track.setEnabled", { track: this._handle, enabled });
  }

  stop() {
    if (this._readyState === "ended") return;
    // Natively stop() ends the track without an `ended` event.
    this._end(false);
    channel.post("track.stop", { track: this._handle });
  }

  clone() {
    const handle = newHandle();
    const copy = new MediaStreamTrack(INTERNAL, {
      track: handle, kind: this._kind, label: this._label, enabled: this._enabled,
      readyState: this._readyState, settings: { ...this._settings },
      capabilities: this._capabilities, constraints: this._constraints, remote: this._remote,
    });
    if (this._readyState === "live") channel.post("track.clone", { track: this._handle, clone: handle });
    return copy;
  }

  getSettings() { return { ...this._settings }; }
  getCapabilities() { return JSON.parse(JSON.stringify(this._capabilities)); }
  getConstraints() { return JSON.parse(JSON.stringify(this._constraints)); }

  applyConstraints(constraints = {}) {
    if (this._readyState === "ended") return Promise.resolve();
    return channel.request("track.applyConstraints", { track: this._handle, constraints }).then((result) => {
      if (result && result.settings) this._settings = { ...this._settings, ...result.settings };
      this._constraints = constraints;
    });
  }

  // The track ended: by stop() (no event), on its own or by a disconnect (event).
  _end(withEvent) {
    if (this._readyState === "ended") return;
    this._readyState = "ended";
    living.delete(this);
    objects.delete(this._handle);
    if (withEvent) fireSimple(this, "ended");
    for (const watcher of [...this._endWatchers]) watcher(this);
    this._endWatchers.clear();
  }

  _onEnd(watcher) { if (this._readyState === "live") this._endWatchers.add(watcher); }
  _offEnd(watcher) { this._endWatchers.delete(watcher); }

  _die() {
    this._end(true);
  }

  toJSON() { return { id: this._id, kind: this._kind, label: this._label, readyState: this._readyState }; }
}
defineEventHandlers(MediaStreamTrack.prototype, ["ended", "mute", "unmute"]);
defineToStringTag(MediaStreamTrack, "MediaStreamTrack");

export function isShimTrack(value) {
  return value instanceof MediaStreamTrack;
}

// Why a native track is refused: no video is ever redirected (a canvas's or a camera's track
// is video), any other native track is a native media object.
export function nativeTrackLimitation(track) {
  return track && track.kind === "video" ? "ref-video-capture" : "ref-native-media-objects";
}

export class MediaStream extends Native.EventTarget {
  constructor(init) {
    super();
    this._id = uuid();
    this._tracks = [];
    if (init !== undefined) {
      const source = init instanceof MediaStream ? init.getTracks() : init;
      if (!source || typeof source[Symbol.iterator] !== "function") {
        throw new TypeError("Failed to construct 'MediaStream': the argument is neither a MediaStream nor a sequence of tracks");
      }
      for (const track of source) {
        if (!isShimTrack(track)) {
          const limitation = nativeTrackLimitation(track);
          log("warning", `MediaStream: a non-redirected track cannot join a redirected stream (limitation ${limitation})`);
          throw new TypeError(`Failed to construct 'MediaStream': not a MediaStreamTrack (only redirected tracks are accepted; limitation ${limitation})`);
        }
        if (!this._tracks.includes(track)) this._tracks.push(track);
      }
    }
  }

  static _withId(id) {
    const stream = new MediaStream();
    stream._id = id;
    return stream;
  }

  get id() { return this._id; }
  get active() { return this._tracks.some((t) => t.readyState === "live"); }
  getTracks() { return [...this._tracks]; }
  getAudioTracks() { return this._tracks.filter((t) => t.kind === "audio"); }
  getVideoTracks() { return this._tracks.filter((t) => t.kind === "video"); }
  getTrackById(id) { return this._tracks.find((t) => t.id === id) || null; }

  addTrack(track) {
    if (!isShimTrack(track)) throw new TypeError("Failed to execute 'addTrack' on 'MediaStream': parameter 1 is not of type 'MediaStreamTrack'.");
    if (!this._tracks.includes(track)) this._tracks.push(track);
  }

  removeTrack(track) {
    if (!isShimTrack(track)) throw new TypeError("Failed to execute 'removeTrack' on 'MediaStream': parameter 1 is not of type 'MediaStreamTrack'.");
    const index = this._tracks.indexOf(track);
    if (index >= 0) this._tracks.splice(index, 1);
  }

  clone() {
    const copy = new MediaStream();
    copy._tracks = this._tracks.map((t) => t.clone());
    return copy;
  }

  // A remote track joined or left (fires addtrack/removetrack as natively).
  _remoteAdd(track) {
    if (this._tracks.includes(track)) return;
    this._tracks.push(track);
    fire(this, new MediaStreamTrackEvent("addtrack", { track }));
  }

  _remoteRemove(track) {
    const index = this._tracks.indexOf(track);
    if (index < 0) return;
    this._tracks.splice(index, 1);
    fire(this, new MediaStreamTrackEvent("removetrack", { track }));
  }
}
defineEventHandlers(MediaStream.prototype, ["addtrack", "removetrack"]);
defineToStringTag(MediaStream, "MediaStream");
