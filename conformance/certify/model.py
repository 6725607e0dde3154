"""What a certification produces: check results, findings, and the certification itself.

The JSON form (:meth:`Certification.to_json`) is the report's ``certification.json``; its
``format`` and ``format_version`` identify it for tools.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "NOT_PASSING",
    "VERDICTS",
    "AppFacts",
    "BrowserFacts",
    "CallSite",
    "Certification",
    "CheckResult",
    "Finding",
    "RawFinding",
    "Severity",
    "TargetRun",
    "Verdict",
    "describe_target",
    "make_result",
]

FORMAT = "mmr-certification"
FORMAT_VERSION = 1

Verdict = Literal["pass", "fail", "not-applicable", "not-evaluated", "error"]
#: Every verdict, worst first (the order reports use to combine targets).
VERDICTS: tuple[Verdict, ...] = ("error", "fail", "not-evaluated", "pass", "not-applicable")
#: The verdicts that keep an app from being certified.
NOT_PASSING: frozenset[Verdict] = frozenset({"error", "fail", "not-evaluated"})
Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class CallSite:
    """Where in the app's scripts something happened (from ``new Error().stack``)."""

    url: str
    line: int
    column: int
    function: str = ""

    def __str__(self) -> str:
        where = f"{self.url}:{self.line}:{self.column}"
        return f"{self.function} ({where})" if self.function else where

    @classmethod
    def from_json(cls, data: Any) -> CallSite | None:
        """A call site from the audit's record, or ``None`` when there is none."""
        if not isinstance(data, dict) or not data.get("url"):
            return None
        return cls(
            str(data["url"]),
            int(data.get("line") or 0),
            int(data.get("column") or 0),
            str(data.get("function") or ""),
        )


