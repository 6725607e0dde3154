"""Signals and orphans: a run ended by SIGTERM keeps its reports, marked interrupted, and no
process the suite started (workers, reference hosts, browsers, drivers) outlives a run ended
by SIGTERM or SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from test_gating import BLOCKING_SCENARIO, CONFORMANCE, POLL_INTERVAL_S, _folder

from benchmarks.proctree import descendants

_BOUND_S = 120.0


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_no_process_outlives_a_stopped_run(tmp_path: Path, signum: signal.Signals) -> None:
    folder = _folder(tmp_path, 1)
    (folder / "z-blocks.yaml").write_text(BLOCKING_SCENARIO)
    run = subprocess.Popen([*CONFORMANCE, "run", "--target", "all", "-n", "2", "--report-dir", "out"],
                           cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           stdin=subprocess.DEVNULL, start_new_session=True)
    started: dict[int, str] = {}
    try:
        deadline = time.monotonic() + _BOUND_S
        while time.monotonic() < deadline and run.poll() is None:
            logs = list((tmp_path / "out").glob("*/results.jsonl"))
            started = descendants(run.pid)
            hosts = [c for c in started.values() if "reference_impl.host" in c]
            if hosts and logs and len(logs[0].read_text().splitlines()) >= 2:
                break
            time.sleep(POLL_INTERVAL_S)
        assert any("reference_impl.host" in c for c in started.values()), started
        assert any("chrom" in c for c in started.values()), started
        started = descendants(run.pid)  # everything the run has started by now
        run.send_signal(signum)  # the controller only, as `docker stop` or a CI time-out does
        run.wait(timeout=_BOUND_S)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_alive(pid) for pid in started):
            time.sleep(POLL_INTERVAL_S)
        left = {pid: cmd[:120] for pid, cmd in started.items() if _alive(pid)}
        assert not left, f"still running after {signum.name}: {left}"
    finally:
        for pid in [run.pid, *started]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        run.wait(timeout=30)
    if signum == signal.SIGTERM:
        document = json.loads((tmp_path / "out" / "latest" / "results.json").read_text())
        assert document["run_info"]["interrupted"] is True
        assert len(document["results"]) >= 2
        junit = ET.parse(tmp_path / "out" / "latest" / "junit.xml").getroot()
        assert int(junit.get("errors", "0")) >= 1
        assert junit.find(".//error[@type='interrupted']") is not None
