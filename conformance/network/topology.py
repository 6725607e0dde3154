"""Where the local device sits: ``--network NAME`` (and ``network:`` in a profile).

Under call redirection the page runs in a data centre and the media leaves from the user's
local device, usually in a home behind a NAT router. ``same-host`` is today's picture (the
reference host shares this machine's network stack); the others put the reference host in a
namespace of its own (the *device*) behind a *router* namespace wired to this machine, which
stands for the internet (the app's backends, in their namespaces, and the harness's far end):

```
 this machine (data centre + internet) --veth-- router (NAT, firewall) --veth-- device (host)
```

- ``home``: the router masquerades with endpoint-independent mapping (Linux keeps a flow's
  source port when it can: a "cone" mapping; filtering stays address- and port-dependent).
- ``symmetric-nat``: ``MASQUERADE --random-fully``: every flow gets a random port.
- ``firewalled``: only TCP to port 443 leaves the home (TURN over TCP/TLS is the only way out).

The page's channel to the host (the remote desktop's virtual channel) crosses the router as
the remote desktop connection does: TCP from the data centre's end of the router's link to
the device is let through. Nothing else from outside reaches the device unless the device
sent to it first (conntrack), so a far end learns the device only through the NAT.

Everything is made by the run and removed by :meth:`HomeNetwork.close`, on failure too;
:meth:`HomeNetwork.leftovers` names whatever survived, and a leftover fails the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from conformance.network.impair import Impairment, preset
from conformance.network.netns import (
    Namespace,
    NamespaceError,
    ip,
    namespace_unavailable,
    remove_stale,
    worker_index,
)

__all__ = [
    "DEFAULT_TOPOLOGY",
    "FAR_END_NETWORK_ENV",
    "NATIVE_WHERE",
    "NETWORK_ENV",
    "TOPOLOGIES",
    "HomeNetwork",
    "Topology",
    "home_network",
    "network_unavailable",
    "no_path_reason",
    "release_homes",
    "reserve_homes",
    "topology",
]

_TIMEOUT_S = 10.0
#: The environment variable through which a run's controlling process hands its home
#: network to the processes it starts (pytest-xdist workers inherit its environment).
NETWORK_ENV = "MMR_HOME_NETWORK"
#: The same for the far end's own network (``--far-end-network``).
FAR_END_NETWORK_ENV = "MMR_FAR_END_NETWORK"
#: The homes a test session made for its workers, before their browsers started
#: (:func:`reserve_homes`); worker ``gwN`` takes the N-th.
RESERVED_HOMES_ENV = "MMR_TEST_HOMES"
#: The far ends' hosts behind their own NATs the session made the same way.
RESERVED_FAR_HOMES_ENV = "MMR_TEST_FAR_HOMES"
#: The namespaces' roles (their first letters start interface names: all different) of a
#: local device's home, and of a far end's host behind its own NAT.
_ROLES = {False: ("router", "device"), True: ("gateway", "farend")}
#: The port TURN servers that serve firewalled homes listen on (TCP, like HTTPS).
FIREWALL_OPEN_PORT = 443


@dataclass(frozen=True)
class Topology:
    """One ``--network`` choice: the router's NAT and firewall, and what a certificate says."""

    name: str
    #: ``None``: no home (the host shares this machine's stack); ``cone`` or ``symmetric``.
    nat: str | None
    #: Only TCP to :data:`FIREWALL_OPEN_PORT` leaves the home.
    firewalled: bool
    #: Where the local device's media leaves from, for the certificate.
    where: str


TOPOLOGIES: dict[str, Topology] = {t.name: t for t in (
    Topology("same-host", None, False,
             "the data centre's own network stack (no NAT): the reference host shares the "
             "page's machine"),
    Topology("home", "cone", False,
             "a home behind a NAT router with endpoint-independent mapping"),
    Topology("symmetric-nat", "symmetric", False,
             "a home behind a symmetric NAT (a random port per flow: MASQUERADE --random-fully)"),
    Topology("firewalled", "cone", True,
             f"a home whose firewall lets only TCP to port {FIREWALL_OPEN_PORT} out"),
)}
DEFAULT_TOPOLOGY = "same-host"
#: Where a native target's media leaves from, whatever the topology.
NATIVE_WHERE = "the data centre (no NAT): the browser's own network stack"


