"""far_end.app.incoming: how the suite makes an app's own backend call the app."""

from __future__ import annotations

import asyncio
import http.server
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from conformance.certify.flows.backend import ring_backend
from conformance.certify.profile.loader import FarEnd, Incoming


def env_with(incoming: Incoming) -> Any:
    return SimpleNamespace(profile=SimpleNamespace(far_end=FarEnd("app", "echo", incoming)))


def test_an_http_request_rings_the_backend() -> None:
    seen: list[tuple[str, str, bytes]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append((self.command, self.path, body))
            self.send_response(202)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/ring"
        done = asyncio.run(ring_backend(env_with(Incoming(url=url, body='{"to": "demo"}'))))
    finally:
        server.shutdown()
        server.server_close()
    assert done == f"POST {url} answered 202"
    assert seen == [("POST", "/ring", b'{"to": "demo"}')]


def test_a_command_rings_the_backend(tmp_path: Path) -> None:
    marker = tmp_path / "rang"
    command = (sys.executable, "-c", f"open({str(marker)!r}, 'w').write('yes')")
    done = asyncio.run(ring_backend(env_with(Incoming(command=command))))
    assert done.endswith("exited with 0") and marker.read_text() == "yes"
