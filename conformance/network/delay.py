"""A userspace delay stage: holds each queued packet ``delay +- jitter`` ms, then lets it go.

Kernels without the ``netem`` qdisc (this project's CI machine among them) still have
NFQUEUE: an iptables rule (``-j NFQUEUE --queue-num N``) hands each matching packet to the
process bound to queue N, which answers with a verdict whenever it likes. This module speaks
nfnetlink_queue directly over a netlink socket (no C library, no build step): it binds the
queue, asks for packet metadata only, and accepts each packet when its release time comes.
Packets whose jitter draws pass each other are released out of order, as netem does.

Run as ``python -m conformance.network.delay --queue N --delay-ms D --jitter-ms J`` inside
the namespace whose rules queue the packets; it prints ``ready`` once bound, and stops on
SIGTERM or when its stdin closes (the run that started it ended, even by SIGKILL).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import struct
import sys

__all__ = ["bind", "main", "serve"]

_NETLINK_NETFILTER = 12
_NFNL_SUBSYS_QUEUE = 3
_MSG_PACKET, _MSG_VERDICT, _MSG_CONFIG = 0, 1, 2
_CFG_CMD, _CFG_PARAMS, _CFG_QUEUE_MAXLEN = 1, 2, 3
_CMD_BIND = 1
_COPY_META = 1
_ATTR_PACKET_HDR, _ATTR_VERDICT_HDR = 1, 2
_NF_ACCEPT = 1
_NLM_F_REQUEST = 1
_NLMSG_ERROR = 2
#: Enough held packets for seconds of audio and video at the presets' rates.
_QUEUE_MAXLEN = 8192


def _attribute(kind: int, payload: bytes) -> bytes:
    size = 4 + len(payload)
    return struct.pack("=HH", size, kind) + payload + b"\0" * ((4 - size % 4) % 4)


def _message(kind: int, queue: int, attributes: bytes, family: int = socket.AF_UNSPEC) -> bytes:
    body = struct.pack("=BBH", family, 0, socket.htons(queue)) + attributes
    return struct.pack("=IHHII", 16 + len(body), (_NFNL_SUBSYS_QUEUE << 8) | kind,
                       _NLM_F_REQUEST, 0, 0) + body


def _packet_ids(data: bytes) -> list[int]:
    """The ids of the packets in one netlink datagram (several messages may share one)."""
    ids, offset = [], 0
    while offset + 16 <= len(data):
        length, kind = struct.unpack_from("=IH", data, offset)
        if length < 16:
            break
        if kind == (_NFNL_SUBSYS_QUEUE << 8) | _MSG_PACKET:
            at = offset + 20  # after nlmsghdr (16) and nfgenmsg (4)
            while at + 4 <= offset + length:
                size, attr = struct.unpack_from("=HH", data, at)
                if size < 4:
                    break
                if attr & 0x7FFF == _ATTR_PACKET_HDR:
                    ids.append(struct.unpack_from("!I", data, at + 4)[0])
                at += (size + 3) & ~3
        offset += (length + 3) & ~3
    return ids


def bind(queue: int) -> socket.socket:
    """A netlink socket bound to NFQUEUE ``queue``, asking for packet metadata only."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, _NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((0, 0))
    sock.send(_message(_MSG_CONFIG, queue, _attribute(_CFG_CMD, struct.pack("!BBH", _CMD_BIND, 0,
                                                                            socket.AF_INET))))
    sock.send(_message(_MSG_CONFIG, queue, _attribute(_CFG_PARAMS, struct.pack("!IB", 0, _COPY_META))))
    sock.send(_message(_MSG_CONFIG, queue, _attribute(_CFG_QUEUE_MAXLEN, struct.pack("!I", _QUEUE_MAXLEN))))
    sock.setblocking(False)
    return sock


async def serve(sock: socket.socket, queue: int, delay_ms: float, jitter_ms: float,
                stop: asyncio.Event) -> None:
    """Hold the packets of ``queue`` (bound on ``sock`` by :func:`bind`) until ``stop``."""
    loop = asyncio.get_running_loop()
    draw = random.Random()

    def release(packet_id: int) -> None:
        verdict = _attribute(_ATTR_VERDICT_HDR, struct.pack("!II", _NF_ACCEPT, packet_id))
        try:
            sock.send(_message(_MSG_VERDICT, queue, verdict))
        except BlockingIOError:  # the socket's send buffer is full: try again at once
            loop.call_soon(release, packet_id)

    def readable() -> None:
        while True:
            try:
                data = sock.recv(1 << 16)
            except BlockingIOError:
                return
            except OSError:  # ENOBUFS: the kernel dropped messages; those packets are lost
                continue
            for packet_id in _packet_ids(data):
                held = max(0.0, delay_ms + draw.uniform(-jitter_ms, jitter_ms)) / 1000.0
                loop.call_later(held, release, packet_id)

    loop.add_reader(sock.fileno(), readable)
    try:
        await stop.wait()
    finally:
        loop.remove_reader(sock.fileno())
        sock.close()


async def _main(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # stdin closes when the run that started the stage ends, however it ends.
    def stdin_readable() -> None:
        if not os.read(sys.stdin.fileno(), 4096):
            stop.set()

    loop.add_reader(sys.stdin.fileno(), stdin_readable)
    sock = bind(args.queue)
    print("ready", flush=True)
    await serve(sock, args.queue, args.delay_ms, args.jitter_ms, stop)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the stage process."""
    parser = argparse.ArgumentParser(prog="python -m conformance.network.delay")
    parser.add_argument("--queue", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
