"""``attach``: a browser the suite did not start (a real redirected session, a browser farm).

Reached over CDP (``--cdp URL``: a Chromium, Chrome or Edge started with
``--remote-debugging-port``) or a Playwright server (``--ws URL``: ``playwright run-server``).
Over CDP, items run in new pages of the browser's existing default context, where its
extensions are active as in a real session; the suite closes only the pages it opened and
never the browser. Over a Playwright server each item gets a fresh context, as the server
launched the browser for this connection.

Which expectations apply is read from the first page (``isCallRedirectionEnabled``) or
given with ``--attach-expects``. The target has no fault injection, speaker records or host
view: items that need them are SKIP with that reason.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from conformance.targets.base import ExpectationKind, OpenedPage, PageSetup, Target, TargetOptions

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

    from conformance.targets.browsers import Browsers

__all__ = ["TARGET", "AttachTarget"]

#: How long a page may take to show the redirection flag (an extension may set it after
#: it connected to its local side) before the browser counts as not redirected.
_DETECT_TIMEOUT_S = 3.0
_DETECT_SCRIPT = """() => {
  const md = navigator.mediaDevices;
  if (!md || md.isCallRedirectionEnabled !== true) return null;
  return {reference: Boolean(window.__mmrReferenceShim),
          clientVersion: String(md.mmrClientVersion ?? ''),
          hostVersion: String(md.mmrHostVersion ?? ''),
          extensionVersion: String(md.mmrExtensionVersion ?? '')};
}"""


class AttachTarget(Target):
    """A browser reached over CDP or a Playwright server (far ends open in fresh contexts of
    it, away from its extensions: the base class's ``far_end_browser``)."""

    name = "attach"
    description = "a browser the suite did not start (--cdp URL or --ws URL)"
    fixed_kind = None
    report_order = 2
    launched_by_suite = False

    def __init__(self, browsers: Browsers, expects: ExpectationKind | None = None) -> None:
        super().__init__(browsers)
        self._given = expects
        self._kind: ExpectationKind | None = expects
        self._redirection: dict[str, Any] | None = None

    @classmethod
    def create(cls, browsers: Browsers, options: TargetOptions) -> AttachTarget:
        """The attach target; ``--attach-expects`` fixes its expectations (else detected)."""
        return cls(browsers, options.attach_expects)

    async def browser(self) -> Browser:
        """The attached browser."""
        return await self.browsers.attached()

    async def context_for_page(self) -> tuple[BrowserContext, bool]:
        """The browser's default context over CDP (not ours to close); a fresh one otherwise."""
        browser = await self.browser()
        if self.browsers.attached_over_cdp and browser.contexts:
            return browser.contexts[0], False
        return await browser.new_context(), True

    @property
    def pooled_pages(self) -> bool:
        """Never: pages open in the user's browser, as new pages, and are closed after."""
        return False

    async def open_page(self, url: str, setup: PageSetup | None = None) -> OpenedPage:
        """Open the page; the first one also tells which redirection (if any) is active."""
        opened = await super().open_page(url, setup)
        if self._redirection is None:
            try:
                await self._detect(opened.page)
            except Exception:
                await opened.close()
                raise
        return opened

    async def _detect(self, page: Page) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _DETECT_TIMEOUT_S
        while True:
            found = await page.evaluate(_DETECT_SCRIPT)
            if found is not None or loop.time() >= deadline:
                break
            await asyncio.sleep(0.05)  # polling interval of a bounded wait
        self._redirection = found or {}
        if self._given is None:
            self._kind = "redirected" if found else "native"

    async def expectation_kind(self) -> ExpectationKind:
        """``--attach-expects``, or what the first page (or the probe page) showed."""
        if self._redirection is None and self.probe_url is not None:
            probe = await self.open_page(self.probe_url, PageSetup(wait_ready=False))
            await probe.close()
        if self._kind is None:
            raise RuntimeError("the attach target learns its expectations from a page: open one first")
        return self._kind

    def honours_reference_limitations(self) -> bool:
        """Only when the attached browser runs the reference shim (e.g. its extension):
        a ``ref-*`` deviation is never expected of a real product."""
        return bool((self._redirection or {}).get("reference"))

    async def identity(self) -> dict[str, Any]:
        """The attached browser and the redirection its pages reported."""
        browser = await self.browser()
        found = self._redirection or {}
        redirection: dict[str, Any] | None = None
        if found:
            redirection = {
                "implementation": "reference" if found.get("reference") else "product",
                "client_version": found.get("clientVersion", ""),
                "host_version": found.get("hostVersion", ""),
                "extension_version": found.get("extensionVersion", ""),
            }
        return {"name": self.name, "kind": self._kind or "unknown", "redirection": redirection,
                "expects_from": "option" if self._given else "page",
                # Without the query: a Playwright server URL may carry launch options.
                "endpoint": self.browsers.attach_endpoint.split("?")[0],
                "via": "cdp" if self.browsers.attached_over_cdp else "playwright-server",
                "browser_version": browser.version}


#: What the registry (:mod:`conformance.targets`) finds in this module.
TARGET = AttachTarget
