// remotemedia.js: what a remote description does to the page's remote streams and
// receivers: the spec's "set the associated remote streams" and the `track` events.

import { RTCTrackEvent, fire } from "./events.js";
import { MediaStream } from "./mediastream.js";

function remoteStream(pc, id) {
  let stream = pc._remoteStreams.get(id);
  if (!stream) {
    stream = MediaStream._withId(id);
    pc._remoteStreams.set(id, stream);
  }
  return stream;
}

// A remote description set which transceivers receive, on which remote streams: the
// spec's "set the associated remote streams" (removetrack/addtrack on streams that
// already existed) and then a track event for each receiver that starts receiving or
// joins a stream, as Chromium does.
export function applyRemoteMedia(pc, remoteMedia) {
  const events = [];
  for (const media of remoteMedia) {
    const transceiver = pc._transceivers.find((t) => t._handle === media.transceiver);
    if (!transceiver || transceiver._stopped) continue;
    const track = transceiver.receiver.track;
    const before = transceiver._remoteStreams;
    const after = media.streams.map((id) => pc._remoteStreams.get(id) || null);
    for (const stream of before) {
      if (!media.streams.includes(stream.id)) stream._remoteRemove(track);
    }
    let joined = false;
    const streams = media.streams.map((id, index) => {
      const stream = after[index] || remoteStream(pc, id);
      if (!before.includes(stream)) {
        joined = true;
        if (after[index]) stream._remoteAdd(track);
        else if (!stream._tracks.includes(track)) stream._tracks.push(track);
      }
      return stream;
    });
    transceiver._remoteStreams = streams;
    if (media.receiving && (!transceiver._firedReceiving || joined)) events.push({ transceiver, track, streams });
    transceiver._firedReceiving = media.receiving;
  }
  for (const { transceiver, track, streams } of events) {
    fire(pc, new RTCTrackEvent("track", { receiver: transceiver.receiver, track, streams, transceiver }));
  }
}
