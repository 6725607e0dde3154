"""Networks of a run: "other hosts" in namespaces, and where the local device sits.

:mod:`~conformance.network.netns` makes namespaces joined by veth pairs (the project's tests
run Janus and coturn in one); :mod:`~conformance.network.topology` builds the ``--network``
topologies (a home behind a NAT router, a symmetric NAT, a firewall) for the reference
target's local device.
"""

from __future__ import annotations

from conformance.network.netns import Namespace, NamespaceError, namespace_unavailable
from conformance.network.topology import (
    DEFAULT_TOPOLOGY,
    TOPOLOGIES,
    HomeNetwork,
    Topology,
    home_network,
    network_unavailable,
)

__all__ = [
    "DEFAULT_TOPOLOGY",
    "TOPOLOGIES",
    "HomeNetwork",
    "Namespace",
    "NamespaceError",
    "Topology",
    "home_network",
    "namespace_unavailable",
    "network_unavailable",
]
