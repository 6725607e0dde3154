"""The page server answers every request, malformed or hostile, with a status, never a
dropped connection; it serves only inside its secret and its folders; an overrides folder
overlays an app, links the app holds are followed, ``..`` is refused."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.server import PageServer


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[PageServer]:
    (tmp_path / "app.html").write_text("<p>app</p>")
    page_server = PageServer({"app": tmp_path})
    yield page_server
    page_server.close()


def _status(server: PageServer, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def test_files_inside_the_secret_are_served(server: PageServer) -> None:
    secret = server.base_url.rstrip("/").rsplit("/", 1)[1]
    assert _status(server, f"/{secret}/app/app.html") == 200
    assert _status(server, f"/{secret}/index.html") == 200
    assert _status(server, "/app/app.html") == 404  # without the secret
    assert _status(server, f"/{secret}/app/../../etc/passwd") == 404


@pytest.mark.parametrize(("make_path", "status"), [
    (lambda secret: f"/{secret}/app/a%00b.html", 400),
    (lambda secret: f"/{secret}/app/%1b[31m.html", 400),
    (lambda secret: f"/{secret}/" + "a/" * 5000, 414),
    (lambda secret: f"/{secret}/app/" + "x" * 1500 + ".html", 404),
    (lambda secret: f"/{secret}/app/" + "d/" * 600, 404),
], ids=["nul", "escape", "5000-segments", "long-name", "deep"])
def test_malformed_requests_get_a_4xx(server: PageServer, make_path: object, status: int) -> None:
    secret = server.base_url.rstrip("/").rsplit("/", 1)[1]
    assert _status(server, make_path(secret)) == status  # type: ignore[operator]
    assert _status(server, f"/{secret}/index.html") == 200  # and it keeps serving


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
