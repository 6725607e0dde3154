"""The compatibility matrix: supported interfaces and members by target.

:func:`build_matrix` is pure data, which the renderers turn into pages
(:mod:`~conformance.reports.matrix_md`, :mod:`~conformance.reports.matrix_html`). A row is
an interface of the registry, or one ``Interface.member`` under it; a column is a target; a
cell sums up every result of that target whose scenario covers the row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

from conformance.interfaces import SUPPORTED_INTERFACES
from conformance.reports.outcome import (
    PRECEDENCE,
    Outcome,
    classify,
    limitation_id,
    limitation_note,
    sort_results,
)
from conformance.results import ScenarioResult

__all__ = [
    "COLUMN_SEPARATOR",
    "MISC",
    "Cell",
    "Column",
    "InterfaceSection",
    "KnownLimitation",
    "Matrix",
    "Row",
    "Tally",
    "build_matrix",
    "build_multi_run_matrix",
]

#: Pseudo-interface grouping results whose scenario covers nothing (same as JUnit's).
MISC = "misc"

#: Separator between run label and target in a multi-run matrix's column keys.
COLUMN_SEPARATOR = " \u00b7 "

@dataclass
class Tally:
    """Numbers of results per outcome."""

    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(PRECEDENCE, 0))

    def add(self, outcome: Outcome) -> None:
        """Count one more result with ``outcome``."""
        self.counts[outcome] += 1

    @property
    def total(self) -> int:
        """Number of results counted."""
        return sum(self.counts.values())

    def worst(self) -> Outcome:
        """The cell state: the worst outcome present, ``n/a`` when empty."""
        for outcome in PRECEDENCE:
            if self.counts[outcome]:
                return outcome
        return Outcome.NOT_APPLICABLE


@dataclass
class Cell:
    """The results of one row on one target."""

    state: Outcome
    tally: Tally
    #: Limitation ids of the expected failures in this cell, with their notes.
    limitations: dict[str, list[str]]
    tests: list[str]


@dataclass
class Row:
    """One row: an interface (``member`` is None) or one of its members."""

    interface: str
    member: str | None
    cells: dict[str, Cell]

    @property
    def name(self) -> str:
        """``Interface`` or ``Interface.member``."""
        return f"{self.interface}.{self.member}" if self.member else self.interface


@dataclass
class InterfaceSection:
    """An interface's row, its members' rows, and the tally of results covering it."""

    interface: str
    row: Row
    members: list[Row]
    tally: Tally


@dataclass
class KnownLimitation:
    """A documented limitation some expected failures of the run are explained by."""

    id: str
    notes: list[str]
    tests: list[str]


@dataclass(frozen=True)
class Column:
    """One column: a target, in one run when several runs are combined side by side.

    ``key`` is what ``Row.cells``, ``Matrix.targets`` and ``Matrix.by_target`` are keyed
    by: the target's name in a single-run matrix, ``"<run> · <target>"`` in a multi-run
    one (see :func:`build_multi_run_matrix`).
    """

    key: str
    target: str
    #: Label of the run this column belongs to; ``None`` in a single-run matrix.
    run: str | None = None


@dataclass
class Matrix:
    """The whole matrix plus what the report lists below it."""

    #: Column keys, in column order (target names in a single-run matrix).
    targets: list[str]
    sections: list[InterfaceSection]
    overall: Tally
    by_target: dict[str, Tally]
    limitations: list[KnownLimitation]
    #: Unexpected failures and unexpected passes, in report order.
    unexpected: list[ScenarioResult]
    #: What each key of ``targets`` stands for (run and target); one per column.
    columns: list[Column] = field(default_factory=list)

    def column(self, key: str) -> Column:
        """The column keyed ``key`` (a plain target column if none was recorded)."""
        for column in self.columns:
            if column.key == key:
                return column
        return Column(key, key)

    @property
    def multi_run(self) -> bool:
        """Whether the columns come from several runs."""
        return any(column.run is not None for column in self.columns)


def _row_keys(result: ScenarioResult) -> set[tuple[str, str | None]]:
    """The rows a result counts for: each covered interface, and each covered member."""
    keys: set[tuple[str, str | None]] = set()
    for name in result.covers:
        interface, _, member = name.partition(".")
        keys.add((interface, None))
        if member:
            keys.add((interface, member))
    return keys or {(MISC, None)}


def _interface_order(name: str) -> tuple[int, int, str]:
    """Registry order first; unknown interfaces (old or hand-made files) by name; misc last."""
    names = list(SUPPORTED_INTERFACES)
    if name in SUPPORTED_INTERFACES:
        return (0, names.index(name), "")
    return (2, 0, "") if name == MISC else (1, 0, name)


def _member_order(interface: str, member: str) -> tuple[int, str]:
    members = SUPPORTED_INTERFACES.get(interface, ())
    return (members.index(member), "") if member in members else (len(members), member)


def _cell(results: list[ScenarioResult]) -> Cell:
    tally = Tally()
    limitations: dict[str, list[str]] = {}
    for result in results:
        outcome = classify(result)
        tally.add(outcome)
        if outcome is Outcome.KNOWN_LIMITATION:
            notes = limitations.setdefault(limitation_id(result) or "(unnamed)", [])
            note = limitation_note(result)
            if note and note not in notes:
                notes.append(note)
    return Cell(
        state=tally.worst(),
        tally=tally,
        limitations=dict(sorted(limitations.items())),
        tests=[r.test for r in results],
    )


def _known_limitations(results: Iterable[ScenarioResult]) -> list[KnownLimitation]:
    found: dict[str, KnownLimitation] = {}
    for result in results:
        if classify(result) is not Outcome.KNOWN_LIMITATION:
            continue
        ident = limitation_id(result) or "(unnamed)"
        entry = found.setdefault(ident, KnownLimitation(ident, [], []))
        note = limitation_note(result)
        if note and note not in entry.notes:
            entry.notes.append(note)
        entry.tests.append(result.test)
    return [found[key] for key in sorted(found)]


def build_matrix(results: Iterable[ScenarioResult], targets: Sequence[str]) -> Matrix:
    """Group results into rows (interfaces, members) and columns (``targets``).

    Results of targets not in ``targets`` are left out of everything. A result counts once
    for an interface row however many of its members it covers.
    """
    ordered = [r for r in sort_results(results) if r.target in targets]
    by_row: dict[tuple[str, str | None], list[ScenarioResult]] = {}
    for result in ordered:
        for key in _row_keys(result):
            by_row.setdefault(key, []).append(result)

    def row(interface: str, member: str | None) -> Row:
        found = by_row.get((interface, member), [])
        cells = {t: _cell([r for r in found if r.target == t]) for t in targets}
        return Row(interface, member, cells)

    sections = []
    for interface in sorted({i for i, _ in by_row}, key=_interface_order):
        members = sorted(
            (m for i, m in by_row if i == interface and m is not None),
            key=partial(_member_order, interface),
        )
        tally = Tally()
        for result in by_row[(interface, None)]:
            tally.add(classify(result))
        sections.append(
            InterfaceSection(interface, row(interface, None), [row(interface, m) for m in members],
                             tally)
        )

    overall = Tally()
    by_target = {t: Tally() for t in targets}
    for result in ordered:
        overall.add(classify(result))
        by_target[result.target].add(classify(result))
    return Matrix(
        targets=list(targets),
        sections=sections,
        overall=overall,
        by_target=by_target,
        limitations=_known_limitations(ordered),
        unexpected=[
            r for r in ordered
            if classify(r) in (Outcome.UNEXPECTED_FAILURE, Outcome.UNEXPECTED_PASS)
        ],
        columns=[Column(t, t) for t in targets],
    )


def build_multi_run_matrix(
    runs: Sequence[tuple[str, Sequence[str], Iterable[ScenarioResult]]],
) -> tuple[Matrix, list[ScenarioResult]]:
    """A matrix whose columns are (run, target) pairs, for comparing runs side by side.

    ``runs`` holds, per run, its label (unique among ``runs``), its targets in column
    order, and its results. Each result is copied with its ``target`` set to its column
    key (``"<label> · <target>"``) so that item names stay unique across runs and the
    single-run machinery groups them; the copies are returned with the matrix, and
    ``Matrix.columns`` maps each key back to its run and target.
    """
    labels = [label for label, _, _ in runs]
    if len(set(labels)) != len(labels):
        raise ValueError(f"run labels must be unique: {labels}")
    columns: list[Column] = []
    placed: list[ScenarioResult] = []
    for label, targets, results in runs:
        keys = {t: f"{label}{COLUMN_SEPARATOR}{t}" for t in targets}
        columns.extend(Column(keys[t], t, label) for t in targets)
        placed.extend(replace(r, target=keys[r.target]) for r in results if r.target in keys)
    matrix = build_matrix(placed, [c.key for c in columns])
    matrix.columns = columns
    return matrix, placed
