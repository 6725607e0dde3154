"""certification.html: the certification report as one self-contained, offline page.

No script and no external resource: inline CSS allowed by hash in a Content Security
Policy that forbids everything else, so nothing that slipped into the data could run or
load. Every string from the app, the page or the profile goes through :func:`_e`
(characters HTML cannot carry are made visible first, then :func:`html.escape`).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re

from conformance.certify.checks import CHECKS
from conformance.certify.facts import facts, shown
from conformance.certify.model import Certification, CheckResult, Finding
from conformance.certify.report_md import SYMBOLS
from conformance.certify.rules import DETECTION

__all__ = ["render_html"]

_INVALID = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufdcf\ufdf0-\ufffd\U00010000-\U0010ffff]")
_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}h3{font-size:1.05rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;
vertical-align:top}th{background:#f4f4f4}code,.mono{font-family:ui-monospace,monospace;font-size:.9em}
.v-pass{color:#0a6b0a}.v-fail,.v-error{color:#a40000;font-weight:600}.v-not-evaluated{color:#8a5a00}
.v-not-applicable{color:#666}.banner{padding:.8rem 1rem;border-radius:.3rem;font-size:1.1rem}
.ok{background:#e7f5e7;border:1px solid #0a6b0a}.ko{background:#fbeaea;border:1px solid #a40000}
.s-error{border-left:4px solid #a40000}.s-warning{border-left:4px solid #c98a00}
.s-info{border-left:4px solid #888}
.finding{padding:.2rem .8rem;margin:.8rem 0;background:#fafafa}ul.ev{margin:.2rem 0 .6rem}
details{margin:.3rem 0}summary{cursor:pointer}table.checks{width:100%;table-layout:fixed}
table.checks th[scope=row]{width:24%}td small{color:inherit;opacity:.85}
"""


def _e(value: object) -> str:
    """Escape any value for HTML text or a double-quoted attribute."""
    text = _INVALID.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(value))
    return html.escape(text, quote=True)


def _cut(text: object, limit: int = 2000) -> str:
    value = str(text)
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


def _verdict(result: CheckResult | None) -> str:
    if result is None:
        return '<td class="v-not-evaluated">not run</td>'
    return (
        f'<td class="v-{_e(result.verdict)}">{SYMBOLS[result.verdict]} {_e(result.verdict)}'
        f"<br><small>{_e(_cut(result.summary, 240))}</small></td>"
    )


def render_html(cert: Certification) -> str:
    """The whole page."""
    csp_hash = "'sha256-" + base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode() + "'"
    csp = f"default-src 'none'; style-src {csp_hash}; img-src 'none'; base-uri 'none'; form-action 'none'"
    title = f"Certification of {cert.app.name}: {cert.verdict}"
    body = [
        *_header(cert),
        *_checks(cert),
        *_findings(cert.findings),
        *_details(cert),
        *_diagnostics(cert),
        *_usage(cert),
    ]
    return (
        "\n".join(
            [
                "<!doctype html>",
                '<html lang="en"><head><meta charset="utf-8">',
                f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">',
                '<meta name="viewport" content="width=device-width, initial-scale=1">',
                f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
                *body,
                "</body></html>",
            ]
        )
        + "\n"
    )


def _header(cert: Certification) -> list[str]:
    rows = "".join(
        f'<tr><th scope="row">{_e(label)}</th><td class="mono">{_e(value)}</td></tr>'
        for label, value in facts(cert)
    )
    failing = cert.failing()
    banner = (
        f"Certified against {cert.ran_against()}: every check passed or does not apply on every target."
        if cert.certified
        else f"Not certified against {cert.ran_against()}: {len(failing)} check result(s) did not pass."
    )
    failures = "".join(
        f'<li><a href="#c-{_e(r.check)}"><code>{_e(r.check)}</code></a> on {_e(r.target)}: '
        f"{_e(r.verdict)}: {_e(_cut(r.summary, 300))}</li>"
        for r in failing
    )
    return [
        f"<h1>Certification of {_e(cert.app.title)}</h1>",
        f'<div class="banner {"ok" if cert.certified else "ko"}" role="status"><p>{_e(banner)}</p>'
        + (f"<ul>{failures}</ul>" if failures else "")
        + "</div>",
        f"<table>{rows}</table>",
    ]


