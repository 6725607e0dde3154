"""Gating, sharding and interrupted runs, end to end through the CLI (issue 5's "done when")."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

#: How often a bounded wait polls (a wait on a condition, not a fixed sleep).
POLL_INTERVAL_S = 0.05

CONFORMANCE = [sys.executable, "-m", "conformance.cli"]


def _scenario(ident: str, check: str = "x === 1") -> str:
    return textwrap.dedent(f"""\
        id: {ident}
        title: {ident}
        covers: [MediaStream]
        steps:
          - run: x = 1
          - expect: {check}
        expect:
          native: pass
          redirected: pass
        """)


#: An item that blocks until the run is stopped (its step's timeout is far away).
BLOCKING_SCENARIO = textwrap.dedent("""\
    id: demo.z-blocks
    title: blocks
    covers: [MediaStream]
    steps:
      - run: await new Promise(() => {})
        timeout: 300s
    expect:
      native: pass
      redirected: pass
    """)


def _folder(tmp_path: Path, count: int = 4) -> Path:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "limitations.yaml").write_text("limitations: []\n")
    for i in range(count):
        (folder / f"s{i}.yaml").write_text(_scenario(f"demo.s{i}"))
    return folder


def conformance(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CONFORMANCE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, check=False, stdin=subprocess.DEVNULL)


def _tests(run_dir: Path) -> dict[str, str]:
    document = json.loads((run_dir / "results.json").read_text())
    return {r["test"]: r["status"] for r in document["results"]}


def test_breaking_a_scenario_is_a_regression_and_restoring_it_is_not(tmp_path: Path) -> None:
    _folder(tmp_path, 2)
    first = conformance("run", "--target", "native", "--report-dir", "r1",
                        "--update-baseline", "baseline.json", cwd=tmp_path)
    assert first.returncode == 0, first.stdout[-2000:]
    assert (tmp_path / "baseline.json").is_file()

    broken = tmp_path / "scenarios" / "s1.yaml"
    broken.write_text(_scenario("demo.s1", check="x === 2"))
    conformance("run", "--target", "native", "--report-dir", "r2", cwd=tmp_path)
    regression = conformance("compare", "baseline.json", "r2", cwd=tmp_path)
    assert regression.returncode == 1, regression.stdout
    assert "demo.s1[native]" in regression.stdout
    assert "`demo.s0[native]`" not in regression.stdout

    broken.write_text(_scenario("demo.s1"))
    conformance("run", "--target", "native", "--report-dir", "r3", cwd=tmp_path)
    restored = conformance("compare", "baseline.json", "r3", cwd=tmp_path)
    assert restored.returncode == 0, restored.stdout


def test_two_shards_merged_equal_the_full_run(tmp_path: Path) -> None:
    _folder(tmp_path, 5)
    full = conformance("run", "--report-dir", "full", "--target", "native", cwd=tmp_path)
    assert full.returncode == 0, full.stdout[-2000:]
    for k in (1, 2):
        shard = conformance("run", "--report-dir", f"shard{k}", "--target", "native",
                            "--shard", f"{k}/2", cwd=tmp_path)
        assert shard.returncode == 0, shard.stdout[-2000:]
    merged = conformance("merge", "shard1/latest", "shard2/latest", "--report-dir", "merged",
                         cwd=tmp_path)
    assert merged.returncode == 0, merged.stderr
    shard_sets = [set(_tests(tmp_path / f"shard{k}" / "latest")) for k in (1, 2)]
    assert shard_sets[0] and shard_sets[1] and not shard_sets[0] & shard_sets[1]
    assert _tests(tmp_path / "merged" / "latest") == _tests(tmp_path / "full" / "latest")
    assert (tmp_path / "merged" / "latest" / "matrix.html").is_file()


def test_killed_run_keeps_a_readable_report_of_finished_items(tmp_path: Path) -> None:
    folder = _folder(tmp_path, 2)
    (folder / "z-blocks.yaml").write_text(BLOCKING_SCENARIO)
    run = subprocess.Popen([*CONFORMANCE, "run", "--target", "native", "--report-dir", "out"],
                           cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        log = None
        while time.monotonic() < deadline and run.poll() is None:
            logs = list((tmp_path / "out").glob("*/results.jsonl"))
            if logs and len(logs[0].read_text().splitlines()) >= 2:
                log = logs[0]
                break
            time.sleep(POLL_INTERVAL_S)
        assert log is not None, "the run never finished its first two items"
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(timeout=30)
    run_dir = log.parent
    assert not (run_dir / "results.json").exists()
    rebuilt = conformance("report", str(run_dir), cwd=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    document = json.loads((run_dir / "results.json").read_text())
    assert document["run_info"]["interrupted"] is True
    assert document["run_info"]["suite_version"] != "unknown"
    assert {r["test"] for r in document["results"]} == {"demo.s0[native]", "demo.s1[native]"}


def test_interrupted_run_writes_its_reports(tmp_path: Path) -> None:
    folder = _folder(tmp_path, 1)
    (folder / "z-blocks.yaml").write_text(BLOCKING_SCENARIO)
    run = subprocess.Popen([*CONFORMANCE, "run", "--target", "native", "--report-dir", "out"],
                           cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and run.poll() is None:
            logs = list((tmp_path / "out").glob("*/results.jsonl"))
            if logs and logs[0].read_text().strip():
                break
            time.sleep(POLL_INTERVAL_S)
        run.send_signal(signal.SIGINT)  # what Ctrl-C does
        output, _ = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    document = json.loads((tmp_path / "out" / "latest" / "results.json").read_text())
    assert document["run_info"]["interrupted"] is True, output[-2000:]
    assert [r["test"] for r in document["results"]] == ["demo.s0[native]"]
