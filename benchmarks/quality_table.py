"""The sample app's ``call-quality``, native beside reference, per network and preset.

    .venv/bin/python -m benchmarks.quality_table [--rounds N]

Certifies the bundled sample app (its real page, the harness's far end sending the speech)
on both targets for ``same-host``, ``home``, ``home`` + ``lossy-wifi`` and ``home`` + ``3g``,
and prints a Markdown table of each target's ViSQOL MOS-LQO and mouth-to-ear delay, with the
reference's distance from native. Natively the suite's sound card is on
(``CONFORMANCE_SOUNDCARD=1``): without it no native speaker keeps what it played.

How the delay is measured, on both targets: the far end's wall-clock time when the speech's
first sample went out, against the wall-clock times at which the chosen speaker played each
20 ms of it (the cross-correlation's peak, :func:`conformance.quality.delay_ms`). On
reference the speaker is the host's virtual speaker, which records a frame when aiortc hands
it over decoded; natively it is the sound card's sink, read from its monitor by ``parec``:
that adds Chromium's audio output buffer and PulseAudio's sink and monitor latency, which
the reference's virtual speaker does not have. The same clock and the same estimator, not
the same point in the output path: the table says so beside the figures.

Under a preset each target's media crosses one impaired link with the same figures: the
reference's on the local device's access link (the home's router), native's on the far
end's link (its ICE sockets, :mod:`conformance.network.farlink`). One home is made for the
whole table before any browser starts (each case switches its rules), as in figure 8.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import re
import statistics
from pathlib import Path
from typing import Any

from conformance.certify import certify, load_profile
from conformance.network.topology import home_network, network_unavailable
from conformance.soundcard import ENV_VAR as SOUNDCARD_ENV
from conformance.targets import TargetOptions

__all__ = ["CASES", "markdown", "measure", "quality_table"]

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "conformance" / "apps" / "sample" / "profile.yaml"
#: (topology, impairment preset): the rows of the table.
CASES: tuple[tuple[str, str | None], ...] = (
    ("same-host", None), ("home", None), ("home", "lossy-wifi"), ("home", "3g"),
)
#: How far redirected quality may sit from native's to count as "the same" (MOS points).
WITHIN_MOS = 0.2
_FIGURES = re.compile(r"MOS-LQO (?P<mos>[0-9.]+) .*?mouth-to-ear delay (?P<delay>-?[0-9]+) ms")


def measure(summary: str) -> tuple[float, float] | None:
    """The score and delay a ``call-quality`` summary states (``None``: not scored)."""
    found = _FIGURES.search(summary)
    return (float(found["mos"]), float(found["delay"])) if found else None


async def _case(network: str, impair: str | None, rounds: int) -> dict[str, Any]:
    options = dataclasses.replace(TargetOptions(), network=network, impair=impair)
    figures: dict[str, list[tuple[float, float]]] = {"native": [], "reference": []}
    notes: dict[str, str] = {}
    for n in range(rounds):
        cert = await certify(load_profile(SAMPLE), ("native", "reference"),
                             run_id=f"quality-table-{network}-{impair or 'none'}-{n}",
                             options=options)
        for target, found in figures.items():
            result = cert.result("call-quality", target)
            summary = result.summary if result is not None else "not run"
            scored = measure(summary)
            if scored is None:
                notes[target] = summary
            else:
                found.append(scored)
    row: dict[str, Any] = {"network": network, "impair": impair or "none"}
    for target, found in figures.items():
        row[target] = ({"mos": round(statistics.median(m for m, _ in found), 2),
                        "delay_ms": round(statistics.median(d for _, d in found)),
                        "scored": len(found), "calls": rounds}
                       if found else {"not_scored": notes.get(target, "")})
    return row


async def quality_table(rounds: int = 1) -> dict[str, Any]:
    """The table's rows (median of ``rounds`` certifications per case)."""
    reason = network_unavailable("home")
    if reason is not None:
        return {"skipped": reason}
    os.environ[SOUNDCARD_ENV] = "1"  # this command's own process: the native speakers record
    with home_network("home"):
        rows = [await _case(network, impair, rounds) for network, impair in CASES]
    return {"rows": rows, "within_mos": WITHIN_MOS}


def _cell(figures: dict[str, Any]) -> str:
    if "mos" not in figures:
        return f"not scored: {figures['not_scored']}"
    return f"{figures['mos']:.2f} / {figures['delay_ms']} ms ({figures['scored']}/{figures['calls']})"


def markdown(table: dict[str, Any]) -> str:
    """The table in Markdown, with the verdict on :data:`WITHIN_MOS` per row."""
    if "skipped" in table:
        return f"call quality table skipped: {table['skipped']}"
    lines = ["| network | impairment | native MOS / delay | reference MOS / delay | reference - native |",
             "|---|---|---|---|---|"]
    for row in table["rows"]:
        native, reference = row["native"], row["reference"]
        if "mos" in native and "mos" in reference:
            gap = reference["mos"] - native["mos"]
            verdict = f"{gap:+.2f} ({'within' if abs(gap) <= WITHIN_MOS else 'not within'} {WITHIN_MOS:g})"
        else:
            verdict = "-"
        cells = [row["network"], row["impair"], _cell(native), _cell(reference), verdict]
        lines.append(f"| {' | '.join(cells)} |")
    lines.append("")
    lines.append("Delay: the far end's send time of the speech's first sample against the times "
                 "the chosen speaker played it (cross-correlation), on one wall clock; natively "
                 "the speaker is the sound card's sink (adds Chromium's and PulseAudio's output "
                 "buffering), on reference the host's virtual speaker.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Print the table (Markdown)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality_table")
    parser.add_argument("--rounds", type=int, default=1, help="certifications per case (median)")
    args = parser.parse_args(argv)
    print(markdown(asyncio.run(quality_table(args.rounds))))


if __name__ == "__main__":
    main()
