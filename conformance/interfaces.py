"""The 13 interfaces call redirection supports, and the members a scenario may cover.

The list of interfaces is the vendor's ("Supported API interfaces and instance methods");
the members are the spec's (MDN's pages for each interface), plus the redirection
integration surface on ``MediaDevices`` (detection, connection-state event, diagnostics,
logging). A scenario's ``covers`` entries are checked against this registry so that a typo
never silently creates a new row in the compatibility matrix.
"""

from __future__ import annotations

__all__ = ["SUPPORTED_INTERFACES", "is_known_member", "known_names"]

SUPPORTED_INTERFACES: dict[str, tuple[str, ...]] = {
    "AnalyserNode": (
        "fftSize", "frequencyBinCount", "minDecibels", "maxDecibels", "smoothingTimeConstant",
        "getByteFrequencyData", "getFloatFrequencyData", "getByteTimeDomainData",
        "getFloatTimeDomainData", "connect", "disconnect",
    ),
    "AudioContext": (
        "state", "sampleRate", "currentTime", "baseLatency", "outputLatency", "destination",
        "resume", "suspend", "close", "onstatechange", "createAnalyser",
        "createMediaStreamSource", "createMediaStreamDestination", "createGain",
        "createOscillator", "createBiquadFilter", "createDelay", "createDynamicsCompressor",
        "createConvolver", "createPanner", "createStereoPanner", "createChannelSplitter",
        "createChannelMerger", "createScriptProcessor", "createMediaElementSource",
        "createBuffer", "createBufferSource", "decodeAudioData", "audioWorklet", "setSinkId",
        "sinkId",
    ),
    "HTMLAudioElement": (
        "srcObject", "src", "play", "pause", "paused", "muted", "volume", "sinkId",
        "setSinkId", "autoplay", "currentTime", "onplaying", "onended",
        # Media element state and events, as pages wait for them before showing a call.
        "readyState", "networkState", "duration", "ended", "onloadstart", "onloadedmetadata",
        "onloadeddata", "oncanplay", "oncanplaythrough", "onplay", "onpause", "ontimeupdate",
        "onemptied", "onabort",
    ),
    "MediaDevices": (
        "enumerateDevices", "getUserMedia", "getSupportedConstraints", "ondevicechange",
        # Call-redirection integration surface (the vendor's developer page).
        "isCallRedirectionEnabled", "rdpClientConnectionStateChanged", "mmrClientVersion",
        "mmrHostVersion", "mmrExtensionVersion", "activityId", "connectionId",
        "mmrConsoleLoggingEnabled", "mmrExtensionLog",
    ),
    "MediaStream": (
        "id", "active", "getTracks", "getAudioTracks", "getVideoTracks", "getTrackById",
        "addTrack", "removeTrack", "clone", "onaddtrack", "onremovetrack",
    ),
    "MediaStreamAudioDestinationNode": ("stream", "connect", "disconnect"),
    "MediaStreamAudioSourceNode": ("mediaStream", "connect", "disconnect"),
    "MediaStreamTrack": (
        "id", "kind", "label", "enabled", "muted", "readyState", "contentHint", "stop",
        "clone", "getSettings", "getCapabilities", "getConstraints", "applyConstraints",
        "onended", "onmute", "onunmute",
    ),
    "RTCDataChannel": (
        "label", "ordered", "negotiated", "id", "protocol", "maxRetransmits",
        "maxPacketLifeTime", "readyState", "bufferedAmount", "bufferedAmountLowThreshold",
        "binaryType", "send", "close", "onopen", "onmessage", "onclose", "onclosing",
        "onerror", "onbufferedamountlow",
    ),
    "RTCPeerConnection": (
        "createOffer", "createAnswer", "setLocalDescription", "setRemoteDescription",
        "localDescription", "remoteDescription", "currentLocalDescription",
        "currentRemoteDescription", "pendingLocalDescription", "pendingRemoteDescription",
        "addIceCandidate", "onicecandidate", "iceGatheringState", "onicegatheringstatechange",
        "iceConnectionState", "oniceconnectionstatechange", "connectionState",
        "onconnectionstatechange", "signalingState", "onsignalingstatechange",
        "onnegotiationneeded", "addTrack", "removeTrack", "addTransceiver", "getSenders",
        "getReceivers", "getTransceivers", "ontrack", "createDataChannel", "ondatachannel",
        "getStats", "getConfiguration", "setConfiguration", "restartIce", "close", "sctp",
        "canTrickleIceCandidates",
    ),
    "RTCRtpReceiver": (
        "track", "transport", "getParameters", "getStats", "getSynchronizationSources",
        "getContributingSources", "getCapabilities",
    ),
    "RTCRtpSender": (
        "track", "transport", "dtmf", "replaceTrack", "getParameters", "setParameters",
        "getStats", "setStreams", "getCapabilities",
    ),
    "RTCRtpTransceiver": (
        "mid", "sender", "receiver", "direction", "currentDirection", "stop",
        "setCodecPreferences",
    ),
}


def known_names() -> list[str]:
    """Every name a ``covers`` entry may use: interfaces and ``Interface.member``."""
    names: list[str] = []
    for interface, members in SUPPORTED_INTERFACES.items():
        names.append(interface)
        names.extend(f"{interface}.{member}" for member in members)
    return names


def is_known_member(name: str) -> bool:
    """Whether ``name`` is a supported interface or one of its registered members."""
    interface, _, member = name.partition(".")
    members = SUPPORTED_INTERFACES.get(interface)
    if members is None:
        return False
    return not member or member in members
