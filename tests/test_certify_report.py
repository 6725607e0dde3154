"""The certification report: verdict rules, JSON shape, escaping in Markdown and HTML,
atomic files and the latest pointer, and the CLI's exit codes without a browser."""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

from conformance.certify import add_certify_command
from conformance.certify.checks import checks_json
from conformance.certify.model import (
    AppFacts,
    BrowserFacts,
    CallSite,
    Certification,
    Finding,
    TargetRun,
    make_result,
)
from conformance.certify.report.folder import write_certification
from conformance.certify.report.html import render_html
from conformance.certify.report.markdown import render_markdown

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "<script>alert(1)</script> | `tick` [link](javascript:x)"


def certification(verdicts: dict[str, str] | None = None) -> Certification:
    cert = Certification(
        run_id="20260101-000000-abcd",
        app=AppFacts(HOSTILE, "1<b>", "p.yaml", "http://127.0.0.1/?a=<x>"),
        suite_version="0.1.0",
        browser=BrowserFacts("Chromium", "156"),
        targets=["native", "reference"],
        checks=checks_json(),
    )
    for check in checks_json():
        for target in cert.targets:
            verdict = (verdicts or {}).get(f"{check['id']}/{target}", "pass")
            cert.results.append(
                make_result(check["id"], target, verdict, f"summary {HOSTILE}", [f"evidence {HOSTILE}"])
            )  # type: ignore[arg-type]
    cert.findings.append(
        Finding(
            id="setsinkid-local-playback-1",
            rule="setsinkid-local-playback",
            severity="error",
            title="setSinkId used on local playback",
            message=f"message {HOSTILE}",
            hint="hint",
            check="local-playback-sink",
            limitation="local-playback-default-output",
            targets=["native"],
            evidence=[HOSTILE],
            sites=[CallSite("http://localhost/app.js", 3, 4, "<fn>")],
        )
    )
    cert.runs["reference"] = TargetRun(
        "reference", 1.5, {"connectionId": HOSTILE}, [HOSTILE], {}, [{"level": "error", "message": HOSTILE}]
    )
    return cert


def test_certified_only_when_every_result_passes_or_does_not_apply() -> None:
    assert certification().certified
    assert certification({"mute/native": "not-applicable"}).certified
    for verdict in ("fail", "error", "not-evaluated"):
        cert = certification({"mute/reference": verdict})
        assert not cert.certified and cert.verdict == "not certified"
        assert cert.check_verdict("mute") == verdict
    empty = certification()
    empty.results = [r for r in empty.results if r.verdict == "not-applicable"]
    assert not empty.certified  # nothing passed at all


def test_json_shape() -> None:
    data = certification({"mute/reference": "fail"}).to_json()
    assert data["format"] == "mmr-certification" and data["format_version"] == 1
    assert data["verdict"] == "not certified" and data["certified"] is False
    mute = next(c for c in data["checks"] if c["id"] == "mute")
    assert mute["verdict"] == "fail" and set(mute["results"]) == {"native", "reference"}
    assert data["findings"][0]["sites"][0] == {
        "url": "http://localhost/app.js",
        "line": 3,
        "column": 4,
        "function": "<fn>",
    }
    json.dumps(data)


def test_markdown_escapes_everything_from_the_app() -> None:
    text = render_markdown(certification({"mute/reference": "fail"}))
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "\\| \\`tick\\`" in text  # a `|` never splits a table cell
    assert "NOT CERTIFIED" in text.splitlines()[0]
    table = [line for line in text.splitlines() if line.startswith("| Mute mutes")]
    assert table == ["| Mute mutes (`mute`) | \u2713 pass | \u2717 fail |"]


def test_html_is_self_contained_escaped_and_locked_down() -> None:
    page = render_html(certification({"mute/reference": "fail"}))
    assert "<script" not in page.lower().replace("&lt;script", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"""(src|href)=["']?(https?:|//|javascript:)""", page)
    csp = re.search(r'Content-Security-Policy" content="([^"]+)"', page)
    assert csp and "default-src &#x27;none&#x27;" in csp.group(1)
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert digest in csp.group(1)
    assert "Not certified" in page


