"""Writing a certification's report folder: ``<reports>/certify/<run-id>/``.

Three files, each written atomically: ``certification.json`` (for tools),
``certification.md`` and ``certification.html`` (for people). ``<reports>/certify/latest``
points at the newest certification.
"""

from __future__ import annotations

import json
from pathlib import Path

from conformance.certify.model import Certification
from conformance.certify.report_html import render_html
from conformance.certify.report_md import render_markdown
from conformance.reports.atomic import atomic_write_text, update_latest_pointer

__all__ = ["HTML_NAME", "JSON_NAME", "MD_NAME", "write_certification"]

JSON_NAME = "certification.json"
MD_NAME = "certification.md"
HTML_NAME = "certification.html"


def write_certification(cert: Certification, reports_root: Path) -> dict[str, Path]:
    """Write the report of ``cert`` under ``reports_root/certify/<run-id>/``; the paths written."""
    base = Path(reports_root) / "certify"
    folder = base / cert.run_id
    folder.mkdir(parents=True, exist_ok=True)
    written = {
        "json": folder / JSON_NAME,
        "markdown": folder / MD_NAME,
        "html": folder / HTML_NAME,
    }
    atomic_write_text(written["json"], json.dumps(cert.to_json(), indent=2, ensure_ascii=False) + "\n")
    atomic_write_text(written["markdown"], render_markdown(cert))
    atomic_write_text(written["html"], render_html(cert))
    update_latest_pointer(base, folder)
    return written
