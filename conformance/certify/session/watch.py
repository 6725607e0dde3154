"""What an app's page does behind the profile's back, seen and answered as a user would.

A :class:`PageWatch` listens to one app page for the whole session:

- a dialog (``alert``, ``confirm``, ``prompt``, ``beforeunload``) is answered at once the way a
  user does to go on: accepted (OK; a prompt keeps its default value; ``beforeunload``: leave
  the page), so it never holds the page;
- a popup (``window.open``, a ``target=_blank`` link) is recorded with its URL and closed;
- the main frame leaving the app's origin, and the renderer crashing, are recorded.

Each :class:`PageEvent` names the step of the profile and the check that were running, so a
certificate can attach it there. A page whose main thread stops answering is found by the
session (:meth:`~conformance.certify.session.app_session.AppSession.check_alive`) with the
scenario harness's probe and ended the same way (:mod:`conformance.targets.hung`);
:class:`PageGone` carries the reason to the flow.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.async_api import Browser, CDPSession, Dialog, Frame, Page

__all__ = ["EventKind", "PageEvent", "PageGone", "PageWatch", "origin_of"]

EventKind = Literal["dialog", "popup", "left-origin", "crash", "unresponsive"]
#: How long a popup may take to show where it goes, and to close.
_POPUP_BOUND = 2.0
#: How many events one session keeps (a page that opens dialogs in a loop stays bounded).
_EVENT_LIMIT = 20


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` (what "the app's origin" compares)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url.split("#", 1)[0]


class PageGone(Exception):
    """The app's page can no longer be driven (it hung, crashed or left the app's origin);
    the message is the reason a check gives. ``unresponsive``: it hung, and the harness
    closed it (the target's later flows would only hang again)."""

    def __init__(self, reason: str, *, unresponsive: bool = False) -> None:
        super().__init__(reason)
        self.unresponsive = unresponsive


@dataclass(frozen=True)
class PageEvent:
    """One thing the page did that the profile did not ask for."""

    kind: EventKind
    #: The dialog's type (alert, confirm, prompt, beforeunload); the popup's URL (empty:
    #: it never loaded one) or the origin the page left for; the unresponsive time.
    detail: str
    #: The dialog's text (empty for the other kinds).
    text: str
    #: The profile step that was running or had run last (``start_call``, ``the ready condition``).
    step: str
    #: The check being judged when it happened (``None``: the session was not in a check).
    check: str | None
    #: What the harness did about it ("accepted", "closed", "closed the page").
    answer: str = ""

    def describe(self) -> str:
        """The event as a sentence for a finding."""
        if self.kind == "dialog":
            return f"{self.detail}({self.text!r}) shown during {self.step}"
        if self.kind == "popup":
            where = f"to {self.detail}" if self.detail else "(it never loaded an address)"
            return f"a popup {where} opened during {self.step}"
        if self.kind == "left-origin":
            return f"the page left the app for {self.detail} after {self.step}"
        if self.kind == "crash":
            return f"the page's renderer crashed after {self.step}"
        return f"the app's page stayed unresponsive for {self.detail} after {self.step}"


@dataclass
class PageWatch:
    """The listeners of one app page and what they saw (see the module's docstring)."""

    #: The app's origin once it is ready: a main-frame navigation elsewhere is then recorded.
    origin: str | None = None
    #: Which check is being judged now (the flow's), ``None`` outside a check.
    checking: Callable[[], str | None] = lambda: None
    #: The profile step running or run last; the session updates it.
    step: str = "loading the app"
    events: list[PageEvent] = field(default_factory=list)
    #: Where the page went when it left the app's origin (``None``: it did not).
    left_for: str | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    #: The browser's DevTools session that reports new windows (``None``: not heard).
    _cdp: CDPSession | None = None
    #: The app page's DevTools target id, once the page exists.
    _page_target: str | None = None
    #: New windows with an opener: target id -> (opener, the step and check then).
    _opened: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)
    #: The address each new window went to, once known.
    _urls: dict[str, str] = field(default_factory=dict)
    #: Set when a new window's address is known.
    _located: dict[str, asyncio.Event] = field(default_factory=dict)
    _handled: set[str] = field(default_factory=set)

    def listeners(self) -> tuple[tuple[str, Callable[..., object]], ...]:
        """The (event, listener) pairs a page gets from before it loads (the page's
        :class:`~conformance.targets.PageSetup` adds them and removes them with its own)."""
        return (("dialog", self._on_dialog), ("framenavigated", self._on_navigated),
                ("crash", self._on_crash))

    def record(self, kind: EventKind, detail: str, text: str = "", answer: str = "") -> PageEvent:
        """Keep an event of the page (the first :data:`_EVENT_LIMIT`)."""
        event = PageEvent(kind, detail, text[:300], self.step, self.checking(), answer)
        if len(self.events) < _EVENT_LIMIT:
            self.events.append(event)
        return event

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        # Playwright calls listeners synchronously: what waits on the browser runs as a task.
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_dialog(self, dialog: Dialog) -> None:
        self.record("dialog", dialog.type, dialog.message, "accepted")
        # Accepting is what lets a user go on: OK on an alert or confirm, a prompt's default
        # value, leaving on beforeunload.
        self._spawn(self._answer(dialog))

    @staticmethod
    async def _answer(dialog: Dialog) -> None:
        with contextlib.suppress(Exception):  # the page may be gone meanwhile
            if dialog.type == "prompt":
                await dialog.accept(dialog.default_value)
            else:
                await dialog.accept()

    async def watch_popups(self, browser: Browser) -> None:
        """Hear popups through the browser's DevTools protocol (call before the page
        exists): the browser reports a new window as it is made, even when its opener's
        main thread is busy (Playwright's ``popup`` event waits for the popup's renderer,
        which a hung opener may share)."""
        with contextlib.suppress(Exception):  # not Chromium: dialogs are still heard
            session = await browser.new_browser_cdp_session()
            session.on("Target.targetCreated", self._on_target)
            session.on("Target.targetInfoChanged", self._on_target)
            await asyncio.wait_for(session.send("Target.setDiscoverTargets", {"discover": True}),
                                   _POPUP_BOUND)
            self._cdp = session

    async def own(self, page: Page) -> None:
        """The app's page now exists: popups it opened are recorded and closed (also those
        it opened while it loaded)."""
        with contextlib.suppress(Exception):
            session = await page.context.new_cdp_session(page)
            info = await asyncio.wait_for(session.send("Target.getTargetInfo"), _POPUP_BOUND)
            self._page_target = str(info["targetInfo"]["targetId"])
            await session.detach()
        for target_id in list(self._opened):
            self._popup(target_id)

    def _on_target(self, event: dict[str, Any]) -> None:
        info = event.get("targetInfo") or {}
        target_id, opener = str(info.get("targetId")), info.get("openerId")
        if info.get("type") != "page" or not opener:
            return
        if info.get("url"):
            self._urls[target_id] = str(info["url"])
            self._located.setdefault(target_id, asyncio.Event()).set()
        if target_id not in self._opened:
            self._opened[target_id] = (str(opener), self.step, self.checking())
            self._popup(target_id)

    def _popup(self, target_id: str) -> None:
        opener, step, check = self._opened[target_id]
        if self._page_target is None or opener != self._page_target or target_id in self._handled:
            return  # not (yet known to be) the app page's
        self._handled.add(target_id)
        self._spawn(self._close_popup(target_id, step, check))

    async def _close_popup(self, target_id: str, step: str, check: str | None) -> None:
        # Its address comes with its first navigation, if any (a hung opener may keep it
        # from ever starting one).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._located.setdefault(target_id, asyncio.Event()).wait(),
                                   _POPUP_BOUND)
        if len(self.events) < _EVENT_LIMIT:
            self.events.append(PageEvent("popup", self._urls.get(target_id, ""), "", step, check, "closed"))
        if self._cdp is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._cdp.send("Target.closeTarget", {"targetId": target_id}),
                                       _POPUP_BOUND)

    def _on_navigated(self, frame: Frame) -> None:
        # Only once the app is ready (``origin`` set): a set-up may log in on another origin.
        if self.origin is None or self.left_for is not None or frame.parent_frame is not None:
            return
        if frame.url.startswith(("about:", "chrome-error:")) or origin_of(frame.url) == self.origin:
            return
        self.left_for = origin_of(frame.url)
        self.record("left-origin", self.left_for)

    def _on_crash(self, _page: Page) -> None:
        self.record("crash", "renderer")

    async def close(self) -> None:
        """Wait (bounded) for the popups being closed and the dialogs being answered; stop
        hearing popups."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=2 * _POPUP_BOUND + 1)
        for task in list(self._tasks):
            task.cancel()
        if self._cdp is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._cdp.detach(), _POPUP_BOUND)
            self._cdp = None

