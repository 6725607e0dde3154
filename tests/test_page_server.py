"""The page server answers every request, malformed or hostile, with a status, never a
dropped connection; it serves only inside its secret and its folders."""

from __future__ import annotations

import http.client
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
