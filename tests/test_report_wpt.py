"""wptreport.json (wptrunner's --log-wptreport format) and the final run_info.json.

The mapping on synthetic results first, then a real run (real Chromium, native target,
through the pytest plugin) whose run folder is checked file by file.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from report_samples import limited, passed, run_info, skipped, unexpected, unexpected_pass
from scenario_samples import run, scenario, write

from conformance.reports.wptreport import build_wptreport, validate_wptreport
from conformance.results import ScenarioResult


def entry(result: ScenarioResult) -> dict[str, Any]:
    document = build_wptreport(run_info(end_time="2024-06-01T12:01:00"), [result])
    validate_wptreport(document)
    found: dict[str, Any] = document["results"][0]
    return found


def test_statuses_and_expected_only_where_they_differ() -> None:
    ok = entry(passed("pc.offer", "native", ["RTCPeerConnection"], title="createOffer"))
    assert ok["test"] == "/pc.offer?target=native"
    assert ok["status"] == "OK" and "expected" not in ok
    assert ok["subtests"] == [{"name": "createOffer", "status": "PASS", "message": None}]
    known = entry(limited("audio.gain", "reference", ["AudioContext"]))["subtests"][0]
    assert known["status"] == "FAIL" and "expected" not in known
    failed = entry(unexpected("pc.a", "native", ["RTCPeerConnection"]))
    assert failed["status"] == "OK" and failed["subtests"][0]["expected"] == "PASS"
    fixed = entry(unexpected_pass("md.gum", "reference", ["MediaDevices"]))["subtests"][0]
    assert fixed["status"] == "PASS" and fixed["expected"] == "FAIL"
    assert "unexpected pass" in fixed["message"]
    timeout = entry(unexpected("dc.send", "reference", ["RTCDataChannel"], status="TIMEOUT"))
    assert (timeout["status"], timeout["expected"]) == ("TIMEOUT", "OK")
    assert timeout["subtests"][0]["status"] == "TIMEOUT"
    error = entry(unexpected("pc.e", "native", ["RTCPeerConnection"], status="ERROR"))
    assert (error["status"], error["subtests"][0]["status"]) == ("ERROR", "FAIL")
    assert error["message"] == "expected 'live' but got 'ended'"
    skip = entry(skipped("md.gum", "native", ["MediaDevices"]))
    assert skip["status"] == "SKIP" and skip["subtests"] == [] and "expected" not in skip


def test_document_times_and_run_info() -> None:
    document = build_wptreport(run_info(start_time="2024-06-01T12:00:00+00:00",
                                        end_time="2024-06-01T12:00:02+00:00",
                                        platform="Linux-6.1-x86_64-with-glibc2.36"), [])
    assert document["time_end"] - document["time_start"] == 2000
    assert document["run_info"]["product"] == "chromium"
    assert document["run_info"]["os"] == "linux"
    validate_wptreport(document)


def test_validation_refuses_what_wptreport_never_writes() -> None:
    document = build_wptreport(run_info(), [passed("a.b", "native", ["MediaStream"])])
    document["results"][0]["expected"] = "OK"
    with pytest.raises(ValueError, match="expected"):
        validate_wptreport(document)
    document["results"][0].pop("expected")
    document["results"][0]["status"] = "PASS"  # a subtest status on a test
    with pytest.raises(ValueError, match="results/0/status"):
        validate_wptreport(document)


def test_a_real_runs_folder(pytester: pytest.Pytester) -> None:
    deviation = "{limitation: demo-limit, fails_with: NotSupportedError}"
    member = "MediaStream.getTracks"
    write(pytester, {
        "a.yaml": scenario("demo.pass", "- run: x = 1\n", covers=member),
        "b.yaml": scenario("demo.limited", "- run: throw new DOMException('no', 'NotSupportedError')\n",
                           native=deviation, covers=member),
        "c.yaml": scenario("demo.fails", "- run: x = 1\n- expect: x == 2\n", covers=member),
    })
    run(pytester, "--target", "native")
    run_dir = (pytester.path / "out" / "latest").resolve()
    # run_info.json is final: the targets that ran and the end of the run.
    info = json.loads((run_dir / "run_info.json").read_text())
    assert info["targets"] == ["native"] and info["end_time"] and info["interrupted"] is False
    report = json.loads((run_dir / "wptreport.json").read_text())
    validate_wptreport(report)
    by_test = {t["test"]: t for t in report["results"]}
    assert set(by_test) == {f"/demo.{n}?target=native" for n in ("pass", "limited", "fails")}
    limited_entry = by_test["/demo.limited?target=native"]  # an exception: ERROR, as documented
    assert limited_entry["status"] == "ERROR" and "expected" not in limited_entry
    assert limited_entry["subtests"][0]["status"] == "FAIL"
    assert "expected" not in limited_entry["subtests"][0]
    failing = by_test["/demo.fails?target=native"]["subtests"][0]
    assert failing["expected"] == "PASS" and "step 2" in failing["message"]
    assert report["time_end"] >= report["time_start"] > 0
    # Steps are numbered from 1 in JUnit as in the messages.
    junit = ET.parse(run_dir / "junit.xml").getroot()
    bodies = " ".join(e.text or "" for e in junit.iter("failure"))
    assert "step 2 expect (line" in bodies and "step 0" not in bodies
    # The results record the limitation's kind; every view is there.
    results = json.loads((run_dir / "results.json").read_text())["results"]
    kinds = {r["test"]: r["expectation"].get("limitation_kind") for r in results}
    assert kinds["demo.limited[native]"] == "product"
    assert {"compat.html", "compat.md", "matrix.html"} <= {p.name for p in run_dir.iterdir()}
