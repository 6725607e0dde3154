"""Impairment presets on the local device's access link (``--impair NAME``).

Each preset has a rate, a one-way delay, a jitter and a loss per direction, with figures in
the manner of the network profiles peers publish (Loadero's network conditions table,
testRTC's network profiles, the browsers' throttling presets: docs/network.md cites them).
They apply on the home router of ``--network`` (its WAN side for what the device sends, its
LAN side for what it receives), to the call's media: UDP, and TCP to or from port 443 (TURN
over TCP). The page's channel to the host is left alone: it is the remote desktop's own
connection, and the ``latency`` fault is its impairment.

Two paths, and the run says which ran (:attr:`Impairment.path`):

- ``netem``: where the kernel has the ``netem`` qdisc, one qdisc per direction does it all;
- ``userspace``: otherwise ``tbf`` (rate), iptables ``statistic --mode random`` (loss) and an
  NFQUEUE rule to :mod:`conformance.network.delay`, a process holding each packet for its
  delay and jitter.
"""

from __future__ import annotations

import contextlib
import selectors
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from conformance.network.netns import NamespaceError

__all__ = ["PRESETS", "Impairment", "Preset", "describe", "preset"]

_TIMEOUT_S = 10.0
_READY_TIMEOUT_S = 10.0
#: The NFQUEUE numbers of the two directions (per router namespace: no clash between runs).
_QUEUES = {"up": 1, "down": 2}


@dataclass(frozen=True)
class Preset:
    """One ``--impair`` choice: per direction (``up``: what the device sends)."""

    name: str
    rate_kbit_down: int | None
    rate_kbit_up: int | None
    delay_ms: float
    jitter_ms: float
    loss: float
    #: Where the figures come from (docs/network.md has the links).
    source: str


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("broadband", 30_000, 15_000, 5.0, 1.0, 0.0,
           "the browsers' Wi-Fi throttling preset (30/15 Mbit/s, a few ms); no loss"),
    Preset("4g", 100_000, 50_000, 45.0, 10.0, 0.002,
           "Loadero's 4G: 100/50 Mbit/s, 0.2 % loss, 45 ms, jitter 5/15 ms"),
    Preset("3g", 1_200, 1_200, 250.0, 50.0, 0.005,
           "Loadero's 3G: 1200 kbit/s, 0.5 % loss, 250 ms, jitter 50 ms"),
    Preset("lossy-wifi", 30_000, 15_000, 5.0, 5.0, 0.10,
           "a Wi-Fi link with Loadero's '10% packetloss' condition"),
    Preset("call-drop", None, None, 0.0, 0.0, 1.0,
           "Loadero's '100% packetloss' and testRTC's call-drop profile: nothing gets through"),
)}


