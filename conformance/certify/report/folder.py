"""Writing a certification's report folder: ``<reports>/certify/<run-id>/``.

Three files, each written atomically: ``certification.json`` (for tools),
``certification.md`` and ``certification.html`` (for people), and, when a check failed,
``evidence/`` (its screenshot and trace, linked from the three). ``<reports>/certify/latest``
points at the newest certification.
"""

from __future__ import annotations

import json
from pathlib import Path

from conformance.certify.model import Certification
from conformance.certify.report.html import render_html
from conformance.certify.report.markdown import render_markdown
from conformance.reports.atomic import atomic_write_text, update_latest_pointer

__all__ = ["EVIDENCE_DIR", "HTML_NAME", "JSON_NAME", "MD_NAME", "certification_folder", "write_certification"]

#: The folder of a certification's evidence (screenshots and traces of failing checks).
EVIDENCE_DIR = "evidence"
JSON_NAME = "certification.json"
MD_NAME = "certification.md"
HTML_NAME = "certification.html"


def certification_folder(reports_root: Path, run_id: str) -> Path:
    """The folder of the certification ``run_id``: ``<reports_root>/certify/<run-id>``."""
    return Path(reports_root) / "certify" / run_id


def write_certification(cert: Certification, reports_root: Path) -> dict[str, Path]:
    """Write the report of ``cert`` under ``reports_root/certify/<run-id>/``; the paths written.
    (The evidence of failing checks is already in its ``evidence/`` folder when ``certify``
    was given it: see :data:`EVIDENCE_DIR`.)"""
    folder = certification_folder(reports_root, cert.run_id)
    base = folder.parent
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
