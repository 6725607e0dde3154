"""The stacks matrix: rows = stacks (name, version, backend), columns = checks x targets,
cells = verdict, its one-line reason and a link to that stack's certificate.

Written as ``stacks.json`` (the rows, each with its whole certification), ``stacks.md``
(what ``docs/stacks.md`` commits) and ``stacks.html`` (self-contained, the look of
``compat.html``: its stylesheet, inlined and allowed by hash). Rows come from
:func:`conformance.catalog.runner.run_entries` or from earlier ``stacks.json`` files
(:func:`merge_rows`: one CI job per stack, one page).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from conformance.certify.report.markdown import SYMBOLS
from conformance.reports.templating import asset, csp_source, cut, render

__all__ = ["JSON_NAME", "cells", "columns", "merge_rows", "render_markdown", "write_matrix"]

JSON_NAME, MD_NAME, HTML_NAME = "stacks.json", "stacks.md", "stacks.html"
_FORMAT = "mmr-stacks-matrix"
_REASON_LIMIT = 160
#: The compat page's classes for each verdict (its colours: green, red, amber, grey).
_CLASS = {"pass": "s-supported", "fail": "s-not-supported", "error": "s-limited",
          "not-evaluated": "s-reference-deviation", "not-applicable": "s-not-tested"}


#: A limitation id of the suite's reference implementation (``kind: reference`` in
#: ``scenarios/limitations.yaml``): a failure for it says nothing about the product.
_DEVIATION = re.compile(r"\bref-[a-z0-9-]+\b")
_DEVIATION_NOTE = "a deviation of the suite's reference implementation, not a product limitation"


def _one_line(text: str) -> str:
    return cut(" ".join(str(text).split()), _REASON_LIMIT)


def columns(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(check, target) for every check of the certifications, per target that ran."""
    checks: list[str] = []
    targets: list[str] = []
    for row in rows:
        cert = row.get("certification") or {}
        checks += [c["id"] for c in cert.get("checks", []) if c["id"] not in checks]
        targets += [t for t in cert.get("targets", []) if t not in targets]
    return [(check, target) for check in checks for target in targets]


def cells(row: dict[str, Any], cols: list[tuple[str, str]]) -> list[dict[str, str]]:
    """The row's cells: ``verdict``, one-line ``reason``, ``link`` (its certificate)."""
    if row.get("error"):
        reason = _one_line(row["error"].splitlines()[0])
        return [{"verdict": "error", "reason": reason, "link": ""} for _ in cols]
    results = {(check["id"], target): result
               for check in row["certification"]["checks"]
               for target, result in check.get("results", {}).items()}
    out = []
    for check, target in cols:
        result = results.get((check, target))
        if result is None:
            out.append({"verdict": "not-applicable", "reason": f"{target} did not run", "link": ""})
            continue
        reason = _one_line(result["summary"])
        deviation = _DEVIATION.search(result["summary"]) if target != "native" else None
        out.append({"verdict": result["verdict"], "reason": reason, "link": row.get("certificate", ""),
                    "deviation": deviation.group() if deviation else ""})
    return out


def _verdict(row: dict[str, Any]) -> str:
    return "error" if row.get("error") else str(row["certification"]["verdict"])


_TITLE = "Open-source calling stacks under call redirection"


