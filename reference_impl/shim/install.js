// install.js: replace the platform's interfaces with the proxies and open the channel.

import { channel } from "./channel.js";
import { config } from "./config.js";
import { installGlobal, objects } from "./core.js";
import { RTCDataChannel } from "./datachannel.js";
import { RTCDTMFSender } from "./dtmf.js";
import { MediaStreamTrackEvent, RTCDataChannelEvent, RTCTrackEvent } from "./events.js";
import { installIntegration, integration, log, setConnectionState } from "./integration.js";
import { installMediaDevices } from "./mediadevices.js";
import { installMediaElement } from "./mediaelement.js";
import { MediaStream, MediaStreamTrack } from "./mediastream.js";
import { RTCPeerConnection } from "./peerconnection.js";
import { RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver } from "./rtp.js";
import { RTCStatsReport } from "./stats.js";
import { RTCDtlsTransport, RTCIceTransport, RTCSctpTransport } from "./transport.js";
import { AnalyserNode, installWebAudio, nodeState } from "./webaudio.js";

channel.onEvent = (message) => {
  const target = message.target === null || message.target === undefined ? null : objects.get(message.target);
  switch (message.event) {
    case "connection":
      setConnectionState(message.state, message.connectionId);
      // Tell the host the page has seen it (listeners included): its fault is complete.
      channel.post("connection.ack", { state: message.state });
      return;
    case "log":
      log(message.level, `host: ${message.message}`);
      return;
    case "pc.state":
      if (target instanceof RTCPeerConnection) target._applyStates(message);
      return;
    case "pc.datachannel":
      if (target instanceof RTCPeerConnection) target._incomingChannel(message.channel);
      return;
    case "dc.state":
      if (target instanceof RTCDataChannel) target._onState(message);
      return;
    case "dc.message":
      if (target instanceof RTCDataChannel) target._onMessage(message);
      return;
    case "dc.buffered":
    case "dc.bufferedamountlow":
      if (target instanceof RTCDataChannel) target._onBuffered(message);
      return;
    case "audio.analyser":
      if (target instanceof AnalyserNode) target._onData(message);
      return;
    case "track.ended":
      if (target instanceof MediaStreamTrack) target._end(true);
      return;
    default:
      log("verbose", `ignored host event ${message.event}`);
  }
};

// The channel drives the integration state.
channel.onHello = (result) => {
  integration.clientVersion = result.clientVersion || integration.clientVersion;
  integration.hostVersion = result.hostVersion || integration.hostVersion;
  setConnectionState(result.connected ? "connected" : "disconnected", result.connectionId);
  log("verbose", `channel open: protocol ${result.protocol}, host ${result.version}`);
};
channel.onLost = () => {
  log("error", "the channel to the host closed: treating it as an RDP disconnect");
  setConnectionState("disconnected", "");
};

installIntegration();
installMediaDevices();
installMediaElement();
installWebAudio();
installGlobal("RTCPeerConnection", RTCPeerConnection);
if ("webkitRTCPeerConnection" in window) installGlobal("webkitRTCPeerConnection", RTCPeerConnection);
installGlobal("MediaStream", MediaStream);
installGlobal("MediaStreamTrack", MediaStreamTrack);
installGlobal("RTCRtpSender", RTCRtpSender);
installGlobal("RTCDTMFSender", RTCDTMFSender);
installGlobal("RTCRtpReceiver", RTCRtpReceiver);
installGlobal("RTCRtpTransceiver", RTCRtpTransceiver);
installGlobal("RTCDataChannel", RTCDataChannel);
installGlobal("RTCTrackEvent", RTCTrackEvent);
installGlobal("RTCDataChannelEvent", RTCDataChannelEvent);
installGlobal("MediaStreamTrackEvent", MediaStreamTrackEvent);
installGlobal("RTCStatsReport", RTCStatsReport);
installGlobal("RTCIceTransport", RTCIceTransport);
installGlobal("RTCDtlsTransport", RTCDtlsTransport);
installGlobal("RTCSctpTransport", RTCSctpTransport);

// A small, documented diagnostic hook (README: "The page-side hook"): tools may measure
// the channel and read versions; it exposes no way to reach the host's control plane.
Object.defineProperty(window, "__mmrReferenceShim", {
  value: Object.freeze({
    version: config.extensionVersion,
    protocol: config.protocol,
    ping: () => channel.request("ping", {}),
    channelState: () => channel.state,
    isRedirected: (object) => object instanceof RTCPeerConnection || object instanceof MediaStreamTrack ||
      object instanceof MediaStream || object instanceof RTCDataChannel ||
      Boolean(nodeState.get(object) && nodeState.get(object).mode === "redirected"),
  }),
  enumerable: false,
});

channel.connect();
log("verbose", `reference redirection shim ${config.extensionVersion} installed in ${location.href}`);
