"""Shared fixtures of the project's own tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from backends import OtherHost, backends_unavailable, start_janus, start_turn
from netns import Namespace, namespace_unavailable

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def other_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OtherHost]:
    """Janus and a TURN server on "another host" (one namespace per test process, so each
    xdist worker has its own); skipped where namespaces or the packages are unavailable."""
    reason = namespace_unavailable() or backends_unavailable()
    if reason is not None:
        pytest.skip(reason)
    scratch = tmp_path_factory.mktemp("other-host")
    with Namespace.create() as namespace:
        janus = start_janus(namespace, scratch)
        turn = start_turn(namespace, scratch)
        yield OtherHost(namespace, janus, turn, scratch)
