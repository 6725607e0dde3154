"""The step engine: runs one scenario's steps in one page and judges the outcome.

Each step kind is a call into the page runtime (``conformance/page/runtime.js``) bounded by
the step's timeout. The first step that does not succeed ends the scenario; its message
says which step, where it is in the YAML, and what was expected versus what happened.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from conformance.model import Expectation, Scenario, Step
from conformance.results import ScenarioResult, Status, StepRecord
from reference_impl.tones import TONE_TOLERANCE_HZ

if TYPE_CHECKING:
    from playwright.async_api import Page

__all__ = ["FaultInjector", "ItemContext", "SpeakerRecords", "StepOutcome", "judge", "new_result",
           "run_steps"]

_ANONYMOUS_LINE = re.compile(r"<anonymous>:(\d+):(\d+)")
# `new AsyncFunction(body)` puts two header lines before the body in Chromium.
_FUNCTION_HEADER_LINES = 2
# Extra time the harness gives a step whose wait is bounded inside the page, so the page's
# precise report arrives before the harness's generic timeout.
_PAGE_WAIT_GRACE = 2.0


class FaultInjector(Protocol):
    """What a target with fault injection offers to ``fault`` steps."""

    async def fault(self, kind: str, options: dict[str, Any]) -> None:
        """Inject ``kind`` (disconnect, reconnect, crash-host, latency)."""


class SpeakerRecords(Protocol):
    """What a target with speaker records offers to ``speaker`` steps."""

    async def speaker_record(self, speaker: int | str) -> dict[str, Any]:
        """What a virtual speaker rendered."""


@dataclass
class ItemContext:
    """What the steps of one item work with."""

    page: Page
    scenario: Scenario
    #: The expectation kind that applies (``native``/``redirected``): step filters use it.
    kind: str
    faults: FaultInjector | None
    speakers: SpeakerRecords | None
    crashed: asyncio.Event
    console: list[dict[str, Any]]


@dataclass
class StepOutcome:
    """Why a step did not succeed (``None`` from a step means it did)."""

    status: Status
    message: str


def _where(scenario: Scenario, step: Step) -> str:
    return f"step {step.index + 1} ({step.kind} at {scenario.path}:{step.mark.line})"


def _js_location(step: Step, error: dict[str, Any], offset: int) -> str:
    """`` at <file>:<line>`` for the failing line of the step's JavaScript, when known."""
    match = _ANONYMOUS_LINE.search(error.get("stack") or "")
    if not match or not step.source_line:
        return ""
    body_line = int(match[1]) - _FUNCTION_HEADER_LINES - offset
    if body_line < 1:
        return ""
    return f" (JavaScript line {body_line}, {step.mark.file}:{step.source_line + body_line - 1})"


def _error_text(error: dict[str, Any]) -> str:
    message = error.get("message") or ""
    return f"{error.get('name', 'Error')}: {message}" if message else str(error.get("name"))


def _format_seconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:g}s"


async def _run_step(item: ItemContext, step: Step) -> StepOutcome | None:
    page, faults = item.page, item.faults
    where = _where(item.scenario, step)
    kind = step.kind
    if kind == "run":
        reply = await page.evaluate("s => window.__conformance.run(s)", step.source)
        if reply["ok"]:
            return None
        return _exception(step, where, reply)
    if kind in ("expect", "wait_for"):
        # `wait_for` is an `expect` re-checked until its bound (the loader sets `eventually`).
        return await _expect(page, step, where)
    if kind == "expect_error":
        return await _expect_error(page, step, where)
    if kind == "wait_event":
        return await _wait_event(page, step, where)
    if kind == "console":
        return await _console(item.console, step, where)
    if kind == "fault" and step.source == "crash-page":
        # Crash the renderer through the DevTools protocol; the caller sees the page's
        # `crash` event and ends the item with that reason.
        session = await page.context.new_cdp_session(page)
        await session.send("Page.crash")
        return StepOutcome("ERROR", f"{where}: the page did not crash")
    # Items whose target lacks a capability are SKIP before they start (see
    # conformance.targets.missing_capabilities); this guards direct users of the engine.
    if kind == "fault":
        if faults is None:
            return StepOutcome("ERROR", f"{where}: `fault` steps need a target with fault injection")
        await faults.fault(step.source, step.options)
        return None
    if item.speakers is None:
        return StepOutcome("ERROR", f"{where}: `speaker` steps need a target with speaker records")
    return await _speaker(item.speakers, step, where)


def _exception(step: Step, where: str, reply: dict[str, Any]) -> StepOutcome:
    error = reply["error"]
    if reply.get("syntax"):
        # The browser's compile error has no usable position; the loader's parse has them.
        located = "; ".join(f"{mark}: {message}" for mark, message in step.javascript_errors)
        return StepOutcome("ERROR", f"{where}: syntax error in the step's JavaScript: "
                           f"{_error_text(error)}" + (f" (at {located})" if located else ""))
    location = _js_location(step, error, reply.get("offset", 0))
    return StepOutcome("ERROR", f"{where}: uncaught {_error_text(error)}{location}")


