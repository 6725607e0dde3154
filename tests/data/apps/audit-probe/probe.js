// Probes for the certification audit: each function uses APIs from a page script (so the
// audit attributes the calls to this file) and returns when the calls are done.
window.probes = {
  async syncRead() {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const settings = stream.getAudioTracks()[0].getSettings(); // same task: flagged
    await new Promise((resolve) => setTimeout(resolve, 20));
    stream.getAudioTracks()[0].getSettings(); // a later task: fine
    stream.getTracks().forEach((t) => t.stop());
    return Boolean(settings);
  },
  async senderParameters() {
    const pc = new RTCPeerConnection();
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const sender = pc.addTrack(stream.getAudioTracks()[0], stream);
    sender.getParameters(); // same task as addTrack: flagged
    stream.getTracks().forEach((t) => t.stop());
    pc.close();
  },
  webAudio() {
    const ctx = new AudioContext();
    const dest = ctx.createMediaStreamDestination();
    const osc = new OscillatorNode(ctx); // local audio: never flagged
    osc.connect(ctx.createGain()).connect(dest);
    ctx.close();
  },
  async webAudioOnMic() {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const ctx = new AudioContext();
    const source = ctx.createMediaStreamSource(stream);
    const filter = new BiquadFilterNode(ctx);
    source.connect(ctx.createAnalyser()); // supported
    source.connect(filter); // flagged: a BiquadFilterNode on the microphone
    stream.getTracks().forEach((t) => t.stop());
    await ctx.close();
  },
  async sinkBeforeSource() {
    const audio = new Audio();
    const outputs = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "audiooutput");
    await audio.setSinkId(outputs[outputs.length - 1].deviceId); // no source yet
    audio.src = "data:audio/wav;base64,UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA="; // now local
  },
  async deadPeer() {
    const pc = new RTCPeerConnection();
    pc.close();
    try { await pc.createOffer(); } catch (_) { /* InvalidStateError natively */ }
  },
  video() {
    return navigator.mediaDevices.getUserMedia({ video: true }).then((s) => s.getTracks().forEach((t) => t.stop()));
  },
  encoded() {
    const pc = new RTCPeerConnection();
    const transceiver = pc.addTransceiver("audio");
    try { transceiver.sender.createEncodedStreams(); } catch (_) { /* needs encodedInsertableStreams */ }
    pc.close();
  },
  async leaveCall() {
    // Left open on purpose: a hang-up that releases nothing.
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    window.leftCall = new RTCPeerConnection();
    window.leftCall.addTrack(stream.getAudioTracks()[0], stream);
    window.leftCopy = stream.getAudioTracks()[0].clone();
  },
  listen() {
    navigator.mediaDevices.addEventListener("devicechange", () => {});
    navigator.mediaDevices.ondevicechange = () => {};
  },
  async contextSink() {
    const outputs = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "audiooutput");
    const sink = outputs[outputs.length - 1].deviceId;
    // Call media to the context's destination, on the chosen speaker: supported.
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const call = new AudioContext();
    call.createMediaStreamSource(stream).connect(call.destination);
    await call.setSinkId(sink);
    // Local audio on a chosen speaker: local playback.
    const ring = new AudioContext();
    await ring.setSinkId(sink);
    new OscillatorNode(ring).connect(ring.destination);
    stream.getTracks().forEach((t) => t.stop());
    await Promise.all([call.close(), ring.close()]);
  },
};
