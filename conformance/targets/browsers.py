"""The browsers of one process (a pytest worker, a certification, ``conformance open``).

One Chromium launched by the suite serves every target that launches (``native`` and
``reference`` share it: each page gets its own context); a browser the suite did not start
(``attach``) is connected to once, over CDP or a Playwright server, and is never closed:
the connection is dropped, the user's browser and pages stay.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from conformance.browser import (
    BrowserNotFoundError,
    find_chromium,
    launch_chromium,
    launch_options,
)
from conformance.soundcard import (
    SoundCard,
    SoundCardError,
    default_devices,
    soundcard_problem,
    soundcard_wanted,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright

__all__ = ["BrowserOptions", "Browsers", "channel_problem", "pick_endpoint"]

BrowserChoice = Literal["chromium", "chrome", "msedge"]

#: Where Playwright looks for the branded channels (checked before launching, so that a
#: missing browser is one clear line instead of Playwright's multi-line error).
_CHANNEL_PATHS: dict[str, tuple[str, ...]] = {
    "chrome": ("/opt/google/chrome/chrome",
               "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
               r"C:\Program Files\Google\Chrome\Application\chrome.exe"),
    "msedge": ("/opt/microsoft/msedge/msedge",
               "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
               r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe"),
}
_CHANNEL_NAMES = {"chrome": "Google Chrome", "msedge": "Microsoft Edge"}


@dataclass(frozen=True)
class BrowserOptions:
    """How to get a browser: launch one (``browser``, ``browser_path``) or attach to one."""

    browser: BrowserChoice = "chromium"
    browser_path: str | None = None
    headless: bool = True
    slow_mo: float = 0.0
    extra_args: tuple[str, ...] = ()
    cdp: tuple[str, ...] = ()
    ws: tuple[str, ...] = ()
    #: Which pool member this process uses (an xdist worker's number).
    worker_index: int = field(default_factory=lambda: worker_number())
    #: Give a launched browser the suite's sound card (:mod:`conformance.soundcard`) where
    #: PulseAudio is installed, instead of Chromium's fake microphones and muted output (the
    #: fake camera stays). On unless ``CONFORMANCE_SOUNDCARD=0``
    #: (:func:`~conformance.soundcard.soundcard_wanted`).
    soundcard: bool = field(default_factory=soundcard_wanted)
    #: The sound card's microphone tones (empty: the reference host's, 440/880/660 Hz).
    soundcard_tones: tuple[float, ...] = ()


def worker_number() -> int:
    """This pytest-xdist worker's number (``gw3`` -> 3), 0 outside xdist."""
    match = re.fullmatch(r"gw(\d+)", os.environ.get("PYTEST_XDIST_WORKER", ""))
    return int(match[1]) if match else 0


def pick_endpoint(endpoints: tuple[str, ...], worker_index: int) -> str:
    """The endpoint of a pool this worker uses: workers are dealt round-robin."""
    return endpoints[worker_index % len(endpoints)]


def channel_problem(choice: str) -> str | None:
    """Why ``--browser choice`` cannot launch here (one line), or ``None``."""
    if choice == "chromium":
        return None
    if any(os.path.exists(path) for path in _CHANNEL_PATHS.get(choice, ())):
        return None
    return (f"--browser {choice}: {_CHANNEL_NAMES.get(choice, choice)} is not installed here "
            f"(looked in {', '.join(_CHANNEL_PATHS.get(choice, ())[:1])}); install it, or use "
            "--browser chromium / --browser-path")


