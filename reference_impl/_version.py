"""Version strings of the reference redirection implementation."""

from __future__ import annotations

#: The reference implementation's version (shim, host and protocol ship together).
VERSION = "0.1.0"

#: The wire protocol version spoken between shim, harness and host (see PROTOCOL.md).
PROTOCOL_VERSION = 1

#: What the diagnostics properties report. The vendor's three components map onto ours:
#: the "client" (local-device plugin) is the Python host process, the "host" (session-host
#: executable) is the channel endpoint in the page, the "extension" is the shim itself.
CLIENT_VERSION = f"{VERSION}-ref-client"
HOST_VERSION = f"{VERSION}-ref-host"
EXTENSION_VERSION = f"{VERSION}-ref-extension"
