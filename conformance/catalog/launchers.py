"""Launchers of the catalog's real backends, each in the network namespace of its stack.

A launcher starts a stack's backend in a :class:`~conformance.network.netns.Namespace` (the
stack's "other host") and writes the overrides its app is configured through (served over
the app's own files: the app's code is never changed), then returns a :class:`Launched`.
Its processes are stopped by the namespace (the runner calls ``stop_processes`` whatever
happened). A backend that does not answer raises
:class:`~conformance.backends.janus.BackendError`, which names it, its address and its
log's tail. The project's tests start the same backends through the same functions.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from conformance.backends.janus import demo_overrides, start_janus, start_turn, wait_for_backend
from conformance.catalog.courier import Paste
from conformance.catalog.entry import Entry, deb_version
from conformance.catalog.farend import FarEnd
from conformance.network.netns import Namespace
from conformance.npm import bundled, installed, unpacked

__all__ = ["LAUNCHERS", "PACKAGES", "REQUIRES", "Launched", "Launcher"]


@dataclass(frozen=True)
class Launched:
    """A running backend: its name and address (for the matrix), and the overrides folder
    served first over the app's files (``None``: nothing to override)."""

    backend: str
    address: str
    overrides: Path | None
    #: The stack's second user agent that answers (``None``: the backend itself answers).
    far_end: FarEnd | None = None


#: ``launcher(namespace, scratch, entry)``: start ``entry``'s backend in ``namespace``
#: (files in ``scratch``).
Launcher = Callable[[Namespace, Path, Entry], Launched]


def _janus(namespace: Namespace, scratch: Path, entry: Entry) -> Launched:
    """Debian's Janus (AudioBridge and EchoTest plugins) and the demos' ``settings.js``."""
    janus = start_janus(namespace, scratch)
    return Launched(f"janus {deb_version('janus')} (Debian)", namespace.address,
                    demo_overrides(scratch / "overrides", janus))


#: The PeerJS server (npm ``peer``, run by Debian's ``nodejs``), its port and path.
PEER_SERVER = "peer@1.0.2"
_PEER_PORT, _PEER_PATH = 9000, "/myapp"


def _node() -> str:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        raise FileNotFoundError("Node.js is not installed (Debian's `nodejs`; "
                                "`conformance setup --test-backends` installs it)")
    return node


def _peerjs(namespace: Namespace, scratch: Path, entry: Entry) -> Launched:
    """The PeerJS server in the namespace, as its README runs it (``peerjs --port 9000
    --path /myapp``, bound to the namespace's address); the app's ``config.js`` and a far
    end peer (``far-end/``) that answers and echoes."""
    server = installed(PEER_SERVER, fetch=False)
    log = scratch / "peer.log"
    with log.open("wb") as out:  # the child keeps its own descriptor
        process = namespace.spawn([_node(), str(server / "dist" / "bin" / "peerjs.js"),
                                   "--host", namespace.address, "--port", str(_PEER_PORT),
                                   "--path", _PEER_PATH, "--key", "peerjs"], cwd=scratch, log=out)
    wait_for_backend("peer", namespace.address, _PEER_PORT, process, log)
    overrides = scratch / "overrides"
    overrides.mkdir()
    # The server's README: `new Peer("someid", {host, port, path})`; the ids are the call's two ends.
    (overrides / "config.js").write_text(
        "// Written by `conformance catalog`: the PeerJS server on the stack's host.\n"
        f"const server = {json.dumps({'host': namespace.address, 'port': _PEER_PORT, 'path': _PEER_PATH})};\n"
        "const myId = 'caller-' + Math.random().toString(36).slice(2);\n"
        "const otherId = 'far-end';\n")
    folders = (overrides, entry.folder / "far-end", unpacked(str(entry.npm), fetch=False))
    return Launched(f"peer {PEER_SERVER.split('@')[1]} (npm, node {deb_version('nodejs')})",
                    namespace.address, overrides,
                    FarEnd(folders, "far-end.html", "window.farEndReady === true"))


