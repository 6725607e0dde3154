"""The local page server: static files on loopback, behind a per-run secret.

Scenario pages need a secure context (getUserMedia is not exposed otherwise), and
``http://localhost`` is one. The server binds 127.0.0.1 only, and every URL starts with a
random secret path segment, so another local user or a page on another origin cannot
guess its way in. Requests outside the secret, or outside the served folders, get 404.
"""

from __future__ import annotations

import http.server
import mimetypes
import secrets
import threading
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = ["LoopbackServer", "PageServer", "checked_path"]

PAGE_DIR = Path(str(resources.files("conformance").joinpath("page")))


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        path = checked_path(self)
        if path is None:
            return
        prefix = f"/{self.server.secret}/"
        if not path.startswith(prefix):
            self.send_error(404)
            return
        relative = path[len(prefix):] or "index.html"
        mount, _, rest = relative.partition("/")
        root = self.server.mounts.get(mount)
        # A first segment naming a mounted folder (an app) serves from it; else the page dir.
        file = _inside(root, rest or "index.html") if root is not None else _inside(PAGE_DIR, relative)
        try:
            body = file.read_bytes() if file is not None else None
        except OSError:
            body = None
        if file is None or body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", mimetypes.guess_type(file.name)[0] or "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging: the harness reports what matters."""


#: Longest request path served (longer ones get 414).
_MAX_PATH = 2048


def checked_path(handler: http.server.BaseHTTPRequestHandler) -> str | None:
    """The request's decoded path; ``None`` once it answered 414 (too long) or 400
    (control characters) for a path no served file can have."""
    if len(handler.path) > _MAX_PATH:
        handler.send_error(414)
        return None
    path = unquote(urlsplit(handler.path).path)
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in path):
        handler.send_error(400, "control characters in the path")
        return None
    return path


def _inside(root: Path, relative: str) -> Path | None:
    """``root/relative`` if it stays inside ``root`` (no ``..`` escapes) and names a file,
    else ``None`` (also for names the file system refuses: too long, too deep)."""
    try:
        candidate = (root / relative).resolve()
        inside = candidate.is_relative_to(root.resolve())
        return candidate if inside and candidate.is_file() else None
    except (OSError, ValueError):
        return None


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    secret: str
    mounts: dict[str, Path]


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 (an ephemeral port), served from a daemon thread."""

    def __init__(self, server: http.server.ThreadingHTTPServer, name: str) -> None:
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True, name=name)
        self._thread.start()

    @property
    def port(self) -> int:
        """The ephemeral port the server listens on."""
        return int(self._server.server_address[1])

    def close(self) -> None:
        """Stop serving and release the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class PageServer(LoopbackServer):
    """A loopback HTTP server for scenario pages (and mounted app folders)."""

    def __init__(self, mounts: dict[str, Path] | None = None) -> None:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.secret = secrets.token_urlsafe(16)
        server.mounts = dict(mounts or {})
        super().__init__(server, "conformance-page-server")
        self._server: _Server = server

    @property
    def base_url(self) -> str:
        """``http://localhost:<port>/<secret>/`` (``localhost`` makes it a secure context)."""
        return f"http://localhost:{self.port}/{self._server.secret}/"

    def url(self, path: str = "index.html") -> str:
        """The URL of a served file."""
        return self.base_url + path.lstrip("/")
