"""A page whose main thread stopped answering: how the suite finds it and ends it.

One mechanism for scenario items (``conformance/harness.py``) and certification's sessions
(``certify/session/app_session.AppSession.check_alive``): after a step ran out of its bound,
a trivial evaluation gets :data:`RESPONSIVE_TIMEOUT` to answer (a script that never yields,
``while (true) {}``, holds the main thread); a page that did not answer is closed from the
browser's side, which ends its renderer (``Page.crash`` would wait: the renderer runs it on
the main thread the script holds).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.targets.base import OpenedPage

__all__ = ["RESPONSIVE_TIMEOUT", "end_hung_page", "responsive"]

#: How long a page may take to answer a trivial evaluation before it counts as hung.
RESPONSIVE_TIMEOUT = 1.0


async def responsive(opened: OpenedPage, bound: float = RESPONSIVE_TIMEOUT) -> bool:
    """Whether the page's main thread still runs scripts: a trivial evaluation answers
    within ``bound`` seconds, or fails at once (the document went away in a navigation, or
    the page closed or crashed: not hung, and a crash is heard on its own); only no answer
    at all counts as hung."""
    try:
        await asyncio.wait_for(opened.page.evaluate("1"), bound)
    except TimeoutError:
        return False
    except Exception:  # answered, with an error: whatever it is, the page is not hung
        return True
    return True


async def end_hung_page(opened: OpenedPage) -> None:
    """Close a hung page from the browser's side (its renderer ends with it) and spoil it:
    it never serves another item. Closing the item's context follows as usual."""
    opened.spoil()
    with contextlib.suppress(Exception):  # already gone: nothing to end
        await asyncio.wait_for(opened.page.close(), RESPONSIVE_TIMEOUT)
