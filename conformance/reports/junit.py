"""junit.xml: the run for CI dashboards (one <testsuite> per target).

JUnit has no notion of an expected failure, so the mapping encodes the suite's rule that
only *unexpected* outcomes break a build: a failure explained by a documented limitation
becomes ``<skipped type="known-limitation">``, and a pass where a failure was expected
becomes a ``<failure>`` (the limitation may be fixed: the expectation must be updated).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from conformance.reports.atomic import atomic_write_bytes
from conformance.reports.outcome import (
    Outcome,
    classify,
    limitation_id,
    limitation_note,
    ordered_targets,
    sort_results,
    unexpected_pass_message,
)
from conformance.results import RunInfo, ScenarioResult

__all__ = ["build_junit", "step_log_text", "write_junit"]

# Characters XML 1.0 cannot carry even escaped (ANSI colour codes in console output,
# NULs, lone surrogates). ElementTree writes them verbatim, which makes the whole file
# unparseable, so they are replaced by a visible escape.
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_RUN_INFO_PROPERTIES = (
    "run_id", "suite_version", "browser", "browser_version", "platform", "git_revision",
    "reference_impl_version",
)


def _xml_text(text: str) -> str:
    """``text`` with characters XML cannot represent replaced by ``\\xNN``/``\\uNNNN``."""
    return _INVALID_XML.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def step_log_text(result: ScenarioResult) -> str:
    """The step log as plain text, one line per step (for failure bodies).

    Steps are numbered from 1, as the engine's messages name them (``step 1``).
    """
    lines = []
    for step in result.steps:
        line = f"step {step.index + 1} {step.kind} (line {step.line}) {step.outcome} {step.duration:.3f}s"
        if step.message:
            line += f": {step.message}"
        lines.append(line)
    return "\n".join(lines)


def _entry_text(entry: dict[str, Any]) -> str:
    """One console or mmrExtensionLog entry as a line: ``[level] text``."""
    level = entry.get("type") or entry.get("level")
    text = entry.get("text", entry.get("message", entry.get("msg")))
    if text is None:
        # Unknown shape: show everything rather than drop it.
        return json.dumps(entry, ensure_ascii=False, sort_keys=True, default=str)
    return f"[{level}] {text}" if level else str(text)


def _system_out(result: ScenarioResult, outcome: Outcome) -> str:
    """Logs and artifacts of a result, in labelled sections (empty when there are none)."""
    sections = []
    if outcome is Outcome.KNOWN_LIMITATION:
        # <skipped> carries only a short message; keep the actual failure visible here.
        detail = "\n".join(part for part in (result.message, step_log_text(result)) if part)
        if detail:
            sections.append(f"expected failure ({result.status}):\n{detail}")
    if result.console:
        sections.append("console:\n" + "\n".join(_entry_text(e) for e in result.console))
    if result.mmr_log:
        sections.append(
            "mmrExtensionLog:\n" + "\n".join(_entry_text(e) for e in result.mmr_log)
        )
    if result.artifacts:
        sections.append(
            "artifacts:\n" + "\n".join(f"{k}: {v}" for k, v in sorted(result.artifacts.items()))
        )
    return "\n\n".join(sections)


def _known_limitation_message(result: ScenarioResult) -> str:
    ident = limitation_id(result) or "(unnamed)"
    note = limitation_note(result)
    return f"known limitation {ident}: {note}" if note else f"known limitation {ident}"


def _testcase(result: ScenarioResult) -> tuple[ET.Element, Outcome]:
    """The <testcase> element of one result, and its outcome (for the counts)."""
    first = result.covers[0].split(".", 1)[0] if result.covers else "misc"
    case = ET.Element(
        "testcase",
        {
            "classname": _xml_text(f"scenarios.{first}"),
            "name": _xml_text(result.test),
            "time": _seconds(result.duration),
        },
    )
    if result.file:
        case.set("file", _xml_text(result.file))
    outcome = classify(result)
    if outcome is Outcome.UNEXPECTED_FAILURE:
        tag = "failure" if result.status == "FAIL" else "error"
        body = "\n\n".join(part for part in (result.message, step_log_text(result)) if part)
        child = ET.SubElement(
            case, tag, {"type": result.status, "message": _xml_text(result.message or tag)}
        )
        child.text = _xml_text(body)
    elif outcome is Outcome.UNEXPECTED_PASS:
        ET.SubElement(
            case,
            "failure",
            {"type": "unexpected-pass", "message": _xml_text(unexpected_pass_message(result))},
        )
    elif outcome is Outcome.KNOWN_LIMITATION:
        ET.SubElement(
            case,
            "skipped",
            {"type": "known-limitation", "message": _xml_text(_known_limitation_message(result))},
        )
    elif outcome is Outcome.NOT_RUN:
        ET.SubElement(case, "skipped", {"message": _xml_text(result.message or "not run")})
    out = _system_out(result, outcome)
    if out:
        ET.SubElement(case, "system-out").text = _xml_text(out)
    return case, outcome


def _add_properties(suite: ET.Element, run_info: RunInfo) -> None:
    """Record the run's identity on a suite, so a CI page alone tells what was tested."""
    values = [(key, getattr(run_info, key)) for key in _RUN_INFO_PROPERTIES]
    values = [(key, str(value)) for key, value in values if value]
    if values:
        properties = ET.SubElement(suite, "properties")
        for key, value in values:
            ET.SubElement(properties, "property", {"name": key, "value": _xml_text(value)})


