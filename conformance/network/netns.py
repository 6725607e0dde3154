"""A network namespace joined to this machine by a veth pair: "another host".

Real backends (Janus, coturn, Kamailio, a PeerJS server, a far end's browser) run inside one
in the project's tests and the stacks catalog, and the ``--network``
topologies (:mod:`conformance.network.topology`) put the local device and its home router in
them. A process inside listens on the namespace's 10.x address only, which is both the honest
picture (it is on another host) and what keeps runs hermetic: nothing but this machine and
the namespaces the run created is ever addressed. Everything is removed on
:meth:`Namespace.close`, whatever happened before.

Namespaces are made before any browser starts: once per test session (:func:`reserve`,
called by the controlling pytest process; each xdist worker takes its own with
:func:`assigned`), once per catalog run (one per stack).
Adding a veth pair and its address is a network change to every Chromium on the machine:
Chromium then aborts its in-flight requests with ``net::ERR_NETWORK_CHANGED``, loopback
ones included, so a namespace made while another worker loads a page fails that page.
"""

from __future__ import annotations

import contextlib
import json
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

__all__ = [
    "NAME_PREFIX",
    "SLOTS",
    "Namespace",
    "NamespaceError",
    "assigned",
    "free_subnet",
    "ip",
    "leftovers",
    "namespace_unavailable",
    "namespaces",
    "release",
    "remove_stale",
    "reserve",
    "wait_for_tcp",
    "worker_index",
]

_IP_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 5.0
_POLL_S = 0.05
#: Attempts at a free 10.x subnet and free interface names before giving up.
_ATTEMPTS = 20
#: The environment variable through which the controlling process hands its namespaces
#: to the xdist workers it starts (they inherit its environment).
RESERVED_ENV = "MMR_TEST_NAMESPACES"
#: Every namespace the suite makes is called ``mmr-<role>-<pid>-<n>``: the pid tells
#: :func:`remove_stale` whether its maker still runs.
NAME_PREFIX = "mmr-"
_TEST_ROLE = "test"


