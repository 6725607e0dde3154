"""The redirected target in the harness: host crashes, injected faults, and redirection
that is real (checked from the harness side, through the reference implementation's API)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from processes import descendants

#: How often a bounded wait polls (a wait on a condition, not a fixed sleep).
POLL_INTERVAL_S = 0.05

LIMITATIONS = "limitations: []\n"


def _scenario(ident: str, steps: str) -> str:
    return (f"id: {ident}\ntitle: {ident}\ncovers: [MediaDevices.isCallRedirectionEnabled]\n"
            "steps:\n" + textwrap.indent(textwrap.dedent(steps), "  ")
            + "expect:\n  native: pass\n  redirected: pass\n")


def _host_below(pid: int) -> int | None:
    for child in descendants(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"reference_impl.host" in cmdline:
            return child
    return None


def _tcp_table() -> list[tuple[int, str, int]]:
    """(local port, state, inode) of every IPv4 TCP socket on this machine."""
    rows = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        rows.append((int(fields[1].split(":")[1], 16), fields[3], int(fields[9])))
    return rows


def _clients_of(pid: int) -> int:
    """How many connections the process's listening socket has accepted and holds open."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    table = _tcp_table()
    listening = {port for port, state, inode in table if state == "0A" and inode in inodes}
    return sum(1 for port, state, inode in table
               if state == "01" and port in listening and inode in inodes)


def test_killed_host_fails_only_its_item_with_the_reason(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "limitations.yaml").write_text(LIMITATIONS)
    (folder / "a.yaml").write_text(_scenario("demo.host-dies", """\
        - wait_event: rdpClientConnectionStateChanged
          on: navigator.mediaDevices
          until: navigator.mediaDevices.isCallRedirectionEnabled === false
          timeout: 60s
        """))
    (folder / "b.yaml").write_text(_scenario("demo.next-item", """\
        - expect: navigator.mediaDevices.isCallRedirectionEnabled
          equals: true
          eventually: 5s
        """))
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "scenarios", "--target", "redirected", "-p", "no:cacheprovider",
         "-p", "no:xdist", "--report-dir", str(tmp_path / "out")],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        # Kill the host in the middle of the item: once both the harness's control session
        # and the page's session are connected to it.
        # (The count is kept, not read again: the page's first, blank document also opens a
        # session, closed when the page navigates, so the number may dip for a moment.)
        deadline = time.monotonic() + 90
        host, clients = None, 0
        while time.monotonic() < deadline and run.poll() is None:
            host = _host_below(run.pid)
            clients = _clients_of(host) if host is not None else 0
            if clients >= 2:
                break
            time.sleep(POLL_INTERVAL_S)
        assert host is not None and clients >= 2, "the page never connected to a host"
        os.kill(host, signal.SIGKILL)
        output, _ = run.communicate(timeout=180)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    document = json.loads((tmp_path / "out" / "latest" / "results.json").read_text())
    by_test = {r["test"]: r for r in document["results"]}
    died = by_test["demo.host-dies[reference]"]
    assert died["status"] == "ERROR", output[-2000:]
    assert f"the reference host (pid {host}) died during the item with exit code -9" in died["message"]
    assert by_test["demo.next-item[reference]"]["status"] == "PASS", output[-2000:]


def test_a_host_killed_but_not_yet_reaped_is_reported() -> None:
    """The host's exit reaches the event loop late (a watcher thread reaps it), after the page
    may already have seen its channel drop: the end-of-item check asks the host itself."""
    from conformance.targets import Browsers, ReferenceTarget

    async def main() -> tuple[bool, str | None, str | None]:
        target = ReferenceTarget(Browsers())
        try:
            host = await target.host()
            healthy = await target.problem()
            os.kill(host.pid, signal.SIGKILL)
            # No await between the kill and the check: the loop cannot have reaped it yet.
            looked_alive = host.alive
            return looked_alive, healthy, await target.problem()
        finally:
            await target.close()

    looked_alive, healthy, problem = asyncio.run(asyncio.wait_for(main(), 60))
    assert looked_alive
    assert healthy is None
    assert problem is not None and "died during the item with exit code -9" in problem


def test_injected_faults_are_part_of_the_scenario(pytester: pytest.Pytester) -> None:
    """An injected host crash or disconnect is behaviour under test, not a broken target."""
    folder = pytester.path / "scenarios"
    folder.mkdir()
    (folder / "limitations.yaml").write_text(LIMITATIONS)
    (folder / "a.yaml").write_text(_scenario("demo.injected-crash", """\
        - run: |
            states = []
            navigator.mediaDevices.addEventListener('rdpClientConnectionStateChanged',
              (e) => states.push(e.detail.state))
            pc = new RTCPeerConnection()
        - fault: crash-host
        - expect: navigator.mediaDevices.isCallRedirectionEnabled === false && pc.connectionState
          equals: closed
          eventually: 5s
        - expect: states
          equals: [disconnected]
        """))
    (folder / "b.yaml").write_text(_scenario("demo.disconnect-reconnect", """\
        - run: first = navigator.mediaDevices.connectionId
        - fault: disconnect
        - expect: navigator.mediaDevices.isCallRedirectionEnabled
          equals: false
          eventually: 5s
        - fault: reconnect
        - expect: |
            navigator.mediaDevices.isCallRedirectionEnabled
              && navigator.mediaDevices.connectionId !== first
          eventually: 5s
        """))
    # Faults at once, before any other page work: they reach the page only if the harness
    # waited for its channel to open (a loaded run once opened it 170 ms after load).
    (folder / "d.yaml").write_text(_scenario("demo.fault-first-events", """\
        - run: |
            states = []
            navigator.mediaDevices.addEventListener('rdpClientConnectionStateChanged',
              (e) => states.push(e.detail.state))
        - fault: disconnect
        - fault: reconnect
        - expect: states
          equals: [disconnected, connected]
          eventually: 5s
        """))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--target", "redirected",
                                           "--report-dir", str(pytester.path / "out"), timeout=240)
    assert result.parseoutcomes() == {"passed": 3}, result.stdout.str()[-3000:]


def test_open_puts_any_page_under_the_redirected_target(tmp_path: Path) -> None:
    """`conformance open` loads a third-party page with the shim in place, headless."""
    from conformance.server import PageServer

    (tmp_path / "index.html").write_text(
        "<!doctype html><script>"
        "console.log('redirected=' + navigator.mediaDevices.isCallRedirectionEnabled"
        " + ' pc=' + (typeof RTCPeerConnection));"
        "</script>"
    )
    server = PageServer({"app": tmp_path})
    try:
        done = subprocess.run(
            [sys.executable, "-m", "conformance.cli", "open", "--target", "redirected", "--headless",
             "--timeout", "3", server.url("app/index.html")],
            capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL,
        )
    finally:
        server.close()
    assert done.returncode == 0, done.stderr[-2000:]
    assert "on the reference target" in done.stdout
    # The shim installs before page scripts run (the detection flag is known at once).
    assert "[console.log] redirected=true pc=function" in done.stdout, done.stdout
