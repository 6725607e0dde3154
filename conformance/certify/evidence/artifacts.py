"""Evidence files of failing checks (artifacts): a screenshot and the Playwright trace of the check's page.

Every page session of a certification records a Playwright trace from its first request;
a check that fails (``fail`` or ``error``) gets a screenshot taken as it fails, and keeps
the trace of its session. Files go straight into the certification's ``evidence/`` folder
(:class:`ArtifactStore`); what no failing check needs is deleted at the end
(:meth:`ArtifactStore.keep_only`), so passing checks keep nothing.

The tracing, the screenshots and the links are the harness's one mechanism
(:mod:`conformance.artifacts`: :class:`~conformance.artifacts.Tracing`,
:func:`~conformance.artifacts.screenshot`, :func:`~conformance.artifacts.relative_link`);
this module decides what a certification keeps.

A trace records what steps type and the page's DOM: when the profile fills secrets
(``{env:NAME}``) no trace is kept (the screenshot masks the fields filled with them), and
a page in a browser the suite does not own (``attach`` over CDP) is not traced.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.artifacts import Tracing, relative_link, screenshot

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Locator, Page

    from conformance.certify.model import CheckResult

__all__ = ["FAILING", "ArtifactStore", "SessionArtifacts"]

#: The verdicts that keep evidence.
FAILING = ("fail", "error")
NO_TRACE_SECRETS = ("no trace kept: the profile logs in (secrets in {env:NAME} or a saved login in "
                    "`app.storage_state`), which a trace would record (what was typed, the "
                    "cookies sent); the screenshot is kept, with the secret fields masked")
NO_TRACE_UNOWNED = "no trace: the page ran in a browser context the suite does not own"


@dataclass
class SessionArtifacts:
    """The evidence of one page session (one flow's page)."""

    store: ArtifactStore
    #: ``<target>-<first check of the flow>``: the session's files are named after it.
    name: str
    masks: list[Locator] = field(default_factory=list)
    page: Page | None = None
    tracing: bool = False
    trace: Path | None = None
    #: Why the session has no trace (``None`` while it may have one).
    no_trace: str | None = None
    shots: dict[str, Path] = field(default_factory=dict)
    #: The page has no pixels (its renderer crashed or was ended): no screenshot is tried,
    #: each would wait for its whole bound.
    blind: bool = False
    _pending: list[asyncio.Task[None]] = field(default_factory=list)
    _collected: bool = False

    async def on_context(self, context: BrowserContext) -> None:
        """Start tracing a context made for this session (never a shared one)."""
        if self.store.secrets:
            self.no_trace = NO_TRACE_SECRETS
            return
        try:
            await self.store.tracing.start(context)
            self.tracing = True
        except Exception as exc:  # the trace is evidence, never a reason to fail the session
            self.no_trace = f"no trace: Playwright could not record one ({type(exc).__name__})"

    def failed(self, check: str) -> None:
        """``check`` failed on this page: screenshot it now (in the background, so the flow
        goes on), unless the session has ended (its last screenshot then serves)."""
        if self._collected or self.page is None or self.blind or check in self.shots:
            return
        path = self.store.folder / f"{self.store.target}-{check}.png"
        self.shots[check] = path
        self._pending.append(asyncio.ensure_future(self._shoot(self.page, path)))

    async def _shoot(self, page: Page, path: Path) -> None:
        await screenshot(page, path, self.masks)  # a closed or crashed page: no screenshot

    async def collect(self, *, keep_trace: bool) -> None:
        """Before the session's page closes: finish the screenshots, take a last one, and
        save the trace when a check failed or ``keep_trace`` (audit checks may fail later)."""
        if self._collected:
            return
        if self.page is not None and not self.page.is_closed() and not self.blind:
            last = self.store.folder / f"{self.name}-last.png"
            await self._shoot(self.page, last)
            self.shots.setdefault("", last)
        await asyncio.gather(*self._pending, return_exceptions=True)
        self._collected = True
        if not self.tracing:
            self.no_trace = self.no_trace or NO_TRACE_UNOWNED
            return
        keep = keep_trace or any(check for check in self.shots)
        path = self.store.folder / f"{self.name}-trace.zip"
        try:
            await self.store.tracing.stop(self.page.context, path if keep else None)  # type: ignore[union-attr]
            self.trace = path if keep else None
        except Exception as exc:
            self.no_trace = f"no trace: Playwright could not save it ({type(exc).__name__})"

    def attach(self, result: CheckResult) -> None:
        """Link this session's evidence from a failing ``result``."""
        shot = self.shots.get(result.check) or self.shots.get("")
        if shot is not None and shot.exists():
            result.artifacts["screenshot"] = self.store.relative(shot)
        if self.trace is not None and self.trace.exists():
            result.artifacts["trace"] = self.store.relative(self.trace)
        elif self.no_trace:
            result.artifacts["no_trace"] = self.no_trace


@dataclass
class ArtifactStore:
    """Where one target's evidence goes: ``folder`` (``<certification>/evidence``)."""

    folder: Path
    target: str
    #: Whether the profile fills secrets (no traces then).
    secrets: bool = False
    sessions: list[SessionArtifacts] = field(default_factory=list)
    #: The traces of the target's sessions, with DOM snapshots (a certification's page state
    #: lives in the DOM the profile's steps act on).
    tracing: Tracing = field(default_factory=lambda: Tracing(snapshots=True))

    def start(self, checks: tuple[str, ...]) -> SessionArtifacts:
        """The artifacts of a new session whose flow judges ``checks``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        artifacts = SessionArtifacts(self, f"{self.target}-{checks[0] if checks else 'session'}")
        self.sessions.append(artifacts)
        return artifacts

    def relative(self, path: Path) -> str:
        """``path`` as the certificate links it: relative to the certification's folder."""
        return relative_link(path, self.folder.parent)

    @property
    def main(self) -> SessionArtifacts | None:
        """The first session's artifacts: the main call's page, where the audit checks' evidence
        comes from."""
        return self.sessions[0] if self.sessions else None

    def keep_only(self, results: list[CheckResult]) -> None:
        """Delete every file no failing result links (and the folder when it is left empty)."""
        wanted = {name for r in results for key, name in r.artifacts.items()
                  if key in ("screenshot", "trace")}
        if not self.folder.is_dir():
            return
        for path in self.folder.glob(f"{self.target}-*"):
            if self.relative(path) not in wanted:
                path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.folder.rmdir()  # only when empty
