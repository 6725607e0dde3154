"""``--network`` topologies: the local device in a home behind a NAT router namespace.

Each worker has a home made at the session's start (conftest: a home made later would be a
network change for the other workers' browsers); a test switches it to the topology it
wants. Real sockets cross the real NAT and firewall. Skipped where namespaces cannot be made.
"""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from conformance.network import topology
from conformance.network.topology import FIREWALL_OPEN_PORT, HomeNetwork, home_network

# Tests that make namespaces or use the worker's home run on one worker, one at a time: a
# namespace made mid-session is a network change that aborts a running call's or page's
# traffic (see conformance.network.netns), and the homes of the session share this machine's
# routes and forwarding (--dist loadgroup, set in pyproject's addopts).
pytestmark = pytest.mark.xdist_group("network")


@pytest.fixture
def home() -> Iterator[HomeNetwork]:
    """This worker's home (switched by each test through :func:`home_network`)."""
    reason = topology.network_unavailable("home")
    if reason is not None:
        pytest.skip(reason)
    home = HomeNetwork.inherited()
    if home is None:
        pytest.skip("the session made no home network (conftest's pytest_configure)")
    yield home
    home.use(topology.topology("home"))


def _udp_from_device(home: HomeNetwork, targets: list[tuple[str, int]]) -> None:
    """One UDP socket on the device sends one datagram to each target."""
    code = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
            f"s.bind(('0.0.0.0', 0)); [s.sendto(b'x', tuple(t)) for t in {json.dumps(targets)}]")
    subprocess.run([*home.command(), sys.executable, "-c", code], check=True, timeout=10)


def _seen_from(home: HomeNetwork) -> list[tuple[str, int] | None]:
    """Where two servers of this machine (two addresses) see one device socket come from."""
    servers = []
    try:
        for address in (home.router.host_address, "127.0.0.1"):
            server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            servers.append(server)
            # The second one listens on the router link's address too, on another port:
            # a different destination for the NAT all the same.
            server.bind((home.router.host_address if address == "127.0.0.1" else address, 0))
            server.settimeout(3.0)
        _udp_from_device(home, [s.getsockname() for s in servers])
        seen: list[tuple[str, int] | None] = []
        for server in servers:
            try:
                seen.append(server.recvfrom(16)[1])
            except TimeoutError:
                seen.append(None)
        return seen
    finally:
        for server in servers:
            server.close()


def test_a_home_maps_a_socket_to_one_public_port(home: HomeNetwork) -> None:
    with home_network("home") as used:
        assert used is not None and used.router.name == home.router.name
        first, second = _seen_from(home)
    assert first is not None and second is not None
    # The NAT's public address, the same mapping whatever the destination (cone).
    assert first[0] == second[0] == home.router.address
    assert first[1] == second[1]


def test_a_symmetric_nat_maps_each_destination_to_its_own_port(home: HomeNetwork) -> None:
    with home_network("symmetric-nat"):
        first, second = _seen_from(home)
    assert first is not None and second is not None
    assert first[0] == second[0] == home.router.address
    assert first[1] != second[1]


def test_a_firewalled_home_lets_only_tcp_to_443_out(home: HomeNetwork) -> None:
    with home_network("firewalled"):
        assert _seen_from(home) == [None, None]
        reached = []
        for port in (FIREWALL_OPEN_PORT, 8443):
            listener = socket.create_server((home.router.host_address, port))
            listener.settimeout(3.0)
            code = (f"import socket; s = socket.socket(); s.settimeout(2); "
                    f"print(s.connect_ex(('{home.router.host_address}', {port})))")
            out = subprocess.run([*home.command(), sys.executable, "-c", code],
                                 capture_output=True, text=True, timeout=10)
            reached.append(out.stdout.strip() == "0")
            listener.close()
    assert reached == [True, False]


