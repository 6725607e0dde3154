"""Every catalog entry certified against its real backend, its verdict pinned per target.

Each stack's backend runs in this test process's second reserved namespace (another host;
the first is the ``other_host`` fixture's), started by the catalog's own launchers; the far
ends of peer-to-peer and SIP stacks run in a Chromium of their own inside it. Heavy (about
a minute per stack): marked ``catalog`` (``-m catalog`` / ``-m "not catalog"``); CI runs them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from conformance.catalog import certify_entry, find_entries
from conformance.catalog.launchers import REQUIRES
from conformance.catalog.runner import fetch
from conformance.certify.model import NOT_PASSING
from conformance.network import netns
from conformance.setup import ensure_test_backends

pytestmark = pytest.mark.catalog
TARGETS = ("native", "reference")


@pytest.fixture(scope="module")
def stack_host() -> netns.Namespace:
    reason = netns.namespace_unavailable()
    if reason is not None:
        pytest.skip(reason)
    space = netns.assigned(slot=1)
    if space is None:
        pytest.skip("the session reserved no namespace for the catalog (tests/conftest.py does)")
    return space


def certify(stack: str, space: netns.Namespace, tmp_path: Path) -> dict[str, Any]:
    entry = find_entries([stack])[0]
    missing = [name for name in ensure_test_backends(install=False) if name in REQUIRES[entry.backend]]
    if missing:
        pytest.skip(f"Debian's {', '.join(missing)} not installed (scripts/bootstrap.sh installs them)")
    fetch([entry])  # cached by set-up; fetched here otherwise
    row = asyncio.run(certify_entry(entry, space, TARGETS, tmp_path))
    assert not row.get("error"), row.get("error")
    assert (tmp_path / row["certificate"]).is_file()
    print(f"{stack}: {row['duration']:.1f} s")
    return row


def results(row: dict[str, Any], target: str) -> dict[str, dict[str, Any]]:
    return {check["id"]: check["results"][target] for check in row["certification"]["checks"]
            if target in check["results"]}


def failing(row: dict[str, Any], target: str) -> set[str]:
    return {check for check, result in results(row, target).items() if result["verdict"] in NOT_PASSING}


def said(row: dict[str, Any], target: str, check: str) -> str:
    result = results(row, target)[check]
    return " ".join([result["summary"], *result["evidence"]])


def connected_over(space: netns.Namespace, row: dict[str, Any], target: str) -> None:
    """The call's selected pair leaves this machine (not loopback) for the stack's host."""
    text = said(row, target, "call-connects")
    assert f"-> host {space.address}:" in text and "127.0.0.1" not in text, text


def test_janus_audiobridge(stack_host: netns.Namespace, tmp_path: Path) -> None:
    row = certify("janus-audiobridge", stack_host, tmp_path)
    # Natively the unmodified demo is certified; the media plane proves the call.
    assert failing(row, "native") == set()
    assert "the page's connection sent" in said(row, "native", "audio-both-ways")
    # Under redirection the call reaches Janus on the other host through the local device's
    # real ICE (its non-loopback pair), and sends the microphone...
    connected_over(stack_host, row, "reference")
    assert "local device" in said(row, "reference", "call-connects")
    sent = said(row, "reference", "audio-both-ways")
    assert "the local device sends mic" in sent and "not provable with this backend" in sent
    # ...and the demo fails exactly the integration guidance it does not follow.
    assert failing(row, "reference") == {"detection-diagnostics", "reconnect-recovery"}


def test_janus_echotest(stack_host: netns.Namespace, tmp_path: Path) -> None:
    row = certify("janus-echotest", stack_host, tmp_path)
    assert failing(row, "native") == set()
    assert "came back from the echoing backend (a round trip)" in said(row, "native", "audio-both-ways")
    # The demo captures video: the reference implementation does not (a deviation of its own).
    assert "ref-video-capture" in said(row, "reference", "call-connects")
    assert row["certification"]["verdict"] == "not certified"


def test_jssip_through_kamailio(stack_host: netns.Namespace, tmp_path: Path) -> None:
    row = certify("jssip", stack_host, tmp_path)
    # Natively the README's UA registers with Kamailio, calls the far end UA through it,
    # and the far end's echo comes back: certified.
    assert failing(row, "native") == set()
    connected_over(stack_host, row, "native")
    assert "came back from the echoing backend (a round trip)" in said(row, "native", "audio-both-ways")
    # The README asks for audio and video: the reference implementation captures no video.
    assert "call-connects" in failing(row, "reference")
    assert "ref-video-capture" in said(row, "reference", "call-connects")


def test_peerjs(stack_host: netns.Namespace, tmp_path: Path) -> None:
    row = certify("peerjs", stack_host, tmp_path)
    # The README passes callbacks to the promise-based navigator.mediaDevices.getUserMedia:
    # as written, it never places a call, on either target.
    assert "call-connects" in failing(row, "native")
    assert "no peer connection of the page connected" in said(row, "native", "call-connects")
    assert "ref-video-capture" in said(row, "reference", "call-connects")


def test_simple_peer(stack_host: netns.Namespace, tmp_path: Path) -> None:
    row = certify("simple-peer", stack_host, tmp_path)
    # Natively the README page calls the far end (signalling copied by hand, TURN configured)
    # and the echo comes back; it never stops its tracks on hang-up.
    assert failing(row, "native") == {"hang-up-releases"}
    connected_over(stack_host, row, "native")
    assert "came back from the echoing backend (a round trip)" in said(row, "native", "audio-both-ways")
    # The README's getUserMedia asks for video too, and swallows the rejection: no offer.
    assert "ref-video-capture" in said(row, "reference", "call-connects")
