"""The network-namespace fixture: it says why it cannot run, and leaves nothing behind."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.network import netns

# Tests that make namespaces or use the worker's home run on one worker, one at a time: a
# namespace made mid-session is a network change that aborts a running call's or page's
# traffic (see conformance.network.netns), and the homes of the session share this machine's
# routes and forwarding (--dist loadgroup, set in pyproject's addopts).
pytestmark = pytest.mark.xdist_group("network")


def test_not_root_is_a_reason_to_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert netns.namespace_unavailable() == "creating a network namespace needs root"
    with pytest.raises(netns.NamespaceError, match="needs root"):
        netns.Namespace.create()


def _namespaces() -> list[str]:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    return [line.split(" ", 1)[0] for line in listed.stdout.splitlines()]


def test_a_namespace_and_its_processes_are_removed(tmp_path: Path) -> None:
    """A namespace's servers are stopped and the namespace deleted on close. (A namespace
    without its veth pair: adding one mid-run would be a network change for the other
    workers' browsers; the session's wired namespaces are checked when the session ends.)"""
    reason = netns.namespace_unavailable()
    if reason is not None:
        pytest.skip(reason)
    with netns.Namespace.create(wired=False) as space:
        reader, writer = os.pipe()
        with os.fdopen(writer, "wb") as log:
            server = space.spawn([sys.executable, "-c",
                                  "import socket; s = socket.socket(); "
                                  "s.bind(('127.0.0.1', 9099)); s.listen(); print('up', flush=True); "
                                  "s.accept()"], cwd=tmp_path, log=log)
        with os.fdopen(reader, "rb") as output:
            # Bounded wait for the server to be listening inside the namespace.
            ready, _, _ = select.select([output], [], [], 10.0)
            assert ready and output.readline().strip() == b"up"
        assert server.poll() is None
        assert str(server.pid) in _pids(space.name)
    assert server.poll() is not None
    assert space.name not in _namespaces()


def test_the_reserved_namespace_is_wired(tmp_path: Path) -> None:
    """Each worker has its own namespace, made before the browsers, reachable from here."""
    reason = netns.namespace_unavailable()
    if reason is not None:
        pytest.skip(reason)
    space = netns.assigned()
    assert space is not None, "the session reserved no namespace for this worker"
    assert space.name in _namespaces()
    assert space.address.startswith("10.") and space.host_address.startswith("10.")
    log = tmp_path / "log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            ["ip", "netns", "exec", space.name, sys.executable, "-c",
             "import socket; s = socket.socket(); "
             "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
             f"s.bind(('{space.address}', 9098)); s.listen(); s.accept()"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    try:
        netns.wait_for_tcp(space.address, 9098, 10.0, alive=server)
    finally:
        server.kill()
        server.wait(5)


def _pids(name: str) -> list[str]:
    return subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True,
                          check=True).stdout.split()


def _dead_pid() -> int:
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    return done.pid


def test_stale_namespaces_of_dead_runs_are_removed() -> None:
    """A killed run's namespaces go at the next run; a live process's stay. (Bare namespaces
    without a veth pair: adding one would be a network change for the other workers.)"""
    reason = netns.namespace_unavailable()
    if reason is not None:
        pytest.skip(reason)
    stale, live = f"mmr-test-{_dead_pid()}-99", f"mmr-test-{os.getpid()}-99"
    for name in (stale, live):
        subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        netns.remove_stale()
        assert stale not in _namespaces()
        assert live in _namespaces()
    finally:
        for name in (stale, live):
            subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


def test_a_namespace_left_by_an_exited_process_is_a_leftover() -> None:
    """What the session's end fails the run for: a namespace made during the run whose maker
    has exited (or this process's own), never one that was there before or a live run's."""
    reason = netns.namespace_unavailable()
    if reason is not None:
        pytest.skip(reason)
    earlier = f"mmr-test-{_dead_pid()}-97"
    subprocess.run(["ip", "netns", "add", earlier], check=True)
    try:
        before = netns.namespaces()
        leaked, live = f"mmr-test-{_dead_pid()}-98", f"mmr-test-{os.getppid()}-98"
        for name in (leaked, live):
            subprocess.run(["ip", "netns", "add", name], check=True)
        assert netns.leftovers(before) == [leaked]
        assert leaked not in _namespaces() and live in _namespaces()
    finally:
        for name in (earlier, f"mmr-test-{os.getppid()}-98"):
            subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


def test_pytest_help_in_the_project_makes_no_namespace() -> None:
    """`pytest --help` here configures this folder's conftest but runs no session: it used to
    reserve a wired namespace there that nothing released (the leftover of a passing run)."""
    reason = netns.namespace_unavailable()
    if reason is not None:
        pytest.skip(reason)
    helper = subprocess.Popen([sys.executable, "-m", "pytest", "--help"], cwd=Path(__file__).parent.parent,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert helper.wait(120) == 0
    assert not [name for name in _namespaces() if name.startswith(f"mmr-test-{helper.pid}-")]
