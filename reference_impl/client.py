"""The harness-side handle on a host process: start it, inject the shim, drive faults."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from websockets.asyncio.client import ClientConnection, connect

from ._version import (
    CLIENT_VERSION,
    EXTENSION_VERSION,
    HOST_VERSION,
    PROTOCOL_VERSION,
    VERSION,
)
from .host.ice import ICE_MODES
from .shim import build_init_script

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext

__all__ = ["Device", "HostError", "HostStartError", "ReferenceHost", "page_init_script"]

_STARTUP_TIMEOUT_S = 30.0
_REQUEST_TIMEOUT_S = 30.0


class HostStartError(RuntimeError):
    """The host process did not come up; the message carries its stderr."""


class HostError(RuntimeError):
    """A control request failed; ``name`` is the error name the host gave."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


@dataclass(frozen=True)
class Device:
    """A virtual device of the host (what ``enumerateDevices`` lists in the page)."""

    kind: str  # "audioinput" | "audiooutput"
    index: int  # 1-based position among devices of its kind
    device_id: str
    group_id: str
    label: str
    tone_hz: float | None  # microphones only: the sine it captures

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Device:
        """From the host's device descriptor."""
        return cls(data["kind"], int(data["index"]), data["deviceId"], data["groupId"],
                   data["label"], data.get("toneHz"))


