"""compat.md: the customer's compatibility table in Markdown (see :mod:`.compat`).

Same rows, columns, cells and footnotes as compat.html, for a README, a ticket or a mail.
"""

from __future__ import annotations

from conformance.reports.compat import (
    SUPPORT_LABEL,
    SUPPORT_MEANING,
    SUPPORT_SYMBOL,
    CompatCell,
    CompatNote,
    CompatRow,
    CompatTable,
    Support,
)
from conformance.reports.markdown import md_code, md_escape
from conformance.results import RunInfo

__all__ = ["render_compat_md"]

_LEGEND = (Support.SUPPORTED, Support.LIMITED, Support.NOT_SUPPORTED,
           Support.REFERENCE_DEVIATION, Support.NOT_TESTED)


def _cell(cell: CompatCell) -> str:
    text = f"{SUPPORT_SYMBOL[cell.support]} {SUPPORT_LABEL[cell.support]}"
    marks = "".join(f" [\\[{note.mark}\\]](#n-{note.mark.lower()})" for note in cell.notes)
    seen = (f" (documented limitation {', '.join(cell.contradicted)} not observed)"
            if cell.contradicted else "")
    return md_escape(text) + marks + md_escape(seen)


def _name(row: CompatRow) -> str:
    label = md_code(row.member if row.member else row.interface)
    shown = f"[{label}]({row.mdn})" if row.mdn else label
    if row.member is None:
        return f"**{shown}**"
    extension = "" if row.mdn else " (call-redirection extension)"
    return f"\u21b3 {shown}{extension}"


def _notes(title: str, notes: list[CompatNote], intro: str = "") -> list[str]:
    lines = [f"## {title}", ""]
    if intro:
        lines += [intro, ""]
    for note in notes:
        heading = md_escape(note.title or note.id)
        lines.append(f'<a id="n-{note.mark.lower()}"></a>**[{note.mark}]** {heading} '
                     f"({md_code(note.id)})")
        lines.append("")
        if note.vendor_wording:
            lines += ["> Vendor: " + md_escape(" ".join(note.vendor_wording.split())), ""]
        lines += [md_escape(text) for text in note.notes]
        if note.notes:
            lines.append("")
    return lines


def render_compat_md(table: CompatTable, run_info: RunInfo) -> str:
    """compat.md of ``table``."""
    lines = ["# Call-redirection compatibility", "",
             f"Run {md_code(run_info.run_id)}, suite {md_escape(run_info.suite_version)}.", ""]
    if not table.product_tested:
        lines += ["**Not tested against the product.** These columns are the suite's reference "
                  "implementation of call redirection, which reproduces the product's documented "
                  "limitations; where it deviates itself (\u2205) nothing is said about the "
                  "product.", ""]
    if not table.columns:
        return "\n".join([*lines, "No redirection target ran in this run.", ""])
    header = ["Interface / member"] + [
        md_escape(f"{c.label} ({c.detail})") for c in table.columns]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for section in table.sections:
        for row in (section.row, *section.members):
            cells = [_cell(row.cells[c.target]) for c in table.columns]
            lines.append("| " + " | ".join([_name(row), *cells]) + " |")
    lines += ["", "## Legend", ""]
    lines += [f"- {SUPPORT_SYMBOL[s]} **{SUPPORT_LABEL[s]}**: {SUPPORT_MEANING[s]}"
              for s in _LEGEND]
    lines.append("")
    if table.limitations:
        lines += _notes("Documented limitations", table.limitations)
    if table.deviations:
        lines += _notes("Reference implementation deviations", table.deviations,
                        "Limits of the suite's own reference implementation: not product "
                        "limitations, and they say nothing about the product.")
    return "\n".join(lines).rstrip("\n") + "\n"
