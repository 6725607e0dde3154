"""The attach target against real processes the suite did not start.

A reference host runs as ``conformance host``; Chromium runs as a separate process (not
through Playwright's launch) with the reference redirection extension built for that host
and a debugging port; scenarios and a certification then run with ``--target attach
--cdp``. A Playwright server (``playwright run-server``) serves the ``--ws`` pool.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.browser import find_chromium, launch_args

ROOT = Path(__file__).resolve().parent.parent
#: Scenario folders that exercise detection, devices, calls, faults and speakers: some
#: items run on attach, others need capabilities it lacks.
SUBSET = ("scenarios/integration", "scenarios/media-devices")
_STARTUP_S = 30.0
#: How often a bounded wait for another process polls (a wait on a condition, not a delay).
_POLL_S = 0.05


def _wait_for_file(path: Path, process: subprocess.Popen[str], what: str) -> str:
    deadline = time.monotonic() + _STARTUP_S
    while time.monotonic() < deadline:
        if path.is_file() and path.read_text().strip():
            return path.read_text()
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode} before writing {path}")
        time.sleep(_POLL_S)
    raise AssertionError(f"{what} did not write {path} within {_STARTUP_S:g} s")


def _stop(process: subprocess.Popen[str]) -> None:
    """Stop a process group started here, by force if it does not end within 10 s."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@pytest.fixture(scope="module")
