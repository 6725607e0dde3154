"""The typed certification state without a browser: the records the flows note, the device
proofs the devices verdict reads, and the one facts table both certificates show."""

from __future__ import annotations

import html
from types import SimpleNamespace
from typing import cast

import pytest

from conformance.certify.evidence.records import AppVersion, CarriedRecord
from conformance.certify.flows.base import Flow
from conformance.certify.flows.context import TargetContext
from conformance.certify.flows.devices import DeviceProof, Outcome, choice_unprovable, put_devices_verdict
from conformance.certify.model import AppFacts, BrowserFacts, Certification, TargetRun
from conformance.certify.report.facts import facts, shown, when
from conformance.certify.report.html import render_html
from conformance.certify.report.markdown import render_markdown


def flow() -> Flow:
    # A flow only needs its target's name to make results.
    return Flow(cast(TargetContext, SimpleNamespace(name="reference")), ("devices-honoured",))


def test_carried_records_are_worded_from_their_fields() -> None:
    carried = CarriedRecord(3, carried=True, peer_connection="pc-1")
    assert carried.describe() == (
        "call 3: its DTLS fingerprint is the local device's, one of its peer connections' "
        "(carried by the redirection)"
    )
    assert "pc-1" not in carried.describe()  # the host's internal id is not for customers
    assert "NOT carried" in CarriedRecord(4, carried=False).describe()


def test_app_version_says_unknown_only_after_a_failure() -> None:
    assert AppVersion("2.1").describe() == "2.1"
    assert AppVersion(error="ReferenceError: x").describe() == "unknown (ReferenceError: x)"
    assert AppVersion().describe() is None


@pytest.mark.parametrize(
    ("outcomes", "verdict"),
    [
        ((Outcome.HONOURED, Outcome.UNPROVABLE), "pass"),
        ((Outcome.UNPROVABLE, Outcome.UNPROVABLE), "not-applicable"),
        ((Outcome.HONOURED, Outcome.NOT_HONOURED), "fail"),
    ],
)
def test_devices_verdict_reads_the_outcomes(outcomes: tuple[Outcome, Outcome], verdict: str) -> None:
    proofs = [DeviceProof("microphone", outcomes[0], "m"), DeviceProof("speaker", outcomes[1], "s")]
    f = flow()
    put_devices_verdict(f, proofs)
    result = f.results["devices-honoured"]
    assert result.verdict == verdict
    if verdict == "fail":  # the failure first, then the rest of the proof
        assert result.summary == "speaker: s" and result.evidence == ["speaker: s", "microphone: m"]


def test_a_single_device_cannot_prove_a_choice() -> None:
    assert choice_unprovable("speaker", 2) is None
    proof = choice_unprovable("microphone", 1)
    assert proof is not None and proof.outcome is Outcome.UNPROVABLE
    assert proof.text == "n/a: only 1 microphone(s) listed, a choice cannot be proven"


def test_facts_are_ordered_and_worded_for_people() -> None:
    cert = Certification(
        run_id="r1",
        app=AppFacts("Demo", None, "demo.yaml", "http://127.0.0.1/"),
        suite_version="0.1.0",
        browser=BrowserFacts(),
        targets=["native"],
        checks=[],
        started="2026-01-01T09:30:00+00:00",
    )
    cert.runs["native"] = TargetRun("native", 2.25)
    rows = facts(cert)
    assert [label for label, _ in rows] == [
        "App", "URL", "Profile", "Suite", "Ran against", "Redirection", "Browser", "Reference implementation",
        "Targets", "Run", "Started", "Time on native",
    ]
    values = dict(rows)
    assert values["App"] == "Demo" and values["Browser"] == "unknown"
    assert values["Reference implementation"] == "not used"
    assert values["Redirection"] == "native: none (native Chromium, no call redirection)"
    assert values["Started"] == "2026-01-01 09:30:00 UTC" and values["Time on native"] == "2.2 s"
    assert not any(v in ("None", "True", "False", "") for _, v in rows)
    markdown, page = render_markdown(cert), render_html(cert)
    for label, value in rows:  # one table, shown by both certificates
        assert f"| {label} | " in markdown
        assert f'<th scope="row">{html.escape(label)}</th><td class="mono">{html.escape(value)}</td>' in page


def test_page_values_and_times_are_shown_as_people_read_them() -> None:
    assert (shown(True), shown(False), shown(None), shown("1.2")) == ("true", "false", "", "1.2")
    assert when("not a time") == "not a time"
    assert when("2026-01-01T09:30:00+02:00") == "2026-01-01 09:30:00 +0200"
