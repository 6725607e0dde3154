"""Certifying unmodified apps against their own backend: the Janus demos with Janus in a
network namespace, i.e. on another host. Skipped where namespaces cannot be made."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from conformance.backends.janus import DEMOS, OtherHost, demo_overrides
from conformance.certify import certify, load_profile
from conformance.certify.model import Certification

ROOT = Path(__file__).resolve().parent.parent
NOT_PASSING = ("fail", "error", "not-evaluated")


def janus_profile(tmp_path: Path, other_host: OtherHost, name: str) -> Path:
    """The shipped profile, serving the test's settings.js (its Janus) over the demos."""
    overrides = demo_overrides(tmp_path / "janus", other_host.janus)
    text = (ROOT / "profiles" / name).read_text(encoding="utf-8")
    shipped = "serve: [janus, /usr/share/janus/demos]"
    assert shipped in text
    path = tmp_path / name
    path.write_text(text.replace(shipped, f"serve: [{overrides}, {DEMOS}]"), encoding="utf-8")
    return path


def failing(cert: Certification, target: str) -> dict[str, str]:
    return {r.check: r.summary for r in cert.results if r.target == target and r.verdict in NOT_PASSING}


def evidence(cert: Certification, check: str, target: str) -> str:
    result = cert.result(check, target)
    assert result is not None
    return " ".join([result.summary, *result.evidence])


def test_janus_audiobridge_against_janus_on_another_host(tmp_path: Path, other_host: OtherHost) -> None:
    profile = load_profile(janus_profile(tmp_path, other_host, "janus-audiobridge.yaml"))
    started = time.monotonic()
    cert = asyncio.run(certify(profile, run_id="test-janus-audiobridge"))
    print(f"AudioBridge certification: {time.monotonic() - started:.1f} s;",
          {t: round(r.duration, 1) for t, r in cert.runs.items()})
    # Natively the unmodified demo is certified; the media plane proves the call.
    assert failing(cert, "native") == {}
    assert "the page's connection sent" in evidence(cert, "audio-both-ways", "native")
    # Under redirection the call reaches Janus on the other host through the local device's
    # real ICE, and sends the microphone...
    connects = evidence(cert, "call-connects", "reference")
    assert f"-> host {other_host.namespace.address}:" in connects and "local device" in connects
    sent = evidence(cert, "audio-both-ways", "reference")
    assert "the local device sends mic" in sent and "not provable with this backend" in sent
    # ...and the demo fails exactly the integration guidance it does not follow: it never
    # reads the detection flag or diagnostics, and does not recover from a reconnect.
    assert set(failing(cert, "reference")) == {"detection-diagnostics", "reconnect-recovery"}


def test_janus_echotest_round_trip_natively_and_video_capture_under_redirection(
        tmp_path: Path, other_host: OtherHost) -> None:
    profile = load_profile(janus_profile(tmp_path, other_host, "janus-echotest.yaml"))
    cert = asyncio.run(certify(profile, run_id="test-janus-echotest"))
    assert failing(cert, "native") == {}
    assert "came back from the echoing backend (a round trip)" in evidence(cert, "audio-both-ways", "native")
    assert not cert.certified
    reason = evidence(cert, "call-connects", "reference")
    assert "the app captures video" in reason and "ref-video-capture" in reason


@pytest.mark.parametrize("name", ["janus-audiobridge.yaml", "janus-echotest.yaml"])
def test_the_shipped_janus_profiles_are_valid(name: str) -> None:
    if not DEMOS.is_dir():
        pytest.skip("Debian's janus-demos is not installed (the profiles serve its folder)")
    profile = load_profile(ROOT / "profiles" / name)
    assert profile.far_end.own_backend and profile.app.serve[-1] == DEMOS
