"""Running a profile's steps and conditions with Playwright.

Every wait is Playwright's own bounded wait (actionability, ``wait_for``,
``wait_for_function``); nothing sleeps. A failing step raises :class:`StepFailed` naming the
profile line, the step and Playwright's first line of explanation.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Literal

from conformance.certify.profile import Condition, ProfileStep, substitute

if TYPE_CHECKING:
    from playwright.async_api import Page

__all__ = ["StepFailed", "check_condition", "first_line", "run_step", "wait_condition"]

_POLL = 0.1


class StepFailed(Exception):
    """A profile step or condition failed; the message says where and why."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name when it has none)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _js_truthy(expression: str) -> str:
    # The newline keeps a trailing `// comment` from eating the parenthesis.
    return f"() => Boolean((\n{expression}\n))"


async def run_step(
    page: Page, step: ProfileStep, values: dict[str, str], timeout: float | None = None
) -> None:
    """Perform ``step`` with placeholders substituted; ``timeout`` overrides the step's bound."""
    bound = (timeout if timeout is not None else step.timeout) * 1000.0

    def sub(text: str | None) -> str | None:
        return None if text is None else substitute(text, values)

    try:
        if step.action == "wait_for" and step.condition is not None:
            if not await wait_condition(page, step.condition, values, bound / 1000.0):
                raise StepFailed(f"{step.mark}: {step.describe()}: still not true after {bound / 1000:g}s")
            return
        locator = page.locator(sub(step.selector) or "")
        if step.action == "click":
            await locator.click(timeout=bound)
        elif step.action == "fill":
            await locator.fill(sub(step.value) or "", timeout=bound)
        elif step.action == "press":
            await locator.press(sub(step.key) or "", timeout=bound)
        elif step.action == "select_option":
            if step.value is not None:
                await locator.select_option(value=sub(step.value), timeout=bound)
            else:
                await locator.select_option(label=sub(step.label), timeout=bound)
        else:  # the loader only lets known actions through
            raise StepFailed(f"{step.mark}: unknown action {step.action!r}")
    except StepFailed:
        raise
    except KeyError as exc:
        raise StepFailed(
            f"{step.mark}: {step.describe()}: no value for placeholder {{{exc.args[0]}}}"
        ) from None
    except Exception as exc:
        raise StepFailed(f"{step.mark}: {step.describe()}: {first_line(exc)}") from None


async def check_condition(page: Page, condition: Condition, values: dict[str, str]) -> bool:
    """Whether every part of ``condition`` holds now (a page error counts as false)."""
    try:
        if (
            condition.selector
            and not await page.locator(substitute(condition.selector, values)).first.is_visible()
        ):
            return False
        if (
            condition.text
            and not await page.get_by_text(substitute(condition.text, values)).first.is_visible()
        ):
            return False
        if condition.js:
            return bool(await page.evaluate(_js_truthy(condition.js)))
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
        if not want and len(parts) > 1:
            return await _wait_any_false(page, condition, values, deadline)
        for kind, value in parts:
            remaining = max(deadline - time.monotonic(), 0.001) * 1000.0
            if kind == "selector":
                await page.locator(substitute(value, values)).first.wait_for(state=state, timeout=remaining)
            elif kind == "text":
                await page.get_by_text(substitute(value, values)).first.wait_for(
                    state=state, timeout=remaining
                )
            else:
                expression = value if want else f"!({value}\n)"
                await page.wait_for_function(_js_truthy(expression), timeout=remaining)
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
