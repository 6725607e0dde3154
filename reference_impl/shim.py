"""Assembling the page-side shim: the JavaScript files in ``shim/`` inside one IIFE."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["SHIM_FILES", "build_init_script"]

#: Concatenation order: natives and helpers first, the interfaces, installation last.
SHIM_FILES: tuple[str, ...] = (
    "core.js",
    "errors.js",
    "events.js",
    "channel.js",
    "integration.js",
    "mediastream.js",
    "mediadevices.js",
    "rtp.js",
    "transport.js",
    "datachannel.js",
    "peerconnection.js",
    "mediaelement.js",
    "webaudio.js",
    "install.js",
)


@cache
def _sources() -> str:
    folder = resources.files("reference_impl").joinpath("shim")
    return "\n".join(
        f"// ---- {name} ----\n{folder.joinpath(name).read_text(encoding='utf-8')}"
        for name in SHIM_FILES
    )


def build_init_script(config: dict[str, Any]) -> str:
    """The whole shim with ``config`` baked in, ready for ``add_init_script``.

    The guard makes a second injection into the same frame a no-op.
    """
    payload = json.dumps(config, ensure_ascii=True)
    return (
        "(function (config) {\n"
        '"use strict";\n'
        "if (window.__mmrReferenceShim) return;\n"
        f"{_sources()}\n"
        f"}})({payload});\n"
    )
