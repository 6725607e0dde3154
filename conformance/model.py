"""The scenario model: what the loader produces and the step engine consumes.

Every object keeps the place in its YAML file it came from (``Mark``) so that any error,
at load time or at run time, can point at ``file:line:col``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "TARGETS",
    "Expectation",
    "Mark",
    "Scenario",
    "Step",
    "StepKind",
]

#: The targets every scenario runs on, in this order.
TARGETS: tuple[str, ...] = ("native", "redirected")

StepKind = Literal["run", "expect", "expect_error", "wait_event", "fault", "speaker", "console"]


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

    def applies_to(self, target: str) -> bool:
        """Whether this step runs on ``target``."""
        return target in self.targets


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
        """The targets this scenario declares an expectation for, in canonical order."""
        return tuple(t for t in TARGETS if t in self.expect)
