"""A native Chromium far end: a second page, in its own native context, answers the call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reference_impl.tones import NATIVE_FAR_END_TONE_HZ

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

__all__ = ["NativePageParty"]

#: The tone the native far end sends unless told otherwise (the name predates the table).
DEFAULT_TONE_HZ = NATIVE_FAR_END_TONE_HZ


class NativePageParty:
    """The other side of a call: ``far-end.html`` in a native browser context (no shim)."""

    kind = "native"

    def __init__(self, context: BrowserContext, page: Page, tone_hz: float) -> None:
        self._context = context
        self._page = page
        self.tone_hz = tone_hz

    @classmethod
    async def open(cls, browser: Browser, url: str, tone_hz: float = DEFAULT_TONE_HZ) -> NativePageParty:
        """Open the far-end page in a fresh native context."""
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(url)
        return cls(context, page, tone_hz)

    async def answer(self, offer_sdp: str) -> str:
        """Answer the page's offer (the far end sends its tone back)."""
        sdp: str = await self._page.evaluate("([sdp, hz]) => window.farEnd.answer(sdp, hz)",
                                             [offer_sdp, self.tone_hz])
        return sdp

    async def offer(self) -> str:
        """Placing a call from the native far end is not offered yet."""
        raise NotImplementedError("the native far end only answers calls")

    async def accept(self, answer_sdp: str) -> None:
        """See :meth:`offer`."""
        raise NotImplementedError("the native far end only answers calls")

    async def stats(self) -> dict[str, Any]:
        """Connection state, received audio (analyser), data messages."""
        stats: dict[str, Any] = await self._page.evaluate("() => window.farEnd.stats()")
        return stats

    async def close(self) -> None:
        """Hang up and close the far end's context."""
        try:
            await self._page.evaluate("() => window.farEnd.close()")
        finally:
            await self._context.close()
