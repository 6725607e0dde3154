"""The customer's compatibility table: what works when calls are redirected, per target.

In the manner of MDN's browser-compatibility tables and caniuse: a row per supported
interface and member (the ``covers`` of the scenarios that ran), a column per redirection
target of the run, and in each cell one of :class:`Support`. It is pure data, rendered by
:mod:`~conformance.reports.compat_html` (compat.html) and
:mod:`~conformance.reports.compat_md` (compat.md).

What a cell may say, and what it never says:

- *supported*: every result covering it passed (a pass where a documented limitation
  predicted a failure is support observed, and is footnoted as such);
- *supported with a documented limitation*: a result failed the way a ``kind: product``
  limitation of the registry documents; the footnote gives its title, the scenario's note
  and the vendor's own wording;
- *not supported*: a result failed and no documented limitation explains it;
- *reference implementation deviates*: a result failed the way a ``kind: reference``
  deviation documents. That is a limit of the suite's own reference implementation and
  **never** shown as a product limitation: the cell says nothing about the product, and
  when the run has no product column the page says that the product was not tested;
- *not tested*: no result, or only skipped ones.

Native (no redirection) targets are not columns: the table is about redirection, and the
engineer's matrix.html has every target.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import Any

from conformance.interfaces import SUPPORTED_INTERFACES
from conformance.reports.limitation_info import LimitationCatalog
from conformance.reports.outcome import (
    Outcome,
    classify,
    limitation_id,
    limitation_kind,
    limitation_note,
    sort_results,
)
from conformance.results import RunInfo, ScenarioResult

__all__ = [
    "EXTENSION_MEMBERS",
    "MDN_BASE",
    "SUPPORT_LABEL",
    "SUPPORT_MEANING",
    "SUPPORT_SYMBOL",
    "CompatCell",
    "CompatColumn",
    "CompatNote",
    "CompatRow",
    "CompatSection",
    "CompatTable",
    "Support",
    "build_compat",
    "mdn_url",
]

#: Where MDN's Web API reference lives.
MDN_BASE = "https://developer.mozilla.org/en-US/docs/Web/API/"

#: ``MediaDevices`` members of the call-redirection integration surface (the vendor's
#: developer page): not web standards, so no MDN page.
EXTENSION_MEMBERS: frozenset[str] = frozenset({
    "isCallRedirectionEnabled", "rdpClientConnectionStateChanged", "mmrClientVersion",
    "mmrHostVersion", "mmrExtensionVersion", "activityId", "connectionId",
    "mmrConsoleLoggingEnabled", "mmrExtensionLog",
})


class Support(StrEnum):
    """What a compatibility cell says; member order is precedence, worst first."""

    NOT_SUPPORTED = "not-supported"
    LIMITED = "limited"
    REFERENCE_DEVIATION = "reference-deviation"
    SUPPORTED = "supported"
    NOT_TESTED = "not-tested"


#: What each cell state is called (compat.html and compat.md alike).
SUPPORT_LABEL: dict[Support, str] = {
    Support.NOT_SUPPORTED: "not supported",
    Support.LIMITED: "supported, with a documented limitation",
    Support.REFERENCE_DEVIATION: "reference implementation deviates",
    Support.SUPPORTED: "supported",
    Support.NOT_TESTED: "not tested",
}
#: A symbol per state, so that a cell never relies on its colour alone.
SUPPORT_SYMBOL: dict[Support, str] = {
    Support.NOT_SUPPORTED: "\u2717",  # ✗
    Support.LIMITED: "\u25d0",  # ◐
    Support.REFERENCE_DEVIATION: "\u2205",  # ∅
    Support.SUPPORTED: "\u2713",  # ✓
    Support.NOT_TESTED: "\u2013",  # en dash
}
#: The legend.
SUPPORT_MEANING: dict[Support, str] = {
    Support.SUPPORTED: "works as the specification (MDN) describes",
    Support.LIMITED: "works, within a limitation the vendor documents (see its footnote)",
    Support.NOT_SUPPORTED: "did not work, and no documented limitation explains it",
    Support.REFERENCE_DEVIATION: "a limit of the suite's own reference implementation, "
    "not of the product: it says nothing about the product",
    Support.NOT_TESTED: "no scenario ran on this column",
}


@dataclass(frozen=True)
class CompatColumn:
    """A redirection target of the run, as the customer reads it."""

    target: str
    label: str
    #: What the column stands for (implementation and versions, when known).
    detail: str
    #: Whether the column is the product itself (an attached product browser).
    product: bool


@dataclass
class CompatNote:
    """A footnote: a documented limitation (``kind`` product) or a reference deviation."""

    id: str
    kind: str
    #: ``1``, ``2``… for product limitations, ``R1``, ``R2``… for reference deviations.
    mark: str
    title: str
    vendor_wording: str
    notes: list[str] = field(default_factory=list)


@dataclass
class CompatCell:
    """One row on one column."""

    support: Support
    #: Footnotes of the documented limitations or reference deviations met.
    notes: list[CompatNote]
    results: int
    #: Limitation ids a pass contradicted (support observed although documented otherwise).
    contradicted: list[str] = field(default_factory=list)


@dataclass
class CompatRow:
    """An interface (``member`` None) or one of its members."""

    interface: str
    member: str | None
    #: MDN's page, or ``None`` for the call-redirection extension's own members.
    mdn: str | None
    cells: dict[str, CompatCell]

    @property
    def name(self) -> str:
        """``Interface`` or ``Interface.member``."""
        return f"{self.interface}.{self.member}" if self.member else self.interface


@dataclass
class CompatSection:
    """An interface's row and its members' rows."""

    row: CompatRow
    members: list[CompatRow]


@dataclass
class CompatTable:
    """The whole table plus its footnotes."""

    columns: list[CompatColumn]
    sections: list[CompatSection]
    limitations: list[CompatNote]
    deviations: list[CompatNote]

    @property
    def product_tested(self) -> bool:
        """Whether a column is the product itself (else the table shows the reference only)."""
        return any(column.product for column in self.columns)


def mdn_url(interface: str, member: str | None = None) -> str | None:
    """MDN's page of an interface or member (an ``on<event>`` handler: the event's page)."""
    if member is None:
        return MDN_BASE + interface
    if interface == "MediaDevices" and member in EXTENSION_MEMBERS:
        return None
    if member.startswith("on") and len(member) > 2:
        return f"{MDN_BASE}{interface}/{member[2:]}_event"
    return f"{MDN_BASE}{interface}/{member}"


def _column(target: str, details: Mapping[str, Any]) -> CompatColumn | None:
    """The column of ``target``, or ``None`` when it is not redirected (native)."""
    redirection = details.get("redirection")
    if details and (details.get("kind") == "native" or redirection is None):
        return None
    if not details and target == "native":
        return None
    redirection = redirection if isinstance(redirection, dict) else {}
    implementation = redirection.get("implementation") or (
        "reference" if target == "reference" else "product")
    versions = ", ".join(
        f"{name.replace('_', ' ')} {redirection[name]}"
        for name in ("version", "client_version", "host_version", "extension_version")
        if redirection.get(name)
    )
    browser = details.get("browser_version")
    detail = "; ".join(p for p in (versions, f"browser {browser}" if browser else "") if p)
    if implementation == "product":
        return CompatColumn(target, "Product", detail or f"target {target}", True)
    return CompatColumn(target, "Reference implementation",
                        detail or f"target {target}", False)


def _columns(info: RunInfo, targets: Sequence[str]) -> list[CompatColumn]:
    columns = []
    for target in targets:
        column = _column(target, info.target_details.get(target) or {})
        if column is not None:
            columns.append(column)
    return columns


class _Notes:
    """Footnotes numbered in order of first use, per kind."""

    def __init__(self, catalog: LimitationCatalog) -> None:
        self.catalog = catalog
        self.by_id: dict[str, CompatNote] = {}

    def note(self, result: ScenarioResult, kind: str) -> CompatNote:
        ident = limitation_id(result) or "(unnamed)"
        found = self.by_id.get(ident)
        if found is None:
            entry = self.catalog.get(ident)
            prefix = "R" if kind == "reference" else ""
            number = sum(1 for n in self.by_id.values() if n.kind == kind) + 1
            found = CompatNote(ident, kind, f"{prefix}{number}",
                               entry.title if entry else "",
                               entry.vendor_wording.strip() if entry else "")
            self.by_id[ident] = found
        text = limitation_note(result)
        if text and text not in found.notes:
            found.notes.append(text)
        return found

    def of_kind(self, kind: str) -> list[CompatNote]:
        return [n for n in self.by_id.values() if n.kind == kind]


def _cell(results: list[ScenarioResult], notes: _Notes) -> CompatCell:
    found: list[Support] = []
    cell_notes: list[CompatNote] = []
    contradicted: list[str] = []
    for result in results:
        outcome = classify(result)
        if outcome is Outcome.NOT_RUN:
            continue
        if outcome is Outcome.UNEXPECTED_FAILURE:
            found.append(Support.NOT_SUPPORTED)
        elif outcome is Outcome.KNOWN_LIMITATION:
            kind = limitation_kind(result) or "product"
            note = notes.note(result, kind)
            if note not in cell_notes:
                cell_notes.append(note)
            found.append(Support.REFERENCE_DEVIATION if kind == "reference" else Support.LIMITED)
        else:
            found.append(Support.SUPPORTED)
            ident = limitation_id(result)
            if outcome is Outcome.UNEXPECTED_PASS and ident and ident not in contradicted:
                contradicted.append(ident)
    support = min(found, key=list(Support).index) if found else Support.NOT_TESTED
    # Footnote marks in order: product ones (1, 2…), then reference ones (R1, R2…).
    cell_notes.sort(key=lambda n: (n.kind != "product", int(n.mark.lstrip("R"))))
    return CompatCell(support, cell_notes, len(results), contradicted)


def _member_order(interface: str, member: str) -> tuple[int, str]:
    members = SUPPORTED_INTERFACES.get(interface, ())
    return (members.index(member), "") if member in members else (len(members), member)


def _interface_order(name: str) -> tuple[int, str]:
    names = list(SUPPORTED_INTERFACES)
    return (names.index(name), "") if name in names else (len(names), name)


def build_compat(
    results: Iterable[ScenarioResult],
    run_info: RunInfo,
    targets: Sequence[str],
    catalog: LimitationCatalog | None = None,
) -> CompatTable:
    """The compatibility table of a run's ``results`` on its redirection ``targets``.

    ``catalog`` gives the limitations' titles and vendor wording (by default, the
    registries the results' scenario files may use).
    """
    ordered = sort_results(results)
    catalog = catalog or LimitationCatalog.for_results(ordered)
    columns = _columns(run_info, targets)
    keys = {column.target for column in columns}
    # Each row's results, once each (by identity: comparing results field by field made
    # this quadratic in a row's results), in report order.
    by_row: dict[tuple[str, str | None], dict[int, ScenarioResult]] = {}
    for result in ordered:
        if result.target not in keys:
            continue
        for name in result.covers:
            interface, _, member = name.partition(".")
            for key in ((interface, None), (interface, member or None)):
                by_row.setdefault(key, {}).setdefault(id(result), result)
    notes = _Notes(catalog)

    def row(interface: str, member: str | None) -> CompatRow:
        found = list(by_row.get((interface, member), {}).values())
        cells = {c.target: _cell([r for r in found if r.target == c.target], notes)
                 for c in columns}
        return CompatRow(interface, member, mdn_url(interface, member), cells)

    sections = []
    for interface in sorted({i for i, _ in by_row}, key=_interface_order):
        members = sorted((m for i, m in by_row if i == interface and m is not None),
                         key=partial(_member_order, interface))
        sections.append(CompatSection(row(interface, None), [row(interface, m) for m in members]))
    return CompatTable(columns, sections, notes.of_kind("product"), notes.of_kind("reference"))
