"""The far end behind a NAT of its own: the peer-to-peer case of "The local device is another
host" (its point 4). Real NATs (the worker's two homes: the local device's and the far
end's), real coturn on "the internet" (the worker's other host), real aiortc peers whose
sockets are made inside the homes' namespaces; the sample app certified on native Chromium
and on the reference. Skipped where namespaces cannot be made."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.backends.janus import OtherHost
from conformance.certify import certify, load_profile
from conformance.certify.report.facts import facts
from conformance.certify.session.networks import call_networks
from conformance.network import netns, topology
from conformance.network.nsloop import NamespaceLoop
from conformance.network.topology import HomeNetwork, no_path_reason
from conformance.parties.placed import FarEndSite, NamespacedParty
from conformance.targets import TargetOptions

# Homes are shared per worker and switched per test (see test_network_verdicts.py).
pytestmark = pytest.mark.xdist_group("network")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "conformance" / "apps" / "sample" / "profile.yaml"
CONE, SYMMETRIC = topology.topology("home"), topology.topology("symmetric-nat")
#: A direct or relayed path connects in about a second here. (Where none exists aioice
#: retransmits its checks for over a minute before it fails: the failing case is the sample
#: app's certification below, whose call never comes up within the profile's bound.)
_CONNECT_S = 20.0
_POLL_S = 0.1


# --- why no path: pure logic ---------------------------------------------------------------
def test_the_reason_names_both_nats_peer_to_peer() -> None:
    both_symmetric = no_path_reason(SYMMETRIC, {"host", "srflx"}, SYMMETRIC)
    assert both_symmetric is not None
    assert both_symmetric == (
        "peer to peer, the local device sits behind a symmetric NAT and the far end behind a "
        "symmetric NAT: a symmetric NAT facing a port-restricted or symmetric one leaves no "
        "direct path, and the app configures no TURN server")
    facing_cone = no_path_reason(CONE, {"host", "srflx"}, SYMMETRIC)
    assert facing_cone is not None
    assert "behind a port-restricted cone NAT and the far end behind a symmetric" in facing_cone
    # Two cones need STUN to find each other; with it, the topology explains nothing more.
    no_stun = no_path_reason(CONE, {"host"}, CONE)
    assert no_stun is not None and "without a STUN server neither end learns its public address" in no_stun
    # A relay was there: the networks do not explain the failure.
    assert no_path_reason(SYMMETRIC, {"host", "srflx", "relay"}, SYMMETRIC) is None
    # A far end in the data centre: the reasons of a home alone, as before.
    alone = no_path_reason(SYMMETRIC, {"host"}, None)
    assert alone is not None and alone.startswith("from behind a symmetric NAT")


# --- a loop inside a namespace ---------------------------------------------------------------
async def _bound_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


def test_a_loop_inside_a_namespace_makes_its_sockets_there() -> None:
    if netns.namespace_unavailable() is not None:
        pytest.skip(netns.namespace_unavailable())
    home = HomeNetwork.inherited(far_end=True)
    if home is None:
        pytest.skip("the session made no far end's host")

    async def main() -> None:
        with NamespaceLoop(home.device.name) as loop:
            # The far end's private address exists in its namespace only.
            assert await loop.run(_bound_port(home.device.address)) > 0
            with pytest.raises(OSError):
                await _bound_port(home.device.address)
        with pytest.raises(netns.NamespaceError, match="could not enter namespace mmr-no-such-namespace"):
            NamespaceLoop("mmr-no-such-namespace").start()

    asyncio.run(main())


# --- peer to peer through two NATs: aiortc on both sides -------------------------------------
def _back_to_cones() -> None:
    """The worker's two homes as the session made them (other tests expect cone NATs)."""
    for far in (False, True):
        HomeNetwork.inherited(far_end=far).use(CONE)  # type: ignore[union-attr]


@contextlib.contextmanager
def _networks(tmp_path: Path, device: str, far_end: str,
              servers: list[dict[str, Any]]) -> Iterator[tuple[FarEndSite, HomeNetwork]]:
    if topology.network_unavailable("home") is not None or HomeNetwork.inherited() is None:
        pytest.skip(topology.network_unavailable("home") or "the session made no home network")
    try:
        with call_networks(tmp_path, network=device, impair=None, far_end_network=far_end,
                           turn=None, ice_servers=servers) as site:
            home = HomeNetwork.inherited()
            assert home is not None
            yield site, home
    finally:
        _back_to_cones()


