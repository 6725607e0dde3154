"""The compatibility matrix (cells, rows, precedence) and matrix.md: no browser."""

from __future__ import annotations

import pytest
from report_samples import (
    COVER,
    XSS,
    limited,
    passed,
    run_info,
    sample_results,
    skipped,
    unexpected,
    unexpected_pass,
)

from conformance.reports import (
    build_matrix,
    render_matrix_md,
)
from conformance.reports.markdown import md_escape, md_truncate
from conformance.reports.matrix_md import render_cell
from conformance.reports.outcome import Outcome
from conformance.results import ScenarioResult

# --- matrix --------------------------------------------------------------------------

PRECEDENCE_CASES = [
    pytest.param(
        [unexpected("a.a", "native", COVER), unexpected_pass("a.b", "native", COVER),
         limited("a.c", "native", COVER), passed("a.d", "native", COVER),
         skipped("a.e", "native", COVER)],
        Outcome.UNEXPECTED_FAILURE, id="unexpected-failure-wins",
    ),
    pytest.param(
        [unexpected("a.a", "native", COVER, status="ERROR"), passed("a.d", "native", COVER)],
        Outcome.UNEXPECTED_FAILURE, id="unexpected-error",
    ),
    pytest.param(
        [unexpected_pass("a.b", "native", COVER), limited("a.c", "native", COVER),
         passed("a.d", "native", COVER), skipped("a.e", "native", COVER)],
        Outcome.UNEXPECTED_PASS, id="unexpected-pass-over-limitation",
    ),
    pytest.param(
        [limited("a.c", "native", COVER), passed("a.d", "native", COVER),
         skipped("a.e", "native", COVER)],
        Outcome.KNOWN_LIMITATION, id="limitation-over-pass",
    ),
    pytest.param(
        [passed("a.d", "native", COVER), skipped("a.e", "native", COVER)],
        Outcome.PASS, id="pass-over-skip",
    ),
    pytest.param([skipped("a.e", "native", COVER)], Outcome.NOT_RUN, id="only-skips"),
    pytest.param([passed("a.d", "reference", COVER)], Outcome.NOT_APPLICABLE, id="no-result"),
]


@pytest.mark.parametrize(("results", "state"), PRECEDENCE_CASES)
def test_matrix_cell_precedence(results: list[ScenarioResult], state: Outcome) -> None:
    matrix = build_matrix(results, ["native", "reference"])
    (section,) = matrix.sections
    assert section.row.cells["native"].state is state
    (member_row,) = section.members
    assert member_row.name == "RTCPeerConnection.createOffer"
    assert member_row.cells["native"].state is state


def test_matrix_cell_rendering() -> None:
    results = [
        passed("a.a", "native", COVER), passed("a.b", "native", COVER),
        limited("a.c", "reference", COVER, ident="webaudio-node-limit"),
        limited("a.d", "reference", COVER, ident="async-proxy-state"),
    ]
    cells = build_matrix(results, ["native", "reference", "other"]).sections[0].row.cells
    assert render_cell(cells["native"]) == "✅ pass (2)"
    assert render_cell(cells["reference"]) == (
        "⚠️ known limitation: async-proxy-state, webaudio-node-limit"
    )
    assert cells["reference"].limitations["async-proxy-state"] == ["async-proxy-state applies"]
    assert render_cell(cells["other"]) == "—"


def test_matrix_member_results_count_for_interface_row_only_once() -> None:
    results = [
        passed("pc.two", "native", ["RTCPeerConnection.createOffer", "RTCPeerConnection.close"]),
        unexpected("pc.whole", "native", ["RTCPeerConnection"]),
        passed("aud.x", "native", ["AudioContext"]),
    ]
    matrix = build_matrix(results, ["native"])
    # Registry order: AudioContext comes before RTCPeerConnection.
    assert [s.interface for s in matrix.sections] == ["AudioContext", "RTCPeerConnection"]
    pc = matrix.sections[1]
    assert pc.row.cells["native"].tally.total == 2
    assert pc.row.cells["native"].state is Outcome.UNEXPECTED_FAILURE
    assert pc.tally.total == 2
    # Members in registry order; a result covering only the interface has no member row,
    # so the member rows are not marked by pc.whole's failure.
    assert [r.member for r in pc.members] == ["createOffer", "close"]
    assert all(r.cells["native"].state is Outcome.PASS for r in pc.members)
    assert matrix.sections[0].members == []