def _checks(cert: Certification) -> list[str]:
    head = "".join(f'<th scope="col">{_e(t)}</th>' for t in cert.targets)
    rows = []
    for check in CHECKS:
        cells = "".join(_verdict(cert.result(check.id, t)) for t in cert.targets)
        rows.append(
            f'<tr><th scope="row"><a href="#c-{_e(check.id)}">{_e(check.title)}</a><br>'
            f"<code>{_e(check.id)}</code></th>{cells}</tr>"
        )
    return [
        '<h2 id="checks">Checks</h2>',
        f'<table class="checks"><thead><tr><th scope="col">Check</th>{head}</tr></thead>',
        "<tbody>",
        *rows,
        "</tbody></table>",
    ]


def _findings(findings: list[Finding]) -> list[str]:
    out = ['<h2 id="findings">Findings</h2>']
    if not findings:
        return [*out, "<p>The audit found nothing to report.</p>"]
    for f in findings:
        items = [
            f"<li><b>What</b>: {_e(f.message)}</li>",
            f"<li><b>Targets</b>: {_e(', '.join(f.targets))}</li>",
        ]
        if f.check:
            items.append(f'<li><b>Check</b>: <a href="#c-{_e(f.check)}"><code>{_e(f.check)}</code></a></li>')
        if f.limitation:
            items.append(f"<li><b>Limitation</b>: <code>{_e(f.limitation)}</code></li>")
        items += [f'<li><b>Where</b>: <span class="mono">{_e(site)}</span></li>' for site in f.sites]
        items += [f"<li><b>Evidence</b>: {_e(_cut(item, 500))}</li>" for item in f.evidence[:20]]
        items.append(f"<li><b>Fix</b>: {_e(f.hint)}</li>")
        out.append(
            f'<div class="finding s-{_e(f.severity)}" id="f-{_e(f.id)}"><h3>{_e(f.severity)}: '
            f"{_e(f.title)} <code>{_e(f.id)}</code></h3><ul>{''.join(items)}</ul></div>"
        )
    return out


def _details(cert: Certification) -> list[str]:
    out = ['<h2 id="details">Check details</h2>']
    for check in CHECKS:
        out.append(f'<h3 id="c-{_e(check.id)}">{_e(check.title)} <code>{_e(check.id)}</code></h3>')
        out.append(f"<p>{_e(check.description)}</p>")
        for target in cert.targets:
            result = cert.result(check.id, target)
            if result is None:
                continue
            evidence = "".join(f"<li>{_e(_cut(item, 800))}</li>" for item in result.evidence[:30])
            out.append(
                f'<p><b>{_e(target)}</b>: <span class="v-{_e(result.verdict)}">{SYMBOLS[result.verdict]} '
                f"{_e(result.verdict)}</span>: {_e(result.summary)} "
                f"<small>({result.duration:.1f} s)</small></p>"
            )
            if evidence:
                out.append(f'<ul class="ev">{evidence}</ul>')
    return out


def _diagnostics(cert: Certification) -> list[str]:
    head = "".join(f'<th scope="col">{_e(n)}</th>' for n in cert.runs)
    rows = "".join(
        f'<tr><th scope="row">{_e(name)}</th>'
        + "".join(
            f'<td class="mono">{_e(shown(run.diagnostics.get(name)))}</td>' for run in cert.runs.values()
        )
        + "</tr>"
        for name in DETECTION
    )
    out = [
        '<h2 id="diagnostics">Redirection diagnostics seen</h2>',
        f'<table><thead><tr><th scope="col">Property</th>{head}</tr></thead><tbody>{rows}</tbody></table>',
    ]
    items = []
    for name, run in cert.runs.items():
        if run.connection_ids:
            items.append(
                f'<li>connectionIds on {_e(name)}: <span class="mono">'
                f"{_e(', '.join(run.connection_ids))}</span></li>"
            )
        items += [
            f"<li>mmrExtensionLog on {_e(name)} ({_e(e.get('level'))}): "
            f"{_e(_cut(e.get('message'), 500))}</li>"
            for e in run.mmr_log[:20]
        ]
        items += [
            f"<li>page error on {_e(name)}: {_e(_cut(error, 500))}</li>" for error in run.page_errors[:10]
        ]
    if items:
        out.append(f"<ul>{''.join(items)}</ul>")
    return out


def _usage(cert: Certification) -> list[str]:
    out = ['<h2 id="usage">API usage</h2>']
    for name, run in cert.runs.items():
        parts = []
        for kind in ("supported", "outside", "listeners"):
            entries = run.usage.get(kind, {})
            rows = "".join(
                f'<tr><td class="mono">{_e(k)}</td><td>{_e(v)}</td></tr>' for k, v in entries.items()
            )
            parts.append(
                f"<details><summary>{_e(kind)} ({len(entries)})</summary><table>{rows}</table></details>"
            )
        out.append(f"<h3>{_e(name)}</h3>{''.join(parts)}")
    return out
