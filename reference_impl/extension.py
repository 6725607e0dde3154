"""The reference redirection as a browser extension (Manifest V3, unpacked).

The product ships as an extension whose content script replaces a page's WebRTC and media
APIs; this builds the same for the reference implementation: one content script, the
shim, in the page's main world at ``document_start`` in every frame, bound to one running
host (its loopback URL and page secret). Load the folder in Chrome or Edge
(``chrome://extensions``, developer mode, "Load unpacked") or start Chromium with
``--load-extension=<folder>``.

Security model: the host listens on 127.0.0.1 only; the page secret baked into the script
lets a page open redirected objects on that host and nothing else (no faults, no control);
it is visible to every page the extension runs in, as the product's own channel is, and
dies with the host. Build a new extension for each host you start.
"""

from __future__ import annotations

import json
from pathlib import Path

from ._version import VERSION
from .client import page_init_script

__all__ = ["CONTENT_SCRIPT", "build_extension"]

#: The content script's file name inside the extension folder.
CONTENT_SCRIPT = "mmr-reference-shim.js"


def build_extension(out_dir: Path | str, binding: dict[str, str], *,
                    console_logging: bool = False) -> Path:
    """Write the unpacked extension for the host ``binding`` describes into ``out_dir``.

    ``binding`` is :meth:`ReferenceHost.page_binding` (``url``, ``secret``, optionally
    ``connectionId``). Returns the folder. Existing files of a previous build are replaced.
    """
    if not str(binding.get("url", "")).startswith(("ws://127.0.0.1:", "ws://localhost:", "ws://[::1]:")):
        raise ValueError(f"the host URL must be a loopback ws:// URL, not {binding.get('url')!r}")
    if not binding.get("secret"):
        raise ValueError("the host's page secret is missing")
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "manifest_version": 3,
        "name": "MMR reference redirection (conformance suite)",
        "version": VERSION,
        "description": "Redirects WebRTC and media APIs of every page to a local reference host "
                       f"at {binding['url']} (a test tool; not the product).",
        "content_scripts": [{
            "matches": ["<all_urls>"],
            "js": [CONTENT_SCRIPT],
            "run_at": "document_start",
            "all_frames": True,
            "match_about_blank": True,
            "match_origin_as_fallback": True,
            "world": "MAIN",
        }],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    script = page_init_script(binding, console_logging=console_logging)
    (folder / CONTENT_SCRIPT).write_text(script, encoding="utf-8")
    return folder