class Browsers:
    """Launches or connects browsers on first use and reuses them; :meth:`close` ends it all."""

    def __init__(self, options: BrowserOptions | None = None) -> None:
        self.options = options or BrowserOptions()
        self._playwright: Playwright | None = None
        self._launched: Browser | None = None
        self._attached: Browser | None = None
        self._attached_via = ""
        #: What was launched: executable path (or channel) and version, for run_info.
        self.launched_path = ""
        #: The sound card of the launched browser (``None``: fake devices).
        self.soundcard: SoundCard | None = None
        #: Why a launched browser has no sound card (``None``: it has one, or will have).
        self.soundcard_problem: str | None = None
        if not self.options.soundcard:
            self.soundcard_problem = soundcard_problem() or "not asked for (BrowserOptions.soundcard)"

    def soundcard_expected(self) -> bool:
        """Whether launched pages have (or will have, once launched) the sound card."""
        if not self.options.soundcard or self.soundcard_problem is not None:
            return False
        return self.soundcard is not None or soundcard_problem() is None

    async def _card(self) -> SoundCard | None:
        """The sound card for a launch, started on first use (``None``: fake devices)."""
        if self.soundcard is None and self.soundcard_problem is None:
            self.soundcard_problem = soundcard_problem()
            if self.soundcard_problem is None:
                tones = self.options.soundcard_tones
                card = SoundCard(default_devices(tones) if tones else None)
                try:
                    await asyncio.to_thread(card.start)
                except SoundCardError as exc:
                    self.soundcard_problem = str(exc)
                else:
                    self.soundcard = card
        return self.soundcard

    async def playwright(self) -> Playwright:
        """The Playwright driver of this process."""
        if self._playwright is None:
            from playwright.async_api import async_playwright

            self._playwright = await async_playwright().start()
        return self._playwright

    async def launched(self) -> Browser:
        """The Chromium (or Chrome/Edge channel) this process launched; relaunched if it died."""
        if self._launched is not None and self._launched.is_connected():
            return self._launched
        playwright = await self.playwright()
        options = self.options
        if options.browser == "chromium" or options.browser_path:
            info = find_chromium(options.browser_path)
            self.launched_path = info.path
            self._launched = await launch_chromium(
                playwright, info, headless=options.headless, extra_args=options.extra_args,
                slow_mo=options.slow_mo or None, soundcard=await self._card(),
            )
        else:
            problem = channel_problem(options.browser)
            if problem:
                raise BrowserNotFoundError(problem)
            self.launched_path = f"channel {options.browser}"
            self._launched = await playwright.chromium.launch(
                channel=options.browser, headless=options.headless, slow_mo=options.slow_mo or None,
                **launch_options(options.extra_args, soundcard=await self._card()),
            )
        return self._launched

    @property
    def attach_endpoint(self) -> str:
        """The CDP or Playwright-server endpoint this process attaches to."""
        endpoints = self.options.cdp or self.options.ws
        if not endpoints:
            raise BrowserNotFoundError("the attach target needs --cdp URL or --ws URL")
        return pick_endpoint(endpoints, self.options.worker_index)

    @property
    def attached_over_cdp(self) -> bool:
        """Whether the attached browser was reached over CDP (a user's browser with its
        default context) rather than a Playwright server (fresh contexts only)."""
        return bool(self.options.cdp)

    async def attached(self) -> Browser:
        """The browser the suite did not start, connected once per process."""
        if self._attached is not None and self._attached.is_connected():
            return self._attached
        playwright = await self.playwright()
        endpoint = self.attach_endpoint
        try:
            if self.options.cdp:
                self._attached = await playwright.chromium.connect_over_cdp(endpoint, timeout=30_000)
            else:
                # A Playwright server launches the browser itself, with the options its URL
                # asks for (`?launch-options=`, honoured by `run-server --unsafe`) or its
                # own configuration: docs/targets.md shows the suite's flags.
                self._attached = await playwright.chromium.connect(endpoint, timeout=30_000)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BrowserNotFoundError(f"cannot attach to {endpoint}: {first}") from None
        self._attached_via = endpoint
        return self._attached

    async def close(self) -> None:
        """Close what was launched; for an attached browser only drop the connection."""
        if self._launched is not None:
            with contextlib.suppress(Exception):  # already gone
                await self._launched.close()
            self._launched = None
        # Stopping the driver drops the CDP / server connection without closing the
        # attached browser (Browser.close() on a CDP connection would close the user's).
        self._attached = None
        if self._playwright is not None:
            with contextlib.suppress(Exception):  # the driver died with its browsers
                await self._playwright.stop()
            self._playwright = None
        if self.soundcard is not None:
            card, self.soundcard = self.soundcard, None
            await asyncio.to_thread(card.stop)
