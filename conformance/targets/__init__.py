"""The target registry: every place a page can run, defined once.

A target is one module here (``native``, ``reference``, ``attach``) with a class that says
how it opens a page, what it can do (:class:`Capabilities`) and which expectations apply.
The CLI's choices (:mod:`conformance.options`), the pytest plugin, certification,
``conformance open`` and the reports all derive from :data:`TARGETS`; adding a target
touches this registry and its module, as wptrunner's ``browsers/`` does.

``redirected`` is kept as an alias of ``reference`` so that existing commands, scripts and
baselines keep working.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.model import TARGET_ALIASES, TARGET_NAMES, Expectation, Scenario
from conformance.targets.attach import AttachTarget
from conformance.targets.base import (
    CAPABILITY_LABELS,
    Capabilities,
    CapabilityMissing,
    ExpectationKind,
    FaultInjector,
    HostView,
    OpenedPage,
    PagePool,
    PageSetup,
    SpeakerRecords,
    Target,
    TargetUnavailable,
)
from conformance.targets.browsers import BrowserOptions, Browsers, channel_problem
from conformance.targets.native import NativeTarget
from conformance.targets.reference import ReferenceTarget

__all__ = [
    "ALIASES",
    "CAPABILITY_LABELS",
    "DEFAULT_TARGETS",
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
    "make_target",
    "missing_capabilities",
    "options_from",
    "parse_targets",
    "target_choices",
]

#: Every target, in report order.
TARGETS: dict[str, type[Target]] = {
    NativeTarget.name: NativeTarget,
    ReferenceTarget.name: ReferenceTarget,
    AttachTarget.name: AttachTarget,
}
#: Old names that still work everywhere a target name is read (CLI, baselines, results).
ALIASES: dict[str, str] = TARGET_ALIASES
assert tuple(TARGETS) == TARGET_NAMES, "conformance.model.TARGET_NAMES lists the registry's names"
#: What ``--target all`` runs: the targets that need nothing but this machine.
DEFAULT_TARGETS: tuple[str, ...] = ("native", "reference")


@dataclass(frozen=True)
class TargetOptions:
    """Everything that configures targets in one process."""

    browser: BrowserOptions = field(default_factory=BrowserOptions)
    #: ``native`` / ``redirected``: the expectations an attached browser gets (else detected).
    attach_expects: ExpectationKind | None = None
    #: Where the reference target's host gathers ICE: ``loopback`` (hermetic) or ``all``
    #: (every interface and the page's STUN/TURN servers: a backend on another host);
    #: ``None``: the caller's default (``loopback``, or ``all`` to certify an app's own backend).
    ice: str | None = None
    #: Where the reference target's local device sits (``--network``: a topology of
    #: :mod:`conformance.network.topology`; the run makes its home network). ``None``: the
    #: profile's ``network:``, else ``same-host``.
    network: str | None = None
    #: An impairment preset on the local device's access link (``--impair``), or ``None``.
    impair: str | None = None


def canonical_target(name: str) -> str:
    """``name`` with aliases resolved; :class:`ValueError` for an unknown target."""
    name = ALIASES.get(name, name)
    if name not in TARGETS:
        raise ValueError(f"unknown target {name!r} (known: {', '.join([*TARGETS, *ALIASES])})")
    return name


def target_choices() -> list[str]:
    """What ``--target`` accepts: every target, its aliases, and ``all``."""
    return [*TARGETS, *ALIASES, "all"]


def parse_targets(text: str) -> tuple[str, ...]:
    """``all``, a target, or a comma-separated list of them, in report order."""
    names = {canonical_target(part.strip()) for part in text.split(",") if part.strip()
             and part.strip() != "all"}
    if "all" in {part.strip() for part in text.split(",")}:
        names |= set(DEFAULT_TARGETS)
    return tuple(name for name in TARGETS if name in names)


def make_target(name: str, browsers: Browsers, options: TargetOptions | None = None) -> Target:
    """A new target called ``name`` (aliases allowed) using ``browsers``."""
    cls = TARGETS[canonical_target(name)]
    options = options or TargetOptions()
    if cls is AttachTarget:
        return AttachTarget(browsers, options.attach_expects)
    if cls is ReferenceTarget:
        return ReferenceTarget(browsers, ice=options.ice or "loopback",
                               network=options.network or "same-host")
    return cls(browsers)


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

