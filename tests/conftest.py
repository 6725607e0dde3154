"""Shared fixtures of the project's own tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from conformance.backends.janus import OtherHost, backends_unavailable, start_janus, start_turn
from conformance.network import netns, topology

pytest_plugins = ["pytester"]

_RESERVED = pytest.StashKey[list[netns.Namespace]]()
_HOMES = pytest.StashKey[list[topology.HomeNetwork]]()
#: The namespaces that existed when the session started (other runs' are not this run's leak).
_BEFORE = pytest.StashKey[set[str]]()


def _worker_count(config: pytest.Config) -> int:
    # xdist has turned "auto" into a number by now (in its pytest_cmdline_main).
    workers = getattr(config.option, "numprocesses", None)
    return workers if isinstance(workers, int) and workers > 0 else 1


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """The controlling process makes a namespace per worker before any browser starts
    (see :mod:`conformance.network.netns` for why a namespace made later fails other
    workers' pages), and before xdist starts the workers (its hook runs last).

    At session start, not at ``pytest_configure``: ``pytest --help`` (which a test runs in
    this folder) configures the plugins but has no session, so namespaces made at
    configure time were never released and outlived the run."""
    config = session.config
    if hasattr(config, "workerinput") or netns.namespace_unavailable() is not None:
        return
    config.stash[_BEFORE] = netns.namespaces()
    try:
        config.stash[_RESERVED] = netns.reserve(_worker_count(config))
        # After the backends' namespaces: the homes forward to them.
        if topology.network_unavailable("home") is None:
            config.stash[_HOMES] = topology.reserve_homes(_worker_count(config))
    except netns.NamespaceError as exc:
        # The fixture that needs one says why it skips; the rest of the suite runs.
        config.issue_config_time_warning(pytest.PytestWarning(f"no test namespaces: {exc}"), 2)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Delete the session's namespaces once every worker is done; any namespace this run
    left behind (its own, or one a test's process made and did not delete) and any network
    set-up of its homes fails the run."""
    before = session.config.stash.get(_BEFORE, None)
    if before is None:
        return
    del session.config.stash[_BEFORE]
    left = topology.release_homes(session.config.stash.get(_HOMES, []))
    session.config.stash[_HOMES] = []
    reserved = session.config.stash.get(_RESERVED, [])
    session.config.stash[_RESERVED] = []
    left += [*netns.release(reserved), *netns.leftovers(before)]
    if left:
        session.config.get_terminal_writer().line(
            f"network set-up left behind: {', '.join(left)}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def other_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OtherHost]:
    """Janus and a TURN server on "another host" (one namespace per test process, so each
    xdist worker has its own); skipped where namespaces or the packages are unavailable."""
    reason = netns.namespace_unavailable() or backends_unavailable()
    if reason is not None:
        pytest.skip(reason)
    scratch = tmp_path_factory.mktemp("other-host")
    namespace = netns.assigned()
    with contextlib.ExitStack() as cleanup:
        if namespace is None:
            # Not reserved (run without this conftest's session set-up): made here, at the
            # cost of a network change that other browsers on the machine see.
            namespace = cleanup.enter_context(netns.Namespace.create())
        else:
            cleanup.callback(namespace.stop_processes)
        janus = start_janus(namespace, scratch)
        turn = start_turn(namespace, scratch)
        yield OtherHost(namespace, janus, turn, scratch)
