"""End to end, in real Chromium with real aiortc: the bundled sample app certifies on both
targets; each deliberately flawed variant fails exactly its matching check, with a finding
that says why; an app served from another local port works with nothing but a profile."""

from __future__ import annotations

import argparse
import asyncio
import functools
import http.server
import json
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.certify import add_certify_command, certify, load_profile
from conformance.certify.model import Certification
from conformance.certify.profile.apps import APPS_DIR

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PROFILE = (ROOT / "profiles" / "sample.yaml").read_text(encoding="utf-8")
PATH_LINE = "  path: index.html?signal={signal}"


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="conformance")
    add_certify_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["certify", *argv])
    return int(args.func(args, []))


def certify_variant(tmp_path: Path, flaw: str) -> Certification:
    assert PATH_LINE in SAMPLE_PROFILE
    path = tmp_path / f"{flaw}.yaml"
    path.write_text(SAMPLE_PROFILE.replace(PATH_LINE, f"{PATH_LINE}&flaw={flaw}"), encoding="utf-8")
    return asyncio.run(certify(load_profile(path), run_id=f"test-{flaw}"))


def failing(cert: Certification) -> set[str]:
    return {r.check for r in cert.failing()}


def test_sample_app_is_certified_on_both_targets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("--report-dir", str(tmp_path)) == 0
    assert "Sample calling app: CERTIFIED" in capsys.readouterr().out
    report = json.loads((tmp_path / "certify" / "latest" / "certification.json").read_text())
    assert report["certified"] is True and report["targets"] == ["native", "reference"]
    assert report["app"]["version"] == "1.0.0" and report["browser"]["version"]
    verdicts = {c["id"]: {t: r["verdict"] for t, r in c["results"].items()} for c in report["checks"]}
    native_only_na = {"reconnect-recovery", "detection-diagnostics", "no-unredirected-call"}
    if not report["runs"]["native"]["info"].get("soundcard"):
        # call-quality natively needs a speaker that keeps what it played (the sound card).
        native_only_na.add("call-quality")
    for check, by_target in verdicts.items():
        assert by_target["reference"] == "pass", check
        assert by_target["native"] == ("not-applicable" if check in native_only_na else "pass"), check
    results = {(c["id"], t): r for c in report["checks"] for t, r in c["results"].items()}
    audio = " ".join(results[("audio-both-ways", "reference")]["evidence"])
    heard = re.search(r"the far end heard (\d+) Hz .*\(mic 2 ", audio)
    rendered = re.search(r"speaker \d .* renders (\d+) Hz", audio)
    assert heard and abs(int(heard.group(1)) - 880) <= 20, audio  # the chosen mic 2 is 880 Hz
    assert rendered and abs(int(rendered.group(1)) - 1200) <= 20, audio  # the far end's tone
    # With the sound card the chosen speaker's sink "renders" it; without it, the page's element "plays" it.
    native_audio = " ".join(results[("audio-both-ways", "native")]["evidence"])
    native = re.search(r"(?:plays|renders) (\d+) Hz", native_audio)
    assert native and abs(int(native.group(1)) - 1200) <= 20
    for target in ("native", "reference") if "call-quality" not in native_only_na else ("reference",):
        quality = results[("call-quality", target)]["summary"]
        assert re.search(r"MOS-LQO [34]\.\d+ .*mouth-to-ear delay \d+ ms", quality), quality
    assert "DTLS fingerprint is the local device's" in " ".join(
        results[("no-unredirected-call", "reference")]["evidence"]
    )
    diagnostics = report["runs"]["reference"]["diagnostics"]
    assert diagnostics["isCallRedirectionEnabled"] is True and diagnostics["mmrExtensionVersion"]
    assert len(report["runs"]["reference"]["connection_ids"]) >= 2  # a new one after the reconnect
    assert not [f for f in report["findings"] if f["severity"] in ("error", "warning")]
    html = (tmp_path / "certify" / "latest" / "certification.html").read_text()
    assert "Certified against native Chromium" in html and "every check passed" in html
    assert "and the reference redirection implementation 0." in html


