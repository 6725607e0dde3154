// The ways the softphone plays the far end's audio (`?render=`), each on the chosen speaker:
// start(stream, sinkId, live) plays it and resolves to a stop() that releases what it made;
// live() says whether the call is still on (a late start must not touch an ended stream).

const media = () => document.getElementById("media");

async function element(tag, stream, sinkId, attach) {
  const player = document.createElement(tag);
  if (attach) media().append(player);
  player.srcObject = stream;
  if (sinkId) await player.setSinkId(sinkId);
  await player.play();
  return () => {
    player.pause();
    player.srcObject = null;
    player.remove();
  };
}

export const RENDER_MODES = {
  // What most SIP and WebRTC libraries' examples do: an Audio never added to the document.
  detached: (stream, sinkId) => element("audio", stream, sinkId, false),
  document: (stream, sinkId) => element("audio", stream, sinkId, true),
  video: (stream, sinkId) => element("video", stream, sinkId, true),
  // The element is made 1 s after ontrack (an app that builds its call view late).
  late: (stream, sinkId, live) => new Promise((resolve, reject) => {
    setTimeout(() => {
      if (!live()) resolve(() => {});
      else element("audio", stream, sinkId, true).then(resolve, reject);
    }, 1000);
  }),
  // srcObject, setSinkId and play() in one task, nothing awaited in between.
  "one-task": async (stream, sinkId) => {
    const player = new Audio();
    player.srcObject = stream;
    await Promise.all([sinkId ? player.setSinkId(sinkId) : null, player.play()]);
    return () => {
      player.pause();
      player.srcObject = null;
    };
  },
  // Web Audio to the context's destination on the chosen speaker. Chromium renders remote
  // WebRTC audio in a graph only while a media element plays it: a muted one.
  webaudio: async (stream, sinkId) => {
    const holder = new Audio();
    holder.muted = true;
    holder.srcObject = stream;
    await holder.play();
    const context = new AudioContext();
    if (sinkId) await context.setSinkId(sinkId);
    context.createMediaStreamSource(stream).connect(context.destination);
    await context.resume();
    return () => {
      context.close().catch(() => {});
      holder.pause();
      holder.srcObject = null;
    };
  },
};
