"""The local page server: static files on loopback, behind a per-run secret.

Scenario pages need a secure context (getUserMedia is not exposed otherwise), and
``http://localhost`` is one. The server binds 127.0.0.1 only, and every URL starts with a
random secret path segment, so another local user or a page on another origin cannot
guess its way in. Requests outside the secret, or outside the served folders, get 404;
malformed paths get 400 or 414, never a traceback.
"""

from __future__ import annotations

import http.server
import mimetypes
import os
import secrets
import threading
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = ["LoopbackServer", "PageServer", "checked_path", "served_file"]

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
        roots = self.server.mounts.get(mount)
        # A first segment naming a mounted folder (an app) serves from it; else the page dir.
        file = (served_file(roots, rest or "index.html") if roots is not None
                else served_file((PAGE_DIR,), relative))
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
    """``root/relative`` if its path stays inside ``root`` (no ``..`` escapes), else ``None``.

    The path is normalised without resolving symbolic links: a link the served folder itself
    holds is followed (Debian's packaged web apps link their libraries in that way), a
    ``..`` in the URL is not."""
    base = Path(os.path.abspath(root))
    candidate = Path(os.path.normpath(base / relative))
    return candidate if candidate.is_relative_to(base) else None


def served_file(roots: tuple[Path, ...], relative: str) -> Path | None:
    """The first ``root/relative`` that is a file: earlier roots overlay later ones. Names
    the file system refuses (too long, too deep) are no file."""
    for root in roots:
        file = _inside(root, relative)
        try:
            if file is not None and file.is_file():
                return file
        except (OSError, ValueError):
            continue
    return None


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    secret: str
    mounts: dict[str, tuple[Path, ...]]


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
    """A loopback HTTP server for scenario pages (and mounted app folders).

    ``mounts`` maps a first path segment to a folder, or to a sequence of folders in which
    the first that holds a file serves it (an overrides folder over an unmodified app).
    """

    def __init__(self, mounts: Mapping[str, Path | Sequence[Path]] | None = None) -> None:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.secret = secrets.token_urlsafe(16)
        server.mounts = {
            name: (roots,) if isinstance(roots, Path) else tuple(roots)
            for name, roots in (mounts or {}).items()
        }
        super().__init__(server, "conformance-page-server")
        self._server: _Server = server

    @property
    def base_url(self) -> str:
        """``http://localhost:<port>/<secret>/`` (``localhost`` makes it a secure context)."""
        return f"http://localhost:{self.port}/{self._server.secret}/"

    def url(self, path: str = "index.html") -> str:
        """The URL of a served file."""
        return self.base_url + path.lstrip("/")