#: On the device: a TCP and a UDP socket; says their ports, takes one TCP connection, then
#: says whether a datagram arrived.
_DEVICE_LISTENS = """
import socket
tcp = socket.create_server(("0.0.0.0", 0))
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("0.0.0.0", 0))
print(tcp.getsockname()[1], udp.getsockname()[1], flush=True)
tcp.settimeout(5)
tcp.accept()
udp.settimeout(2)
try:
    print("udp" if udp.recv(4) else "no-udp", flush=True)
except OSError:
    print("no-udp", flush=True)
"""


def test_the_page_reaches_the_device_and_nothing_else_gets_in(home: HomeNetwork) -> None:
    """The page's channel (TCP from this machine) crosses the router; UDP does not."""
    with home_network("home"):
        code = _DEVICE_LISTENS
        device = subprocess.Popen([*home.command(), sys.executable, "-c", code],
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert device.stdout is not None
            tcp_port, udp_port = (int(p) for p in device.stdout.readline().split())
            with socket.create_connection((home.device.address, tcp_port), timeout=5):
                pass
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.sendto(b"x", (home.device.address, udp_port))
            assert device.stdout.readline().strip() == "no-udp"
        finally:
            device.kill()
            device.wait(5)


def test_unknown_network_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known: same-host, home, symmetric-nat, firewalled"):
        topology.topology("cafe")
    with home_network("same-host") as none:
        assert none is None


#: On the device: 30 UDP round trips to an echo server; prints the answered RTTs (ms).
_DEVICE_PINGS = """
import json, socket, sys, time

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
target = (sys.argv[1], int(sys.argv[2]))
rtts = []
for _ in range(30):
    sent = time.monotonic()
    s.sendto(b"x" * 100, target)
    try:
        s.recv(200)
        rtts.append((time.monotonic() - sent) * 1000)
    except TimeoutError:
        pass
print(json.dumps(rtts))
"""


def _round_trips(home: HomeNetwork) -> list[float]:
    echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    echo.bind((home.router.host_address, 0))
    echo.setblocking(False)
    device = subprocess.Popen([*home.command(), sys.executable, "-c", _DEVICE_PINGS,
                               *map(str, echo.getsockname())], stdout=subprocess.PIPE, text=True)
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(echo, selectors.EVENT_READ)
            while device.poll() is None:
                for _ in selector.select(0.1):  # bounded by the device's 30 round trips
                    with contextlib.suppress(BlockingIOError):
                        data, peer = echo.recvfrom(2048)
                        echo.sendto(data, peer)
        assert device.stdout is not None
        return list(json.loads(device.stdout.read()))
    finally:
        device.kill()
        device.wait(5)
        echo.close()


def _router_state(home: HomeNetwork) -> str:
    run = ["ip", "netns", "exec", home.router.name, "sh", "-c",
           "tc qdisc show; iptables -t mangle -S FORWARD"]
    return subprocess.run(run, capture_output=True, text=True, timeout=10).stdout


def test_3g_delays_each_way_and_leaves_nothing(home: HomeNetwork) -> None:
    with home_network("home") as clean:
        assert clean is not None
        before = _round_trips(home)
    with home_network("home", impair="3g") as impaired:
        assert impaired is not None and impaired.impairment is not None
        path = impaired.impairment["path"]
        slow = _round_trips(home)
    assert len(before) == 30 and max(before) < 100
    # 250 ms each way, jitter 50 ms: round trips of 400-600 ms (plus a loaded machine's lag).
    assert len(slow) >= 20, slow
    assert 380 < sorted(slow)[len(slow) // 2] < 900, (path, slow)
    state = _router_state(home)
    assert "tbf" not in state and "netem" not in state and "NFQUEUE" not in state, state
    # The delay stages ran in the router's namespace: nothing runs there now.
    assert subprocess.run(["ip", "netns", "pids", home.router.name], capture_output=True,
                          text=True, timeout=10).stdout.split() == []


def test_lossy_wifi_loses_packets(home: HomeNetwork) -> None:
    with home_network("home", impair="lossy-wifi"):
        answered = _round_trips(home)
    # 10 % each way: about 19 % of round trips lost; 30 with none lost is a 1-in-500 draw.
    assert 10 <= len(answered) < 30
