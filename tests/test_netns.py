"""The network-namespace fixture: it says why it cannot run, and leaves nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import netns
import pytest


def test_not_root_is_a_reason_to_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert netns.namespace_unavailable() == "creating a network namespace needs root"
    with pytest.raises(netns.NamespaceError, match="needs root"):
        netns.Namespace.create()


def _links() -> str:
    return subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout


def test_a_namespace_and_its_processes_are_removed(tmp_path: Path) -> None:
    reason = netns.namespace_unavailable()
    if reason is not None:
        pytest.skip(reason)
    with netns.Namespace.create() as space, (tmp_path / "log").open("wb") as log:
        assert space.address.startswith("10.") and space.host_address.startswith("10.")
        server = space.spawn([sys.executable, "-c",
                              "import socket; s = socket.socket(); "
                              f"s.bind(('{space.address}', 9099)); s.listen(); s.accept(); s.accept()"],
                             cwd=tmp_path, log=log)
        netns.wait_for_tcp(space.address, 9099, 10.0, alive=server)
    assert server.poll() is not None
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert space.name not in listed
    assert f" {space.host_interface}@" not in _links()
