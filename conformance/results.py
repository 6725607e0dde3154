"""Results: one per scenario and target, plus the run's metadata.

These are plain data, serialisable to JSON (results.json is shaped like WPT's wptreport:
``run_info`` plus a ``results`` list). They travel from pytest-xdist workers to the
controller inside ``report.user_properties``, so everything here round-trips through
``to_json``/``from_json``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from conformance.targets.registry import unalias

__all__ = [
    "LOG_ENTRY_LIMIT",
    "SCHEMA_VERSION",
    "STATUSES",
    "RunInfo",
    "ScenarioResult",
    "Status",
    "StepRecord",
]

#: Version of the results.json format (bump on incompatible changes).
SCHEMA_VERSION = 1

#: Most entries of a page's console (and of its redirection log) kept per scenario result
#: or certification session: a page that logs in a loop must not fill the disk. Reports
#: show them all.
LOG_ENTRY_LIMIT = 500

Status = Literal["PASS", "FAIL", "ERROR", "TIMEOUT", "SKIP"]
STATUSES: tuple[str, ...] = ("PASS", "FAIL", "ERROR", "TIMEOUT", "SKIP")


@dataclass
class StepRecord:
    """What happened to one step: its kind, YAML line, duration and outcome."""

    index: int
    kind: str
    line: int
    duration: float
    outcome: Literal["ok", "failed", "skipped", "not-run"]
    message: str = ""


@dataclass
class ScenarioResult:
    """The outcome of one scenario on one target.

    ``status`` is what happened; ``expected`` whether that is what the scenario's
    expectation for this target says (a documented limitation makes a FAIL expected).
    """

    scenario: str
    target: str
    status: Status
    expected: bool
    expectation: dict[str, Any]
    message: str = ""
    duration: float = 0.0
    covers: list[str] = field(default_factory=list)
    title: str = ""
    file: str = ""
    limitation: str | None = None
    steps: list[StepRecord] = field(default_factory=list)
    console: list[dict[str, Any]] = field(default_factory=list)
    mmr_log: list[dict[str, Any]] = field(default_factory=list)
    artifacts: dict[str, str] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    flaky: bool = False

    @property
    def test(self) -> str:
        """The item name, ``<scenario-id>[<target>]``."""
        return f"{self.scenario}[{self.target}]"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the shape of one entry of results.json's ``results``)."""
        # By hand rather than dataclasses.asdict, whose deep copy was most of the time
        # spent writing a large run's reports; lists and dicts are still copied.
        data: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        data["covers"] = list(self.covers)
        data["expectation"] = dict(self.expectation)
        data["steps"] = [
            {"index": s.index, "kind": s.kind, "line": s.line, "duration": s.duration,
             "outcome": s.outcome, "message": s.message}
            for s in self.steps
        ]
        data["console"] = [dict(entry) for entry in self.console]
        data["mmr_log"] = [dict(entry) for entry in self.mmr_log]
        data["artifacts"] = dict(self.artifacts)
        data["outcomes"] = dict(self.outcomes)
        data["test"] = self.test
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScenarioResult:
        """The inverse of :meth:`to_json`."""
        fields = {k: v for k, v in data.items() if k != "test"}
        fields["steps"] = [StepRecord(**s) for s in fields.get("steps", [])]
        # Results written before the target registry call the reference target `redirected`.
        fields["target"] = unalias(str(fields.get("target", "")))
        return cls(**fields)


@dataclass
class RunInfo:
    """Metadata of a run (results.json's ``run_info``)."""

    run_id: str
    suite_version: str
    targets: list[str]
    browser: str = ""
    browser_version: str = ""
    platform: str = ""
    python: str = ""
    git_revision: str | None = None
    reference_impl_version: str | None = None
    start_time: str = ""
    end_time: str = ""
    interrupted: bool = False
    workers: int = 1
    command: str = ""
    #: For a run made by ``conformance merge``: the runs it combines, one dict each
    #: (``run_id``, ``suite_version``, ``targets``, ``browser_version``, ``start_time``,
    #: ``end_time``, ``interrupted``, ``results``, ``source``). Empty for a normal run.
    merged_from: list[dict[str, Any]] = field(default_factory=list)
    #: Per target name: what it was (``kind``; ``redirection``: the reference implementation
    #: and its version, or the product with the versions its page reported; the browser).
    target_details: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: ``K/N`` when the run was one shard of a suite (``--shard``), else empty.
    shard: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict.

        ``merged_from`` is left out when empty, so a normal run's results.json is exactly
        what readers of the first schema_version 1 files expect.
        """
        data = asdict(self)
        if not self.merged_from:
            del data["merged_from"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunInfo:
        """The inverse of :meth:`to_json` (former target names are read as today's)."""
        fields = dict(data)
        fields["targets"] = [unalias(str(t)) for t in fields.get("targets", [])]
        return cls(**fields)
