"""One app page under certification: a page opened on a target, with the audit.

A session loads the app through the target's one ``open_page`` (the target's shim first,
then the audit layer, in every frame), runs the profile's set-up, waits until the app is
ready, and then performs actions and reads the audit on behalf of the checks. Closing it
closes what was opened for it (the context, or only the page in an attached browser).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from conformance.certify.audit.layer import AUDIT_GLOBAL, audit_init_scripts
from conformance.certify.profile.loader import Condition, Profile
from conformance.certify.profile.storage import apply_storage_state, secret_fields
from conformance.certify.session.steps import StepFailed, check_condition, run_step, wait_condition
from conformance.certify.session.watch import PageGone, PageWatch, origin_of
from conformance.results import LOG_ENTRY_LIMIT
from conformance.targets import OpenedPage, PageSetup
from conformance.targets.hung import end_hung_page, responsive

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Frame, Page

    from conformance.certify.evidence.artifacts import SessionArtifacts
    from conformance.targets import Target

__all__ = ["AppSession", "Devices", "SessionError"]

#: The least time an evaluation in the app's page may take before the page is probed: the
#: audit's own waits (``settle``, a rendering measurement) run for up to a few seconds.
_EVALUATE_BOUND = 10.0
#: How long the page may take to answer the probe before it counts as hung: longer than the
#: scenario harness's second, since a real app's page (video, under a loaded machine's
#: other browsers) was seen to miss a second while it was not hung.
_PROBE_BOUND = 4.0
#: How late a step or a wait of the profile may end past its own bound.
_OVERRUN = 1.0
T = TypeVar("T")


class SessionError(Exception):
    """The app could not be loaded, set up or made ready; the message says where."""


@dataclass
class Devices:
    """The devices the suite picks for the app (never the default one when there is a choice)."""

    mic_id: str = ""
    mic_label: str = ""
    speaker_id: str = ""
    speaker_label: str = ""
    microphones: int = 0
    speakers: int = 0


@dataclass
class AppSession:
    """A page of the app on one target."""

    target: Target
    profile: Profile
    url: str
    values: dict[str, str]
    opened: OpenedPage | None = None
    page: Page | None = None
    console: list[dict[str, Any]] = field(default_factory=list)
    navigations: int = 0
    #: The evidence of this page, kept if a check fails (``None``: none is kept).
    artifacts: SessionArtifacts | None = None
    #: deviceId -> label of the devices the page listed (the certificate shows labels).
    device_labels: dict[str, str] = field(default_factory=dict)
    #: Dialogs, popups, navigations away and crashes of the page, as they happen.
    watch: PageWatch = field(default_factory=PageWatch)
    #: Why the page can no longer be driven, once it is known (see :meth:`check_alive`).
    gone: PageGone | None = None
    #: When the page last answered (a step done, a condition held, an evaluation returned).
    _answered: float = field(default_factory=time.monotonic)

    async def open(self) -> None:
        """Open the app's page on the target, run set-up, wait until ready."""
        setup = PageSetup(
            init_scripts=audit_init_scripts(),
            on_console=self._on_console,
            on_page_error=lambda error: self._log("pageerror", str(error)),
            on_navigated=self._on_navigated,
            on_context=self._on_context,
            goto_timeout=self.profile.timeout,
            listeners=self.watch.listeners(),
        )
        try:
            await self.watch.watch_popups(await self.target.browser())
            self.opened = await self.target.open_page(self.url, setup)
        except Exception as exc:
            raise SessionError(f"the app did not load from {self.url}: {str(exc).splitlines()[0]}") from None
        page = self.page = self.opened.page
        await self.watch.own(page)
        self._answered = time.monotonic()
        if self.artifacts is not None:
            self.artifacts.page = page
            self.artifacts.masks = secret_fields(page, self.profile, self.values)
        if self.opened.not_ready:
            self._log("harness", self.opened.not_ready)
        if self.profile.setup:
            self.watch.step = "the set-up"
        try:
            for step in self.profile.setup:
                await run_step(page, step, self.values, base_url=self.url)
        except StepFailed as exc:
            await self._fail(SessionError(f"set-up failed: {exc}"))
        if not await self.frames_with_audit():
            await self._fail(SessionError(
                "the audit layer is missing from the page (a Content-Security-Policy or a non-HTML page?)"
            ))
        if not await self.wait_ready():
            raise SessionError(
                f"the app never became ready ({self.profile.ready.describe() if self.profile.ready else ''})"
            )
        # From now on the app is where it lives: leaving its origin is the app's doing.
        self.watch.origin = origin_of(page.url)

    async def _fail(self, error: SessionError) -> NoReturn:
        """Raise ``error``, unless the page's own trouble (it hung or crashed) is the
        reason: then :class:`PageGone`."""
        await self.check_alive()
        raise error

    async def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait for the profile's ``ready`` condition (true at once when there is none);
        :class:`PageGone` when the page hung or crashed meanwhile."""
        if self.profile.ready is None:
            return True
        return await self.wait(self.profile.ready, timeout or self.profile.ready.timeout,
                               step="the ready condition")

    async def _on_context(self, context: BrowserContext) -> None:
        """A context made for this page: the saved login, then the trace."""
        if self.profile.app.storage_state is not None:
            await apply_storage_state(context, self.profile.app.storage_state)
        if self.artifacts is not None:
            await self.artifacts.on_context(context)

    @property
    def _page(self) -> Page:
        assert self.page is not None, "open() first"
        return self.page

    def _log(self, kind: str, text: str) -> None:
        if len(self.console) < LOG_ENTRY_LIMIT:
            self.console.append({"type": kind, "text": text[:500]})

    def _on_console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self._log(message.type, message.text)

    def _on_navigated(self, frame: Frame) -> None:
        if self.page is not None and frame == self.page.main_frame:
            self.navigations += 1

    # --- actions and conditions ------------------------------------------------------------
    async def action(self, name: str, timeout: float | None = None, *,
                     values: dict[str, str] | None = None) -> None:
        """Run a profile action (``values``: placeholders of this run only, e.g. ``digit``);
        :class:`StepFailed` when a step fails."""
        merged = {**self.values, **values} if values else self.values
        self.watch.step = name
        for step in self.profile.actions.get(name, ()):
            try:
                await self._within(run_step(self._page, step, merged, timeout, base_url=self.url),
                                   timeout if timeout is not None else step.timeout,
                                   StepFailed(f"{step.mark}: {step.describe()}: no answer from the page"))
            except StepFailed:
                await self.check_alive()  # a hung page is the reason, not the step
                raise
            self._answered = time.monotonic()

    async def holds(self, condition: Condition) -> bool:
        """Whether ``condition`` holds now."""
        return await check_condition(self._page, condition, self.values)

    async def wait(self, condition: Condition, timeout: float | None = None, *, want: bool = True,
                   step: str | None = None) -> bool:
        """Wait for ``condition`` to hold (or stop holding); :class:`PageGone` when it did
        not because the page hung or crashed (``step``: what the wait is, for that reason;
        by default the step run last)."""
        bound = timeout or condition.timeout or self.profile.timeout
        if step is not None:
            self.watch.step = step
        held = await self._within(wait_condition(self._page, condition, self.values, bound, want=want),
                                  bound, None)
        if not held:
            await self.check_alive()
            return False
        self._answered = time.monotonic()
        return True

    async def evaluate(self, expression: str) -> Any:
        """Evaluate a JavaScript expression of the profile in the main frame (``version_js``,
        ``diagnostics``: the app's globals are the top page's), bounded."""
        return await self._bounded(self._page, f"() => (\n{expression}\n)")

    @staticmethod
    async def _within(work: Awaitable[T], bound: float, overrun: T | Exception) -> T:
        """``work``, given :data:`_OVERRUN` s more than its own ``bound`` (Playwright's
        timeouts run late on a hung page while a trace records it); past that, ``overrun``
        (raised when it is an exception)."""
        try:
            return await asyncio.wait_for(work, bound + _OVERRUN)
        except TimeoutError:
            if isinstance(overrun, Exception):
                raise overrun from None
            return overrun

    async def _bounded(self, scope: Page | Frame, script: str, arg: Any = None) -> Any:
        """Evaluate ``script`` in ``scope``; when it times out or fails and the page hung or
        crashed, :class:`PageGone` instead of the error."""
        bound = max(self.profile.timeout, _EVALUATE_BOUND)
        try:
            value = await asyncio.wait_for(scope.evaluate(script, arg), bound)
        except Exception:
            await self.check_alive()
            raise
        self._answered = time.monotonic()
        return value

    async def check_alive(self) -> None:
        """Return when the page can still be driven; else raise :class:`PageGone` with the
        reason: it crashed, it left the app's origin, or its main thread stopped answering
        (the scenario harness's probe; the page is then ended as the harness does, so that
        nothing waits on it any longer)."""
        if self.gone is not None:
            raise self.gone
        opened = self.opened
        if opened is None:
            return
        if not opened.crashed.is_set() and self.watch.left_for is None:
            if await self._answers(opened):
                return
            if not opened.crashed.is_set():
                seconds = f"{time.monotonic() - self._answered:.0f} s"
                event = self.watch.record("unresponsive", seconds, answer="closed the page")
                self.gone = PageGone(event.describe(), unresponsive=True)
                await end_hung_page(opened)
                self._blind()
                raise self.gone
        if opened.crashed.is_set():
            self.gone = PageGone(f"the app's page crashed after {self.watch.step}")
            self._blind()
        else:
            self.gone = PageGone(f"the app's page left the app for {self.watch.left_for} "
                                 f"after {self.watch.step}")
        raise self.gone

    async def _answers(self, opened: OpenedPage) -> bool:
        """The harness's probe, with :data:`_PROBE_BOUND`; a page that navigated meanwhile
        (an app that reloads itself, as the Janus demos do on hang-up) is not hung either."""
        navigations = self.navigations
        return await responsive(opened, _PROBE_BOUND) or self.navigations != navigations

    def _blind(self) -> None:
        # A page whose renderer is gone has no pixels: no screenshot is tried (each would
        # wait for its whole bound).
        if self.artifacts is not None:
            self.artifacts.blind = True

    # --- the audit -------------------------------------------------------------------------
    async def frames_with_audit(self) -> list[Frame]:
        """Frames whose audit layer answers (the main frame first); :class:`PageGone` when
        the page hung or crashed."""
        found = []
        for frame in self._page.frames:
            try:
                if await self._bounded(frame, f"() => typeof window.{AUDIT_GLOBAL} === 'object'"):
                    found.append(frame)
            except PageGone:
                raise
            except Exception:  # a frame that went away or has no audit: not one of them
                continue
        return found

    async def audit(self, method: str, *args: Any) -> list[Any]:
        """Call ``__mmrCertifyAudit.<method>(...args)`` in every frame; the answers in order
        (:class:`PageGone` when the page hung or crashed)."""
        answers = []
        for frame in await self.frames_with_audit():
            try:
                script = f"(args) => window.{AUDIT_GLOBAL}.{method}(...args)"
                answers.append(await self._bounded(frame, script, list(args)))
            except PageGone:
                raise
            except Exception:  # a frame that went away meanwhile
                continue
        return answers

    async def snapshots(self) -> list[dict[str, Any]]:
        """The audit record of every frame."""
        return [s for s in await self.audit("snapshot") if isinstance(s, dict)]

    async def live(self) -> dict[str, int]:
        """Open peer connections, live captured tracks and open audio contexts, over all frames."""
        totals = {"peerConnections": 0, "capturedTracks": 0, "remoteTracks": 0, "audioContexts": 0}
        for state in await self.audit("live"):
            totals["peerConnections"] += int(state["peerConnections"]["open"])
            totals["capturedTracks"] += int(state["capturedTracks"]["live"])
            totals["remoteTracks"] += int(state["remoteTracks"]["live"])
            totals["audioContexts"] += int(state["audioContexts"]["open"])
        return totals

    async def token(self) -> str:
        """The main frame's document token: it changes when the page reloads."""
        return str(
            await self._bounded(self._page, f"() => window.{AUDIT_GLOBAL} ? window.{AUDIT_GLOBAL}.token : ''")
        )

    async def devices(self) -> Devices:
        """The second microphone and speaker the page lists (the first when there is one)."""
        listed = await self._bounded(
            self._page,
            "async () => (await navigator.mediaDevices.enumerateDevices()).map(d => ({kind: d.kind, "
            "deviceId: d.deviceId, label: d.label}))"
        )
        chosen = Devices()
        self.device_labels.update(
            {str(d["deviceId"]): str(d["label"]) for d in listed if d["label"] and len(d["deviceId"]) > 16})
        for kind, prefix in (("audioinput", "mic"), ("audiooutput", "speaker")):
            real = [
                d for d in listed if d["kind"] == kind and d["deviceId"] not in ("default", "communications")
            ]
            if real:
                pick = real[1] if len(real) > 1 else real[0]
                setattr(chosen, f"{prefix}_id", pick["deviceId"])
                setattr(chosen, f"{prefix}_label", pick["label"])
            setattr(chosen, "microphones" if prefix == "mic" else "speakers", len(real))
        return chosen

    async def settle(self, quiet: float = 0.3, timeout: float = 5.0) -> bool:
        """Wait until no audited promise is pending and nothing was called for ``quiet`` s."""
        answers = await self.audit("settled", int(quiet * 1000), int(timeout * 1000))
        return all(bool(a and a.get("settled")) for a in answers)

    async def wait_released(self, timeout: float) -> dict[str, int]:
        """Wait until no peer connection is open and no captured track is live; the last counts."""
        deadline = time.monotonic() + timeout
        while True:
            counts = await self.live()
            if (
                counts["peerConnections"] == 0 and counts["capturedTracks"] == 0
            ) or time.monotonic() >= deadline:
                return counts
            await asyncio.sleep(0.1)

    @property
    def crashed(self) -> bool:
        """Whether the app's page crashed."""
        return self.opened is not None and self.opened.crashed.is_set()

    @property
    def readable(self) -> bool:
        """Whether the page can still answer the audit for the app: it neither crashed, nor
        hung, nor left the app's origin (another site's document is not the app's record)."""
        return self.page is not None and not self.crashed and self.gone is None

    async def close(self) -> None:
        """Close what was opened for the session (popups being closed first)."""
        await self.watch.close()
        if self.opened is not None:
            await self.opened.close()
            self.opened = None
