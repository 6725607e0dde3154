"""The customer's compat table and the engineer's matrix.html additions, on synthetic results.

What matters most: a deviation of the reference implementation (``kind: reference``) never
shows as a product limitation in the customer's view, and has its own label in the
engineer's.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from report_samples import limited, page_data, passed, run_info, unexpected, unexpected_pass

from conformance.reports import build_matrix, render_matrix_html
from conformance.reports.compat import Support, build_compat, mdn_url
from conformance.reports.compat_html import render_compat_html
from conformance.reports.compat_md import render_compat_md
from conformance.reports.limitation_info import LimitationCatalog, annotate
from conformance.reports.matrix_html import render_runs_html
from conformance.reports.matrix_links import source_href, trace_command
from conformance.reports.outcome import is_reference_deviation, limitation_kind
from conformance.results import RunInfo, ScenarioResult, StepRecord

REF = "ref-no-ice-restart"  # a `kind: reference` entry of the bundled registry
PRODUCT = "webaudio-node-limit"  # a `kind: product` entry, with vendor wording
DETAILS = {
    "native": {"name": "native", "kind": "native", "redirection": None},
    "reference": {"name": "reference", "kind": "redirected",
                  "redirection": {"implementation": "reference", "version": "0.3"}},
}


def mixed() -> list[ScenarioResult]:
    """A product limitation, a reference deviation, a pass and a failure on both targets."""
    return annotate([
        passed("pc.offer", "native", ["RTCPeerConnection.createOffer"]),
        passed("pc.offer", "reference", ["RTCPeerConnection.createOffer"]),
        passed("pc.restart", "native", ["RTCPeerConnection.restartIce"]),
        limited("pc.restart", "reference", ["RTCPeerConnection.restartIce"], ident=REF),
        passed("audio.gain", "native", ["AudioContext.createGain"]),
        limited("audio.gain", "reference", ["AudioContext.createGain"], ident=PRODUCT),
        unexpected("track.stop", "reference", ["MediaStreamTrack.stop"]),
        unexpected_pass("pc.state", "reference", ["RTCPeerConnection.onconnectionstatechange"]),
    ])


def info(**overrides: Any) -> RunInfo:
    return run_info(target_details=DETAILS, **overrides)


def test_annotate_records_the_registry_kind() -> None:
    results = mixed()
    restart = next(r for r in results if r.test == "pc.restart[reference]")
    gain = next(r for r in results if r.test == "audio.gain[reference]")
    assert restart.expectation["limitation_kind"] == "reference"
    assert gain.expectation["limitation_kind"] == "product"
    assert is_reference_deviation(restart) and not is_reference_deviation(gain)
    # Files of earlier suites: the id convention.
    old = limited("x.y", "reference", ["MediaStream"], ident="ref-anything")
    assert limitation_kind(old) == "reference"
    assert LimitationCatalog().kind_of(limited("x.y", "reference", ["MediaStream"])) == "product"


def test_compat_cells_never_show_a_reference_deviation_as_a_product_limitation() -> None:
    table = build_compat(mixed(), info(), ["native", "reference"])
    assert [c.target for c in table.columns] == ["reference"]  # native is not redirected
    assert not table.product_tested
    cells = {row.name: row.cells["reference"] for s in table.sections for row in (s.row, *s.members)}
    assert cells["RTCPeerConnection.createOffer"].support is Support.SUPPORTED
    assert cells["RTCPeerConnection.restartIce"].support is Support.REFERENCE_DEVIATION
    assert cells["AudioContext.createGain"].support is Support.LIMITED
    assert cells["MediaStreamTrack.stop"].support is Support.NOT_SUPPORTED
    assert cells["RTCPeerConnection.onconnectionstatechange"].contradicted == ["async-proxy-state"]
    assert [n.id for n in table.limitations] == [PRODUCT]
    assert [n.id for n in table.deviations] == [REF]
    assert table.limitations[0].vendor_wording.startswith("Only a limited number")
    html = render_compat_html(table, info())
    documented = html.split("<h2>Documented limitations</h2>")[1].split("<h2>Reference")[0]
    assert REF not in documented and PRODUCT in documented
    assert "Not tested against the product." in html
    assert "Vendor" in render_compat_md(table, info())


def test_compat_links_members_to_mdn_and_has_only_its_own_style() -> None:
    assert mdn_url("RTCPeerConnection", "createOffer") == (
        "https://developer.mozilla.org/en-US/docs/Web/API/RTCPeerConnection/createOffer")
    assert str(mdn_url("RTCPeerConnection", "onicecandidate")).endswith(
        "/RTCPeerConnection/icecandidate_event")
    assert mdn_url("MediaDevices", "isCallRedirectionEnabled") is None
    table = build_compat(mixed(), info(), ["native", "reference"])
    html = render_compat_html(table, info())
    assert 'href="https://developer.mozilla.org/en-US/docs/Web/API/AudioContext/createGain"' in html
    assert "<script" not in html and "default-src &#x27;none&#x27;" in html
    md = render_compat_md(table, info())
    assert "[`createGain`](https://developer.mozilla.org/en-US/docs/Web/API/AudioContext/createGain)" in md


def test_compat_product_column_from_an_attached_product() -> None:
    details = {"attach": {"name": "attach", "kind": "redirected",
                          "redirection": {"implementation": "product", "client_version": "1.2"}}}
    results = annotate([passed("pc.offer", "attach", ["RTCPeerConnection.createOffer"])])
    table = build_compat(results, run_info(target_details=details), ["attach"])
    assert table.product_tested and table.columns[0].label == "Product"
    assert "client version 1.2" in table.columns[0].detail
    assert "Not tested against the product" not in render_compat_html(table, run_info())


def test_matrix_html_gives_reference_deviations_their_own_label_and_filter() -> None:
    results = mixed()
    matrix = build_matrix(results, ["native", "reference"])
    page = render_matrix_html(matrix, info(), results)
    assert '<td class="cell o-ref-deviation">' in page
    assert '<td class="cell o-known-limitation">' in page
    assert f'<span class="ref-id">{REF}</span>' in page
    assert '<option value="reference-deviation">reference deviation</option>' in page
    assert "reference-deviation" in [state for _, _, state, _, _ in page_data(page)[0]["results"]]
    assert '<input type="search" id="search"' in page
    # Steps are numbered from 1, like the messages.
    record = limited("a.b", "reference", ["MediaStream"], steps=[StepRecord(0, "run", 4, 0.1, "failed")])
    one = render_matrix_html(build_matrix([record], ["reference"]), info(), [record])
    assert page_data(one)[1][0]["s"][0][:2] == [1, "run"]


def test_scenario_links_and_trace_commands(tmp_path: Path) -> None:
    scenario = tmp_path / "scenarios" / "a.yaml"
    run_dir = tmp_path / "reports" / "run-1"
    assert source_href(str(scenario), run_dir) == "../../scenarios/a.yaml"
    assert source_href(str(scenario), None) == scenario.as_uri()
    assert source_href("scenarios/a.yaml", None) is None
    assert trace_command("artifacts/a b/trace.zip", run_dir) == (
        f"playwright show-trace '{run_dir / 'artifacts/a b/trace.zip'}'")
    result = unexpected("a.b", "reference", ["MediaStream"], file=str(scenario),
                        steps=[StepRecord(0, "expect", 7, 0.1, "failed", "no")],
                        artifacts={"trace": "artifacts/a.b/reference/trace.zip"})
    page = render_matrix_html(build_matrix([result], ["reference"]), info(), [result], run_dir)
    (record,) = page_data(page)[1]
    assert record["h"] == "../../scenarios/a.yaml"
    assert ["file", f"{scenario}:7"] in record["f"]
    assert record["a"][0][3] == (
        f"playwright show-trace {run_dir / 'artifacts/a.b/reference/trace.zip'}")


def test_side_by_side_runs_highlight_changed_cells() -> None:
    before = [passed("pc.offer", "reference", ["RTCPeerConnection.createOffer"]),
              passed("pc.close", "reference", ["RTCPeerConnection.close"])]
    after = [unexpected("pc.offer", "reference", ["RTCPeerConnection.createOffer"]),
             passed("pc.close", "reference", ["RTCPeerConnection.close"])]
    page = render_runs_html([("a", run_info(targets=["reference"]), before),
                             ("b", run_info(targets=["reference"]), after)])
    changed = re.findall(r'<td class="cell [^"]* changed">', page)
    # The member's cell and its interface's cell; the first run's never count.
    assert len(changed) == 2
    assert '<span class="was">was pass</span>' in page
    assert '<input type="checkbox" id="changed"> only rows that changed (2 cells' in page
    assert page.count('data-changed="1"') == 2
