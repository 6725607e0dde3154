"""A network namespace joined to this machine by a veth pair: "another host" for tests.

Real backends (Janus, coturn) run inside it and listen on its 10.x address only, which is
both the honest picture (the backend is on another host) and what keeps tests hermetic:
nothing but this machine and the namespace it created is ever addressed. Everything is
removed on :meth:`Namespace.close`, whatever happened before.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

__all__ = ["Namespace", "NamespaceError", "namespace_unavailable", "wait_for_tcp"]

_IP_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 5.0
_POLL_S = 0.05
#: Attempts at a free 10.x subnet and free interface names before giving up.
_ATTEMPTS = 20


class NamespaceError(RuntimeError):
    """A namespace or a process in it could not be set up."""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=_IP_TIMEOUT_S,
                          check=False, stdin=subprocess.DEVNULL)
    if check and done.returncode != 0:
        raise NamespaceError(f"`ip {' '.join(args)}` failed: {done.stderr.strip()}")
    return done


def namespace_unavailable() -> str | None:
    """Why network namespaces cannot be made here (``None`` when they can)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "creating a network namespace needs root"
    if shutil.which("ip") is None:
        return "the `ip` command (iproute2) is not installed"
    return None


def _addresses_in_use() -> set[str]:
    out = _ip("-4", "-o", "addr", "show").stdout
    return {field.split("/")[0].rsplit(".", 1)[0] for line in out.splitlines()
            for field in line.split() if field.count(".") == 3 and "/" in field}


def wait_for_tcp(address: str, port: int, timeout: float, *,
                 alive: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until ``address:port`` accepts a TCP connection (polled, bounded in time).

    Stops early with :class:`NamespaceError` when ``alive`` (the server) has exited."""
    deadline = time.monotonic() + timeout
    attempts = int(timeout / _POLL_S) + 1
    for _ in range(attempts):
        if alive is not None and alive.poll() is not None:
            raise NamespaceError(f"the server exited with code {alive.returncode} before "
                                 f"listening on {address}:{port}")
        with contextlib.suppress(OSError), socket.create_connection((address, port), timeout=0.5):
            return
        if time.monotonic() >= deadline:
            break
        time.sleep(_POLL_S)  # a poll interval between connection attempts, not a wait for time
    raise NamespaceError(f"nothing listened on {address}:{port} within {timeout:g} s")


def _no_core_dumps() -> None:
    # Janus can leave a ~200 MB core file when it dies; a test never wants one.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class Namespace:
    """A network namespace with a veth pair: ``host_address`` on this side,
    ``address`` inside (a /30 of 10.x chosen so that it is not in use here)."""

    def __init__(self, name: str, host_interface: str, interface: str, subnet: str) -> None:
        self.name = name
        #: The veth end on this machine, and the one inside the namespace.
        self.host_interface = host_interface
        self.interface = interface
        #: ``10.a.b.c+1`` here, ``10.a.b.c+2`` in the namespace.
        prefix, last = subnet.rsplit(".", 1)
        self.host_address = f"{prefix}.{int(last) + 1}"
        self.address = f"{prefix}.{int(last) + 2}"
        self._processes: list[subprocess.Popen[bytes]] = []

    @classmethod
    def create(cls) -> Namespace:
        """Make a namespace, its veth pair and addresses; :class:`NamespaceError` if it fails."""
        reason = namespace_unavailable()
        if reason is not None:
            raise NamespaceError(reason)
        pid = os.getpid()
        for attempt in range(_ATTEMPTS):
            # Unique per process (an xdist worker) and attempt; names stay within IFNAMSIZ.
            tag = f"{pid % 100_000}{attempt:02d}"
            octet2, octet3 = 100 + (pid + attempt) % 150, (pid // 150 + 7 * attempt) % 256
            if f"10.{octet2}.{octet3}" in _addresses_in_use():
                continue
            namespace = cls(f"mmr-test-{tag}", f"mh{tag}", f"mn{tag}", f"10.{octet2}.{octet3}.0")
            if _ip("netns", "add", namespace.name, check=False).returncode != 0:
                continue
            try:
                namespace._wire()
            except BaseException:
                namespace.close()
                raise
            return namespace
        raise NamespaceError(f"no free namespace name or 10.x subnet after {_ATTEMPTS} attempts")

    def _wire(self) -> None:
        _ip("link", "add", self.host_interface, "type", "veth", "peer", "name", self.interface)
        _ip("link", "set", self.interface, "netns", self.name)
        _ip("addr", "add", f"{self.host_address}/30", "dev", self.host_interface)
        _ip("link", "set", self.host_interface, "up")
        inside = ("netns", "exec", self.name, "ip")
        _ip(*inside, "addr", "add", f"{self.address}/30", "dev", self.interface)
        _ip(*inside, "link", "set", self.interface, "up")
        _ip(*inside, "link", "set", "lo", "up")

    def spawn(self, argv: Sequence[str], *, cwd: Path, log: IO[bytes]) -> subprocess.Popen[bytes]:
        """Start ``argv`` inside the namespace (cwd ``cwd``, no core dumps, output to ``log``).

        The process is stopped by :meth:`close`."""
        process = subprocess.Popen(["ip", "netns", "exec", self.name, *argv], cwd=cwd,
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   preexec_fn=_no_core_dumps, start_new_session=True)
        self._processes.append(process)
        return process

    def _stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(_STOP_TIMEOUT_S)

    def close(self) -> None:
        """Stop every process started in the namespace, then delete it and its veth pair."""
        for process in reversed(self._processes):
            self._stop(process)
        # Anything else that ended up in the namespace was started through it, by this test.
        leftover = _ip("netns", "pids", self.name, check=False).stdout.split()
        for pid in leftover:
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
        _ip("netns", "del", self.name, check=False)
        # Deleting the namespace destroys its veth end and with it the pair; make sure.
        _ip("link", "del", self.host_interface, check=False)

    def __enter__(self) -> Namespace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
