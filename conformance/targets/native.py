"""``native``: the browser's own WebRTC and media stack (Chromium, or Chrome/Edge channels)."""

from __future__ import annotations

from typing import Any

from conformance.network.topology import NATIVE_WHERE
from conformance.targets.base import Target

__all__ = ["NativeTarget"]


class NativeTarget(Target):
    """A browser the suite launched, with nothing between the page and its media stack."""

    name = "native"
    description = "the browser's own media stack (launched by the suite)"

    async def identity(self) -> dict[str, Any]:
        """The browser; no redirection."""
        browser = await self.browser()
        return {"name": self.name, "kind": "native", "redirection": None,
                "browser": self.browsers.options.browser, "browser_version": browser.version,
                "network": {"topology": "data-centre", "media_from": NATIVE_WHERE}}
