"""A sound card for the browsers the suite starts: a private PulseAudio server.

With it, a natively launched Chromium captures and plays through its real audio path
(echo cancellation, noise suppression, gain control, ``setSinkId`` to a real sink) instead
of Chromium's fake devices and muted output:

- virtual microphones are PulseAudio sources playing the same known tones as the reference
  host's microphones (:data:`reference_impl.tones.MIC_TONES_HZ`), each with its own
  speech-like phrase underneath (:func:`conformance.quality.speech_like`, the call-quality
  signal, seeded by the microphone's number), listed by Chromium with their descriptions as
  labels;
- virtual speakers are null sinks; ``parec`` records each sink's monitor and one analysis
  (:class:`~reference_impl.host.devices.AudioAnalyser`) says what it played, as the same
  record the reference host's speakers give (:meth:`SoundCard.speaker_record`); which
  microphone it was is named by its tone, or, where the tone did not survive (Chromium's
  noise suppression gates steady tones), by correlating what played with each phrase;
- a camera: Chromium's fake one. Its only switch, ``--use-fake-device-for-media-stream``,
  also fakes every audio device when the browser process has it, so it is given to the
  video-capture service's process alone (:attr:`SoundCard.chromium_args`: a
  ``--utility-cmd-prefix`` wrapper), and the card's devices stay the browser's audio.

The server runs with ``-n`` (no default configuration: nothing of the machine's audio is
touched) and only the modules loaded here, its socket and state in a private runtime
folder, and it is stopped, with its recorders, by :meth:`SoundCard.stop`, which removes the
folder. It is on by default; ``CONFORMANCE_SOUNDCARD=0`` turns it off, and where PulseAudio
is missing (or not Linux) :func:`soundcard_problem` says so: the suite then keeps Chromium's
fake devices (each verdict says which evidence it had).
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from conformance.micsignals import SPEECH_WINDOW_S, Phrases, Signal, mic_samples, name_signal, phrase
from reference_impl.host.devices import SAMPLE_RATE, AudioAnalyser, PlayedAudio, to_audio_rate
from reference_impl.tones import MIC_TONES_HZ

__all__ = [
    "ENV_VAR",
    "SoundCard",
    "SoundCardError",
    "SoundDevice",
    "default_devices",
    "soundcard_problem",
    "soundcard_wanted",
]

#: ``CONFORMANCE_SOUNDCARD=0`` keeps launched browsers on Chromium's fake devices (the card
#: is on by default where PulseAudio is installed).
ENV_VAR = "CONFORMANCE_SOUNDCARD"
_OFF = ("0", "off", "no", "false")

_START_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 5.0
#: 20 ms of mono float32 at 48 kHz: what the recorders read at a time.
_CHUNK_SAMPLES = SAMPLE_RATE // 50
#: Below this a monitor's chunk is silence (the sink plays nothing): it keeps the analysis
#: window current but is not a rendered frame.
_AUDIBLE_DBFS = -70.0
_SPEAKERS = 2
_RECOGNISE_EVERY_S = 1.0
#: ``sh`` script Chromium starts its utility processes with (``--utility-cmd-prefix``): the
#: video-capture service gets the fake-device switch (a fake camera), nothing else does.
_CAMERA_WRAPPER = """#!/bin/sh
case "$*" in
  *--utility-sub-type=video_capture.*) exec "$@" --use-fake-device-for-media-stream ;;
