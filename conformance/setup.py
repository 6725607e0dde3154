"""Making sure a Chromium is available: find one, or install Debian's package when allowed.

Installing is only attempted on Debian-like systems as root (``apt-get`` without prompts);
everywhere else the error says what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from conformance.browser import BrowserNotFoundError, ChromiumInfo, find_chromium

__all__ = ["ensure_chromium"]

_APT_TIMEOUT = 1200


def _can_apt_install() -> bool:
    return (
        Path("/etc/debian_version").exists()
        and shutil.which("apt-get") is not None
        and hasattr(os, "geteuid")
        and os.geteuid() == 0
    )


def ensure_chromium(explicit: str | None = None, *, install: bool = True) -> ChromiumInfo:
    """A usable Chromium; on Debian as root, ``apt-get install chromium`` if none is found."""
    try:
        return find_chromium(explicit)
    except BrowserNotFoundError:
        if explicit or not install or not _can_apt_install():
            raise
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("conformance setup: no Chromium found; installing Debian's `chromium` package", flush=True)
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"]):
        done = subprocess.run(command, env=env, timeout=_APT_TIMEOUT, check=False,
                              stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise BrowserNotFoundError(f"`{' '.join(command)}` failed with exit code {done.returncode}")
    return find_chromium()