def topology(name: str) -> Topology:
    """The topology called ``name``; :class:`ValueError` naming the known ones."""
    try:
        return TOPOLOGIES[name]
    except KeyError:
        raise ValueError(f"unknown network {name!r} (known: {', '.join(TOPOLOGIES)})") from None


#: What each NAT is called in a reason: Linux's endpoint-independent mapping filters by
#: address and port (conntrack), which makes it a port-restricted cone.
_NAT_KIND = {"cone": "a port-restricted cone NAT", "symmetric": "a symmetric NAT"}


def no_path_reason(chosen: Topology, local_types: set[str],
                   far_end: Topology | None = None) -> str | None:
    """Why a local device in ``chosen`` found no path to the far end, given the types of
    the candidates it gathered (``relay``: it had a TURN server); ``None`` when the
    topology explains nothing (no home, or a relay was there and failed anyway).

    ``far_end``: the far end's own network when it sits behind a NAT too (peer to peer):
    two NATs whose filtering drops the other's first packets, one of them symmetric (its
    mapping for the peer is not the one STUN saw), leave no direct path; two cones punch
    through with STUN (``srflx`` candidates) and fail only without it."""
    if chosen.nat is None or "relay" in local_types:
        return None
    if far_end is not None and far_end.nat is not None and not chosen.firewalled:
        pair = (f"the local device sits behind {_NAT_KIND[chosen.nat]} and the far end behind "
                f"{_NAT_KIND[far_end.nat]}")
        if "symmetric" in (chosen.nat, far_end.nat):
            return (f"peer to peer, {pair}: a symmetric NAT facing a port-restricted or symmetric "
                    "one leaves no direct path, and the app configures no TURN server")
        if "srflx" not in local_types:
            return (f"peer to peer, {pair}: without a STUN server neither end learns its public "
                    "address, and the app configures no TURN server")
        return f"peer to peer, {pair}, and the app configures no TURN server"
    if chosen.firewalled:
        return ("from a home network that blocks UDP the local device found no path to the "
                "backend: the app configures no TURN server reachable over TCP/TLS")
    if chosen.nat == "symmetric":
        return ("from behind a symmetric NAT the local device found no path to the far end: "
                "the app configures no TURN server (a symmetric NAT facing a port-restricted "
                "or symmetric one needs a relay)")
    return ("from behind the home's NAT the local device found no path to the far end, and "
            "the app configures no TURN server")


def network_unavailable(name: str) -> str | None:
    """Why topology ``name`` cannot be made here (``None`` when it can, or needs nothing)."""
    if topology(name).nat is None:
        return None
    reason = namespace_unavailable()
    if reason is None and shutil.which("iptables") is None:
        reason = "the `iptables` command is not installed (Debian package iptables)"
    return reason


def _run(argv: Sequence[str]) -> None:
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=_TIMEOUT_S,
                          check=False, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise NamespaceError(f"`{' '.join(argv)}` failed: {done.stderr.strip()}")


def _veths_here() -> list[str]:
    out = ip("-o", "link", "show", "type", "veth", check=False).stdout
    return [line.split(":")[1].strip().split("@")[0] for line in out.splitlines() if ":" in line]


def _forwarding(interface: str) -> Path:
    return Path(f"/proc/sys/net/ipv4/conf/{interface}/forwarding")


