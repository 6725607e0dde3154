"""The networks of one certification: where the local device and the far end sit, and the
ICE servers the run offers them.

Made in this order, before any browser starts (each is a network change Chromium would see):
coturn on "the internet" when the run offers STUN/TURN (``--far-end-network``, ``--turn``;
first, so that the homes forward to it), the local device's home (``--network``), the far
end's host behind a NAT of its own (``--far-end-network``) with the loop its far ends run
on. Everything goes at the end, on failure too (each part's own context manager).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.backends.internet import internet_ice_servers
from conformance.network.netns import NamespaceError
from conformance.network.nsloop import NamespaceLoop
from conformance.network.topology import DEFAULT_TOPOLOGY, home_network, network_unavailable, topology
from conformance.parties.placed import FarEndSite

__all__ = ["call_networks"]


@contextlib.contextmanager
def call_networks(scratch: Path, *, network: str, impair: str | None, far_end_network: str | None,
                  turn: str | None, ice_servers: list[dict[str, Any]] | None) -> Iterator[FarEndSite]:
    """The run's networks; yields where the far end sits and the ICE servers it and the
    app use (``ice_servers`` given: those, and the run starts no coturn of its own)."""
    far_name = far_end_network or DEFAULT_TOPOLOGY
    far = topology(far_name)
    if far.nat is not None and (reason := network_unavailable(far_name)) is not None:
        raise NamespaceError(f"--far-end-network {far_name}: {reason}")
    with contextlib.ExitStack() as stack:
        servers = ice_servers
        if servers is None:
            servers = (stack.enter_context(internet_ice_servers(scratch, turn))
                       if far.nat is not None or turn is not None else [])
        stack.enter_context(home_network(network, impair))
        far_home = stack.enter_context(home_network(far_name, far_end=True))
        if far_home is None:
            yield FarEndSite(list(servers))
            return
        loop = stack.enter_context(NamespaceLoop(far_home.device.name))
        yield FarEndSite(list(servers), far, loop)
