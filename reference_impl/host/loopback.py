"""Keep ICE on loopback.

aioice gathers host candidates on every interface except 127.0.0.1. The reference host
is a local test fixture: it should offer only 127.0.0.1 (Chromium runs with
``--allow-loopback-in-peer-connection`` and reaches it), so nothing ever leaves the
machine and connectivity checks do not wait on interfaces that lead nowhere.
"""

from __future__ import annotations

import aioice.ice

__all__ = ["restrict_ice_to_loopback"]


def _loopback_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    return ["127.0.0.1"] if use_ipv4 else []


def restrict_ice_to_loopback() -> None:
    """Make every aiortc peer connection in this process gather 127.0.0.1 only.

    Process-wide: aioice looks the function up at gathering time, and it has no option for
    this. Tests that run their own aiortc far end call it too.
    """
    aioice.ice.get_host_addresses = _loopback_addresses
