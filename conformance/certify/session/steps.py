"""Running a profile's steps and conditions with Playwright.

Every wait is Playwright's own bounded wait (actionability, ``wait_for``,
``wait_for_function``); nothing sleeps. A failing step raises :class:`StepFailed` naming the
profile line, the step and Playwright's first line of explanation. A step or condition with
``frame`` acts in the document of that iframe (:func:`frame_scope`). Secrets
(``{env:NAME}``) are read from the environment when the step runs; a missing one fails the
step naming the variable, never a value.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Literal
from urllib.parse import urljoin

from conformance.certify.profile.loader import Condition, ProfileStep, substitute
from conformance.certify.profile.placeholders import MissingSecret

if TYPE_CHECKING:
    from playwright.async_api import Frame, Page

__all__ = ["StepFailed", "check_condition", "first_line", "frame_scope", "run_step", "wait_condition"]

_POLL = 0.1
#: Playwright's prefix on an evaluation's error ("Page.evaluate: Error: boom").
_EVALUATE_PREFIXES = ("Page.evaluate: ", "Frame.evaluate: ")


class StepFailed(Exception):
    """A profile step or condition failed; the message says where and why."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name when it has none)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _js_truthy(expression: str) -> str:
    # The newline keeps a trailing `// comment` from eating the parenthesis.
    return f"() => Boolean((\n{expression}\n))"


async def frame_scope(page: Page, frame: str | None, timeout: float | None) -> Page | Frame:
    """Where a step or condition acts: the page, or the document of the iframe element
    ``frame`` (a CSS selector) selects, waiting up to ``timeout`` seconds for the element
    (``None``: not at all, for a check of "now"); ``LookupError`` when there is none."""
    if not frame:
        return page
    if timeout is None:
        handle = await page.query_selector(frame)
    else:
        handle = await page.locator(frame).first.element_handle(timeout=max(timeout, 0.001) * 1000.0)
    content = await handle.content_frame() if handle is not None else None
    if content is None:
        what = "no iframe" if handle is None else "an element that is not an iframe"
        raise LookupError(f"frame {frame!r} selects {what}")
    return content


async def run_step(
    page: Page,
    step: ProfileStep,
    values: dict[str, str],
    timeout: float | None = None,
    *,
    base_url: str | None = None,
) -> None:
    """Perform ``step`` with placeholders substituted; ``timeout`` overrides the step's bound;
    ``base_url`` (the app's URL) is what a ``goto`` path is relative to."""
    bound = (timeout if timeout is not None else step.timeout) * 1000.0

    def sub(text: str | None) -> str | None:
        return None if text is None else substitute(text, values)

    try:
        if step.kind == "wait_for" and step.condition is not None:
            if not await wait_condition(page, step.condition, values, bound / 1000.0):
                raise StepFailed(f"{step.mark}: {step.describe()}: still not true after {bound / 1000:g}s")
            return
        scope = await frame_scope(page, step.frame, bound / 1000.0)
        if step.kind == "goto":
            url = sub(step.url) or ""
            await scope.goto(urljoin(base_url, url) if base_url else url, timeout=bound)
            return
        if step.kind == "evaluate":
            await _evaluate(scope, step, bound / 1000.0)
            return
        locator = scope.locator(sub(step.selector) or "")
        if step.kind == "click":
            await locator.click(timeout=bound)
        elif step.kind == "fill":
            await locator.fill(sub(step.value) or "", timeout=bound)
        elif step.kind == "press":
            await locator.press(sub(step.key) or "", timeout=bound)
        elif step.kind == "select_option":
            if step.value is not None:
                await locator.select_option(value=sub(step.value), timeout=bound)
            else:
                await locator.select_option(label=sub(step.label), timeout=bound)
        else:  # the loader only lets known kinds through
            raise StepFailed(f"{step.mark}: unknown step kind {step.kind!r}")
    except StepFailed:
        raise
    except MissingSecret as exc:  # names the variable; its value is never known here
        raise StepFailed(f"{step.mark}: {step.describe()}: {exc}") from None
    except KeyError as exc:
        raise StepFailed(
            f"{step.mark}: {step.describe()}: no value for placeholder {{{exc.args[0]}}}"
        ) from None
    except Exception as exc:
        raise StepFailed(f"{step.mark}: {step.describe()}: {first_line(exc)}") from None


async def _evaluate(scope: Page | Frame, step: ProfileStep, bound: float) -> None:
    """Run an ``evaluate`` step's script as the body of an async function (``await`` works),
    bounded: an exception, a rejection or the bound fails the step with the reason."""
    try:
        await asyncio.wait_for(scope.evaluate(f"async () => {{\n{step.script}\n}}"), bound)
    except TimeoutError:
        raise StepFailed(f"{step.mark}: {step.describe()}: still running after {bound:g}s") from None
    except Exception as exc:
        reason = first_line(exc)
        for prefix in _EVALUATE_PREFIXES:
            reason = reason.removeprefix(prefix)
        raise StepFailed(f"{step.mark}: {step.describe()}: the script failed: {reason}") from None


async def check_condition(page: Page, condition: Condition, values: dict[str, str]) -> bool:
    """Whether every part of ``condition`` holds now (a page error counts as false)."""
    try:
        scope = await frame_scope(page, condition.frame, None)
        if (
            condition.selector
            and not await scope.locator(substitute(condition.selector, values)).first.is_visible()
        ):
            return False
        if (
            condition.text
            and not await scope.get_by_text(substitute(condition.text, values)).first.is_visible()
        ):
            return False
        if condition.js:
            return bool(await scope.evaluate(_js_truthy(condition.js)))
        return True
    except Exception:
        return False


async def wait_condition(
    page: Page, condition: Condition, values: dict[str, str], timeout: float, *, want: bool = True
) -> bool:
    """Wait until ``condition`` holds (``want=False``: until it no longer holds) or ``timeout``
    seconds pass; return whether it did."""
    deadline = time.monotonic() + timeout
    state: Literal["visible", "hidden"] = "visible" if want else "hidden"
    try:
        # A condition with several parts holds when all do; it stops holding when any stops.
        parts: list[tuple[str, str]] = [
            (k, v)
            for k, v in (("selector", condition.selector), ("text", condition.text), ("js", condition.js))
            if v
        ]
        if not want and (len(parts) > 1 or condition.frame):
            # A frame that goes away also ends the condition: poll it whole.
            return await _wait_any_false(page, condition, values, deadline)
        scope = await frame_scope(page, condition.frame, timeout)
        for kind, value in parts:
            remaining = max(deadline - time.monotonic(), 0.001) * 1000.0
            if kind == "selector":
                await scope.locator(substitute(value, values)).first.wait_for(state=state, timeout=remaining)
            elif kind == "text":
                await scope.get_by_text(substitute(value, values)).first.wait_for(
                    state=state, timeout=remaining
                )
            else:
                expression = value if want else f"!({value}\n)"
                await scope.wait_for_function(_js_truthy(expression), timeout=remaining)
        return True
    except Exception:
        return False


async def _wait_any_false(page: Page, condition: Condition, values: dict[str, str], deadline: float) -> bool:
    # Playwright has no "any of these stopped holding" wait: poll the whole condition.
    while True:
        if not await check_condition(page, condition, values):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(_POLL)
