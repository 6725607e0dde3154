"""Every place a page can run, each declared once, in its own module.

A target is one module here (``native``, ``reference``, ``attach``) with a
:class:`~conformance.targets.base.Target` subclass that declares its name, former names,
capabilities, which expectations apply, its place in reports and how it is made from the
command line's options, and a module-level ``TARGET`` naming it. The registry
(:mod:`conformance.targets.registry`) finds these modules: the CLI's choices
(:mod:`conformance.options`), the pytest plugin, certification, ``conformance open`` and the
reports all derive from :data:`TARGETS`, so adding a target touches its module only, as
wptrunner's ``browsers/`` does. Browsers and targets are opened and closed together through
:class:`OpenTargets` (:mod:`conformance.targets.lifetime`).

``redirected`` is kept as an alias of ``reference`` so that existing commands, scripts and
baselines keep working.
"""

from __future__ import annotations

from typing import Any

from conformance.model import Expectation, ExpectationKind, Scenario
from conformance.targets.attach import AttachTarget
from conformance.targets.base import (
    CAPABILITY_LABELS,
    Capabilities,
    CapabilityMissing,
    FaultInjector,
    HostView,
    OpenedPage,
    PagePool,
    PageSetup,
    SpeakerRecords,
    Target,
    TargetOptions,
    TargetUnavailable,
)
from conformance.targets.browsers import BrowserOptions, Browsers, channel_problem
from conformance.targets.lifetime import OpenTargets, open_target
from conformance.targets.native import NativeTarget
from conformance.targets.reference import ReferenceTarget
from conformance.targets.registry import (
    ALIASES,
    TARGETS,
    canonical_target,
    default_targets,
    make_target,
    parse_targets,
    register,
    target_choices,
    target_order,
    unalias,
    unregister,
)

__all__ = [
    "ALIASES",
    "CAPABILITY_LABELS",
    "TARGETS",
    "AttachTarget",
    "BrowserOptions",
    "Browsers",
    "Capabilities",
    "CapabilityMissing",
    "ExpectationKind",
    "FaultInjector",
    "HostView",
    "NativeTarget",
    "OpenTargets",
    "OpenedPage",
    "PagePool",
    "PageSetup",
    "ReferenceTarget",
    "SpeakerRecords",
    "Target",
    "TargetOptions",
    "TargetUnavailable",
    "applicable_expectation",
    "canonical_target",
    "channel_problem",
    "default_targets",
    "make_target",
    "missing_capabilities",
    "open_target",
    "options_from",
    "parse_targets",
    "register",
    "target_choices",
    "target_order",
    "unalias",
    "unregister",
]


def missing_capabilities(scenario: Scenario, kind: ExpectationKind, target: Target) -> list[str]:
    """The capabilities ``scenario``'s steps need on ``target`` that it does not have."""
    return target.capabilities.missing(scenario.capabilities_needed(kind))


async def applicable_expectation(scenario: Scenario, target: Target) -> Expectation | None:
    """The expectation ``scenario`` sets for ``target`` (``None``: it sets none).

    A ``ref-*`` deviation is expected only where the reference implementation runs: on a
    real product the native behaviour is expected instead.
    """
    kind = await target.expectation_kind()
    expectation = scenario.expect.get(kind)
    if expectation is None or expectation.limitation_kind != "reference":
        return expectation
    if target.honours_reference_limitations():
        return expectation
    return Expectation("pass", note=f"{expectation.limitation} is a deviation of the reference "
                                    "implementation only; this target must behave natively")


def options_from(values: Any, *, extra_args: tuple[str, ...] = ()) -> TargetOptions:
    """:class:`TargetOptions` from parsed :data:`conformance.options.TARGET_OPTIONS`
    (argparse or pytest)."""

    def endpoints(raw: list[str] | None) -> tuple[str, ...]:
        return tuple(p.strip() for item in raw or () for p in item.split(",") if p.strip())

    browser = BrowserOptions(
        browser=getattr(values, "browser", None) or "chromium",
        browser_path=getattr(values, "browser_path", None),
        headless=not getattr(values, "headed", False),
        slow_mo=float(getattr(values, "slowmo", None) or 0.0),
        extra_args=extra_args,
        cdp=endpoints(getattr(values, "cdp", None)),
        ws=endpoints(getattr(values, "ws", None)),
    )
    return TargetOptions(browser, getattr(values, "attach_expects", None), getattr(values, "ice", None),
                         getattr(values, "network", None), getattr(values, "impair", None))

