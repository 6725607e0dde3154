"""compat.html: the customer's compatibility table as one self-contained page.

Like matrix.html it loads nothing (inline style, system fonts, no script at all) and its
Content Security Policy allows only its own style, by hash. The markup is in
``templates/compat.html.j2``, the style in ``assets/compat.css``; the table's data, and
what its cells may and may not say, in :mod:`~conformance.reports.compat`.
"""

from __future__ import annotations

from typing import Any

from conformance.reports.compat import (
    SUPPORT_LABEL,
    SUPPORT_MEANING,
    SUPPORT_SYMBOL,
    CompatTable,
    Support,
)
from conformance.reports.templating import asset, csp_source, render
from conformance.results import RunInfo

__all__ = ["render_compat_html"]

_CSS = "compat.css"

#: Legend order: the common case first.
_LEGEND = (Support.SUPPORTED, Support.LIMITED, Support.NOT_SUPPORTED,
           Support.REFERENCE_DEVIATION, Support.NOT_TESTED)


def render_compat_html(table: CompatTable, run_info: RunInfo) -> str:
    """compat.html of ``table`` (see the module docstring)."""
    csp = (f"default-src 'none'; img-src data:; style-src {csp_source(asset(_CSS))}; "
           "base-uri 'none'; form-action 'none'")
    context: dict[str, Any] = {
        "css": _CSS,
        "csp": csp,
        "info": run_info,
        "table": table,
        "Support": Support,
        "LEGEND": _LEGEND,
        "LABEL": SUPPORT_LABEL,
        "SYMBOL": SUPPORT_SYMBOL,
        "MEANING": SUPPORT_MEANING,
    }
    return render("compat.html.j2", context)
