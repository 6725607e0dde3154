"""ICE in the host: where it gathers, which STUN/TURN servers it uses, what it selected.

Two modes, chosen per host process (``python -m reference_impl.host --ice ...``):

- ``loopback`` (the default, and what the bundled suite runs): host candidates on 127.0.0.1
  only, and only the page's STUN/TURN servers that are themselves on loopback. Nothing
  leaves the machine, and connectivity checks never wait on interfaces that lead nowhere
  (Chromium runs with ``--allow-loopback-in-peer-connection`` and reaches 127.0.0.1).
- ``all``: like a real local device, host candidates on every interface of the machine
  (127.0.0.1 included, so a far end on loopback still works), and every STUN/TURN server
  the page configured (TURN over UDP or TCP, with its username and credential).

In both modes the page's ``iceTransportPolicy`` is honoured (``relay``: relay candidates
only, none without a TURN server), and the candidates the page sees are the ones aioice
gathered. The page's configuration itself stays in the shim for ``getConfiguration()``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, cast

import aioice.ice
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection
from aiortc.rtcconfiguration import RTCIceTransportPolicy

__all__ = [
    "ICE_MODES",
    "IceMode",
    "ice_view",
    "restrict_ice_to_loopback",
    "rtc_configuration",
    "use_ice_mode",
]

IceMode = Literal["loopback", "all"]
#: The modes, the hermetic default first.
ICE_MODES: tuple[IceMode, ...] = ("loopback", "all")

# aioice reads its host addresses through this module-level function at gathering time
# and has no option for it, so the mode is process-wide: one host process, one mode.
_machine_addresses = aioice.ice.get_host_addresses
_mode: IceMode = "all"

# The host part of a stun:/turn: URL (RFC 7064/7065): a bracketed IPv6 literal or a name.
_URL_HOST = re.compile(r"^(?:stuns?|turns?):(?:\[(?P<v6>[^\]]+)\]|(?P<host>[^:?]+))", re.IGNORECASE)


def _loopback_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    return ["127.0.0.1"] if use_ipv4 else []


def _in_a_named_namespace() -> bool:
    """Whether this thread runs in a network namespace made with ``ip netns`` (a host of
    its own, such as a home's device) rather than the machine's stack: the test
    ``ip netns identify`` makes (the same namespace inode as a ``/var/run/netns`` entry)."""
    try:
        own = os.stat("/proc/thread-self/ns/net")
        return any((entry.stat().st_dev, entry.stat().st_ino) == (own.st_dev, own.st_ino)
                   for entry in Path("/var/run/netns").iterdir())
    except OSError:  # no procfs or no named namespaces: the machine's stack
        return False


def _all_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    # aioice leaves 127.0.0.1 out; a local device that also reaches a far end on loopback
    # (the harness's own) needs it, as Chromium offers it with the loopback flag. A device
    # in a namespace of its own (a home) has nothing to reach there, and aioice would also
    # ask the page's STUN server from that socket: unanswerable, it held every gathering
    # for aioice's whole 5 s bound.
    found = _machine_addresses(use_ipv4=use_ipv4, use_ipv6=use_ipv6)
    loopback = use_ipv4 and not _in_a_named_namespace()
    return [*(["127.0.0.1"] if loopback else []), *found]


def use_ice_mode(mode: IceMode) -> None:
    """Gather in ``mode`` for every aiortc peer connection of this process from now on."""
    global _mode
    if mode not in ICE_MODES:
        raise ValueError(f"unknown ICE mode {mode!r}; expected one of {', '.join(ICE_MODES)}")
    _mode = mode
    aioice.ice.get_host_addresses = _loopback_addresses if mode == "loopback" else _all_addresses


@contextlib.contextmanager
def restrict_ice_to_loopback() -> Iterator[None]:
    """``use_ice_mode("loopback")`` inside the block, then this process gathers as before:
    what tests that run their own aiortc far end use. Left on, it would reach every later
    aiortc peer of the process (a test worker's far ends for a home network among them,
    which then offer only 127.0.0.1, unreachable from the home's namespaces)."""
    global _mode
    before = (_mode, aioice.ice.get_host_addresses)
    use_ice_mode("loopback")
    try:
        yield
    finally:
        _mode, aioice.ice.get_host_addresses = before


def _url_on_loopback(url: str) -> bool:
    match = _URL_HOST.match(url)
    if match is None:
        return False
    host = match.group("v6") or match.group("host")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a DNS name: it could resolve anywhere
        return False


def _servers(configuration: dict[str, Any], mode: IceMode) -> list[RTCIceServer]:
    servers = []
    for server in configuration.get("iceServers") or []:
        if not isinstance(server, dict):
            continue
        urls = [str(u) for u in ([server.get("urls")] if isinstance(server.get("urls"), str)
                                 else server.get("urls") or [])]
        if mode == "loopback":
            urls = [u for u in urls if _url_on_loopback(u)]
        if urls:
            servers.append(RTCIceServer(urls=urls, username=server.get("username") or None,
                                        credential=server.get("credential") or None))
    return servers


def rtc_configuration(configuration: dict[str, Any] | None,
                      mode: IceMode | None = None) -> RTCConfiguration:
    """The aiortc configuration for the page's (shim-validated) ``RTCConfiguration``, in
    ``mode`` (default: this process's).

    Never ``iceServers=None``: aiortc would then add a public STUN server of its own.
    """
    configuration = configuration or {}
    policy = (RTCIceTransportPolicy.RELAY if configuration.get("iceTransportPolicy") == "relay"
              else RTCIceTransportPolicy.ALL)
    return RTCConfiguration(iceServers=_servers(configuration, mode or _mode),
                            iceTransportPolicy=policy)


def _candidate(candidate: Any) -> dict[str, Any]:
    return {"type": candidate.type, "protocol": candidate.transport, "address": candidate.host,
            "port": candidate.port, "relatedAddress": candidate.related_address}


def ice_view(pc: RTCPeerConnection) -> dict[str, Any]:
    """What ICE did for ``pc``: the mode, the local candidates and the selected pair of each
    transport (``None`` until one is nominated). Secrets (TURN credentials) stay out."""
    transports: dict[int, Any] = {}
    dtls = [t.sender.transport for t in pc.getTransceivers()]
    if pc.sctp is not None:
        dtls.append(pc.sctp.transport)
    for transport in dtls:
        if transport is not None:
            transports.setdefault(id(transport.transport), transport.transport)
    view = []
    for ice in transports.values():
        connection = ice._connection  # aiortc keeps the aioice Connection here
        # aioice exposes no selected pair; its nominated pairs per component are the truth.
        nominated = cast("dict[int, Any]", getattr(connection, "_nominated", {}))
        pair = nominated.get(1)
        view.append({
            "state": ice.state,
            "localCandidates": [_candidate(c) for c in connection.local_candidates],
            "selectedPair": None if pair is None else {
                "local": _candidate(pair.local_candidate),
                "remote": _candidate(pair.remote_candidate),
            },
        })
    return {"iceMode": _mode, "iceTransports": view}
