"""A call's media path measured: speech from the local device to this machine, scored.

The local device's media stack (aiortc and Opus, as in the reference host) runs on the
home's device (``--network``; this machine for ``same-host``) and sends the speech-like
signal of :mod:`conformance.quality` to a receiver here, over the topology's NAT and the
impairment preset, through real ICE (the receiver learns the device's mapped address from
its checks). The receiver places each decoded frame at its arrival time on the wall clock
(which both namespaces share) from the moment the sender started the signal, so the
cross-correlation peak is the mouth-to-ear delay: network, jitter buffer and codec. What
was lost stays silent where it should have played, as a listener hears it.

``python -m conformance.network.callpath`` is the sending side: it reads the receiver's
offer (one JSON line) on stdin, answers on stdout, prints ``start <epoch>`` when the signal
starts and ends after it (or at EOF on stdin).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from conformance.quality import RATE, CallQuality, Signal, measure, speech_like, timeline
from reference_impl.host.devices import SAMPLE_RATE, ToneTrack, frame_to_mono

__all__ = ["PathResult", "SpeechTrack", "measure_path"]

#: Seconds of speech sent per measurement.
SPEECH_SECONDS = 6.0
#: Generous: on a loaded machine (tens of processes on two cores) a start takes seconds.
_CONNECT_TIMEOUT_S = 60.0
_UP = SAMPLE_RATE // RATE  # 48 kHz frames from the 16 kHz signal


class SpeechTrack(ToneTrack):
    """The speech-like signal at 48 kHz, paced like a microphone, then silence."""

    def __init__(self, signal: Signal) -> None:
        super().__init__(0.0)
        self._signal = np.repeat(signal, _UP)  # sample-and-hold; Opus low-passes it anyway
        #: Wall-clock time of the signal's first sample (set when the first frame goes).
        self.started: float | None = None

    def wave(self, n: np.ndarray[Any, np.dtype[np.int64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
        """The signal's samples at ``n`` (zeros past its end)."""
        if self.started is None:
            self.started = time.time()
        out = np.zeros(len(n))
        inside = n < len(self._signal)
        out[inside] = self._signal[n[inside]]
        return out


@dataclass(frozen=True)
class PathResult:
    """The measured quality and what the receiver saw."""

    quality: CallQuality
    #: The selected pair as the receiver saw it: ``(its address, the device's as seen)``.
    pair: tuple[str, str] | None


async def _send(offer_line: str) -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    track = SpeechTrack(speech_like(SPEECH_SECONDS))
    pc.addTrack(track)
    try:
        offer = json.loads(offer_line)
        await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], offer["type"]))
        await pc.setLocalDescription(await pc.createAnswer())
        print(json.dumps({"sdp": pc.localDescription.sdp, "type": pc.localDescription.type}),
              flush=True)
        for _ in range(int((_CONNECT_TIMEOUT_S + SPEECH_SECONDS + 2) / 0.05)):
            if track.started is not None and time.time() > track.started + SPEECH_SECONDS + 1.0:
                break
            await asyncio.sleep(0.05)  # polling the signal's progress, bounded above
        print(f"start {track.started}", flush=True)
    finally:
        await pc.close()


async def measure_path(command: list[str], *, seconds: float = SPEECH_SECONDS) -> PathResult:
    """Run the sending side with ``command`` as prefix (``ip netns exec DEVICE``, or none)
    and measure what arrives here."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("audio", direction="recvonly")
    arrivals: list[tuple[float, Signal]] = []
    done = asyncio.Event()

    async def record(track: Any) -> None:
        with contextlib.suppress(MediaStreamError):
            while not done.is_set():
                frame = await track.recv()
                samples = frame_to_mono(frame)
                arrivals.append((time.time(), samples[::frame.sample_rate // RATE]))

    pc.on("track", lambda track: asyncio.ensure_future(record(track)))
    process = await asyncio.create_subprocess_exec(
        *command, sys.executable, "-m", "conformance.network.callpath",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None
    try:
        await pc.setLocalDescription(await pc.createOffer())
        process.stdin.write((json.dumps({"sdp": pc.localDescription.sdp, "type": "offer"}) + "\n").encode())
        await process.stdin.drain()
        answer = json.loads(await asyncio.wait_for(process.stdout.readline(), _CONNECT_TIMEOUT_S))
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
        line = await asyncio.wait_for(process.stdout.readline(), _CONNECT_TIMEOUT_S + seconds + 5)
        started_text = line.decode().removeprefix("start ").strip()
        pair = _pair(pc)
    finally:
        done.set()
        await pc.close()
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
    sent = speech_like(seconds)
    if started_text in ("", "None"):
        return PathResult(measure(sent, np.zeros(0)), pair)
    return PathResult(measure(sent, timeline(arrivals, float(started_text), seconds + 1.0)), pair)


def _pair(pc: RTCPeerConnection) -> tuple[str, str] | None:
    for transceiver in pc.getTransceivers():
        transport = transceiver.receiver.transport
        if transport is None:
            continue
        nominated = getattr(transport.transport._connection, "_nominated", {})
        pair = nominated.get(1)
        if pair is not None:
            return (pair.local_candidate.host, f"{pair.remote_candidate.host}:{pair.remote_candidate.port}"
                    f" ({pair.remote_candidate.type})")
    return None


if __name__ == "__main__":
    asyncio.run(_send(sys.stdin.readline()))
