"""Real backends on "another host": Debian's Janus and coturn inside a :class:`Namespace`,
and the unmodified ``janus-demos`` pages with a ``settings.js`` of our own.

Each server gets a per-run secret (Janus's API secret, a TURN password), listens on the
namespace's 10.x address only, runs with its working directory in a temporary folder and
without core dumps, and is stopped when its namespace is closed.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

from conformance.network.netns import Namespace, NamespaceError, wait_for_tcp
from conformance.setup import ensure_test_backends

__all__ = [
    "DEMOS",
    "START_TIMEOUT_S",
    "BackendError",
    "Janus",
    "OtherHost",
    "Turn",
    "backends_unavailable",
    "demo_overrides",
    "start_janus",
    "start_turn",
    "tail",
    "wait_for_backend",
]

#: Where Debian's ``janus-demos`` puts the demo pages (``javascript/`` links the libraries).
DEMOS = Path("/usr/share/janus/demos")
_JANUS_LIBS = Path("/usr/lib/x86_64-linux-gnu/janus")
_JANUS_HTTP_PORT = 8088
#: TURN on 443, as servers that serve firewalled homes listen (only TCP to 443 leaves one).
_TURN_PORT = 443
#: Janus needs 1-3 s before its HTTP port answers, longer on a loaded machine.
START_TIMEOUT_S = 30.0


def _janus_libs() -> Path | None:
    for candidate in (_JANUS_LIBS, *Path("/usr/lib").glob("*/janus")):
        if (candidate / "plugins" / "libjanus_echotest.so").exists():
            return candidate
    return None


def backends_unavailable() -> str | None:
    """Why Janus, its demos and coturn cannot be run here (``None`` when they can)."""
    needed = ("janus", "janus-demos", "coturn")
    missing = [name for name in ensure_test_backends(install=False) if name in needed]
    if not missing and _janus_libs() is None:
        missing = ["janus (its plugins)"]
    if missing:
        return (f"Debian's {', '.join(missing)} package(s) are not installed "
                "(scripts/bootstrap.sh installs them as root on Debian)")
    return None


@dataclass(frozen=True)
class Janus:
    """A running Janus: its REST API URL and the API secret every request must carry."""

    namespace: Namespace
    url: str
    api_secret: str


@dataclass(frozen=True)
class Turn:
    """A running TURN server and the credential it accepts."""

    namespace: Namespace
    address: str
    port: int
    username: str
    credential: str

    def ice_servers(self, transport: str = "udp") -> list[dict[str, str]]:
        """An ``RTCConfiguration.iceServers`` value for this server over ``transport``."""
        return [{"urls": f"turn:{self.address}:{self.port}?transport={transport}",
                 "username": self.username, "credential": self.credential}]

    def stun_servers(self) -> list[dict[str, str]]:
        """An ``RTCConfiguration.iceServers`` value for this server as STUN only (coturn
        answers binding requests without a credential, on the same port)."""
        return [{"urls": f"stun:{self.address}:{self.port}"}]


@dataclass(frozen=True)
class OtherHost:
    """A network namespace standing for a backend's host, running Janus and coturn."""

    namespace: Namespace
    janus: Janus
    turn: Turn
    scratch: Path


def _janus_config(folder: Path, namespace: Namespace, api_secret: str, libs: Path) -> Path:
    """Janus's configuration: only the HTTP transport (bound to the namespace address) and
    the AudioBridge and EchoTest plugins, ICE on the namespace's veth only."""
    for kind, names in (("plugins", ("audiobridge", "echotest")), ("transports", ("http",))):
        (folder / kind).mkdir()
        for name in names:
            (folder / kind / f"libjanus_{name}.so").symlink_to(libs / kind / f"libjanus_{name}.so")
    (folder / "janus.jcfg").write_text(f"""general: {{
  configs_folder = "{folder}"
  plugins_folder = "{folder}/plugins"
  transports_folder = "{folder}/transports"
  events_folder = "{folder}/none"
  loggers_folder = "{folder}/none"
  interface = "{namespace.address}"
  api_secret = "{api_secret}"
  debug_level = 4
}}
nat: {{ ice_enforce_list = "{namespace.interface}" }}
media: {{ rtp_port_range = "20000-20999" }}
""")
    (folder / "janus.transport.http.jcfg").write_text(
        f'general: {{ json = "plain", base_path = "/janus", http = true, '
        f'port = {_JANUS_HTTP_PORT}, ip = "{namespace.address}", https = false }}\n'
        "admin: { admin_http = false }\n")
    # Room 1234 is the AudioBridge demo's default room.
    (folder / "janus.plugin.audiobridge.jcfg").write_text(
        'general: { }\nroom-1234: { description = "Demo Room", sampling_rate = 16000, record = false }\n')
    (folder / "janus.plugin.echotest.jcfg").write_text("general: { }\n")
    return folder / "janus.jcfg"


