"""``native``: the browser's own WebRTC and media stack (Chromium, or Chrome/Edge channels)."""

from __future__ import annotations

from typing import Any

from conformance.targets.base import Target

__all__ = ["TARGET", "NativeTarget"]


class NativeTarget(Target):
    """A browser the suite launched, with nothing between the page and its media stack."""

    name = "native"
    description = "the browser's own media stack (launched by the suite)"
    report_order = 0
    runs_by_default = True

    async def identity(self) -> dict[str, Any]:
        """The browser; no redirection."""
        browser = await self.browser()
        return {"name": self.name, "kind": "native", "redirection": None,
                "browser": self.browsers.options.browser, "browser_version": browser.version}


#: What the registry (:mod:`conformance.targets`) finds in this module.
TARGET = NativeTarget
