"""Every page operation of the host, one module per shim file it serves.

Each module registers its operations with :func:`reference_impl.host.ops.op` when it is
imported; importing this package imports them all, and :data:`PAGE_OPS` is then the whole
table that the server hands to every :class:`~reference_impl.host.session.PageSession`.
The sessions never import their handlers, and the handlers only name the session's type.
"""

from __future__ import annotations

from ..ops import PAGE_OPS
from . import datachannel, media, peerconnection, rtp, webaudio  # noqa: F401 - they register

__all__ = ["PAGE_OPS"]