class ReferenceHost:
    """A running reference host (the simulated local device) and its control session.

    Start one with :meth:`start`, put browser contexts under redirection with
    :meth:`prepare_context` (or inject :meth:`init_script` yourself), drive faults with
    :meth:`disconnect`, :meth:`reconnect`, :meth:`set_latency` and :meth:`kill`, read what
    the virtual speakers rendered with :meth:`speaker_record`, and :meth:`close` it at the
    end. Also an async context manager.
    """

    #: The reference implementation's version.
    version: str = VERSION
    #: The wire protocol version.
    protocol: int = PROTOCOL_VERSION

    def __init__(self, process: asyncio.subprocess.Process, ready: dict[str, Any],
                 control: ClientConnection, stderr_tail: collections.deque[str],
                 readers: list[asyncio.Task[None]]) -> None:
        self._process = process
        self._ready = ready
        self._control = control
        self._stderr = stderr_tail
        self._readers = readers
        self._lock = asyncio.Lock()
        self._next_id = 1
        self.port: int = int(ready["port"])
        #: ``ws://127.0.0.1:<port>``: the channel pages connect to.
        self.url: str = str(ready["url"])
        #: The host process id (for memory measurement or a crash fault).
        self.pid: int = int(ready["pid"])
        self.connection_id: str = str(ready["connectionId"])
        self.connected = True
        self.latency_ms: float = float(ready["latencyMs"])
        #: Where the host gathers ICE candidates: ``"loopback"`` or ``"all"``.
        self.ice: str = str(ready.get("ice", "loopback"))
        #: Virtual microphones, in ``enumerateDevices`` order (mic 1 = 440 Hz, mic 2 = 880 Hz, ...).
        self.microphones: list[Device] = [Device.from_json(d) for d in ready["microphones"]]
        #: Virtual speakers (speaker 1 is the default output).
        self.speakers: list[Device] = [Device.from_json(d) for d in ready["speakers"]]

    # --- lifetime ------------------------------------------------------------------
    @classmethod
    async def start(cls, *, latency_ms: float = 0.0, ice: str = "loopback",
                    python: str | None = None, launcher: Sequence[str] = (),
                    listen: str = "127.0.0.1",
                    startup_timeout: float = _STARTUP_TIMEOUT_S) -> ReferenceHost:
        """Spawn ``python -m reference_impl.host`` and connect the control session.

        ``latency_ms`` (0..200) is injected on every reply and event sent to pages.
        ``ice`` is where the host's peer connections gather: ``"loopback"`` (127.0.0.1 and
        STUN/TURN servers on loopback only: hermetic) or ``"all"`` (every interface and
        the page's ``iceServers``, like a real local device; for a backend on another host).
        ``launcher`` prefixes the command (``ip netns exec DEVICE``: the host on a network of
        its own) and ``listen`` is the address its channel listens on there.
        Raises :class:`HostStartError` with the host's stderr if it does not come up.
        """
        if ice not in ICE_MODES:
            raise ValueError(f"ice must be one of {', '.join(ICE_MODES)}, not {ice!r}")
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        # The host watches its stdin: this process holds the pipe's other end, so the host
        # shuts down when this process ends, even by SIGKILL (no orphaned listener).
        process = await asyncio.create_subprocess_exec(
            *launcher, python or sys.executable, "-m", "reference_impl.host",
            "--latency-ms", str(latency_ms), "--ice", ice, "--listen", listen, "--exit-with-stdin",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=env,
            start_new_session=True,  # a Ctrl-C in the terminal is the harness's to handle
        )
        assert process.stdout is not None and process.stderr is not None
        stderr_tail: collections.deque[str] = collections.deque(maxlen=200)
        readers = [asyncio.ensure_future(_drain(process.stderr, stderr_tail))]
        try:
            line = await asyncio.wait_for(process.stdout.readline(), startup_timeout)
            ready = json.loads(line) if line else None
            if not isinstance(ready, dict) or not ready.get("ready"):
                raise HostStartError(f"host printed {line!r}")
        except (TimeoutError, ValueError, HostStartError) as error:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            await asyncio.gather(*readers, return_exceptions=True)
            raise HostStartError(f"the reference host did not start ({error}); stderr:\n"
                                 + "\n".join(stderr_tail)) from None
        readers.append(asyncio.ensure_future(_drain(process.stdout, collections.deque(maxlen=50))))
        control = await connect(ready["url"], max_size=None, compression=None, ping_interval=None)
        host = cls(process, ready, control, stderr_tail, readers)
        await host._call("hello", role="control", secret=ready["controlSecret"],
                         protocol=PROTOCOL_VERSION)
        return host

    async def __aenter__(self) -> ReferenceHost:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def alive(self) -> bool:
        """Whether the host process is still running."""
        return self._process.returncode is None

    async def wait_exit(self, timeout: float = 10.0) -> int:
        """Wait for the host process to exit; its return code (negative: killed by a signal)."""
        return await asyncio.wait_for(self._process.wait(), timeout)

    def kill(self) -> None:
        """SIGKILL the host (a crash fault): pages see their channel drop, i.e. a disconnect."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    async def close(self) -> None:
        """Shut the host down (gracefully, then by force) and release everything."""
        if self.alive:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._call("shutdown"), 5)
            try:
                await asyncio.wait_for(self._process.wait(), 5)
            except TimeoutError:
                self.kill()
        await self._process.wait()
        if self._process.stdin is not None:
            self._process.stdin.close()
        with contextlib.suppress(Exception):
            await self._control.close()
        await asyncio.gather(*self._readers, return_exceptions=True)

    def stderr_tail(self) -> str:
        """The last lines the host wrote to stderr (for failure reports)."""
        return "\n".join(self._stderr)

    def memory_rss_bytes(self) -> int | None:
        """The host's resident memory (Linux ``/proc``), or ``None`` where unavailable."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return None

    # --- the page side ---------------------------------------------------------------
    def page_binding(self) -> dict[str, str]:
        """What a page needs to reach this host: its channel ``url`` and the page ``secret``.

        The page secret lets a page open redirected objects, nothing more; control
        operations need the control secret, which never leaves this process.
        """
        return {"url": self.url, "secret": str(self._ready["pageSecret"]),
                "connectionId": self.connection_id}

    def init_script(self, *, console_logging: bool = False) -> str:
        """The whole shim, with this host's URL and page secret baked in.

        Inject it at document start in every frame (``BrowserContext.add_init_script``).
        """
        return page_init_script(self.page_binding(), connected=self.connected,
                                console_logging=console_logging)

    async def prepare_context(self, context: BrowserContext, *, console_logging: bool = False
                              ) -> None:
        """Put every page of a Playwright ``BrowserContext`` under redirection."""
        await context.add_init_script(script=self.init_script(console_logging=console_logging))

    # --- faults ----------------------------------------------------------------------
    async def disconnect(self) -> None:
        """Simulate an RDP client disconnect: every redirected object in every page dies,
        pages get ``rdpClientConnectionStateChanged`` with ``disconnected``."""
        status = await self._call("disconnect")
        self._status(status)

    async def reconnect(self) -> None:
        """Simulate the RDP client coming back: new ``connectionId``, pages get ``connected``."""
        status = await self._call("reconnect")
        self._status(status)

    async def set_latency(self, ms: float) -> None:
        """Inject ``ms`` (0..200) of one-way delay on every reply and event to pages."""
        result = await self._call("setLatency", ms=ms)
        self.latency_ms = float(result["latencyMs"])

    async def status(self) -> dict[str, Any]:
        """Connection state, latency, and each page session with its live object counts."""
        status = await self._call("status")
        self._status(status)
        return dict(status)

    def _status(self, status: dict[str, Any]) -> None:
        self.connected = bool(status["connected"])
        self.connection_id = str(status["connectionId"])

    # --- devices ------------------------------------------------------------------------
    async def speaker_record(self, speaker: int | str) -> dict[str, Any]:
        """What a virtual speaker rendered: ``speaker`` is a 1-based index, a deviceId or a label.

        Keys: ``speaker``, ``deviceId``, ``label``, ``frames`` (20 ms frames rendered),
        ``rmsDbfs`` (level of the last ~0.34 s, ``None`` if silent), ``dominantHz``,
        ``lastFrameAt`` (epoch seconds), ``trackIds``/``streamIds`` (page-visible ids of
        what played), ``activeTrackIds`` and ``sources`` (the same numbers per track).
        """
        return dict(await self._call("speakerRecord", speaker=speaker))

    async def speaker_audio(self, speaker: int | str) -> dict[str, Any]:
        """What a virtual speaker played in the last 15 s: ``{"rate": 16000, "chunks":
        [[epoch seconds, base64 16-bit little-endian PCM], ...]}``, one chunk per 20 ms frame."""
        return dict(await self._call("speakerAudio", speaker=speaker))

    async def reset_speakers(self) -> None:
        """Forget what every speaker rendered."""
        await self._call("resetSpeakers")

    async def peer_connections(self) -> list[dict[str, Any]]:
        """Every live peer connection in the host, with its SDP (proof of redirection)."""
        return list(await self._call("peerConnections"))

    def microphone(self, n: int) -> Device:
        """Microphone ``n`` (1-based)."""
        return self.microphones[n - 1]

    def speaker(self, n: int) -> Device:
        """Speaker ``n`` (1-based)."""
        return self.speakers[n - 1]

    # --- plumbing -------------------------------------------------------------------------
    async def _call(self, op: str, **args: Any) -> Any:
        async with self._lock:
            request_id = self._next_id
            self._next_id += 1
            await self._control.send(json.dumps({"id": request_id, "op": op, **args}))
            while True:
                raw = await asyncio.wait_for(self._control.recv(), _REQUEST_TIMEOUT_S)
                reply = json.loads(raw)
                if reply.get("id") == request_id or (op == "hello" and reply.get("id") in (0, None)):
                    break
        if not reply.get("ok"):
            error = reply.get("error") or {}
            raise HostError(str(error.get("name", "Error")), str(error.get("message", "")))
        return reply.get("result")


def page_init_script(binding: dict[str, str], *, connected: bool = True,
                     console_logging: bool = False) -> str:
    """The shim bound to a host described by :meth:`ReferenceHost.page_binding` (also for a
    host in another process, e.g. the one a browser extension is built for)."""
    return build_init_script({
        "url": binding["url"],
        "secret": binding["secret"],
        "protocol": PROTOCOL_VERSION,
        "connected": connected,
        "connectionId": binding.get("connectionId", ""),
        "clientVersion": CLIENT_VERSION,
        "hostVersion": HOST_VERSION,
        "extensionVersion": EXTENSION_VERSION,
        "consoleLogging": console_logging,
    })


async def _drain(stream: asyncio.StreamReader, tail: collections.deque[str]) -> None:
    """Keep reading a pipe so the host never blocks on a full buffer."""
    while True:
        line = await stream.readline()
        if not line:
            return
        tail.append(line.decode(errors="replace").rstrip())
