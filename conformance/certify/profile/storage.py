"""A saved login on the app's page, and the fields that hold secrets.

``app.storage_state`` names a Playwright storage-state file (what
``playwright codegen --save-storage`` or ``context.storage_state(path=...)`` writes): its
cookies and each origin's ``localStorage``. The targets make the app's context themselves,
so the state is applied to it the way Playwright applies one to a new context: cookies
added, and each origin's ``localStorage`` set from a blank page of that origin (served by
a route, so nothing reaches the app's server) before the app's page exists.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.certify.profile.placeholders import ENV_PREFIX, names_in, substitute
from conformance.certify.profile.value_checks import read_storage_state

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Locator, Page, Route

    from conformance.certify.profile.model import Profile

__all__ = ["apply_storage_state", "secret_fields"]

_SET_ITEMS = "items => { for (const item of items) localStorage.setItem(item.name, item.value) }"


async def _blank(route: Route) -> None:
    await route.fulfill(status=200, content_type="text/html", body="<!doctype html><title></title>")


async def apply_storage_state(context: BrowserContext, file: Path) -> None:
    """Add the cookies and ``localStorage`` of the storage state in ``file`` to ``context``."""
    state: dict[str, Any] = read_storage_state(file)
    cookies = [c for c in state.get("cookies", []) if isinstance(c, dict)]
    if cookies:
        await context.add_cookies(cookies)  # type: ignore[arg-type]  # Playwright's own format
    for origin in state.get("origins", []):
        items = origin.get("localStorage") if isinstance(origin, dict) else None
        if not items or not isinstance(origin.get("origin"), str):
            continue
        page = await context.new_page()
        try:
            await page.route("**/*", _blank)
            await page.goto(origin["origin"])
            await page.evaluate(_SET_ITEMS, items)
        finally:
            await page.close()


def secret_fields(page: Page, profile: Profile, values: dict[str, str]) -> list[Locator]:
    """The fields the profile fills with secrets (``{env:NAME}`` in a ``fill`` value), for
    screenshots to mask."""
    fields: list[Locator] = []
    for step in profile.steps():
        secret = step.value is not None and any(n.startswith(ENV_PREFIX) for n in names_in(step.value))
        if not secret or step.selector is None:
            continue
        with contextlib.suppress(KeyError):  # a device placeholder not chosen yet
            selector = substitute(step.selector, values)
            fields.append(page.frame_locator(step.frame).locator(selector) if step.frame
                          else page.locator(selector))
    return fields
