"""Gating: what changed between a baseline and a run, and whether it got worse.

Items (``<scenario>[<target>]``) are matched by name. An item of the current run is a
**regression** when

- it was PASS and expected in the baseline and is now FAIL, ERROR or TIMEOUT, expected or
  not (kind ``pass-now-failing``: a documented limitation that appeared is still a loss);
- it is now ERROR or TIMEOUT and was neither before, or is new (``new-error``,
  ``new-timeout``); a switch between ERROR and TIMEOUT is only a change;
- its outcome was expected and now is not (``became-unexpected``, or ``unexpected-pass``
  when it now passes where a documented limitation said it would fail: the expectation
  must be updated, exactly as JUnit reports it);
- it is new (absent or skipped in the baseline) and its outcome is unexpected
  (``new-unexpected``): a baseline accepts only what it has seen.

An **improvement** is a failing item that now passes as expected (``fixed``) or an
unexpected outcome that is now expected (``now-expected``). Items whose repeated runs
disagreed in the current run (``flaky``, from ``--repeat N``) are listed on their own and
do not fail the gate unless asked (``flaky_as_regression``); a failure of an item the
baseline already knew as flaky, with a status the baseline saw, is a change, not a
regression. Items only in one side and members no longer (or newly) covered are coverage
changes. SKIP never counts as a result: an item skipped now is listed as a change.

Either side may be a baseline file, a results.json, a run folder or a reports root (see
:func:`conformance.reports.baseline.load_snapshot`). The comparison's JSON and Markdown
are in :mod:`conformance.reports.compare_report`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.model import shard_of
from conformance.reports.baseline import ItemState, Snapshot, load_snapshot
from conformance.reports.outcome import target_sort_key

__all__ = [
    "IMPROVEMENT_KINDS",
    "REGRESSION_KINDS",
    "Change",
    "Comparison",
    "compare",
    "compare_snapshots",
]

#: Regression kinds, in the order they are tested and named.
REGRESSION_KINDS: tuple[str, ...] = (
    "pass-now-failing",
    "new-error",
    "new-timeout",
    "became-unexpected",
    "unexpected-pass",
    "new-unexpected",
)
#: Improvement kinds.
IMPROVEMENT_KINDS: tuple[str, ...] = ("fixed", "now-expected")

@dataclass(frozen=True)
class Change:
    """One item that differs between the two sides."""

    test: str
    #: Why it is listed, most important first (see the module docstring).
    kinds: tuple[str, ...]
    before: ItemState | None
    after: ItemState | None

    @property
    def kind(self) -> str:
        """The main kind."""
        return self.kinds[0]

    @property
    def message(self) -> str:
        """The current run's message for the item ('' when there is none)."""
        return self.after.message if self.after else ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "test": self.test,
            "kinds": list(self.kinds),
            "before": _state_json(self.before),
            "after": _state_json(self.after),
            "message": self.message,
        }


def _state_json(state: ItemState | None) -> dict[str, Any] | None:
    """A baseline item's entry without ``covers`` (coverage changes are listed apart)."""
    if state is None:
        return None
    return {key: value for key, value in state.to_json().items() if key != "covers"}


