"""The difference report of ``conformance wpt``: what passes natively and not elsewhere.

For every target other than ``native``, each subtest that passes natively and does not pass
there (or is missing there, because its file errored, timed out or crashed) is a
difference. Differences are grouped by the first line of their error message and each
group is mapped to a named limitation where one applies: the message names the limitation
id (the reference shim's errors do), or a member the limitation ``affects`` is named by the
subtest or its message (``Interface.member`` or ``interface.member``; a candidate, marked
as such).

The identical share is taken over the *applicable* subtests: those that pass natively, less
the differences certainly mapped to a limitation named ``not_applicable`` (what the product
does not claim to carry, e.g. video); those groups stay listed, marked not applicable.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from typing import Any

from conformance.limitations import Limitation

__all__ = ["differences", "differences_markdown"]

BASELINE = "native"


def _subtests(report: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str]]:
    """``(file, subtest) -> (status, message)``; a file-level failure counts for the file."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for entry in report.get("results", []):
        for sub in entry.get("subtests", []):
            found[(entry["test"], sub["name"])] = (sub["status"], sub.get("message") or "")
        found[(entry["test"], "")] = (entry["status"], entry.get("message") or "")
    return found


def _first_line(message: str) -> str:
    line = message.strip().splitlines()[0] if message.strip() else "(no message)"
    return line[:300]


def _limitation_for(text: str, limitations: dict[str, Limitation]) -> tuple[str | None, bool]:
    """``(limitation id, certain)`` for a difference's subtest name and message."""
    for lid in limitations:
        if re.search(rf"\b{re.escape(lid)}\b", text):
            return lid, True
    lowered = text.lower()
    for lid, limitation in limitations.items():
        for member in limitation.affects:
            interface, _, name = member.partition(".")
            if name and interface.lower() in lowered and re.search(rf"\b{re.escape(name)}\b", text):
                return lid, False
    return None, False


def _named_by_pattern(subtest: str, limitations: dict[str, Limitation]) -> str | None:
    """The limitation whose ``wpt_subtests`` patterns match ``subtest``, if one does."""
    for lid, limitation in limitations.items():
        if any(re.search(pattern, subtest) for pattern in limitation.wpt_subtests):
            return lid
    return None


def differences(reports: dict[str, dict[str, Any]], limitations: dict[str, Limitation],
                not_applicable: tuple[str, ...] = ()) -> dict[str, Any]:
    """The difference report (JSON-able) of ``reports`` (target -> wptreport).

    A difference belongs to a limitation when its whole message names the id (the
    reference's errors do), or when the registry's ``wpt_subtests`` patterns name the
    subtest (both certain); else when a member the limitation ``affects`` is named (a
    candidate). Differences are grouped by first message line and limitation.
    """
    out: dict[str, Any] = {"baseline": BASELINE, "targets": {}}
    if BASELINE not in reports:
        return out
    native = _subtests(reports[BASELINE])
    passing = {key for key, (status, _m) in native.items() if key[1] and status == "PASS"}
    for target, report in reports.items():
        if target == BASELINE:
            continue
        theirs = _subtests(report)
        groups: dict[tuple[str, str | None, bool], list[dict[str, str]]] = defaultdict(list)
        for key in sorted(passing):
            status, message = theirs.get(key) or theirs.get((key[0], ""), ("MISSING", ""))
            if key in theirs and status == "PASS":
                continue
            if key not in theirs:
                status = f"MISSING ({status})"
            named, certain = _limitation_for(message, limitations)
            if not certain:
                by_pattern = _named_by_pattern(key[1], limitations)
                if by_pattern is not None:
                    named, certain = by_pattern, True
            groups[(_first_line(message), named if certain else None, certain)].append(
                {"test": key[0], "subtest": key[1], "status": status})
        listed: list[dict[str, Any]] = []
        for (message, named, certain), items in sorted(
                groups.items(), key=lambda kv: (-len(kv[1]), kv[0][0], kv[0][1] or "")):
            if not certain:  # a candidate, from the message and the subtests' names
                named, _ = _limitation_for(" ".join([message, *(i["subtest"] for i in items)]),
                                           limitations)
            listed.append({"message": message, "count": len(items), "limitation": named,
                           "limitation_certain": certain,
                           "applicable": not (certain and named in not_applicable),
                           "subtests": items})
        same = len(passing) - sum(g["count"] for g in listed)
        excluded = sum(g["count"] for g in listed if not g["applicable"])
        applicable = len(passing) - excluded
        out["targets"][target] = {
            "native_passing": len(passing), "not_applicable": excluded, "applicable": applicable,
            "also_passing": same,
            "percent": round(100.0 * same / applicable, 1) if applicable else None,
            "groups": listed,
        }
    return out


def differences_markdown(report: dict[str, Any]) -> str:
    """The difference report as Markdown (messages escaped: they come from pages)."""
    lines = ["# WPT differences against native", ""]
    if not report["targets"]:
        lines.append("Nothing to compare: the run needs the native target and at least one other.")
    for target, data in report["targets"].items():
        lines += [f"## {target}", "",
                  f"{data['also_passing']} of {data['applicable']} applicable subtests also pass on "
                  f"{target} ({data['percent']} %): {data['native_passing']} pass natively, "
                  f"{data['not_applicable']} of them differ for a limitation outside the share.", ""]
        if not data["groups"]:
            continue
        lines += ["| subtests | first error message | limitation |", "|---:|---|---|"]
        for group in data["groups"]:
            limitation = group["limitation"] or "none"
            if group["limitation"] and not group["limitation_certain"]:
                limitation += " (candidate)"
            if not group["applicable"]:
                limitation += " (not applicable)"
            message = html.escape(group["message"]).replace("|", "\\|")
            lines.append(f"| {group['count']} | {message} | {limitation} |")
        lines.append("")
        for group in data["groups"]:
            lines.append(f"- {html.escape(group['message'])}")
            for item in group["subtests"]:
                lines.append(f"  - `{item['test']}` {html.escape(item['subtest'])}: {item['status']}")
        lines.append("")
    return "\n".join(lines) + "\n"
