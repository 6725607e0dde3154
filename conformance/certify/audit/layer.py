"""The API-usage audit layer: its init scripts, and merging what it recorded.

The audit runs at document start in every frame, after any redirection shim, on every target
(see the header of ``page/record.js``), with the live-object registry ``conformance/page/tracking.js``
just before it. Its JavaScript is four files by job under ``page/`` (:data:`AUDIT_PARTS`: the
record, the hooks, the wrapping, the snapshot), joined in order into one init script inside
one function that declares the namespace they share (``audit``): each part names what it
takes from the earlier ones and what it gives the later ones.
The harness reads ``window.__mmrCertifyAudit.snapshot()`` from every frame;
:func:`merge_snapshots` folds the snapshots of a target into one record for the rules in
:mod:`conformance.certify.audit.rules`.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from conformance.interfaces import SUPPORTED_INTERFACES
from conformance.page_scripts import TRACKING_JS

__all__ = ["AUDIT_GLOBAL", "AUDIT_PARTS", "audit_init_scripts", "merge_snapshots"]

AUDIT_GLOBAL = "__mmrCertifyAudit"
_MAX_SITES = 3
#: The audit's parts (``conformance/certify/audit/page/``), in the order they run.
AUDIT_PARTS = ("record.js", "hooks.js", "wrap.js", "snapshot.js")
#: The one function around the parts: skips a frame already audited, declares the shared
#: namespace; ``sourceURL`` names the script so call sites skip the audit's own frames.
_ASSEMBLY = """(function (config) {
  "use strict";
  if (Object.prototype.hasOwnProperty.call(window, "%s")) return;
  const audit = { config };
%s})(__CONFIG__);
//# sourceURL=mmr-certify-audit.js
"""


@functools.cache
def audit_init_scripts() -> tuple[str, ...]:
    """The audit layer for ``BrowserContext.add_init_script``, one script after the other:
    the tracking layer, then the audit."""
    folder = resources.files("conformance.certify.audit").joinpath("page")
    parts = "".join(folder.joinpath(name).read_text(encoding="utf-8") for name in AUDIT_PARTS)
    source = _ASSEMBLY % (AUDIT_GLOBAL, parts)
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
