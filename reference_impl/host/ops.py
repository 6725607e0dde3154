"""The table of page operations: each handler module registers its handlers with :func:`op`.

This module sits below the session and the handlers: it names neither, so that a session
can run what the table holds without importing the modules that filled it (see
:mod:`reference_impl.host.handlers`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["PAGE_OPS", "Handler", "OpSpec", "OpTable", "op"]

#: ``async handler(session, request) -> result``; each handler names its own session type.
Handler = Callable[..., Awaitable[Any]]
_HandlerT = TypeVar("_HandlerT", bound=Handler)


@dataclass(frozen=True)
class OpSpec:
    """A registered operation.

    ``needs_connection``: refused while the simulated RDP connection is down (every
    redirected object is dead then). ``chain``: the argument naming the object whose
    operations run one at a time in arrival order, like the spec's operations chain.
    """

    handler: Handler
    needs_connection: bool
    chain: str | None


#: Operations by name, as a session looks them up.
OpTable = Mapping[str, OpSpec]

PAGE_OPS: dict[str, OpSpec] = {}


def op(name: str, *, needs_connection: bool = True, chain: str | None = None
       ) -> Callable[[_HandlerT], _HandlerT]:
    """Register ``handler`` as the page operation ``name``."""

    def register(handler: _HandlerT) -> _HandlerT:
        if name in PAGE_OPS:
            raise RuntimeError(f"operation {name!r} registered twice")
        PAGE_OPS[name] = OpSpec(handler, needs_connection, chain)
        return handler

    return register
