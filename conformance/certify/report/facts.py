"""The certificate's facts table (app, suite, browser, targets, times), written once for the
Markdown and the HTML report: ordered label/value pairs, already worded for people."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformance.certify.model import Certification, describe_target

__all__ = ["facts", "redirection", "shown", "when"]


def when(timestamp: str) -> str:
    """An ISO 8601 time as people read it (``2026-01-01 09:30:00 UTC``); as given when it is
    not one."""
    try:
        moment = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        return timestamp
    if moment.utcoffset() == dt.timedelta(0):
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.strftime("%Y-%m-%d %H:%M:%S %z").rstrip()


def shown(value: object) -> str:
    """A value the page reported, as a report shows it: JavaScript's spelling of booleans,
    nothing for a missing one."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def redirection(target: str, details: dict[str, Any]) -> str:
    """Which redirection the target ``target`` ran the app under, in words for a customer."""
    info = details.get("redirection")
    if not info:
        return f"{target}: none (native Chromium, no call redirection)"
    version = info.get("version") or info.get("extension_version") or ""
    if info.get("implementation") == "reference":
        return (f"{target}: the conformance suite's own reference implementation of call redirection "
                f"{version}".rstrip() + " (a stand-in the suite ships, not a redirection vendor's product)")
    return f"{target}: {describe_target(target, details)}"


def facts(cert: Certification) -> list[tuple[str, str]]:
    """The facts of ``cert`` in the order the certificate shows them; a fact with nothing to
    say (a time not recorded, no command) is left out."""
    rows = [
        ("App", cert.app.title),
        ("URL", cert.app.url),
        ("Profile", cert.app.profile),
        ("Suite", cert.suite_version),
        ("Ran against", cert.ran_against()),
        ("Redirection", "; ".join(redirection(name, cert.target_details.get(name, {}))
                                  for name in cert.targets)),
        ("Media left from", "; ".join(
            f"{name}: {network['media_from']}" for name in cert.targets
            if isinstance(network := cert.target_details.get(name, {}).get("network"), dict)
            and network.get("media_from"))),
        ("Far end", "; ".join(sorted({
            str(network["far_end"]) for name in cert.targets
            if isinstance(network := cert.target_details.get(name, {}).get("network"), dict)
            and network.get("far_end")}))),
        ("Browser", cert.browser.title),
        ("Reference implementation", cert.reference_impl_version or "not used"),
        ("Targets", ", ".join(cert.targets)),
        ("Run", cert.run_id),
        ("Started", when(cert.started) if cert.started else ""),
        ("Ended", when(cert.ended) if cert.ended else ""),
        *((f"Time on {name}", f"{run.duration:.1f} s") for name, run in cert.runs.items()),
        ("Command", cert.command),
    ]
    return [(label, value) for label, value in rows if value]
