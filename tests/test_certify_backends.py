"""Certifying unmodified apps against their own backend: the Janus demos with Janus (and
coturn) in a network namespace, i.e. on another host. Skipped without namespaces."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from backends import DEMOS, OtherHost, demo_overrides

from conformance.certify import certify, load_profile
from conformance.certify.model import Certification

ROOT = Path(__file__).resolve().parent.parent


def janus_profile(tmp_path: Path, other_host: OtherHost, name: str) -> Path:
    """The shipped profile, serving the test's settings.js (its Janus) over the demos."""
    overrides = demo_overrides(tmp_path / "janus", other_host.janus)
    text = (ROOT / "profiles" / name).read_text(encoding="utf-8")
    shipped = "serve: [janus, /usr/share/janus/demos]"
    assert shipped in text
    path = tmp_path / name
    path.write_text(text.replace(shipped, f"serve: [{overrides}, {DEMOS}]"), encoding="utf-8")
    return path


def summary(cert: Certification) -> list[tuple[str, str, str, str]]:
    return [(r.check, r.target, r.verdict, r.summary) for r in cert.results]


def test_janus_audiobridge_is_certified_on_both_targets(tmp_path: Path, other_host: OtherHost) -> None:
    profile = load_profile(janus_profile(tmp_path, other_host, "janus-audiobridge.yaml"))
    started = time.monotonic()
    cert = asyncio.run(certify(profile, run_id="test-janus-audiobridge"))
    print(f"AudioBridge certification: {time.monotonic() - started:.1f} s;",
          {t: round(r.duration, 1) for t, r in cert.runs.items()})
    for row in summary(cert):
        print(row)
    for f in cert.findings:
        print(f.rule, f.severity, f.message)
    assert cert.certified, summary(cert)
    connects = cert.result("call-connects", "reference")
    assert connects is not None
    assert f"-> host {other_host.namespace.address}:" in " ".join(connects.evidence), connects.evidence
