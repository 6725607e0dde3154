"""Finding testharness.js test files in a WPT tree and running them on a target.

Each file opens in a fresh page on the target (through the target registry's one
``open_page``), reports through the suite's ``testharnessreport.js`` and gets a deadline:
10 s, or 60 s for ``<meta name="timeout" content="long">`` (``timeout=long`` in a script
test), both scaled by ``timeout_multiplier``. A file that misses it is ``TIMEOUT`` with the
subtests it finished; a page crash is ``CRASH``.
"""

from __future__ import annotations

import asyncio
import platform
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.reports.wptreport import wpt_os, wptreport_document
from conformance.targets import PageSetup, TargetOptions, open_target
from conformance.wpt.server import WptServer, script_metadata

__all__ = ["TestFile", "discover", "run_target"]

#: testharness.js status codes, as wptreport names them.
HARNESS_STATUS = {0: "OK", 1: "ERROR", 2: "TIMEOUT", 3: "PRECONDITION_FAILED"}
SUBTEST_STATUS = {0: "PASS", 1: "FAIL", 2: "TIMEOUT", 3: "NOTRUN", 4: "PRECONDITION_FAILED"}
DEFAULT_TIMEOUT_S = 10.0
LONG_TIMEOUT_S = 60.0
#: Folders of a WPT tree that hold helpers, not tests.
_NOT_TESTS = {"resources", "support", "tools", "common", "node_modules"}
_LONG = re.compile(r"""<meta\s+name=["']?timeout["']?\s+content=["']?long""", re.IGNORECASE)


@dataclass(frozen=True)
class TestFile:
    """One test file: its URL path in the tree (wptreport's ``test``) and its deadline."""

    url: str
    timeout: float


def _test_of(root: Path, file: Path) -> TestFile | None:
    relative = file.relative_to(root)
    if set(relative.parts[:-1]) & _NOT_TESTS or "-manual." in file.name:
        return None
    name = relative.as_posix()
    if name.endswith((".any.js", ".window.js")):
        source = file.read_text(encoding="utf-8", errors="replace")
        long = ("timeout", "long") in script_metadata(source)
        return TestFile("/" + name[:-3] + ".html", LONG_TIMEOUT_S if long else DEFAULT_TIMEOUT_S)
    if file.suffix not in (".html", ".htm"):
        return None
    source = file.read_text(encoding="utf-8", errors="replace")
    if "/resources/testharness.js" not in source:
        return None  # reftests, manual tests and support pages
    return TestFile("/" + name, LONG_TIMEOUT_S if _LONG.search(source) else DEFAULT_TIMEOUT_S)


def discover(root: Path, paths: list[str]) -> list[TestFile]:
    """The testharness.js tests under ``paths`` (relative to ``root``; all when empty)."""
    root = root.resolve()
    found: dict[str, TestFile] = {}
    for item in paths or ["."]:
        start = (root / item.lstrip("/")).resolve()
        if not start.is_relative_to(root) or not start.exists():
            raise FileNotFoundError(f"{item}: not inside the WPT tree {root}")
        files = [start] if start.is_file() else sorted(p for p in start.rglob("*") if p.is_file())
        for file in files:
            test = _test_of(root, file)
            if test is not None:
                found.setdefault(test.url, test)
    return [found[url] for url in sorted(found)]


async def _run_file(target: Any, server: WptServer, test: TestFile,
                    multiplier: float) -> dict[str, Any]:
    """One file on an open target: a wptreport ``results`` entry."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[dict[str, Any]] = loop.create_future()
    finished: dict[str, dict[str, Any]] = {}

    def report(_source: Any, message: dict[str, Any]) -> None:
        if message.get("kind") == "result":
            finished[str(message.get("name"))] = message
        elif message.get("kind") == "complete" and not done.done():
            done.set_result(message)

    deadline = test.timeout * multiplier
    started = time.monotonic()
    entry: dict[str, Any] = {"test": test.url, "status": "OK", "message": None, "subtests": []}
    try:
        opened = await target.open_page(server.url(test.url), PageSetup(
            bindings={"__conformanceWptReport": report}, goto_timeout=deadline))
    except Exception as error:  # any failure to load is the file's ERROR
        entry.update(status="ERROR", message=f"the page did not load: {error}".splitlines()[0])
        entry["duration"] = round((time.monotonic() - started) * 1000)
        return entry
    try:
        crashed = asyncio.ensure_future(opened.crashed.wait())
        remaining = max(0.1, deadline - (time.monotonic() - started))
        await asyncio.wait({done, crashed}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
        crashed.cancel()
        if done.done():
            complete = done.result()
            entry["status"] = HARNESS_STATUS.get(int(complete.get("status", 1)), "ERROR")
            entry["message"] = complete.get("message")
            subtests = complete.get("tests") or list(finished.values())
        else:
            entry["status"] = "CRASH" if opened.crashed.is_set() else "TIMEOUT"
            entry["message"] = (f"no result within {deadline:g} s" if entry["status"] == "TIMEOUT"
                                else "the page crashed")
            subtests = list(finished.values())
        entry["subtests"] = [{"name": s["name"], "status": SUBTEST_STATUS.get(int(s["status"]), "FAIL"),
                              "message": s.get("message")} for s in subtests]
    finally:
        await opened.close()
    entry["duration"] = round((time.monotonic() - started) * 1000)
    return entry


async def run_target(name: str, tests: list[TestFile], server: WptServer,
                     options: TargetOptions, *, multiplier: float = 1.0) -> dict[str, Any]:
    """Every file of ``tests`` on target ``name``: a wptreport document (written, and
    validated, by :func:`conformance.reports.wptreport.save_wptreport`)."""
    started = time.time()
    results = []
    async with open_target(name, options) as target:
        for test in tests:
            results.append(await _run_file(target, server, test, multiplier))
        identity = await target.identity()
    # wptrunner's run_info keys first (wpt.fyi requires product, browser_version, os).
    run_info = {"product": "mmr-conformance wpt", "browser_version": "", "target": name,
                **identity, "os": wpt_os(platform.platform())}
    return wptreport_document(run_info, round(started * 1000), round(time.time() * 1000), results)
