"""The bundled sample app against a backend of its own (an echo server the test starts,
its URL in the app's address, not {signal}): the good app is certified from the media plane
alone, and each flawed variant fails exactly its check."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from echo_backend import echo_backend

from conformance.certify import certify, load_profile
from conformance.certify.model import Certification

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PROFILE = (ROOT / "profiles" / "sample.yaml").read_text(encoding="utf-8")
PATH_LINE = "  path: index.html?signal={signal}"


@pytest.fixture
def backend() -> Iterator[str]:
    with echo_backend() as url:
        yield url


def certify_own_backend(tmp_path: Path, backend: str, flaw: str | None = None,
                        targets: tuple[str, ...] = ("native", "reference")) -> Certification:
    assert PATH_LINE in SAMPLE_PROFILE
    query = f"signal={backend}" + (f"&flaw={flaw}" if flaw else "")
    text = SAMPLE_PROFILE.replace(PATH_LINE, f"  path: index.html?{query}").replace(
        "profile: 1\n", "profile: 1\nfar_end:\n  app:\n    audio: echo\n", 1)
    path = tmp_path / "own-backend.yaml"
    path.write_text(text, encoding="utf-8")
    return asyncio.run(certify(load_profile(path), targets, run_id=f"test-own-{flaw or 'good'}"))


def test_good_app_is_certified_against_its_own_echo_backend(tmp_path: Path, backend: str) -> None:
    cert = certify_own_backend(tmp_path, backend)
    assert cert.certified, cert.failing_summaries()
    # The round trip: the chosen microphone (mic 2, 880 Hz) comes back on the chosen speaker.
    audio = cert.told("audio-both-ways", "reference")
    assert "the local device sends mic 2" in audio and "a round trip" in audio
    rendered = re.search(r"speaker 2 .* renders (\d+) Hz .* from the call's remote track", audio)
    assert rendered and abs(int(rendered.group(1)) - 880) <= 20, audio
    assert "the chosen one" in cert.told("devices-honoured", "reference")
    assert "the page's connection sent" in cert.told("audio-both-ways", "native")
    assert "mute silences what is sent" in cert.told("mute", "reference")
    assert "the echo of 880 Hz stopped" in cert.told("mute", "reference")
    assert "the echo of 523 Hz stopped" in cert.told("mute", "native")
    incoming = cert.result("incoming-call", "reference")
    assert incoming is not None and incoming.verdict == "not-applicable"


# Each flaw fails its check under redirection, where the media-plane evidence comes from the
# local device (the harness-far-end tests cover both targets); one target keeps CI short.
FLAWS = [
    ("no-reconnect", "reconnect-recovery"),
    ("gain-node", "webaudio-supported-nodes"),
    ("ringtone-sink", "local-playback-sink"),
    ("sync-settings", "async-proxy-state"),
    ("no-detection", "detection-diagnostics"),
    ("leak-on-hangup", "hang-up-releases"),
    ("ignore-devices", "devices-honoured"),
]


@pytest.mark.parametrize(("flaw", "check"), FLAWS, ids=[f[0] for f in FLAWS])
def test_each_flaw_fails_exactly_its_check_against_its_own_backend(
        tmp_path: Path, backend: str, flaw: str, check: str) -> None:
    cert = certify_own_backend(tmp_path, backend, flaw, ("reference",))
    assert set(cert.failing_summaries()) == {(check, "reference")}, cert.failing_summaries()
    failed = cert.result(check, "reference")
    assert failed is not None and failed.verdict == "fail"
