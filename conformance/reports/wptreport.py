"""wptreport.json: the run in the format of wptrunner's ``--log-wptreport``.

The Web Platform Tests tooling (``wpt``'s formatter ``wptrunner/formatters/wptreport.py``,
wpt.fyi's results processor, third-party report comparers) reads this shape::

    {"run_info": {...}, "time_start": <ms>, "time_end": <ms>, "subsuites": {},
     "results": [{"test": ..., "subsuite": "", "status": ..., "expected"?: ...,
                  "message": ... | null, "duration": <ms>,
                  "subtests": [{"name", "status", "expected"?, "message"}]}]}

How a result maps onto it (``docs/reports.md`` says the same):

- ``test`` is ``/<scenario id>?target=<target>``: one test per scenario, one variant per
  target, in the manner of WPT's ``?variant`` tests.
- Each result is one test with exactly one subtest, named by the scenario's title (its id
  when it has none). A scenario's expectation is about the scenario as a whole, not one
  step, so the subtest is where ``expected`` is exact; the step log stays in results.json
  and the failing step is named in the message (``step 3 (expect at file:12)``).
- Statuses are wptrunner's. Test: ``OK`` (the scenario ran to its end, PASS or FAIL),
  ``ERROR``, ``TIMEOUT``, ``SKIP``; ``CRASH`` is never written (the suite does not tell a
  browser crash from an error). Subtest: ``PASS``, ``FAIL`` (also for an ``ERROR``: an
  exception in a step, as a testharness.js test that throws fails), ``TIMEOUT``; a skipped
  scenario has no subtest. ``NOTRUN`` and ``PRECONDITION_FAILED`` are never written.
- ``expected`` is present only where the status is not the expected one, as wptreport
  does: the expected subtest status is ``FAIL`` for a documented limitation's failure and
  ``PASS`` otherwise (a failure that is not the documented one is unexpected, so its
  expected status is ``PASS``); the expected test status is ``OK``. Skips carry none.
- Times are milliseconds: ``time_start``/``time_end`` since the epoch from the run's start
  and end, ``duration`` the scenario's.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema

from conformance.reports.atomic import atomic_write_text
from conformance.reports.outcome import Outcome, classify, sort_results, unexpected_pass_message
from conformance.results import RunInfo, ScenarioResult
from conformance.schemas import load_schema

__all__ = [
    "build_wptreport",
    "save_wptreport",
    "validate_wptreport",
    "wpt_os",
    "wpt_run_info",
    "wpt_test_name",
    "wptreport_document",
    "write_wptreport",
]

# The statuses wptrunner knows are the schema's (schema/wptreport.schema.json); these maps
# say which of them each of ours becomes (``CRASH`` and ``NOTRUN`` are never written).
_TEST_STATUS = {"PASS": "OK", "FAIL": "OK", "ERROR": "ERROR", "TIMEOUT": "TIMEOUT", "SKIP": "SKIP"}
_SUBTEST_STATUS = {"PASS": "PASS", "FAIL": "FAIL", "ERROR": "FAIL", "TIMEOUT": "TIMEOUT"}


def wpt_test_name(result: ScenarioResult) -> str:
    """The wptreport ``test`` of a result: ``/<scenario id>?target=<target>``."""
    return f"/{result.scenario}?target={result.target}"


def _ms(timestamp: str) -> int:
    """Milliseconds since the epoch of an ISO 8601 time (0 when there is none)."""
    if not timestamp:
        return 0
    try:
        moment = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # the suite writes UTC (runinfo.now_utc)
    return int(moment.timestamp() * 1000)


def wpt_os(platform: str) -> str:
    """wptrunner's ``os`` (``linux``, ``mac``, ``win``) from ``platform.platform()``."""
    lowered = platform.lower()
    for prefix, name in (("linux", "linux"), ("macos", "mac"), ("darwin", "mac"),
                         ("windows", "win")):
        if lowered.startswith(prefix):
            return name
    return lowered.split("-", 1)[0]


