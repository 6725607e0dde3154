"""STUN and TURN on "the internet": what a run offers an app with ``--far-end-network`` or
``--turn``.

Two peers behind NATs learn their public addresses from a STUN server and, where no direct
path exists, relay through TURN; both must sit where either NAT reaches them. This machine
stands for the internet (:mod:`conformance.network.topology`), so the run starts Debian's
coturn in a namespace of its own wired to it (listening on that namespace's 10.x address
only, one long-term credential made for the run) before the homes are made (they turn on
forwarding for the veths that exist then), and removes it at the end, on failure too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.backends.janus import Turn, start_turn
from conformance.network.netns import Namespace, NamespaceError
from conformance.setup import ensure_test_backends

__all__ = ["TURN_TRANSPORTS", "internet_ice_servers", "offered"]

#: How ``--turn`` offers the relay: TURN over UDP, or over TCP (port 443, like HTTPS).
TURN_TRANSPORTS = ("udp", "tcp")


def offered(server: Turn, turn: str | None) -> list[dict[str, Any]]:
    """The ``iceServers`` the run offers: STUN, and TURN over ``turn`` when asked."""
    if turn is not None and turn not in TURN_TRANSPORTS:
        raise ValueError(f"unknown TURN transport {turn!r} (known: {', '.join(TURN_TRANSPORTS)})")
    return [*server.stun_servers(), *(server.ice_servers(turn) if turn else [])]


@contextlib.contextmanager
def internet_ice_servers(scratch: Path, turn: str | None) -> Iterator[list[dict[str, Any]]]:
    """coturn on "the internet" for one run: yields the ``iceServers`` it offers;
    :class:`NamespaceError` naming what is missing when it cannot run here."""
    if "coturn" in ensure_test_backends(install=False):
        raise NamespaceError("Debian's coturn package is not installed (scripts/bootstrap.sh "
                             "installs it as root on Debian): the run offers STUN and TURN with it")
    folder = scratch / "internet"
    folder.mkdir()
    with Namespace.create(role="internet") as namespace:
        yield offered(start_turn(namespace, folder), turn)