@dataclass
class Comparison:
    """Everything that differs between a baseline and a current run."""

    baseline: Snapshot
    current: Snapshot
    regressions: list[Change] = field(default_factory=list)
    improvements: list[Change] = field(default_factory=list)
    #: Differences that are neither better nor worse (now skipped, ERROR <-> TIMEOUT, ...).
    changes: list[Change] = field(default_factory=list)
    #: Items whose repeated runs disagreed in the current run.
    flaky: list[Change] = field(default_factory=list)
    items_added: list[str] = field(default_factory=list)
    items_removed: list[str] = field(default_factory=list)
    #: (target, member) pairs covered by items that ran, only in the current run...
    members_added: list[tuple[str, str]] = field(default_factory=list)
    #: ...and only in the baseline.
    members_removed: list[tuple[str, str]] = field(default_factory=list)
    #: Items present in both sides with the same status and expectation.
    unchanged: int = 0
    #: Things the reader should know before trusting the verdict.
    warnings: list[str] = field(default_factory=list)
    #: Baseline items the current run should have had (all, or those of its shard) and lacks.
    missing: list[str] = field(default_factory=list)
    #: Why the gate fails besides regressions: missing items, an interrupted run.
    gate_problems: list[str] = field(default_factory=list)

    @property
    def has_regressions(self) -> bool:
        """Whether any item regressed."""
        return bool(self.regressions)

    @property
    def fails_gate(self) -> bool:
        """Whether the gate fails: a regression, or a run that cannot vouch for the baseline
        (items missing, interrupted) unless told to allow it."""
        return bool(self.regressions or self.gate_problems)

    @property
    def regressed_tests(self) -> list[str]:
        """Names of the regressed items, in report order."""
        return [change.test for change in self.regressions]


def _test_key(test: str) -> tuple[str, tuple[int, str], str]:
    """Report order for item names: scenario id, then canonical target order."""
    scenario, bracket, rest = test.partition("[")
    target = rest[:-1] if bracket and rest.endswith("]") else ""
    return (scenario, target_sort_key(target), test)


def _regression_kinds(before: ItemState | None, after: ItemState) -> list[str]:
    """Why ``after`` is worse than ``before`` (empty when it is not)."""
    kinds: list[str] = []
    known = before is not None and before.ran
    if known and before is not None:
        if before.status == "PASS" and before.expected and after.failing:
            kinds.append("pass-now-failing")
        if after.status in ("ERROR", "TIMEOUT") and before.status not in ("ERROR", "TIMEOUT"):
            kinds.append(f"new-{after.status.lower()}")
        if before.expected and after.unexpected:
            kinds.append("unexpected-pass" if after.status == "PASS" else "became-unexpected")
    else:
        if after.status in ("ERROR", "TIMEOUT"):
            kinds.append(f"new-{after.status.lower()}")
        if after.unexpected:
            kinds.append("new-unexpected")
    return kinds


def _improvement_kinds(before: ItemState, after: ItemState) -> list[str]:
    kinds: list[str] = []
    if before.failing and after.status == "PASS" and after.expected:
        kinds.append("fixed")
    if before.unexpected and after.ran and after.expected:
        kinds.append("now-expected")
    return kinds


def _other_kinds(before: ItemState, after: ItemState) -> list[str]:
    if before.ran and not after.ran:
        return ["now-skipped"]
    if not before.ran and after.ran:
        return ["now-run"]
    if before.status != after.status or before.expected != after.expected:
        return ["status-changed"]
    if (before.limitation or None) != (after.limitation or None):
        return ["limitation-changed"]
    return []


def _known_flake(before: ItemState | None, after: ItemState) -> bool:
    """The baseline knew the item as flaky and saw the status it has now."""
    return (
        before is not None
        and before.flaky
        and any(status == after.status for status, _ in before.outcomes)
    )