def wpt_run_info(info: RunInfo) -> dict[str, Any]:
    """wptrunner's run_info keys (``product``, ``browser_version``, ``os``, ``revision``,
    what wpt.fyi reads) followed by the suite's own run metadata."""
    product = (info.browser or "chromium").split()[0].lower()
    return {
        "product": "chromium" if product.startswith("not") else product,
        "browser_version": info.browser_version,
        "os": wpt_os(info.platform),
        "revision": info.git_revision or "",
        "run_id": info.run_id,
        "suite_version": info.suite_version,
        "targets": list(info.targets),
        "reference_impl_version": info.reference_impl_version,
        "interrupted": info.interrupted,
        "shard": info.shard,
    }


def _expected_subtest(result: ScenarioResult) -> str:
    """The subtest status the expectation predicts (``FAIL`` only for a documented one)."""
    documented = result.expectation.get("outcome") == "fail"
    if result.status == "PASS":
        return "FAIL" if documented else "PASS"
    # A failure is expected only as its documented limitation says (``fails_with``).
    return _SUBTEST_STATUS[result.status] if result.expected else "PASS"


def _entry(result: ScenarioResult) -> dict[str, Any]:
    status = _TEST_STATUS[result.status]
    message = result.message or None
    entry: dict[str, Any] = {
        "test": wpt_test_name(result),
        "subsuite": "",
        "status": status,
        "message": message if status in ("ERROR", "TIMEOUT") else None,
        "duration": round(result.duration * 1000),
        "subtests": [],
    }
    if result.status == "SKIP":
        return entry
    if not result.expected and status != "OK":
        entry["expected"] = "OK"
    subtest: dict[str, Any] = {
        "name": result.title or result.scenario,
        "status": _SUBTEST_STATUS[result.status],
        "message": (unexpected_pass_message(result)
                    if classify(result) is Outcome.UNEXPECTED_PASS else message),
    }
    expected = _expected_subtest(result)
    if expected != subtest["status"]:
        subtest["expected"] = expected
    entry["subtests"].append(subtest)
    return entry


def wptreport_document(run_info: dict[str, Any], time_start: int, time_end: int,
                       results: list[dict[str, Any]]) -> dict[str, Any]:
    """A wptreport document from its parts: the one shape of every wptreport the suite
    writes (a scenario run's, and ``conformance wpt``'s per target)."""
    return {"run_info": run_info, "time_start": time_start, "time_end": time_end,
            "subsuites": {}, "results": results}


def build_wptreport(run_info: RunInfo, results: Iterable[ScenarioResult]) -> dict[str, Any]:
    """The wptreport document of a run (see the module docstring)."""
    start = _ms(run_info.start_time)
    return wptreport_document(wpt_run_info(run_info), start, _ms(run_info.end_time) or start,
                              [_entry(result) for result in sort_results(results)])


def validate_wptreport(document: Any) -> None:
    """Raise ``ValueError`` naming the first problem if ``document`` is not a wptreport.

    Beyond ``conformance/schema/wptreport.schema.json``, what a schema cannot say: an
    ``expected`` status is given only where it differs from the status.
    """
    validator = jsonschema.Draft202012Validator(load_schema("wptreport"))
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(document)"
        raise ValueError(f"wptreport.json is invalid at {where}: {error.message}")
    for number, test in enumerate(document["results"]):
        for item, where in [(test, f"results/{number}"),
                            *((sub, f"results/{number}/subtests/{index}")
                              for index, sub in enumerate(test["subtests"]))]:
            if item.get("expected") == item["status"]:
                raise ValueError(f"wptreport.json is invalid at {where}: `expected` is the "
                                 "status (it must be left out)")


def save_wptreport(path: Path | str, document: dict[str, Any], *, validate: bool = True) -> Path:
    """Write ``document`` atomically, validated first (:func:`validate_wptreport`): every
    wptreport the suite writes goes through here.

    ``validate=False`` is for :func:`build_wptreport`'s documents only: their shape is the
    tests' to check (``tests/test_report_wpt.py``), and validating costs about 1.5 ms per
    result, seconds for a large run's report.
    """
    path = Path(path)
    if validate:
        validate_wptreport(document)
    atomic_write_text(path, json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    return path


def write_wptreport(
    path: Path | str, run_info: RunInfo, results: Iterable[ScenarioResult]
) -> Path:
    """Write a run's wptreport.json atomically and return its path."""
    return save_wptreport(path, build_wptreport(run_info, results), validate=False)