def _simple_peer(namespace: Namespace, scratch: Path, entry: Entry) -> Launched:
    """No server: simple-peer's README signals by copy and paste. coturn in the namespace,
    configured as the README's "connection does not work on some networks?" says (the
    ``config`` option, in ``config.js``), and a far end peer (``far-end/``) that answers
    and echoes, its offers and answers carried by the courier."""
    turn = start_turn(namespace, scratch)
    overrides = scratch / "overrides"
    overrides.mkdir()
    (overrides / "config.js").write_text(
        "// Written by `conformance catalog`: the TURN server on the stack's host.\n"
        f"const config = {json.dumps({'iceServers': turn.ice_servers()})};\n")
    folders = (overrides, entry.folder / "far-end", unpacked(str(entry.npm), fetch=False))
    return Launched(f"coturn {deb_version('coturn')} (Debian); signalling by copy and paste",
                    namespace.address, overrides,
                    FarEnd(folders, "far-end.html", "window.farEndReady === true",
                           paste=Paste("#incoming", "button[type=submit]", "#outgoing",
                                       "document.querySelector('#outgoing').textContent.includes('answer')")))


_SIP_PORT = 8080
_KAMAILIO_MODULES = Path("/usr/lib/x86_64-linux-gnu/kamailio/modules")


def _kamailio_modules() -> Path:
    for candidate in (_KAMAILIO_MODULES, *Path("/usr/lib").glob("*/kamailio/modules")):
        if (candidate / "websocket.so").exists():
            return candidate
    raise FileNotFoundError("Kamailio's websocket module is not installed (Debian's `kamailio` and "
                            "`kamailio-websocket-modules`; `conformance setup --test-backends` "
                            "installs them)")


def _kamailio(namespace: Namespace, scratch: Path, entry: Entry) -> Launched:
    """Debian's Kamailio as registrar and proxy over WebSocket in the namespace; the app's
    ``config.js`` (the JsSIP README's socket URL and URIs) and a far end JsSIP user agent
    (``far-end/``) that registers, answers and echoes."""
    listen = f"{namespace.address}:{_SIP_PORT}"
    config = scratch / "kamailio.cfg"
    template = Path(__file__).with_name("kamailio.cfg").read_text(encoding="utf-8")
    config.write_text(template.replace("LISTEN", listen).replace("MODULES", f"{_kamailio_modules()}/"))
    (scratch / "run").mkdir()
    log = scratch / "kamailio.log"
    with log.open("wb") as out:  # the child keeps its own descriptor
        process = namespace.spawn(["kamailio", "-DD", "-E", "-f", str(config), "-Y", str(scratch / "run")],
                                  cwd=scratch, log=out)
    wait_for_backend("kamailio", namespace.address, _SIP_PORT, process, log)
    overrides = scratch / "overrides"
    overrides.mkdir()
    (overrides / "config.js").write_text(
        "// Written by `conformance catalog`: Kamailio on the stack's host.\n"
        f"const sipServer = {json.dumps(f'ws://{listen}')};\n"
        "const me = 'sip:alice@mmr.test';\n"
        "const other = 'sip:bob@mmr.test';\n")
    folders = (overrides, entry.folder / "far-end", bundled(str(entry.npm), *(entry.bundle or ("", "")),
                                                             fetch=False))
    return Launched(f"kamailio {deb_version('kamailio')} (Debian, websocket)", namespace.address, overrides,
                    FarEnd(folders, "far-end.html", "window.farEndReady === true"))


#: The launchers by the name an entry's ``backend`` gives.
LAUNCHERS: dict[str, Launcher] = {
    "janus": _janus,
    "peerjs-server": _peerjs,
    "simple-peer": _simple_peer,
    "kamailio": _kamailio,
}

#: The Debian packages each launcher needs (``conformance setup --test-backends`` installs them).
REQUIRES: dict[str, tuple[str, ...]] = {
    "janus": ("janus", "janus-demos"),
    "peerjs-server": ("nodejs",),
    "simple-peer": ("coturn",),
    "kamailio": ("kamailio", "kamailio-websocket-modules"),
}

#: npm packages a launcher runs (installed with their dependencies by ``catalog fetch``).
PACKAGES: dict[str, tuple[str, ...]] = {"peerjs-server": (PEER_SERVER,)}