def compare_snapshots(
    baseline: Snapshot, current: Snapshot, *, flaky_as_regression: bool = False,
    allow_missing: bool = False,
) -> Comparison:
    """Compare two sides already read (see :func:`compare`)."""
    result = Comparison(baseline=baseline, current=current)
    for test in sorted(set(baseline.items) | set(current.items), key=_test_key):
        before = baseline.items.get(test)
        after = current.items.get(test)
        if after is None:
            result.items_removed.append(test)
            continue
        if before is None:
            result.items_added.append(test)
        regressions = _regression_kinds(before, after)
        if after.flaky:
            result.flaky.append(Change(test, ("flaky", *regressions), before, after))
            if not (flaky_as_regression and regressions):
                continue
        if regressions and _known_flake(before, after):
            result.changes.append(Change(test, ("known-flaky", *regressions), before, after))
        elif regressions:
            result.regressions.append(Change(test, tuple(regressions), before, after))
        elif before is None:
            continue  # a new item that is fine: listed under items_added only
        elif improvements := _improvement_kinds(before, after):
            result.improvements.append(Change(test, tuple(improvements), before, after))
        elif others := _other_kinds(before, after):
            result.changes.append(Change(test, tuple(others), before, after))
        else:
            result.unchanged += 1

    covered_before, covered_after = baseline.covered(), current.covered()
    pair_key = lambda pair: (target_sort_key(pair[0]), pair[1])  # noqa: E731
    result.members_added = sorted(covered_after - covered_before, key=pair_key)
    result.members_removed = sorted(covered_before - covered_after, key=pair_key)
    result.warnings = _warnings(baseline, current, result)
    result.missing = _expected_missing(baseline, current, result.items_removed)
    if not allow_missing:
        result.gate_problems = _gate_problems(current, result.missing)
    return result


def _scenario_of(test: str) -> str:
    return test.partition("[")[0]


def _expected_missing(baseline: Snapshot, current: Snapshot, removed: list[str]) -> list[str]:
    """The removed items the current run was meant to run: all of them, or, for one shard
    of a suite, those whose scenario falls in that shard."""
    if current.shard is None:
        return list(removed)
    k, n = current.shard
    mine = shard_of({_scenario_of(test) for test in baseline.items}, k, n)
    return [test for test in removed if _scenario_of(test) in mine]


def _gate_problems(current: Snapshot, missing: list[str]) -> list[str]:
    problems = []
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        problems.append(f"{len(missing)} baseline item(s) are missing from the current run: {shown} "
                        "(pass --allow-missing if that is intended)")
    if current.interrupted:
        problems.append("the current run was interrupted: it cannot vouch for the baseline "
                        "(pass --allow-missing to compare what finished)")
    return problems


def _warnings(baseline: Snapshot, current: Snapshot, result: Comparison) -> list[str]:
    warnings: list[str] = []
    if baseline.suite_version != current.suite_version:
        warnings.append(
            f"the baseline is from suite {baseline.suite_version}, the current run from suite "
            f"{current.suite_version}: added and removed items may come from the suite change"
        )
    if current.interrupted:
        warnings.append(
            "the current run was interrupted: it holds only the items that finished "
            f"({len(result.items_removed)} baseline items are missing)"
        )
    if not current.items:
        warnings.append("the current run has no results at all")
    missing_targets = [t for t in baseline.targets if t not in current.targets]
    if missing_targets and current.items:
        warnings.append(
            f"target(s) {', '.join(missing_targets)} of the baseline did not run in the "
            "current run"
        )
    for side, name in ((baseline, "baseline"), (current, "current run")):
        if side.duplicates:
            shown = ", ".join(side.duplicates[:5])
            more = f" and {len(side.duplicates) - 5} more" if len(side.duplicates) > 5 else ""
            warnings.append(
                f"the {name} lists some items more than once ({shown}{more}); "
                "the worst result of each was compared"
            )
    return warnings


def compare(
    baseline: Path | str | Snapshot,
    current: Path | str | Snapshot,
    *,
    flaky_as_regression: bool = False,
    allow_missing: bool = False,
) -> Comparison:
    """Compare ``current`` with ``baseline``.

    Each side is a :class:`Snapshot` or a path to a baseline file, a results.json, a run
    folder or a reports root. With ``flaky_as_regression`` a flaky item whose reported
    status is a regression also fails the gate. Baseline items missing from the current run
    (for a shard: those of its shard) and an interrupted run fail the gate too, unless
    ``allow_missing``. Raises ``ValueError`` when a side cannot be read.
    """
    before = baseline if isinstance(baseline, Snapshot) else load_snapshot(baseline)
    after = current if isinstance(current, Snapshot) else load_snapshot(current)
    return compare_snapshots(before, after, flaky_as_regression=flaky_as_regression,
                             allow_missing=allow_missing)
