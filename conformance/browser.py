"""Finding and launching Chromium.

Order of preference (the first that exists wins):

1. an explicit path (``--browser-path`` / ``CONFORMANCE_CHROMIUM``);
2. Playwright's own Chromium, when ``playwright install chromium`` has been run;
3. Debian's ``/usr/bin/chromium``;
4. Google Chrome and Microsoft Edge in their usual places.

``conformance setup`` (see :mod:`conformance.setup`) installs Debian's package when none is
found and the machine allows it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright

    from conformance.soundcard import SoundCard

__all__ = [
    "CHROMIUM_ARGS",
    "FAKE_DEVICES_ARG",
    "MUTE_AUDIO_ARG",
    "BrowserNotFoundError",
    "ChromiumInfo",
    "find_chromium",
    "launch_args",
    "launch_chromium",
    "launch_options",
]

ENV_VAR = "CONFORMANCE_CHROMIUM"

#: Chromium's fake camera, microphones and speakers (one switch; a sound card replaces it).
FAKE_DEVICES_ARG = "--use-fake-device-for-media-stream"

#: Flags every run needs: fake media devices without prompts, loopback ICE candidates
#: without mDNS obfuscation, autoplay without a gesture, and no background networking
#: (this machine refuses outside connections, and a suite must not phone home anyway).
CHROMIUM_ARGS: tuple[str, ...] = (
    FAKE_DEVICES_ARG,
    "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-quic",
    "--disable-gpu",
)

_SYSTEM_CANDIDATES: tuple[str, ...] = (
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/opt/google/chrome/chrome",
    "/usr/bin/microsoft-edge",
    "/opt/microsoft/msedge/msedge",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
)


class BrowserNotFoundError(RuntimeError):
    """No usable Chromium was found; the message says what to install."""


@dataclass(frozen=True)
class ChromiumInfo:
    """Where a Chromium lives and how it was found."""

    path: str
    source: str  # "explicit", "environment", "playwright", "system"


def _playwright_chromium() -> str | None:
    """The path of Playwright's own Chromium when it is installed, else ``None``."""
    base = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache/ms-playwright")
    if not base.is_dir():
        return None
    patterns = ("chromium-*/chrome-linux*/chrome",
                "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium")
    for pattern in patterns:
        for candidate in sorted(base.glob(pattern), reverse=True):
            if os.access(candidate, os.X_OK):
                return str(candidate)
    return None


def find_chromium(explicit: str | None = None) -> ChromiumInfo:
    """Locate a Chromium, or raise :class:`BrowserNotFoundError` saying what to do."""
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise BrowserNotFoundError(f"--browser-path {explicit!r} is not an executable file")
        return ChromiumInfo(explicit, "explicit")
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        if not os.access(from_env, os.X_OK):
            raise BrowserNotFoundError(f"{ENV_VAR}={from_env!r} is not an executable file")
        return ChromiumInfo(from_env, "environment")
    bundled = _playwright_chromium()
    if bundled:
        return ChromiumInfo(bundled, "playwright")
    for candidate in _SYSTEM_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return ChromiumInfo(candidate, "system")
    on_path = shutil.which("chromium") or shutil.which("google-chrome")
    if on_path:
        return ChromiumInfo(on_path, "system")
    raise BrowserNotFoundError(
        "no Chromium found. Install one of: Debian/Ubuntu `apt-get install chromium`, "
        "`python -m playwright install chromium`, Google Chrome or Microsoft Edge; "
        f"or point {ENV_VAR} (or --browser-path) at a Chromium executable."
    )


def chromium_version(path: str) -> str:
    """The version string the executable prints (``Chromium 156.0...``), or ``""``."""
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip()


#: Playwright's default flag that a sound card must not get: the suite records the output.
MUTE_AUDIO_ARG = "--mute-audio"


def launch_args(extra: tuple[str, ...] = (), *, soundcard: SoundCard | None = None) -> list[str]:
    """Chromium's command-line flags; ``--no-sandbox`` is added when running as root.
    With a (started) ``soundcard`` its audio devices replace the fake ones, the fake camera
    stays (:attr:`~conformance.soundcard.SoundCard.chromium_args`)."""
    args = [arg for arg in CHROMIUM_ARGS if soundcard is None or arg != FAKE_DEVICES_ARG]
    if soundcard is not None:
        args.extend(soundcard.chromium_args)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")
    args.extend(extra)
    return args


def launch_options(extra: tuple[str, ...] = (), *, soundcard: SoundCard | None = None) -> dict[str, Any]:
    """Playwright's launch options for the suite's flags (:func:`launch_args`); with a
    ``soundcard``, Chromium on that card (its environment) and unmuted."""
    options: dict[str, Any] = {"args": launch_args(extra, soundcard=soundcard)}
    if soundcard is not None:
        options |= {"env": {**os.environ, **soundcard.env}, "ignore_default_args": [MUTE_AUDIO_ARG]}
    return options


async def launch_chromium(
    playwright: Playwright,
    info: ChromiumInfo | None = None,
    *,
    headless: bool = True,
    extra_args: tuple[str, ...] = (),
    soundcard: SoundCard | None = None,
    **options: Any,
) -> Browser:
    """Launch Chromium through Playwright with the suite's flags; with a started
    ``soundcard`` (:class:`~conformance.soundcard.SoundCard`) on that sound card, unmuted,
    with Chromium's fake camera."""
    info = info or find_chromium()
    return await playwright.chromium.launch(
        executable_path=info.path, headless=headless,
        **launch_options(extra_args, soundcard=soundcard), **options,
    )