def start_janus(namespace: Namespace, scratch: Path) -> Janus:
    """Start Janus in ``namespace`` (files in ``scratch``) and wait until its API answers."""
    libs = _janus_libs()
    if libs is None:
        raise NamespaceError("Janus's plugins are not installed")
    folder = scratch / "janus"
    folder.mkdir()
    api_secret = secrets.token_urlsafe(16)
    config = _janus_config(folder, namespace, api_secret, libs)
    with (scratch / "janus.log").open("wb") as log:  # the child keeps its own descriptor
        process = namespace.spawn(["janus", "-F", str(folder), "-C", str(config), "-o"],
                                  cwd=folder, log=log)
    wait_for_backend("janus", namespace.address, _JANUS_HTTP_PORT, process, scratch / "janus.log")
    return Janus(namespace, f"http://{namespace.address}:{_JANUS_HTTP_PORT}/janus", api_secret)


def start_turn(namespace: Namespace, scratch: Path) -> Turn:
    """Start coturn in ``namespace`` with one long-term credential; wait until it listens."""
    folder = scratch / "turn"
    folder.mkdir()
    username, credential = "mmr", secrets.token_urlsafe(16)
    with (scratch / "turn.log").open("wb") as log:  # the child keeps its own descriptor
        process = namespace.spawn([
            "turnserver", "-n", "--no-cli", "--no-tls", "--no-dtls", "--lt-cred-mech",
            "--realm", "mmr.test", "--user", f"{username}:{credential}",
            "--listening-ip", namespace.address, "--relay-ip", namespace.address,
            "--listening-port", str(_TURN_PORT), "--min-port", "30000", "--max-port", "30999",
            "--pidfile", str(folder / "turn.pid"), "--simple-log", "--log-file", "stdout",
        ], cwd=folder, log=log)
    wait_for_backend("coturn", namespace.address, _TURN_PORT, process, scratch / "turn.log")
    return Turn(namespace, namespace.address, _TURN_PORT, username, credential)


def demo_overrides(folder: Path, janus: Janus, ice_servers: list[dict[str, str]] | None = None) -> Path:
    """A folder to serve over :data:`DEMOS`: our ``settings.js`` (Debian's has no
    ``token``/``apisecret`` and no ICE servers). The demos' own code is never changed."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "settings.js").write_text(
        "// Written by the tests: the Janus in the test's network namespace.\n"
        f"var server = {json.dumps(janus.url)};\n"
        f"var iceServers = {json.dumps(ice_servers or [])};\n"
        "var token = null;\n"
        f"var apisecret = {json.dumps(janus.api_secret)};\n")
    return folder


class BackendError(NamespaceError):
    """A backend did not start or died: the message names it, its address, and its log's tail."""


def wait_for_backend(name: str, address: str, port: int, process: subprocess.Popen[bytes], log: Path,
                     timeout: float = START_TIMEOUT_S) -> None:
    """Wait until backend ``name`` (``process``, logging to ``log``) listens on
    ``address:port``; :class:`BackendError` "backend <name> did not answer on <address>
    within N s" with the tail of its log when it does not (or exits first)."""
    try:
        wait_for_tcp(address, port, timeout, alive=process)
    except NamespaceError as exc:
        exited = f" (it exited with code {process.returncode})" if process.poll() is not None else ""
        raise BackendError(f"backend {name} did not answer on {address}:{port} within {timeout:g} s"
                           f"{exited}; the tail of its log:\n{tail(log)}") from exc


def tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a server's log, for a failure message."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