def test_write_creates_three_files_and_points_latest(tmp_path: Path) -> None:
    cert = certification()
    written = write_certification(cert, tmp_path)
    folder = tmp_path / "certify" / cert.run_id
    assert {p.name for p in folder.iterdir()} == {
        "certification.json",
        "certification.md",
        "certification.html",
    }
    assert written["json"] == folder / "certification.json"
    assert json.loads(written["json"].read_text())["run_id"] == cert.run_id
    latest = tmp_path / "certify" / "latest"
    assert (latest / "certification.md").read_text() == written["markdown"].read_text()
    assert not list(folder.glob(".*.tmp"))


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="conformance")
    add_certify_command(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(list(argv))


def test_command_options_and_defaults() -> None:
    args = parse("certify")
    assert (args.profile, args.target, args.report_dir, args.validate) == (None, "all", None, False)
    args = parse("certify", "app.yaml", "--target", "redirected", "--report-dir", "out")
    assert (args.profile, args.target, args.report_dir) == ("app.yaml", "redirected", "out")
    with pytest.raises(SystemExit):
        parse("certify", "--target", "cdp")


def test_validate_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = parse("certify", "--validate", str(ROOT / "profiles" / "sample.yaml"))
    assert args.func(args, []) == 0
    assert "valid profile of 'Sample calling app'" in capsys.readouterr().out
    broken = tmp_path / "broken.yaml"
    broken.write_text((ROOT / "profiles" / "sample.yaml").read_text().replace("start_call:", "start_cal:"))
    args = parse("certify", "--validate", str(broken))
    assert args.func(args, []) == 1
    err = capsys.readouterr().err
    assert "broken.yaml:" in err and "did you mean 'start_call'?" in err


def test_an_invalid_profile_cannot_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = parse("certify", str(tmp_path / "missing.yaml"), "--report-dir", str(tmp_path))
    assert args.func(args, []) == 2
    assert "cannot read" in capsys.readouterr().err
    assert not (tmp_path / "certify").exists()


def test_public_surface_is_explicit_and_documented() -> None:
    import conformance.certify as certify_package

    assert set(certify_package.__all__) == {
        "CHECKS",
        "RULES",
        "Certification",
        "Profile",
        "SignallingServer",
        "add_certify_command",
        "certify",
        "load_profile",
        "write_certification",
    }
    for name in certify_package.__all__:
        obj = getattr(certify_package, name)
        if callable(obj):
            assert obj.__doc__, name


def test_failing_checks_link_their_evidence_files() -> None:
    cert = certification({"mute/reference": "fail", "hang-up-releases/native": "error"})
    mute = cert.result("mute", "reference")
    hang_up = cert.result("hang-up-releases", "native")
    assert mute is not None and hang_up is not None
    mute.artifacts = {"screenshot": "evidence/reference-mute.png",
                      "trace": "evidence/reference-call-connects-trace.zip"}
    hang_up.artifacts = {"screenshot": "evidence/native-hang-up-releases.png",
                         "no_trace": f"no trace {HOSTILE}"}
    md, page = render_markdown(cert), render_html(cert)
    command = "playwright show-trace evidence/reference-call-connects-trace.zip"
    assert "[evidence/reference-mute.png](<evidence/reference-mute.png>)" in md and f"`{command}`" in md
    assert 'href="evidence/reference-mute.png"' in page and f"<code>{command}</code>" in page
    assert 'href="evidence/reference-call-connects-trace.zip"' in page
    assert "no trace &lt;script&gt;" in page and "<script>" not in md
    assert data_of(cert)["mute"]["reference"]["artifacts"] == mute.artifacts


def data_of(cert: Certification) -> dict[str, dict[str, dict[str, object]]]:
    return {c["id"]: c["results"] for c in cert.to_json()["checks"]}


def test_the_certificate_says_which_redirection_it_ran_against() -> None:
    cert = certification()
    cert.target_details = {"native": {"kind": "native", "redirection": None, "browser": "chromium"},
                           "reference": {"kind": "redirected", "browser": "chromium",
                                         "redirection": {"implementation": "reference", "version": "0.1.0"}}}
    md = render_markdown(cert)
    row = next(line for line in md.splitlines() if line.startswith("| Redirection |"))
    assert "native: none (native Chromium" in row
    assert "reference: the conformance suite's own reference implementation of call redirection 0.1.0" in row
    assert "not a redirection vendor's product" in row
    assert "| Browser | Chromium 156 |" in md


def test_the_certificate_says_where_media_left_from_and_where_the_far_end_sat() -> None:
    """A target that says nothing of its network (an attached browser) only says where the
    far end sat; every target's own network is shown; the far end's place once."""
    cert = certification()
    far = "its own host, in a home behind a symmetric NAT"
    cert.target_details = {"native": {"network": {"topology": "data-centre", "media_from": "the data centre",
                                                  "far_end": far}},
                           "reference": {"network": {"far_end": far}}}
    md = render_markdown(cert)
    assert "| Media left from | native: the data centre |" in md
    assert f"| Far end | {far} |" in md


def test_scrub_removes_secrets_addresses_and_device_ids() -> None:
    from conformance.certify.report.scrub import Scrubber, scrub

    device = "d60dc22712d71a2a6c6c38794f69b66a3a225cd8525a8e0277a2d898f6f5bbf4"
    other = "a" * 64
    cert = certification({"mute/native": "fail"})
    cert.results[0].evidence = [f"typed hunter2 to http://127.0.0.1:9/tok/signal on {device} and {other}"]
    cert.findings[0].sites = [CallSite("http://localhost:5/x/sample/app.js", 3, 4)]
    cert.runs["reference"].info = {"console": [{"text": "hunter2"}]}
    addresses = {"http://127.0.0.1:9/tok/signal": "{signal}", "http://localhost:5/x/sample/": "/"}
    clean = scrub(cert, Scrubber(frozenset({"hunter2", "tok"}), addresses, {device: "Fake Audio Output 2"}))
    assert clean.results[0].evidence == ["typed <secret> to {signal} on 'Fake Audio Output 2' and a device"]
    assert clean.findings[0].sites[0].url == "/app.js"
    assert "hunter2" not in json.dumps(clean.to_json())
    assert cert.results[0].evidence[0].startswith("typed hunter2")  # the original is left alone