class HomeNetwork:
    """The router and device namespaces of one topology, made by one run."""

    def __init__(self, topology_: Topology, router: Namespace, device: Namespace,
                 forwarding: dict[str, str] | None = None, *, owner: bool = True) -> None:
        self.topology = topology_
        #: Wired to this machine: ``router.address`` is the home's public (WAN) address.
        self.router = router
        #: Wired to the router: ``device.address`` is the local device's private address.
        self.device = device
        #: This machine's interfaces whose forwarding the run turned on, and their old value.
        self._forwarding = dict(forwarding or {})
        #: Only the process that made the network removes it (workers only use it).
        self._owner = owner
        self._impairment: Impairment | None = None
        self._inherited_impairment: dict[str, object] | None = None

    # --- making and removing -------------------------------------------------------------
    @classmethod
    def create(cls, name: str, *, far_end: bool = False) -> HomeNetwork:
        """Make the home of topology ``name``; :class:`NamespaceError` if it cannot be made.
        ``far_end``: the far end's host behind a NAT of its own (the same picture, its own
        namespace names).

        A network change on this machine (a veth pair, a route): make it before browsers
        start, as Chromium aborts its in-flight requests on one."""
        chosen = topology(name)
        if chosen.nat is None:
            raise ValueError(f"topology {name!r} has no home network")
        reason = network_unavailable(name)
        if reason is not None:
            raise NamespaceError(reason)
        remove_stale()  # a killed run's homes go first
        router_role, device_role = _ROLES[far_end]
        router = Namespace.create(role=router_role)
        network: HomeNetwork | None = None
        try:
            device = Namespace.create(role=device_role, parent=router)
            network = cls(chosen, router, device)
            network._configure()
        except BaseException:
            if network is not None:
                network.close()
            else:
                router.close()
            raise
        return network

    def _in_router(self, *argv: str) -> None:
        _run(["ip", "netns", "exec", self.router.name, *argv])

    def _configure(self) -> None:
        router, device = self.router, self.device
        # The device reaches everything through its router; the router through this machine.
        ip("-n", device.name, "route", "replace", "default", "via", device.host_address)
        self._in_router("sysctl", "-qw", "net.ipv4.ip_forward=1")
        # This machine reaches the device's address through the router (the page's channel
        # only: the router's filter lets nothing else in), and forwards the home's packets
        # to the backends' namespaces and back. Forwarding is turned on per interface (IPv4
        # honours the incoming interface's flag), never for the machine's own uplinks.
        ip("route", "add", f"{device.address}/32", "via", router.address)
        for interface in [router.host_interface, *_veths_here()]:
            flag = _forwarding(interface)
            if interface in self._forwarding or not flag.exists():
                continue
            self._forwarding[interface] = flag.read_text().strip()
            flag.write_text("1")
        self.use(self.topology)

    def use(self, topology_: Topology) -> None:
        """Make the router behave as ``topology_`` says (its NAT and filter rules only: no
        network change on this machine, so a test session switches one home per test)."""
        if topology_.nat is None:
            raise ValueError(f"topology {topology_.name!r} has no home network")
        router, device = self.router, self.device
        wan, lan = router.interface, device.host_interface
        self._in_router("iptables", "-t", "nat", "-F", "POSTROUTING")
        self._in_router("iptables", "-F", "FORWARD")
        masquerade = ["iptables", "-t", "nat", "-A", "POSTROUTING", "-o", wan, "-j", "MASQUERADE"]
        if topology_.nat == "symmetric":
            masquerade.append("--random-fully")
        self._in_router(*masquerade)
        # Nothing unsolicited reaches the router itself either, and dropped before conntrack
        # confirms it: a peer's first check to the public port (before the device has sent to
        # that peer) would otherwise leave an entry that takes the port, and the device's own
        # packet to the peer would then be mapped to another one (as a symmetric NAT does):
        # hole punching between two cone NATs fails on Linux without this, never at home.
        self._in_router("iptables", "-F", "INPUT")
        self._in_router("iptables", "-A", "INPUT", "-i", wan, "-m", "conntrack", "--ctstate",
                        "ESTABLISHED,RELATED", "-j", "ACCEPT")
        self._in_router("iptables", "-A", "INPUT", "-i", wan, "-j", "DROP")
        self._in_router("iptables", "-P", "FORWARD", "DROP")
        self._in_router("iptables", "-A", "FORWARD", "-m", "conntrack", "--ctstate",
                        "ESTABLISHED,RELATED", "-j", "ACCEPT")
        out = ["iptables", "-A", "FORWARD", "-i", lan, "-o", wan]
        if topology_.firewalled:
            out += ["-p", "tcp", "--dport", str(FIREWALL_OPEN_PORT)]
        self._in_router(*out, "-j", "ACCEPT")
        # The page's channel (the remote desktop's virtual channel, carried by its
        # connection): TCP from the data centre's end of the link to the device. Nothing
        # else comes in unless the device sent to it first (conntrack, above).
        self._in_router("iptables", "-A", "FORWARD", "-i", wan, "-o", lan, "-p", "tcp", "--syn",
                        "-s", router.host_address, "-d", device.address, "-j", "ACCEPT")
        self.topology = topology_

    def impair(self, name: str) -> Impairment:
        """Apply impairment preset ``name`` to the device's access link (the router's two
        sides); :meth:`Impairment.remove` (or :meth:`close`) undoes it."""
        self.unimpair()
        self._impairment = Impairment(self.router.name, {
            "up": self.router.interface, "down": self.device.host_interface}, preset(name)).apply()
        return self._impairment

    def unimpair(self) -> None:
        """Remove the impairment :meth:`impair` applied, if any."""
        if self._impairment is not None:
            self._impairment.remove()
            self._impairment = None

    def close(self) -> None:
        """Remove everything the run made (processes, namespaces, pairs, the route, the
        forwarding flags it set); never raises. Only the process that made it removes it."""
        self.unimpair()
        if not self._owner:
            return
        ip("route", "del", f"{self.device.address}/32", check=False)
        for interface, old in self._forwarding.items():
            with contextlib.suppress(OSError):
                _forwarding(interface).write_text(old)
        self.device.close()
        self.router.close()

    def leftovers(self) -> list[str]:
        """What :meth:`close` should have removed and is still there (empty when clean)."""
        left = []
        listed = ip("netns", "list", check=False).stdout.split()
        left += [f"namespace {n.name}" for n in (self.router, self.device) if n.name in listed]
        if f" {self.router.host_interface}@" in ip("-o", "link", check=False).stdout:
            left.append(f"interface {self.router.host_interface}")
        if self.device.address in ip("-4", "route", "show", check=False).stdout.split():
            left.append(f"route to {self.device.address}")
        for interface, old in self._forwarding.items():
            flag = _forwarding(interface)
            if flag.exists() and flag.read_text().strip() != old:
                left.append(f"forwarding on {interface}")
        return left

    def __enter__(self) -> HomeNetwork:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- using it from other processes ---------------------------------------------------
    def describe(self) -> str:
        """What :meth:`from_description` needs (JSON), for :data:`NETWORK_ENV`."""
        return json.dumps(self._description())

    def _description(self) -> dict[str, Any]:
        return {"topology": self.topology.name, "router": self.router.describe(),
                "device": self.device.describe(), "impairment": self.impairment}

    @property
    def impairment(self) -> dict[str, object] | None:
        """The impairment on the device's access link (its figures and the path that ran)."""
        if self._impairment is not None:
            return self._impairment.describe()
        return self._inherited_impairment

    @classmethod
    def from_description(cls, text: str) -> HomeNetwork:
        """The home another process made and :meth:`describe` d (this one never removes it)."""
        data: dict[str, Any] = json.loads(text)
        home = cls(topology(data["topology"]), Namespace.from_description(data["router"]),
                   Namespace.from_description(data["device"]), owner=False)
        home._inherited_impairment = data.get("impairment")
        return home

    @classmethod
    def inherited(cls, *, far_end: bool = False) -> HomeNetwork | None:
        """The home this process's parent made for the run (:data:`NETWORK_ENV`), if any;
        ``far_end``: the far end's host (:data:`FAR_END_NETWORK_ENV`)."""
        text = os.environ.get(FAR_END_NETWORK_ENV if far_end else NETWORK_ENV)
        if text:
            return cls.from_description(text)
        try:
            reserved = json.loads(os.environ.get(RESERVED_FAR_HOMES_ENV if far_end
                                                 else RESERVED_HOMES_ENV, "[]"))
        except json.JSONDecodeError:
            return None
        index = worker_index()
        if not isinstance(reserved, list) or index >= len(reserved):
            return None
        return cls.from_description(json.dumps(reserved[index]))

    def command(self) -> list[str]:
        """The prefix that runs a command on the local device."""
        return ["ip", "netns", "exec", self.device.name]

    def spawn(self, argv: Sequence[str], *, cwd: Path, log: IO[bytes]) -> subprocess.Popen[bytes]:
        """Start ``argv`` on the local device; stopped by :meth:`close`."""
        return self.device.spawn(argv, cwd=cwd, log=log)


