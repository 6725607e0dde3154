"""How a result reads in a report: its outcome, its limitation, and a stable ordering.

Every report (JSON summary, JUnit, matrix) classifies results the same way, so the rules
live here once: a FAIL that the scenario's expectation predicts (a documented limitation)
is not a failure of the run, and a PASS that the expectation said would fail is.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import NamedTuple

from conformance.results import ScenarioResult
from conformance.targets.registry import TARGETS, target_order

__all__ = [
    "FAILING_STATUSES",
    "LABEL",
    "LIMITATION_KIND_KEY",
    "MEANING",
    "PRECEDENCE",
    "REFERENCE_PREFIX",
    "SUMMARY_ORDER",
    "SYMBOL",
    "WARNING_SIGN",
    "Outcome",
    "Symbol",
    "classify",
    "is_reference_deviation",
    "limitation_id",
    "limitation_kind",
    "limitation_note",
    "ordered_targets",
    "sort_results",
    "target_sort_key",
    "unexpected_pass_message",
]

#: Statuses that mean the scenario did not do what the spec says.
FAILING_STATUSES: frozenset[str] = frozenset({"FAIL", "ERROR", "TIMEOUT"})


class Outcome(StrEnum):
    """What a result, or a matrix cell, means for the reader.

    The member order is the matrix precedence, worst first: a cell takes the first
    outcome any of its results has. ``NOT_APPLICABLE`` only describes a matrix cell
    with no result at all; :func:`classify` never returns it.
    """

    UNEXPECTED_FAILURE = "unexpected-failure"
    UNEXPECTED_PASS = "unexpected-pass"
    KNOWN_LIMITATION = "known-limitation"
    PASS = "pass"
    NOT_RUN = "not-run"
    NOT_APPLICABLE = "n/a"


#: Result outcomes, worst first: a matrix cell takes the first one any of its results has.
PRECEDENCE: tuple[Outcome, ...] = (
    Outcome.UNEXPECTED_FAILURE,
    Outcome.UNEXPECTED_PASS,
    Outcome.KNOWN_LIMITATION,
    Outcome.PASS,
    Outcome.NOT_RUN,
)
#: Order of the counts in summaries: the common case first.
SUMMARY_ORDER: tuple[Outcome, ...] = (
    Outcome.PASS,
    Outcome.KNOWN_LIMITATION,
    Outcome.UNEXPECTED_FAILURE,
    Outcome.UNEXPECTED_PASS,
    Outcome.NOT_RUN,
)
#: What the reports call each outcome.
LABEL: dict[Outcome, str] = {
    Outcome.UNEXPECTED_FAILURE: "unexpected failure",
    Outcome.UNEXPECTED_PASS: "unexpected pass",
    Outcome.KNOWN_LIMITATION: "known limitation",
    Outcome.PASS: "pass",
    Outcome.NOT_RUN: "not run",
    Outcome.NOT_APPLICABLE: "n/a",
}


class Symbol(NamedTuple):
    """How an outcome is drawn, so that no report relies on colour alone."""

    #: A plain glyph (HTML pages, terminals, certificates).
    text: str
    #: Its emoji (Markdown: GitHub draws it in colour).
    emoji: str


#: ⚠: a known limitation here; a certificate's check that could not be judged (error).
WARNING_SIGN = "\u26a0"
#: The one table of outcome symbols (matrix.html and the certificates draw ``text``,
#: matrix.md ``emoji``).
SYMBOL: dict[Outcome, Symbol] = {
    Outcome.UNEXPECTED_FAILURE: Symbol("\u2717", "\u274c"),  # ✗ ❌
    Outcome.UNEXPECTED_PASS: Symbol("!", "\u2757"),  # ! ❗
    Outcome.KNOWN_LIMITATION: Symbol(WARNING_SIGN, "\u26a0\ufe0f"),  # ⚠ ⚠️
    Outcome.PASS: Symbol("\u2713", "\u2705"),  # ✓ ✅
    Outcome.NOT_RUN: Symbol("\u2298", "\u23ed"),  # ⊘ ⏭
    Outcome.NOT_APPLICABLE: Symbol("\u2013", "\u2014"),  # en dash, em dash
}
#: What each outcome means, for the reports' legends (each report says after the known
#: limitation's meaning how it shows the limitation's id).
MEANING: dict[Outcome, str] = {
    Outcome.UNEXPECTED_FAILURE: "a result failed (FAIL, ERROR or TIMEOUT) and no documented "
    "limitation explains it",
    Outcome.UNEXPECTED_PASS: "a result passed where a documented limitation said it would "
    "fail: update the expectation",
    Outcome.KNOWN_LIMITATION: "failed as a documented limitation predicts",
    Outcome.PASS: "every result passed as expected",
    Outcome.NOT_RUN: "every result was skipped",
    Outcome.NOT_APPLICABLE: "no scenario covers this on this target",
}


def classify(result: ScenarioResult) -> Outcome:
    """The outcome of one result.

    ``result.expected`` is the engine's verdict (it already checked ``fails_with`` and the
    like), so it is trusted rather than recomputed from the expectation.
    """
    if result.status == "SKIP":
        return Outcome.NOT_RUN
    if result.status == "PASS":
        return Outcome.PASS if result.expected else Outcome.UNEXPECTED_PASS
    return Outcome.KNOWN_LIMITATION if result.expected else Outcome.UNEXPECTED_FAILURE


def limitation_id(result: ScenarioResult) -> str | None:
    """The documented limitation the result's expectation names, if any."""
    if result.limitation:
        return result.limitation
    value = result.expectation.get("limitation")
    return str(value) if value else None