def extension(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A standalone reference host and the extension built for it."""
    folder = tmp_path_factory.mktemp("host")
    info = folder / "host.json"
    host = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "host", "--info", str(info),
         "--extension", str(folder / "extension")],
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )
    try:
        binding = json.loads(_wait_for_file(info, host, "conformance host"))
        assert binding["url"].startswith("ws://127.0.0.1:")
        assert oct(info.stat().st_mode & 0o777) == "0o600"  # it holds the page secret
        assert (folder / "extension" / "manifest.json").is_file()
        yield folder / "extension"
    finally:
        _stop(host)


def _chromium(user_data: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    """Chromium as its own process with a debugging port; its CDP URL."""
    args = [find_chromium().path, "--headless", "--remote-debugging-port=0",
            f"--user-data-dir={user_data}", *launch_args(extra), "about:blank"]
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    port = _wait_for_file(user_data / "DevToolsActivePort", process, "chromium").split()[0]
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def redirected_browser(extension: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Chromium the suite did not launch, with the reference redirection extension."""
    process, url = _chromium(tmp_path_factory.mktemp("chromium"), f"--load-extension={extension}")
    try:
        yield url
    finally:
        _stop(process)


def conformance(*args: str, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "conformance.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False,
                          stdin=subprocess.DEVNULL)


def _results(report_dir: Path) -> tuple[dict[str, dict[str, object]], dict[str, object]]:
    document = json.loads((report_dir / "latest" / "results.json").read_text())
    return {r["scenario"]: r for r in document["results"]}, document["run_info"]


def _user_pages(cdp: str) -> list[str]:
    """The URLs of the pages open in the browser (as its user sees them)."""
    import urllib.request

    with urllib.request.urlopen(f"{cdp}/json/list", timeout=10) as answer:  # loopback only
        return [str(t["url"]) for t in json.loads(answer.read()) if t.get("type") == "page"]


def test_attached_extension_matches_the_reference_target(redirected_browser: str, tmp_path: Path) -> None:
    """Scenarios on a browser with the reference extension have the outcomes they have on the
    reference target; those needing faults or speaker records are SKIP with the reason; the
    user's page survives; run_info names the attached browser and the extension's versions."""
    before = _user_pages(redirected_browser)
    attach = conformance("run", *SUBSET, "--target", "attach", "--cdp", redirected_browser,
                         "--report-dir", str(tmp_path / "attach"))
    reference = conformance("run", *SUBSET, "--target", "reference",
                            "--report-dir", str(tmp_path / "reference"))
    attached, info = _results(tmp_path / "attach")
    on_reference, _ = _results(tmp_path / "reference")
    assert attached and set(attached) == set(on_reference), attach.stdout[-3000:]
    skipped = {k: r for k, r in attached.items() if r["status"] == "SKIP"}
    assert skipped, "the subset has items that need faults or speaker records"
    for name, result in skipped.items():
        assert "which the attach target does not offer" in str(result["message"]), name
    for name, result in attached.items():
        if name in skipped:
            continue
        assert result["status"] == on_reference[name]["status"], (name, result["message"])
        assert result["expected"] == on_reference[name]["expected"], (name, result["message"])
    assert attach.returncode == reference.returncode == 0, attach.stdout[-3000:]
    details = info["target_details"]["attach"]  # type: ignore[index]
    assert details["kind"] == "redirected" and details["via"] == "cdp"
    assert details["redirection"]["implementation"] == "reference"
    assert details["redirection"]["extension_version"].endswith("-ref-extension")
    assert details["browser_version"]
    # The suite closed the pages it opened and nothing else; the browser still runs.
    assert _user_pages(redirected_browser) == before


def test_certify_on_an_attached_browser_names_what_it_ran_against(redirected_browser: str,
                                                                   tmp_path: Path) -> None:
    """The sample app's certification runs in the attached browser with page-side evidence;
    checks that disconnect the redirection are not applicable there, and the banner says
    which redirection the app was certified against."""
    done = conformance("certify", "--target", "attach", "--cdp", redirected_browser,
                       "--report-dir", str(tmp_path))
    report = json.loads(next((tmp_path / "certify").glob("*/certification.json")).read_text())
    assert report["targets"] == ["attach"], done.stderr[-2000:]
    assert "reference redirection implementation" in report["ran_against"]
    verdicts = {c["id"]: c["results"]["attach"]["verdict"] for c in report["checks"]}
    assert verdicts["reconnect-recovery"] == "not-applicable"
    assert "cannot inject a disconnect" in next(
        c for c in report["checks"] if c["id"] == "reconnect-recovery")["results"]["attach"]["summary"]
    assert verdicts["call-connects"] == "pass", json.dumps(report["checks"], indent=1)[:3000]
    markdown = next((tmp_path / "certify").glob("*/certification.md")).read_text()
    assert "against the reference redirection implementation" in markdown


@pytest.fixture(scope="module")
def playwright_servers() -> Iterator[list[str]]:
    """Two ``playwright run-server`` processes on loopback, each launching the Chromium found
    here with the suite's flags (the URL's launch options)."""
    servers: list[subprocess.Popen[str]] = []
    urls = []
    options = json.dumps({"executablePath": find_chromium().path, "args": launch_args()})
    try:
        for _ in range(2):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            server = subprocess.Popen(
                # --unsafe: the client (this test) chooses the executable and flags.
                [sys.executable, "-m", "playwright", "run-server", "--port", str(port),
                 "--host", "127.0.0.1", "--unsafe"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                text=True, start_new_session=True)
            servers.append(server)
            deadline = time.monotonic() + _STARTUP_S
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                    break
                assert server.poll() is None and time.monotonic() < deadline, "run-server did not start"
                time.sleep(_POLL_S)
            import urllib.parse

            urls.append(f"ws://127.0.0.1:{port}/?launch-options={urllib.parse.quote(options)}")
        yield urls
    finally:
        for server in servers:
            _stop(server)


def test_native_subset_over_a_pool_of_playwright_servers(playwright_servers: list[str],
                                                         tmp_path: Path) -> None:
    """Two workers share two Playwright servers out; a native subset passes as it does on the
    native target."""
    args = ["run", "scenarios/media-devices", "--target", "attach", "--attach-expects", "native",
            "-n", "2", "--report-dir", str(tmp_path)]
    for url in playwright_servers:
        args += ["--ws", url]
    done = conformance(*args)
    results, info = _results(tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]
    assert results and all(r["status"] == "PASS" for r in results.values())
    details = info["target_details"]["attach"]  # type: ignore[index]
    assert details["kind"] == "native" and details["via"] == "playwright-server"
    assert details["expects_from"] == "option" and "launch-options" not in details["endpoint"]


def test_a_missing_browser_channel_is_one_clear_line() -> None:
    """`--browser chrome` where Chrome is not installed: one line, exit 2, no traceback."""
    if shutil.which("google-chrome") or Path("/opt/google/chrome/chrome").exists():
        pytest.skip("Google Chrome is installed here")
    done = conformance("run", "scenarios/media-devices", "--browser", "chrome", timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "Google Chrome is not installed" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