FLAWS: list[tuple[str, str, str, str]] = [
    # flaw, the check it must fail (and no other), the finding's rule, text in the verdict
    ("no-reconnect", "reconnect-recovery", "no-connection-state-listener", "did not notice the disconnect"),
    ("gain-node", "webaudio-supported-nodes", "webaudio-unsupported-node", "captured audio feeds a GainNode"),
    ("ringtone-sink", "local-playback-sink", "setsinkid-local-playback", "which plays a blob: URL"),
    (
        "sync-settings",
        "async-proxy-state",
        "sync-proxy-state-read",
        "MediaStreamTrack.getSettings read in the same task",
    ),
    ("no-detection", "detection-diagnostics", "no-detection", "never reads isCallRedirectionEnabled"),
    ("leak-on-hangup", "hang-up-releases", "hang-up-leak", "stay open"),
    ("ignore-devices", "devices-honoured", "device-not-honoured", "chosen"),
]


@pytest.mark.parametrize(("flaw", "check", "rule", "text"), FLAWS, ids=[f[0] for f in FLAWS])
def test_each_flaw_fails_exactly_its_check(
    tmp_path: Path, flaw: str, check: str, rule: str, text: str
) -> None:
    cert = certify_variant(tmp_path, flaw)
    assert not cert.certified
    assert failing(cert) == {check}, [(r.check, r.target, r.summary) for r in cert.failing()]
    failed = [r for r in cert.results if r.check == check and r.verdict == "fail"]
    assert failed and any(text in r.summary for r in failed), [r.summary for r in failed]
    findings = [f for f in cert.findings if f.rule == rule]
    assert findings, [f.rule for f in cert.findings]
    assert all(f.check == check for f in findings)
    assert all(any(f.id in r.findings for r in failed) for f in findings)
    sites = [s for f in findings for s in f.sites]
    if rule not in ("no-connection-state-listener", "no-detection"):
        assert any(s.url.endswith("/app.js") and s.line > 0 for s in sites), sites
    assert findings[0].hint


def test_a_call_attempt_that_fails_cleanly_while_disconnected_is_not_a_failure(tmp_path: Path) -> None:
    """`no-guard` places calls while redirection is inactive; under the reference
    redirection they fail cleanly (ref-disconnected-construction), so no call proceeds
    outside redirection: an info finding with the call site, not a failed check."""
    cert = certify_variant(tmp_path, "no-guard")
    assert failing(cert) == set(), [(r.check, r.target, r.summary) for r in cert.failing()]
    (attempt,) = [f for f in cert.findings if f.rule == "unredirected-call-attempt"]
    assert attempt.severity == "info" and attempt.targets == ["reference"]
    assert any(s.url.endswith("/app.js") and s.line > 0 for s in attempt.sites), attempt.sites


@pytest.fixture
def other_port(tmp_path: Path) -> Iterator[str]:
    """The sample app copied into a folder and served by a separate loopback HTTP server."""
    folder = tmp_path / "elsewhere"
    shutil.copytree(APPS_DIR / "sample", folder, ignore=shutil.ignore_patterns("profile.yaml"))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_an_app_on_another_port_needs_only_a_profile(tmp_path: Path, other_port: str) -> None:
    profile = SAMPLE_PROFILE.replace(
        "  bundled: sample ", f"  url: {other_port}/index.html?signal={{signal}} #"
    )
    profile = re.sub(r"^  path: .*\n", "", profile, flags=re.MULTILINE).replace(
        "  name: Sample calling app", "  name: Elsewhere app")
    # Set-up steps, and the microphone picked by its label rather than its id.
    profile = profile.replace("\nready:", "\nsetup:\n  - wait_for: {text: Ready}\nready:", 1)
    profile = profile.replace("      value: '{mic_id}'", "      label: '{mic_label}'")
    assert "label: '{mic_label}'" in profile and "setup:" in profile
    path = tmp_path / "elsewhere.yaml"
    path.write_text(profile, encoding="utf-8")
    assert run_cli(str(path), "--report-dir", str(tmp_path / "reports")) == 0
    report = json.loads((tmp_path / "reports" / "certify" / "latest" / "certification.json").read_text())
    assert report["app"]["name"] == "Elsewhere app" and report["app"]["url"].startswith(other_port)
    assert report["certified"] is True
    site_urls = {s["url"] for f in report["findings"] for s in f["sites"]}
    assert all(url.startswith(other_port) for url in site_urls)
