"""Making sure what the suite needs is installed: a Chromium, the sound card's PulseAudio
(:mod:`conformance.soundcard`), and for the project's own tests and the stacks catalog the
real backends they run in network namespaces (Janus, its demos, coturn, Kamailio with its
websocket module, Node.js and npm).

Installing is only attempted on Debian-like systems as root (``apt-get`` without prompts);
everywhere else the error says what to install, and the backend tests skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from conformance.browser import BrowserNotFoundError, ChromiumInfo, find_chromium

__all__ = [
    "SOUNDCARD_PACKAGES",
    "TEST_BACKEND_PACKAGES",
    "SetupError",
    "ensure_chromium",
    "ensure_soundcard",
    "ensure_test_backends",
]

_APT_TIMEOUT = 1200

#: Debian packages the project's tests use as real backends on "another host", and how to
#: tell each is installed.
TEST_BACKEND_PACKAGES: dict[str, Path] = {
    "janus": Path("/usr/bin/janus"),
    "janus-demos": Path("/usr/share/janus/demos/echotest.html"),
    "coturn": Path("/usr/bin/turnserver"),
    # NAT and firewall of the --network homes (and the tests' homes).
    "iptables": Path("/usr/sbin/iptables"),
    "kamailio": Path("/usr/sbin/kamailio"),
    "kamailio-websocket-modules": Path("/usr/lib/x86_64-linux-gnu/kamailio/modules/websocket.so"),
    "nodejs": Path("/usr/bin/node"),
    "npm": Path("/usr/bin/npm"),
}

#: Debian packages of the sound card (the server, and ``parec``/``pactl``), and how to tell
#: each is installed.
SOUNDCARD_PACKAGES: dict[str, Path] = {
    "pulseaudio": Path("/usr/bin/pulseaudio"),
    "pulseaudio-utils": Path("/usr/bin/parec"),
}


class SetupError(RuntimeError):
    """A package could not be installed."""


def _can_apt_install() -> bool:
    return (
        Path("/etc/debian_version").exists()
        and shutil.which("apt-get") is not None
        and hasattr(os, "geteuid")
        and os.geteuid() == 0
    )


def _apt_install(packages: list[str]) -> None:
    """``apt-get update`` then ``apt-get install`` ``packages``; :class:`SetupError` on failure."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]):
        done = subprocess.run(command, env=env, timeout=_APT_TIMEOUT, check=False,
                              stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise SetupError(f"`{' '.join(command)}` failed with exit code {done.returncode}")


def ensure_chromium(explicit: str | None = None, *, install: bool = True) -> ChromiumInfo:
    """A usable Chromium; on Debian as root, ``apt-get install chromium`` if none is found."""
    try:
        return find_chromium(explicit)
    except BrowserNotFoundError:
        if explicit or not install or not _can_apt_install():
            raise
    print("conformance setup: no Chromium found; installing Debian's `chromium` package", flush=True)
    try:
        _apt_install(["chromium"])
    except SetupError as exc:
        raise BrowserNotFoundError(str(exc)) from None
    return find_chromium()


def _ensure_packages(packages: dict[str, Path], what: str, install: bool) -> list[str]:
    """The ``packages`` still missing after installing them (Debian, root, ``install``)."""
    missing = [name for name, marker in packages.items() if not marker.exists()]
    if missing and install and _can_apt_install():
        print(f"conformance setup: installing {what} {' '.join(missing)}", flush=True)
        try:
            _apt_install(missing)
        except SetupError as exc:
            print(f"conformance setup: {exc}", flush=True)
        missing = [name for name, marker in packages.items() if not marker.exists()]
    return missing


def ensure_test_backends(*, install: bool = True) -> list[str]:
    """The test backends' packages still missing after installing them (Debian, root, and
    ``install``); an empty list when all are there. Never raises for a missing package:
    the tests that need one skip and say why."""
    return _ensure_packages(TEST_BACKEND_PACKAGES, "the test backends", install)


def ensure_soundcard(*, install: bool = True) -> list[str]:
    """The sound card's packages still missing after installing them (as
    :func:`ensure_test_backends`); without them native pages keep Chromium's fake devices."""
    return _ensure_packages(SOUNDCARD_PACKAGES, "the sound card", install)