async def _expect(page: Page, step: Step, where: str) -> StepOutcome | None:
    wait = float(step.options.get("eventually", 0.0))
    has_equals = "equals" in step.options
    expected = {"has": has_equals, "value": step.options.get("equals")}
    reply = await page.evaluate(
        "([s, w, e]) => window.__conformance.expect(s, w, e)", [step.source, wait * 1000, expected]
    )
    if reply.get("ok"):
        return None
    if reply.get("syntax"):
        return _exception(step, where, reply)
    waited = f" within {_format_seconds(wait)} ({reply.get('attempts', 1)} checks)" if wait else ""
    if "error" in reply:
        return StepOutcome(
            "FAIL",
            f"{where}: `{step.source.strip()}` threw {_error_text(reply['error'])}{waited}"
            f"{_js_location(step, reply['error'], reply.get('offset', 0))}",
        )
    wanted = f"to equal {json.dumps(step.options['equals'])}" if has_equals else "to be truthy"
    seen = "last value seen" if wait else "actual"
    return StepOutcome(
        "FAIL",
        f"{where}: expected `{step.source.strip()}` {wanted}{waited}; {seen}: {reply.get('actual')}",
    )


async def _expect_error(page: Page, step: Step, where: str) -> StepOutcome | None:
    wanted = step.options["name"]
    reply = await page.evaluate("s => window.__conformance.expectError(s)", step.source)
    if reply.get("syntax"):
        return _exception(step, where, reply)
    if not reply["threw"]:
        return StepOutcome(
            "FAIL",
            f"{where}: expected `{step.source.strip()}` to throw or reject with {wanted}; "
            f"it succeeded with {reply.get('actual')}",
        )
    error = reply["error"]
    if error.get("name") != wanted:
        return StepOutcome(
            "FAIL", f"{where}: expected {wanted}; actual: {_error_text(error)}"
        )
    return None


async def _wait_event(page: Page, step: Step, where: str) -> StepOutcome | None:
    # The page-side wait uses the step's whole timeout; the harness's own bound on the step
    # adds a grace period (see _bounded), so this precise message ("no event", "condition
    # never held") wins over a generic step timeout even on a loaded machine.
    budget_ms = step.timeout * 1000
    reply = await page.evaluate(
        "([on, type, until, trigger, ms]) => window.__conformance.waitEvent(on, type, until, trigger, ms)",
        [step.options["on"], step.source, step.options.get("until"), step.options.get("trigger"), budget_ms],
    )
    if reply.get("ok"):
        return None
    if reply.get("timedOut"):
        detail = f"; condition `{step.options['until']}` still false" if step.options.get("until") else ""
        return StepOutcome(
            "TIMEOUT",
            f"{where}: no matching `{step.source}` event within {_format_seconds(step.timeout)} "
            f"({reply.get('count', 0)} seen){detail}",
        )
    part = reply.get("part", "on")
    prefix = "syntax error in" if reply.get("syntax") else "error in"
    return StepOutcome("ERROR", f"{where}: {prefix} `{part}`: {_error_text(reply['error'])}")


async def _console(console: list[dict[str, Any]], step: Step, where: str) -> StepOutcome | None:
    """The page's console (as the browser reports it) shows, or never shows, a message."""
    pattern = re.compile(step.source)
    absent = bool(step.options.get("absent"))
    deadline = time.monotonic() + float(step.options.get("eventually", 0.0))
    while True:
        seen = [entry["text"] for entry in console if pattern.search(str(entry.get("text", "")))]
        if absent and seen:
            return StepOutcome("FAIL", f"{where}: expected no console message matching "
                                       f"/{step.source}/; got {seen[0]!r}")
        if not absent and seen:
            return None
        if time.monotonic() >= deadline:
            if absent:
                return None
            recent = [str(e.get("text", ""))[:120] for e in console[-5:]]
            return StepOutcome("FAIL", f"{where}: no console message matching /{step.source}/; "
                                       f"last messages: {recent}")
        await asyncio.sleep(0.02)  # polling interval of a bounded wait: console events arrive async


async def _speaker(speakers: SpeakerRecords, step: Step, where: str) -> StepOutcome | None:
    speaker = step.source if not step.source.isdigit() else int(step.source)
    wait = float(step.options.get("eventually", 0.0))
    deadline = time.monotonic() + wait
    while True:
        record = await speakers.speaker_record(speaker)
        problem = _speaker_problem(record, step.options)
        if problem is None:
            return None
        if time.monotonic() >= deadline:
            return StepOutcome("FAIL", f"{where}: speaker {speaker}: {problem}; record: {record}")
        await asyncio.sleep(0.05)  # polling interval of a bounded wait, not a fixed delay