#: The expectation key recording whose deviation its limitation is (``product`` or
#: ``reference``); :func:`conformance.reports.limitation_info.annotate` writes it.
LIMITATION_KIND_KEY = "limitation_kind"
#: The id prefix of the reference implementation's own deviations (``kind: reference``).
REFERENCE_PREFIX = "ref-"


def limitation_kind(result: ScenarioResult) -> str | None:
    """``product`` or ``reference`` for a result whose expectation names a limitation.

    The kind the result recorded (``expectation.limitation_kind``) is used; a result from
    before it was recorded falls back on the registry's id convention (``ref-*``).
    """
    ident = limitation_id(result)
    if ident is None:
        return None
    recorded = result.expectation.get(LIMITATION_KIND_KEY)
    if recorded in ("product", "reference"):
        return str(recorded)
    return "reference" if ident.startswith(REFERENCE_PREFIX) else "product"


def is_reference_deviation(result: ScenarioResult) -> bool:
    """A failure explained by a deviation of the reference implementation, not the product."""
    return classify(result) is Outcome.KNOWN_LIMITATION and limitation_kind(result) == "reference"


def limitation_note(result: ScenarioResult) -> str:
    """The expectation's note about its limitation ('' when there is none)."""
    value = result.expectation.get("note")
    return str(value) if value else ""


def unexpected_pass_message(result: ScenarioResult) -> str:
    """Why a PASS is a problem: the expectation said it would fail (it may be fixed)."""
    ident = limitation_id(result)
    because = f" (known limitation {ident})" if ident else ""
    message = f"unexpected pass: expected to fail{because} but it passed"
    return f"{message}; {result.message}" if result.message else message


def target_sort_key(target: str) -> tuple[int, str]:
    """Canonical target order (the registry's: native, reference, attach), then any other
    target by name."""
    order = target_order(target)
    return (order, "" if order < len(TARGETS) else target)


def ordered_targets(declared: Iterable[str], results: Iterable[ScenarioResult]) -> list[str]:
    """The run's declared targets plus any a result mentions, in canonical order.

    Declared targets are kept even without results so that an empty column shows that a
    target produced nothing, instead of silently disappearing.
    """
    names = set(declared)
    names.update(result.target for result in results)
    return sorted(names, key=target_sort_key)


def sort_results(results: Iterable[ScenarioResult]) -> list[ScenarioResult]:
    """Results in report order: by scenario id, then by canonical target order.

    Workers finish in any order; sorting makes every report byte-for-byte reproducible.
    """
    return sorted(results, key=lambda r: (r.scenario, target_sort_key(r.target)))
