"""mmr-conformance: a conformance suite for WebRTC calling apps under call redirection.

The public Python API. Everything else is internal and may change between releases.

- Scenarios: :func:`load_scenario`, :func:`load_scenarios`, :class:`Scenario`,
  :class:`Step`, :class:`Expectation`, :class:`ScenarioFileError`.
- Running: :class:`Harness` (one browser, one page server, the targets),
  :data:`EXPECTATION_KINDS` (the sets of expectations a scenario states; ``TARGETS`` is
  its deprecated former name: the target registry is :data:`conformance.targets.TARGETS`).
- Results and reports: :class:`ScenarioResult`, :class:`RunInfo`, :func:`write_reports`,
  :func:`load_results_json`.
- Browsers: :func:`find_chromium`, :func:`launch_chromium`, :data:`CHROMIUM_ARGS`.
"""

import warnings
from typing import TYPE_CHECKING, Any

from conformance.browser import CHROMIUM_ARGS, BrowserNotFoundError, find_chromium, launch_chromium
from conformance.errors import ScenarioError, ScenarioFileError
from conformance.loader import load_scenario, load_scenarios
from conformance.model import EXPECTATION_KINDS, Expectation, Scenario, Step
from conformance.reports import load_results_json, write_reports
from conformance.results import RunInfo, ScenarioResult

if TYPE_CHECKING:
    from conformance.harness import Harness

__all__ = [
    "CHROMIUM_ARGS",
    "EXPECTATION_KINDS",
    "TARGETS",
    "BrowserNotFoundError",
    "Expectation",
    "Harness",
    "RunInfo",
    "Scenario",
    "ScenarioError",
    "ScenarioFileError",
    "ScenarioResult",
    "Step",
    "find_chromium",
    "launch_chromium",
    "load_results_json",
    "load_scenario",
    "load_scenarios",
    "write_reports",
]


def __getattr__(name: str) -> Any:
    # The harness pulls in aiortc and Playwright (seconds of imports): commands that only
    # read files (validate, list, compare) should not pay for it.
    if name == "Harness":
        from conformance.harness import Harness

        return Harness
    if name == "TARGETS":
        warnings.warn("conformance.TARGETS is deprecated: it is conformance.EXPECTATION_KINDS "
                      "(the target registry is conformance.targets.TARGETS)",
                      DeprecationWarning, stacklevel=2)
        return EXPECTATION_KINDS
    raise AttributeError(f"module 'conformance' has no attribute {name!r}")
