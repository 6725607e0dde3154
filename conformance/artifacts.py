"""Failure artifacts: a screenshot, the Playwright trace and the logs of a failing item.

Artifacts go to ``<run dir>/artifacts/<scenario-id>/<target>/`` and are linked from the
result with paths relative to the run folder, so a run folder can be moved or uploaded as a
whole. Tracing is recorded for every item when the mode is ``retain-on-failure`` and kept
only for items that did not pass (Playwright cannot start a trace after the fact).
"""

from __future__ import annotations

import json
import re
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from conformance.results import ScenarioResult
from conformance.runinfo import ARTIFACTS_DIR

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page

__all__ = ["ArtifactPolicy", "TraceMode"]

TraceMode = Literal["off", "on", "retain-on-failure"]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ArtifactPolicy:
    """Where artifacts go (``None``: nowhere) and whether to record traces."""

    run_dir: Path | None
    trace: TraceMode = "retain-on-failure"
    #: DOM snapshots in traces. Off by default: they cost about 10 % of a run's time (every
    #: action snapshots the DOM), and a scenario's state lives in JavaScript, which the
    #: trace's calls, console and screenshots already show.
    snapshots: bool = False
    #: Contexts already tracing (a pooled context serves many items, a chunk each).
    _tracing: weakref.WeakSet[BrowserContext] = field(
        default_factory=weakref.WeakSet, compare=False, repr=False)

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
        return path.relative_to(self.run_dir).as_posix()

    async def start(self, context: BrowserContext) -> None:
        """Begin the item's trace when traces are wanted: the context's first item starts
        tracing (which opens a chunk); a reused context's next items open a new chunk."""
        if not self.tracing:
            return
        if context in self._tracing:
            await context.tracing.start_chunk()
        else:
            await context.tracing.start(screenshots=True, snapshots=self.snapshots)
            self._tracing.add(context)

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
                await context.tracing.stop_chunk()
            return
        folder = self.folder(result)
        if page is not None and not page.is_closed() and result.status != "PASS":
            try:
                shot = folder / "screenshot.png"
                await page.screenshot(path=str(shot), timeout=5000)
                result.artifacts["screenshot"] = self.relative(shot)
            except Exception as exc:  # a crashed page has no pixels; say so
                result.console.append({"type": "harness", "text": f"no screenshot: {exc}"})
        if tracing and context is not None:
            trace = folder / "trace.zip"
            await context.tracing.stop_chunk(path=str(trace))
            result.artifacts["trace"] = self.relative(trace)
        log = folder / "log.json"
        log.write_text(json.dumps({"console": result.console, "mmrExtensionLog": result.mmr_log},
                                  indent=2))
        result.artifacts["log"] = self.relative(log)
