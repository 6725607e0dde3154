"""End to end, in real Chromium: a certificate fit to send to a customer. Secrets filled
from the environment appear in no written file; a failing check keeps a screenshot and a
Playwright trace, linked from the certificate with the command that opens it; passing
checks keep nothing; no loopback address, device hash or Python literal is printed."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from conformance.certify import add_certify_command

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PROFILE = (ROOT / "profiles" / "sample.yaml").read_text(encoding="utf-8")
PATH_LINE = "  path: index.html?signal={signal}"
SECRET = "hunter2-" + "s3cr3t-VALUE"
# Set-up that reloads the app (goto, relative to its URL), adds a password field (evaluate),
# fills it with a secret and makes the page log what it typed (so the secret reaches the
# console log the certificate keeps, unless it is redacted).
SETUP = """
setup:
  - goto: 'index.html?signal={signal}&flaw=FLAW'
  - wait_for: {selector: 'body[data-state="idle"]'}
  - evaluate: |
      document.body.insertAdjacentHTML('beforeend', '<input id="pw" type="text">');
  - fill: '#pw'
    value: '{env:CERTIFY_TEST_SECRET}'
  - evaluate: "console.error('typed ' + document.getElementById('pw').value)"
ready:"""


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="conformance")
    add_certify_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["certify", *argv])
    return int(args.func(args, []))


def certify_native(tmp_path: Path, flaw: str, *, secrets: bool) -> Path:
    """Certify a flawed sample app on the native target; its certification folder."""
    profile = SAMPLE_PROFILE.replace(PATH_LINE, f"{PATH_LINE}&flaw={flaw}")
    if secrets:
        profile = profile.replace("\nready:", SETUP.replace("FLAW", flaw), 1)
    path = tmp_path / f"{flaw}.yaml"
    path.write_text(profile, encoding="utf-8")
    assert run_cli(str(path), "--target", "native", "--report-dir", str(tmp_path / "reports")) == 1
    return (tmp_path / "reports" / "certify" / "latest").resolve()


def customer_text(folder: Path) -> str:
    return "\n".join((folder / name).read_text(encoding="utf-8")
                     for name in ("certification.json", "certification.md", "certification.html"))


def test_secrets_never_reach_the_certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTIFY_TEST_SECRET", SECRET)
    folder = certify_native(tmp_path, "gain-node", secrets=True)
    report = json.loads((folder / "certification.json").read_text())
    console = json.dumps(report["runs"]["native"]["info"]["console"])
    assert "typed <secret>" in console  # the page did log it, redacted
    for path in folder.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    (failed,) = [r for c in report["checks"] for r in c["results"].values() if r["verdict"] == "fail"]
    assert failed["check"] == "webaudio-supported-nodes"
    # A screenshot, but no trace: a trace would record what was typed.
    assert (folder / failed["artifacts"]["screenshot"]).is_file()
    assert "trace" not in failed["artifacts"] and "secrets" in failed["artifacts"]["no_trace"]
    md = (folder / "certification.md").read_text()
    assert f"]({failed['artifacts']['screenshot']})" in md.replace("(<", "(").replace(">)", ")")


def test_a_failing_check_keeps_its_screenshot_and_trace(tmp_path: Path) -> None:
    folder = certify_native(tmp_path, "ignore-devices", secrets=False)
    report = json.loads((folder / "certification.json").read_text())
    results = [r for c in report["checks"] for r in c["results"].values()]
    failed = [r for r in results if r["verdict"] in ("fail", "error")]
    assert [r["check"] for r in failed] == ["devices-honoured"]
    files = failed[0]["artifacts"]
    assert files["screenshot"].startswith("evidence/") and files["trace"].endswith(".zip")
    assert (folder / files["screenshot"]).read_bytes().startswith(b"\x89PNG")
    assert (folder / files["trace"]).stat().st_size > 0
    # Passing checks keep nothing: the evidence folder holds exactly what is linked.
    linked = {v for r in results for k, v in r["artifacts"].items() if k in ("screenshot", "trace")}
    assert {f"evidence/{p.name}" for p in (folder / "evidence").iterdir()} == linked
    assert all(not r["artifacts"] for r in results if r["verdict"] not in ("fail", "error"))
    command = f"playwright show-trace {files['trace']}"
    html = (folder / "certification.html").read_text()
    assert f'href="{files["trace"]}"' in html and f'href="{files["screenshot"]}"' in html
    assert command in html and command in (folder / "certification.md").read_text()
    # Fit for a customer: no run-local address, device hash or Python literal.
    for name in ("certification.md", "certification.html"):
        text = (folder / name).read_text()
        assert not re.search(r"https?://(localhost|127\.0\.0\.1):\d+", text), name
        assert not re.search(r"\b[0-9a-f]{64}\b", text), name
        assert not re.search(r"\b(None|True|False)\b", text), name
    text = customer_text(folder)
    shown = "index.html?signal={signal}&amp;flaw=ignore-devices&amp;ice={ice_servers} in the bundled app"
    assert shown in text
    assert "native: none (native Chromium" in text


def test_a_saved_login_keeps_no_trace(tmp_path: Path) -> None:
    """A trace records the cookies every request sends: a profile with `storage_state` (like
    one with secrets) keeps screenshots only."""
    from conformance.certify.profile.loader import load_profile
    from conformance.certify.runner import _store

    (tmp_path / "login.json").write_text(json.dumps({"cookies": [], "origins": []}))
    profile_file = tmp_path / "app.yaml"
    profile_file.write_text(SAMPLE_PROFILE.replace(
        "  bundled: sample", "  bundled: sample\n  storage_state: login.json", 1))
    saved = _store(load_profile(profile_file), tmp_path / "evidence", "native")
    plain = _store(load_profile(ROOT / "profiles" / "sample.yaml"), tmp_path / "evidence", "native")
    assert saved is not None and saved.secrets
    assert plain is not None and not plain.secrets
