"""Serving a web-platform-tests tree, read-only, on loopback.

WPT files load ``/resources/testharness.js`` by absolute path, so the tree is served at the
root of an origin, not under a secret path segment as :class:`conformance.server.PageServer`
does. The per-run secret is the host name instead: ``http://<secret>.localhost:<port>/``
(Chromium resolves ``*.localhost`` to loopback and treats it as a secure context); a
request for any other host gets 404. The server binds 127.0.0.1 only, answers GET and
HEAD only, and never serves outside the tree.

It adds what wptserve would: ``/resources/testharnessreport.js`` is the suite's own (it
reports every result to the harness), ``/resources/testharness.js`` falls back to the copy
set-up fetched, and ``x.any.html`` / ``x.window.html`` are generated for ``x.any.js`` /
``x.window.js`` (window scope, ``// META: script=`` and ``timeout=`` honoured).
"""

from __future__ import annotations

import html
import http.server
import mimetypes
import os
import re
import secrets
from importlib import resources
from pathlib import Path
from typing import Any

from conformance.server import LoopbackServer, checked_path, served_file

__all__ = ["WptServer", "script_metadata"]

REPORT_JS = resources.files("conformance").joinpath("wpt/testharnessreport.js").read_bytes()
_META = re.compile(r"^//\s*META:\s*(\w+)=(.*)$")
_WRAPPED = re.compile(r"^(?P<stem>.+)\.(?P<scope>any|window)\.html$")


def script_metadata(source: str) -> list[tuple[str, str]]:
    """The ``// META: key=value`` lines at the top of a ``.any.js``/``.window.js`` file."""
    found = []
    for line in source.splitlines():
        match = _META.match(line.strip())
        if match is None:
            if line.strip() and not line.strip().startswith("//"):
                break
            continue
        found.append((match.group(1), match.group(2).strip()))
    return found


def _wrapper(script_url: str, source: str) -> bytes:
    """The HTML page wptserve generates for a window-scope script test."""
    head = ['<!doctype html>', '<meta charset="utf-8">']
    scripts = []
    for key, value in script_metadata(source):
        if key == "timeout" and value == "long":
            head.append('<meta name="timeout" content="long">')
        elif key == "title":
            head.append(f"<title>{html.escape(value)}</title>")
        elif key == "script":
            scripts.append(f'<script src="{html.escape(value, quote=True)}"></script>')
    head += ['<script src="/resources/testharness.js"></script>',
             '<script src="/resources/testharnessreport.js"></script>', *scripts,
             '<div id="log"></div>',
             f'<script src="{html.escape(script_url, quote=True)}"></script>']
    return ("\n".join(head) + "\n").encode()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def _serve(self, *, body: bool) -> None:
        if self.headers.get("Host", "").lower() != self.server.host:
            self.send_error(404)
            return
        path = checked_path(self)
        if path is None:
            return
        try:
            found = self._resolve(path)
        except OSError:  # unreadable, or a name the file system refuses
            found = None
        if found is None:
            self.send_error(404)
            return
        data, content_type = found
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _resolve(self, path: str) -> tuple[bytes, str] | None:
        root = self.server.root
        relative = path.lstrip("/")
        if relative == "resources/testharnessreport.js":
            return REPORT_JS, "text/javascript; charset=utf-8"
        file = served_file((root,), relative or "index.html")
        if file is not None:
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            if kind in ("text/javascript", "application/javascript", "text/html", "text/css"):
                kind += "; charset=utf-8"
            return file.read_bytes(), kind
        if relative == "resources/testharness.js" and self.server.testharness is not None:
            return self.server.testharness.read_bytes(), "text/javascript; charset=utf-8"
        wrapped = _WRAPPED.match(relative)
        if wrapped is not None:
            script = served_file((root,), f"{wrapped['stem']}.{wrapped['scope']}.js")
            if script is not None:
                source = script.read_text(encoding="utf-8", errors="replace")
                return _wrapper("/" + script.relative_to(os.path.abspath(root)).as_posix(), source), \
                    "text/html; charset=utf-8"
        return None

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging: results are what matters."""


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    root: Path
    host: str = ""  # set once the port is known; no request can come before
    testharness: Path | None


class WptServer(LoopbackServer):
    """A loopback HTTP server for one WPT tree."""

    def __init__(self, root: Path, testharness: Path | None) -> None:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.root = root.resolve()
        server.testharness = testharness
        super().__init__(server, "conformance-wpt-server")
        self._server: _Server = server
        server.host = f"{secrets.token_hex(12)}.localhost:{self.port}"

    def url(self, path: str) -> str:
        """The URL of ``path`` (relative to the tree's root)."""
        return f"http://{self._server.host}/{path.lstrip('/')}"