class NamespaceError(RuntimeError):
    """A namespace or a process in it could not be set up."""


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``ip ARGS`` (bounded in time); :class:`NamespaceError` when it fails and ``check``."""
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


def _addresses_in_use(*namespaces: str) -> set[str]:
    """The ``a.b.c`` prefixes of addresses and routes here (and in ``namespaces``)."""
    out = ""
    for where in ((), *(("-n", name) for name in namespaces)):
        out += ip(*where, "-4", "-o", "addr", "show", check=False).stdout
        out += ip(*where, "-4", "route", "show", check=False).stdout
    return {field.split("/")[0].rsplit(".", 1)[0] for line in out.splitlines()
            for field in line.split() if field.count(".") == 3}


def free_subnet(seed: int, *namespaces: str) -> str:
    """A 10.x ``/30`` (``10.a.b.0``) used by no address or route here or in ``namespaces``;
    ``seed`` (a pid plus an attempt) makes concurrent callers pick different ones."""
    used = _addresses_in_use(*namespaces)
    for attempt in range(_ATTEMPTS):
        octet2, octet3 = 100 + (seed + attempt) % 150, (seed // 150 + 7 * attempt) % 256
        if f"10.{octet2}.{octet3}" not in used:
            return f"10.{octet2}.{octet3}.0"
    raise NamespaceError(f"no free 10.x subnet after {_ATTEMPTS} attempts")


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

    def __init__(self, name: str, host_interface: str, interface: str, subnet: str,
                 parent: str | None = None) -> None:
        self.name = name
        #: The namespace holding :attr:`host_interface` (``None``: this machine's own).
        self.parent = parent
        #: The veth end on this machine, and the one inside the namespace.
        self.host_interface = host_interface
        self.interface = interface
        #: ``10.a.b.c+1`` here, ``10.a.b.c+2`` in the namespace.
        prefix, last = subnet.rsplit(".", 1)
        self.host_address = f"{prefix}.{int(last) + 1}"
        self.address = f"{prefix}.{int(last) + 2}"
        self._processes: list[subprocess.Popen[bytes]] = []

    @classmethod
    def create(cls, *, wired: bool = True, role: str = _TEST_ROLE,
               parent: Namespace | None = None) -> Namespace:
        """Make a namespace, its veth pair and addresses; :class:`NamespaceError` if it fails.

        ``wired=False`` makes the namespace alone (its own loopback, no veth pair, no
        address): no network change on this machine, for tests of the mechanism itself.
        ``parent``: the pair's other end goes there instead of this machine (a home's
        device behind its router: no network change here either). ``role`` names it
        (``mmr-<role>-<pid>-<n>``; its first letter starts the interface names)."""
        reason = namespace_unavailable()
        if reason is not None:
            raise NamespaceError(reason)
        pid = os.getpid()
        for attempt in range(_ATTEMPTS):
            # Unique per process (an xdist worker), role and attempt; within IFNAMSIZ.
            tag = f"{role[0]}{pid % 100_000}{attempt:02d}"
            subnet = free_subnet(pid + attempt, *([parent.name] if parent else []))
            namespace = cls(f"{NAME_PREFIX}{role}-{pid}-{attempt}", f"h{tag}", f"n{tag}",
                            subnet, parent.name if parent else None)
            if ip("netns", "add", namespace.name, check=False).returncode != 0:
                continue
            try:
                if wired:
                    namespace._wire()
                else:
                    ip("netns", "exec", namespace.name, "ip", "link", "set", "lo", "up")
            except BaseException:
                namespace.close()
                raise
            return namespace
        raise NamespaceError(f"no free namespace name or 10.x subnet after {_ATTEMPTS} attempts")

    def _wire(self) -> None:
        outside = ("-n", self.parent) if self.parent else ()
        ip(*outside, "link", "add", self.host_interface, "type", "veth", "peer", "name", self.interface)
        ip(*outside, "link", "set", self.interface, "netns", self.name)
        ip(*outside, "addr", "add", f"{self.host_address}/30", "dev", self.host_interface)
        ip(*outside, "link", "set", self.host_interface, "up")
        inside = ("-n", self.name)
        ip(*inside, "addr", "add", f"{self.address}/30", "dev", self.interface)
        ip(*inside, "link", "set", self.interface, "up")
        ip(*inside, "link", "set", "lo", "up")
        # Another host has a default gateway: this machine, which answers for the rest of
        # the (simulated) internet, homes behind their routers included.
        ip(*inside, "route", "add", "default", "via", self.host_address)

    def spawn(self, argv: Sequence[str], *, cwd: Path, log: IO[bytes]) -> subprocess.Popen[bytes]:
        """Start ``argv`` inside the namespace (cwd ``cwd``, no core dumps, output to ``log``).

        The process is stopped by :meth:`close`."""
        process = subprocess.Popen(["ip", "netns", "exec", self.name, *argv], cwd=cwd,
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   preexec_fn=_no_core_dumps, start_new_session=True)
        self._processes.append(process)
        return process

    def describe(self) -> dict[str, str]:
        """What :meth:`from_description` needs to use this namespace in another process."""
        prefix, last = self.host_address.rsplit(".", 1)
        return {"name": self.name, "host_interface": self.host_interface,
                "interface": self.interface, "subnet": f"{prefix}.{int(last) - 1}",
                "parent": self.parent or ""}

    @classmethod
    def from_description(cls, description: dict[str, str]) -> Namespace:
        """The namespace that :meth:`describe` described (made by another process)."""
        return cls(description["name"], description["host_interface"],
                   description["interface"], description["subnet"],
                   description.get("parent") or None)

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

    def stop_processes(self) -> None:
        """Stop every process started in the namespace; the namespace itself stays."""
        for process in reversed(self._processes):
            self._stop(process)
        self._processes.clear()
        # Anything else that ended up in the namespace was started through it, by a test.
        leftover = ip("netns", "pids", self.name, check=False).stdout.split()
        for pid in leftover:
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)

    def close(self) -> None:
        """Stop every process started in the namespace, then delete it and its veth pair."""
        self.stop_processes()
        ip("netns", "del", self.name, check=False)
        # Deleting the namespace destroys its veth end and with it the pair; make sure.
        if self.host_interface:
            ip(*(("-n", self.parent) if self.parent else ()), "link", "del", self.host_interface,
               check=False)

    def __enter__(self) -> Namespace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def namespaces() -> set[str]:
    """The names of this machine's namespaces that :meth:`Namespace.create` made (any run's)."""
    listed = ip("netns", "list", check=False).stdout.splitlines()
    return {line.split(" ", 1)[0] for line in listed if line.startswith(NAME_PREFIX)}


def _owner(name: str) -> int | None:
    """The pid of the process that made namespace ``name`` (``mmr-<role>-<pid>-<n>``)."""
    parts = name.removeprefix(NAME_PREFIX).split("-")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None


def _owner_alive(name: str) -> bool | None:
    """Whether the process that made namespace ``name`` still runs (``None``: not ours to say)."""
    owner = _owner(name)
    if owner is None:
        return None
    try:
        os.kill(owner, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale() -> None:
    """Delete namespaces left by a process that no longer runs (a killed run)."""
    for name in namespaces():
        if _owner_alive(name) is False:
            Namespace(name, "", "", "10.0.0.0").close()


def leftovers(before: set[str]) -> list[str]:
    """Namespaces made since ``before`` (:func:`namespaces` at the start of a run) by a
    process that has exited without deleting them, or by this process: a run's leak. They
    are deleted (their maker is gone) and named, so that the run can fail for them."""
    left = sorted(name for name in namespaces() - before
                  if _owner(name) == os.getpid() or _owner_alive(name) is False)
    for name in left:
        Namespace(name, "", "", "10.0.0.0").close()
    return left


#: Namespaces reserved per test process: one for the fixtures' shared backends
#: (``other_host``), one for the catalog's stacks, whose launchers start their own.
SLOTS = 2


def reserve(count: int) -> list[Namespace]:
    """Make :data:`SLOTS` namespaces for each of ``count`` test processes of this session
    and hand them to the workers it starts (through :data:`RESERVED_ENV`). Call before any
    browser starts."""
    remove_stale()
    made: list[Namespace] = []
    try:
        for _ in range(count * SLOTS):
            made.append(Namespace.create())
    except BaseException:
        release(made)
        raise
    os.environ[RESERVED_ENV] = json.dumps([namespace.describe() for namespace in made])
    return made


def release(namespaces: list[Namespace]) -> list[str]:
    """Delete the reserved namespaces; the names of any that are still there afterwards."""
    for namespace in namespaces:
        namespace.close()
    os.environ.pop(RESERVED_ENV, None)
    listed = ip("netns", "list", check=False).stdout.split()
    links = ip("-o", "link", check=False).stdout
    return [namespace.name for namespace in namespaces
            if namespace.name in listed or f" {namespace.host_interface}@" in links]


def worker_index() -> int:
    """This test process's index among a session's pytest-xdist workers (``gwN``: N; 0
    without xdist): which of the things reserved for the session's workers is its own."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    return int(worker) if worker.isdigit() else 0


def assigned(slot: int = 0) -> Namespace | None:
    """This test process's reserved namespace for ``slot`` (xdist worker ``gwN`` takes the
    N-th :data:`SLOTS`), or ``None`` when the session reserved none for it."""
    try:
        reserved = json.loads(os.environ.get(RESERVED_ENV, "[]"))
    except json.JSONDecodeError:
        return None
    index = worker_index() * SLOTS + slot
    if not isinstance(reserved, list) or index >= len(reserved):
        return None
    return Namespace.from_description(reserved[index])
