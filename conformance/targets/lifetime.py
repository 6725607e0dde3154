"""Opening browsers and targets, and closing all of them: the one way every caller does it.

The harness (one per pytest worker), certification, ``conformance wpt`` and ``conformance
open`` all hold their browsers and targets in an :class:`OpenTargets`: targets are made
from the registry on first use and share the browsers; closing (``async with``, or
:meth:`OpenTargets.close`) closes every target, then the browsers, also when the work
inside failed, and a target that fails to close does not keep the others open.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from types import TracebackType

from conformance.targets.base import Target, TargetOptions
from conformance.targets.browsers import BrowserOptions, Browsers
from conformance.targets.registry import canonical_target, make_target

__all__ = ["OpenTargets", "open_target"]

class OpenTargets:
    """The browsers of one process and the targets made on them."""

    def __init__(self, options: TargetOptions | None = None, *,
                 browser: BrowserOptions | None = None) -> None:
        """``browser`` replaces ``options.browser`` (e.g. certification's extra flags)."""
        self.options = options or TargetOptions()
        self.browsers = Browsers(browser or self.options.browser)
        self._targets: dict[str, Target] = {}

    def get(self, name: str) -> Target:
        """The target called ``name`` (aliases allowed), made on first use and kept until
        :meth:`close`."""
        name = canonical_target(name)
        if name not in self._targets:
            self._targets[name] = make_target(name, self.browsers, self.options)
        return self._targets[name]

    async def release(self, target: Target) -> None:
        """Close ``target`` now (errors ignored) and forget it: one target after another on
        the same browsers; :meth:`get` makes a new one if asked again."""
        if self._targets.get(target.name) is target:
            del self._targets[target.name]
        await _close_target(target)

    async def close(self) -> None:
        """Close every target, then the browsers."""
        targets, self._targets = list(self._targets.values()), {}
        try:
            for target in targets:
                await _close_target(target)
        finally:
            await self.browsers.close()

    async def __aenter__(self) -> OpenTargets:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        traceback: TracebackType | None) -> None:
        await self.close()


async def _close_target(target: Target) -> None:
    # A target that fails to close (a dead host) must not keep the others or the browsers
    # open; what it held is gone with its process or its browser.
    with contextlib.suppress(Exception):
        await target.close()


@contextlib.asynccontextmanager
async def open_target(name: str, options: TargetOptions | None = None) -> AsyncIterator[Target]:
    """One target called ``name`` on browsers of its own, all closed at the block's end."""
    async with OpenTargets(options) as opened:
        yield opened.get(name)
