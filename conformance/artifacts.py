"""Failure artifacts: a screenshot, the Playwright trace and the logs of a failing item.

The one mechanism that records them, for the scenario harness (:class:`ArtifactPolicy`) and
for certification (:mod:`conformance.certify.evidence.artifacts`): :class:`Tracing` starts
and saves Playwright traces (a chunk per item on a reused context), :func:`screenshot`
takes a bounded screenshot that never fails its caller, :func:`relative_link` names a file
the way a report links it.

Scenario artifacts go to ``<run dir>/artifacts/<scenario-id>/<target>/`` and are linked from the
result with paths relative to the run folder, so a run folder can be moved or uploaded as a
whole. Tracing is recorded for every item when the mode is ``retain-on-failure`` and kept
only for items that did not pass (Playwright cannot start a trace after the fact).
"""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from conformance.results import ScenarioResult
from conformance.runinfo import ARTIFACTS_DIR

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Locator, Page

__all__ = ["SCREENSHOT_TIMEOUT_MS", "ArtifactPolicy", "TraceMode", "Tracing", "relative_link", "screenshot"]

TraceMode = Literal["off", "on", "retain-on-failure"]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: How long a screenshot may take before it is given up (a hung page has no pixels).
SCREENSHOT_TIMEOUT_MS = 5000.0


def relative_link(path: Path, root: Path) -> str:
    """``path`` as a report in ``root`` links it (relative, with forward slashes)."""
    return path.relative_to(root).as_posix()


async def screenshot(page: Page, path: Path, masks: Sequence[Locator] = ()) -> str | None:
    """Save a screenshot of ``page`` to ``path`` (``masks`` painted over); ``None`` when it
    was saved, else why not (a closed or crashed page): a screenshot never fails its caller."""
    try:
        await page.screenshot(path=str(path), timeout=SCREENSHOT_TIMEOUT_MS, mask=list(masks))
    except Exception as exc:
        return str(exc) or type(exc).__name__
    return None


@dataclass
class Tracing:
    """Playwright traces of browser contexts: one chunk per item or session, so a context
    that serves many items (the harness's pool) gives each its own trace."""

    #: DOM snapshots in the traces (every action snapshots the DOM: about 10 % of a run's time).
    snapshots: bool = False
    #: Contexts already tracing (weakly: a closed context goes away).
    _contexts: weakref.WeakSet[BrowserContext] = field(
        default_factory=weakref.WeakSet, compare=False, repr=False)

    async def start(self, context: BrowserContext) -> None:
        """Begin a trace on ``context``: the first start begins tracing (which opens a
        chunk), the next ones open a new chunk."""
        if context in self._contexts:
            await context.tracing.start_chunk()
        else:
            await context.tracing.start(screenshots=True, snapshots=self.snapshots)
            self._contexts.add(context)

    async def stop(self, context: BrowserContext, path: Path | None) -> None:
        """End the current chunk of ``context``'s trace, saving it to ``path`` (``None``:
        dropped)."""
        await context.tracing.stop_chunk(path=str(path) if path is not None else None)


@dataclass(frozen=True)
class ArtifactPolicy:
    """Where artifacts go (``None``: nowhere) and whether to record traces."""

    run_dir: Path | None
    trace: TraceMode = "retain-on-failure"
    #: DOM snapshots in traces. Off by default: they cost about 10 % of a run's time (every
    #: action snapshots the DOM), and a scenario's state lives in JavaScript, which the
    #: trace's calls, console and screenshots already show.
    snapshots: bool = False
    #: The traces (a pooled context serves many items, a chunk each).
    _tracing: Tracing = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tracing", Tracing(self.snapshots))

    @property
    def tracing(self) -> bool:
        """Whether items record a trace."""
        return self.run_dir is not None and self.trace != "off"

    def folder(self, result: ScenarioResult) -> Path:
        """The item's artifact folder (created)."""
        assert self.run_dir is not None
        folder = self.run_dir / ARTIFACTS_DIR / _UNSAFE.sub("_", result.scenario) / result.target
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def relative(self, path: Path) -> str:
        """``path`` relative to the run folder, as results.json links it."""
        assert self.run_dir is not None
        return relative_link(path, self.run_dir)

    async def start(self, context: BrowserContext) -> None:
        """Begin the item's trace when traces are wanted: the context's first item starts
        tracing (which opens a chunk); a reused context's next items open a new chunk."""
        if self.tracing:
            await self._tracing.start(context)

    async def finish(self, context: BrowserContext | None, page: Page | None,
                     result: ScenarioResult) -> None:
        """Save what a failing item needs for diagnosis; drop the trace of a passing one.

        ``context`` is ``None`` when the item's page lives in a context it does not own (an
        attached browser's default context): nothing was traced there.
        """
        tracing = self.tracing and context is not None
        keep = self.run_dir is not None and (result.status != "PASS" or self.trace == "on")
        if not keep:
            if tracing and context is not None:
                await self._tracing.stop(context, None)
            return
        folder = self.folder(result)
        if page is not None and not page.is_closed() and result.status != "PASS":
            shot = folder / "screenshot.png"
            failed = await screenshot(page, shot)
            if failed is None:
                result.artifacts["screenshot"] = self.relative(shot)
            else:  # a crashed page has no pixels; say so
                result.console.append({"type": "harness", "text": f"no screenshot: {failed}"})
        if tracing and context is not None:
            trace = folder / "trace.zip"
            await self._tracing.stop(context, trace)
            result.artifacts["trace"] = self.relative(trace)
        log = folder / "log.json"
        log.write_text(json.dumps({"console": result.console, "mmrExtensionLog": result.mmr_log},
                                  indent=2))
        result.artifacts["log"] = self.relative(log)
