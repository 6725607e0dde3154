"""Launchers of the catalog's real backends, each in the network namespace of its stack.

A launcher starts a stack's backend in a :class:`~conformance.backends.netns.Namespace` (the
stack's "other host") and writes the overrides its app is configured through (served over
the app's own files: the app's code is never changed), then returns a :class:`Launched`.
Its processes are stopped by the namespace (the runner calls ``stop_processes`` whatever
happened). A backend that does not answer raises
:class:`~conformance.backends.janus.BackendError`, which names it, its address and its
log's tail. The project's tests start the same backends through the same functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from conformance.backends.janus import demo_overrides, start_janus
from conformance.backends.netns import Namespace
from conformance.catalog.entry import deb_version

__all__ = ["LAUNCHERS", "Launched", "Launcher"]


@dataclass(frozen=True)
class Launched:
    """A running backend: its name and address (for the matrix), and the overrides folder
    served first over the app's files (``None``: nothing to override)."""

    backend: str
    address: str
    overrides: Path | None


#: ``launcher(namespace, scratch)``: start the backend in ``namespace`` (files in ``scratch``).
Launcher = Callable[[Namespace, Path], Launched]


def _janus(namespace: Namespace, scratch: Path) -> Launched:
    """Debian's Janus (AudioBridge and EchoTest plugins) and the demos' ``settings.js``."""
    janus = start_janus(namespace, scratch)
    return Launched(f"janus {deb_version('janus')} (Debian)", namespace.address,
                    demo_overrides(scratch / "overrides", janus))


#: The launchers by the name an entry's ``backend`` gives.
LAUNCHERS: dict[str, Launcher] = {
    "janus": _janus,
}
