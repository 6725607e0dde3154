"""The scenario model: what the loader produces and the step engine consumes.

Every object keeps the place in its YAML file it came from (``Mark``) so that any error,
at load time or at run time, can point at ``file:line:col``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

__all__ = [
    "EXPECTATION_KINDS",
    "Expectation",
    "ExpectationKind",
    "Mark",
    "Scenario",
    "Step",
    "StepKind",
    "shard_of",
]

#: Which set of a scenario's expectations applies to a target.
ExpectationKind = Literal["native", "redirected"]
#: The two sets of expectations a scenario states: for a page on the browser's own media
#: stack, and for a page under redirection (the reference implementation or a real product).
#: Step ``targets:`` filters use these words too. Each target (``conformance.targets``)
#: declares which set applies to it.
EXPECTATION_KINDS: tuple[ExpectationKind, ...] = get_args(ExpectationKind)


def shard_of(scenario_ids: set[str] | list[str], k: int, n: int) -> set[str]:
    """The scenario ids of shard ``k`` of ``n`` (1-based): dealt round-robin over the sorted
    ids, so slices are balanced and identical on every machine with the same scenarios."""
    return {ident for index, ident in enumerate(sorted(set(scenario_ids))) if index % n == k - 1}


#: Step kinds and the target capability each needs (``crash-page`` faults need none).
_STEP_NEEDS: dict[str, str] = {"fault": "faults", "speaker": "speaker_records"}

StepKind = Literal["run", "expect", "expect_error", "wait_for", "wait_event", "fault", "speaker",
                   "console"]


@dataclass(frozen=True)
class Mark:
    """A position in a scenario file (1-based line and column)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Step:
    """One step of a scenario.

    ``source`` is the step's main JavaScript (the value of its kind key); ``options`` holds
    the kind-specific keys (``equals``, ``name``, ``on``, ...), already validated.
    """

    index: int
    kind: StepKind
    source: str
    options: dict[str, Any]
    timeout: float
    targets: tuple[str, ...]
    mark: Mark
    source_mark: Mark
    source_line: int = 0  # YAML line of the first line of JavaScript
    #: Syntax errors of the step's JavaScript, at their YAML positions (``validate`` reports
    #: them as errors; a run reports them where the page's compile fails).
    javascript_errors: tuple[tuple[Mark, str], ...] = ()
    #: Targets of this expectation kind run the step where they can and skip only the step
    #: where they cannot (a native target without the suite's sound card has no speaker
    #: records): set for ``speaker`` steps that name no ``targets``.
    optional_on: tuple[str, ...] = ()

    def applies_to(self, target: str) -> bool:
        """Whether this step runs on ``target``."""
        return target in self.targets

    def scaled(self, factor: float) -> Step:
        """This step with its timeout and its waits (``eventually``) multiplied by ``factor``
        (``--timeout-multiplier``, for slow machines)."""
        options = dict(self.options)
        if "eventually" in options:
            options["eventually"] = float(options["eventually"]) * factor
        return replace(self, timeout=self.timeout * factor, options=options)


@dataclass(frozen=True)
class Expectation:
    """What a scenario should do on one target.

    ``outcome`` is ``pass`` or ``fail``. A ``fail`` names a documented ``limitation`` and
    may pin down the deviation: ``fails_with`` (an error name the failure must mention).
    """

    outcome: Literal["pass", "fail"]
    limitation: str | None = None
    fails_with: str | None = None
    note: str | None = None
    #: ``product`` or ``reference``: whose deviation ``limitation`` is (from the registry).
    limitation_kind: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The expectation as it appears in results.json."""
        data: dict[str, Any] = {"outcome": self.outcome}
        for key in ("limitation", "fails_with", "note"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass(frozen=True)
class Scenario:
    """A validated scenario file."""

    id: str
    title: str
    covers: tuple[str, ...]
    steps: tuple[Step, ...]
    expect: dict[str, Expectation]
    path: str
    mark: Mark
    description: str = ""
    tags: tuple[str, ...] = field(default=())

    @property
    def targets(self) -> tuple[str, ...]:
        """The expectation kinds this scenario declares, in canonical order."""
        return tuple(t for t in EXPECTATION_KINDS if t in self.expect)

    def scaled(self, factor: float) -> Scenario:
        """This scenario with every step :meth:`Step.scaled` by ``factor``."""
        if factor == 1.0:
            return self
        return replace(self, steps=tuple(step.scaled(factor) for step in self.steps))

    def capabilities_needed(self, kind: str) -> frozenset[str]:
        """Target capabilities the steps that run under ``kind`` need (see
        ``conformance.targets.Capabilities``)."""
        return frozenset(
            _STEP_NEEDS[step.kind] for step in self.steps
            if step.kind in _STEP_NEEDS and step.applies_to(kind) and step.source != "crash-page"
            and kind not in step.optional_on
        )