def render_markdown(rows: list[dict[str, Any]], *, title: str = _TITLE, duration: float | None = None) -> str:
    """The Markdown matrix: one table (symbols linked to the certificates), then every
    failing cell with its reason."""
    cols = columns(rows)
    lines = [f"# {title}", "",
             "Each stack is certified on each target against its real backend (`conformance catalog run`, "
             "which regenerates this page). A cell is the check's verdict on that target; its link is the "
             "stack's certificate. " + "; ".join(f"{SYMBOLS[v]} {v}" for v in SYMBOLS) + ".", "",
             "| stack | library | backend | verdict | " + " | ".join(f"{c} · {t}" for c, t in cols) + " |",
             "|---|---|---|---|" + "---|" * len(cols)]
    links: list[str] = []
    for row in rows:
        marks = []
        ref = f"{row['id']}"
        for cell in cells(row, cols):
            symbol = SYMBOLS.get(cell["verdict"], "?")
            marks.append(f"[{symbol}][{ref}]" if cell["link"] else symbol)
        if row.get("certificate"):
            links.append(f"[{ref}]: {_md_link(row, row['certificate'])}")
        verdict = f"[{_verdict(row)}][{ref}]" if row.get("certificate") else _verdict(row)
        lines.append(f"| {row['name']} | {row['library'].replace('|', '/')} {row['version']} | "
                     f"{row['backend']} | {verdict} | " + " | ".join(marks) + " |")
    lines += ["", "## Why", ""]
    for row in rows:
        if row.get("error"):
            lines.append(f"- **{row['name']}**: ERROR: {_one_line(row['error'].splitlines()[0])}")
            continue
        for (check, target), cell in zip(cols, cells(row, cols), strict=True):
            # not-evaluated cells follow from the failure listed before them
            if cell["verdict"] in ("fail", "error"):
                note = f" ({cell['deviation']}: {_DEVIATION_NOTE})" if cell.get("deviation") else ""
                lines.append(f"- **{row['name']}** `{check}` on {target}: "
                             f"{cell['verdict']}: {cell['reason']}{note}")
    lines += ["", "## Time", "", "| stack | seconds |", "|---|---|"]
    lines += [f"| {row['name']} | {row.get('duration', 0):.0f} |" for row in rows]
    if duration is not None:
        lines.append(f"| the whole catalog (stacks in parallel) | {duration:.0f} |")
    return "\n".join([*lines, "", *links]) + "\n"


def _md_link(row: dict[str, Any], html_link: str) -> str:
    return row.get("certificate_md") or html_link


def render_html(rows: list[dict[str, Any]]) -> str:
    """The self-contained HTML matrix."""
    css = "compat.css"
    style = asset(css, "conformance.reports")
    cols = columns(rows)
    context = {
        "style": style,
        "csp": (f"default-src 'none'; img-src data:; style-src {csp_source(style)}; "
                "base-uri 'none'; form-action 'none'"),
        "cols": cols,
        "rows": [{"row": row, "verdict": _verdict(row), "cells": cells(row, cols)} for row in rows],
        "SYMBOLS": SYMBOLS,
        "CLASS": _CLASS,
        "DEVIATION_NOTE": _DEVIATION_NOTE,
    }
    return render("stacks.html.j2", context, package="conformance.catalog")


def merge_rows(files: list[Path]) -> list[dict[str, Any]]:
    """The rows of several ``stacks.json`` files (one CI job's each), links kept relative to
    each file's folder's name (``<job folder>/<stack>/certify/...``)."""
    rows: list[dict[str, Any]] = []
    for file in files:
        data = json.loads(file.read_text(encoding="utf-8"))
        prefix = file.parent.name
        for row in data["rows"]:
            for key in ("certificate", "certificate_md"):
                if row.get(key):
                    row[key] = f"{prefix}/{row[key]}"
            rows.append(row)
    return rows


def write_matrix(rows: list[dict[str, Any]], folder: Path, *, markdown_copy: Path | None = None,
                 duration: float | None = None) -> dict[str, Path]:
    """Write the three forms into ``folder`` (and the Markdown to ``markdown_copy`` too, with
    its links made relative to it); the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {"json": folder / JSON_NAME, "markdown": folder / MD_NAME, "html": folder / HTML_NAME}
    written["json"].write_text(json.dumps({"format": _FORMAT, "format_version": 1, "duration": duration,
                                           "rows": rows}, indent=1) + "\n", encoding="utf-8")
    written["markdown"].write_text(render_markdown(rows, duration=duration), encoding="utf-8")
    written["html"].write_text(render_html(rows), encoding="utf-8")
    if markdown_copy is not None:
        import os

        base = os.path.relpath(folder, markdown_copy.parent)
        moved = [{**row, **{k: f"{base}/{row[k]}" for k in ("certificate", "certificate_md") if row.get(k)}}
                 for row in rows]
        markdown_copy.parent.mkdir(parents=True, exist_ok=True)
        markdown_copy.write_text(render_markdown(moved, duration=duration), encoding="utf-8")
        written["copy"] = markdown_copy
    return written
