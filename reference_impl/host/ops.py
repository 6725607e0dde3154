"""The table of page operations: each module registers its handlers with :func:`op`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .protocol import Request
    from .session import PageSession

__all__ = ["PAGE_OPS", "OpSpec", "op"]

Handler = Callable[["PageSession", "Request"], Awaitable[Any]]


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


PAGE_OPS: dict[str, OpSpec] = {}


def op(name: str, *, needs_connection: bool = True, chain: str | None = None
       ) -> Callable[[Handler], Handler]:
    """Register ``handler`` as the page operation ``name``."""

    def register(handler: Handler) -> Handler:
        if name in PAGE_OPS:
            raise RuntimeError(f"operation {name!r} registered twice")
        PAGE_OPS[name] = OpSpec(handler, needs_connection, chain)
        return handler

    return register
