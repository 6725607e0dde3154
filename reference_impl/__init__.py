"""The reference redirection implementation: a JS shim in the page, an aiortc host as the
"local device", and a documented protocol between them (``PROTOCOL.md``).

Typical use::

    host = await ReferenceHost.start()
    await host.prepare_context(context)      # a Playwright BrowserContext
    page = await context.new_page()           # its WebRTC and media APIs are now redirected
    ...
    await host.disconnect(); await host.reconnect()
    record = await host.speaker_record(1)
    await host.close()
"""

from __future__ import annotations

from ._version import (
    CLIENT_VERSION,
    EXTENSION_VERSION,
    HOST_VERSION,
    PROTOCOL_VERSION,
    VERSION,
)
from .client import Device, HostError, HostStartError, ReferenceHost, page_init_script
from .extension import build_extension
from .host.ice import ICE_MODES
from .shim import build_init_script

__all__ = [
    "CLIENT_VERSION",
    "EXTENSION_VERSION",
    "HOST_VERSION",
    "ICE_MODES",
    "PROTOCOL_VERSION",
    "VERSION",
    "Device",
    "HostError",
    "HostStartError",
    "ReferenceHost",
    "build_extension",
    "build_init_script",
    "page_init_script",
]

__version__ = VERSION
