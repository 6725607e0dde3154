"""The page server's mounts: an overrides folder over an app, its own links, no escapes."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conformance.server import PageServer


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def test_overrides_win_links_inside_are_followed_and_dotdot_is_refused(tmp_path: Path) -> None:
    app, overrides, libs = tmp_path / "app", tmp_path / "overrides", tmp_path / "libs"
    for folder in (app, overrides, libs):
        folder.mkdir()
    (app / "settings.js").write_text("original")
    (app / "page.html").write_text("page")
    (overrides / "settings.js").write_text("ours")
    (libs / "lib.js").write_text("library")
    (app / "javascript").symlink_to(libs)  # as Debian's janus-demos links its libraries
    (tmp_path / "secret.txt").write_text("secret")
    server = PageServer({"app": [overrides, app]})
    try:
        assert _get(server.url("app/settings.js")) == (200, b"ours")
        assert _get(server.url("app/page.html")) == (200, b"page")
        assert _get(server.url("app/javascript/lib.js")) == (200, b"library")
        assert _get(server.url("app/..%2Fsecret.txt"))[0] == 404
        assert _get(server.url("app/%2E%2E/secret.txt"))[0] == 404
    finally:
        server.close()


@pytest.mark.parametrize("path", ["app/missing.js", "nomount/x"])
def test_unknown_files_are_404(tmp_path: Path, path: str) -> None:
    server = PageServer({"app": tmp_path})
    try:
        assert _get(server.url(path))[0] == 404
    finally:
        server.close()
