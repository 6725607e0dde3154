"""The scripts the harness injects into pages (``conformance/page/*.js``), read once.

``tracking.js`` records the live WebRTC and media objects of a page for both the scenario
runtime and the certification audit (:mod:`conformance.certify.audit.layer`), so it goes in
before either: inject :data:`RUNTIME_SCRIPTS` as a whole, in order. Injecting the tracking
layer twice (runtime and audit in one page) is harmless: the second copy does nothing.
"""

from __future__ import annotations

from importlib import resources

__all__ = ["RUNTIME_SCRIPTS", "TRACKING_JS", "page_script"]


def page_script(name: str) -> str:
    """The source of ``conformance/page/<name>``."""
    return resources.files("conformance").joinpath("page", name).read_text(encoding="utf-8")


#: The live-object registry (``window.__conformanceTracking``).
TRACKING_JS = page_script("tracking.js")
#: The scenario runtime (``window.__conformance``) with the tracking layer it needs first.
RUNTIME_SCRIPTS: tuple[str, ...] = (TRACKING_JS, page_script("runtime.js"))
