"""Verdicts that say why: the Janus AudioBridge demo certified from a home behind a
symmetric NAT, and from a firewalled home with and without TURN over TCP (point 4 of the
issue "The local device is another host"). Real Janus and coturn in a namespace, the real
NAT and firewall of the worker's home. Skipped where namespaces cannot be made."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from conformance.backends.janus import DEMOS, OtherHost, demo_overrides
from conformance.certify import certify, load_profile
from conformance.certify.model import Certification
from conformance.certify.report.facts import facts
from conformance.network import topology
from conformance.network.topology import HomeNetwork
from conformance.targets import TargetOptions

# Tests that make namespaces or use the worker's home run on one worker, one at a time: a
# namespace made mid-session is a network change that aborts a running call's or page's
# traffic (see conformance.network.netns), and the homes of the session share this machine's
# routes and forwarding (--dist loadgroup, set in pyproject's addopts).
pytestmark = pytest.mark.xdist_group("network")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "conformance" / "apps" / "sample" / "profile.yaml"



def failing(cert: Certification, target: str) -> dict[str, str]:
    """The checks ``target`` did not pass, with their summaries."""
    return {r.check: r.summary for r in cert.failing(target)}
def _certify_bridge(tmp_path: Path, other_host: OtherHost, network: str, *, turn: bool,
                    targets: tuple[str, ...] = ("native", "reference")) -> Certification:
    if topology.network_unavailable(network) is not None or HomeNetwork.inherited() is None:
        pytest.skip(topology.network_unavailable(network) or "the session made no home network")
    ice = other_host.turn.ice_servers("tcp") if turn else None
    overrides = demo_overrides(tmp_path / "janus", other_host.janus, ice)
    text = (ROOT / "profiles" / "janus-audiobridge.yaml").read_text(encoding="utf-8")
    shipped = "serve: [janus, /usr/share/janus/demos]"
    path = tmp_path / "bridge.yaml"
    path.write_text(text.replace(shipped, f"serve: [{overrides}, {DEMOS}]"), encoding="utf-8")
    options = dataclasses.replace(TargetOptions(), network=network)
    try:
        return asyncio.run(certify(load_profile(path), targets, run_id=f"test-{network}",
                                   options=options))
    finally:
        HomeNetwork.inherited().use(topology.topology("home"))  # type: ignore[union-attr]


def test_firewalled_home_without_turn_fails_call_connects_for_that_reason(
        tmp_path: Path, other_host: OtherHost) -> None:
    cert = _certify_bridge(tmp_path, other_host, "firewalled", turn=False)
    # Natively the page is in the data centre: no firewall between it and Janus.
    assert failing(cert, "native") == {}
    assert "call-connects" in failing(cert, "reference")
    assert ("from a home network that blocks UDP the local device found no path to the backend: "
            "the app configures no TURN server reachable over TCP/TLS") in cert.told(
        "call-connects", "reference")
    media_from = cert.target_details["reference"]["network"]["media_from"]
    assert "only TCP to port 443" in media_from
    assert "native: the data centre (no NAT)" in dict(facts(cert))["Media left from"]
    assert cert.target_details["native"]["network"]["topology"] == "data-centre"


def test_firewalled_home_with_turn_over_tcp_connects_through_a_relay(
        tmp_path: Path, other_host: OtherHost) -> None:
    cert = _certify_bridge(tmp_path, other_host, "firewalled", turn=True, targets=("reference",))
    connects = cert.told("call-connects", "reference")
    assert cert.result("call-connects", "reference").verdict == "pass", connects  # type: ignore[union-attr]
    assert f"selected pair relay {other_host.turn.address}:" in connects and "(udp)" in connects


def test_symmetric_nat_reaches_a_server_backend_without_turn(
        tmp_path: Path, other_host: OtherHost) -> None:
    """Janus has a reachable address: it learns the device's mapped address from its
    checks (a peer-reflexive candidate), so no relay is needed behind a symmetric NAT."""
    cert = _certify_bridge(tmp_path, other_host, "symmetric-nat", turn=False, targets=("reference",))
    connects = cert.told("call-connects", "reference")
    assert cert.result("call-connects", "reference").verdict == "pass", connects  # type: ignore[union-attr]
    assert f"-> host {other_host.namespace.address}:" in connects
    assert "selected pair host 10." in connects  # the device's private address, behind the NAT


# Known interaction, under investigation: in the whole suite (pytest -n 2) this test has
# heard no media at all twice, after other tests ran on its worker; alone, and with every
# other network test, it passes. Kept running and reported (not strict) until the race is found.
@pytest.mark.xfail(strict=False, reason="the worker's home carries no media after some other "
                   "tests of the whole suite (passes alone): an interaction under investigation")
def test_the_sample_app_from_a_home_with_a_quality_gate(tmp_path: Path) -> None:
    """The bundled sample app certified on reference from behind the home's NAT: every
    behaviour passes through the NAT, the certificate says where the media left from, and a
    --min-mos above what a call through Opus can score fails call-quality alone, naming it."""
    if topology.network_unavailable("home") is not None or HomeNetwork.inherited() is None:
        pytest.skip(topology.network_unavailable("home") or "the session made no home network")
    options = dataclasses.replace(TargetOptions(), network="home")
    cert = asyncio.run(certify(load_profile(SAMPLE), ("reference",), run_id="test-home-sample",
                               options=options, min_mos=4.99))
    assert set(failing(cert, "reference")) == {"call-quality"}
    quality = cert.told("call-quality", "reference")
    assert "below --min-mos 4.99: MOS-LQO" in quality and "(network: home)" in quality
    assert "mouth-to-ear delay" in quality
    shown = dict(facts(cert))["Media left from"]
    assert "reference: a home behind a NAT router with endpoint-independent mapping" in shown