async def _call(site: FarEndSite, device: HomeNetwork) -> tuple[str, dict[str, Any] | None, float]:
    """A call from an aiortc peer on the local device to the far end: the far end's state
    once connected (or after :data:`_CONNECT_S`), its selected pair, how long it took."""
    with NamespaceLoop(device.device.name) as near_loop:
        near = await NamespacedParty.create(near_loop, 1000.0, echo=False, impairment=None,
                                            ice_servers=site.ice_servers)
        try:
            far = await site.party(None)
            try:
                started = time.monotonic()
                await near.accept(await far.answer(await near.offer()))
                stats: dict[str, Any] = {}
                while time.monotonic() - started < _CONNECT_S:
                    stats = await far.stats()
                    if stats["connectionState"] in ("connected", "failed"):
                        break
                    await asyncio.sleep(_POLL_S)  # polling the far end's state, bounded above
                return (str(stats.get("connectionState")), stats.get("selectedPair"),
                        time.monotonic() - started)
            finally:
                await far.close()
        finally:
            await near.close()


def test_two_cone_nats_punch_through_with_stun(tmp_path: Path, other_host: OtherHost) -> None:
    with _networks(tmp_path, "home", "home", other_host.turn.stun_servers()) as (site, home):
        state, pair, _ = asyncio.run(_call(site, home))
    assert state == "connected"
    assert pair is not None
    # The far end's own private address, towards the device's public one: no relay.
    assert pair["local"]["type"] == "host" and pair["remote"]["type"] in ("srflx", "prflx")
    assert pair["remote"]["address"] == home.router.address


def test_two_symmetric_nats_connect_through_turn(tmp_path: Path, other_host: OtherHost) -> None:
    servers = [*other_host.turn.stun_servers(), *other_host.turn.ice_servers("udp")]
    with _networks(tmp_path, "symmetric-nat", "symmetric-nat", servers) as (site, home):
        state, pair, _ = asyncio.run(_call(site, home))
    assert state == "connected"
    assert pair is not None and "relay" in (pair["local"]["type"], pair["remote"]["type"])


# --- the sample app, peer to peer ------------------------------------------------------------
def test_the_sample_app_peer_to_peer(tmp_path: Path, other_host: OtherHost) -> None:
    """The far end behind a port-restricted cone NAT, STUN offered, no TURN: natively (the
    browser in the data centre) the call connects; from a home behind a symmetric NAT it
    cannot, and call-connects says why; with TURN it does, through a relay."""
    if topology.network_unavailable("home") is not None or HomeNetwork.inherited() is None:
        pytest.skip(topology.network_unavailable("home") or "the session made no home network")
    options = dataclasses.replace(TargetOptions(), network="symmetric-nat")
    try:
        cert = asyncio.run(certify(load_profile(SAMPLE), ("native", "reference"), run_id="test-p2p",
                                   options=options, far_end_network="home",
                                   ice_servers=other_host.turn.stun_servers()))
        relayed = asyncio.run(certify(
            load_profile(SAMPLE), ("reference",), run_id="test-p2p-turn", options=options,
            far_end_network="home",
            ice_servers=[*other_host.turn.stun_servers(), *other_host.turn.ice_servers("udp")]))
    finally:
        _back_to_cones()
    assert cert.result("call-connects", "native").verdict == "pass"  # type: ignore[union-attr]
    connects = cert.told("call-connects", "reference")
    assert cert.result("call-connects", "reference").verdict == "fail", connects  # type: ignore[union-attr]
    assert ("peer to peer, the local device sits behind a symmetric NAT and the far end behind a "
            "port-restricted cone NAT: a symmetric NAT facing a port-restricted or symmetric one "
            "leaves no direct path, and the app configures no TURN server") in connects
    shown = dict(facts(cert))
    assert shown["Far end"] == ("its own host, in a home behind a NAT router with "
                                "endpoint-independent mapping")
    with_turn = relayed.told("call-connects", "reference")
    assert relayed.result("call-connects", "reference").verdict == "pass", with_turn  # type: ignore[union-attr]
    assert f"relay {other_host.turn.address}:" in with_turn
    # The TURN server's credential never reaches the certificate.
    assert other_host.turn.credential not in json.dumps(relayed.to_json())