esac
exec "$@"
"""


#: ``sh -c`` script: start the server ("$@" after the folder), wait for stdin's end (the
#: suite's process closed it or died), then stop the server and remove the folder.
_WATCHER = (
    'folder="$1"; shift; "$@" & server=$!; '
    'trap \'kill "$server" 2>/dev/null; wait "$server"; rm -rf "$folder"; exit 0\' TERM; '
    'cat >/dev/null; kill "$server" 2>/dev/null; wait "$server"; rm -rf "$folder"'
)


class SoundCardError(RuntimeError):
    """The sound card could not start; the message says why."""


@dataclass(frozen=True)
class SoundDevice:
    """One virtual device of the sound card: its PulseAudio name and Chromium label."""

    kind: str  # "audioinput" | "audiooutput"
    index: int  # 1-based, in enumeration order
    name: str  # the PulseAudio source / sink name
    label: str  # its description, which Chromium shows as the device's label
    tone_hz: float | None = None
    #: The page's deviceId is per origin: a sound card's device is found by its label.
    device_id: str | None = None
    #: Whether a microphone says its phrase under its tone
    #: (:func:`~conformance.micsignals.phrase`).
    speech: bool = False


def soundcard_wanted() -> bool:
    """Whether launched browsers get the sound card: yes unless ``CONFORMANCE_SOUNDCARD=0``
    (the card carries Chromium's fake camera, so apps and W3C tests that ask for video run
    as with fake devices)."""
    return os.environ.get(ENV_VAR, "").strip().lower() not in _OFF


def soundcard_problem() -> str | None:
    """Why the suite cannot start a sound card here (one line), or ``None``."""
    if os.environ.get(ENV_VAR, "").strip().lower() in _OFF:
        return f"{ENV_VAR}={os.environ[ENV_VAR]} turns the sound card off"
    if not sys.platform.startswith("linux"):
        return f"the sound card needs PulseAudio on Linux (this is {sys.platform})"
    missing = [tool for tool in ("pulseaudio", "parec") if shutil.which(tool) is None]
    if missing:
        return (f"{' and '.join(missing)} not installed (Debian: `apt-get install pulseaudio "
                "pulseaudio-utils`, or `conformance setup`)")
    return None


def default_devices(tones: tuple[float, ...] = MIC_TONES_HZ, *, speech: bool = True
                    ) -> list[SoundDevice]:
    """The microphones (one per tone: by default the reference host's, same order; each
    with its own phrase unless ``speech=False``) and the speakers."""
    mics = [SoundDevice("audioinput", n, f"mic{n}", f"Sound Card Microphone {n} ({tone:g} Hz)", tone,
                        speech=speech)
            for n, tone in enumerate(tones, start=1)]
    speakers = [SoundDevice("audiooutput", n, f"speaker{n}", f"Sound Card Speaker {n}")
                for n in range(1, _SPEAKERS + 1)]
    return [*mics, *speakers]


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _script(folder: Path, devices: list[SoundDevice]) -> str:
    """PulseAudio's start-up commands: the socket, the sinks, the sources, the defaults."""
    lines = [f"load-module module-native-protocol-unix socket={folder / 'native'} auth-anonymous=1"]
    for device in devices:
        if device.kind == "audiooutput":
            lines += [f"load-module module-null-sink sink_name={device.name} rate={SAMPLE_RATE}",
                      f"update-sink-proplist {device.name} device.description={_quoted(device.label)}"]
        else:
            # A pipe the suite feeds in real time (see _Feeder): module-sine-source's own
            # timer leaves gaps in what Chromium captures (about 11 % of samples, heard as
            # a sideband ~90 Hz above the tone), and a sine into a null sink would list
            # that sink as one more speaker.
            lines += [f"load-module module-pipe-source source_name={device.name} "
                      f"file={folder / (device.name + '.fifo')} format=float32le rate={SAMPLE_RATE} "
                      "channels=1",
                      f"update-source-proplist {device.name} device.description={_quoted(device.label)}"]
    first = {d.kind: d.name for d in reversed(devices)}
    lines += [f"set-default-sink {first['audiooutput']}", f"set-default-source {first['audioinput']}"]
    return "\n".join(lines) + "\n"