def _speaker_problem(record: dict[str, Any], options: dict[str, Any]) -> str | None:
    frames = int(record.get("frames", 0))
    if options.get("silent"):
        return None if frames == 0 or (record.get("rmsDbfs") or -200.0) < -60 else "expected silence"
    if frames == 0:
        return "nothing rendered"
    if "frequency" in options:
        tolerance = float(options.get("tolerance", TONE_TOLERANCE_HZ))
        got = float(record.get("dominantHz") or 0.0)
        if abs(got - float(options["frequency"])) > tolerance:
            return f"expected {options['frequency']} Hz ± {tolerance:g}, got {got:.1f} Hz"
    return None


async def run_steps(item: ItemContext) -> tuple[Status, str, list[StepRecord]]:
    """Run the scenario's steps on the item's page; return status, message and step log.

    ``item.crashed`` is set by the caller when the page crashes, so a step waiting on a
    dead page ends at once with that reason instead of at its timeout.
    """
    scenario, target = item.scenario, item.kind
    records: list[StepRecord] = []
    status: Status = "PASS"
    message = ""
    for step in scenario.steps:
        line = step.mark.line
        if status != "PASS":
            records.append(StepRecord(step.index, step.kind, line, 0.0, "not-run"))
            continue
        if not step.applies_to(target):
            records.append(StepRecord(step.index, step.kind, line, 0.0, "skipped",
                                      f"only on {', '.join(step.targets)}"))
            continue
        if step.kind == "speaker" and item.speakers is None:
            # Only reached for a step optional on this kind (Scenario.capabilities_needed
            # makes the others' items SKIP): the target has no speaker records here.
            records.append(StepRecord(step.index, step.kind, line, 0.0, "skipped",
                                      "no speaker records on this target (no sound card)"))
            continue
        started = time.perf_counter()
        outcome = await _bounded(item, step)
        duration = time.perf_counter() - started
        if outcome is None:
            records.append(StepRecord(step.index, step.kind, line, duration, "ok"))
            continue
        status, message = outcome.status, outcome.message
        records.append(StepRecord(step.index, step.kind, line, duration, "failed", outcome.message))
    return status, message, records


async def _bounded(item: ItemContext, step: Step) -> StepOutcome | None:
    where, crashed = _where(item.scenario, step), item.crashed
    work = asyncio.ensure_future(_run_step(item, step))
    crash = asyncio.ensure_future(crashed.wait())
    waits = step.kind == "wait_event" or "eventually" in step.options
    bound = step.timeout + (_PAGE_WAIT_GRACE if waits else 0.0)
    try:
        done, _ = await asyncio.wait({work, crash}, timeout=bound,
                                     return_when=asyncio.FIRST_COMPLETED)
    finally:
        crash.cancel()
    if work in done:
        try:
            return work.result()
        except Exception as exc:  # Playwright errors: closed page, crashed target, ...
            reason = "the page crashed" if crashed.is_set() else _first_line(str(exc))
            return StepOutcome("ERROR", f"{where}: {reason}")
    work.cancel()
    if crashed.is_set():
        return StepOutcome("ERROR", f"{where}: the page crashed")
    return StepOutcome("TIMEOUT", f"{where}: did not finish within {_format_seconds(step.timeout)}")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unknown error"


def judge(expectation: Expectation, status: Status, message: str) -> tuple[bool, str]:
    """Whether ``status`` is what ``expectation`` says, and the message to report."""
    if status == "SKIP":
        return False, message
    if expectation.outcome == "pass":
        return status == "PASS", message
    label = f"known limitation {expectation.limitation}"
    if status == "PASS":
        return False, f"unexpected pass: expected the documented deviation ({label})"
    if expectation.fails_with and expectation.fails_with not in message:
        return False, (
            f"failed, but not in the documented way ({label}: expected {expectation.fails_with}); "
            f"{message}"
        )
    return True, f"{label}: {message}"


def new_result(scenario: Scenario, target: str, expectation: Expectation | None = None
               ) -> ScenarioResult:
    """An empty result for ``scenario`` on ``target`` (filled in by the harness).

    ``expectation`` is the one that applies on the target (by default the scenario's own
    for a target named like an expectation kind; ``pass`` when there is none).
    """
    if expectation is None:
        expectation = scenario.expect.get(target) or Expectation("pass")
    return ScenarioResult(
        scenario=scenario.id,
        target=target,
        status="SKIP",
        expected=False,
        expectation=expectation.to_json(),
        covers=list(scenario.covers),
        title=scenario.title,
        file=scenario.path,
        limitation=expectation.limitation,
    )
