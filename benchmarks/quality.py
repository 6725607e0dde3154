"""Figure 8: call quality per topology and impairment preset.

The local device's media stack (aiortc and Opus, as in the reference host) sends 6 s of the
speech-like signal from the home's device (``--network``) to this machine over the
topology's NAT and the preset (:mod:`conformance.network.callpath`); ViSQOL scores what
arrived against what was sent, and the cross-correlation gives the mouth-to-ear delay.
Skipped (with the reason) where namespaces cannot be made.
"""

from __future__ import annotations

import statistics
from typing import Any

from conformance.network.callpath import measure_path
from conformance.network.topology import home_network, network_unavailable

__all__ = ["CASES", "call_quality", "markdown_rows"]

#: (topology, preset) pairs measured, the clean same-host path first.
CASES: tuple[tuple[str, str | None], ...] = (
    ("same-host", None), ("home", None), ("symmetric-nat", None), ("home", "broadband"),
    ("home", "4g"), ("home", "3g"), ("home", "lossy-wifi"),
)


async def call_quality(rounds: int = 1) -> dict[str, Any]:
    """The median score and delay of ``rounds`` calls per case."""
    reason = network_unavailable("home")
    if reason is not None:
        return {"skipped": reason}
    rows = []
    # One home for every case (each switches its rules): a home made per case would be a
    # network change each time for every browser on the machine.
    with home_network("home"):
        for network, preset in CASES:
            rows.append(await _case(network, preset, rounds))
    return {"rows": rows, "estimator": "ViSQOL speech MOS-LQO (visqol-python), 5.0 = a perfect copy",
            "target": "reported"}


async def _case(network: str, preset: str | None, rounds: int) -> dict[str, Any]:
    """The median score and delay of ``rounds`` calls of one case."""
    scores, delays, path = [], [], ""
    for _ in range(rounds):
        with home_network(network, preset) as home:
            command = home.command() if home is not None else []
            path = str((home.impairment or {}).get("path", "")) if home is not None else ""
            quality = (await measure_path(command)).quality
        if quality.mos is not None and quality.delay_ms is not None:
            scores.append(quality.mos)
            delays.append(quality.delay_ms)
    return {"network": network, "impair": preset or "none", "path": path or "none",
            "mos": round(statistics.median(scores), 2) if scores else None,
            "delay_ms": round(statistics.median(delays)) if delays else None,
            "calls": rounds, "scored": len(scores)}


def markdown_rows(figure: dict[str, Any]) -> list[str]:
    """The figure's rows of the benchmark table."""
    if "skipped" in figure:
        return [f"| 7 | call quality | skipped: {figure['skipped']} | reported |"]
    return [f"| 7 | call quality, {r['network']}, impairment {r['impair']} ({r['path']}) | "
            f"MOS-LQO **{r['mos']}**, mouth-to-ear {r['delay_ms']} ms ({r['scored']}/{r['calls']} "
            "calls scored) | reported |" for r in figure["rows"]]


if __name__ == "__main__":
    import asyncio
    import json

    print(json.dumps(asyncio.run(call_quality()), indent=2))
