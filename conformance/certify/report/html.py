"""certification.html: the certification report as one self-contained, offline page.

Rendered from ``conformance/certify/report/templates/certificate.html.j2`` with its style inlined
from ``conformance/certify/report/assets/certificate.css`` (:mod:`conformance.reports.templating`).
No script and no external resource: the inline CSS is allowed by its hash in a Content
Security Policy that forbids everything else, so nothing that slipped into the data could
run or load. Every value printed is escaped (characters HTML cannot carry are made visible
first, then :func:`html.escape` with quotes). The only links are the page's own anchors
and the relative paths of the evidence files of failing checks.
"""

from __future__ import annotations

from typing import Any

from conformance.certify.audit.rules import DETECTION
from conformance.certify.checks import CHECKS
from conformance.certify.model import Certification
from conformance.certify.report.facts import facts, shown
from conformance.certify.report.markdown import SYMBOLS
from conformance.reports.matrix_links import trace_command
from conformance.reports.templating import asset, csp_source, render

__all__ = ["CSS_ASSET", "TEMPLATE", "render_html"]

#: This package: where the template and its stylesheet live.
_PACKAGE = "conformance.certify.report"
TEMPLATE = "certificate.html.j2"
CSS_ASSET = "certificate.css"


def _banner(cert: Certification) -> str:
    if cert.certified:
        return (f"Certified against {cert.ran_against()}: every check passed or does not apply on "
                "every target.")
    return f"Not certified against {cert.ran_against()}: {len(cert.failing())} check result(s) did not pass."


def _log_items(cert: Certification) -> list[tuple[str, str, str, str]]:
    """The diagnostics section's list: (kind, target, detail, text)."""
    items: list[tuple[str, str, str, str]] = []
    for name, run in cert.runs.items():
        if run.connection_ids:
            items.append(("ids", name, "", ", ".join(run.connection_ids)))
        items += [("log", name, str(e.get("level")), str(e.get("message"))) for e in run.mmr_log[:20]]
        items += [("error", name, "", error) for error in run.page_errors[:10]]
    return items


def render_html(cert: Certification) -> str:
    """The whole page."""
    css = asset(CSS_ASSET, _PACKAGE)
    context: dict[str, Any] = {
        "cert": cert,
        "css": css,
        "csp": f"default-src 'none'; style-src {csp_source(css)}; img-src 'none'; base-uri 'none'; "
        "form-action 'none'",
        "title": f"Certification of {cert.app.name}: {cert.verdict}",
        "banner": _banner(cert),
        "failing": cert.failing(),
        "facts": facts(cert),
        "checks": CHECKS,
        "symbols": SYMBOLS,
        "detection": DETECTION,
        "log_items": _log_items(cert),
        "shown": shown,
        # Relative to the certification's folder, which travels whole (zipped, attached).
        "show_trace": lambda path: trace_command(path, None),
    }
    return render(TEMPLATE, context, _PACKAGE)
