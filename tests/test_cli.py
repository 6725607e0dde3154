"""The command line as a user runs it, and the bundled scenarios end to end in Chromium."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BROKEN = ROOT / "tests" / "data" / "broken" / "scenarios"
CONFORMANCE = [sys.executable, "-m", "conformance.cli"]


def conformance(*args: str, cwd: Path = ROOT, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CONFORMANCE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False, stdin=subprocess.DEVNULL)


def test_validate_passes_on_bundled_scenarios() -> None:
    done = conformance("validate", "scenarios")
    assert done.returncode == 0, done.stderr
    assert "0 files with errors" in done.stdout


def test_validate_fails_with_location_and_suggestion() -> None:
    done = conformance("validate", str(BROKEN / "typo-step-kind.yaml"))
    assert done.returncode == 1
    assert "typo-step-kind.yaml:5:5: error: unknown step kind 'rnu'" in done.stderr
    assert "did you mean 'run'?" in done.stderr


def test_validate_reports_every_broken_file() -> None:
    done = conformance("validate", str(BROKEN))
    assert done.returncode == 1
    broken = sorted(p.name for p in BROKEN.glob("*.yaml") if p.name != "limitations.yaml")
    for name in broken:
        assert f"{name}:" in done.stderr, name
    assert f"{len(broken)} files with errors" in done.stdout


def test_validate_warns_about_unexercised_limitations_unless_untestable(tmp_path: Path) -> None:
    entry = "  - id: {id}\n    kind: reference\n    title: t\n    behaviour: b\n"
    (tmp_path / "limitations.yaml").write_text(
        "limitations:\n" + entry.format(id="used") + entry.format(id="unused")
        + entry.format(id="unobservable") + "    untestable: no page can see it\n",
        encoding="utf-8",
    )
    (tmp_path / "s.yaml").write_text(
        "id: s.one\ntitle: a scenario that names a limitation\ncovers: [MediaDevices]\n"
        "steps:\n  - run: x = 1\n"
        "expect:\n  native: pass\n  redirected: {limitation: used}\n",
        encoding="utf-8",
    )
    done = conformance("validate", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "limitation 'unused' is not exercised" in done.stderr
    assert "'used'" not in done.stderr and "unobservable" not in done.stderr


def test_list_json_names_every_scenario() -> None:
    done = conformance("list", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) >= 25
    assert all(row["covers"] and set(row["targets"]) == {"native", "redirected"} for row in rows)


def test_certify_is_a_subcommand_and_validates_profiles(tmp_path: Path) -> None:
    done = conformance("certify", "--validate")
    assert done.returncode == 0, done.stderr
    assert "valid profile of 'Sample calling app'" in done.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text("profile: 1\napp:\n  name: x\n  urll: http://127.0.0.1/\n", encoding="utf-8")
    done = conformance("certify", str(broken), "--validate")
    assert done.returncode == 1
    assert "broken.yaml:4:3" in done.stderr and "did you mean 'url'" in done.stderr, done.stderr


def _statuses(report_dir: Path) -> dict[str, tuple[str, bool]]:
    document = json.loads((report_dir / "latest" / "results.json").read_text())
    return {r["test"]: (r["status"], r["expected"]) for r in document["results"]}


def test_bundled_scenarios_same_results_with_one_or_two_workers(tmp_path: Path) -> None:
    """`conformance run -n 2` and plain `pytest scenarios` (one worker) agree, item by item."""
    cli_dir, pytest_dir = tmp_path / "cli", tmp_path / "pytest"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    cli = subprocess.run(
        [*CONFORMANCE, "run", "--target", "native", "-n", "2", "--report-dir", str(cli_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False, env=env,
        stdin=subprocess.DEVNULL,
    )
    plain = subprocess.run(
        [sys.executable, "-m", "pytest", "scenarios", "--target", "native", "-p", "no:cacheprovider",
         "--report-dir", str(pytest_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False, env=env,
        stdin=subprocess.DEVNULL,
    )
    assert cli.returncode == 0, cli.stdout[-3000:]
    assert plain.returncode == 0, plain.stdout[-3000:]
    with_two, with_one = _statuses(cli_dir), _statuses(pytest_dir)
    assert with_two == with_one
    assert len(with_one) >= 25
    assert all(status == ("PASS", True) for status in with_one.values())
    for name in ("results.json", "results.jsonl", "junit.xml", "matrix.md"):
        assert (cli_dir / "latest" / name).is_file(), name


@pytest.mark.parametrize("target", ["native"])
def test_run_exit_code_is_one_on_unexpected_failure(tmp_path: Path, target: str) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "limitations.yaml").write_text("limitations: []\n")
    (folder / "fails.yaml").write_text(
        "id: demo.fails\ntitle: always fails\ncovers: [MediaStream]\nsteps:\n"
        "  - expect: '1'\n    equals: 2\nexpect:\n  native: pass\n  redirected: pass\n"
    )
    done = conformance("run", str(folder), "--target", target, "--report-dir", str(tmp_path / "r"),
                       cwd=tmp_path, timeout=300)
    assert done.returncode == 1
    assert "expected `1` to equal 2; actual: 1" in done.stdout


def test_last_failed_reruns_only_the_failures(tmp_path: Path) -> None:
    """pytest's cache works under `conformance run`: `--lf` re-runs the failed item only."""
    folder = tmp_path / "checks"
    folder.mkdir()
    for name, equals in (("good", 1), ("bad", 2)):
        (folder / f"{name}.yaml").write_text(
            f"id: demo.{name}\ntitle: {name}\ncovers: [MediaStream]\nsteps:\n"
            f"  - expect: '1'\n    equals: {equals}\nexpect:\n  native: pass\n  redirected: pass\n")
    first = conformance("run", "checks", "--target", "native", cwd=tmp_path, timeout=300)
    assert first.returncode == 1 and "1 failed, 1 passed" in first.stdout, first.stdout[-2000:]
    again = conformance("run", "checks", "--target", "native", "--lf", cwd=tmp_path, timeout=300)
    assert again.returncode == 1 and "rerun previous 1 failure" in again.stdout, again.stdout[-2000:]
    assert "1 failed in" in again.stdout and "passed" not in again.stdout


def test_scenarios_from_any_folder_run_with_the_bundled_registry(tmp_path: Path) -> None:
    """A folder not called `scenarios`, outside the project: its files are collected, ids of
    the bundled limitation registry are known, reports go to ./reports of the working folder,
    and paths are printed relative to it."""
    mine = tmp_path / "my" / "checks"
    mine.mkdir(parents=True)
    (mine / "a.yaml").write_text(
        "id: mine.a\ntitle: A check of my own\ncovers: [MediaStream]\nsteps:\n  - run: x = 1\n"
        "expect:\n  native: pass\n  redirected: {limitation: ref-video-capture}\n")
    done = conformance("run", "my/checks", "--target", "native", cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    document = json.loads((tmp_path / "reports" / "latest" / "results.json").read_text())
    (result,) = document["results"]
    assert result["test"] == "mine.a[native]" and result["status"] == "PASS"
    assert result["file"] == "my/checks/a.yaml"


def test_a_closed_pipe_is_not_a_traceback() -> None:
    """`conformance list | head -1`: the reader goes away; no BrokenPipeError traceback."""
    # The JSON listing is larger than a pipe buffer, so the writer does meet the closed pipe.
    listing = subprocess.Popen([*CONFORMANCE, "list", "--format", "json"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert listing.stdout is not None and listing.stderr is not None
    listing.stdout.readline()
    listing.stdout.close()  # what `head -1` does after its line
    err = listing.stderr.read().decode()
    listing.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