def test_matrix_ignores_targets_not_asked_for() -> None:
    matrix = build_matrix([unexpected("a.a", "beta", COVER)], ["native"])
    assert matrix.sections == []
    assert matrix.unexpected == []


def test_matrix_markdown_escapes_data() -> None:
    results = [
        unexpected(
            "pc.evil", "reference", ["RTCPeerConnection.createOffer"], title=XSS,
            message="got a | b\nand <img src=x onerror=alert(1)> & more",
        ),
        limited("pc.lim", "native", COVER, ident="bad|id"),
    ]
    info = run_info(run_id="run|<1>")
    text = render_matrix_md(build_matrix(results, ["native", "reference"]), info)
    assert "<script>" not in text
    assert "<img" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "got a \\| b and &lt;img src=x onerror=alert(1)&gt; &amp; more" in text
    assert "Run **run\\|&lt;1&gt;**" in text
    assert "known limitation: bad\\|id" in text
    # Every row of a table has as many cells as its header (no stray unescaped pipe).
    tables = [block.splitlines() for block in text.split("\n\n") if block.startswith("|")]
    assert len(tables) == 3  # summary, overview, RTCPeerConnection
    for table in tables:
        widths = {line.replace("\\|", "").count("|") for line in table}
        assert len(widths) == 1, table


def test_matrix_markdown_structure() -> None:
    results = sample_results()
    text = render_matrix_md(
        build_matrix(results, ["native", "reference"]), run_info(interrupted=True)
    )
    assert "browser **chromium 126.0**" in text
    assert "suite **0.1.0**" in text
    assert "This run was interrupted" in text
    assert "## Legend" in text
    assert "| **RTCPeerConnection** | ✅ pass (1) | ❌ unexpected failure (1) |" in text
    assert "| &emsp;↳ createOffer | ✅ pass (1) | ❌ unexpected failure (1) |" in text
    assert "| **MediaDevices** | ⏭ not run | ❗ unexpected pass (1) |" in text
    assert "RTCPeerConnection: 2 results: 1 ✅ pass, 1 ❌ unexpected failure." in text
    # chrome-beta is not a column here, so its result is not counted.
    assert "**Overall:** 7 results" in text
    failures = text.split("## Failures", 1)[1]
    assert "dc.send\\[reference\\]** (TIMEOUT)" in failures
    assert "md.gum\\[reference\\]** (PASS): unexpected pass" in failures
    assert "audio.gain-node" not in failures
    limitations = text.split("## Known limitations", 1)[1].split("## Failures")[0]
    assert "**webaudio-node-limit**: webaudio-node-limit applies" in limitations


def test_failure_messages_are_truncated() -> None:
    long = unexpected("a.long", "native", COVER, message="x" * 5000)
    text = render_matrix_md(build_matrix([long], ["native"]), run_info())
    line = next(line for line in text.splitlines() if "a.long" in line)
    assert len(line) < 700
    assert line.endswith("…")


def test_md_helpers() -> None:
    assert md_escape("a|b\r\nc") == "a\\|b c"
    assert md_escape("[x](javascript:y) *b* `c`") == "\\[x\\](javascript:y) \\*b\\* \\`c\\`"
    assert md_escape("&lt;") == "&amp;lt;"
    assert md_truncate("a\nb", 10) == "a b"
    assert md_truncate("abcdef", 4) == "abc…"