@contextlib.contextmanager
def home_network(name: str, impair: str | None = None, *,
                 far_end: bool = False) -> Iterator[HomeNetwork | None]:
    """The home network of topology ``name`` for one run (``None`` for ``same-host``).

    Made now (before the run's browsers start), handed to the processes the run starts
    through :data:`NETWORK_ENV`, removed at the end however the run ends; a leftover raises
    :class:`NamespaceError` naming it (unless the run is already failing). Where homes
    cannot be made here, ``None``: the reference target is then unavailable, with the reason.
    ``impair``: an impairment preset on the device's access link for the whole run.
    ``far_end``: the far end's host behind a NAT of its own instead (through
    :data:`FAR_END_NETWORK_ENV`; never impaired: ``--impair`` is the device's link)."""
    if impair is not None and topology(name).nat is None:
        raise ValueError(f"--impair {impair} needs a home network (--network home, "
                         "symmetric-nat or firewalled): same-host has no access link")
    if topology(name).nat is None or network_unavailable(name) is not None:
        yield None  # the reference target says why it cannot run (``network_unavailable``)
        return
    variable = FAR_END_NETWORK_ENV if far_end else NETWORK_ENV
    given = HomeNetwork.inherited(far_end=far_end)
    if given is not None:
        # A home made for this process beforehand (a test session makes one per worker
        # before its browsers start): switched to this topology, and left in place.
        before = os.environ.get(variable)
        given.use(topology(name))
        if impair is not None:
            given.impair(impair)
        os.environ[variable] = given.describe()
        try:
            yield given
        finally:
            given.unimpair()
            if before is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = before
        return
    network = HomeNetwork.create(name, far_end=far_end)
    failed = False
    try:
        if impair is not None:
            network.impair(impair)
        os.environ[variable] = network.describe()
        yield network
    except BaseException:
        failed = True
        raise
    finally:
        os.environ.pop(variable, None)
        network.close()
        left = network.leftovers()
        if left and not failed:
            raise NamespaceError(f"the run left behind: {', '.join(left)}")


