"""The stacks catalog's parts: entries, the matrix, and a backend that does not answer."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.backends.janus import wait_for_backend
from conformance.catalog import CATALOG_DIR, certify_entry, find_entries, load_entry
from conformance.catalog import launchers as launchers_module
from conformance.catalog.launchers import Launched
from conformance.catalog.matrix import merge_rows, render_markdown, write_matrix
from conformance.errors import ScenarioFileError
from conformance.network import netns

# Tests that make namespaces or use the worker's home run on one worker, one at a time: a
# namespace made mid-session is a network change that aborts a running call's or page's
# traffic (see conformance.network.netns), and the homes of the session share this machine's
# routes and forwarding (--dist loadgroup, set in pyproject's addopts).
pytestmark = pytest.mark.xdist_group("network")


def test_every_shipped_entry_loads_with_its_profile() -> None:
    entries = find_entries()
    assert {e.id for e in entries} >= {"janus-audiobridge", "janus-echotest", "peerjs", "simple-peer"}
    for entry in entries:
        assert entry.profile.is_file()
        assert entry.npm is None or "@" in entry.npm  # pinned
    with pytest.raises(KeyError, match="known: "):
        find_entries(["no-such-stack"])


def test_a_broken_entry_is_located(tmp_path: Path) -> None:
    folder = tmp_path / "acme"
    folder.mkdir()
    (folder / "entry.yaml").write_text("catalog: 1\nname: Acme\nstack: Acme\nlibrary: {npm: acme@1.0.0}\n"
                                       "backend: janos\nprofile: missing.yaml\n")
    with pytest.raises(ScenarioFileError) as caught:
        load_entry(folder)
    text = caught.value.render()
    assert "entry.yaml:5:10" in text and "did you mean 'janus'?" in text
    (folder / "entry.yaml").write_text("catalog: 1\nname: Acme\nstack: Acme\nlibrary: {npm: acme}\n"
                                       "backend: janus\nprofile: missing.yaml\n")
    with pytest.raises(ScenarioFileError, match=r"entry.yaml:4:"):
        load_entry(folder)  # an npm library must be pinned


def _row(name: str, **more: Any) -> dict[str, Any]:
    checks = [{"id": "call-connects", "results": {
        "native": {"verdict": "pass", "summary": "the call came up"},
        "reference": {"verdict": "fail", "summary": "no <peer> connection\nconnected"}}}]
    return {"id": name, "name": name, "stack": name, "library": "npm x@1", "version": "1", "backend": "b",
            "duration": 3.0, "certificate": f"{name}/certify/r/certification.html",
            "certificate_md": f"{name}/certify/r/certification.md",
            "certification": {"verdict": "not certified", "targets": ["native", "reference"],
                              "checks": checks}, **more}


def test_the_matrix_in_its_three_forms(tmp_path: Path) -> None:
    rows = [_row("<b>acme</b>"), {**_row("dead"), "certification": None,
                                  "error": "backend dead did not answer on 10.1.2.3:80 within 1 s; tail"}]
    written = write_matrix(rows, tmp_path / "out", markdown_copy=tmp_path / "docs" / "stacks.md")
    markdown = written["markdown"].read_text()
    assert "| call-connects · native | call-connects · reference |" in markdown
    assert "[✓][<b>acme</b>] | [✗][<b>acme</b>]" in markdown
    assert "`call-connects` on reference: fail: no <peer> connection connected" in markdown  # one line
    assert "**dead**: ERROR: backend dead did not answer on 10.1.2.3:80 within 1 s" in markdown
    assert "](../out/<b>acme</b>/certify/r/certification.md)" not in markdown  # reference-style links
    copy = (tmp_path / "docs" / "stacks.md").read_text()
    assert "[<b>acme</b>]: ../out/<b>acme</b>/certify/r/certification.md" in copy
    page = written["html"].read_text()
    assert "<b>acme</b>" not in page and "&lt;b&gt;acme&lt;/b&gt;" in page
    assert "Content-Security-Policy" in page and "backend dead did not answer" in page
    data = json.loads(written["json"].read_text())
    assert data["format"] == "mmr-stacks-matrix" and len(data["rows"]) == 2
    merged = merge_rows([written["json"]])
    assert merged[0]["certificate"] == "out/<b>acme</b>/certify/r/certification.html"
    assert render_markdown(merged).count("out/<b>acme</b>/certify/r/") == 1


def test_a_backend_that_does_not_answer_is_an_error_row_and_leaves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reason = netns.namespace_unavailable()
    if reason is not None:
        pytest.skip(reason)

    def dying(namespace: netns.Namespace, scratch: Path, entry: Any) -> Launched:
        log = scratch / "dying.log"
        with log.open("wb") as out:
            process = namespace.spawn([sys.executable, "-c", "print('cannot bind: no such address')"],
                                      cwd=scratch, log=out)
        wait_for_backend("dying", "127.0.0.1", 9, process, log, timeout=5)
        raise AssertionError("unreachable")

    monkeypatch.setitem(launchers_module.LAUNCHERS, "janus", dying)
    entry = find_entries(["janus-audiobridge"])[0]
    with netns.Namespace.create(wired=False) as space:  # no veth: no network change mid-run
        row = asyncio.run(certify_entry(entry, space, ("native",), tmp_path))
        assert subprocess.run(["ip", "netns", "pids", space.name], capture_output=True,
                              text=True, check=True).stdout.split() == []
    assert row["error"].startswith("backend dying did not answer on 127.0.0.1:9 within 5 s")
    assert "cannot bind: no such address" in row["error"]  # its log's tail
    assert "certification" not in row


def _catalog(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "conformance.cli", "catalog", *args], capture_output=True,
                          text=True, timeout=60, cwd=CATALOG_DIR.parent, check=False)


def test_catalog_list_and_run_of_an_unknown_stack() -> None:
    listing = _catalog("list")
    assert listing.returncode == 0
    assert "janus-audiobridge" in listing.stdout and "simple-peer" in listing.stdout
    run = _catalog("run", "nope")
    assert run.returncode == 2 and "no catalog entry nope" in run.stderr
