"""Bundled calling apps (``conformance/apps/<name>/``), served by the harness's page server."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["APPS_DIR", "app_dir", "bundled_apps"]

#: Where bundled apps live: one folder per app, each with an ``index.html``.
APPS_DIR = Path(str(resources.files("conformance").joinpath("apps")))


def bundled_apps() -> list[str]:
    """Names of the bundled apps, sorted."""
    if not APPS_DIR.is_dir():
        return []
    return sorted(p.name for p in APPS_DIR.iterdir() if (p / "index.html").is_file())


def app_dir(name: str) -> Path:
    """The folder of bundled app ``name`` (``KeyError`` when there is none)."""
    folder = APPS_DIR / name
    if not (folder / "index.html").is_file():
        raise KeyError(name)
    return folder
