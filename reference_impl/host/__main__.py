"""``python -m reference_impl.host``: run the host until SIGTERM, SIGINT or ``shutdown``.

Prints one JSON line on stdout when ready (see ``PROTOCOL.md``, "Starting a host"):
``{"ready": true, "port": ..., "pageSecret": ..., "controlSecret": ..., ...}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys

from .._version import PROTOCOL_VERSION, VERSION
from .ice import ICE_MODES, use_ice_mode
from .server import HostServer, Secrets
from .state import HostState


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m reference_impl.host",
                                     description="Reference redirection host (the local device).")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free)")
    parser.add_argument("--listen", default="127.0.0.1", metavar="ADDRESS",
                        help="address the channel listens on (default 127.0.0.1; the device's "
                             "own address when it sits on a network of its own)")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="injected one-way channel latency, 0..200 ms")
    parser.add_argument("--ice", choices=ICE_MODES, default="loopback",
                        help="loopback (default): candidates on 127.0.0.1 and loopback STUN/TURN "
                             "servers only; all: every interface and the page's servers")
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--exit-with-stdin", action="store_true",
                        help="shut down when stdin closes (the parent died, even by SIGKILL)")
    return parser.parse_args(argv)


async def _exit_when_stdin_closes(server: HostServer) -> None:
    """Shut the host down at EOF on stdin: the parent holds the other end of the pipe, and
    the kernel closes it however the parent ends, so the host never outlives it."""
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.read()
    await server.close()


async def _serve(args: argparse.Namespace) -> None:
    state = HostState(latency_ms=args.latency_ms)
    keys = Secrets()
    server = HostServer(state, keys)
    port = await server.start(args.port, args.listen)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(signum, lambda: asyncio.ensure_future(server.close()))
    watcher = asyncio.ensure_future(_exit_when_stdin_closes(server)) if args.exit_with_stdin else None
    ready = {
        "ready": True,
        "protocol": PROTOCOL_VERSION,
        "version": VERSION,
        "pid": os.getpid(),
        "port": port,
        "url": f"ws://{args.listen}:{port}",
        "pageSecret": keys.page,
        "controlSecret": keys.control,
        "connectionId": state.connection_id,
        "latencyMs": state.latency_ms,
        "ice": args.ice,
        "microphones": [d.to_json() for d in state.microphones],
        "speakers": [d.to_json() for d in state.speaker_devices],
    }
    sys.stdout.write(json.dumps(ready) + "\n")
    sys.stdout.flush()
    await server.stopped.wait()
    if watcher is not None:
        watcher.cancel()


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    args = _parse(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    use_ice_mode(args.ice)
    asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