class _Recorder:
    """``parec`` on one sink's monitor, analysed as it arrives (a reader thread)."""

    def __init__(self, device: SoundDevice, env: dict[str, str], tones: dict[int, float],
                 phrases: Phrases) -> None:
        self.device = device
        #: Each microphone's tone and phrase (16 kHz), by its index: what names a signal.
        self.tones, self.phrases = tones, phrases
        self.analyser = AudioAnalyser()
        #: The PCM itself, timed, for scoring call quality (``speaker_audio``).
        self.played = PlayedAudio()
        self.lock = threading.Lock()
        self.last_audible: float | None = None
        #: The last phrase recognition and when (at most one a second: polls are frequent).
        self._heard: tuple[float, dict[str, Any] | None] = (-math.inf, None)
        self.process = subprocess.Popen(
            ["parec", f"--device={device.name}.monitor", "--raw", "--format=float32le",
             f"--rate={SAMPLE_RATE}", "--channels=1", "--latency-msec=20"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._thread = threading.Thread(target=self._read, name=f"parec-{device.name}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        size = _CHUNK_SAMPLES * 4
        while True:
            data = stream.read(size)
            if not data:
                return
            samples = np.frombuffer(data[: len(data) // 4 * 4], dtype="<f4").astype(np.float64)
            rms = float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0
            audible = rms > 0 and 20 * np.log10(rms) > _AUDIBLE_DBFS
            with self.lock:
                self.analyser.feed_samples(samples, SAMPLE_RATE, counts=audible)
                self.played.add(time.time(), samples, SAMPLE_RATE)
                if audible:
                    self.last_audible = time.time()

    def record(self) -> dict[str, Any]:
        with self.lock:
            summary = self.analyser.summary()
            last = self.last_audible
        return {"speaker": self.device.index, "deviceId": None, "label": self.device.label,
                "sink": self.device.name, **summary, "lastFrameAt": last,
                **name_signal(summary.get("dominantHz"), self.tones, self.speech)}

    def speech(self) -> dict[str, Any] | None:
        """Which phrase the last 2 s were (:meth:`Phrases.recognise`), recomputed at most
        once a second."""
        at, heard = self._heard
        if time.monotonic() - at < _RECOGNISE_EVERY_S:
            return heard
        with self.lock:
            recent = self.played.recent(SPEECH_WINDOW_S) if self.phrases else np.zeros(0)
        heard = self.phrases.recognise(recent) if len(recent) else None
        self._heard = (time.monotonic(), heard)
        return heard

    def audio(self) -> dict[str, Any]:
        with self.lock:
            return self.played.audio()

    def reset(self) -> None:
        with self.lock:
            self.analyser.reset()
            self.played.clear()
            self.last_audible = None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(_STOP_TIMEOUT_S)
        # The reader sees the end of the pipe once parec is gone; close it only after.
        self._thread.join(_STOP_TIMEOUT_S)
        if self.process.stdout is not None:
            self.process.stdout.close()


class _Feeder:
    """Writes each microphone's signal (its tone, plus its phrase looped) into its pipe
    source, paced to the wall clock (a little ahead, so a late wake-up never starves the
    capture): a pipe source plays what it is given as soon as it is given."""

    _AHEAD_S = 0.06

    def __init__(self, fifos: dict[Path, tuple[float, Signal | None]]) -> None:
        # Non-blocking: a source nobody records from is not drained, and a full pipe must
        # not stop the others (its chunks are dropped: a live signal, like a real microphone).
        self._pipes = [(os.open(path, os.O_WRONLY | os.O_NONBLOCK), tone, words)
                       for path, (tone, words) in fifos.items()]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soundcard-mics", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        start, written = time.monotonic(), 0
        while not self._stop.is_set():
            due = (written + _CHUNK_SAMPLES) / SAMPLE_RATE - self._AHEAD_S
            wait = start + due - time.monotonic()
            if wait > 0 and self._stop.wait(wait):
                return
            n = np.arange(written, written + _CHUNK_SAMPLES)
            for fd, tone, words in self._pipes:
                try:
                    os.write(fd, mic_samples(n, SAMPLE_RATE, tone, words).astype("<f4").tobytes())
                except BlockingIOError:  # nobody is reading this microphone now
                    continue
                except OSError:  # the server went away: stop() follows
                    return
            written += _CHUNK_SAMPLES

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(_STOP_TIMEOUT_S)
        for fd, _tone, _words in self._pipes:
            with contextlib.suppress(OSError):
                os.close(fd)


class SoundCard:
    """A private PulseAudio server with virtual microphones and recorded speakers."""

    def __init__(self, devices: list[SoundDevice] | None = None) -> None:
        self.devices = devices or default_devices()
        self._folder: Path | None = None
        self._server: subprocess.Popen[bytes] | None = None
        self._recorders: list[_Recorder] = []
        self._feeder: _Feeder | None = None

    @property
    def microphones(self) -> list[SoundDevice]:
        """The sources, in Chromium's enumeration order."""
        return [d for d in self.devices if d.kind == "audioinput"]

    @property
    def speakers(self) -> list[SoundDevice]:
        """The sinks, in Chromium's enumeration order."""
        return [d for d in self.devices if d.kind == "audiooutput"]

    @property
    def running(self) -> bool:
        """Whether the server is up."""
        return self._server is not None and self._server.poll() is None

    @property
    def chromium_args(self) -> tuple[str, ...]:
        """What Chromium's command line needs with this card (instead of the fake-device
        switch): its utility processes start through a wrapper that gives the switch to the
        video-capture service alone, so the browser has Chromium's fake camera and the
        card's microphones and speakers (``--utility-cmd-prefix``)."""
        if self._folder is None:
            raise SoundCardError("the sound card is not started")
        return (f"--utility-cmd-prefix={self._folder / 'camera.sh'}",)

    @property
    def env(self) -> dict[str, str]:
        """What a client (Chromium, ``parec``) needs in its environment to use this server."""
        if self._folder is None:
            raise SoundCardError("the sound card is not started")
        return {"PULSE_SERVER": f"unix:{self._folder / 'native'}",
                "PULSE_RUNTIME_PATH": str(self._folder), "PULSE_STATE_PATH": str(self._folder),
                "PULSE_COOKIE": str(self._folder / "cookie")}

    def start(self) -> None:
        """Start the server and a recorder per speaker; :class:`SoundCardError` if it fails
        (nothing is left running then)."""
        problem = soundcard_problem()
        if problem:
            raise SoundCardError(problem)
        self._folder = Path(tempfile.mkdtemp(prefix="mmr-soundcard-"))
        if any(char.isspace() for char in str(self._folder)):
            folder, self._folder = self._folder, None
            folder.rmdir()
            raise SoundCardError(f"the card's folder {folder} has a space (TMPDIR): Chromium "
                                 "splits --utility-cmd-prefix at spaces, so no camera could come with it")
        (self._folder / "default.pa").write_text(_script(self._folder, self.devices))
        wrapper = self._folder / "camera.sh"
        wrapper.write_text(_CAMERA_WRAPPER)
        wrapper.chmod(0o700)
        # The server reads its daemon.conf from $HOME (the private folder): every device runs
        # at 48 kHz, WebRTC's rate, so nothing is resampled between Chromium and the sinks.
        conf = self._folder / ".config" / "pulse"
        conf.mkdir(parents=True)
        (conf / "daemon.conf").write_text(f"default-sample-rate = {SAMPLE_RATE}\n"
                                          f"alternate-sample-rate = {SAMPLE_RATE}\n")
        env = {**os.environ, **self.env, "HOME": str(self._folder)}
        log = (self._folder / "pulseaudio.log").open("wb")
        try:
            # The watcher holds the server: this process keeps its stdin open, so when this
            # process ends, even by SIGKILL, the server is stopped and its folder removed
            # (``parec`` ends with its server).
            self._server = subprocess.Popen(
                ["sh", "-c", _WATCHER, "sh", str(self._folder),
                 "pulseaudio", "-n", "-F", str(self._folder / "default.pa"), "--daemonize=no",
                 "--exit-idle-time=-1", "--use-pid-file=no", "--disallow-exit",
                 "--log-target=stderr", "--log-level=warning"],
                env=env, cwd=self._folder, stdin=subprocess.PIPE, stdout=log, stderr=log,
                start_new_session=True)  # a Ctrl-C in the terminal is the suite's to handle
        finally:
            log.close()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._ready(env):
            if self._server.poll() is not None or time.monotonic() > deadline:
                reason = self._log_tail() or f"exit code {self._server.poll()}"
                self.stop()
                raise SoundCardError(f"PulseAudio did not start: {reason}")
            time.sleep(0.05)  # polling interval of a bounded wait for the server's socket
        said = {mic.index: phrase(mic.index, SAMPLE_RATE) for mic in self.microphones if mic.speech}
        self._feeder = _Feeder({self._folder / f"{mic.name}.fifo": (mic.tone_hz or 0.0, said.get(mic.index))
                                for mic in self.microphones})
        # What a speaker played is kept at 16 kHz: the phrases are compared at that rate.
        phrases = Phrases({index: to_audio_rate(words, SAMPLE_RATE) for index, words in said.items()})
        tones = {mic.index: mic.tone_hz for mic in self.microphones if mic.tone_hz is not None}
        self._recorders = [_Recorder(device, env, tones, phrases) for device in self.speakers]

    def _ready(self, env: dict[str, str]) -> bool:
        assert self._folder is not None
        if not (self._folder / "native").exists():
            return False
        done = subprocess.run(["pactl", "info"], env=env, capture_output=True, timeout=5, check=False)
        return done.returncode == 0 if shutil.which("pactl") else True

    def _log_tail(self) -> str:
        if self._folder is None:
            return ""
        with contextlib.suppress(OSError):
            lines = (self._folder / "pulseaudio.log").read_text(errors="replace").splitlines()
            errors = [line for line in lines if line.startswith("E:")]
            return " | ".join((errors or lines)[-3:])
        return ""

    def speaker(self, speaker: int | str) -> SoundDevice:
        """A speaker by index (1-based), label or sink name; :class:`KeyError` if unknown."""
        for device in self.speakers:
            if speaker in (device.index, str(device.index), device.label, device.name):
                return device
        raise KeyError(f"no speaker {speaker!r} (the sound card has "
                       f"{', '.join(d.label for d in self.speakers)})")

    def speaker_record(self, speaker: int | str) -> dict[str, Any]:
        """What a speaker played lately: the reference host's speaker record (``frames``,
        ``rmsDbfs``, ``dominantHz``, ``lastFrameAt``) plus ``sink``, ``signal`` (which
        microphone, if any), ``signalBy`` (``"tone"`` or ``"speech"``: how it was named) and
        ``speech`` (where no tone named it: the phrase the last 2 s match best, and how well)."""
        device = self.speaker(speaker)
        for recorder in self._recorders:
            if recorder.device == device:
                return recorder.record()
        return {"speaker": device.index, "deviceId": None, "label": device.label, "sink": device.name,
                "frames": 0, "rmsDbfs": None, "dominantHz": None, "lastFrameAt": None, "signal": None,
                "signalBy": None, "speech": None}

    def speaker_speech(self, speaker: int | str) -> dict[str, Any] | None:
        """Which microphone's phrase a speaker played in the last 2 s, whatever its tone did
        (:meth:`~conformance.micsignals.Phrases.recognise`), or ``None``."""
        device = self.speaker(speaker)
        for recorder in self._recorders:
            if recorder.device == device:
                return recorder.speech()
        return None

    def speaker_audio(self, speaker: int | str) -> dict[str, Any]:
        """What a speaker played lately as timed PCM (the reference host's ``speakerAudio``)."""
        device = self.speaker(speaker)
        for recorder in self._recorders:
            if recorder.device == device:
                return recorder.audio()
        return PlayedAudio().audio()

    def reset_speakers(self) -> None:
        """Forget what every speaker played (between items)."""
        for recorder in self._recorders:
            recorder.reset()

    def stop(self) -> None:
        """Stop the recorders, the microphones and the server; remove the runtime folder."""
        if self._feeder is not None:
            self._feeder.stop()
            self._feeder = None
        for recorder in self._recorders:
            recorder.stop()
        self._recorders = []
        server, self._server = self._server, None
        if server is not None:
            if server.stdin is not None:
                server.stdin.close()  # the watcher stops the server
            try:
                server.wait(_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                server.terminate()  # the watcher's trap stops the server
                server.wait(_STOP_TIMEOUT_S)
        folder, self._folder = self._folder, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