def _set_counts(element: ET.Element, counts: dict[str, int], time: float) -> None:
    for key in ("tests", "failures", "errors", "skipped"):
        element.set(key, str(counts[key]))
    element.set("time", _seconds(time))


def _tally(counts: dict[str, int], result: ScenarioResult, outcome: Outcome) -> None:
    counts["tests"] += 1
    if outcome is Outcome.UNEXPECTED_PASS or (
        outcome is Outcome.UNEXPECTED_FAILURE and result.status == "FAIL"
    ):
        counts["failures"] += 1
    elif outcome is Outcome.UNEXPECTED_FAILURE:
        counts["errors"] += 1
    elif outcome in (Outcome.KNOWN_LIMITATION, Outcome.NOT_RUN):
        counts["skipped"] += 1


def build_junit(run_info: RunInfo, results: Iterable[ScenarioResult]) -> ET.Element:
    """The <testsuites> element of a run: one <testsuite> per target, in target order."""
    ordered = sort_results(results)
    root = ET.Element("testsuites", {"name": _xml_text(f"mmr-conformance {run_info.run_id}")})
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    total_time = 0.0
    for target in ordered_targets(run_info.targets, ordered):
        suite = ET.SubElement(root, "testsuite", {"name": _xml_text(target)})
        if run_info.start_time:
            suite.set("timestamp", _xml_text(run_info.start_time))
        _add_properties(suite, run_info)
        counts = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
        suite_time = 0.0
        for result in (r for r in ordered if r.target == target):
            case, outcome = _testcase(result)
            suite.append(case)
            _tally(counts, result, outcome)
            suite_time += result.duration
        _set_counts(suite, counts, suite_time)
        for key, value in counts.items():
            totals[key] += value
        total_time += suite_time
    if run_info.interrupted:
        # An interrupted run must not look like a clean pass to a CI that only reads JUnit.
        suite = ET.SubElement(root, "testsuite", {"name": "run"})
        case = ET.SubElement(suite, "testcase", {"classname": "run", "name": "run completed"})
        ET.SubElement(case, "error", {"type": "interrupted", "message": (
            "the run was interrupted: only the items that finished are reported")})
        _set_counts(suite, {"tests": 1, "failures": 0, "errors": 1, "skipped": 0}, 0.0)
        totals["tests"] += 1
        totals["errors"] += 1
    _set_counts(root, totals, total_time)
    return root


def write_junit(path: Path | str, run_info: RunInfo, results: Iterable[ScenarioResult]) -> Path:
    """Write junit.xml atomically and return its path."""
    path = Path(path)
    root = build_junit(run_info, results)
    ET.indent(root)
    data = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    atomic_write_bytes(path, data + b"\n")
    return path
