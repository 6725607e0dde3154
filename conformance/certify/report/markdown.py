"""certification.md: the certification report as Markdown.

Everything that comes from the app, the page or the profile (names, URLs, messages,
evidence, log entries) is escaped with :func:`~conformance.reports.markdown.md_escape`, so
it shows as text and never breaks a table; only the suite's own ids go in code spans.
"""

from __future__ import annotations

from conformance.certify.audit.rules import DETECTION
from conformance.certify.checks import CHECKS
from conformance.certify.model import Certification, CheckResult, Finding
from conformance.certify.report.facts import facts, shown
from conformance.reports.markdown import md_escape, md_truncate
from conformance.reports.matrix_links import trace_command
from conformance.reports.outcome import SYMBOL, WARNING_SIGN, Outcome

__all__ = ["SYMBOLS", "render_markdown"]

#: A verdict's symbol: the matrix's (:data:`conformance.reports.outcome.SYMBOL`) for the
#: outcome it corresponds to; ⚠ for a check that could not be judged.
SYMBOLS = {
    "pass": SYMBOL[Outcome.PASS].text,
    "fail": SYMBOL[Outcome.UNEXPECTED_FAILURE].text,
    "error": WARNING_SIGN,
    "not-evaluated": SYMBOL[Outcome.NOT_RUN].text,
    "not-applicable": SYMBOL[Outcome.NOT_APPLICABLE].text,
}
_SEVERITY = {"error": "\u2717 error", "warning": "\u26a0 warning", "info": "\u2139 info"}


def _t(text: object, limit: int = 400) -> str:
    return md_escape(md_truncate(str(text), limit))


def _cell(result: CheckResult | None) -> str:
    if result is None:
        return "not run"
    return f"{SYMBOLS[result.verdict]} {result.verdict}"


def render_markdown(cert: Certification) -> str:
    """The whole report."""
    out: list[str] = []
    verdict = "CERTIFIED" if cert.certified else "NOT CERTIFIED"
    out += [f"# Certification of {_t(cert.app.name)}: {verdict}", ""]
    out += _facts(cert)
    out += ["## Verdict", "", _verdict_text(cert), ""]
    out += [
        "## Checks",
        "",
        "| Check | " + " | ".join(cert.targets) + " |",
        "|---|" + "---|" * len(cert.targets),
    ]
    for check in CHECKS:
        cells = " | ".join(_cell(cert.result(check.id, t)) for t in cert.targets)
        out.append(f"| {md_escape(check.title)} (`{check.id}`) | {cells} |")
    out.append("")
    out += _findings(cert.findings)
    out += _details(cert)
    out += _diagnostics(cert)
    out += _usage(cert)
    return "\n".join(out).rstrip() + "\n"


def _facts(cert: Certification) -> list[str]:
    return ["| | |", "|---|---|", *(f"| {label} | {_t(value)} |" for label, value in facts(cert)), ""]


def _verdict_text(cert: Certification) -> str:
    if cert.certified:
        return (
            f"**Certified against {_t(cert.ran_against())}**: every check passed or does not "
            f"apply on every target ({', '.join(cert.targets)})."
        )
    failing = cert.failing()
    lines = [f"**Not certified against {_t(cert.ran_against())}**: {len(failing)} check result(s) "
             "did not pass."]
    lines += [f"- `{r.check}` on {r.target}: {r.verdict}: {_t(r.summary)}" for r in failing]
    return "\n".join(lines)


def _findings(findings: list[Finding]) -> list[str]:
    out = ["## Findings", ""]
    if not findings:
        return [*out, "The audit found nothing to report.", ""]
    for f in findings:
        out.append(f"### {_SEVERITY[f.severity]}: {md_escape(f.title)} (`{f.id}`)")
        out.append("")
        out.append(f"- **What**: {_t(f.message)}")
        out.append(f"- **Targets**: {', '.join(f.targets)}")
        if f.check:
            out.append(f"- **Check**: `{f.check}`")
        if f.limitation:
            out.append(f"- **Limitation**: `{f.limitation}`")
        for site in f.sites:
            out.append(f"- **Where**: {_t(site)}")
        for item in f.evidence[:20]:
            out.append(f"- **Evidence**: {_t(item)}")
        out.append(f"- **Fix**: {md_escape(f.hint)}")
        out.append("")
    return out


def _details(cert: Certification) -> list[str]:
    out = ["## Check details", ""]
    for check in CHECKS:
        out += [f"### {md_escape(check.title)} (`{check.id}`)", "", md_escape(check.description), ""]
        for target in cert.targets:
            result = cert.result(check.id, target)
            if result is None:
                continue
            out.append(
                f"- **{target}**: {SYMBOLS[result.verdict]} {result.verdict}: {_t(result.summary)} "
                f"({result.duration:.1f} s)"
            )
            out += [f"  - {_t(item)}" for item in result.evidence[:30]]
            out += _artifacts(result)
        out.append("")
    return out


def _artifacts(result: CheckResult) -> list[str]:
    """Links to a failing result's evidence files (relative to the report's folder)."""
    files = result.artifacts
    out = []
    if files.get("screenshot"):
        out.append(f"  - screenshot: [{md_escape(files['screenshot'])}](<{files['screenshot']}>)")
    if files.get("trace"):
        out.append(f"  - Playwright trace: [{md_escape(files['trace'])}](<{files['trace']}>); open it with "
                   f"`{trace_command(files['trace'], None)}` (from this folder)")
    if files.get("no_trace"):
        out.append(f"  - {_t(files['no_trace'])}")
    return out


def _diagnostics(cert: Certification) -> list[str]:
    out = ["## Redirection diagnostics seen", ""]
    out += ["| Property | " + " | ".join(cert.runs) + " |", "|---|" + "---|" * len(cert.runs)]
    for name in DETECTION:
        values = " | ".join(_t(shown(run.diagnostics.get(name))) for run in cert.runs.values())
        out.append(f"| {name} | {values} |")
    out.append("")
    for name, run in cert.runs.items():
        if run.connection_ids:
            out.append(f"- connectionIds on {name}: {_t(', '.join(run.connection_ids))}")
        for entry in run.mmr_log[:20]:
            out.append(f"- mmrExtensionLog on {name} ({_t(entry.get('level'))}): {_t(entry.get('message'))}")
        for error in run.page_errors[:10]:
            out.append(f"- page error on {name}: {_t(error)}")
    out.append("")
    return out


def _usage(cert: Certification) -> list[str]:
    out = ["## API usage", ""]
    for name, run in cert.runs.items():
        supported = run.usage.get("supported", {})
        outside = run.usage.get("outside", {})
        listeners = run.usage.get("listeners", {})
        out.append(f"- **{name}**: {len(supported)} supported members, {len(outside)} outside the registry")
        if supported:
            out.append("  - supported: " + _t(", ".join(f"{k} x{v}" for k, v in supported.items()), 3000))
        if outside:
            out.append("  - outside: " + _t(", ".join(f"{k} x{v}" for k, v in outside.items()), 2000))
        if listeners:
            out.append("  - listeners: " + _t(", ".join(f"{k} x{v}" for k, v in listeners.items()), 2000))
    out.append("")
    return out