def reserve_homes(count: int) -> list[HomeNetwork]:
    """Make ``count`` homes for a test session's workers (before any browser starts) and
    hand them down (:data:`RESERVED_HOMES_ENV`); each test switches its worker's home to
    the topology it wants (:meth:`HomeNetwork.use`) with no network change. Each worker
    also gets a far end's host behind a NAT of its own (:data:`RESERVED_FAR_HOMES_ENV`)."""
    made: list[HomeNetwork] = []
    try:
        for far_end in (False, True):
            for _ in range(count):
                made.append(HomeNetwork.create("home", far_end=far_end))
    except BaseException:
        release_homes(made)
        raise
    homes = [home._description() for home in made]
    os.environ[RESERVED_HOMES_ENV] = json.dumps(homes[:count])
    os.environ[RESERVED_FAR_HOMES_ENV] = json.dumps(homes[count:])
    return made


def release_homes(homes: list[HomeNetwork]) -> list[str]:
    """Remove the reserved homes; what is left of them afterwards."""
    left = []
    # Newest first, each checked at once: a later home saw the forwarding flags an earlier
    # one had turned on, and restores them to that before the earlier one restores its own.
    for home in reversed(homes):
        home.close()
        left += home.leftovers()
    os.environ.pop(RESERVED_HOMES_ENV, None)
    os.environ.pop(RESERVED_FAR_HOMES_ENV, None)
    return left