@dataclass
class Finding:
    """Something the audit saw that matters under call redirection."""

    id: str
    rule: str
    severity: Severity
    title: str
    message: str
    hint: str
    check: str | None = None
    limitation: str | None = None
    targets: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    sites: list[CallSite] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready."""
        data = asdict(self)
        data["sites"] = [asdict(site) for site in self.sites]
        return data


@dataclass
class RawFinding:
    """A finding on one target, before findings of all targets are merged (the flows'
    own, and the audit rules')."""

    rule: str
    target: str
    message: str
    evidence: list[str]
    sites: list[CallSite]
    #: The check it belongs to when that depends on when it happened (a dialog belongs to
    #: the check that was running); ``None``: its rule's check.
    check: str | None = None


@dataclass
class CheckResult:
    """The verdict of one check on one target, with the evidence behind it."""

    check: str
    target: str
    verdict: Verdict
    summary: str
    evidence: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    duration: float = 0.0
    #: The evidence files of a failing result, relative to the certification's folder
    #: (``screenshot``, ``trace``), or ``no_trace``: why there is no trace.
    artifacts: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready."""
        data = asdict(self)
        data["duration"] = round(self.duration, 3)
        return data


def make_result(
    check: str,
    target: str,
    verdict: Verdict,
    summary: str,
    evidence: list[str] | None = None,
    duration: float = 0.0,
) -> CheckResult:
    """A check result without findings or artifacts yet (what flows and the audit's
    verdicts put; findings are folded in later)."""
    return CheckResult(check, target, verdict, summary, list(evidence or []), [], duration)


@dataclass
class TargetRun:
    """What one target showed besides the checks."""

    target: str
    duration: float = 0.0
    diagnostics: dict[str, Any] = field(default_factory=dict)
    connection_ids: list[str] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    mmr_log: list[dict[str, str]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready."""
        data = asdict(self)
        data["duration"] = round(self.duration, 3)
        return data


@dataclass
class AppFacts:
    """What the certificate says about the app (``certification.json``'s ``app``)."""

    name: str
    #: From the profile, else from its ``version_js`` (``None`` when neither says).
    version: str | None = None
    #: The profile's file.
    profile: str = ""
    #: Where the app was loaded from (the signalling secret masked); empty until known.
    url: str = ""

    @property
    def title(self) -> str:
        """The name and, when known, the version."""
        return " ".join(p for p in (self.name, self.version) if p)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


@dataclass
class BrowserFacts:
    """The browser the certification ran in (``certification.json``'s ``browser``): the
    first target's; empty until a target has run."""

    name: str = ""
    version: str = ""

    @property
    def title(self) -> str:
        """The name and, when known, the version (``unknown`` before any target ran)."""
        name = "Chromium" if self.name.lower() == "chromium" else self.name
        return " ".join(p for p in (name, self.version) if p) or "unknown"

    def to_json(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


@dataclass
class Certification:
    """The whole certification of one app on one or more targets."""

    run_id: str
    app: AppFacts
    suite_version: str
    browser: BrowserFacts
    targets: list[str]
    checks: list[dict[str, str]]
    results: list[CheckResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    runs: dict[str, TargetRun] = field(default_factory=dict)
    reference_impl_version: str | None = None
    started: str = ""
    ended: str = ""
    command: str = ""
    #: Per target: what it was (see ``Target.identity``): kind, redirection, browser.
    target_details: dict[str, dict[str, Any]] = field(default_factory=dict)

    def ran_against(self) -> str:
        """What the certification ran against, in words, e.g. "the reference redirection
        implementation 0.1.0 and native Chromium 156.0"."""
        parts = [describe_target(name, self.target_details.get(name, {})) for name in self.targets]
        return " and ".join(parts) if len(parts) < 3 else ", ".join(parts[:-1]) + " and " + parts[-1]

    def result(self, check: str, target: str) -> CheckResult | None:
        """The result of ``check`` on ``target``."""
        return next((r for r in self.results if r.check == check and r.target == target), None)

    def failing(self, target: str | None = None) -> list[CheckResult]:
        """The results that keep the app from being certified (neither passed nor
        not-applicable), on ``target`` only when given."""
        return [r for r in self.results
                if r.verdict in NOT_PASSING and (target is None or r.target == target)]

    def failing_summaries(self, target: str | None = None) -> dict[tuple[str, str], str]:
        """:meth:`failing` as ``(check, target) -> summary`` (what a failed gate prints)."""
        return {(r.check, r.target): r.summary for r in self.failing(target)}

    def told(self, check: str, target: str) -> str:
        """What ``check`` said on ``target``: its summary and evidence as one text ("" if it
        did not run there)."""
        result = self.result(check, target)
        return "" if result is None else " ".join([result.summary, *result.evidence])

    def check_verdict(self, check: str) -> Verdict:
        """A check's verdict over every target: the worst one (``not-applicable`` only if all are)."""
        verdicts = [r.verdict for r in self.results if r.check == check]
        if not verdicts:
            return "not-evaluated"
        return min(verdicts, key=VERDICTS.index)

    @property
    def certified(self) -> bool:
        """Every check passed or did not apply on every target, and at least one passed."""
        verdicts = {r.verdict for r in self.results}
        return bool(verdicts) and verdicts <= {"pass", "not-applicable"} and "pass" in verdicts

    @property
    def verdict(self) -> str:
        """``certified`` or ``not certified``."""
        return "certified" if self.certified else "not certified"

    def to_json(self) -> dict[str, Any]:
        """The certification as ``certification.json`` holds it."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "run_id": self.run_id,
            "verdict": self.verdict,
            "certified": self.certified,
            "app": self.app.to_json(),
            "suite_version": self.suite_version,
            "reference_impl_version": self.reference_impl_version,
            "browser": self.browser.to_json(),
            "targets": self.targets,
            "target_details": self.target_details,
            "ran_against": self.ran_against(),
            "started": self.started,
            "ended": self.ended,
            "command": self.command,
            "checks": [
                {
                    **check,
                    "verdict": self.check_verdict(check["id"]),
                    "results": {r.target: r.to_json() for r in self.results if r.check == check["id"]},
                }
                for check in self.checks
            ],
            "findings": [f.to_json() for f in self.findings],
            "runs": {name: run.to_json() for name, run in self.runs.items()},
        }


def describe_target(name: str, details: dict[str, Any]) -> str:
    """One target of a certification in words (for banners and facts)."""
    browser = " ".join(str(p) for p in ("Chromium" if details.get("browser") in (None, "chromium")
                                          else details.get("browser"),
                                          details.get("browser_version")) if p)
    redirection = details.get("redirection")
    if not redirection:
        if details.get("kind") == "native" or name == "native":
            return f"native {browser}".strip()
        return f"the {name} target"
    if redirection.get("implementation") == "reference":
        version = redirection.get("version") or redirection.get("extension_version") or ""
        return f"the reference redirection implementation {version}".strip() + f" in {browser}"
    versions = ", ".join(f"{label} {redirection[key]}" for key, label in (
        ("extension_version", "extension"), ("client_version", "client"), ("host_version", "host"))
        if redirection.get(key))
    return f"Microsoft multimedia redirection ({versions or 'versions not reported'}) in {browser}"