def preset(name: str) -> Preset:
    """The preset called ``name``; :class:`ValueError` naming the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown impairment {name!r} (known: {', '.join(PRESETS)})") from None


def _run(argv: list[str], *, check: bool = True) -> bool:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False,
                          stdin=subprocess.DEVNULL)
    if check and done.returncode != 0:
        raise NamespaceError(f"`{' '.join(argv)}` failed: {done.stderr.strip()}")
    return done.returncode == 0


#: The call's media: UDP, and TCP to or from 443 (TURN over TCP).
_MEDIA = (["-p", "udp"], ["-p", "tcp", "--dport", "443"], ["-p", "tcp", "--sport", "443"])


class Impairment:
    """A preset applied in one namespace on two interfaces; :meth:`remove` undoes it all."""

    def __init__(self, namespace: str, interfaces: dict[str, str], chosen: Preset) -> None:
        self.namespace = namespace
        #: ``{"up": interface, "down": interface}``: where each direction leaves.
        self.interfaces = interfaces
        self.preset = chosen
        #: ``netem`` or ``userspace`` (see the module's docstring).
        self.path = ""
        self._stages: list[subprocess.Popen[bytes]] = []

    def _in(self, *argv: str, check: bool = True) -> bool:
        return _run(["ip", "netns", "exec", self.namespace, *argv], check=check)

    def apply(self) -> Impairment:
        """Apply the preset (netem where the kernel has it); :class:`NamespaceError` if it
        cannot be. Returns itself."""
        try:
            if self._netem():
                self.path = "netem"
            else:
                self._userspace()
                self.path = "userspace"
        except BaseException:
            self.remove()
            raise
        return self

    def _rate(self, direction: str) -> int | None:
        return self.preset.rate_kbit_up if direction == "up" else self.preset.rate_kbit_down

    def _netem(self) -> bool:
        for direction, interface in self.interfaces.items():
            rate = self._rate(direction)
            argv = ["tc", "qdisc", "replace", "dev", interface, "root", "netem",
                    "delay", f"{self.preset.delay_ms}ms", f"{self.preset.jitter_ms}ms",
                    "loss", f"{self.preset.loss * 100:g}%", *(["rate", f"{rate}kbit"] if rate else [])]
            if not self._in(*argv, check=False):
                return False  # no netem here (the first try fails before anything changed)
        return True

    def _userspace(self) -> None:
        for direction, interface in self.interfaces.items():
            rate = self._rate(direction)
            if rate:
                # A bucket of 1/50 s at the rate (at least 32 kbit), a queue of 400 ms at most.
                burst = max(32, rate // 50)
                self._in("tc", "qdisc", "replace", "dev", interface, "root", "tbf",
                         "rate", f"{rate}kbit", "burst", f"{burst}kbit", "latency", "400ms")
            for match in _MEDIA:
                rule = ["iptables", "-t", "mangle", "-A", "FORWARD", "-o", interface, *match]
                if self.preset.loss > 0:
                    self._in(*rule, "-m", "statistic", "--mode", "random", "--probability",
                             f"{self.preset.loss:g}", "-j", "DROP")
                if self.preset.delay_ms > 0 or self.preset.jitter_ms > 0:
                    self._in(*rule, "-j", "NFQUEUE", "--queue-num", str(_QUEUES[direction]))
            if self.preset.delay_ms > 0 or self.preset.jitter_ms > 0:
                self._stage(_QUEUES[direction])

    def _stage(self, queue: int) -> None:
        """Start the delay stage for ``queue`` in the namespace; wait until it is bound."""
        process = subprocess.Popen(
            ["ip", "netns", "exec", self.namespace, sys.executable, "-m", "conformance.network.delay",
             "--queue", str(queue), "--delay-ms", str(self.preset.delay_ms),
             "--jitter-ms", str(self.preset.jitter_ms)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=Path(__file__).resolve().parent.parent.parent, start_new_session=True)
        self._stages.append(process)
        assert process.stdout is not None
        # Bounded: the stage prints one line once bound, or exits.
        line = _read_line(process, _READY_TIMEOUT_S)
        if line != "ready":
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise NamespaceError(f"the delay stage for queue {queue} did not start: {error[-500:]}")

    def remove(self) -> None:
        """Undo everything (qdiscs, rules, stages); never raises."""
        for process in self._stages:
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()  # the stage stops at EOF
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
        self._stages.clear()
        with contextlib.suppress(NamespaceError, subprocess.TimeoutExpired):
            self._in("iptables", "-t", "mangle", "-F", "FORWARD", check=False)
            for interface in self.interfaces.values():
                self._in("tc", "qdisc", "del", "dev", interface, "root", check=False)

    def describe(self) -> dict[str, object]:
        """The preset's figures and the path that ran, for results and certificates."""
        return describe(self.preset, self.path)


def describe(chosen: Preset, path: str) -> dict[str, object]:
    """A preset's figures and the path that applied it, for results and certificates."""
    return {"preset": chosen.name, "path": path, "rate_kbit_down": chosen.rate_kbit_down,
            "rate_kbit_up": chosen.rate_kbit_up, "delay_ms": chosen.delay_ms,
            "jitter_ms": chosen.jitter_ms, "loss": chosen.loss, "source": chosen.source}


def _read_line(process: subprocess.Popen[bytes], timeout: float) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            return ""
    return process.stdout.readline().decode(errors="replace").strip()
