"""The API-usage audit layer: its init scripts, and merging what it recorded.

``audit.js`` runs at document start in every frame, after any redirection shim, on every
target (see its header), with the live-object registry ``page/tracking.js`` just before it.
The harness reads ``window.__mmrCertifyAudit.snapshot()`` from every frame;
:func:`merge_snapshots` folds the snapshots of a target into one record for the rules in
:mod:`conformance.certify.audit.rules`.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from conformance.page_scripts import TRACKING_JS
from conformance.registry import SUPPORTED_INTERFACES

__all__ = ["AUDIT_GLOBAL", "audit_init_scripts", "merge_snapshots"]

AUDIT_GLOBAL = "__mmrCertifyAudit"
_MAX_SITES = 3


@functools.cache
def audit_init_scripts() -> tuple[str, ...]:
    """The audit layer for ``BrowserContext.add_init_script``, one script after the other:
    the tracking layer, then the audit."""
    source = resources.files("conformance").joinpath("certify/audit/audit.js").read_text(encoding="utf-8")
    config = {
        "supported": {name: list(members) for name, members in SUPPORTED_INTERFACES.items()},
        "maxSites": _MAX_SITES,
        "maxEvents": 300,
    }
    return TRACKING_JS, source.replace("__CONFIG__", json.dumps(config, ensure_ascii=True), 1)


def merge_snapshots(snapshots: list[dict[str, Any]]) -> dict[str, Any]:
    """One record from several snapshots (frames, sessions): usage and listeners add up,
    events, errors and log entries are concatenated, and every snapshot is kept for its
    live counts."""
    usage: dict[str, dict[str, Any]] = {}
    listeners: dict[str, dict[str, Any]] = {}
    merged: dict[str, Any] = {
        "usage": usage,
        "listeners": listeners,
        "events": [],
        "pageErrors": [],
        "mmrLog": [],
        "snapshots": snapshots,
        "droppedEvents": 0,
        "everActive": False,
        "diagnostics": {},
    }
    for snap in snapshots:
        for key, entry in (snap.get("usage") or {}).items():
            into = usage.setdefault(key, {"count": 0, "kind": entry.get("kind"), "sites": []})
            into["count"] += int(entry.get("count", 0))
            for site in entry.get("sites", []):
                if len(into["sites"]) < _MAX_SITES and site not in into["sites"]:
                    into["sites"].append(site)
        for key, entry in (snap.get("listeners") or {}).items():
            into = listeners.setdefault(key, {"count": 0, "sites": []})
            into["count"] += int(entry.get("count", 0))
            into["sites"].extend(entry.get("sites", [])[: _MAX_SITES - len(into["sites"])])
        merged["events"].extend(snap.get("events") or [])
        merged["pageErrors"].extend(snap.get("pageErrors") or [])
        merged["mmrLog"].extend(snap.get("mmrLog") or [])
        merged["droppedEvents"] += int(snap.get("droppedEvents") or 0)
        redirection = snap.get("redirection") or {}
        merged["everActive"] = merged["everActive"] or bool(redirection.get("everActive"))
        if redirection.get("diagnostics"):
            merged["diagnostics"] = redirection["diagnostics"]
    return merged
