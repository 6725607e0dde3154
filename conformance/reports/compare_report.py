"""A comparison's reports: the JSON ``conformance compare --format json`` prints, and Markdown.

The comparison itself (what counts as a regression) is :mod:`conformance.reports.compare`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.reports.atomic import atomic_write_text
from conformance.reports.baseline import ItemState, Snapshot
from conformance.reports.compare import Change, Comparison
from conformance.reports.markdown import md_code, md_escape, md_truncate

__all__ = ["comparison_to_json", "render_comparison_md", "write_comparison"]

#: Longest message shown per item in the Markdown report.
_MESSAGE_LIMIT = 300


def _side_json(side: Snapshot) -> dict[str, Any]:
    return {
        "source": side.source,
        "kind": side.kind,
        "run_id": side.run_id,
        "suite_version": side.suite_version,
        "targets": side.targets,
        "items": len(side.items),
        "interrupted": side.interrupted,
    }


def comparison_to_json(comparison: Comparison) -> dict[str, Any]:
    """The comparison as a JSON-ready dict (what ``conformance compare --format json`` prints).

    ``gate`` is ``"fail"`` when there is any regression, ``"pass"`` otherwise;
    ``regressed`` lists the regressed item names.
    """
    c = comparison
    return {
        "gate": "fail" if c.fails_gate else "pass",
        "gate_problems": list(c.gate_problems),
        "missing": list(c.missing),
        "regressed": c.regressed_tests,
        "baseline": _side_json(c.baseline),
        "current": _side_json(c.current),
        "counts": {
            "regressions": len(c.regressions),
            "improvements": len(c.improvements),
            "changes": len(c.changes),
            "flaky": len(c.flaky),
            "items_added": len(c.items_added),
            "items_removed": len(c.items_removed),
            "unchanged": c.unchanged,
        },
        "regressions": [change.to_json() for change in c.regressions],
        "improvements": [change.to_json() for change in c.improvements],
        "changes": [change.to_json() for change in c.changes],
        "flaky": [change.to_json() for change in c.flaky],
        "coverage": {
            "items_added": c.items_added,
            "items_removed": c.items_removed,
            "members_added": [{"target": t, "member": m} for t, m in c.members_added],
            "members_removed": [{"target": t, "member": m} for t, m in c.members_removed],
        },
        "warnings": c.warnings,
    }


_KIND_TEXT = {
    "pass-now-failing": "passed before, fails now",
    "new-error": "new ERROR",
    "new-timeout": "new TIMEOUT",
    "became-unexpected": "outcome no longer expected",
    "unexpected-pass": "passes where a documented limitation says it fails: update the "
    "expectation",
    "new-unexpected": "new item with an unexpected outcome",
    "fixed": "fixed",
    "now-expected": "outcome now expected",
    "now-skipped": "not run any more (SKIP)",
    "now-run": "runs now (was SKIP)",
    "status-changed": "status changed",
    "limitation-changed": "documented limitation changed",
    "known-flaky": "known flaky in the baseline",
    "flaky": "flaky (repeated runs disagree)",
}


def _state_md(state: ItemState | None) -> str:
    if state is None:
        return "—"
    text = state.describe()
    if state.limitation and state.status != "PASS":
        text += f", {state.limitation}"
    if state.flaky:
        text += " (flaky: " + ", ".join(f"{n}\u00d7 {s}" for s, n in state.outcomes) + ")"
    return md_escape(text)


def _changes_table(changes: list[Change]) -> list[str]:
    lines = ["| Item | Baseline | Now | Why |", "|---|---|---|---|"]
    for change in changes:
        why = "; ".join(_KIND_TEXT.get(kind, kind) for kind in change.kinds)
        if change.message:
            why += ": " + md_truncate(change.message, _MESSAGE_LIMIT)
        lines.append(
            f"| {md_code(change.test)} | {_state_md(change.before)} | "
            f"{_state_md(change.after)} | {md_escape(why)} |"
        )
    return lines


def _side_md(side: Snapshot) -> str:
    what = "baseline" if side.kind == "baseline" else f"run {side.run_id or '?'}"
    interrupted = ", interrupted" if side.interrupted else ""
    return (
        f"`{md_escape(side.source)}` ({md_escape(what)}, suite {md_escape(side.suite_version)}, "
        f"{len(side.items)} items{interrupted})"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _name_list(names: list[str], limit: int = 50) -> str:
    shown = ", ".join(md_code(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def render_comparison_md(comparison: Comparison) -> str:
    """The comparison as Markdown: verdict, counts, warnings, then one section per list."""
    c = comparison
    if c.has_regressions:
        noun = "regression" if len(c.regressions) == 1 else "regressions"
        verdict = f"❌ **{len(c.regressions)} {noun}**: the gate fails."
    elif c.gate_problems:
        verdict = f"❌ **The gate fails**: {md_escape(c.gate_problems[0])}"
    else:
        verdict = "✅ **No regressions**: the gate passes."
    counts = (
        f"{_count(len(c.regressions), 'regression')}, "
        f"{_count(len(c.improvements), 'improvement')}, "
        f"{_count(len(c.changes), 'other change')}, {len(c.flaky)} flaky, "
        f"{_count(len(c.items_added), 'item')} added, {len(c.items_removed)} removed, "
        f"{c.unchanged} unchanged."
    )
    lines = [
        "# Conformance comparison",
        "",
        f"- Baseline: {_side_md(c.baseline)}",
        f"- Current: {_side_md(c.current)}",
        "",
        verdict,
        "",
        counts,
        "",
    ]
    if c.warnings:
        lines += [f"> ⚠️ {md_escape(w)}" for w in c.warnings]
        lines.append("")
    for title, changes in (
        ("Regressions", c.regressions),
        ("Flaky", c.flaky),
        ("Improvements", c.improvements),
        ("Other changes", c.changes),
    ):
        if changes:
            lines += [f"## {title} ({len(changes)})", "", *_changes_table(changes), ""]
    coverage: list[str] = []
    if c.items_added:
        coverage.append(f"- Items added ({len(c.items_added)}): {_name_list(c.items_added)}")
    if c.items_removed:
        coverage.append(
            f"- Items removed ({len(c.items_removed)}): {_name_list(c.items_removed)}"
        )
    for label, pairs in (("now covered", c.members_added), ("no longer covered", c.members_removed)):
        if pairs:
            names = [f"{member} on {target}" for target, member in pairs]
            coverage.append(f"- Members {label} ({len(pairs)}): {_name_list(names)}")
    if coverage:
        lines += ["## Coverage", "", *coverage, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def write_comparison(comparison: Comparison, path: Path | str, fmt: str = "md") -> Path:
    """Write the comparison as Markdown (``fmt="md"``) or JSON (``"json"``) to ``path``."""
    path = Path(path)
    text = (
        json.dumps(comparison_to_json(comparison), indent=2, ensure_ascii=False) + "\n"
        if fmt == "json"
        else render_comparison_md(comparison)
    )
    atomic_write_text(path, text)
    return path
